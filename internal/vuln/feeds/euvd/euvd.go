// Package euvd reads the exploited-vulnerabilities list of the EU
// Vulnerability Database (run by ENISA): the answer
// of /api/exploitedvulnerabilities (a JSON array) or of
// /api/search?exploited=true (an object with "items"). Each entry names an
// EUVD id and, in "aliases", the CVE ids it is known by; entries without a
// CVE alias cannot match a component and are skipped.
package euvd

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/vuln"
)

type entry struct {
	ID             string `json:"id"`
	Description    string `json:"description"`
	Aliases        string `json:"aliases"` // newline-separated
	ExploitedSince string `json:"exploitedSince"`
}

// dateLayouts are the forms EUVD dates take ("Apr 9, 2025, 12:00:00 AM";
// ISO forms in some exports).
var dateLayouts = []string{"Jan 2, 2006, 3:04:05 PM", time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"}

func parseDate(s string) (time.Time, bool) {
	return vuln.ParseTime(strings.TrimSpace(s), dateLayouts...)
}

// maxDetail bounds the description kept as the exploitation detail.
const maxDetail = 500

func (e *entry) convert(name, field string, fn func(cve string, x vuln.Exploitation) error) error {
	if !strings.HasPrefix(e.ID, "EUVD-") {
		return vuln.Errorf(name, field+".id", "%q is not an EUVD id", e.ID)
	}
	x := vuln.Exploitation{Source: vuln.SourceEUVD, Reference: e.ID}
	if e.ExploitedSince != "" {
		t, ok := parseDate(e.ExploitedSince)
		if !ok {
			return vuln.Errorf(name, field+".exploitedSince", "%q is not a date (want e.g. \"Apr 9, 2025, 12:00:00 AM\")", e.ExploitedSince)
		}
		x.Since = t
	}
	x.Detail = "listed as exploited in the EU Vulnerability Database (" + e.ID + ")"
	if !x.Since.IsZero() {
		x.Detail += ", exploited since " + x.Since.Format("2006-01-02")
	}
	if d := strings.TrimSpace(e.Description); d != "" {
		if len(d) > maxDetail {
			d = strings.ToValidUTF8(d[:maxDetail], "") + "…"
		}
		x.Detail += ": " + d
	}
	seen := map[string]bool{}
	for _, a := range strings.FieldsFunc(e.Aliases, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' }) {
		if !strings.HasPrefix(a, "CVE-") || seen[a] {
			continue
		}
		seen[a] = true
		if err := fn(a, x); err != nil {
			return err
		}
	}
	return nil
}

// Read streams the list, calling fn once per (CVE alias, entry).
func Read(r io.Reader, name string, fn func(cve string, x vuln.Exploitation) error) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	t, err := dec.Token()
	if err != nil {
		return vuln.JSONError(name, "", err)
	}
	switch t {
	case json.Delim('['):
		if err := readArray(dec, name, "", fn); err != nil {
			return err
		}
	case json.Delim('{'):
		if err := vuln.ReadObjectArray(dec, name, "items", "missing: not an EUVD list", func() error {
			return readArray(dec, name, "items", fn)
		}); err != nil {
			return err
		}
	default:
		return vuln.Errorf(name, "", "not a JSON array or object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return vuln.Errorf(name, "", "data after the list")
	}
	return nil
}

// readArray reads entries up to and including the closing bracket.
func readArray(dec *json.Decoder, name, prefix string, fn func(string, vuln.Exploitation) error) error {
	return vuln.DecodeArray(dec, name, prefix, func(field string, e *entry) error {
		return e.convert(name, field, fn)
	})
}
