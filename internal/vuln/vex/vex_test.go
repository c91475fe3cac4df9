package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/vuln"
)

// TestCorpusVEX imports every VEX document of the corpus: OpenVEX (v0.0.1
// and v0.2.0, JSON and YAML), CSAF VEX, and CycloneDX VEX / BOM files.
func TestCorpusVEX(t *testing.T) {
	root := corpustest.Dir(t, "vex")
	var docs, statements int
	for _, f := range corpustest.Files(t, root, func(rel string) bool {
		ext := filepath.Ext(rel)
		switch {
		case ext != ".json" && ext != ".yaml":
			return false
		case strings.HasPrefix(rel, "openvex-spec"): // JSON schema and JSON-LD context, not documents
			return false
		case strings.HasSuffix(rel, ".sarif.json"), strings.HasSuffix(rel, ".spdx.json"): // scanner output and SBOM inputs of the examples
			return false
		}
		return true
	}) {
		st, err := ReadFile(f.Path)
		if err != nil {
			t.Errorf("%s: %v", f.Rel, err)
			continue
		}
		docs++
		statements += len(st)
		for _, s := range st {
			if s.VulnID == "" || s.Product == "" || s.Status == "" {
				t.Errorf("%s: incomplete statement %+v", f.Rel, s)
				break
			}
		}
	}
	t.Logf("%d documents, %d statements", docs, statements)
	if docs < 60 || statements < 60 {
		t.Errorf("only %d documents / %d statements", docs, statements)
	}
}

func TestCycloneDXStates(t *testing.T) {
	doc := `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,
	"components":[{"bom-ref":"lib","type":"library","name":"lib","version":"1.0","purl":"pkg:golang/example.com/lib@v1.0.0"}],
	"vulnerabilities":[
	 {"id":"CVE-2099-1","analysis":{"state":"not_affected","justification":"code_not_reachable","detail":"never called"},"affects":[{"ref":"urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#lib"}]},
	 {"id":"CVE-2099-2","analysis":{"state":"resolved"},"affects":[{"ref":"lib"}]},
	 {"id":"CVE-2099-3","analysis":{"state":"in_triage"},"affects":[{"ref":"lib"}]},
	 {"id":"CVE-2099-4","affects":[{"ref":"lib"}]}]}`
	st, err := Parse([]byte(doc), "vex.json")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"CVE-2099-1 lib not_affected vulnerable_code_not_in_execute_path",
		"CVE-2099-1 pkg:golang/example.com/lib@v1.0.0 not_affected vulnerable_code_not_in_execute_path",
		"CVE-2099-2 lib fixed ", "CVE-2099-2 pkg:golang/example.com/lib@v1.0.0 fixed ",
		"CVE-2099-3 lib under_investigation ", "CVE-2099-3 pkg:golang/example.com/lib@v1.0.0 under_investigation ",
	}
	var got []string
	for _, s := range st {
		got = append(got, s.VulnID+" "+s.Product+" "+string(s.Status)+" "+s.Justification)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := Parse([]byte(`{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"X","analysis":{"state":"maybe"},"affects":[{"ref":"a"}]}]}`), "bad.json"); err == nil || !strings.Contains(err.Error(), "vulnerabilities[0].analysis.state") {
		t.Errorf("unknown state: %v", err)
	}
	if _, err := Parse([]byte(`{"hello":1}`), "x.json"); err == nil {
		t.Error("unknown document accepted")
	}
}

// TestRoundTrip writes matches as OpenVEX and CycloneDX VEX and reads them
// back: suppressed matches keep their status, open ones become affected.
func TestRoundTrip(t *testing.T) {
	adv := &vuln.Advisory{ID: "CVE-2099-9", Aliases: []string{"GO-2099-9"}, Severity: []vuln.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}}}
	c1 := &inventory.Component{Ref: "a", Name: "a", Version: "1.0", PURL: "pkg:golang/example.com/a@v1.0.0"}
	c2 := &inventory.Component{Ref: "b", Name: "busybox", Version: "1.35.0"}
	ms := []vuln.Match{
		{Component: c1, Advisory: adv, FixedVersions: []string{"1.1.0"}},
		{Component: c2, Advisory: adv, CPE: "cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*",
			Suppressed: &vuln.VEXStatement{VulnID: "CVE-2099-9", Product: "b", Status: vuln.VEXNotAffected, Justification: "vulnerable_code_not_present"}},
	}
	now := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, format := range []string{"openvex", "cyclonedx"} {
		var buf bytes.Buffer
		var err error
		if format == "openvex" {
			err = WriteOpenVEX(&buf, ms, "rampart-test", now)
		} else {
			err = WriteCycloneDX(&buf, ms, now)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(buf.Bytes()) {
			t.Fatalf("%s: invalid JSON", format)
		}
		st, err := Parse(buf.Bytes(), format)
		if err != nil {
			t.Fatalf("%s: %v\n%s", format, err, buf.String())
		}
		status := map[string]vuln.VEXStatus{}
		for _, s := range st {
			status[s.Product] = s.Status
		}
		if status["pkg:golang/example.com/a@v1.0.0"] != vuln.VEXAffected {
			t.Errorf("%s: open match status %v", format, status)
		}
		notAffected := status["cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*"]
		if format == "cyclonedx" {
			notAffected = status["b"]
		}
		if notAffected != vuln.VEXNotAffected {
			t.Errorf("%s: suppressed match status %v", format, status)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2023-01-01T00:00:00Z","version":1,"statements":[{"vulnerability":{"name":"CVE-1-1"},"products":[{"@id":"pkg:apk/wolfi/git@2.39.0"}],"status":"not_affected","justification":"component_not_present"}]}`))
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","vulnerabilities":[{"id":"CVE-1-1","analysis":{"state":"not_affected"},"affects":[{"ref":"x"}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Parse(b, "fuzz")
	})
}

// TestStatementsBounded: a statement stands for its vulnerability ids
// times its products; a document past MaxStatements is refused, naming the
// statement (OpenVEX) or the vulnerability (CSAF), instead of allocating
// gigabytes (10 000 aliases × 10 000 products in 600 KB was 15 GB).
func TestStatementsBounded(t *testing.T) {
	var aliases, products, pids, ids, names []string
	for i := range 1100 {
		aliases = append(aliases, fmt.Sprintf("%q", fmt.Sprintf("GHSA-%d", i)))
		ids = append(ids, fmt.Sprintf(`{"system_name":"x","text":"X-%d"}`, i))
	}
	for i := range 1000 {
		products = append(products, fmt.Sprintf(`{"@id":"pkg:npm/p%d@1.0.0"}`, i))
		pids = append(pids, fmt.Sprintf(`"p%d"`, i))
		names = append(names, fmt.Sprintf(`{"product_id":"p%d","name":"p","product_identification_helper":{"purl":"pkg:npm/p%d@1.0.0"}}`, i, i))
	}
	openVEX := `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2023-01-01T00:00:00Z","version":1,"statements":[` +
		`{"vulnerability":{"name":"CVE-1-1"},"products":[{"@id":"pkg:npm/a@1"}],"status":"fixed"},` +
		`{"vulnerability":{"name":"CVE-1-2","aliases":[` + strings.Join(aliases, ",") + `]},"products":[` + strings.Join(products, ",") + `],"status":"fixed"}]}`
	csafDoc := `{"document":{"csaf_version":"2.0"},"product_tree":{"full_product_names":[` + strings.Join(names, ",") + `]},"vulnerabilities":[` +
		`{"cve":"CVE-1-1","product_status":{"fixed":["p1"]}},` +
		`{"ids":[` + strings.Join(ids, ",") + `],"product_status":{"known_affected":[` + strings.Join(pids, ",") + `]}}]}`
	for _, c := range []struct{ doc, field string }{{openVEX, "statements[1]"}, {csafDoc, "vulnerabilities[1].product_status"}} {
		_, err := Parse([]byte(c.doc), "big.json")
		var pe *vuln.ParseError
		if !errors.As(err, &pe) || pe.File != "big.json" || pe.Field != c.field || !strings.Contains(err.Error(), "more than 1048576 statements") {
			t.Errorf("err %v, want a ParseError at %s", err, c.field)
		}
	}
}

// TestCSAFRemediationsOfAGroup: a product named by many remediations
// (through a product group) gets their details joined in order; the
// action was rebuilt by copying for each (3000 remediations of a group of
// 3000 products was hours of copying).
func TestCSAFRemediationsOfAGroup(t *testing.T) {
	const n = 2000
	var names, pids, rems, want []string
	for i := range n {
		names = append(names, fmt.Sprintf(`{"product_id":"p%d","name":"p","product_identification_helper":{"purl":"pkg:npm/p%d@1.0.0"}}`, i, i))
		pids = append(pids, fmt.Sprintf(`"p%d"`, i))
		rems = append(rems, fmt.Sprintf(`{"category":"vendor_fix","details":"step %d  ","group_ids":["g"]}`, i))
		want = append(want, fmt.Sprintf("step %d", i))
	}
	doc := `{"document":{"csaf_version":"2.0"},"product_tree":{"full_product_names":[` + strings.Join(names, ",") + `],"product_groups":[{"group_id":"g","product_ids":[` +
		strings.Join(pids, ",") + `]}]},"vulnerabilities":[{"cve":"CVE-1-1","product_status":{"known_affected":[` + strings.Join(pids, ",") + `]},"remediations":[` + strings.Join(rems, ",") + `]}]}`
	st, err := Parse([]byte(doc), "rems.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != n || st[0].ActionStatement != strings.Join(want, " ") || st[n-1].ActionStatement != st[0].ActionStatement {
		t.Fatalf("%d statements, action %.60q…", len(st), st[0].ActionStatement)
	}
}

// TestOpenVEXLatestStatementWins follows the OpenVEX specification
// (v0.2.0, "Statement ordering"): of the statements about one
// vulnerability and product, the one with the latest timestamp (the
// document's when it has none) is in effect, whatever its place in the
// document. Before, every statement was returned and the matcher took the
// first suppressing one: the later "affected" was shadowed by the earlier
// "not_affected".
func TestOpenVEXLatestStatementWins(t *testing.T) {
	doc := `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/1","author":"Example PSIRT",
"timestamp":"2099-01-01T00:00:00Z","version":2,"statements":[
 {"vulnerability":{"name":"CVE-2099-1"},"timestamp":"2099-03-01T00:00:00Z","products":[{"@id":"pkg:golang/example.com/lib@v1.0.0"}],"status":"affected","action_statement":"upgrade"},
 {"vulnerability":{"name":"CVE-2099-1"},"timestamp":"2099-02-01T00:00:00Z","products":[{"@id":"pkg:golang/example.com/lib@v1.0.0"}],"status":"not_affected","justification":"component_not_present"},
 {"vulnerability":{"name":"CVE-2099-1"},"products":[{"@id":"pkg:golang/example.com/lib@v1.0.0"}],"status":"under_investigation"},
 {"vulnerability":{"name":"CVE-2099-2"},"products":[{"@id":"pkg:golang/example.com/lib@v1.0.0"}],"status":"under_investigation"},
 {"vulnerability":{"name":"CVE-2099-2"},"timestamp":"2099-02-01T00:00:00Z","products":[{"@id":"pkg:golang/example.com/lib@v1.0.0"}],"status":"fixed"},
 {"vulnerability":{"name":"CVE-2099-3"},"products":[{"@id":"pkg:golang/example.com/lib@v1.0.0"}],"status":"under_investigation"},
 {"vulnerability":{"name":"CVE-2099-3"},"products":[{"@id":"pkg:golang/example.com/lib@v1.0.0"}],"status":"not_affected","justification":"vulnerable_code_not_present"}]}`
	st, err := Parse([]byte(doc), "vex.json")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range st {
		got = append(got, s.VulnID+" "+string(s.Status))
	}
	want := []string{"CVE-2099-1 affected", "CVE-2099-2 fixed", "CVE-2099-3 not_affected"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestCycloneDXBOMLinkEncoded follows the IANA "cdx" URN registration: the
// bom-ref of a BOM-Link is an RFC 3986 fragment, so characters a fragment
// cannot hold (a space, "#", "%") are percent-encoded. Before, the encoded
// text was taken as the bom-ref and the statement named no component.
func TestCycloneDXBOMLinkEncoded(t *testing.T) {
	doc := `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,
	"components":[{"bom-ref":"lib #1","type":"library","name":"lib","version":"1.0","purl":"pkg:golang/example.com/lib@v1.0.0"}],
	"vulnerabilities":[{"id":"CVE-2099-1","analysis":{"state":"not_affected","justification":"code_not_present"},
	 "affects":[{"ref":"urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#lib%20%231"}]}]}`
	st, err := Parse([]byte(doc), "vex.json")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range st {
		got = append(got, s.Product)
	}
	if !slices.Contains(got, "lib #1") || !slices.Contains(got, "pkg:golang/example.com/lib@v1.0.0") {
		t.Errorf("products %q, want the decoded bom-ref and its purl", got)
	}
}

// TestCSAF21PURLs reads a CSAF 2.1 VEX document, whose
// product_identification_helper lists package URLs in purls (2.0's purl
// became an array, per the CSAF 2.1 schema). Before, its products had no
// identity and the document yielded no statement.
func TestCSAF21PURLs(t *testing.T) {
	doc := `{"document":{"category":"csaf_vex","csaf_version":"2.1","title":"t","publisher":{"category":"vendor","name":"Example","namespace":"https://example.com"},
"tracking":{"id":"EX-VEX-1","status":"final","version":"1","initial_release_date":"2099-01-01T00:00:00Z","current_release_date":"2099-01-01T00:00:00Z","revision_history":[{"number":"1","date":"2099-01-01T00:00:00Z","summary":"s"}]}},
"product_tree":{"full_product_names":[{"product_id":"P1","name":"examplelib 1.2.3","product_identification_helper":{"purls":["pkg:npm/examplelib","pkg:npm/examplelib@1.2.3"]}}]},
"vulnerabilities":[{"cve":"CVE-2099-7000","product_status":{"known_not_affected":["P1"]},"flags":[{"label":"vulnerable_code_not_in_execute_path","product_ids":["P1"]}]}]}`
	st, err := Parse([]byte(doc), "vex-2.1.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st[0].Product != "pkg:npm/examplelib@1.2.3" || st[0].Status != vuln.VEXNotAffected || st[0].Justification != "vulnerable_code_not_in_execute_path" {
		t.Errorf("statements %+v", st)
	}
}

// TestRepeatedStatementsBounded: statements repeating the same ids and
// products collapse to one each (the latest wins), but every one counts
// toward MaxStatements, as each costs a look-up: three statements of 1000
// ids × 400 products are refused at the third. Before, only the distinct
// statements counted, and a document repeating one statement of half the
// bound thousands of times cost billions of look-ups.
func TestRepeatedStatementsBounded(t *testing.T) {
	var aliases, products []string
	for i := range 1000 {
		aliases = append(aliases, fmt.Sprintf("%q", fmt.Sprintf("GHSA-%d", i)))
	}
	for i := range 400 {
		products = append(products, fmt.Sprintf(`{"@id":"pkg:npm/p%d@1.0.0"}`, i))
	}
	st := `{"vulnerability":{"name":"CVE-1-2","aliases":[` + strings.Join(aliases[1:], ",") + `]},"products":[` + strings.Join(products, ",") + `],"status":"fixed"}`
	doc := `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2023-01-01T00:00:00Z","version":1,"statements":[` + st + "," + st + "," + st + `]}`
	_, err := Parse([]byte(doc), "repeat.json")
	var pe *vuln.ParseError
	if !errors.As(err, &pe) || pe.Field != "statements[2]" {
		t.Errorf("err %v, want a ParseError at statements[2]", err)
	}
}

// TestCycloneDXAffectsVersions: CycloneDX 1.4–1.6 affects[].versions
// (bom-1.6.schema.json: a "version" or a vers "range" with "status"
// affected — the default —, unaffected or unknown) decide the statement
// for the referenced component's version, as the scanner import does
// (vuln.AffectsVersion): unaffected, or not among the affected versions
// listed, is not_affected; a not_affected analysis of an affected version
// stays the analysis (the specification's valid-vulnerability-1.6.json
// has state not_affected over affected ranges); an undecidable range
// keeps the analysis's state; versions that say the component is affected
// and no analysis make no statement, as before.
func TestCycloneDXAffectsVersions(t *testing.T) {
	doc := `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
	"components":[{"bom-ref":"lib","type":"library","name":"lib","version":"1.0.0","purl":"pkg:npm/lib@1.0.0"}],
	"vulnerabilities":[
	 {"id":"CVE-2099-11","analysis":{"state":"in_triage"},"affects":[{"ref":"lib","versions":[{"range":"vers:npm/>=1.0.0|<2.0.0","status":"unaffected"}]}]},
	 {"id":"CVE-2099-12","affects":[{"ref":"lib","versions":[{"version":"0.9.0"},{"range":"vers:npm/>=2.0.0","status":"affected"}]}]},
	 {"id":"CVE-2099-13","affects":[{"ref":"lib","versions":[{"range":"vers:npm/<1.1.0","status":"affected"}]}]},
	 {"id":"CVE-2099-14","analysis":{"state":"not_affected","justification":"code_not_reachable"},"affects":[{"ref":"lib","versions":[{"range":"vers:npm/<1.1.0"}]}]},
	 {"id":"CVE-2099-15","analysis":{"state":"exploitable"},"affects":[{"ref":"lib","versions":[{"range":"vers:tomee/>=1.0.0-beta1|<=1.7.5","status":"unaffected"}]}]},
	 {"id":"CVE-2099-16","affects":[{"ref":"pkg:npm/other@3.0.0","versions":[{"version":"3.0.0","status":"unaffected"}]}]}]}`
	st, err := Parse([]byte(doc), "vex.json")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"CVE-2099-11 lib not_affected affects versions: version 1.0.0 is unaffected: vers:npm/>=1.0.0|<2.0.0 unaffected",
		"CVE-2099-11 pkg:npm/lib@1.0.0 not_affected affects versions: version 1.0.0 is unaffected: vers:npm/>=1.0.0|<2.0.0 unaffected",
		"CVE-2099-12 lib not_affected affects versions: version 1.0.0 is not among the affected versions 0.9.0 affected; vers:npm/>=2.0.0 affected",
		"CVE-2099-12 pkg:npm/lib@1.0.0 not_affected affects versions: version 1.0.0 is not among the affected versions 0.9.0 affected; vers:npm/>=2.0.0 affected",
		"CVE-2099-14 lib not_affected ", "CVE-2099-14 pkg:npm/lib@1.0.0 not_affected ",
		"CVE-2099-15 lib affected ", "CVE-2099-15 pkg:npm/lib@1.0.0 affected ",
		"CVE-2099-16 pkg:npm/other@3.0.0 not_affected affects versions: version 3.0.0 is unaffected: 3.0.0 unaffected",
	}
	var got []string
	for _, s := range st {
		got = append(got, s.VulnID+" "+s.Product+" "+string(s.Status)+" "+s.ImpactStatement)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCycloneDXAffectsVersionsOfAPackage: a CycloneDX VEX whose
// affects[].ref is a package URL without a version (no component in the
// document says which) with affects[].versions (the ranges the schema's
// "versionRange" examples take) leaves the versions to the match: the
// SBOM's component versions they clear are not_affected, the others take
// the analysis's state. Before, the statement named a package with no
// version and applied to no component at all.
func TestCycloneDXAffectsVersionsOfAPackage(t *testing.T) {
	doc := `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
	"vulnerabilities":[{"id":"CVE-2099-21","analysis":{"state":"exploitable","response":["update"]},
	 "affects":[{"ref":"pkg:npm/acme-http","versions":[{"range":"vers:npm/<2.0.0","status":"affected"},{"range":"vers:npm/>=2.0.0","status":"unaffected"}]}]},
	 {"id":"CVE-2099-22","affects":[{"ref":"pkg:npm/acme-http","versions":[{"range":"vers:npm/>=2.0.0|<2.2.0","status":"affected"}]}]}]}`
	st, err := Parse([]byte(doc), "vex.json")
	if err != nil {
		t.Fatal(err)
	}
	idx := vuln.NewVEXIndex(st)
	for _, c := range []struct {
		vuln, version, want string
	}{
		{"CVE-2099-21", "2.1.0", "not_affected"}, // unaffected range
		{"CVE-2099-21", "1.5.0", "affected"},     // affected range: the analysis (exploitable)
		{"CVE-2099-22", "3.0.0", "not_affected"}, // not among the affected versions listed
		{"CVE-2099-22", "2.1.0", ""},             // affected, and no analysis: no statement
	} {
		comp := &inventory.Component{Ref: "a", Name: "acme-http", Version: c.version, PURL: "pkg:npm/acme-http@" + c.version}
		got := ""
		if s := idx.Effective(comp, &vuln.Advisory{ID: c.vuln}); s != nil {
			got = string(s.Status)
		}
		if got != c.want {
			t.Errorf("%s on %s: %q, want %q", c.vuln, c.version, got, c.want)
		}
	}
	// A statement without versions still names no component by a
	// versionless purl.
	plain := vuln.VEXStatement{VulnID: "CVE-2099-21", Product: "pkg:npm/acme-http", Status: vuln.VEXNotAffected}
	if plain.AppliesTo(&inventory.Component{PURL: "pkg:npm/acme-http@2.1.0", Version: "2.1.0"}, &vuln.Advisory{ID: "CVE-2099-21"}) {
		t.Error("versionless product without versions applies")
	}
}
