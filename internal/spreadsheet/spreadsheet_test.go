package spreadsheet

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestDefuse(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://evil\",\"x\")": "'=HYPERLINK(\"http://evil\",\"x\")",
		"+cmd|' /C calc'!A0":                "'+cmd|' /C calc'!A0",
		"-2+3":                              "'-2+3",
		"@SUM(A1)":                          "'@SUM(A1)",
		"\t=1":                              "'\t=1",
		"\r=1":                              "'\r=1",
		"  =1":                              "'  =1",
		"＝1+1":                              "'＝1+1",
		"openssl":                           "openssl",
		"1.1.1t":                            "1.1.1t",
		"":                                  "",
		"CVE-2024-1 CVE-2024-2":             "CVE-2024-1 CVE-2024-2",
	} {
		if got := Defuse(in); got != want {
			t.Errorf("Defuse(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriterDefusesEveryCell(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	row := []string{"=1", "+1", "-1", "@1", "ok"}
	if err := w.Write(row); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(&buf).Read()
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range got[:4] {
		if c[0] != '\'' {
			t.Errorf("cell %d = %q, not defused", i, c)
		}
	}
	if got[4] != "ok" {
		t.Errorf("plain cell changed: %q", got[4])
	}
}
