package threatmodel

import (
	"slices"
	"strings"
	"testing"
)

// An attribute is stated when its key is written, even as false; the rules
// read an unstated attribute as its unsafe answer and say so.
func TestStatedTriState(t *testing.T) {
	src := []byte(`rampart: threatmodel/v1
title: Tri-state
assets:
  - {id: creds, name: Credentials, confidentiality: high, secret: true}
elements:
  - {id: app, name: App, type: process}
  - {id: api, name: API, type: process, rate_limited: false, input_validation: false}
flows:
  - {id: stated, name: Stated, from: app, to: api, encrypted: false, data: [creds]}
  - {id: silent, name: Silent, from: api, to: app, data: [creds]}
`)
	m, err := Parse(src, "tri.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Flow("stated").Stated("encrypted") || m.Flow("silent").Stated("encrypted") {
		t.Errorf("encrypted stated: %v / %v", m.Flow("stated").Stated("encrypted"), m.Flow("silent").Stated("encrypted"))
	}
	if !m.Element("api").Stated("rate_limited") || m.Element("app").Stated("rate_limited") {
		t.Error("rate_limited stated")
	}
	lib, err := DefaultLibrary()
	if err != nil {
		t.Fatal(err)
	}
	res := lib.Check(m)
	byID := map[string]Threat{}
	for _, th := range res.Threats {
		byID[th.ID] = th
	}
	// Both flows carry the secret unencrypted: the same threat either way,
	// but only the silent one says it assumed so.
	var silent *Threat
	for id, th := range byID {
		th := th
		if strings.HasSuffix(id, "@stated") && slices.ContainsFunc(th.Assumed, func(a Assumed) bool { return a.Attribute == "encrypted" }) {
			t.Errorf("%s: assumed encryption although the model states it: %q", id, th.Why)
		}
		if strings.HasSuffix(id, "@silent") && slices.ContainsFunc(th.Assumed, func(a Assumed) bool { return a.Attribute == "encrypted" }) {
			silent = &th
		}
	}
	if silent == nil || !strings.Contains(silent.Why, "Not stated in the model: assumed unencrypted") {
		t.Fatalf("no threat on the silent flow says it assumed no encryption: %+v", byID)
	}
	c := res.Completeness
	if c == nil || c.Total == 0 || c.Stated == 0 || c.Stated >= c.Total {
		t.Fatalf("completeness %+v", c)
	}
	found := false
	for _, a := range c.Attributes {
		if a.Target == "silent" && a.Attribute == "encrypted" && slices.Contains(a.Threats, silent.ID) {
			found = true
		}
		if a.Target == "stated" && a.Attribute == "encrypted" {
			t.Errorf("a stated attribute is listed as unstated: %+v", a)
		}
	}
	if !found {
		t.Errorf("silent.encrypted not among the attributes: %+v", c.Attributes)
	}

	// Marshal keeps a stated false; Parse reads it back as stated.
	out, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(out, "back.yaml")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !back.Flow("stated").Stated("encrypted") || back.Flow("silent").Stated("encrypted") || !back.Element("api").Stated("input_validation") {
		t.Errorf("stated attributes lost in Marshal:\n%s", out)
	}
	again := lib.Check(back)
	if len(again.Threats) != len(res.Threats) || again.Completeness.Stated != c.Stated {
		t.Errorf("Marshal changed the check: %d→%d threats, %d→%d stated", len(res.Threats), len(again.Threats), c.Stated, again.Completeness.Stated)
	}
}

// A model without data assets states no data classification: the rules
// assume sensitive data, and a model with assets is read as stated.
func TestUnstatedDataClassification(t *testing.T) {
	lib, err := DefaultLibrary()
	if err != nil {
		t.Fatal(err)
	}
	sparse, err := Parse([]byte("title: s\nelements:\n  - {id: a, name: A, type: process}\n  - {id: b, name: B, type: process}\nflows:\n  - {id: f, from: a, to: b}\n"), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := lib.Check(sparse)
	var disclosure *Threat
	for i, th := range res.Threats {
		if th.Target == "f" && th.STRIDE == "information_disclosure" {
			disclosure = &res.Threats[i]
		}
	}
	if disclosure == nil || !strings.Contains(disclosure.Why, "data of high confidentiality") {
		t.Fatalf("no information disclosure on the unencrypted flow of a model without assets: %+v", res.Threats)
	}
	if top := res.Completeness.Top(1); len(top) != 1 || top[0].Attribute != "data" || top[0].Path() != "assets (data classification)" {
		t.Errorf("top attribute %+v", top)
	}
	// Stating the classification (a low-rated asset on the flow) removes it.
	classified, err := Parse([]byte("title: s\nassets:\n  - {id: t, name: Telemetry, confidentiality: low}\nelements:\n  - {id: a, name: A, type: process}\n  - {id: b, name: B, type: process}\nflows:\n  - {id: f, from: a, to: b, data: [t]}\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range lib.Check(classified).Threats {
		if th.ID == disclosure.ID {
			t.Errorf("%s still found with low-confidentiality data", th.ID)
		}
	}
}

func TestThreatFilterAndPage(t *testing.T) {
	ts := []Threat{{ID: "a", STRIDE: "spoofing", Severity: "high", Status: "open", Target: "x"},
		{ID: "b", STRIDE: "tampering", Severity: "low", Status: "mitigated", Target: "y"},
		{ID: "c", STRIDE: "spoofing", Severity: "low", Status: "open", Target: "y"}}
	if got := (ThreatFilter{STRIDE: "spoofing", Target: "y"}).Filter(ts); len(got) != 1 || got[0].ID != "c" {
		t.Errorf("filter: %+v", got)
	}
	if err := (ThreatFilter{STRIDE: "spoof"}).Validate(); err == nil || !strings.Contains(err.Error(), "stride") {
		t.Errorf("validate: %v", err)
	}
	p := PageOf(ts, 2, 2)
	if p.Page != 2 || p.Pages != 2 || len(p.Threats) != 1 || p.Threats[0].ID != "c" || p.Prev() != 1 || p.Next() != 0 {
		t.Errorf("page %+v", p)
	}
	if p := PageOf(ts, 9, 2); p.Page != 2 {
		t.Errorf("page past the end: %+v", p)
	}
	if p := PageOf(nil, 1, 50); p.Pages != 1 || len(p.Threats) != 0 {
		t.Errorf("empty: %+v", p)
	}
}
