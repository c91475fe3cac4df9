package sarif

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	rsarif "github.com/rampart-security/rampart/internal/sarif"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParseMixed(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/mixed.sarif", 5) // pass results skipped, the accepted-suppressed one imported as not active
	suppressed := 0
	for _, f := range got {
		if f.Triage != nil {
			suppressed++
			if f.Triage.Status != findings.StatusFalsePositive || !strings.Contains(f.Triage.Reason, "suppressed in the tool") {
				t.Errorf("suppression triage %+v", f.Triage)
			}
		}
	}
	if suppressed != 1 {
		t.Errorf("%d suppressed findings, want 1", suppressed)
	}
	got = slices.DeleteFunc(got, func(f findings.Finding) bool { return f.Triage != nil })
	g101 := got[0]
	if g101.Title != "Look for hard coded credentials" || g101.Severity != findings.High || g101.RuleID != "G101" || g101.Tool != "gosec" {
		t.Errorf("G101: %+v", g101)
	}
	if len(g101.CWEs) != 1 || g101.CWEs[0] != 798 {
		t.Errorf("G101 cwes %v", g101.CWEs)
	}
	if l := g101.Locations; len(l) != 1 || l[0].File != "internal/auth/secret file.go" || l[0].Line != 12 {
		t.Errorf("G101 locations %+v", l)
	}
	if g101.UniqueID != "abc:1" || g101.Mitigation != "Load credentials from the environment." || g101.References[0] != "https://securego.io/docs/rules/g101.html" {
		t.Errorf("G101 uid %q mitigation %q refs %v", g101.UniqueID, g101.Mitigation, g101.References)
	}
	if !strings.Contains(g101.Description, "Potential hardcoded credentials") || !strings.Contains(g101.Description, "extracted from binaries") {
		t.Errorf("G101 description %q", g101.Description)
	}
	g104 := got[1]
	if g104.Title != "UncheckedError" || g104.Severity != findings.Medium || g104.Description != "Errors unhandled in main" {
		t.Errorf("G104: title %q severity %s description %q", g104.Title, g104.Severity, g104.Description)
	}
	if g104.Locations[0].File != "cmd/main.go" || g104.Locations[0].Line != 40 || g104.CWEs[0] != 703 || g104.UniqueID != "6f1a0e2c-5c2b-4a53-9d0c-6e0e3bcd0d01" {
		t.Errorf("G104: %+v", g104)
	}
	if rejected := got[2]; rejected.Locations[0].File != "C:/src/x.go" {
		t.Errorf("rejected suppression: %+v", rejected.Locations)
	}
	grype := got[3]
	if grype.Tool != "Grype" || grype.Severity != findings.Info || grype.VulnerabilityIDs[0] != "CVE-2022-1234" {
		t.Errorf("results before tool: %+v", grype)
	}
}

// TestParseSpecStates follows SARIF 2.1.0: §3.27.23/§3.35.3 (a result is
// suppressed when a suppression is accepted and none is underReview or
// rejected), §3.27.24 (baselineState "absent": detected in the baseline
// only, so not an issue of this scan), §3.27.8 and §3.52 (a result's taxa
// and a rule's relationships name CWE taxa, the taxonomy by name or by
// toolComponent.index into run.taxonomies), and §3.8 property bags whose
// "security-severity" is a JSON number in a run whose results precede the
// tool.
func TestParseSpecStates(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/spec-states.sarif", 6)
	// §3.27.10: a result of kind "review" without a level has level none,
	// not its rule's default (error).
	if review := got[3]; review.Locations[0].Line != 50 || review.Severity != findings.Info {
		t.Errorf("kind review: line %d severity %s, want 50 info", review.Locations[0].Line, review.Severity)
	}
	got = slices.Delete(got, 3, 4)
	for i, want := range []struct {
		line       int
		suppressed bool
	}{{10, false}, {20, false}, {30, true}, {7, false}} {
		f := got[i]
		if f.Locations[0].Line != want.line || (f.Triage != nil) != want.suppressed {
			t.Errorf("result %d: line %d triage %+v, want line %d suppressed %v", i, f.Locations[0].Line, f.Triage, want.line, want.suppressed)
		}
	}
	if tr := got[2].Triage; tr == nil || tr.Status != findings.StatusFalsePositive || tr.Reason != "suppressed in the tool (inSource): input is a constant" {
		t.Errorf("accepted suppression: %+v", tr)
	}
	for _, f := range got {
		if f.Locations[0].File == "src/old.c" {
			t.Errorf("absent result imported: %+v", f)
		}
	}
	if c := got[0].CWEs; len(c) != 1 || c[0] != 89 {
		t.Errorf("relationship to taxonomy by index: CWEs %v, want [89]", c)
	}
	if c := got[3].CWEs; len(c) != 1 || c[0] != 79 {
		t.Errorf("result taxa: CWEs %v, want [79]", c)
	}
	if late := got[4]; late.Tool != "Late" || late.Severity != findings.Critical {
		t.Errorf("numeric security-severity before the tool: %s %s", late.Tool, late.Severity)
	}
}

// TestParseProducers: what real producers write. Trivy's SARIF writer
// (pkg/report/sarif.go) names a vulnerable package only in the message
// ("Package: …\nInstalled Version: …") and locates every OS package at the
// image, line 1: two packages with one CVE must stay two findings. Bandit's
// SARIF formatter omits a result's level when it is "warning" and gives the
// rule the level of its first issue: the result's issue_severity decides.
// CodeQL with query packs keeps rules in tool.extensions, a result naming
// its component by name (§3.54.3); a ruleIndex whose rule has another id
// gives way to the rule of the result's id, and a hierarchical id finds
// its nearest ancestor (§3.27.5).
func TestParseProducers(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/producers.sarif", 7)
	crypto, ssl := got[0], got[1]
	if crypto.Component != (findings.Component{Name: "libcrypto3", Version: "3.0.8-r0"}) || ssl.Component.Name != "libssl3" || crypto.Fingerprint == ssl.Fingerprint {
		t.Errorf("Trivy: components %+v / %+v, fingerprints equal %v", crypto.Component, ssl.Component, crypto.Fingerprint == ssl.Fingerprint)
	}
	if len(ssl.FixedVersions) != 1 || ssl.FixedVersions[0] != "3.0.8-r1" || ssl.Mitigation != "Upgrade libssl3 to 3.0.8-r1." || ssl.Severity != findings.High || !slices.Equal(ssl.VulnerabilityIDs, []string{"CVE-2023-0464"}) {
		t.Errorf("Trivy libssl3: fixed %v mitigation %q severity %s ids %v", ssl.FixedVersions, ssl.Mitigation, ssl.Severity, ssl.VulnerabilityIDs)
	}
	if high, low := got[2], got[3]; high.Severity != findings.High || low.Severity != findings.Low || !slices.Equal(low.CWEs, []int{78}) {
		t.Errorf("Bandit: severities %s / %s, CWEs %v", high.Severity, low.Severity, low.CWEs)
	}
	xss, sqli, escaped := got[4], got[5], got[6]
	if xss.Title != "Client-side cross-site scripting" || xss.Severity != findings.Medium || !slices.Equal(xss.CWEs, []int{79}) {
		t.Errorf("CodeQL xss (extension by name): %q %s %v", xss.Title, xss.Severity, xss.CWEs)
	}
	if sqli.Title != "Database query built from user-controlled sources" || sqli.Severity != findings.High || !slices.Equal(sqli.CWEs, []int{89}) {
		t.Errorf("CodeQL sql-injection (ruleIndex of another rule): %q %s %v", sqli.Title, sqli.Severity, sqli.CWEs)
	}
	if escaped.RuleID != "js/sql-injection/mysql/escaped" || !slices.Equal(escaped.CWEs, []int{89}) || escaped.Severity != findings.High {
		t.Errorf("hierarchical id: %q %v %s", escaped.RuleID, escaped.CWEs, escaped.Severity)
	}
}

// TestParseAnalysisTarget: a result without physical locations (a binary
// checker's) is located at its analysisTarget (§3.27.13), by URI or by
// index into the run's artifacts; a result with a file keeps only it.
func TestParseAnalysisTarget(t *testing.T) {
	got := scannertest.ParseString(t, Parse, "target.sarif", `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"BinSkim"}},
		"artifacts":[{"location":{"uri":"bin/app.dll"}}],
		"results":[
			{"ruleId":"BA2008","level":"error","message":{"text":"Control Flow Guard is not enabled."},"analysisTarget":{"index":0}},
			{"ruleId":"BA2009","level":"error","message":{"text":"ASLR is off."},"analysisTarget":{"uri":"file:///build/out/svc.exe"},"locations":[{"logicalLocations":[{"fullyQualifiedName":"svc!main"}]}]},
			{"ruleId":"BA2010","message":{"text":"In a header."},"analysisTarget":{"uri":"src/a.c"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/a.h"},"region":{"startLine":3}}}]}]}]}`)
	if len(got) != 3 {
		t.Fatalf("%d findings, want 3", len(got))
	}
	for i, want := range []findings.Location{{File: "bin/app.dll"}, {File: "/build/out/svc.exe"}, {File: "src/a.h", Line: 3}} {
		if l := got[i].Locations; len(l) != 1 || l[0] != want {
			t.Errorf("result %d: locations %+v, want %+v", i, l, want)
		}
	}
}

// TestParseURIBaseIDs follows §3.14.14's example: SRCROOT is "src/"
// relative to PROJECTROOT, an absolute file:// URI. A location relative to
// SRCROOT is "src/…" (directly or through an artifact); the absolute root
// is not prepended, so the path stays relative to the checkout.
func TestParseURIBaseIDs(t *testing.T) {
	got := scannertest.ParseString(t, Parse, "bases.sarif", `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t"}},
		"originalUriBaseIds":{"PROJECTROOT":{"uri":"file:///build/work/"},"SRCROOT":{"uri":"src/","uriBaseId":"PROJECTROOT"},"LOOP":{"uri":"x/","uriBaseId":"LOOP"}},
		"artifacts":[{"location":{"uri":"util/io.c","uriBaseId":"SRCROOT"}}],
		"results":[
			{"ruleId":"R1","message":{"text":"a"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"collections/list.h","uriBaseId":"SRCROOT"},"region":{"startLine":15}}}]},
			{"ruleId":"R1","message":{"text":"b"},"locations":[{"physicalLocation":{"artifactLocation":{"index":0},"region":{"startLine":2}}}]},
			{"ruleId":"R1","message":{"text":"c"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"Makefile","uriBaseId":"PROJECTROOT"}}}]},
			{"ruleId":"R1","message":{"text":"d"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"file:///opt/lib/z.h","uriBaseId":"SRCROOT"}}}]},
			{"ruleId":"R1","message":{"text":"e"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.c","uriBaseId":"LOOP"}}}]},
			{"ruleId":"R1","message":{"text":"f"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"C:/work/b.c","uriBaseId":"SRCROOT"}}}]}]}]}`)
	want := []string{"src/collections/list.h", "src/util/io.c", "Makefile", "/opt/lib/z.h", "x/x/x/x/x/x/x/x/a.c", "C:/work/b.c"}
	if len(got) != len(want) {
		t.Fatalf("%d findings, want %d", len(got), len(want))
	}
	for i, w := range want {
		if f := got[i].Locations[0].File; f != w {
			t.Errorf("result %d: file %q, want %q", i, f, w)
		}
	}
}

// TestParseMessageLinks: §3.11.6 embedded links "[text](n)" point at the
// related location n; the finding's text keeps the words, not the link
// syntax. Links to URIs and other brackets stay as written.
func TestParseMessageLinks(t *testing.T) {
	got := scannertest.ParseString(t, Parse, "links.sarif", `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"CodeQL"}},"results":[
		{"ruleId":"js/sql-injection","message":{"text":"This query string depends on a [user-provided value](1) and [another](12); see [docs](https://example.test/q) and a[0]."}}]}]}`)
	if len(got) != 1 {
		t.Fatalf("%d findings, want 1", len(got))
	}
	if got[0].Description != "This query string depends on a user-provided value and another; see [docs](https://example.test/q) and a[0]." {
		t.Errorf("description %q", got[0].Description)
	}
}

// TestFailedRunsRefused: a log whose run says it failed, or that has no
// scan in it, ends in ErrIncompleteScan (a re-import would close every
// finding it did not list; the importer takes what it lists as a partial
// scan and refuses one that lists nothing, saying what to do), naming the
// file, the field and the tool's own reason; error notifications of a run
// that succeeded are imported (see PROVENANCE.md).
func TestFailedRunsRefused(t *testing.T) {
	scannertest.Rejects(t, Parse, []scannertest.Reject{
		{File: "failed-run.sarif", Is: reportio.ErrIncompleteScan, Prefix: "failed-run.sarif: at byte ",
			Contains: "runs[0].invocations: the scan did not complete: invocations[0].executionSuccessful is false: the tool says its run failed (exit code 3, ERROR,MISSING CLASS,BUGS FOUND): Classes needed for analysis were missing"},
		{File: "failed-no-results.sarif", Is: reportio.ErrIncompleteScan, Prefix: "failed-no-results.sarif: at byte ",
			Contains: "executionSuccessful is false: the tool says its run failed: The extractor for language java failed"},
		{File: "rules-only.sarif", Is: reportio.ErrIncompleteScan, Prefix: "rules-only.sarif: at byte ", Contains: "runs[].results: the scan did not complete: no run has a results array"},
		{File: "empty.sarif", Is: reportio.ErrIncompleteScan, Prefix: "empty.sarif: at byte 25: runs: ", Contains: "the log has no run"},
	})
	for _, tc := range []string{`{"version":"2.1.0","runs":null}`, `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"invocations":[{"executionSuccessful":false}],"results":[]}]}`} {
		if _, err := scannertest.ParseStringErr(Parse, "x.sarif", tc); !errors.Is(err, reportio.ErrIncompleteScan) || !strings.Contains(err.Error(), "x.sarif: at byte ") {
			t.Errorf("%s: error %v, want ErrIncompleteScan naming the file and position", tc, err)
		}
	}
	// The failed run's results are emitted before the error, for the
	// import as a partial scan.
	if list, _ := scannertest.ParseFileErr(Parse, "testdata/failed-run.sarif"); len(list) != 2 {
		t.Errorf("failed-run.sarif: %d findings emitted before the refusal, want 2", len(list))
	}
	got := scannertest.ParseFileN(t, Parse, "testdata/notification-errors.sarif", 1)
	if got[0].RuleID != "py/sql-injection" {
		t.Errorf("rule %q", got[0].RuleID)
	}
}

func TestParseErrors(t *testing.T) {
	for file, want := range map[string]string{
		"old-version.sarif": `old-version.sarif: at byte 18: version: unsupported SARIF version "1.0.0"`,
		"truncated.sarif":   "truncated.sarif: at byte",
		"not-sarif.json":    `not-sarif.json: at byte 34: not a report of this format: no "runs" array`,
	} {
		_, err := scannertest.ParseFileErr(Parse, filepath.Join("testdata", file))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to contain %q", file, err, want)
		}
		var pe *reportio.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: error %T is not a ParseError", file, err)
		}
	}
}

func TestDetect(t *testing.T) {
	scannertest.Detects(t, Detect, map[string]bool{
		`{"version":"2.1.0","$schema":"https://json.schemastore.org/sarif-2.1.0.json","runs":[`: true,
		`{ "runs": [ { "tool": { "driver": { "name": "x"`:                                       true,
		`{"runs": 3, "other": 1}`:                false,
		`[{"runs":[]}]`:                          false,
		`<?xml version="1.0"?><sarif runs="1"/>`: false,
	})
}

// TestCorpus: SuppressionTestCurrent.sarif has 4 results, 3 with external
// suppressions (accepted by default); the single result of appendix_k.sarif
// is suppressed (status accepted); flawfinder.sarif has 54 results, one of
// kind "pass".
func TestCorpus(t *testing.T) {
	scannertest.CorpusGolden(t, "sarif", Parse)
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}

// TestParseManyResults crosses several decoding batches: findings arrive
// in document order, members after "results" are still read, a truncated
// tail is an error, and an error from emit stops the parse and is returned.
func TestParseManyResults(t *testing.T) {
	var b strings.Builder
	n := 3*resultBatch + 17
	b.WriteString(`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t","rules":[{"id":"R1"}]}},"results":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"ruleId":"R1","message":{"text":"m%d"},"locations":[{"physicalLocation":{"artifactLocation":{"index":0},"region":{"startLine":%d}}}]}`, i, i+1)
	}
	b.WriteString(`],"artifacts":[{"location":{"uri":"a.go"}}]}]}`)
	doc := b.String()
	got := scannertest.ParseString(t, Parse, "many.sarif", doc)
	if len(got) != n {
		t.Fatalf("%d findings, want %d", len(got), n)
	}
	for i, f := range got {
		if f.Description != fmt.Sprintf("m%d", i) || f.Locations[0].Line != i+1 {
			t.Fatalf("finding %d out of order: %q line %d", i, f.Description, f.Locations[0].Line)
		}
	}

	cut := doc[:len(doc)/2]
	if _, err := scannertest.ParseStringErr(Parse, "cut.sarif", cut); err == nil || !strings.Contains(err.Error(), "cut.sarif: at byte") {
		t.Errorf("truncated: %v", err)
	}

	stop := errors.New("enough")
	calls := 0
	err := Parse(strings.NewReader(doc), "many.sarif", func(findings.Finding) error {
		calls++
		if calls == resultBatch+3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != resultBatch+3 {
		t.Errorf("emit error: %v after %d calls", err, calls)
	}
}

// TestOwnEmptyLogIsAScan: Rampart's own SARIF of a run with no result
// (internal/sarif: a gate or firmware analysis that found nothing) has a
// results array, so re-importing it is an empty scan, not a refusal.
func TestOwnEmptyLogIsAScan(t *testing.T) {
	var b strings.Builder
	if err := rsarif.Write(&b, rsarif.Run{Tool: rsarif.Tool{Name: "rampart"}}); err != nil {
		t.Fatal(err)
	}
	scannertest.ParseString(t, Parse, "empty-run.sarif", b.String())
}
