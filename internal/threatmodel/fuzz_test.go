package threatmodel

import (
	"bytes"
	"testing"

	"github.com/rampart-security/rampart/internal/fuzzseed"
)

func seeds(f *testing.F) {
	fuzzseed.Glob(f, "templates/*.yaml", "testdata/*.yaml")
	f.Add([]byte(`{"title":"j","elements":[{"id":"a","type":"device","device":{"radios":[{"type":"ble"}]}}]}`))
}

// FuzzParse: the loader never panics, returns only *ValidationError, and
// what it accepts survives Marshal and Parse unchanged.
func FuzzParse(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if _, ok := err.(*ValidationError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		out, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Parse(out, "re.yaml")
		if err != nil {
			t.Fatalf("marshalled model does not parse: %v\n%s", err, out)
		}
		if d := Compare(m, nil, m2, nil); !d.Empty() {
			t.Fatalf("round trip changed the model: %+v", d)
		}
	})
}

// FuzzCheck: every model the loader accepts can be checked, drawn and reported.
func FuzzCheck(f *testing.F) {
	seeds(f)
	lib, err := DefaultLibrary()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data, "fuzz.yaml")
		if err != nil {
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
	})
}

// FuzzApplyEdit: an edit request from the API never panics, and what it
// accepts is a model Parse loads.
func FuzzApplyEdit(f *testing.F) {
	f.Add("elements", "add", "", []byte(`{"name":"Web","type":"process","position":{"x":1,"y":2}}`))
	f.Add("elements", "update", "user", []byte(`{"boundary":null,"device":{"update":{"signed":true}}}`))
	f.Add("flows", "update", "f1", []byte(`{"encrypted":true,"data":[]}`))
	f.Add("boundaries", "add", "", []byte(`{"name":"Cloud","position":{"x":0,"y":0,"w":10,"h":10}}`))
	f.Add("boundaries", "delete", "dmz", []byte(nil))
	f.Fuzz(func(t *testing.T, collection, action, id string, fields []byte) {
		r, err := ApplyEdit([]byte(editSource), "fuzz.yaml", Edit{Collection: collection, Action: action, ID: id, Fields: fields})
		if err != nil {
			return
		}
		if _, err := Parse(r.Source, "re.yaml"); err != nil {
			t.Fatalf("accepted edit does not load: %v\n%s", err, r.Source)
		}
	})
}
