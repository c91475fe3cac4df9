package threatmodel

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func mustLibrary(t testing.TB) *Library {
	t.Helper()
	lib, err := DefaultLibrary()
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

func mustTemplate(t testing.TB, name string) *Model {
	t.Helper()
	data, err := Template(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(data, name+".yaml")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseErrorsNamePosition(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown field", "title: x\nelements:\n  - id: a\n    name: A\n    type: process\n    colour: red\n", "m.yaml:6:5: elements[0]: unknown field \"colour\""},
		{"typo suggestion", "title: x\nelemnts: []\n", `unknown field "elemnts" (did you mean "elements"?)`},
		{"bad enum", "title: x\nelements:\n  - id: a\n    name: A\n    type: proces\n", `m.yaml:5:11: elements[0].type: "proces" is not one of`},
		{"dangling flow", "title: x\nelements:\n  - id: a\n    type: process\nflows:\n  - id: f\n    from: a\n    to: b\n", `m.yaml:8:9: flows[0].to: flow "f": destination "b" is not an element`},
		{"duplicate id", "title: x\nelements:\n  - id: a\n    type: process\n  - id: a\n    type: data_store\n", `m.yaml:5:9: elements[1].id: duplicate id "a"`},
		{"nested radio", "title: x\nelements:\n  - id: d\n    type: device\n    device:\n      radios:\n        - type: wify\n", `m.yaml:7:17: elements[0].device.radios[0].type: "wify" is not one of`},
		{"device attrs on process", "title: x\nelements:\n  - id: d\n    type: process\n    device: {secure_boot: true}\n", `device attributes on element "d" of type "process"`},
		{"accepted without reason", "title: x\nelements: []\nthreats:\n  - id: DEV-001@d\n    status: accepted\n", `m.yaml:4:5: threats[0].reason: threat "DEV-001@d" is accepted without a reason`},
		{"boundary cycle", "title: x\nboundaries:\n  - {id: a, name: A, parent: b}\n  - {id: b, name: B, parent: a}\nelements: []\n", `boundary "a" is nested in itself`},
		{"wrong type", "title: x\nelements:\n  - id: a\n    type: process\n    logging: maybe\n", "m.yaml:5:"},
		{"syntax", "title: x\nelements: [\n", "m.yaml:"},
		{"not a mapping", "- a\n- b\n", "m.yaml:1:1: a threat model must be a mapping"},
		{"empty", "", "empty model"},
		{"alias", "title: &t x\nid: *t\nelements: []\n", "aliases are not allowed"},
		{"bad id", "title: x\nelements:\n  - id: 'a b'\n    type: process\n", `id "a b" must start with`},
		{"unknown asset", "title: x\nelements:\n  - id: a\n    type: data_store\n    stores: [nope]\n", `m.yaml:5:14: elements[0].stores[0]: element "a": data asset "nope" is not defined`},
		{"unknown processed asset", "title: x\nassets:\n  - id: ok\n    name: OK\nelements:\n  - id: a\n    type: process\n    processes: [ok, nope]\n",
			`m.yaml:8:21: elements[0].processes[1]: element "a": data asset "nope" is not defined in assets`},
		{"unknown flow asset", "title: x\nelements:\n  - id: a\n    type: process\n  - id: b\n    type: process\nflows:\n  - id: f\n    from: a\n    to: b\n    data: [nope]\n",
			`m.yaml:11:12: flows[0].data[0]: flow "f": data asset "nope" is not defined in assets`},
		{"second document", "title: x\nelements: []\n---\ntitle: y\nelements:\n  - {id: b, type: process}\n", "m.yaml:4:1: a model file holds one document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "m.yaml")
			if err == nil {
				t.Fatal("want error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n  %v\nwant substring\n  %s", err, tt.want)
			}
		})
	}
}

// TestParseTrailingDocumentMarkers: a "---" or "..." that ends the model,
// with at most comments after it, is no second document.
func TestParseTrailingDocumentMarkers(t *testing.T) {
	for _, tail := range []string{"---\n", "---\n# end\n", "...\n"} {
		m, err := Parse([]byte("---\ntitle: x\nelements:\n  - {id: a, type: process}\n"+tail), "m.yaml")
		if err != nil || len(m.Elements) != 1 {
			t.Errorf("tail %q: %v", tail, err)
		}
	}
}

func TestParseJSON(t *testing.T) {
	m, err := Parse([]byte(`{"title":"j","elements":[{"id":"a","type":"process"},{"id":"b","type":"data_store"}],"flows":[{"id":"f","from":"a","to":"b"}]}`), "m.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Elements) != 2 || m.Flow("f") == nil || m.Element("a").Pos().Line != 1 {
		t.Fatalf("unexpected model %+v", m)
	}
}

func TestRuleLibrary(t *testing.T) {
	lib := mustLibrary(t)
	rules := lib.Rules()
	if len(rules) < 60 {
		t.Errorf("%d rules, want at least 60", len(rules))
	}
	iot, strideSeen := 0, map[string]bool{}
	for _, r := range rules {
		strideSeen[r.STRIDE] = true
		if len(r.CWE) == 0 && len(r.CAPEC) == 0 && len(r.ETSI) == 0 {
			t.Errorf("rule %s maps to no CWE, CAPEC or ETSI provision", r.ID)
		}
		if len(r.ETSI) > 0 && (slices.Contains(r.AppliesTo, TypeDevice) || strings.HasPrefix(r.ID, "DEV-") || strings.HasPrefix(r.ID, "PROD-")) {
			iot++
		}
		if !strings.HasPrefix(r.Source, "builtin:") {
			t.Errorf("rule %s source %q", r.ID, r.Source)
		}
	}
	if iot < 15 {
		t.Errorf("%d IoT rules mapped to ETSI EN 303 645, want at least 15", iot)
	}
	if len(strideSeen) != 6 {
		t.Errorf("rules cover STRIDE %v, want all six", strideSeen)
	}
}

func TestTemplatesCoverSTRIDEAndNameElements(t *testing.T) {
	lib := mustLibrary(t)
	if got := Templates(); !slices.Equal(got, []string{"industrial-gateway", "medical-wearable", "smart-home"}) {
		t.Fatalf("templates %v", got)
	}
	for _, name := range Templates() {
		t.Run(name, func(t *testing.T) {
			m := mustTemplate(t, name)
			res := lib.Check(m)
			if len(res.Warnings) > 0 {
				t.Errorf("warnings: %v", res.Warnings)
			}
			seen := map[string]int{}
			for _, th := range res.Threats {
				seen[th.STRIDE]++
				if th.Why == "" || strings.Contains(th.Why, "{{") {
					t.Errorf("%s: bad explanation %q", th.ID, th.Why)
				}
				switch {
				case m.Element(th.Target) != nil:
					if !strings.Contains(th.Why, m.Element(th.Target).Name) {
						t.Errorf("%s: explanation %q does not name %q", th.ID, th.Why, m.Element(th.Target).Name)
					}
				case m.Flow(th.Target) != nil:
					f := m.Flow(th.Target)
					if !strings.Contains(th.Why, m.Element(f.From).Name) && !strings.Contains(th.Why, m.Element(f.To).Name) {
						t.Errorf("%s: explanation %q names neither end of the flow", th.ID, th.Why)
					}
				}
				if !slices.Contains(STRIDECategories, th.STRIDE) || SeverityRank(th.Severity) < 0 {
					t.Errorf("%s: stride %q severity %q", th.ID, th.STRIDE, th.Severity)
				}
			}
			for _, c := range STRIDECategories {
				if seen[c] == 0 {
					t.Errorf("no %s threat (have %v)", c, seen)
				}
			}
		})
	}
}

func TestThreatIDsStableAcrossEdits(t *testing.T) {
	lib := mustLibrary(t)
	m := mustTemplate(t, "smart-home")
	before := map[string]string{}
	for _, th := range lib.Check(m).Threats {
		before[th.ID] = th.Status
	}
	// Edit elsewhere: reorder elements and flows, add an unrelated element and flow.
	slices.Reverse(m.Elements)
	slices.Reverse(m.Flows)
	m.Elements = append(m.Elements, Element{ID: "new-svc", Name: "New service", Type: TypeProcess, Boundary: "vendor-cloud"})
	m.Flows = append(m.Flows, Flow{ID: "new-flow", From: "api", To: "new-svc", Protocol: "grpc", Encrypted: true, Authentication: "mutual_tls"})
	m.Reindex()
	if err := Validate(m); err != nil {
		t.Fatal(err)
	}
	after := map[string]bool{}
	for _, th := range lib.Check(m).Threats {
		after[th.ID] = true
	}
	for id := range before {
		if !after[id] {
			t.Errorf("threat %s disappeared after an unrelated edit", id)
		}
	}
	// Same model twice → same ids in the same order.
	a, b := lib.Check(mustTemplate(t, "smart-home")), lib.Check(mustTemplate(t, "smart-home"))
	for i := range a.Threats {
		if a.Threats[i].ID != b.Threats[i].ID {
			t.Fatalf("order differs at %d: %s vs %s", i, a.Threats[i].ID, b.Threats[i].ID)
		}
	}
}

func TestDecisions(t *testing.T) {
	lib := mustLibrary(t)
	src := `title: decisions
assets:
  - {id: key, name: Device key, confidentiality: critical, secret: true}
elements:
  - id: d
    name: Door lock
    type: device
    stores: [key]
    device:
      default_credentials: universal
      update: {mechanism: ota}
mitigations:
  - {id: m1, title: Unique passwords, status: implemented, threats: ["DEV-001@d"]}
  - {id: m2, title: Signed updates, status: planned, threats: ["DEV-003@*"]}
threats:
  - {id: "DEV-007@d", status: accepted, reason: "ROM bootloader cannot verify; compensating tamper mesh", owner: hw}
  - {id: "DEV-0*@d", status: not_applicable, reason: "blanket for test"}
  - {id: "DEV-001@d", status: open}
  - {id: "DEV-003@d", status: open}
  - {id: "MAN-1", title: "Lock picked mechanically", target: d, stride: tampering, severity: high, mitigation: "Use a better cylinder"}
  - {id: "NOPE@x", status: mitigated}
`
	m, err := Parse([]byte(src), "d.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := lib.Check(m)
	get := func(id string) *Threat {
		for i := range res.Threats {
			if res.Threats[i].ID == id {
				return &res.Threats[i]
			}
		}
		t.Fatalf("threat %s not found", id)
		return nil
	}
	if th := get("DEV-001@d"); th.Status != StatusMitigated || !slices.Contains(th.Controls, "m1") {
		t.Errorf("DEV-001@d: %+v", th)
	}
	if th := get("DEV-003@d"); th.Status != StatusOpen || !slices.Contains(th.Controls, "m2") {
		t.Errorf("DEV-003@d: status %s controls %v", th.Status, th.Controls)
	}
	if th := get("DEV-007@d"); th.Status != StatusAccepted || th.Owner != "hw" {
		t.Errorf("DEV-007@d: exact decision must win over the wildcard: %+v", th)
	}
	if th := get("DEV-017@d"); th.Status != StatusNotApplicable || th.Reason != "blanket for test" {
		t.Errorf("DEV-017@d: wildcard decision not applied: %+v", th)
	}
	if th := get("MAN-1"); !th.Manual || th.Severity != "high" || th.TargetName != "Door lock" || th.Mitigations[0] != "Use a better cylinder" {
		t.Errorf("manual threat: %+v", th)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "NOPE@x") {
		t.Errorf("warnings %v", res.Warnings)
	}
	var open []string
	for _, th := range res.OpenAtOrAbove("high") {
		open = append(open, th.ID)
	}
	slices.Sort(open)
	if want := []string{"DEV-003@d", "MAN-1", "PROD-001@model", "PROD-003@model"}; !slices.Equal(open, want) {
		t.Errorf("open high: %v, want %v", open, want)
	}
}

func TestCustomRulesAndDisable(t *testing.T) {
	dir := t.TempDir()
	custom := `id: ACME-001
title: Device without watchdog
stride: denial_of_service
applies_to: [device]
condition: '!("watchdog" in e.tags)'
severity: low
why: '{{e.name}} has no hardware watchdog'
mitigations: ['Enable the watchdog on {{e.name}}']
cwe: [400]
---
id: DEV-001
title: Overridden default password rule
stride: spoofing
applies_to: [device]
condition: 'false'
severity: critical
why: never
mitigations: [none]
`
	if err := os.WriteFile(filepath.Join(dir, "acme.yaml"), []byte(custom), 0o644); err != nil {
		t.Fatal(err)
	}
	lib, err := NewLibrary(LibraryOptions{Dirs: []string{dir}, Disable: []string{"FLOW-*", "PROC-004"}})
	if err != nil {
		t.Fatal(err)
	}
	if lib.Rule("ACME-001") == nil || lib.Rule("FLOW-001") != nil || lib.Rule("PROC-004") != nil {
		t.Fatal("custom rule missing or disabled rules present")
	}
	if lib.Rule("DEV-001").Title != "Overridden default password rule" {
		t.Error("user rule did not replace the built-in one")
	}
	m := mustTemplate(t, "smart-home")
	res := lib.Check(m, CheckOptions{Disable: []string{"DEV-012"}})
	var ids []string
	for _, th := range res.Threats {
		ids = append(ids, th.ID)
		if strings.HasPrefix(th.ID, "FLOW-") || strings.HasPrefix(th.ID, "DEV-012") || strings.HasPrefix(th.ID, "DEV-001") {
			t.Errorf("disabled rule fired: %s", th.ID)
		}
		if th.ID == "ACME-001@plug" && (th.Why != "Smart plug has no hardware watchdog" || th.Mitigations[0] != "Enable the watchdog on Smart plug") {
			t.Errorf("custom threat: %+v", th)
		}
	}
	if !slices.Contains(ids, "ACME-001@plug") {
		t.Errorf("custom rule did not fire: %v", ids)
	}
	// Broken rules name their file.
	bad := map[string]string{
		"syntax.yaml":   "id: X\ntitle: [\n",
		"cel.yaml":      "id: X-1\ntitle: t\nstride: spoofing\napplies_to: [process]\ncondition: 'e.name =='\nseverity: low\nwhy: w\nmitigations: [m]\n",
		"stride.yaml":   "id: X-2\ntitle: t\nstride: spoofy\napplies_to: [process]\ncondition: 'true'\nseverity: low\nwhy: w\nmitigations: [m]\n",
		"unknown.yaml":  "id: X-3\ntitle: t\nstride: spoofing\napplies_to: [process]\ncondition: 'true'\nseverity: low\nwhy: w\nmitigations: [m]\nseverty: low\n",
		"nonbool.yaml":  "id: X-4\ntitle: t\nstride: spoofing\napplies_to: [process]\ncondition: '1 + 2'\nseverity: low\nwhy: w\nmitigations: [m]\n",
		"template.yaml": "id: X-5\ntitle: t\nstride: spoofing\napplies_to: [process]\ncondition: 'true'\nseverity: low\nwhy: '{{e.name'\nmitigations: [m]\n",
	}
	for file, text := range bad {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, file), []byte(text), 0o644)
		_, err := NewLibrary(LibraryOptions{Dirs: []string{d}})
		if err == nil || !strings.Contains(err.Error(), file) {
			t.Errorf("%s: error %v does not name the file", file, err)
		}
	}
}

func TestDiagrams(t *testing.T) {
	lib := mustLibrary(t)
	m := mustTemplate(t, "smart-home")
	res := lib.Check(m)
	var dot, mmd bytes.Buffer
	if err := WriteDOT(&dot, m, DiagramOptions{Result: res}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`subgraph "cluster_home"`, `subgraph "cluster_plug-hw"`, `shape=box3d`, `shape=cylinder`, `"e:app" -> "e:plug"`, "(unencrypted)", "open threat"} {
		if !strings.Contains(dot.String(), want) {
			t.Errorf("DOT lacks %q", want)
		}
	}
	if err := WriteMermaid(&mmd, m, DiagramOptions{Result: res}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"flowchart LR", `subgraph b0["Home network"]`, `[("Cloud database`, "-.->"} {
		if !strings.Contains(mmd.String(), want) {
			t.Errorf("Mermaid lacks %q:\n%s", want, mmd.String())
		}
	}
	svg, err := RenderSVG(t.Context(), m, DiagramOptions{Result: res})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "Smart plug", "Vendor cloud account", "mqtts"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	// Hostile names stay inside their labels.
	m.Elements[0].Name = "x\" -> evil [label=\"y</text><script>"
	dot.Reset()
	WriteDOT(&dot, m, DiagramOptions{})
	svg, err = RenderSVG(t.Context(), m, DiagramOptions{})
	if err != nil {
		t.Errorf("render with hostile name: %v", err)
	}
	if bytes.Contains(svg, []byte("<script>")) || bytes.Contains(dot.Bytes(), []byte("-> evil")) && !bytes.Contains(dot.Bytes(), []byte(`x\" -> evil`)) {
		t.Error("hostile element name escaped its label")
	}
	var html bytes.Buffer
	if err := WriteHTML(&html, m, res, svg); err != nil || bytes.Contains(html.Bytes(), []byte("<script>")) {
		t.Errorf("hostile name reaches the HTML report unescaped (err %v)", err)
	}
}

func TestReports(t *testing.T) {
	lib := mustLibrary(t)
	m := mustTemplate(t, "medical-wearable")
	res := lib.Check(m)
	var md, html, sarif, js bytes.Buffer
	if err := WriteMarkdown(&md, m, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Threat model: Continuous glucose monitor", "```mermaid", "## Open items", "ETSI EN 303 645 5.", "DEV-004@sensor", "accepted", "## ETSI EN 303 645 provisions", "| 5.3-1 |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if err := WriteHTML(&html, m, res, []byte(`<?xml version="1.0"?><svg id="d"></svg>`)); err != nil {
		t.Fatal(err)
	}
	if s := html.String(); !strings.Contains(s, `<svg id="d">`) || strings.Contains(s, "<?xml") || !strings.Contains(s, "Glucose sensor") {
		t.Error("HTML report lacks the inline diagram or element names")
	}
	if err := WriteSARIF(&sarif, m, lib, res, "test"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sarif.String(), `"version": "2.1.0"`) || !strings.Contains(sarif.String(), `"startLine"`) || !strings.Contains(sarif.String(), `"suppressions"`) {
		t.Error("SARIF lacks version, region or suppressions")
	}
	if err := WriteJSON(&js, res); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"model"`, `"elements"`, `"flows"`, `"threats"`, `"stride"`, `"cwe"`, `"capec"`, `"etsi"`, `"mitigations"`, `"status"`, `"why"`, `"target"`} {
		if !strings.Contains(js.String(), k) {
			t.Errorf("JSON lacks %s", k)
		}
	}
}

func TestETSIProvisions(t *testing.T) {
	res := mustLibrary(t).Check(mustTemplate(t, "medical-wearable"))
	ps := res.ETSI()
	if len(ps) < 10 {
		t.Fatalf("%d provisions", len(ps))
	}
	for i := 1; i < len(ps); i++ {
		if !provisionLess(ps[i-1].Provision, ps[i].Provision) {
			t.Errorf("order: %s before %s", ps[i-1].Provision, ps[i].Provision)
		}
	}
	found := false
	for _, p := range ps {
		if p.Provision == "5.3-1" && slices.Contains(p.Closed, "DEV-004@sensor") {
			found = true
		}
	}
	if !found {
		t.Errorf("accepted DEV-004@sensor not listed as closed under 5.3-1: %+v", ps)
	}
	if !provisionLess("5.1-2", "5.10-1") || !provisionLess("5.13-1", "6-1") || provisionLess("6-1", "5.1-1") {
		t.Error("provisionLess")
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, name := range Templates() {
		m := mustTemplate(t, name)
		out, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Parse(out, "roundtrip.yaml")
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		if d := Compare(m, nil, m2, nil); !d.Empty() {
			t.Errorf("%s: round trip changed %+v", name, d)
		}
	}
}

func TestCompare(t *testing.T) {
	lib := mustLibrary(t)
	a := mustTemplate(t, "smart-home")
	b := mustTemplate(t, "smart-home")
	b.Elements = slices.DeleteFunc(b.Elements, func(e Element) bool { return e.ID == "push" })
	b.Flows = slices.DeleteFunc(b.Flows, func(f Flow) bool { return f.ID == "api-push" })
	b.Element("plug").Device.Update.RollbackProtection = true
	b.Reindex()
	b.Element("plug").Device.Update.RollbackProtection = true
	d := Compare(a, lib.Check(a), b, lib.Check(b))
	if !slices.Equal(d.Elements.Removed, []string{"push"}) || !slices.Equal(d.Elements.Changed, []string{"plug"}) || !slices.Equal(d.Flows.Removed, []string{"api-push"}) {
		t.Errorf("diff %+v", d)
	}
	removed := map[string]bool{}
	for _, th := range d.Threats.Removed {
		removed[th.ID] = true
	}
	if !removed["DEV-005@plug"] || !removed["FLOW-010@api-push"] {
		t.Errorf("removed threats %v", removed)
	}
	var buf bytes.Buffer
	WriteDiff(&buf, d)
	if !strings.Contains(buf.String(), "- element push") {
		t.Errorf("diff text:\n%s", buf.String())
	}
}

// TestCompareThreats pins how Compare pairs threats by id: added in the new
// result's order, removed in the old one's, and one change per field
// (status, severity, why) that differs; ids of the model lists sorted.
func TestCompareThreats(t *testing.T) {
	ra := &Result{Threats: []Threat{{ID: "T1", Status: "open", Severity: "low"}, {ID: "T3"}, {ID: "T2", Why: "a"}, {ID: "T0"}}}
	rb := &Result{Threats: []Threat{{ID: "T5"}, {ID: "T1", Status: "mitigated", Severity: "high"}, {ID: "T2", Why: "a"}, {ID: "T4"}}}
	a := &Model{Elements: []Element{{ID: "z"}, {ID: "b"}, {ID: "k", Name: "old"}}}
	b := &Model{Elements: []Element{{ID: "y"}, {ID: "k", Name: "new"}, {ID: "c"}}}
	d := Compare(a, ra, b, rb)
	ids := func(ts []Threat) (out []string) {
		for _, t := range ts {
			out = append(out, t.ID)
		}
		return out
	}
	if got := ids(d.Threats.Added); !slices.Equal(got, []string{"T5", "T4"}) {
		t.Errorf("added %v", got)
	}
	if got := ids(d.Threats.Removed); !slices.Equal(got, []string{"T3", "T0"}) {
		t.Errorf("removed %v", got)
	}
	want := []ThreatChange{{ID: "T1", Field: "status", Before: "open", After: "mitigated"}, {ID: "T1", Field: "severity", Before: "low", After: "high"}}
	if !slices.Equal(d.Threats.Changed, want) {
		t.Errorf("changed %+v", d.Threats.Changed)
	}
	e := d.Elements
	if !slices.Equal(e.Added, []string{"c", "y"}) || !slices.Equal(e.Removed, []string{"b", "z"}) || !slices.Equal(e.Changed, []string{"k"}) {
		t.Errorf("elements %+v", e)
	}
	if d := Compare(a, nil, a, nil); !d.Empty() || d.Threats.Added == nil || d.Flows.Added == nil {
		t.Errorf("same model: %+v", d)
	}
}

func TestJSONSchema(t *testing.T) {
	b, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"$schema": "https://json-schema.org/draft/2020-12/schema"`, `"Device"`, `"just_works"`, `"additionalProperties": false`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("schema lacks %s", want)
		}
	}
}

func TestIDAllocator(t *testing.T) {
	a := NewIDAllocator()
	got := []string{a.Make("Web Server", ""), a.Make("web server", ""), a.Make("Web Server", ""), a.Make("", "flow"), a.Make("  ", ""), a.Make("-x@y*z", "")}
	want := []string{"Web-Server", "web-server", "Web-Server-2", "flow", "id", "x-y-z"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v want %v", got, want)
	}
	for _, s := range got {
		if !idRE.MatchString(s) {
			t.Errorf("%q is not a valid id", s)
		}
	}
}

// generate builds a synthetic product of n elements and about 3n flows.
func generate(n int) *Model {
	m := &Model{Title: fmt.Sprintf("generated %d", n), ID: "gen"}
	for i := 0; i < 10; i++ {
		b := Boundary{ID: fmt.Sprintf("b%d", i), Name: fmt.Sprintf("Zone %d", i), Type: "network"}
		if i > 0 && i%3 != 0 {
			b.Parent = fmt.Sprintf("b%d", i-1)
		}
		m.Boundaries = append(m.Boundaries, b)
	}
	for i := 0; i < 20; i++ {
		m.Assets = append(m.Assets, Asset{ID: fmt.Sprintf("a%d", i), Name: fmt.Sprintf("Asset %d", i), Confidentiality: Ratings[i%4], Integrity: Ratings[(i+1)%4], Availability: Ratings[(i+2)%4], Secret: i%7 == 0, Personal: i%5 == 0})
	}
	types := []string{TypeProcess, TypeDataStore, TypeDevice, TypeExternalEntity, TypeProcess}
	for i := 0; i < n; i++ {
		e := Element{ID: fmt.Sprintf("e%d", i), Name: fmt.Sprintf("Element %d", i), Type: types[i%len(types)], Boundary: fmt.Sprintf("b%d", i%10),
			InternetFacing: i%11 == 0, Logging: i%2 == 0, InputValidation: i%3 == 0, Privileged: i%13 == 0, Authentication: []string{"none", "token", "password"}[i%3]}
		if e.Type == TypeDataStore || e.Type == TypeDevice {
			e.Stores = []string{fmt.Sprintf("a%d", i%20)}
		}
		if e.Type == TypeDevice {
			e.Device = &Device{Update: FirmwareUpdate{Mechanism: "ota", Signed: i%2 == 0}, SecureBoot: i%3 == 0,
				DebugPorts: []DebugPort{{Type: "uart", State: []string{"open", "disabled"}[i%2]}}, DefaultCredentials: []string{"universal", "unique_per_device"}[i%2],
				Radios: []Radio{{Type: "ble", Encrypted: i%2 == 0, Pairing: "just_works"}, {Type: "wifi", Encrypted: true, Authenticated: true}}, NetworkServices: []string{"http", "mdns"}}
		}
		m.Elements = append(m.Elements, e)
	}
	for i := 0; i < 3*n; i++ {
		from, to := i%n, (i*7+1)%n
		if from == to {
			to = (to + 1) % n
		}
		m.Flows = append(m.Flows, Flow{ID: fmt.Sprintf("f%d", i), From: fmt.Sprintf("e%d", from), To: fmt.Sprintf("e%d", to),
			Protocol: []string{"https", "mqtt", "http", "ble"}[i%4], Encrypted: i%3 != 0, Authentication: []string{"none", "token", "mutual_tls", "password"}[i%4],
			Network: []string{"internet", "lan", "radio"}[i%3], Data: []string{fmt.Sprintf("a%d", i%20)}})
	}
	m.Reindex()
	return m
}

func TestGeneratedModelIsValid(t *testing.T) {
	m := generate(100)
	if err := Validate(m); err != nil {
		t.Fatal(err)
	}
	out, _ := Marshal(m)
	if _, err := Parse(out, "gen.yaml"); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkCheck1000x3000(b *testing.B) {
	lib := mustLibrary(b)
	m := generate(1000)
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for b.Loop() {
		n = len(lib.Check(m).Threats)
	}
	b.ReportMetric(float64(n), "threats")
}

func BenchmarkParse1000x3000(b *testing.B) {
	data, err := Marshal(generate(1000))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data, "gen.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSVG times rendering m as SVG with opts on one renderer.
func benchSVG(b *testing.B, m *Model, opts DiagramOptions) {
	r, err := NewRenderer(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for b.Loop() {
		if _, err := r.SVG(b.Context(), m, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderSVG1000x3000(b *testing.B) {
	lib := mustLibrary(b)
	m := generate(1000)
	res := lib.Check(m)
	benchSVG(b, m, DiagramOptions{Result: res})
}

func BenchmarkRenderSVG150x450(b *testing.B) {
	m := generate(150)
	benchSVG(b, m, DiagramOptions{})
}

func BenchmarkRenderSVGTemplate(b *testing.B) {
	m := mustTemplate(b, "smart-home")
	benchSVG(b, m, DiagramOptions{})
}

func BenchmarkNewLibrary(b *testing.B) {
	for b.Loop() {
		if _, err := DefaultLibrary(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDocsListEveryRule(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "threat-modeling.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range mustLibrary(t).Rules() {
		if !bytes.Contains(doc, []byte("`"+r.ID+"`")) {
			t.Errorf("docs/threat-modeling.md does not describe rule %s", r.ID)
		}
	}
}

func TestLargeCheckIsDeterministic(t *testing.T) {
	lib := mustLibrary(t)
	m := generate(400) // 400 elements + 1200 flows: evaluated in parallel
	a, b := lib.Check(m), lib.Check(m)
	if len(a.Threats) == 0 || len(a.Threats) != len(b.Threats) {
		t.Fatalf("%d vs %d threats", len(a.Threats), len(b.Threats))
	}
	for i := range a.Threats {
		if a.Threats[i].ID != b.Threats[i].ID || a.Threats[i].Why != b.Threats[i].Why {
			t.Fatalf("threat %d differs: %s vs %s", i, a.Threats[i].ID, b.Threats[i].ID)
		}
	}
	seen := map[string]bool{}
	for _, th := range a.Threats {
		if seen[th.ID] {
			t.Fatalf("duplicate threat id %s", th.ID)
		}
		seen[th.ID] = true
	}
}

// TestRulesFolderMissing: a rules folder that does not exist, or is a
// file, is named in the error with what to do (os.DirFS alone said
// "stat .: no such file or directory").
func TestRulesFolderMissing(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rule.yaml")
	if err := os.WriteFile(file, []byte("id: X\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for d, want := range map[string]string{
		filepath.Join(dir, "our-rules"): "our-rules does not exist: create it",
		file:                            "rule.yaml is a file: give the folder",
	} {
		_, err := NewLibrary(LibraryOptions{Dirs: []string{d}})
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "stat .") {
			t.Errorf("%s: error %v, want one containing %q", d, err, want)
		}
	}
}
