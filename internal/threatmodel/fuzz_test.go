package threatmodel

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("templates/*.yaml")
	more, _ := filepath.Glob("testdata/*.yaml")
	for _, p := range append(files, more...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"title":"j","elements":[{"id":"a","type":"device","device":{"radios":[{"type":"ble"}]}}]}`))
	lib, err := DefaultLibrary()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if _, ok := err.(*ValidationError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		res := lib.Check(m)
		var b bytes.Buffer
		if err := WriteDOT(&b, m, DiagramOptions{Result: res}); err != nil {
			t.Fatal(err)
		}
		if err := WriteMermaid(&b, m, DiagramOptions{Result: res}); err != nil {
			t.Fatal(err)
		}
		if err := WriteMarkdown(&b, m, res); err != nil {
			t.Fatal(err)
		}
		out, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(out, "re.yaml"); err != nil {
			t.Fatalf("marshalled model does not parse: %v\n%s", err, out)
		}
	})
}
