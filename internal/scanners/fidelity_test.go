package scanners_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners"
)

// Issue 14's measurable targets: on real reports of supported tools at
// least 95% auto-detect and parse, with no panic; and the findings keep
// the fields their tool reports (measured here as field fidelity, target
// 90%). docs/findings.md ("Corpus conformance") reports the figures.
const (
	targetDetectParse   = 0.95
	targetFieldFidelity = 0.90
)

// family says which fields a format's findings must carry to be read
// faithfully: network scanners a host, web scanners a URL or host,
// dependency scanners a component (or, for Trivy's misconfigurations and
// secrets, a file) and an identifier, code scanners a file and a rule.
func family(format string) string {
	switch format {
	case "nessus", "nessus-csv", "nexpose", "openvas", "openvas-csv", "qualys", "qualys-csv":
		return "network"
	case "zap", "zap-json", "burp", "gitlab-dast", "qualys-was":
		return "web"
	case "trivy", "grype", "osv-scanner", "npm-audit", "snyk", "dependency-check", "dependency-check-json", "cyclonedx", "cyclonedx-xml":
		return "dependency"
	case "sarif", "semgrep", "gosec", "bandit", "gitlab-sast":
		return "code"
	}
	return "generic"
}

// fields returns how many of the fields a finding's family requires it
// carries, and how many there are.
func fields(fam string, f findings.Finding) (have, want int) {
	check := func(ok bool) {
		want++
		if ok {
			have++
		}
	}
	check(f.Title != "")
	check(f.Severity.Valid())
	anyLoc := func(p func(findings.Location) bool) bool {
		for _, l := range f.Locations {
			if p(l) {
				return true
			}
		}
		return false
	}
	switch fam {
	case "network":
		check(anyLoc(func(l findings.Location) bool { return l.Host != "" }))
		check(f.RuleID != "")
	case "web":
		check(anyLoc(func(l findings.Location) bool { return l.URL != "" || l.Host != "" }))
		check(f.RuleID != "" || len(f.CWEs) > 0)
	case "dependency":
		check(f.Component.Name != "" || anyLoc(func(l findings.Location) bool { return l.File != "" }))
		check(f.Component.Name == "" || f.Component.Version != "")
		check(len(f.VulnerabilityIDs) > 0 || f.RuleID != "")
	case "code":
		check(anyLoc(func(l findings.Location) bool { return l.File != "" }))
		check(f.RuleID != "")
	}
	return have, want
}

func TestImportFidelityTargets(t *testing.T) {
	root := corpustest.Dir(t, "scans")
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.EqualFold(d.Name(), "README.md") {
			return err
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The SBOM and VEX folders hold real CycloneDX documents with a
	// vulnerabilities section (VDRs, VEX): reports of the cyclonedx format.
	for _, extra := range []string{"sbom", "vex"} {
		dir := corpustest.Dir(t, extra)
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.Contains(p, "/schema/") {
				return err
			}
			ext := filepath.Ext(p)
			if ext != ".json" && ext != ".xml" {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if ext == ".json" && bytes.Contains(b, []byte(`"bomFormat"`)) && bytes.Contains(b, []byte(`"vulnerabilities"`)) ||
				ext == ".xml" && bytes.Contains(b, []byte("cyclonedx.org/schema/bom")) && bytes.Contains(b, []byte("<vulnerabilities")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	type tally struct{ files, ok, findings, have, want int }
	per := map[string]*tally{}
	total := &tally{}
	var failures []string
	panics := 0
	for _, p := range files {
		rel, _ := filepath.Rel(filepath.Dir(root), p)
		rel = filepath.ToSlash(rel)
		format, list, panicked, err := parseGuarded(p, rel)
		if panicked != "" {
			panics++
			failures = append(failures, rel+": PANIC "+panicked)
			continue
		}
		total.files++
		if err != nil && !findings.TakenAsPartial(err, len(list)) { // an import takes it as a partial scan
			failures = append(failures, rel+": "+err.Error())
			continue
		}
		total.ok++
		tl := per[format]
		if tl == nil {
			tl = &tally{}
			per[format] = tl
		}
		tl.files++
		tl.ok++
		fam := family(format)
		for _, f := range list {
			h, w := fields(fam, f)
			tl.findings++
			tl.have += h
			tl.want += w
			total.findings++
			total.have += h
			total.want += w
		}
	}
	rate := float64(total.ok) / float64(total.files+panics)
	fidelity := float64(total.have) / float64(total.want)
	names := make([]string, 0, len(per))
	for n := range per {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		tl := per[n]
		fmt.Fprintf(&b, "  %-22s %3d files %6d findings  field fidelity %5.1f%%\n", n, tl.ok, tl.findings, 100*float64(tl.have)/float64(max(tl.want, 1)))
	}
	t.Logf("corpus reports (scans/, and CycloneDX VDR/VEX in sbom/ and vex/): %d files, %d auto-detected and parsed (%.1f%%), %d panics; %d findings, field fidelity %.1f%% (%d of %d required fields)\n%s\nnot imported:\n  %s",
		total.files+panics, total.ok, 100*rate, panics, total.findings, 100*fidelity, total.have, total.want, b.String(), strings.Join(failures, "\n  "))
	if panics > 0 {
		t.Errorf("%d panics", panics)
	}
	if rate < targetDetectParse {
		t.Errorf("auto-detect and parse %.1f%% < %.0f%%", 100*rate, 100*targetDetectParse)
	}
	if fidelity < targetFieldFidelity {
		t.Errorf("field fidelity %.1f%% < %.0f%%", 100*fidelity, 100*targetFieldFidelity)
	}
}

// parseGuarded detects and parses one file without --tool, turning a
// panic into a result.
func parseGuarded(path, rel string) (format string, list []findings.Finding, panicked string, err error) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Sprint(r)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return "", nil, "", err
	}
	defer f.Close()
	format, list, err = scanners.Parse(f, rel, "")
	return format, list, "", err
}
