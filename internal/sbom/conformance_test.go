package sbom_test

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/sbom"
)

// outcome classifies what Decode did with a file.
type outcome string

const (
	accepted    outcome = "accepted"
	rejected    outcome = "rejected (invalid)"
	unknown     outcome = "unknown format"
	unsupported outcome = "unsupported version"
	otherError  outcome = "other error"
)

func classify(err error) outcome {
	switch {
	case err == nil:
		return accepted
	case errors.Is(err, sbom.ErrInvalid):
		return rejected
	case errors.Is(err, sbom.ErrUnsupportedVersion):
		return unsupported
	case errors.Is(err, sbom.ErrUnknownFormat):
		return unknown
	}
	return otherError
}

// deviations lists every corpus file whose outcome differs from what its
// name and place promise (valid-* and examples accepted, invalid-*
// rejected), with the reason. The test fails when a listed file starts
// behaving as promised, so the list cannot go stale.
var deviations = map[string]string{}

// expectedOutcome says what a corpus file should do, by name and place.
func expectedOutcome(rel string) outcome {
	base := filepath.Base(rel)
	switch {
	case strings.HasPrefix(rel, "cyclonedx-spec/schema/"), strings.Contains(rel, "/schemas/"):
		return unknown // JSON schemas, not SBOMs
	case base == "LICENSE" || base == "COPYING" || strings.HasSuffix(base, ".md"):
		return unknown // licences and READMEs
	case strings.HasPrefix(base, "invalid-"):
		return rejected
	case strings.HasSuffix(base, ".spdx.xml"):
		return unsupported // the SPDX 2.2/2.3 XML encoding
	}
	return accepted
}

func TestConformance(t *testing.T) {
	root := corpustest.Dir(t, "sbom")
	type result struct {
		rel  string
		got  outcome
		err  error
		want outcome
	}
	var results []result
	for _, file := range corpustest.Files(t, root, nil) {
		f, err := os.Open(file.Path)
		if err != nil {
			t.Fatal(err)
		}
		doc, derr := sbom.Decode(f, filepath.Base(file.Path), sbom.Options{})
		f.Close()
		if want, ok := spdx3Counts[file.Rel]; ok {
			checkSPDX3Counts(t, file.Rel, doc, want)
		}
		results = append(results, result{rel: file.Rel, got: classify(derr), err: derr, want: expectedOutcome(file.Rel)})
	}
	sort.Slice(results, func(i, j int) bool { return results[i].rel < results[j].rel })

	counts := map[string]int{}
	perDir := map[string]map[outcome]int{}
	var validN, validOK, invalidN, invalidOK, skipN int
	for _, r := range results {
		base := filepath.Base(r.rel)
		counts[string(r.got)]++
		dir, _, _ := strings.Cut(r.rel, "/")
		if perDir[dir] == nil {
			perDir[dir] = map[outcome]int{}
		}
		perDir[dir][r.got]++
		switch {
		case strings.HasPrefix(base, "valid-"):
			validN++
			if r.got == accepted {
				validOK++
			}
		case strings.HasPrefix(base, "invalid-"):
			invalidN++
			if r.got == rejected {
				invalidOK++
			}
		case strings.HasPrefix(base, "skip_"):
			skipN++
		}
		if r.got == rejected && strings.HasPrefix(base, "invalid-") {
			var ve *sbom.ValidationError
			if !errors.As(r.err, &ve) || ve.Path == "" || !strings.Contains(r.err.Error(), base) {
				t.Errorf("%s: rejection does not name the file and the field: %v", r.rel, r.err)
			}
		}
		reason, listed := deviations[r.rel]
		if strings.HasPrefix(base, "skip_") {
			// Upstream skips these too (the schema cannot express the rule);
			// report what we do without requiring either outcome.
			t.Logf("%s (skipped upstream): %s %v", r.rel, r.got, r.err)
			continue
		}
		switch {
		case r.got == r.want && listed:
			t.Errorf("%s: listed as a deviation (%q) but now %s: remove it from deviations", r.rel, reason, r.got)
		case r.got != r.want && !listed:
			t.Errorf("%s: want %s, got %s: %v", r.rel, r.want, r.got, r.err)
		}
	}
	seen := map[string]bool{}
	for _, r := range results {
		seen[r.rel] = true
	}
	for rel := range spdx3Counts {
		if !seen[rel] {
			t.Errorf("spdx3Counts %s: no such corpus file", rel)
		}
	}
	for rel := range deviations {
		if !seen[rel] {
			t.Errorf("deviation %s: no such corpus file", rel)
		}
	}
	t.Logf("corpus %s: %d files: %v", root, len(results), counts)
	for _, dir := range sortedDirs(perDir) {
		t.Logf("  %-24s %v", dir, perDir[dir])
	}
	t.Logf("CycloneDX spec valid-*: %d/%d accepted; invalid-*: %d/%d rejected; skip_*: %d", validOK, validN, invalidOK, invalidN, skipN)
	if validOK != validN {
		t.Errorf("only %d of %d valid-* files accepted; 100%% required", validOK, validN)
	}
	if invalidN > 0 && float64(invalidOK) < 0.95*float64(invalidN) {
		t.Errorf("only %d of %d invalid-* files rejected; 95%% required", invalidOK, invalidN)
	}
}

// spdx3Want is what the SPDX 3 reader makes of a corpus file: components
// (packages, the root one excepted), dependency edges between packages
// (the root's included) and the name of the root package ("" when there
// is none or more than one).
type spdx3Want struct {
	components, edges int
	root              string
}

// spdx3Counts are the 26 SPDX 3.0.1 JSON-LD files of the corpus (the spdx-
// examples repository's spdx3.0 folders and example14's content), counted
// by an independent script over the files' @graph (Python's json module:
// elements of type software_Package, ai_AIPackage and
// dataset_DatasetPackage; the root is the one package among the
// software_Sbom's rootElement, else the SpdxDocument's, collections
// expanded; edges are contains, dependsOn, hasStaticLink, hasDynamicLink,
// hasPrerequisite, hasOptional*/hasProvidedDependency relationships
// between two distinct packages, each pair once). Most examples describe a
// single package with its files: SPDX files are not components (as for
// SPDX 2), so those have 0 components and the package as the root.
// example7's bin and third-party documents have a file as their root, so
// no root package.
var spdx3Counts = map[string]spdx3Want{
	"spdx-examples/ai/example01/spdx3.0/simplehtr-example.json":                       {12, 7, "SimpleHTR"},
	"spdx-examples/ai/example02/spdx3.0/sbom.spdx3.json":                              {1, 0, "Sentiment Demo: A Simple AI Application and its AI BOM Example"},
	"spdx-examples/dataset/example01/spdx3.0/example01.spdx3.json":                    {0, 0, "Our World in Data CO2 and Greenhouse Gas Emissions dataset"},
	"spdx-examples/software/example1/spdx3.0/example1.json":                           {0, 0, "hello"},
	"spdx-examples/software/example10/spdx3.0/hello-source.spdx3.json":                {0, 0, "hello"},
	"spdx-examples/software/example11/spdx3.0/sbom.spdx3.json":                        {3, 3, "hello-server-src"},
	"spdx-examples/software/example12/spdx3.0/hello-dist.spdx3.json":                  {0, 0, "hello"},
	"spdx-examples/software/example12/spdx3.0/hello-src.spdx3.json":                   {0, 0, "hello"},
	"spdx-examples/software/example13/spdx3.0/example13.spdx3.json":                   {3, 3, "Acme Application"},
	"spdx-examples/software/example14/content/examplemaven-0.0.1.spdx3.json":          {5, 5, "examplemaven"},
	"spdx-examples/software/example14/spdx3.0/examplemaven-0.0.1-enriched.spdx3.json": {5, 5, "examplemaven"},
	"spdx-examples/software/example3/spdx3.0/example3-bin.json":                       {0, 0, "main-bin"},
	"spdx-examples/software/example3/spdx3.0/example3-src.json":                       {0, 0, "main-src"},
	"spdx-examples/software/example4/spdx3.0/example4-bin.json":                       {2, 0, "main-bin"},
	"spdx-examples/software/example4/spdx3.0/example4-src.json":                       {0, 0, "main-src"},
	"spdx-examples/software/example5/spdx3.0/example5-bin.json":                       {0, 0, "hello-go-bin"},
	"spdx-examples/software/example5/spdx3.0/example5-src.json":                       {0, 0, "hello-go-src"},
	"spdx-examples/software/example6/spdx3.0/example6-bin.json":                       {0, 0, "hello-go-bin"},
	"spdx-examples/software/example6/spdx3.0/example6-lib.json":                       {4, 4, "go-1.15"},
	"spdx-examples/software/example6/spdx3.0/example6-src.json":                       {0, 0, "hello-go-src"},
	"spdx-examples/software/example7/spdx3.0/example7-bin.spdx3.json":                 {0, 0, ""},
	"spdx-examples/software/example7/spdx3.0/example7-go-module.spdx3.json":           {0, 0, "example.com/hello"},
	"spdx-examples/software/example7/spdx3.0/example7-golang.spdx3.json":              {0, 0, "go1.16.4.linux-amd64.tar.gz"},
	"spdx-examples/software/example7/spdx3.0/example7-third-party-modules.spdx3.json": {2, 0, ""},
	"spdx-examples/software/example8/spdx3.0/examplemaven-0.0.1.spdx3.json":           {5, 5, "examplemaven"},
	"spdx-examples/software/example9/spdx3.0/appbomination.spdx3.json":                {6, 4, "App-BOM-ination"},
}

func checkSPDX3Counts(t *testing.T, rel string, doc *sbom.Document, want spdx3Want) {
	t.Helper()
	if doc == nil {
		return // the outcome check reports the error
	}
	root := ""
	if doc.Metadata != nil {
		root = doc.Metadata.Name
	}
	if got := (spdx3Want{len(doc.Components), doc.Edges(), root}); got != want || doc.Encoding != sbom.EncodingJSONLD || doc.SpecVersion != "3.0.1" {
		t.Errorf("%s: got %+v (SPDX %s %s), want %+v", rel, got, doc.SpecVersion, doc.Encoding, want)
	}
}

func sortedDirs(m map[string]map[outcome]int) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
