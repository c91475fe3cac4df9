package nvd

import (
	"os"
	"path/filepath"
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
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "cve5" || d.Name() == "cvelistV5") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".json") {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		head := make([]byte, 4096)
		n, _ := f.Read(head)
		if _, err := f.Seek(0, 0); err != nil {
			return err
		}
		read := Read
		if strings.Contains(string(head[:n]), `"CVE_Items"`) || strings.Contains(string(head[:n]), `"CVE_data_type"`) {
			read = Read11
		}
		files++
		if err := read(f, p, func(a *vuln.Advisory) error {
			records++
			configs += len(a.Configurations)
			return nil
		}); err != nil {
			t.Errorf("%v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files, %d CVE records, %d configurations", files, records, configs)
	if records < 700 {
		t.Errorf("read only %d records", records)
	}
}
