package yamlnode

import (
	"testing"

	"gopkg.in/yaml.v3"
)

func TestValue(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("a: 1\nb:\n  c: x\nlist: [1, 2]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	if v := Value(root, "a"); v == nil || v.Value != "1" || v.Line != 1 {
		t.Errorf("a = %+v", v)
	}
	if v := Value(Value(root, "b"), "c"); v == nil || v.Value != "x" {
		t.Errorf("b.c = %+v", v)
	}
	if v := Value(root, "missing"); v != nil {
		t.Errorf("missing = %+v", v)
	}
	if v := Value(Value(root, "list"), "a"); v != nil {
		t.Errorf("a sequence has no keys: %+v", v)
	}
}
