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
