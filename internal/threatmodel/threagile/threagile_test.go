package threagile

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/threatmodel"
	"github.com/rampart-security/rampart/internal/threatmodel/importtest"
)

func includes(name string) ([]byte, error) { return os.ReadFile(filepath.Join("testdata", name)) }

func TestParse(t *testing.T) {
	m, warns, err := Parse(importtest.Testdata(t, "camera.yaml"), "camera.yaml", Options{ReadInclude: includes})
	if err != nil {
		t.Fatal(err)
	}
	if m.Title != "Camera" || m.Owner != "Cy" || len(m.Elements) != 3 || len(m.Assets) != 2 || len(m.Boundaries) != 3 {
		t.Fatalf("model %+v", m)
	}
	cam := m.Element("camera")
	if cam.Type != threatmodel.TypeDevice || cam.Boundary != "home" || len(cam.Stores) != 2 || cam.EncryptedAtRest {
		t.Errorf("camera %+v", cam)
	}
	if c := m.Element("cloud"); c.Kind != "web_app" || !c.InternetFacing || !c.EncryptedAtRest || c.Boundary != "vpc" {
		t.Errorf("cloud %+v", c)
	}
	if v := m.Element("viewer"); v.Type != threatmodel.TypeExternalEntity || !v.OutOfScope || v.Kind != "user" {
		t.Errorf("viewer %+v", v)
	}
	if m.Boundary("vpc").Parent != "aws" || m.Boundary("aws").Type != "cloud" {
		t.Errorf("boundaries %+v", m.Boundaries)
	}
	if a := m.Asset("cloud-credentials"); a == nil || !a.Secret || a.Confidentiality != "critical" {
		t.Errorf("included asset %+v", a)
	}
	var up *threatmodel.Flow
	for i := range m.Flows {
		if m.Flows[i].From == "camera" {
			up = &m.Flows[i]
		}
	}
	if up == nil || up.Encrypted || up.Authentication != "password" || up.Authorization != "technical_user" || up.Network != "internet" {
		t.Errorf("upload flow %+v", up)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "ghost") {
		t.Errorf("warnings %v", warns)
	}
	st := map[string]threatmodel.ThreatDecision{}
	for _, d := range m.Threats {
		st[d.ID] = d
	}
	if d, ok := st["threagile:lens-tampering@camera"]; !ok || d.Severity != "high" || d.STRIDE != "tampering" || d.CWE[0] != 1263 || d.Mitigation == "" {
		t.Errorf("individual risk %+v", d)
	}
	var accepted, fp int
	for _, d := range m.Threats {
		switch d.Status {
		case threatmodel.StatusAccepted:
			accepted++
		case threatmodel.StatusNotApplicable:
			fp++
		}
	}
	if accepted != 1 || fp != 1 {
		t.Errorf("tracked risks: %d accepted %d false-positive: %+v", accepted, fp, m.Threats)
	}
}

func TestMalformed(t *testing.T) {
	cases := map[string]string{
		"no assets":     "threagile_version: 1.0.0\ntitle: x\n",
		"dangling link": "technical_assets:\n  A:\n    id: a\n    type: process\n    communication_links:\n      L:\n        target: b\n",
		"bad type":      "technical_assets:\n  A:\n    id: a\n    type: robot\n",
		"no id":         "technical_assets:\n  A:\n    type: process\n",
		"not a map":     "technical_assets: [1, 2]\n",
		"include":       "includes: [x.yaml]\ntechnical_assets:\n  A: {id: a}\n",
		"syntax":        "technical_assets: {\n",
	}
	for name, in := range cases {
		_, _, err := Parse([]byte(in), name, Options{})
		if err == nil {
			t.Errorf("%s: imported", name)
		}
		if name != "include" && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v does not wrap ErrMalformed", name, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(importtest.Testdata(f, "camera.yaml"))
	f.Add(importtest.Testdata(f, "camera-assets.yaml"))
	f.Add(importtest.Testdata(f, "risks.yaml"))
	f.Add(importtest.Testdata(f, "parsed.yaml"))
	f.Add(importtest.Testdata(f, "merge.yaml"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _, err := Parse(data, "fuzz.yaml", Options{ReadInclude: func(string) ([]byte, error) { return importtest.Testdata(t, "camera-assets.yaml"), nil }})
		if err != nil {
			return
		}
		importtest.Reparse(t, m)
	})
}

// TestTrackedRiskKeepsCategory: a risk_tracking entry keeps its category's
// title, STRIDE category and CWE (built-in unencrypted-communication:
// CWE-319), besides its status.
// TestBuiltinCategories: a tracked risk of any of Threagile's built-in
// categories keeps its STRIDE category (dos-risky-access-across-trust-boundary
// is denial of service; it fell back to tampering), as a parsed model's
// built_in_risk_categories gives it.
func TestBuiltinCategories(t *testing.T) {
	m, _, err := Parse(importtest.Testdata(t, "risks.yaml"), "risks.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Threats {
		if d.ID == "threagile:dos-risky-access-across-trust-boundary/any/any/any" {
			if d.Title != "DoS-risky Access Across Trust-Boundary" || d.STRIDE != "denial_of_service" || len(d.CWE) != 1 || d.CWE[0] != 400 {
				t.Errorf("tracked built-in risk %+v", d)
			}
			return
		}
	}
	t.Fatal("tracked risk missing")
}

func TestTrackedRiskKeepsCategory(t *testing.T) {
	m, _, err := Parse(importtest.Testdata(t, "camera.yaml"), "camera.yaml", Options{ReadInclude: func(string) ([]byte, error) { return importtest.Testdata(t, "camera-assets.yaml"), nil }})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range m.Threats {
		if strings.HasPrefix(d.ID, "threagile:unencrypted-communication") {
			found = true
			if d.Title != "Unencrypted Communication" || d.STRIDE != "information_disclosure" || len(d.CWE) != 1 || d.CWE[0] != 319 || !strings.Contains(d.Description, "category unencrypted-communication") {
				t.Errorf("tracked risk %+v", d)
			}
		}
	}
	if !found {
		t.Fatal("tracked risk missing")
	}
}

// TestIndividualRisksAndTracking: risks of one category on one technical
// asset but different links stay apart (Threagile's synthetic risk id names
// every relevant element), a risk on a link or a boundary targets it, and
// risk_tracking by that id or by wildcard sets the identified risk's status
// (the exact id over the wildcard) instead of adding a second decision.
func TestIndividualRisksAndTracking(t *testing.T) {
	m, warns, err := Parse(importtest.Testdata(t, "risks.yaml"), "risks.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]threatmodel.ThreatDecision{}
	for _, d := range m.Threats {
		byID[d.ID] = d
	}
	stock := m.Flows[1].ID
	want := map[string]struct{ target, status, severity, reason string }{
		"threagile:query-flood@db@shop>order-query":                    {"db", threatmodel.StatusMitigated, "high", "Rate limited"},
		"threagile:query-flood@db@shop>stock-query":                    {"db", threatmodel.StatusAccepted, "medium", "Internal only"},
		"threagile:query-flood@intranet":                               {"intranet", threatmodel.StatusOpen, "low", ""},
		"threagile:query-flood@shop>stock-query@orders":                {stock, threatmodel.StatusNotApplicable, "low", "Read only"},
		"threagile:missing-hardening/any":                              {"", threatmodel.StatusMitigated, "medium", ""},
		"threagile:dos-risky-access-across-trust-boundary/any/any/any": {"", threatmodel.StatusOpen, "medium", ""},
		"threagile:xml-external-entity/shop":                           {"shop", threatmodel.StatusOpen, "medium", ""},
	}
	if len(m.Threats) != len(want) {
		t.Errorf("%d threats, want %d: %+v", len(m.Threats), len(want), m.Threats)
	}
	for id, w := range want {
		d, ok := byID[id]
		if !ok {
			t.Errorf("threat %s missing (have %v)", id, m.Threats)
			continue
		}
		if d.Target != w.target || d.Status != w.status || d.Severity != w.severity || d.Reason != w.reason {
			t.Errorf("%s = %+v, want %+v", id, d, w)
		}
	}
	if d := byID["threagile:query-flood@db@shop>order-query"]; d.Owner != "Ann" || d.STRIDE != "denial_of_service" || d.CWE[0] != 400 {
		t.Errorf("tracked identified risk %+v", d)
	}
	if d := byID["threagile:query-flood@db@shop>order-query"]; !strings.Contains(d.Description, "Threagile rating: exploitation likelihood likely; exploitation impact medium; data breach probability improbable; data breach technical assets db.") {
		t.Errorf("risk rating lost: %q", d.Description)
	}
	if !strings.Contains(byID["threagile:query-flood@db@shop>stock-query"].Description, "OPS-1") {
		t.Errorf("ticket lost: %+v", byID["threagile:query-flood@db@shop>stock-query"])
	}
	if d := byID["threagile:dos-risky-access-across-trust-boundary/any/any/any"]; !strings.Contains(d.Description, "(in-progress in Threagile) (checked 2020-01-04)") {
		t.Errorf("tracking status and date lost: %q", d.Description)
	}
	joined := strings.Join(warns, "\n")
	if !strings.Contains(joined, `risk_tracking "xml-external-entity@shop": status "fixed" is not one of Threagile's`) {
		t.Errorf("unknown tracking status not warned: %v", warns)
	}
	if !strings.Contains(joined, "tags of 1 data assets, trust boundaries and communication links not imported (Rampart keeps tags on elements only): communication link shop>Stock Query") {
		t.Errorf("link tags not warned: %v", warns)
	}
	if !strings.Contains(joined, `shared runtime "vm" (running shop, db)`) || !strings.Contains(joined, "abuse_cases (1 entries)") {
		t.Errorf("warnings %v", warns)
	}
	importtest.Reparse(t, m)
}

// TestParsedModelRisks: a parsed model (what Threagile writes) keeps its
// risks under generated_risks_by_category, with categories in
// custom_risk_categories and built_in_risk_categories lists; each becomes a
// decision with its category's title, STRIDE category and CWE, its stated
// status, and the tracking that names its synthetic id. An enumeration a
// parsed model leaves out has its first value.
func TestParsedModelRisks(t *testing.T) {
	m, _, err := Parse(importtest.Testdata(t, "parsed.yaml"), "parsed.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Flows) != 1 || len(m.Flows[0].Data) != 1 {
		t.Fatalf("flows %+v", m.Flows)
	}
	if e := m.Element("shop"); e.Technology != "web-server" || e.Kind != "web_app" { // technologies as YAML writes them (name, lower case)
		t.Errorf("shop %+v", e)
	}
	byID := map[string]threatmodel.ThreatDecision{}
	for _, d := range m.Threats {
		byID[d.ID] = d
	}
	if len(m.Threats) != 3 {
		t.Errorf("threats %+v", m.Threats)
	}
	// Enumerations left out as their first value.
	if e := m.Element("customer"); e.Type != threatmodel.TypeExternalEntity || e.Kind != "user" {
		t.Errorf("customer %+v", e)
	}
	if a := m.Asset("catalogue"); a.Confidentiality != "low" || a.Integrity != "low" || a.Availability != "low" {
		t.Errorf("catalogue %+v", a)
	}
	if b := m.Boundary("intranet"); b.Type != "network" {
		t.Errorf("intranet %+v", b)
	}
	if d := byID["threagile:phishing@customer"]; d.STRIDE != "spoofing" || d.Severity != "low" {
		t.Errorf("phishing %+v", d)
	}
	if d, ok := byID["threagile:query-flood@db"]; !ok || d.Title != "Query Flood" || d.Target != "db" || d.Severity != "high" || d.STRIDE != "denial_of_service" || d.CWE[0] != 400 || d.Mitigation != "Rate limit" || d.Status != threatmodel.StatusOpen {
		t.Errorf("custom risk %+v", d)
	}
	d, ok := byID["threagile:sql-nosql-injection@shop@shop>query"]
	if !ok || d.Title != "SQL/NoSQL-Injection" || d.Target != "shop" || d.Severity != "high" || d.CWE[0] != 89 || d.Status != threatmodel.StatusMitigated || d.Reason != "Prepared statements" || d.Owner != "Ann" ||
		!strings.Contains(d.Description, "against database Database via Query") {
		t.Errorf("built-in risk %+v", d)
	}
	importtest.Reparse(t, m)
}

// TestIncludeMerge: an included file's additions to a technical asset the
// model defines (a link, tags) and to list sections (custom risk
// categories) are merged as Threagile merges them, not dropped because the
// including file has the key; a value it gives differently is a warning.
func TestIncludeMerge(t *testing.T) {
	m, warns, err := Parse(importtest.Testdata(t, "merge.yaml"), "merge.yaml", Options{ReadInclude: includes})
	if err != nil {
		t.Fatal(err)
	}
	if m.Title != "Merge" || len(m.Flows) != 1 || m.Flows[0].From != "shop" || m.Flows[0].To != "db" {
		t.Errorf("title %q flows %+v", m.Title, m.Flows)
	}
	if tags := m.Element("shop").Tags; !slices.Equal(tags, []string{"web", "php"}) {
		t.Errorf("tags %v", tags)
	}
	ids := []string{}
	for _, d := range m.Threats {
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"threagile:cache-poisoning@shop", "threagile:query-flood@db"}) {
		t.Errorf("threats %v", ids)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], `include "merge-include.yaml" sets title to "Another title"`) {
		t.Errorf("warnings %v", warns)
	}
}

// TestAssetInSeveralBoundaries: an asset that a boundary and a boundary
// nested in it both list is placed in the inner one (it was placed in
// whichever came last by key); boundaries not nested in one another that
// list the same asset are a warning.
func TestAssetInSeveralBoundaries(t *testing.T) {
	// Threagile input format: trust_boundaries keyed by title, with
	// technical_assets_inside and trust_boundaries_nested.
	in := `threagile_version: 1.0.0
title: Boundaries
technical_assets:
  App: {id: app, type: process}
  Db: {id: db, type: datastore}
trust_boundaries:
  A Inner: {id: inner, type: execution-environment, technical_assets_inside: [app]}
  B Outer: {id: outer, type: network-on-prem, technical_assets_inside: [app, db], trust_boundaries_nested: [inner]}
  C Other: {id: other, type: network-on-prem, technical_assets_inside: [db]}
`
	m, warns, err := Parse([]byte(in), "boundaries.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b := m.Element("app").Boundary; b != "inner" {
		t.Errorf("app in %q, want inner", b)
	}
	if b := m.Element("db").Boundary; b != "outer" || len(warns) != 1 || !strings.Contains(warns[0], `technical asset "db" is inside trust boundaries outer, other`) {
		t.Errorf("db in %q, warnings %v", b, warns)
	}
}
