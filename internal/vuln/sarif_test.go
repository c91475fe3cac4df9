package vuln

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/sarif"
)

func TestWriteSARIF(t *testing.T) {
	busybox := &inventory.Component{Name: "busybox", Version: "1.35.0", PURL: "pkg:generic/busybox@1.35.0"}
	fw := &inventory.Component{Name: "fw", Version: "1.2"}
	zlib := &Advisory{ID: "OSV-2", Details: "First line.\nMore.", References: []Reference{{Type: "WEB", URL: "https://w"}, {Type: "ADVISORY", URL: "https://a"}}}
	bb := &Advisory{ID: "CVE-1", Summary: strings.Repeat("x", 250), Aliases: []string{"GHSA-1"}}
	matches := []Match{
		{Component: fw, Advisory: zlib, Severity: LevelMedium, Reason: "range", FixedVersions: []string{"1.3"}},
		{Component: busybox, Advisory: bb, Severity: LevelCritical, CVSSScore: 9.8, KEV: true, EPSS: 0.5, Reason: "purl"},
		{Component: busybox, Advisory: zlib, Severity: LevelLow, Suppressed: &VEXStatement{}},
	}
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, "bom.json", "1.0", matches); err != nil {
		t.Fatal(err)
	}
	if err := sarif.Validate(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Name, Version string
					Rules         []struct {
						ID               string
						Name             string
						HelpURI          string `json:"helpUri"`
						ShortDescription struct{ Text string }
						FullDescription  struct{ Text string }
						Help             struct{ Text string }
						Properties       map[string]any
					}
				}
			}
			Results []struct {
				RuleID              string `json:"ruleId"`
				RuleIndex           int    `json:"ruleIndex"`
				Level               string
				Message             struct{ Text string }
				PartialFingerprints map[string]string
				Properties          map[string]any
				Locations           []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	r := log.Runs[0]
	d := r.Tool.Driver
	if d.Name != "rampart" || d.Version != "1.0" || len(d.Rules) != 2 || d.Rules[0].ID != "CVE-1" || d.Rules[1].ID != "OSV-2" {
		t.Fatalf("driver (rules sorted, suppressed match left out): %+v", d)
	}
	if ru := d.Rules[0]; ru.Name != "CVE1" || len([]rune(ru.ShortDescription.Text)) != 200 || len(ru.FullDescription.Text) != 250 ||
		ru.Help.Text != "CVE-1 (GHSA-1)" || ru.Properties["security-severity"] != "9.8" {
		t.Errorf("CVE-1 rule %+v", ru)
	}
	if ru := d.Rules[1]; ru.ShortDescription.Text != "First line." || ru.HelpURI != "https://a" || ru.Properties["security-severity"] != nil {
		t.Errorf("OSV-2 rule %+v", ru)
	}
	if len(r.Results) != 2 {
		t.Fatalf("%d results", len(r.Results))
	}
	first, second := r.Results[0], r.Results[1]
	if first.RuleID != "OSV-2" || first.RuleIndex != 1 || first.Level != "warning" || first.PartialFingerprints["rampart/v1"] != "OSV-2|fw@1.2" ||
		first.Message.Text != "fw 1.2 is affected by OSV-2 (medium). range. Fixed in 1.3." {
		t.Errorf("first result %+v", first)
	}
	if second.RuleIndex != 0 || second.Level != "error" || second.Properties["kev"] != true || second.Properties["component"] != busybox.PURL ||
		!strings.Contains(second.Message.Text, "known exploited") {
		t.Errorf("second result %+v", second)
	}
	if loc := second.Locations[0].PhysicalLocation; loc.ArtifactLocation.URI != "bom.json" || loc.Region.StartLine != 1 {
		t.Errorf("location %+v", loc)
	}
}
