package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSelfSignedCert: the --tls-self-signed certificate serves HTTPS for
// localhost and 127.0.0.1, and its printed fingerprint is the SHA-256 of it.
func TestSelfSignedCert(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cert, fp, err := selfSignedCert(ln.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if len(strings.Split(fp, ":")) != 32 {
		t.Errorf("fingerprint %q", fp)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := leaf.VerifyHostname("localhost"); err != nil {
		t.Error(err)
	}
	if err := leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	if d := time.Until(leaf.NotAfter); d < 80*24*time.Hour || d > 91*24*time.Hour {
		t.Errorf("validity %v", d)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })}
	go srv.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get("https://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatalf("HTTPS with the self-signed certificate: %v", err)
	}
	resp.Body.Close()
}

// TestServeSelfSignedHTTPS runs serve --tls-self-signed: it prints the
// certificate's fingerprint, then listens on https, and serves with the
// certificate it printed.
func TestServeSelfSignedHTTPS(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, []string{"serve", "--tls-self-signed", "--vulndb-offline", "--listen", "127.0.0.1:0", "--data", t.TempDir()},
			strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	var fp, url string
	sc := bufio.NewScanner(pr)
	for url == "" && sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Self-signed TLS certificate, SHA-256 fingerprint "); ok {
			fp = v
		}
		if v, ok := strings.CutPrefix(sc.Text(), "Rampart listening on "); ok {
			url = v
		}
	}
	go io.Copy(io.Discard, pr)
	if fp == "" || !strings.HasPrefix(url, "https://") {
		cancel()
		t.Fatalf("fingerprint %q, listening on %q (exit %d)", fp, url, <-done)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := c.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sum := sha256.Sum256(resp.TLS.PeerCertificates[0].Raw)
	if got := strings.ToUpper(hex.EncodeToString(sum[:])); strings.ReplaceAll(strings.ToUpper(fp), ":", "") != got || resp.StatusCode != http.StatusOK {
		t.Errorf("served certificate %s (status %d), printed fingerprint %s", got, resp.StatusCode, fp)
	}
	cancel()
	if code := <-done; code != ExitOK {
		t.Errorf("serve exited %d", code)
	}
}

// TestLoadIntakeKey: the intake key comes from $RAMPART_INTAKE_KEY (64 hex
// digits), else from intake.key in the data directory, created on first
// use; a malformed one is refused, naming where it came from.
func TestLoadIntakeKey(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hexKey := strings.Repeat("ab", 32)
	t.Setenv("RAMPART_INTAKE_KEY", " "+hexKey+"\n")
	if k, err := loadIntakeKey(storeFlags{data: t.TempDir()}, log); err != nil || hex.EncodeToString(k) != hexKey {
		t.Errorf("from the environment: %x %v", k, err)
	}
	t.Setenv("RAMPART_INTAKE_KEY", "abcd")
	if _, err := loadIntakeKey(storeFlags{data: t.TempDir()}, log); err == nil || !strings.Contains(err.Error(), "RAMPART_INTAKE_KEY") {
		t.Errorf("short key in the environment: %v", err)
	}
	t.Setenv("RAMPART_INTAKE_KEY", "")
	if k, err := loadIntakeKey(storeFlags{database: "postgres://db/r"}, log); err != nil || k != nil {
		t.Errorf("PostgreSQL without the variable: %x %v, want no key", k, err)
	}
	dir := t.TempDir()
	first, err := loadIntakeKey(storeFlags{data: dir}, log)
	if err != nil || len(first) != 32 {
		t.Fatalf("created: %x %v", first, err)
	}
	if again, err := loadIntakeKey(storeFlags{data: dir}, log); err != nil || !bytes.Equal(again, first) {
		t.Errorf("read back: %x %v, want %x", again, err, first)
	}
	if err := os.WriteFile(filepath.Join(dir, "intake.key"), []byte("not hex\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadIntakeKey(storeFlags{data: dir}, log); err == nil || !strings.Contains(err.Error(), "intake.key: want 64 hex digits") {
		t.Errorf("corrupt key file: %v", err)
	}
}
