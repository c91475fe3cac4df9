package sbom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/yamlsafe"
	"gopkg.in/yaml.v3"
)

// SPDX 2.2 and 2.3 YAML (SPDX 2.3 clause 4.4, Annex "SPDX YAML"): the
// same document as SPDX JSON, with the same field names, written as YAML.
// tools-golang's yaml reader converts YAML to JSON and unmarshals the
// JSON model; so does this one: the YAML is turned into the equivalent
// JSON text and imported by decodeSPDXJSON, with the same schema
// validation and the same mapping to components (fromSPDX). YAML syntax
// errors name the line; schema errors name the field (a JSON pointer,
// which is the YAML key path).

// yamlMinNodes is the least bound on the nodes the conversion writes, aliases expanded,
// so that a small document of nested aliases ("billion laughs") cannot
// expand into a huge one. A document writes at most one node per input
// byte without aliases; the bound (four per byte) leaves room for honest
// anchors.
const yamlMinNodes = 1 << 16

// yamlMaxBytes bounds SPDX YAML documents, which are decoded whole into
// a yaml.v3 node tree (about 40 bytes allocated per input byte, see
// BenchmarkDecodeSPDXYAML10k in docs/performance.md) and not streamed: a
// 512 MiB YAML file would need gigabytes. Larger SBOMs should be SPDX
// JSON or tag-value, which stream.
const yamlMaxBytes = StreamThreshold

func decodeSPDXYAML(data []byte, name string, f Format) (*Document, error) {
	if int64(len(data)) > yamlMaxBytes {
		return nil, fmt.Errorf("%s: %w: SPDX YAML larger than %s (YAML is decoded whole; write the SBOM as SPDX JSON or tag-value, which stream)", name, ErrTooLarge, humanBytes(yamlMaxBytes))
	}
	js, err := spdxYAMLToJSON(data, name, f)
	if err != nil {
		return nil, err
	}
	return decodeSPDXJSON(js, name, f)
}

// spdxYAMLToJSON converts one YAML document to JSON text.
func spdxYAMLToJSON(data []byte, name string, f Format) ([]byte, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return nil, yamlSyntaxError(data, name, f, err)
	}
	if err := yamlsafe.Check(&root); err != nil { // repeated keys, over-long mappings
		at, msg, _ := strings.Cut(strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n  "), ": ") // "line N: …"
		return nil, invalid(name, at, "SPDX %s YAML: %s", f.SpecVersion, msg)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, invalid(name, fmt.Sprintf("line %d", extra.Line), "SPDX %s YAML: a second YAML document in the file (an SBOM file holds one document)", f.SpecVersion)
	}
	c := yamlToJSON{name: name, budget: max(yamlMinNodes, 4*len(data))}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, invalid(name, fmt.Sprintf("line %d", doc.Line), "SPDX %s YAML: the document is not a mapping", f.SpecVersion)
	}
	if err := c.node(doc, 0); err != nil {
		return nil, err
	}
	return c.buf.Bytes(), nil
}

// yamlToJSON writes YAML nodes as JSON.
type yamlToJSON struct {
	name   string
	buf    bytes.Buffer
	budget int
}

// yamlMaxDepth bounds nesting (an SPDX document nests five levels).
const yamlMaxDepth = 64

func (c *yamlToJSON) fail(n *yaml.Node, format string, args ...any) error {
	return invalid(c.name, fmt.Sprintf("line %d column %d", n.Line, n.Column), "SPDX YAML: "+format, args...)
}

func (c *yamlToJSON) node(n *yaml.Node, depth int) error {
	c.budget--
	switch {
	case c.budget < 0:
		return c.fail(n, "the document expands to too many nodes (nested aliases?)")
	case depth > yamlMaxDepth:
		return c.fail(n, "nested deeper than %d levels", yamlMaxDepth)
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return c.fail(n, "alias %q to an unknown anchor", n.Value)
		}
		return c.node(n.Alias, depth+1)
	case yaml.MappingNode:
		c.buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				return c.fail(k, "a mapping key is not a scalar")
			}
			if k.Tag == "!!merge" {
				return c.fail(k, "merge keys (<<) are not part of SPDX YAML")
			}
			if i > 0 {
				c.buf.WriteByte(',')
			}
			writeJSONString(&c.buf, k.Value)
			c.buf.WriteByte(':')
			if err := c.node(v, depth+1); err != nil {
				return err
			}
		}
		c.buf.WriteByte('}')
	case yaml.SequenceNode:
		c.buf.WriteByte('[')
		for i, e := range n.Content {
			if i > 0 {
				c.buf.WriteByte(',')
			}
			if err := c.node(e, depth+1); err != nil {
				return err
			}
		}
		c.buf.WriteByte(']')
	case yaml.ScalarNode:
		return c.scalar(n)
	default:
		return c.fail(n, "unexpected YAML node")
	}
	return nil
}

// scalar writes a scalar by its resolved YAML 1.2 core-schema tag, as
// sigs.k8s.io/yaml (tools-golang's converter) does: numbers, booleans and
// null as JSON literals, everything else (strings, timestamps, which SPDX
// keeps as text) as strings with their text unchanged.
func (c *yamlToJSON) scalar(n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		c.buf.WriteString("null")
		return nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return c.fail(n, "%v", err)
		}
		c.buf.WriteString(strconv.FormatBool(b))
		return nil
	case "!!int", "!!float":
		var v float64
		if err := n.Decode(&v); err != nil {
			return c.fail(n, "%v", err)
		}
		out, err := json.Marshal(v)
		if err != nil {
			return c.fail(n, "number %q has no JSON equivalent", n.Value)
		}
		if n.ShortTag() == "!!int" {
			if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
				out = strconv.AppendInt(nil, i, 10)
			}
		}
		c.buf.Write(out)
		return nil
	case "!!binary":
		return c.fail(n, "binary values are not part of SPDX YAML")
	}
	writeJSONString(&c.buf, n.Value)
	return nil
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a string always marshals
	buf.Write(b)
}

var (
	yamlLineRE   = regexp.MustCompile(`^yaml: line (\d+): `)
	yamlAnchorRE = regexp.MustCompile(`unknown anchor '([^']*)' referenced`)
)

// yamlSyntaxError is a yaml.v3 parse error naming its line (yaml.v3 names
// none for an alias to an unknown anchor: the alias's line is found).
func yamlSyntaxError(data []byte, name string, f Format, err error) error {
	msg, at := err.Error(), ""
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		msg, at = msg[len(m[0]):], "line "+m[1]
	} else if m := yamlAnchorRE.FindStringSubmatch(msg); m != nil {
		at = firstLineWith(data, "*"+m[1], false)
	}
	return invalid(name, at, "SPDX %s YAML: %s", f.SpecVersion, strings.TrimPrefix(msg, "yaml: "))
}
