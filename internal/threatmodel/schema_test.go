package threatmodel

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// TestSchemaAgreesWithParser validates the templates (which Parse accepts)
// and a few broken models (which Parse rejects) against the published schema.
func TestSchemaAgreesWithParser(t *testing.T) {
	raw, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("threatmodel.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("threatmodel.json")
	if err != nil {
		t.Fatal(err)
	}
	asJSON := func(y []byte) any {
		var v any
		if err := yaml.Unmarshal(y, &v); err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, name := range Templates() {
		data, _ := Template(name)
		if err := sch.Validate(asJSON(data)); err != nil {
			t.Errorf("template %s does not match the schema: %v", name, err)
		}
	}
	for _, bad := range []string{
		"title: x\nelements:\n  - {id: a, type: robot}\n",
		"title: x\nelements: []\ncolour: red\n",
		"title: x\nelements:\n  - {id: d, type: device, device: {radios: [{type: ble, pairing: shout}]}}\n",
	} {
		if _, err := Parse([]byte(bad), "bad.yaml"); err == nil {
			t.Errorf("Parse accepted %q", bad)
		}
		if err := sch.Validate(asJSON([]byte(bad))); err == nil {
			t.Errorf("schema accepted %q", strings.TrimSpace(bad))
		}
	}
}
