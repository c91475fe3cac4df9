package osv

import (
	"bytes"
	"encoding/json"
	"io"

	"gopkg.in/yaml.v3"

	"github.com/rampart-security/rampart/internal/vuln"
)

// maxYAMLDepth bounds nesting so hostile input cannot exhaust the stack.
const maxYAMLDepth = 64

// ParseYAML decodes one OSV record in its YAML form (as kept upstream by
// pypa/advisory-database and oss-fuzz-vulns). Every scalar is read as text,
// so unquoted versions like 1.10 keep their spelling.
func ParseYAML(r io.Reader, name string) (*vuln.Advisory, error) {
	dec := yaml.NewDecoder(r)
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, vuln.Errorf(name, "", "empty YAML document")
		}
		return nil, vuln.Errorf(name, "", "YAML: %w", err)
	}
	var buf bytes.Buffer
	if err := yamlToJSON(&buf, &doc, 0, name); err != nil {
		return nil, err
	}
	var rec record
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		return nil, jsonError(name, err)
	}
	return convert(&rec, name)
}

func yamlToJSON(w *bytes.Buffer, n *yaml.Node, depth int, name string) error {
	if depth > maxYAMLDepth {
		return vuln.Errorf(name, "", "line %d: nesting deeper than %d", n.Line, maxYAMLDepth)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			w.WriteString("null")
			return nil
		}
		return yamlToJSON(w, n.Content[0], depth+1, name)
	case yaml.MappingNode:
		w.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				w.WriteByte(',')
			}
			k, _ := json.Marshal(n.Content[i].Value)
			w.Write(k)
			w.WriteByte(':')
			if err := yamlToJSON(w, n.Content[i+1], depth+1, name); err != nil {
				return err
			}
		}
		w.WriteByte('}')
	case yaml.SequenceNode:
		w.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				w.WriteByte(',')
			}
			if err := yamlToJSON(w, c, depth+1, name); err != nil {
				return err
			}
		}
		w.WriteByte(']')
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			w.WriteString("null")
			return nil
		}
		s, _ := json.Marshal(n.Value)
		w.Write(s)
	case yaml.AliasNode:
		return vuln.Errorf(name, "", "line %d: YAML aliases are not allowed in OSV records", n.Line)
	default:
		return vuln.Errorf(name, "", "line %d: unexpected YAML node kind %d", n.Line, n.Kind)
	}
	return nil
}
