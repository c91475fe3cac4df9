package cve5

import (
	"os"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
)

// TestCorpusCVE5 reads every CVE JSON 5 record of the corpus: CISA
// vulnrichment, Go CNA records and osv.dev's test records.
func TestCorpusCVE5(t *testing.T) {
	root := corpustest.Dir(t, "nvd")
	var n, withCPE, withPkg int
	for _, file := range corpustest.Files(t, root, func(rel string) bool {
		return strings.HasSuffix(rel, ".json") && (strings.Contains(rel, "cve5") || strings.Contains(rel, "cvelistV5"))
	}) {
		f, err := os.Open(file.Path)
		if err != nil {
			t.Fatal(err)
		}
		a, err := Parse(f, file.Path)
		f.Close()
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		n++
		if len(a.Configurations) > 0 {
			withCPE++
		}
		if len(a.Affected) > 0 {
			withPkg++
		}
	}
	t.Logf("%d CVE 5 records: %d with CPE configurations, %d with registry packages", n, withCPE, withPkg)
	if n < 800 {
		t.Errorf("read only %d records", n)
	}
}
