package portfolio_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/blob"
	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/vuln"
)

const osvLodash = `{"id":"GHSA-35jh-r3h4-6jhm","aliases":["CVE-2021-23337"],"summary":"Command injection in lodash","modified":"2024-01-01T00:00:00Z",
 "affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}`

const kevLodash = `{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2026.09.11","dateReleased":"2026-09-11T12:00:00.000Z","count":1,
 "vulnerabilities":[{"cveID":"CVE-2021-23337","vendorProject":"lodash","product":"lodash","vulnerabilityName":"Lodash command injection","dateAdded":"2026-09-11",
 "shortDescription":"template command injection","requiredAction":"Apply updates","dueDate":"2026-10-02","knownRansomwareCampaignUse":"Unknown","notes":""}]}`

// shippedRelease creates a product with a shipped (or other status) release
// holding lodash 4.17.15.
func shippedRelease(t *testing.T, st *store.Store, name, version string, status inventory.ReleaseStatus, supportEnd *time.Time) inventory.Release {
	t.Helper()
	ctx := context.Background()
	p, err := st.ProductByName(ctx, name)
	if err != nil {
		p = inventory.Product{Name: name}
		if err := st.CreateProduct(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	rel := inventory.Release{ProductID: p.ID, Version: version, Status: status, SupportEnd: supportEnd}
	if err := st.CreateRelease(ctx, &rel); err != nil {
		t.Fatal(err)
	}
	comps := []inventory.Component{{Ref: "pkg:npm/lodash@4.17.15", Name: "lodash", Version: "4.17.15", PURL: "pkg:npm/lodash@4.17.15"}}
	if err := st.ImportComponents(ctx, rel.ID, comps, blob.New("bom.json", "application/json", []byte(version))); err != nil {
		t.Fatal(err)
	}
	rel, err = st.Release(ctx, rel.ID)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

func writeFeeds(t *testing.T, withKEV bool) []string {
	dir := t.TempDir()
	osvPath := filepath.Join(dir, "GHSA-35jh-r3h4-6jhm.json")
	if err := os.WriteFile(osvPath, []byte(osvLodash), 0o600); err != nil {
		t.Fatal(err)
	}
	paths := []string{osvPath}
	if withKEV {
		kevPath := filepath.Join(dir, "known_exploited_vulnerabilities.json")
		if err := os.WriteFile(kevPath, []byte(kevLodash), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, kevPath)
	}
	return paths
}

// TestKEVImportOpensIncidentOnce: a KEV entry matching a component of a
// shipped release in support opens one incident with aware_at = when the
// import ran; re-running the import opens nothing more; a second affected
// release is added to the open incident; development and out-of-support
// releases do not count.
func TestKEVImportOpensIncidentOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		past := time.Now().AddDate(-1, 0, 0)
		gw := shippedRelease(t, st, "Gateway", "2.1.0", inventory.StatusShipped, nil)
		shippedRelease(t, st, "Gateway", "3.0.0-dev", inventory.StatusDevelopment, nil)
		shippedRelease(t, st, "Gateway", "1.0.0", inventory.StatusShipped, &past)
		v := portfolio.NewVulns(st, nil)
		// OSV alone: a match, but no exploitation signal, no incident.
		importFeeds(t, st, writeFeeds(t, false)...)
		list, err := st.Incidents(ctx, incident.Filter{})
		if err != nil || len(list) != 0 {
			t.Fatalf("incidents without a KEV signal: %d %v", len(list), err)
		}
		before := time.Now().UTC().Add(-time.Second)
		for run := 0; run < 2; run++ {
			importFeeds(t, st, writeFeeds(t, true)...)
		}
		list, err = st.Incidents(ctx, incident.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 {
			t.Fatalf("%d incidents after two KEV imports, want 1", len(list))
		}
		inc := list[0]
		if inc.Kind != incident.KindVulnerability || inc.Vulnerability != "GHSA-35jh-r3h4-6jhm" || inc.AwareSignal != "kev" || inc.Phase != incident.PhaseDetection {
			t.Errorf("incident %+v", inc)
		}
		if len(inc.Releases) != 1 || inc.Releases[0] != gw.ID {
			t.Errorf("releases %v, want only the shipped in-support release %d", inc.Releases, gw.ID)
		}
		if inc.AwareAt.Before(before) || inc.AwareAt.After(time.Now()) {
			t.Errorf("aware_at %s is not when the import ran", inc.AwareAt)
		}
		if !strings.Contains(inc.Title, "Gateway 2.1.0") || !strings.Contains(inc.Details.Exploitation, "CISA") {
			t.Errorf("title %q exploitation %q", inc.Title, inc.Details.Exploitation)
		}
		// A second shipped release of another product is added to the open incident.
		cam := shippedRelease(t, st, "Camera", "5.0", inventory.StatusShipped, nil)
		if _, err := v.Rematch(ctx, cam.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := v.RematchAll(ctx); err != nil {
			t.Fatal(err)
		}
		list, _ = st.Incidents(ctx, incident.Filter{})
		if len(list) != 1 || len(list[0].Releases) != 2 || len(list[0].Products) != 2 {
			t.Fatalf("after a second product: %d incidents, %+v", len(list), list)
		}
		full, err := st.Incident(ctx, list[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(full.Timeline) != 2 || full.Timeline[0].Action != "open" || full.Timeline[1].Action != "release_added" {
			t.Errorf("timeline %+v", full.Timeline)
		}
		// The awareness is in the hash-chained audit log, and the chain holds.
		evs, err := st.AuditEvents(ctx, audit.Query{Action: "incident."})
		if err != nil || len(evs) != 2 {
			t.Fatalf("audit events %d %v", len(evs), err)
		}
		if !strings.Contains(evs[1].Detail, "via kev") {
			t.Errorf("awareness audit detail %q does not name the signal", evs[1].Detail)
		}
		if _, _, err := st.VerifyAudit(ctx); err != nil {
			t.Errorf("audit chain: %v", err)
		}
		// The owners are told: an event for the opened incident.
		if opened := storetest.CountEvents(t, st, "incident.opened"); opened != 1 {
			t.Errorf("%d incident.opened events, want 1", opened)
		}
	})
}

const euvdLodash = `[{"id":"EUVD-2026-10001","enisaUuid":"3b1c2d4e-0000-4000-8000-000000000001","description":"Command injection in lodash template.",
 "aliases":"CVE-2021-23337\n","exploitedSince":"Sep 12, 2026, 12:00:00 AM"}]`

const csafLodash = `{"document":{"category":"csaf_security_advisory","csaf_version":"2.0","publisher":{"category":"coordinator","name":"Example CERT","namespace":"https://cert.example"},
 "title":"lodash exploited","tracking":{"id":"EXCERT-SA-2026-0042","current_release_date":"2026-09-15T08:00:00Z"}},
 "vulnerabilities":[{"cve":"CVE-2021-23337","threats":[{"category":"exploit_status","date":"2026-09-14T00:00:00Z","details":"Exploitation in the wild observed"}]}]}`

// cve5Lodash is a CVE 5.1 record (CVEProject/cve-schema) of the lodash
// CVE whose CISA-ADP container carries vulnrichment's SSVC decision with
// "Exploitation: active" and no KEV listing.
const cve5Lodash = `{"dataType":"CVE_RECORD","dataVersion":"5.1",
 "cveMetadata":{"cveId":"CVE-2021-23337","assignerShortName":"snyk","state":"PUBLISHED","datePublished":"2021-02-15T12:15:00.000Z","dateUpdated":"2026-09-20T00:00:00.000Z"},
 "containers":{"cna":{"providerMetadata":{"orgId":"bae035ff-b466-4ff4-94d0-fc9efd9e1730","shortName":"snyk"},"title":"Command Injection",
  "descriptions":[{"lang":"en","value":"Lodash versions prior to 4.17.21 are vulnerable to Command Injection via the template function."}],
  "affected":[{"vendor":"n/a","product":"lodash","collectionURL":"https://www.npmjs.com","packageName":"lodash","defaultStatus":"unaffected",
   "versions":[{"version":"0","lessThan":"4.17.21","status":"affected","versionType":"semver"}]}]},
  "adp":[{"providerMetadata":{"orgId":"134c704f-9b21-4f2e-91b3-4a467353bcc0","shortName":"CISA-ADP"},"title":"CISA ADP Vulnrichment",
   "metrics":[{"other":{"type":"ssvc","content":{"id":"CVE-2021-23337","role":"CISA Coordinator","version":"2.0.3","timestamp":"2026-09-19T10:00:00.000000Z",
    "options":[{"Exploitation":"active"},{"Automatable":"no"},{"Technical Impact":"total"}]}}}]}]}}`

// TestCVE5ExploitationOpensIncident: a CVE record whose CISA-ADP SSVC
// decision says exploitation is active opens the incident like the EUVD's
// list does (the CRA's 24-hour clock starts), once however often the record
// is imported again.
func TestCVE5ExploitationOpensIncident(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		gw := shippedRelease(t, st, "Gateway", "2.1.0", inventory.StatusShipped, nil)
		dir := t.TempDir()
		osvPath, cvePath := filepath.Join(dir, "GHSA-35jh-r3h4-6jhm.json"), filepath.Join(dir, "CVE-2021-23337.json")
		for p, content := range map[string]string{osvPath: osvLodash, cvePath: cve5Lodash} {
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		for run := 0; run < 2; run++ {
			importFeeds(t, st, osvPath, cvePath)
		}
		list, err := st.Incidents(ctx, incident.Filter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("%d incidents, %v; want one from the CVE record's SSVC exploitation", len(list), err)
		}
		if inc := list[0]; inc.AwareSignal != string(vuln.SourceCVE5) || len(inc.Releases) != 1 || inc.Releases[0] != gw.ID {
			t.Errorf("incident %+v", inc)
		}
	})
}

// TestEUVDAndCSAFSignalsOpenIncidentOnce: the EU Vulnerability Database's
// exploited list opens the incident on its own (no KEV entry); a CSAF
// advisory saying the same is recorded on that incident as a second signal
// (no second incident, no release_added); re-running both imports changes
// nothing; a CSAF statement that denies exploitation is no signal.
func TestEUVDAndCSAFSignalsOpenIncidentOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		gw := shippedRelease(t, st, "Gateway", "2.1.0", inventory.StatusShipped, nil)
		v := portfolio.NewVulns(st, nil)
		write := tempWriter(t)
		osvPath := write("GHSA-35jh-r3h4-6jhm.json", osvLodash)
		denied := write("denied.json", strings.Replace(csafLodash, "Exploitation in the wild observed", "No known exploitation", 1))
		importFeeds(t, st, osvPath, denied)
		if list, _ := st.Incidents(ctx, incident.Filter{}); len(list) != 0 {
			t.Fatalf("a CSAF statement denying exploitation opened %d incidents", len(list))
		}
		euvdPath := write("exploitedvulnerabilities.json", euvdLodash)
		importFeeds(t, st, osvPath, euvdPath)
		list, err := st.Incidents(ctx, incident.Filter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("after the EUVD import: %d incidents, %v", len(list), err)
		}
		inc := list[0]
		if inc.AwareSignal != "euvd" || inc.Vulnerability != "GHSA-35jh-r3h4-6jhm" || len(inc.Releases) != 1 || inc.Releases[0] != gw.ID ||
			!strings.Contains(inc.Details.Exploitation, "EUVD-2026-10001") {
			t.Fatalf("incident %+v", inc)
		}
		csafPath := write("excert-sa-2026-0042.json", csafLodash)
		for run := 0; run < 2; run++ {
			rec, err := portfolio.ImportFeeds(ctx, st, "test", osvPath, euvdPath, csafPath)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Exploited != 2 {
				t.Errorf("import counted %d exploitation reports, want 2", rec.Exploited)
			}
			if _, err := v.RematchAll(ctx); err != nil {
				t.Fatal(err)
			}
		}
		list, _ = st.Incidents(ctx, incident.Filter{})
		if len(list) != 1 {
			t.Fatalf("%d incidents after re-running EUVD and CSAF imports, want 1", len(list))
		}
		full, err := st.Incident(ctx, list[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range full.Timeline {
			actions = append(actions, e.Action)
		}
		if strings.Join(actions, ",") != "open,signal" || !strings.Contains(full.Timeline[1].Detail, "EXCERT-SA-2026-0042") {
			t.Errorf("timeline %+v", full.Timeline)
		}
		// The match shows its exploitation reports.
		ms, err := st.ReleaseVulns(ctx, gw.ID)
		if err != nil || len(ms) != 1 || len(ms[0].Exploited) != 2 {
			t.Fatalf("matches %+v %v", ms, err)
		}
		if _, _, err := st.VerifyAudit(ctx); err != nil {
			t.Errorf("audit chain: %v", err)
		}
	})
}
