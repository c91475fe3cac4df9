package pytm

import (
	"errors"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/threatmodel"
	"github.com/rampart-security/rampart/internal/threatmodel/importtest"
)

func fixture(t testing.TB) []byte { return importtest.Testdata(t, "blog.json") }

func TestParse(t *testing.T) {
	m, warns, err := Parse(fixture(t), "blog.json")
	if err != nil {
		t.Fatal(err)
	}
	if m.Title != "Blog" || len(m.Elements) != 3 || len(m.Boundaries) != 3 || len(m.Flows) != 2 || len(warns) != 1 {
		t.Fatalf("model %+v warnings %v", m, warns)
	}
	if m.Boundary("backend").Parent != "dmz" {
		t.Errorf("nested boundary: %+v", m.Boundary("backend"))
	}
	if w := m.Element("web"); w.Boundary != "dmz" || !w.InputValidation || w.Authorization != "role_based" || w.Type != threatmodel.TypeProcess {
		t.Errorf("web %+v", w)
	}
	if p := m.Element("posts"); p.Type != threatmodel.TypeDataStore || p.Kind != "database" {
		t.Errorf("posts %+v", p)
	}
	if a := m.Asset("session-token"); !a.Secret || a.Confidentiality != "critical" {
		t.Errorf("token %+v", a)
	}
	if f := m.Flow("post-comment"); !f.Encrypted || f.Protocol != "https" || len(f.Data) != 2 {
		t.Errorf("flow %+v", f)
	}
	if len(m.Threats) != 1 || m.Threats[0].ID != "pytm:INP02@web" || m.Threats[0].Severity != "high" {
		t.Errorf("findings %+v", m.Threats)
	}
}

func TestMalformed(t *testing.T) {
	for _, in := range []string{`{"elements": [], "flows": []}`, `{"name": "x", "elements": "no"}`, `{"name": "x", "flows": [{"name": "f", "source": "a", "sink": "b"}]}`, `[`} {
		if _, _, err := Parse([]byte(in), "in.json"); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(fixture(f))
	f.Add(importtest.Testdata(f, "responses.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _, err := Parse(data, "fuzz.json")
		if err != nil {
			return
		}
		importtest.Reparse(t, m)
	})
}

// TestOldAuthenticatedWith: pytm before mid-2024 wrote authenticatedWith
// as a boolean; such a model imports, and true means authenticated.
func TestOldAuthenticatedWith(t *testing.T) {
	for in, want := range map[string]bool{`false`: false, `true`: true, `"OAuth"`: true, `""`: false, `null`: false} {
		if got := authenticated([]byte(in)); got != want {
			t.Errorf("%s: %v", in, got)
		}
	}
}

func TestOldAuthenticatedWithModel(t *testing.T) {
	b := fixture(t)
	old := strings.Replace(string(b), `"isEncrypted"`, `"authenticatedWith": false, "isEncrypted"`, 1)
	if old == string(b) {
		t.Skip("fixture has no flow with isEncrypted")
	}
	if _, _, err := Parse([]byte(old), "old-pytm.json"); err != nil {
		t.Fatalf("pytm model with boolean authenticatedWith: %v", err)
	}
}

// TestFindingTargetsAndResponses: a finding on a flow or a boundary targets
// it (not the model), an override's response sets the status, pytm's
// "Very High"/"Very Low" severities keep their band, tlsVersion encrypts a
// flow, elements listed only under assets (pytm 1.3) are imported, and so
// are the model's assumptions and the findings they excluded (not
// applicable, with the assumption as the reason).
func TestFindingTargetsAndResponses(t *testing.T) {
	m, warns, err := Parse(importtest.Testdata(t, "responses.json"), "responses.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Elements) != 3 || m.Element("db") == nil || m.Element("db").Type != threatmodel.TypeDataStore {
		t.Fatalf("elements %+v", m.Elements)
	}
	if !m.Flow("login").Encrypted || m.Flow("query").Encrypted {
		t.Errorf("flows %+v", m.Flows)
	}
	want := map[string]struct{ target, status, severity string }{
		"pytm:DE01@login":    {"login", threatmodel.StatusMitigated, "medium"},
		"pytm:INP01@db":      {"db", threatmodel.StatusAccepted, "critical"},
		"pytm:AC01@internet": {"internet", threatmodel.StatusAccepted, "low"},
		"pytm:DO01@web":      {"web", threatmodel.StatusOpen, "high"},
		"pytm:DS01@model":    {"", threatmodel.StatusOpen, "low"},
		"pytm:INP07@web":     {"web", threatmodel.StatusNotApplicable, "high"},
	}
	if len(m.Threats) != len(want) {
		t.Errorf("threats %+v", m.Threats)
	}
	for _, d := range m.Threats {
		w, ok := want[d.ID]
		if !ok || d.Target != w.target || d.Status != w.status || d.Severity != w.severity {
			t.Errorf("%s = %+v, want %+v", d.ID, d, w)
		}
		if d.ID == "pytm:DE01@login" && (!strings.Contains(d.Description, "monitors data streams") || !strings.Contains(d.Description, "capec.mitre.org")) {
			t.Errorf("details and references lost: %q", d.Description)
		}
		if d.ID == "pytm:AC01@internet" && !strings.Contains(d.Reason, "transferred") {
			t.Errorf("reason %q", d.Reason)
		}
	}
	for _, d := range m.Threats {
		if d.ID == "pytm:INP07@web" && d.Reason != `excluded in pytm by the assumption "No XML"` {
			t.Errorf("excluded finding reason %q", d.Reason)
		}
	}
	if len(m.Assumptions) != 2 || m.Assumptions[0].Description != "Admins are trusted" || m.Assumptions[1].Description != "No XML: The web tier parses no XML (excludes INP07)" {
		t.Errorf("assumptions %+v", m.Assumptions)
	}
	joined := strings.Join(warns, "\n")
	if len(warns) != 2 || !strings.Contains(joined, `response "ignored"`) || !strings.Contains(joined, `names "Gone"`) {
		t.Errorf("warnings %v", warns)
	}
	importtest.Reparse(t, m)
}
