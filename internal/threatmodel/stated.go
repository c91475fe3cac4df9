package threatmodel

import (
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rampart-security/rampart/internal/yamlsafe"
)

// Stated and unstated attributes.
//
// A model imported from Threat Dragon, pytm or OTM often says nothing about
// encryption, authentication or the data a flow carries. The rules then
// assume the unsafe answer (unencrypted, unauthenticated, sensitive data) —
// the zero value of the attribute, or for data classification an assumed
// high confidentiality and integrity — and every threat that exists only
// because of such an assumption says so in its why ("not stated in the
// model: assumed unencrypted"). An attribute is stated when its key is
// written in the model (`encrypted: false` is a stated answer) or, for
// models built in code, when its value is not the zero value or SetStated
// marked it.

// attrSpec is one rule-relevant attribute that a model may leave unstated.
type attrSpec struct {
	key     string   // YAML key inside the element or flow ("device.update.signed" for nested keys)
	types   []string // element types it applies to; nil for flow attributes
	assumed string   // how the rules read it when unstated
}

// Data classification is stated model-wide: a model with no assets says
// nothing about the data its elements and flows handle.
const attrData = "data"

var elementAttrs = []attrSpec{
	{key: "authentication", types: []string{TypeProcess, TypeDataStore, TypeDevice}, assumed: "no authentication"},
	{key: "authorization", types: []string{TypeProcess, TypeDataStore, TypeDevice}, assumed: "no authorization"},
	{key: "input_validation", types: []string{TypeProcess, TypeDevice}, assumed: "no input validation"},
	{key: "logging", types: []string{TypeProcess, TypeDataStore, TypeDevice}, assumed: "no security logging"},
	{key: "sandboxed", types: []string{TypeProcess, TypeDevice}, assumed: "not sandboxed"},
	{key: "rate_limited", types: []string{TypeProcess, TypeDevice}, assumed: "no rate limiting"},
	{key: "redundant", types: []string{TypeProcess, TypeDataStore}, assumed: "no redundancy"},
	{key: "encrypted_at_rest", types: []string{TypeDataStore}, assumed: "unencrypted at rest"},
	{key: "backup", types: []string{TypeDataStore}, assumed: "no backup"},
	{key: attrData, types: []string{TypeProcess, TypeDataStore, TypeDevice}, assumed: "handles data of high confidentiality and integrity"},
	{key: "device.secure_boot", types: []string{TypeDevice}, assumed: "no secure boot"},
	{key: "device.storage_encryption", types: []string{TypeDevice}, assumed: "unencrypted storage"},
	{key: "device.secure_element", types: []string{TypeDevice}, assumed: "keys outside a secure element"},
	{key: "device.default_credentials", types: []string{TypeDevice}, assumed: "universal default credentials"},
	{key: "device.unique_identity", types: []string{TypeDevice}, assumed: "no unique device identity"},
	{key: "device.physical_exposure", types: []string{TypeDevice}, assumed: "physically reachable by attackers"},
	{key: "device.tamper_detection", types: []string{TypeDevice}, assumed: "no tamper detection"},
	{key: "device.factory_reset", types: []string{TypeDevice}, assumed: "no factory reset"},
	{key: "device.local_operation", types: []string{TypeDevice}, assumed: "no local operation without the cloud"},
	{key: "device.memory_protection", types: []string{TypeDevice}, assumed: "no memory protection"},
	{key: "device.update.mechanism", types: []string{TypeDevice}, assumed: "no update mechanism"},
	{key: "device.update.signed", types: []string{TypeDevice}, assumed: "unsigned updates"},
	{key: "device.update.encrypted", types: []string{TypeDevice}, assumed: "unencrypted updates"},
	{key: "device.update.rollback_protection", types: []string{TypeDevice}, assumed: "no rollback protection"},
	{key: "device.update.automatic", types: []string{TypeDevice}, assumed: "no automatic updates"},
}

var flowAttrs = []attrSpec{
	{key: "encrypted", assumed: "unencrypted"},
	{key: "authentication", assumed: "unauthenticated"},
	{key: "authorization", assumed: "no authorization"},
	{key: "integrity", assumed: "no message integrity protection"},
	{key: "replay_protection", assumed: "no replay protection"},
	{key: attrData, assumed: "carries data of high confidentiality and integrity"},
}

// Stated reports whether the element's attribute key (a YAML key, dotted
// for nested keys such as "device.update.signed") is stated.
func (e *Element) Stated(key string) bool { return isStated(e.stated, reflect.ValueOf(e).Elem(), key) }

// SetStated marks attributes as stated even when their value is the zero
// value (an importer whose source says "not encrypted" explicitly).
func (e *Element) SetStated(keys ...string) { markStated(&e.stated, keys) }

// Stated reports whether the flow's attribute key is stated.
func (f *Flow) Stated(key string) bool { return isStated(f.stated, reflect.ValueOf(f).Elem(), key) }

// SetStated marks flow attributes as stated even when zero.
func (f *Flow) SetStated(keys ...string) { markStated(&f.stated, keys) }

// isStated: key was written in the source (stated) or its value in v (an
// Element or a Flow) is not the zero value.
func isStated(stated map[string]bool, v reflect.Value, key string) bool {
	return stated[key] || !isZero(v, strings.Split(key, "."))
}

// markStated adds keys to *stated, making the map when needed.
func markStated(stated *map[string]bool, keys []string) {
	if *stated == nil {
		*stated = map[string]bool{}
	}
	for _, k := range keys {
		(*stated)[k] = true
	}
}

// isZero follows the YAML keys path through v; a missing pointer is zero.
func isZero(v reflect.Value, path []string) bool {
	for _, k := range path {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return true
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return true
		}
		f, ok := fieldByYAML(v.Type(), k)
		if !ok {
			return true
		}
		v = v.FieldByIndex(f.Index)
	}
	return v.IsZero()
}

func fieldByYAML(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// recordStated stores the keys written for each element and flow of the
// parsed document (root is the model mapping).
func recordStated(root *yaml.Node, m *Model) {
	eachStatable(root, m, func(n *yaml.Node, stated *map[string]bool, _ reflect.Value) {
		*stated = mappingKeys(n, "", nil)
	})
}

// eachStatable calls fn with the mapping node of each element and flow of m
// in root (the model mapping), the item's stated keys and the item itself.
func eachStatable(root *yaml.Node, m *Model, fn func(n *yaml.Node, stated *map[string]bool, item reflect.Value)) {
	for i := 0; i+1 < len(root.Content); i += 2 {
		list := root.Content[i+1]
		if list.Kind != yaml.SequenceNode {
			continue
		}
		switch root.Content[i].Value {
		case "elements":
			for j, n := range list.Content {
				if j < len(m.Elements) {
					fn(n, &m.Elements[j].stated, reflect.ValueOf(&m.Elements[j]).Elem())
				}
			}
		case "flows":
			for j, n := range list.Content {
				if j < len(m.Flows) {
					fn(n, &m.Flows[j].stated, reflect.ValueOf(&m.Flows[j]).Elem())
				}
			}
		}
	}
}

func mappingKeys(n *yaml.Node, prefix string, into map[string]bool) map[string]bool {
	if n.Kind != yaml.MappingNode {
		return into
	}
	if into == nil {
		into = map[string]bool{}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := prefix + n.Content[i].Value
		into[k] = true
		if v := n.Content[i+1]; v.Kind == yaml.MappingNode && (k == "device" || k == "device.update") {
			mappingKeys(v, k+".", into)
		}
	}
	return into
}

// writeStated adds `key: false` to the encoded element and flow mappings
// for stated boolean attributes whose value is false, so that a stated
// answer survives Marshal (omitempty would drop it).
func writeStated(doc *yaml.Node, m *Model) {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return
	}
	eachStatable(root, m, func(n *yaml.Node, stated *map[string]bool, item reflect.Value) {
		addFalse(n, *stated, item)
	})
}

func addFalse(n *yaml.Node, stated map[string]bool, v reflect.Value) {
	keys := make([]string, 0, len(stated))
	for k := range stated {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		path := strings.Split(k, ".")
		if !isZero(v, path) || !isBoolField(v.Type(), path) {
			continue
		}
		m := n
		for _, p := range path[:len(path)-1] {
			m = ensureMapping(m, p)
		}
		if yamlsafe.Value(m, path[len(path)-1]) == nil {
			m.Content = append(m.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: path[len(path)-1]},
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"})
		}
	}
}

func isBoolField(t reflect.Type, path []string) bool {
	for _, k := range path {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return false
		}
		f, ok := fieldByYAML(t, k)
		if !ok {
			return false
		}
		t = f.Type
	}
	return t.Kind() == reflect.Bool
}

// unstatedElementAttrs lists the specs that apply to element e and are
// unstated.
func unstatedElementAttrs(m *Model, e *Element) []attrSpec {
	return unstated(m, elementAttrsFor(e), e.Stated)
}

// unstatedFlowAttrs lists the flow specs that are unstated for f.
func unstatedFlowAttrs(m *Model, f *Flow) []attrSpec {
	return unstated(m, flowAttrs, f.Stated)
}

// unstated lists the specs whose key stated does not report stated; the
// data classification counts as unstated while the model has no assets.
func unstated(m *Model, specs []attrSpec, stated func(key string) bool) []attrSpec {
	var out []attrSpec
	for _, a := range specs {
		if a.key == attrData {
			if len(m.Assets) == 0 {
				out = append(out, a)
			}
			continue
		}
		if !stated(a.key) {
			out = append(out, a)
		}
	}
	return out
}

// elementAttrsFor lists the specs that apply to element e.
func elementAttrsFor(e *Element) []attrSpec {
	var out []attrSpec
	for _, a := range elementAttrs {
		if slices.Contains(a.types, e.Type) {
			out = append(out, a)
		}
	}
	return out
}

// applicableElementAttrs counts the specs that apply to element e.
func applicableElementAttrs(e *Element) int { return len(elementAttrsFor(e)) }

// StatedKeys returns the keys marked stated explicitly (by the source or
// SetStated), sorted; non-zero values are stated without being listed.
func (e *Element) StatedKeys() []string { return sortedKeys(e.stated) }

// StatedKeys returns the flow's explicitly stated keys, sorted.
func (f *Flow) StatedKeys() []string { return sortedKeys(f.stated) }

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		if v {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
