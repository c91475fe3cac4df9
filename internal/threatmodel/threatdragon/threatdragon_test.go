package threatdragon

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/threatmodel"
	"github.com/rampart-security/rampart/internal/threatmodel/importtest"
)

func TestParseV2(t *testing.T) {
	m, warns, err := Parse(importtest.Testdata(t, "v2-door.json"), "v2-door.json")
	if err != nil {
		t.Fatal(err)
	}
	if m.Title != "Door lock" || m.Owner != "Ana" || len(m.Elements) != 3 || len(m.Boundaries) != 2 {
		t.Fatalf("model %+v", m)
	}
	p := m.Element("lock-firmware")
	if p == nil || p.Type != threatmodel.TypeProcess || !p.Privileged || p.Boundary != "lock-hardware" || p.SourceID != "p1" {
		t.Errorf("process %+v", p)
	}
	if b := m.Boundary("lock-hardware"); b.Parent != "home" || b.SourceID != "tb2" {
		t.Errorf("nested box: parent %q", b.Parent)
	}
	if s := m.Element("access-log"); s.Kind != "log" || len(s.Stores) != 1 || !m.Asset(s.Stores[0]).Secret || s.Boundary != "home" {
		t.Errorf("store %+v", s)
	}
	if a := m.Element("resident"); a.Type != threatmodel.TypeExternalEntity || a.Boundary != "" {
		t.Errorf("actor %+v", a)
	}
	if len(m.Flows) != 3 || m.Flow("lock-firmware-to-resident") == nil || m.Flow("resident-to-lock-firmware").Protocol != "ble" || !m.Flow("resident-to-lock-firmware").Encrypted || m.Flow("resident-to-lock-firmware").SourceID != "f1" {
		t.Errorf("flows %+v", m.Flows)
	}
	// Flows ending in a point of the canvas are not flows of the model, but
	// their recorded threats are kept (issue 14): on the one element the
	// flow is attached to, else on the model, each with a warning.
	want := []string{
		`flow f3 ("Dangling") is attached to one element only (access-log): not imported as a flow; its 1 recorded threat(s) kept on access-log`,
		`flow f4 ("Loose") is attached to no element: not imported as a flow; its 1 recorded threat(s) kept on the model`,
	}
	if !slices.Equal(warns, want) {
		t.Errorf("warnings\n got %q\nwant %q", warns, want)
	}
	got := map[string]threatmodel.ThreatDecision{}
	for _, d := range m.Threats {
		got[d.ID] = d
	}
	if d := got["TD-t-1@lock-firmware"]; d.Status != "open" || d.STRIDE != "tampering" || d.Severity != "high" || d.Mitigation != "Use nonces" {
		t.Errorf("threat t-1 %+v", d)
	}
	if d := got["TD-t-2@lock-firmware"]; d.Status != "not_applicable" || d.Reason == "" {
		t.Errorf("threat t-2 %+v", d)
	}
	if d := got["TD-access-log-1@access-log"]; d.Status != "mitigated" || d.STRIDE != "repudiation" {
		t.Errorf("threat without id %+v", d)
	}
	if d := got["TD-t-9@f3"]; d.Target != "access-log" || d.Status != "open" || d.STRIDE != "tampering" || d.Severity != "medium" || d.Mitigation != "Authenticate writers" ||
		d.Description != `Recorded in Threat Dragon on flow f3 ("Dangling"), which is not attached to two elements. Anyone can write to the log.` {
		t.Errorf("threat of the one-ended flow %+v", d)
	}
	if d := got["TD-f4-1@f4"]; d.Target != "" || d.Status != "mitigated" || d.Title != "Unreviewed channel" || d.STRIDE != "information_disclosure" {
		t.Errorf("threat of the unattached flow %+v", d)
	}
	if m.Flow("f3") != nil || m.Flow("f4") != nil {
		t.Error("a flow without two elements became a flow")
	}
	lib, _ := threatmodel.DefaultLibrary()
	res := lib.Check(m)
	ids := []string{}
	for _, th := range res.Threats {
		ids = append(ids, th.ID)
	}
	if !slices.Contains(ids, "TD-t-1@lock-firmware") || !slices.Contains(ids, "STORE-005@access-log") {
		t.Errorf("check of imported model: %v", ids)
	}
}

func TestParseV1(t *testing.T) {
	m, _, err := Parse(importtest.Testdata(t, "v1-door.json"), "v1-door.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Elements) != 3 || len(m.Flows) != 2 || len(m.Boundaries) != 1 || len(m.Threats) != 1 {
		t.Fatalf("model: %d elements %d flows %d boundaries %d threats", len(m.Elements), len(m.Flows), len(m.Boundaries), len(m.Threats))
	}
	if m.Element("lock-firmware").Name != "Lock firmware" || m.Flow("resident-to-lock-firmware").Name != "Unlock" || m.Flow("lock-firmware-to-keys").Name != "Read key" {
		t.Errorf("names: %q %q %q", m.Element("lock-firmware").Name, m.Flow("resident-to-lock-firmware").Name, m.Flow("lock-firmware-to-keys").Name)
	}
	if m.Threats[0].STRIDE != "spoofing" || m.Threats[0].Target != "lock-firmware" {
		t.Errorf("threat %+v", m.Threats[0])
	}
}

func TestMalformed(t *testing.T) {
	for _, in := range []string{`{"version":"2","summary":{"titled":"x"},"details":{}}`, `{"summary":{"title":"x"}}`, `{"summary":{"title":"x"},"detail":{}}`,
		`{"summary":{"title":"x","description":0},"detail":{"diagrams":[]}}`, `[1,2]`, `{"summary":{"title":"x"},"detail":{"diagrams":[{"cells":"no"}]}}`} {
		if _, _, err := Parse([]byte(in), "in.json"); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: error %v, want ErrMalformed", in, err)
		}
	}
	if _, _, err := Parse(importtest.Testdata(t, "malformed.json"), "malformed.json"); err == nil {
		t.Error("malformed.json imported")
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"v2-door.json", "v1-door.json", "malformed.json", "threat-ids.json", "two-diagrams.json"} {
		f.Add(importtest.Testdata(f, n))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _, err := Parse(data, "fuzz.json")
		if err != nil {
			return
		}
		if err := threatmodel.Validate(m); err != nil {
			t.Fatalf("imported model does not validate: %v", err)
		}
		importtest.Reparse(t, m)
	})
}

// TestThreatIDsAndScore: Threat Dragon 1.x threats, which have a threatId
// and no id, keep that id (they were numbered by position, so reordering
// them in Threat Dragon changed every decision's id), and a v2 threat's
// score is kept in its description; the statuses later v2 releases added
// (Accepted, Transferred, Avoided, Eliminated) are not read as open.
func TestThreatIDsAndScore(t *testing.T) {
	m, _, err := Parse(importtest.Testdata(t, "threat-ids.json"), "threat-ids.json")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]threatmodel.ThreatDecision{}
	for _, d := range m.Threats {
		got[d.ID] = d
	}
	if d, ok := got["TD-70f242db-d204-4820-9671-77f6e694729e@hub"]; !ok || d.Status != threatmodel.StatusNotApplicable || d.STRIDE != "repudiation" {
		t.Errorf("v1 threat by threatId: %+v (have %v)", d, m.Threats)
	}
	if _, ok := got["TD-a749c4c7-d406-42dd-b61f-77ea88e2aeb9@hub"]; !ok {
		t.Errorf("second v1 threat: have %v", m.Threats)
	}
	if d := got["TD-46aaab10-d022-4719-b6f6-4fba2be9ff16@keys"]; !strings.Contains(d.Description, "Score in Threat Dragon: 8.1") {
		t.Errorf("v2 score lost: %+v", d)
	}
	for id, want := range map[string]string{"t-transferred": threatmodel.StatusAccepted, "t-avoided": threatmodel.StatusMitigated,
		"t-eliminated": threatmodel.StatusMitigated, "t-accepted": threatmodel.StatusAccepted} {
		if d := got["TD-"+id+"@keys"]; d.Status != want || threatmodel.NeedsReason(want) && !strings.Contains(d.Reason, "in Threat Dragon") {
			t.Errorf("%s: %+v, want status %s", id, d, want)
		}
	}
	importtest.Reparse(t, m)
}

// TestBoxesPerDiagram: each diagram has its own canvas, so a boundary box
// holds (and nests in) only what its own diagram draws inside it; before,
// an element of one diagram landed in a box of another drawn at the same
// coordinates. A flow's reason for being out of scope is kept in its
// description.
func TestBoxesPerDiagram(t *testing.T) {
	m, _, err := Parse(importtest.Testdata(t, "two-diagrams.json"), "two-diagrams.json")
	if err != nil {
		t.Fatal(err)
	}
	if b := m.Element("api").Boundary; b != "vpc" {
		t.Errorf("api in %q, want vpc", b)
	}
	if b := m.Element("resident").Boundary; b != "house" {
		t.Errorf("resident in %q, want house (its own diagram's box)", b)
	}
	if b := m.Element("backup").Boundary; b != "" {
		t.Errorf("backup in %q, want none", b)
	}
	if p := m.Boundary("house").Parent; p != "" {
		t.Errorf("house nested in %q, a box of another diagram", p)
	}
	if f := m.Flow("resident-to-backup"); f == nil || !f.OutOfScope || !strings.Contains(f.Description, "Out of scope: Done by the NAS vendor") {
		t.Errorf("out-of-scope flow %+v", f)
	}
}
