package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// Several --vex documents about the gin match: the latest statement holds
// whatever the order of the flags (vex.openvex.json: not_affected on
// 2099-01-01; vex-later.openvex.json: affected on 2099-02-01, under the
// OSV id; vex-fixed.cdx.json: resolved, analysis lastUpdated 2099-03-01).
// Before, the first suppressing statement won: the older not_affected hid
// the newer affected.
func TestMatchVEXLatestHolds(t *testing.T) {
	const (
		old   = "testdata/match/vex.openvex.json"
		later = "testdata/match/vex-later.openvex.json"
		fixed = "testdata/match/vex-fixed.cdx.json"
	)
	for _, tt := range []struct {
		name string
		vex  []string
		open bool   // the gin match is open
		note string // the OpenVEX status_notes of its statement when suppressed
	}{
		{"older not_affected, newer affected", []string{old, later}, true, ""},
		{"newer affected, older not_affected", []string{later, old}, true, ""},
		{"older not_affected alone", []string{old}, false, "status from vex.openvex.json of 2099-01-01T00:00:00Z"},
		{"newest resolved (CycloneDX) last", []string{old, later, fixed}, false, "status from vex-fixed.cdx.json of 2099-03-01T00:00:00Z"},
		{"newest resolved (CycloneDX) first", []string{fixed, later, old}, false, "status from vex-fixed.cdx.json of 2099-03-01T00:00:00Z"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"match", bom, "--vulndb", vulndb}
			for _, v := range tt.vex {
				args = append(args, "--vex", v)
			}
			code, out, errs := run(t, "", append(args, "--format", "json")...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if got := strings.Contains(out, "GO-2099-0100"); got != tt.open {
				t.Errorf("gin match open %v, want %v:\n%s", got, tt.open, out)
			}
			code, out, errs = run(t, "", append(args, "--format", "openvex")...)
			if code != ExitOK {
				t.Fatalf("openvex: exit %d: %s", code, errs)
			}
			var doc struct {
				Statements []struct {
					Vulnerability struct {
						Name string `json:"name"`
					} `json:"vulnerability"`
					Status      string `json:"status"`
					StatusNotes string `json:"status_notes"`
				} `json:"statements"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, s := range doc.Statements {
				if s.Vulnerability.Name != "GO-2099-0100" {
					continue
				}
				found = true
				if (s.Status == "affected") != tt.open || s.StatusNotes != tt.note {
					t.Errorf("statement %s, notes %q; want open %v, notes %q", s.Status, s.StatusNotes, tt.open, tt.note)
				}
			}
			if !found {
				t.Errorf("no statement of GO-2099-0100:\n%s", out)
			}
		})
	}
}
