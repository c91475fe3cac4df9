package findings_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/goldentest"
	"github.com/rampart-security/rampart/internal/sarif"
	"github.com/rampart-security/rampart/internal/scanners"
)

// TestWriteSARIFGolden writes the findings of scanner fixtures (vulnerable
// packages with CVSS scores, web alerts with CWEs and solutions, source
// findings with lines) as SARIF and compares the log with
// testdata/<name>.sarif. Regenerate with -update.
func TestWriteSARIFGolden(t *testing.T) {
	for _, tt := range []struct{ golden, report string }{
		{"trivy-image", "../scanners/trivy/testdata/image.json"},
		{"zap-two-sites", "../scanners/zap/testdata/two-sites.xml"},
		{"gosec", "../scanners/gosec/testdata/report.json"},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			f, err := os.Open(tt.report)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var fs []findings.Finding
			if _, err := scanners.Stream(f, tt.report, "", func(x findings.Finding) error {
				x.Normalize()
				fs = append(fs, x)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(fs) == 0 {
				t.Fatalf("%s: no findings", tt.report)
			}
			var buf bytes.Buffer
			if err := findings.WriteSARIF(&buf, fs); err != nil {
				t.Fatal(err)
			}
			if err := sarif.Validate(buf.Bytes()); err != nil {
				t.Fatal(err)
			}
			goldentest.Compare(t, filepath.Join("testdata", tt.golden+".sarif"), buf.Bytes())
		})
	}
}
