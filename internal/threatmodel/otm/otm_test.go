package otm

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/threatmodel"
	"github.com/rampart-security/rampart/internal/threatmodel/importtest"
)

func fixture(t testing.TB) []byte { return importtest.Testdata(t, "thermostat.otm.yaml") }

func TestParse(t *testing.T) {
	m, warns, err := Parse(fixture(t), "thermostat.otm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m.Title != "Thermostat" || m.ID != "thermostat" || len(m.Elements) != 4 || len(m.Boundaries) != 3 {
		t.Fatalf("model %+v", m)
	}
	if e := m.Element("thermo"); e.Type != threatmodel.TypeDevice || e.Boundary != "tz-internet" || len(e.Stores) != 1 {
		t.Errorf("thermostat %+v", e)
	}
	if e := m.Element("handler"); e.Boundary != "tz-cloud" || e.Type != threatmodel.TypeProcess {
		t.Errorf("nested component should inherit its parent's zone: %+v", e)
	}
	if e := m.Element("db"); e.Type != threatmodel.TypeDataStore {
		t.Errorf("db %+v", e)
	}
	if b := m.Boundary("tz-private"); b.Parent != "tz-cloud" || m.Boundary("tz-cloud").Type != "cloud" {
		t.Errorf("zones %+v", m.Boundaries)
	}
	if f := m.Flow("df1"); !f.Encrypted || f.Protocol != "mqtts" || len(f.Data) != 1 {
		t.Errorf("flow %+v", f)
	}
	if m.Flow("df2-reverse") == nil || m.Flow("df3") != nil {
		t.Error("bidirectional flow not doubled or dangling flow kept")
	}
	if len(warns) != 2 {
		t.Errorf("warnings %v", warns)
	}
	if m.Asset("schedule").Integrity != "high" || m.Asset("schedule").Confidentiality != "medium" {
		t.Errorf("asset %+v", m.Asset("schedule"))
	}
	lib, _ := threatmodel.DefaultLibrary()
	res := lib.Check(m)
	var t1, t2 *threatmodel.Threat
	for i := range res.Threats {
		switch res.Threats[i].ID {
		case "OTM-t1@api":
			t1 = &res.Threats[i]
		case "OTM-t2@df1":
			t2 = &res.Threats[i]
		}
	}
	if t1 == nil || t1.Status != "mitigated" || t1.STRIDE != "tampering" || t1.Severity != "high" || t1.CWE[0] != "CWE-89" {
		t.Errorf("t1 %+v", t1)
	}
	if t2 == nil || t2.Status != "open" || t2.STRIDE != "information_disclosure" {
		t.Errorf("t2 %+v", t2)
	}
}

func TestExportRoundTrip(t *testing.T) {
	lib, _ := threatmodel.DefaultLibrary()
	for _, name := range threatmodel.Templates() {
		data, _ := threatmodel.Template(name)
		m, err := threatmodel.Parse(data, name)
		if err != nil {
			t.Fatal(err)
		}
		res := lib.Check(m)
		var buf bytes.Buffer
		if err := Export(&buf, m, res); err != nil {
			t.Fatal(err)
		}
		back, _, err := Parse(buf.Bytes(), name+".otm.json")
		if err != nil {
			t.Fatalf("%s: re-import: %v", name, err)
		}
		// Elements, flows and boundaries survive with their Rampart attributes.
		d := threatmodel.Compare(m, nil, back, nil)
		if len(d.Elements.Added)+len(d.Elements.Removed)+len(d.Elements.Changed)+len(d.Flows.Added)+len(d.Flows.Removed)+len(d.Flows.Changed)+len(d.Boundaries.Removed) > 0 {
			t.Errorf("%s: round trip changed elements/flows: %+v", name, d)
		}
		// Checking the re-imported model gives the same threats: rule
		// threats are found again (not duplicated as recorded threats), with
		// the same status, severity and explanation.
		again := lib.Check(back)
		if msg := importtest.SameThreats(res, again); msg != "" {
			t.Errorf("%s: %s", name, msg)
		}
		for _, d := range back.Threats {
			if d.Status == "" {
				t.Errorf("%s: %s has no status", name, d.ID)
			}
		}
	}
}

func TestMalformed(t *testing.T) {
	for _, in := range []string{`{"project":{"name":"x"}}`, `{"otmVersion":"0.2.0","project":{}}`, `otmVersion: [`, `{"otmVersion":"0.2.0","project":{"name":"x"},"components":"no"}`} {
		if _, _, err := Parse([]byte(in), "in"); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(fixture(f))
	f.Add(importtest.Testdata(f, "references.otm.json"))
	f.Add([]byte(`{"otmVersion":"0.2.0","project":{"name":"x","id":"x"},"components":[{"id":"a","name":"A","parent":{"component":"a"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _, err := Parse(data, "fuzz")
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Export(&buf, m, nil); err != nil {
			t.Fatal(err)
		}
		importtest.Reparse(t, m)
	})
}

// TestDanglingReferences: a parent trust zone or component, or a
// mitigation, that the file does not define, and a threat no instance
// names, are reported in a warning naming the zone, component or threat,
// instead of being lost silently.
func TestDanglingReferences(t *testing.T) {
	m, warns, err := Parse(importtest.Testdata(t, "references.otm.json"), "references.otm.json")
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(warns, "\n")
	for _, want := range []string{
		`trust zone "tz-dmz": parent trust zone "tz-gone"`,
		`trust zone "tz-pod" is inside component "web"`,
		`component "worker": parent trust zone "tz-missing"`,
		`component "plugin": parent component "host-gone"`,
		`threat "t1" on "web" refers to unknown mitigation "m-gone"`,
		`threat "t2" (Spoofing) is in the threats section but on no component or dataflow; not imported`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("no warning %q in %v", want, warns)
		}
	}
	if len(warns) != 6 {
		t.Errorf("%d warnings, want 6: %v", len(warns), warns)
	}
	if e := m.Element("web"); e.Boundary != "tz-dmz" {
		t.Errorf("web %+v", e)
	}
	if len(m.Threats) != 1 || len(m.Threats[0].Mitigations) != 1 || m.Threats[0].Mitigations[0] != "m1" || m.Mitigations[0].Status != threatmodel.MitigationImplemented {
		t.Errorf("threats %+v mitigations %+v", m.Threats, m.Mitigations)
	}
}
