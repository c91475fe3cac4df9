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
	case strings.Contains(rel, "spdx3") || strings.Contains(rel, "/spdx3.0/"):
		return unsupported // SPDX 3.0 JSON-LD
	case strings.HasSuffix(base, ".spdx.yaml"), strings.HasSuffix(base, ".spdx.xml"):
		return unsupported // SPDX YAML and XML encodings
	case strings.HasSuffix(rel, ".1.1.xml"):
		return unsupported // CycloneDX 1.1
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
		_, derr := sbom.Decode(f, filepath.Base(file.Path), sbom.Options{})
		f.Close()
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
	for rel := range deviations {
		found := false
		for _, r := range results {
			found = found || r.rel == rel
		}
		if !found {
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

func sortedDirs(m map[string]map[outcome]int) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
