package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/notify"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/vuln"
)

// osvFixture is an OSV record written for this test (modelled on the Go
// vulnerability database format).
const osvFixture = `{"schema_version":"1.6.0","id":"GO-2099-0001","modified":"2099-01-02T00:00:00Z","published":"2099-01-01T00:00:00Z",
"aliases":["CVE-2099-12345","GHSA-aaaa-bbbb-cccc"],"summary":"Excessive memory use in HTTP/2 frame parsing",
"details":"A malicious peer can make the server allocate unbounded memory.",
"affected":[{"package":{"name":"golang.org/x/net","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.23.0"}]}]}],
"database_specific":{"url":"https://pkg.go.dev/vuln/GO-2099-0001"}}`

func TestVulnerabilitiesAPI(t *testing.T) {
	e := newEnv(t, "sqlite")
	ctx := context.Background()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "GO-2099-0001.json"), []byte(osvFixture), 0o644)
	os.WriteFile(filepath.Join(dir, "kev.json"), []byte(`{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2099.01.01","dateReleased":"2099-01-01T00:00:00.000Z","count":1,
"vulnerabilities":[{"cveID":"CVE-2099-12345","vendorProject":"Go","product":"x/net","vulnerabilityName":"x/net HTTP/2 DoS","dateAdded":"2099-01-01",
"shortDescription":"DoS","requiredAction":"Update","dueDate":"2099-01-22","knownRansomwareCampaignUse":"Unknown","notes":""}]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "epss-1.csv"), []byte("#model_version:v2025.03.14,score_date:2099-01-01T12:55:00Z\ncve,epss,percentile\nCVE-2099-12345,0.10000,0.90000\n"), 0o644)
	rec, err := portfolio.ImportFeeds(ctx, e.store, "test", dir)
	if err != nil || rec.Advisories != 1 || rec.KEV != 1 {
		t.Fatalf("import feeds: %+v %v", rec, err)
	}
	// A shipped release with a vulnerable and a fixed x/net.
	p := e.newProduct(t, "Fleet")
	rel := e.postRelease(t, "editor", p.ID, map[string]any{"version": "1", "status": "shipped"})
	bom := `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[
	 {"type":"library","bom-ref":"net-old","name":"golang.org/x/net","version":"v0.17.0","purl":"pkg:golang/golang.org/x/net@v0.17.0"},
	 {"type":"library","bom-ref":"net-new","name":"golang.org/x/net","version":"v0.23.0","purl":"pkg:golang/golang.org/x/net@v0.23.0"}]}`
	e.postSBOM(t, "editor", rel.ID, []byte(bom))
	var vulns struct{ Items []vuln.ReleaseVuln }
	e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/vulnerabilities", rel.ID), nil, &vulns)
	if len(vulns.Items) != 1 {
		t.Fatalf("matches: %+v", vulns.Items)
	}
	m := vulns.Items[0]
	if m.VulnID != "GO-2099-0001" || m.ComponentRef != "net-old" || !m.KEV || m.KEVDue != "2099-01-22" || m.FixedVersions[0] != "0.23.0" || m.Reason == "" {
		t.Errorf("match: %+v", m)
	}
	// A new match in a shipped release raised an event; being in CISA KEV,
	// it also opened an incident (the CRA clock), which raised its own.
	var evs struct{ Items []notify.Event }
	e.call(t, "viewer", "GET", "/api/v1/events", nil, &evs)
	if len(evs.Items) != 2 || !strings.Contains(evs.Items[1].Title, "Known exploited: GO-2099-0001") || evs.Items[0].Kind != "incident.opened" {
		t.Errorf("events: %+v", evs.Items)
	}
	// VEX: not_affected needs a justification; then the match is suppressed.
	path := fmt.Sprintf("/api/v1/releases/%d/vulnerabilities/CVE-2099-12345/analysis", rel.ID)
	if r := e.call(t, "editor", "PUT", path, map[string]string{"component": "net-old", "status": "not_affected"}, nil); r.StatusCode != 400 {
		t.Errorf("not_affected without justification: %d", r.StatusCode)
	}
	if r := e.call(t, "viewer", "PUT", path, map[string]string{"component": "net-old", "status": "affected"}, nil); r.StatusCode != 403 {
		t.Errorf("viewer analysis: %d", r.StatusCode)
	}
	if r := e.call(t, "editor", "PUT", path, map[string]string{"component": "net-old", "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}, nil); r.StatusCode != 200 {
		t.Fatalf("analysis: %d", r.StatusCode)
	}
	vulns.Items = nil
	e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/vulnerabilities", rel.ID), nil, &vulns)
	if len(vulns.Items) != 1 || !vulns.Items[0].Suppressed || vulns.Items[0].Analysis == nil || vulns.Items[0].Analysis.Justification != "vulnerable_code_not_in_execute_path" {
		t.Errorf("after VEX: %+v", vulns.Items)
	}
	// OpenVEX export carries the decision.
	r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/vex", rel.ID), nil, nil)
	var doc struct {
		Statements []struct {
			Vulnerability struct{ Name string } `json:"vulnerability"`
			Status        string                `json:"status"`
			Justification string                `json:"justification"`
		} `json:"statements"`
	}
	json.NewDecoder(r.Body).Decode(&doc)
	if len(doc.Statements) != 1 || doc.Statements[0].Status != "not_affected" || doc.Statements[0].Justification != "vulnerable_code_not_in_execute_path" {
		t.Errorf("OpenVEX: %+v", doc)
	}
	// The vulnerability page data: merged ids, KEV, affected releases.
	var vd struct {
		Advisory struct {
			ID      string
			Aliases []string
			KEV     *struct{ RansomwareUse string }
		}
		Releases []vuln.ReleaseVuln
	}
	if r := e.call(t, "viewer", "GET", "/api/v1/vulnerabilities/GHSA-aaaa-bbbb-cccc", nil, &vd); r.StatusCode != 200 || vd.Advisory.ID != "GO-2099-0001" || vd.Advisory.KEV == nil || len(vd.Releases) != 1 {
		t.Errorf("vulnerability: %d %+v", r.StatusCode, vd)
	}
	// A second day's EPSS scores extend the trend.
	dir2 := t.TempDir()
	os.WriteFile(filepath.Join(dir2, "epss-2.csv"), []byte("#model_version:v2025.03.14,score_date:2099-01-02T12:55:00Z\ncve,epss,percentile\nCVE-2099-12345,0.40000,0.97000\n"), 0o644)
	if _, err := portfolio.ImportFeeds(ctx, e.store, "test", dir2); err != nil {
		t.Fatal(err)
	}
	var trend struct {
		EPSSTrend []vuln.EPSSPoint `json:"epss_trend"`
	}
	e.call(t, "viewer", "GET", "/api/v1/vulnerabilities/GO-2099-0001", nil, &trend)
	if len(trend.EPSSTrend) != 2 || trend.EPSSTrend[0].Day != "2099-01-01" || trend.EPSSTrend[1].Score != 0.4 {
		t.Errorf("EPSS trend: %+v", trend.EPSSTrend)
	}
	if r := e.call(t, "viewer", "GET", "/vulnerabilities/GO-2099-0001", nil, nil); r.StatusCode == 200 {
		page, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(page), `id="epss-trend"`) {
			t.Error("vulnerability page has no EPSS trend chart")
		}
	}
	if r := e.call(t, "viewer", "GET", "/api/v1/vulnerabilities/CVE-0000-0000", nil, nil); r.StatusCode != 404 {
		t.Errorf("unknown vulnerability: %d", r.StatusCode)
	}
	// UI pages render.
	for _, path := range []string{fmt.Sprintf("/releases/%d", rel.ID), "/vulnerabilities/CVE-2099-12345", "/", fmt.Sprintf("/releases/%d/report", rel.ID)} {
		r := e.call(t, "viewer", "GET", path, nil, nil)
		var page strings.Builder
		io.Copy(&page, r.Body)
		if r.StatusCode != 200 || !strings.Contains(page.String(), "GO-2099-0001") && path != "/" {
			t.Errorf("%s: %d", path, r.StatusCode)
		}
	}
}
