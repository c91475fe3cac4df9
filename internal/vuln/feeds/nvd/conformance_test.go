package nvd

import (
	"os"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/vuln"
)

// TestCorpusNVD reads every NVD API 2.0 and 1.1 file of the corpus (CVE 5
// records live in nvd/cve5 and elsewhere under osv.dev-testdata; they are
// the cve5 package's).
func TestCorpusNVD(t *testing.T) {
	root := corpustest.Dir(t, "nvd")
	var files, records, configs int
	for _, file := range corpustest.Files(t, root, func(rel string) bool {
		return strings.HasSuffix(rel, ".json") && !strings.Contains("/"+rel, "/cve5/") && !strings.Contains("/"+rel, "/cvelistV5/")
	}) {
		f, err := os.Open(file.Path)
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 4096)
		n, _ := f.Read(head)
		if _, err := f.Seek(0, 0); err != nil {
			t.Fatal(err)
		}
		read := Read
		if strings.Contains(string(head[:n]), `"CVE_Items"`) || strings.Contains(string(head[:n]), `"CVE_data_type"`) {
			read = Read11
		}
		files++
		if err := read(f, file.Path, func(a *vuln.Advisory) error {
			records++
			configs += len(a.Configurations)
			return nil
		}); err != nil {
			t.Errorf("%v", err)
		}
		f.Close()
	}
	t.Logf("%d files, %d CVE records, %d configurations", files, records, configs)
	if records < 700 {
		t.Errorf("read only %d records", records)
	}
}
