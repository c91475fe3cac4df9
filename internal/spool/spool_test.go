package spool

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/fault"
)

func TestSpoolRereadable(t *testing.T) {
	f, err := New(strings.NewReader("hello, report"), 100, t.TempDir(), "r.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum := sha256.Sum256([]byte("hello, report"))
	if f.Size() != 13 || f.SHA256() != hex.EncodeToString(sum[:]) {
		t.Fatalf("size %d sha256 %s", f.Size(), f.SHA256())
	}
	for range 2 { // an import that is retried reads it again from the start
		b, err := io.ReadAll(f)
		if err != nil || string(b) != "hello, report" {
			t.Fatalf("read %q %v", b, err)
		}
		if err := f.Rewind(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSpoolTooLarge(t *testing.T) {
	_, err := New(strings.NewReader(strings.Repeat("x", 101)), 100, t.TempDir(), "big.json")
	if !errors.Is(err, ErrTooLarge) || !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), "big.json") {
		t.Fatalf("err = %v", err)
	}
	// The route's MaxBytesReader cut the body off.
	rec := httptest.NewRecorder()
	body := http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(strings.Repeat("x", 2<<20))), 1<<20)
	_, err = New(body, 0, t.TempDir(), "huge.xml")
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "huge.xml") {
		t.Fatalf("MaxBytes: %v", err)
	}
}

// TestSpoolClientGone: a client that disconnects mid-upload gives an error
// naming the file and how much arrived, and nothing to import.
func TestSpoolClientGone(t *testing.T) {
	r := io.MultiReader(strings.NewReader("partial"), errReader{})
	_, err := New(r, 0, t.TempDir(), "cut.csv")
	if err == nil || !strings.Contains(err.Error(), "cut.csv after 7 bytes") {
		t.Fatalf("err = %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }
