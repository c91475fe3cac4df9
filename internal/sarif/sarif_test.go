package sarif

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	run := Run{
		Tool: Tool{Name: "t", Version: "1.0"},
		Rules: []Rule{
			{ID: "b", Name: "B", ShortDescription: "short", FullDescription: "full", Help: "text", HelpMarkdown: "**md**", HelpURI: "https://example.com/b",
				DefaultLevel: Error, Tags: []string{"security"}, Properties: map[string]any{"security-severity": "9.5"}},
			{ID: "a"},
		},
		Results: []Result{
			{RuleID: "a", Level: Note, Message: "m1", Locations: []Location{{URI: "x.go", StartLine: 3, EndLine: 3}}},
			{RuleID: "b", Level: Error, Message: "m2", PartialFingerprints: map[string]string{"k/v1": "fp"},
				Locations:   []Location{{URI: "m.yaml", StartLine: 7, StartColumn: 5, Logical: &LogicalLocation{Name: "n", Kind: "object", FullyQualifiedName: "device:n"}}},
				Suppression: &Suppression{Kind: "external", Status: "accepted", Justification: "why"}, Properties: map[string]any{"kev": true}},
		},
	}
	var buf bytes.Buffer
	if err := Write(&buf, run); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	if !bytes.HasSuffix(out, []byte("}\n")) {
		t.Error("log does not end in a newline")
	}
	if err := Validate(out); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name, Version, InformationURI string
					Rules                         []map[string]any `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID       string                       `json:"ruleId"`
				RuleIndex    int                          `json:"ruleIndex"`
				Level        string                       `json:"level"`
				Locations    []map[string]json.RawMessage `json:"locations"`
				Suppressions []map[string]string          `json:"suppressions"`
				Properties   map[string]any               `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	r := log.Runs[0]
	if d := r.Tool.Driver; d.Name != "t" || d.Version != "1.0" || d.InformationURI != InformationURI || len(d.Rules) != 2 || d.Rules[0]["id"] != "b" {
		t.Errorf("driver %+v", d)
	}
	if rule := r.Tool.Driver.Rules[1]; rule["name"] != nil || rule["help"] != nil || rule["properties"] != nil || rule["defaultConfiguration"] != nil {
		t.Errorf("empty rule fields written: %v", rule)
	}
	b, _ := json.Marshal(r.Tool.Driver.Rules[0])
	for _, want := range []string{`"help":{"markdown":"**md**","text":"text"}`, `"helpUri":"https://example.com/b"`, `"level":"error"`, `"security-severity":"9.5"`, `"tags":["security"]`, `"fullDescription":{"text":"full"}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("rule lacks %s: %s", want, b)
		}
	}
	if r.Results[0].RuleIndex != 1 || r.Results[1].RuleIndex != 0 || r.Results[1].Level != "error" {
		t.Errorf("rule indexes %d %d", r.Results[0].RuleIndex, r.Results[1].RuleIndex)
	}
	if s := r.Results[1].Suppressions; len(s) != 1 || s[0]["status"] != "accepted" || s[0]["justification"] != "why" {
		t.Errorf("suppressions %v", s)
	}
	loc := string(r.Results[1].Locations[0]["physicalLocation"]) + string(r.Results[1].Locations[0]["logicalLocations"])
	for _, want := range []string{`"startLine": 7`, `"startColumn": 5`, `"uri": "m.yaml"`, `"fullyQualifiedName": "device:n"`} {
		if !strings.Contains(loc, want) {
			t.Errorf("location lacks %s: %s", want, loc)
		}
	}
	if r.Results[1].Properties["kev"] != true {
		t.Errorf("properties %v", r.Results[1].Properties)
	}
	// The same run gives the same bytes.
	var again bytes.Buffer
	if err := Write(&again, run); err != nil || !bytes.Equal(out, again.Bytes()) {
		t.Errorf("second write differs (err %v)", err)
	}
}

func TestWriteEmptyRun(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Run{Tool: Tool{Name: "t"}}); err != nil {
		t.Fatal(err)
	}
	if err := Validate(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"results": []`) || !strings.Contains(buf.String(), `"rules": []`) {
		t.Errorf("empty run lacks empty rules or results:\n%s", buf.String())
	}
}

func TestWriteRejectsInconsistentRuns(t *testing.T) {
	for name, run := range map[string]Run{
		"duplicate rule":  {Tool: Tool{Name: "t"}, Rules: []Rule{{ID: "a"}, {ID: "a"}}},
		"rule without id": {Tool: Tool{Name: "t"}, Rules: []Rule{{Name: "x"}}},
		"undeclared rule": {Tool: Tool{Name: "t"}, Rules: []Rule{{ID: "a"}}, Results: []Result{{RuleID: "b", Level: Error, Message: "m"}}},
	} {
		var buf bytes.Buffer
		if err := Write(&buf, run); err == nil || buf.Len() != 0 {
			t.Errorf("%s: err %v, wrote %d bytes", name, err, buf.Len())
		}
	}
}

func TestValidate(t *testing.T) {
	var buf bytes.Buffer
	run := Run{Tool: Tool{Name: "t"}, Rules: []Rule{{ID: "a"}}, Results: []Result{{RuleID: "a", Level: Note, Message: "m", Locations: []Location{{URI: "x", StartLine: 2}}}}}
	if err := Write(&buf, run); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	if err := Validate([]byte(good)); err != nil {
		t.Fatalf("Write's own log: %v", err)
	}
	for name, doc := range map[string]string{
		"not JSON":      `{"version":`,
		"wrong version": strings.Replace(good, `"version": "2.1.0"`, `"version": "2.0.0"`, 1),
		"bad level":     strings.Replace(good, `"level": "note"`, `"level": "fatal"`, 1),
		"line 0":        strings.Replace(good, `"startLine": 2`, `"startLine": 0`, 1),
		"unknown field": strings.Replace(good, `"level": "note"`, `"level": "note", "severity": "high"`, 1),
		"no results":    strings.Replace(good, `"results"`, `"resultz"`, 1),
	} {
		if doc == good {
			t.Fatalf("%s: replacement did not apply", name)
		}
		if err := Validate([]byte(doc)); err == nil {
			t.Errorf("%s: valid", name)
		}
	}
}
