package vex

import (
	"bytes"
	"log/slog"
	"testing"
)

// TestCSAFIsQuiet: reading a CSAF VEX document yields its statements and
// writes nothing to the default logger (go-vex's Open logged
// "INFO Abriendo CSAF" onto stderr).
func TestCSAFIsQuiet(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(old)
	sts, err := ReadFile("testdata/csaf-vex.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 1 || sts[0].VulnID != "CVE-2023-0286" {
		t.Fatalf("statements: %+v", sts)
	}
	if buf.Len() > 0 {
		t.Errorf("reading CSAF logged: %q", buf.String())
	}
}
