package policy

import (
	"bytes"
	"testing"

	"github.com/rampart-security/rampart/internal/fuzzseed"
)

// FuzzParse: the policy loader never panics and either compiles or returns
// a *LoadError naming the file.
func FuzzParse(f *testing.F) {
	f.Add(DefaultSource())
	fuzzseed.Glob(f, "testdata/*.yaml")
	f.Add([]byte("rampart: policy/v1\nrules:\n  - {id: a, on: vuln, when: 'vuln.kev', message: '{{ vuln.id }}'}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 16<<10 {
			return
		}
		p, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if _, ok := err.(*LoadError); !ok {
				t.Fatalf("error %T is not a *LoadError: %v", err, err)
			}
			return
		}
		// A compiled policy evaluates on a small input without panicking.
		in := &Input{Vulns: []Vuln{{ID: "CVE-1", KEV: true}}, Findings: []Finding{{RuleID: "r", Severity: "high"}}, Components: []Component{{Name: "c"}},
			Threats: []Threat{{ID: "T@x"}}, Firmware: []FirmwareIssue{{Kind: "k"}}, Binaries: []Binary{{Path: "/b"}}}
		_, _ = Evaluate(p, in, Options{})
	})
}

// FuzzInputs: exceptions, approved lists and firmware reports never panic.
func FuzzInputs(f *testing.F) {
	fuzzseed.Glob(f, "testdata/*.yaml", "testdata/*.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 16<<10 {
			return
		}
		_, _ = ParseExceptions(data, "e.yaml")
		if a, err := ParseApproved(data, "a.yaml"); err == nil {
			// What the platform stores and serves (?format=yaml) must read back.
			y, err := MergeApproved(a, a).YAML()
			if err != nil {
				t.Fatalf("YAML of a parsed list: %v", err)
			}
			if _, err := ParseApproved(y, "effective.yaml"); err != nil {
				t.Fatalf("merged list does not read back: %v\n%s", err, y)
			}
		}
		_, _, _ = ParseFirmware(bytes.NewReader(data), "fw.json")
	})
}
