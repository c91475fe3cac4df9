package threatmodel

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Marshal writes the model as Rampart YAML (the format Parse reads).
func Marshal(m *Model) ([]byte, error) {
	if m.Rampart == "" {
		m.Rampart = Version
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Rampart threat model (%s). Check it with: rampart threatmodel check FILE\n", Version)
	var doc yaml.Node
	if err := doc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode model %s: %w", modelName(m), err)
	}
	writeStated(&doc, m)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("encode model %s: %w", modelName(m), err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
