package imports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

func TestQuickCorpus(t *testing.T) {
	root := corpustest.Dir(t, "threatmodel")
	lib, _ := threatmodel.DefaultLibrary()
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if d.IsDir() || !(strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".yaml")) {
			return nil
		}
		data, _ := os.ReadFile(p)
		dir := filepath.Dir(p)
		im, err := Import(data, p[len(root)+1:], "", Options{ReadInclude: func(n string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, n)) }})
		if err != nil {
			t.Logf("FAIL %s", err)
			return nil
		}
		res := lib.Check(im.Model)
		t.Logf("OK   %s [%s] %d el %d fl %d thr %d warn", p[len(root)+1:], im.Format, len(im.Model.Elements), len(im.Model.Flows), len(res.Threats), len(im.Warnings))
		return nil
	})
}
