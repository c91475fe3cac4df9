// Package yamlsafe checks a YAML document before gopkg.in/yaml.v3 decodes
// it into Go values. yaml.v3 (v3.0.1) looks for a repeated key by
// comparing every key of a mapping with every later one and records one
// error per repeated pair: 8 000 lines of "a: 1" (40 KB) took 57 s and
// allocated 5.9 GiB, and distinct keys still cost the square of their
// number. Check finds a repeated key in one pass and bounds the keys of a
// mapping, so the decoder's own check has nothing to report and little to
// compare. Value looks up a key in a checked node tree, for loaders that
// report positions or look at the keys a document states.
package yamlsafe

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// MaxKeys bounds the keys of one mapping (no document Rampart reads has a
// mapping of more than a few hundred).
const MaxKeys = 10000

// Check returns an error for the first mapping of n, in document order,
// that repeats a key (the message yaml.v3 gives for it) or has more than
// MaxKeys keys. Aliases are not followed: the node they name is checked
// where it is defined. The error is a *yaml.TypeError, so it reads like
// the decoder's ("yaml: unmarshal errors:\n  line N: …").
func Check(n *yaml.Node) error {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.MappingNode {
		if len(n.Content)/2 > MaxKeys {
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: mapping of %d keys, more than %d", n.Line, len(n.Content)/2, MaxKeys)}}
		}
		type key struct {
			kind  yaml.Kind
			value string
		}
		seen := make(map[key]*yaml.Node, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if first, ok := seen[key{k.Kind, k.Value}]; ok {
				return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: mapping key %#v already defined at line %d", k.Line, k.Value, first.Line)}}
			}
			seen[key{k.Kind, k.Value}] = k
		}
	}
	for _, c := range n.Content {
		if err := Check(c); err != nil {
			return err
		}
	}
	return nil
}

// Unmarshal is yaml.Unmarshal(data, v) after Check.
func Unmarshal(data []byte, v any) error {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return err
	}
	if n.Kind == 0 { // an empty document: nothing to check
		return yaml.Unmarshal(data, v)
	}
	if err := Check(&n); err != nil {
		return err
	}
	return n.Decode(v)
}

// Value returns the value node of key in mapping n, or nil (also when n is
// not a mapping).
func Value(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
