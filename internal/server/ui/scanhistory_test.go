package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/inventory"
)

// TestScanHistoryMarksPartial: the release page's scan history badges a
// partial import "partial" with the report's reason as text and title,
// one asked to be partial with a title saying so, and shows the closed
// count only for a complete scan.
func TestScanHistoryMarksPartial(t *testing.T) {
	now := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	reason := `nexpose report: stopped.xml:7: scan "s1" has status "stopped": the scan did not complete`
	d := releaseData{Release: inventory.Release{ID: 4}, Scans: []findings.Scan{
		{ScanResult: findings.ScanResult{ScanID: 3, Tool: "nexpose", Scope: "nexpose", Findings: 1, Closed: 1}, FileName: "full.xml", ImportedAt: now},
		{ScanResult: findings.ScanResult{ScanID: 2, Tool: "nexpose", Scope: "nexpose", Findings: 1, Partial: true}, FileName: "asked.xml", ImportedAt: now},
		{ScanResult: findings.ScanResult{ScanID: 1, Tool: "nexpose", Scope: "nexpose", Findings: 1, Partial: true, PartialReason: reason}, FileName: "stopped.xml", ImportedAt: now},
	}}
	var b bytes.Buffer
	if err := parsePages(func() time.Time { return now })["release"].ExecuteTemplate(&b, "scan-history", d); err != nil {
		t.Fatal(err)
	}
	row := func(id string) string {
		page := b.String()
		i := strings.Index(page, `<tr id="scan-`+id+`"`)
		if i < 0 {
			t.Fatalf("no row of scan %s in %s", id, page)
		}
		j := strings.Index(page[i:], "</tr>")
		return page[i : i+j]
	}
	esc := strings.ReplaceAll(reason, `"`, "&#34;")
	for _, c := range []struct {
		id   string
		want []string
		not  []string
	}{
		{"1", []string{`class="partial-scan"`, `<span class="pill partial" title="` + esc + `">partial</span>`,
			`<div class="muted scan-partial-reason">the report says its scan did not complete: ` + esc + `</div>`, `title="a partial scan closes nothing"`}, nil},
		{"2", []string{`<span class="pill partial" title="imported as a partial scan (asked for): nothing closed">partial</span>`}, []string{"scan-partial-reason"}},
		{"3", []string{"<td>0</td>\n      <td>1</td>"}, []string{"partial"}}, // reopened 0, closed 1
	} {
		r := row(c.id)
		for _, w := range c.want {
			if !strings.Contains(r, w) {
				t.Errorf("scan %s: row lacks %q:\n%s", c.id, w, r)
			}
		}
		for _, n := range c.not {
			if strings.Contains(r, n) {
				t.Errorf("scan %s: row has %q:\n%s", c.id, n, r)
			}
		}
	}
}
