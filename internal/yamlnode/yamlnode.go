// Package yamlnode reads gopkg.in/yaml.v3 node trees, for loaders that
// report positions or look at the keys a document states.
package yamlnode

import "gopkg.in/yaml.v3"

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
