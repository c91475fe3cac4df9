package cve5

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
)

// TestCorpusCVE5 reads every CVE JSON 5 record of the corpus: CISA
// vulnrichment, Go CNA records and osv.dev's test records.
func TestCorpusCVE5(t *testing.T) {
	root := corpustest.Dir(t, "nvd")
	var n, withCPE, withPkg int
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		if !strings.Contains(p, "cve5") && !strings.Contains(p, "cvelistV5") {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		a, err := Parse(f, p)
		if err != nil {
			t.Errorf("%v", err)
			return nil
		}
		n++
		if len(a.Configurations) > 0 {
			withCPE++
		}
		if len(a.Affected) > 0 {
			withPkg++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d CVE 5 records: %d with CPE configurations, %d with registry packages", n, withCPE, withPkg)
	if n < 800 {
		t.Errorf("read only %d records", n)
	}
}
