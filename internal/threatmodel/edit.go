package threatmodel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rampart-security/rampart/internal/yamlsafe"
)

// Layout holds where the visual editor draws elements and trust boundaries
// (top-level `layout:` key). It is presentation only: the rules ignore it,
// and it lives in a section of its own so moving an element on the canvas
// never touches the element's own YAML.
type Layout struct {
	Elements   map[string]Box `yaml:"elements,omitempty" json:"elements,omitempty"`
	Boundaries map[string]Box `yaml:"boundaries,omitempty" json:"boundaries,omitempty"`
}

// Box is a position (top-left corner) and, for boundaries, a size.
type Box struct {
	X float64 `yaml:"x" json:"x"`
	Y float64 `yaml:"y" json:"y"`
	W float64 `yaml:"w,omitempty" json:"w,omitempty"`
	H float64 `yaml:"h,omitempty" json:"h,omitempty"`
}

// Position returns the layout box of an element or boundary, if any.
func (m *Model) Position(collection, id string) *Box {
	if m.Layout == nil {
		return nil
	}
	var b Box
	var ok bool
	switch collection {
	case CollectionElements:
		b, ok = m.Layout.Elements[id]
	case CollectionBoundaries:
		b, ok = m.Layout.Boundaries[id]
	}
	if !ok {
		return nil
	}
	return &b
}

// The collections an Edit changes.
const (
	CollectionElements   = "elements"
	CollectionFlows      = "flows"
	CollectionBoundaries = "boundaries"
)

// Edit actions.
const (
	EditAdd    = "add"
	EditUpdate = "update"
	EditDelete = "delete"
)

// Edit is one change to a model's elements, flows or trust boundaries, as
// the element API and the visual editor make it.
type Edit struct {
	Collection string // CollectionElements, CollectionFlows or CollectionBoundaries
	Action     string // EditAdd, EditUpdate or EditDelete
	ID         string // the item to update or delete
	// Fields is a JSON object: the new item (add), or a JSON merge patch
	// (RFC 7396: null removes a field) of the item (update). A "position"
	// member ({"x":…,"y":…}, and "w","h" for boundaries) is written to the
	// model's layout section; it is allowed on elements and boundaries.
	Fields json.RawMessage
}

// EditResult is a model after an edit.
type EditResult struct {
	Source []byte
	Model  *Model
	// ID is the item added, updated or deleted (generated from the name
	// when an added item has no id).
	ID string
	// Removed lists what a delete removed with the item ("flow f1": the
	// flows of a deleted element) or moved ("element web: boundary dmz →
	// cloud": the members of a deleted boundary).
	Removed []string
}

// EditError is a request that cannot be applied; Field names the input.
type EditError struct {
	Field string
	Msg   string
}

func (e *EditError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Unwrap lets callers match it as invalid input.
func (e *EditError) Unwrap() error { return ErrInvalid }

// ErrEditNotFound is an update or delete of an id the model does not have.
var ErrEditNotFound = errors.New("not in the model")

func editErr(field, format string, args ...any) error {
	return &EditError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

var itemTypes = map[string]reflect.Type{
	CollectionElements:   reflect.TypeFor[Element](),
	CollectionFlows:      reflect.TypeFor[Flow](),
	CollectionBoundaries: reflect.TypeFor[Boundary](),
}

var singular = map[string]string{CollectionElements: "element", CollectionFlows: "flow", CollectionBoundaries: "boundary"}

// ApplyEdit applies one edit to the YAML source of a Rampart model and
// returns the new source, validated. The YAML document is edited as a
// node tree: comments, key order, quoting and everything the edit does not
// touch stay as they were written. file names the model in errors.
func ApplyEdit(src []byte, file string, e Edit) (*EditResult, error) {
	typ, ok := itemTypes[e.Collection]
	if !ok {
		return nil, editErr("collection", "%q is not elements, flows or boundaries", e.Collection)
	}
	before, err := Parse(src, file)
	if err != nil {
		return nil, fmt.Errorf("the current model does not load: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, editErr("", "the model is not a YAML mapping")
	}
	root := doc.Content[0]
	var fields map[string]json.RawMessage
	if e.Action != EditDelete {
		if err := json.Unmarshal(e.Fields, &fields); err != nil || fields == nil {
			return nil, editErr("", "the body must be a JSON object")
		}
	}
	var pos *Box
	posCleared := false
	if raw, ok := fields["position"]; ok {
		delete(fields, "position")
		if e.Collection == CollectionFlows {
			return nil, editErr("position", "flows have no position: they are drawn between their elements")
		}
		posCleared = string(raw) == "null"
		if !posCleared {
			pos = new(Box)
			if err := strictJSON(raw, pos); err != nil {
				return nil, editErr("position", "%v", err)
			}
			if err := checkBox(*pos); err != nil {
				return nil, editErr("position", "%v", err)
			}
		}
	}
	out := &EditResult{ID: e.ID}
	seq := ensureSeq(root, e.Collection)
	switch e.Action {
	case EditAdd:
		id, err := addItem(before, seq, typ, e.Collection, fields)
		if err != nil {
			return nil, err
		}
		out.ID = id
	case EditUpdate:
		item := findItem(seq, e.ID)
		if item == nil {
			return nil, fmt.Errorf("%s %q: %w", singular[e.Collection], e.ID, ErrEditNotFound)
		}
		if raw, ok := fields["id"]; ok {
			var id string
			if json.Unmarshal(raw, &id) != nil || id != e.ID {
				return nil, editErr("id", "an id cannot be changed (delete the %s and add a new one)", singular[e.Collection])
			}
			delete(fields, "id")
		}
		if err := mergePatch(item, typ, fields, ""); err != nil {
			return nil, err
		}
	case EditDelete:
		if findItem(seq, e.ID) == nil {
			return nil, fmt.Errorf("%s %q: %w", singular[e.Collection], e.ID, ErrEditNotFound)
		}
		out.Removed = deleteItem(before, root, e.Collection, e.ID)
	default:
		return nil, editErr("action", "%q is not add, update or delete", e.Action)
	}
	if pos != nil {
		setLayout(root, e.Collection, out.ID, *pos)
	} else if posCleared || e.Action == EditDelete {
		removeLayout(root, e.Collection, out.ID)
	}
	if len(seq.Content) == 0 && e.Collection != CollectionElements {
		removeKey(root, e.Collection)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	m, err := Parse(b.Bytes(), file)
	if err != nil {
		return nil, err
	}
	out.Source, out.Model = b.Bytes(), m
	return out, nil
}

func strictJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func checkBox(b Box) error {
	for _, v := range []float64{b.X, b.Y, b.W, b.H} {
		if math.IsNaN(v) || math.Abs(v) > 1e6 {
			return fmt.Errorf("coordinates must be numbers within ±1000000")
		}
	}
	if b.W < 0 || b.H < 0 {
		return fmt.Errorf("w and h must not be negative")
	}
	return nil
}

func removeKey(n *yaml.Node, key string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content = slices.Delete(n.Content, i, i+2)
			return
		}
	}
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// ensureMapping returns the mapping under key in mapping n: the one there,
// else a new empty one, added at the end in place of a value that is not a
// mapping.
func ensureMapping(n *yaml.Node, key string) *yaml.Node {
	if v := yamlsafe.Value(n, key); v != nil && v.Kind == yaml.MappingNode {
		return v
	}
	removeKey(n, key)
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	n.Content = append(n.Content, scalar(key), v)
	return v
}

// ensureSeq returns the sequence under key in root, creating it (before
// elements for boundaries, after elements or the last flow for flows).
func ensureSeq(root *yaml.Node, key string) *yaml.Node {
	if v := yamlsafe.Value(root, key); v != nil {
		if v.Kind != yaml.SequenceNode { // `flows:` with no value, or null
			*v = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		}
		return v
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	at := len(root.Content)
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i].Value
		if key == CollectionBoundaries && k == CollectionElements {
			at = i
		}
		if key == CollectionFlows && k == CollectionElements {
			at = i + 2
		}
	}
	root.Content = slices.Insert(root.Content, at, scalar(key), seq)
	return seq
}

func findItem(seq *yaml.Node, id string) *yaml.Node {
	for _, c := range seq.Content {
		if c.Kind == yaml.MappingNode {
			if v := yamlsafe.Value(c, "id"); v != nil && v.Value == id {
				return c
			}
		}
	}
	return nil
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

func addItem(before *Model, seq *yaml.Node, typ reflect.Type, collection string, fields map[string]json.RawMessage) (string, error) {
	raw, _ := json.Marshal(fields)
	item := reflect.New(typ)
	if err := strictJSON(raw, item.Interface()); err != nil {
		return "", editErr("", "%s: %v", singular[collection], err)
	}
	idf := item.Elem().FieldByName("ID")
	id := idf.String()
	if id == "" { // derive one from the name (or the flow's ends)
		base := ""
		if n := item.Elem().FieldByName("Name"); n.IsValid() {
			base = n.String()
		}
		if base == "" && collection == CollectionFlows {
			base = item.Elem().FieldByName("From").String() + "-to-" + item.Elem().FieldByName("To").String()
		}
		base = strings.Trim(slugRE.ReplaceAllString(strings.ToLower(base), "-"), "-")
		if base == "" || base == "-to-" {
			base = singular[collection]
		}
		id = base
		for n := 2; findItem(seq, id) != nil || before.Element(id) != nil || before.Flow(id) != nil || before.Boundary(id) != nil; n++ {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		idf.SetString(id)
	} else if findItem(seq, id) != nil {
		return "", editErr("id", "%s %q already exists", singular[collection], id)
	}
	var n yaml.Node
	if err := n.Encode(item.Interface()); err != nil {
		return "", err
	}
	seq.Content = append(seq.Content, &n)
	return id, nil
}

// fieldsOf maps yaml names to struct fields (the json names are the same).
func fieldsOf(t reflect.Type) (map[string]reflect.StructField, []string) {
	out := map[string]reflect.StructField{}
	var order []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		out[name] = f
		order = append(order, name)
	}
	return out, order
}

// mergePatch applies a JSON merge patch to a YAML mapping of type t:
// changed values are replaced in place (comments kept), new keys are
// appended, null or zero values remove optional keys, and nested objects
// (device, device.update) are merged recursively.
func mergePatch(n *yaml.Node, t reflect.Type, patch map[string]json.RawMessage, path string) error {
	fields, order := fieldsOf(t)
	keys := make([]string, 0, len(patch))
	for k := range patch {
		if _, ok := fields[k]; !ok {
			names := slices.Clone(order)
			slices.Sort(names)
			msg := fmt.Sprintf("unknown field %q", k)
			if s := closest(k, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return editErr(joinPath(path, k), "%s", msg)
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return slices.Index(order, a) - slices.Index(order, b) })
	for _, k := range keys {
		f, raw := fields[k], patch[k]
		fp := joinPath(path, k)
		optional := strings.Contains(f.Tag.Get("yaml"), ",omitempty")
		if string(raw) == "null" {
			if !optional {
				return editErr(fp, "is required and cannot be removed")
			}
			removeKey(n, k)
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
			var sub map[string]json.RawMessage
			if err := json.Unmarshal(raw, &sub); err != nil {
				return editErr(fp, "%v", err)
			}
			v := ensureMapping(n, k)
			if err := mergePatch(v, ft, sub, fp); err != nil {
				return err
			}
			if len(v.Content) == 0 {
				removeKey(n, k)
			}
			continue
		}
		val := reflect.New(f.Type)
		if err := strictJSON(raw, val.Interface()); err != nil {
			return editErr(fp, "%v", err)
		}
		if val.Elem().IsZero() && optional {
			removeKey(n, k)
			continue
		}
		var vn yaml.Node
		if err := vn.Encode(val.Elem().Interface()); err != nil {
			return err
		}
		if old := yamlsafe.Value(n, k); old != nil {
			vn.HeadComment, vn.LineComment, vn.FootComment = old.HeadComment, old.LineComment, old.FootComment
			if old.Kind == yaml.SequenceNode && vn.Kind == yaml.SequenceNode {
				vn.Style = old.Style
			}
			*old = vn
			continue
		}
		n.Content = append(n.Content, scalar(k), &vn)
	}
	return nil
}

// deleteItem removes an item and what depends on it: a deleted element's
// flows, and a deleted boundary's members move to its parent boundary.
func deleteItem(before *Model, root *yaml.Node, collection, id string) []string {
	var changed []string
	seq := yamlsafe.Value(root, collection)
	seq.Content = slices.DeleteFunc(seq.Content, func(c *yaml.Node) bool {
		v := yamlsafe.Value(c, "id")
		return c.Kind == yaml.MappingNode && v != nil && v.Value == id
	})
	switch collection {
	case CollectionElements:
		if flows := yamlsafe.Value(root, CollectionFlows); flows != nil {
			flows.Content = slices.DeleteFunc(flows.Content, func(c *yaml.Node) bool {
				from, to := yamlsafe.Value(c, "from"), yamlsafe.Value(c, "to")
				if (from != nil && from.Value == id) || (to != nil && to.Value == id) {
					fid := ""
					if v := yamlsafe.Value(c, "id"); v != nil {
						fid = v.Value
					}
					changed = append(changed, "flow "+fid)
					return true
				}
				return false
			})
			if len(flows.Content) == 0 {
				removeKey(root, CollectionFlows)
			}
		}
	case CollectionBoundaries:
		parent := ""
		if b := before.Boundary(id); b != nil {
			parent = b.Parent
		}
		reparent := func(key, ref string) {
			seq := yamlsafe.Value(root, key)
			if seq == nil {
				return
			}
			for _, c := range seq.Content {
				v := yamlsafe.Value(c, ref)
				if c.Kind != yaml.MappingNode || v == nil || v.Value != id {
					continue
				}
				cid := ""
				if x := yamlsafe.Value(c, "id"); x != nil {
					cid = x.Value
				}
				if parent == "" {
					removeKey(c, ref)
					changed = append(changed, fmt.Sprintf("%s %s: %s %s removed", singular[key], cid, ref, id))
				} else {
					v.Value = parent
					changed = append(changed, fmt.Sprintf("%s %s: %s %s → %s", singular[key], cid, ref, id, parent))
				}
			}
		}
		reparent(CollectionElements, "boundary")
		reparent(CollectionBoundaries, "parent")
	}
	return changed
}

func setLayout(root *yaml.Node, collection, id string, b Box) {
	sub := ensureMapping(ensureMapping(root, "layout"), collection)
	round := func(v float64) float64 { return math.Round(v*10) / 10 }
	b = Box{X: round(b.X), Y: round(b.Y), W: round(b.W), H: round(b.H)}
	var vn yaml.Node
	_ = vn.Encode(b) // a struct of numbers always encodes
	vn.Style = yaml.FlowStyle
	if old := yamlsafe.Value(sub, id); old != nil {
		*old = vn
		return
	}
	sub.Content = append(sub.Content, scalar(id), &vn)
}

func removeLayout(root *yaml.Node, collection, id string) {
	lay := yamlsafe.Value(root, "layout")
	if lay == nil {
		return
	}
	if sub := yamlsafe.Value(lay, collection); sub != nil {
		removeKey(sub, id)
		if len(sub.Content) == 0 {
			removeKey(lay, collection)
		}
	}
	if len(lay.Content) == 0 {
		removeKey(root, "layout")
	}
}
