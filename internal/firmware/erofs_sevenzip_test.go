package firmware

import (
	"slices"
	"strings"
	"testing"
)

// TestErofsAndSevenZipImages analyses the EROFS images and the 7z archive
// gen.sh makes (mkfs.erofs, 7z) of the cramfs tree end to end: before they
// were unpacked the analysis failed with an unknown format; now the setuid
// /bin/su and the telnetd of rcS are found in each (also when LZ4
// compresses the tree), and the entry the archive holds encrypted (AES)
// is named in the warnings.
func TestErofsAndSevenZipImages(t *testing.T) {
	for _, c := range []struct {
		file, layer string
		warnings    []string
	}{
		{"plain.erofs", "erofs", nil},
		{"chunked.erofs", "erofs", nil},
		{"lz4hc.erofs", "erofs", nil},
		{"tree.7z", "7z", []string{"image: 7z at offset 0: /key.txt (encrypted) not read"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			res := analyzeFixture(t, c.file)
			if len(res.Layers) == 0 || res.Layers[0].Type != c.layer {
				t.Fatalf("layers %+v", res.Layers)
			}
			var got []string
			for _, is := range res.Issues {
				got = append(got, strings.Join([]string{string(is.Kind), string(is.Severity), is.Path, is.Account}, " "))
			}
			for _, want := range []string{"setuid_root medium /bin/su root", "cleartext_service critical /etc/init.d/rcS "} {
				if !slices.Contains(got, want) {
					t.Errorf("no %q in\n%s", want, strings.Join(got, "\n"))
				}
			}
			for _, w := range c.warnings {
				if !slices.Contains(res.Warnings, w) {
					t.Errorf("no warning %q in %q", w, res.Warnings)
				}
			}
			if c.warnings == nil && len(res.Warnings) > 0 {
				t.Errorf("warnings %q", res.Warnings)
			}
		})
	}
}
