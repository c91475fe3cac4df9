package threatmodel

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rampart-security/rampart/internal/yamlsafe"
)

// MaxModelSize bounds the size of a model file accepted by Parse.
const MaxModelSize = 32 << 20

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid threat model")

// Problem is one validation problem at a position in a model file.
type Problem struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Path   string `json:"path,omitempty"` // e.g. elements[2].device.radios[0].type
	Msg    string `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteByte(':')
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, "%d:%d:", p.Line, p.Column)
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// ValidationError lists every problem found in a model. It wraps ErrInvalid.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	lines := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		lines = append(lines, p.String())
	}
	if len(lines) == 1 {
		return lines[0]
	}
	return fmt.Sprintf("%d problems:\n  %s", len(lines), strings.Join(lines, "\n  "))
}

func (e *ValidationError) Unwrap() error { return ErrInvalid }

// LoadFile reads and parses a model file (YAML or JSON).
func LoadFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxModelSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return Parse(data, path)
}

// Parse decodes a model from YAML or JSON and validates it. file names the
// input in errors. Errors are *ValidationError (wrapping ErrInvalid) with the
// file, line and column of each problem.
func Parse(data []byte, file string) (*Model, error) {
	if len(data) > MaxModelSize {
		return nil, &ValidationError{Problems: []Problem{{File: file, Msg: fmt.Sprintf("model is larger than %d bytes", MaxModelSize)}}}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ValidationError{Problems: []Problem{{File: file, Line: 1, Column: 1, Msg: "empty model"}}}
		}
		return nil, &ValidationError{Problems: []Problem{yamlProblem(file, err)}}
	}
	if p, more := nextDocument(dec, file); more {
		return nil, &ValidationError{Problems: []Problem{p}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, &ValidationError{Problems: []Problem{{File: file, Line: root.Line, Column: root.Column, Msg: "a threat model must be a mapping with elements and flows"}}}
	}
	if err := checkAliases(root, 0); err != nil {
		return nil, &ValidationError{Problems: []Problem{{File: file, Line: root.Line, Column: root.Column, Msg: err.Error()}}}
	}
	if err := yamlsafe.Check(root); err != nil {
		return nil, &ValidationError{Problems: []Problem{yamlProblem(file, err)}}
	}
	var probs []Problem
	checkKeys(root, reflect.TypeFor[Model](), "", file, &probs)
	var m Model
	if err := root.Decode(&m); err != nil {
		probs = append(probs, yamlProblem(file, err))
		return nil, &ValidationError{Problems: probs}
	}
	m.file = file
	recordStated(root, &m)
	loc := newLocator(root, file)
	loc.assignPositions(&m)
	probs = append(probs, validate(&m, loc)...)
	if len(probs) > 0 {
		sortProblems(probs)
		return nil, &ValidationError{Problems: probs}
	}
	return &m, nil
}

// Validate checks a model built in code (for example by an importer).
func Validate(m *Model) error {
	probs := validate(m, nil)
	if len(probs) == 0 {
		return nil
	}
	return &ValidationError{Problems: probs}
}

func sortProblems(p []Problem) {
	sort.SliceStable(p, func(i, j int) bool {
		if p[i].Line != p[j].Line {
			return p[i].Line < p[j].Line
		}
		return p[i].Column < p[j].Column
	})
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

func yamlProblem(file string, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	p := Problem{File: file, Msg: msg}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		fmt.Sscanf(m[1], "%d", &p.Line)
		p.Column = 1
		p.Msg = strings.TrimSpace(strings.TrimPrefix(strings.SplitN(msg, m[0], 2)[1], ":"))
	}
	return p
}

// nextDocument reports whether the input goes on after the model's
// document (a second YAML document after "---", or text after a JSON
// object), which Parse would otherwise ignore, with the problem to report.
// A trailing "---" with only comments after it is no document.
func nextDocument(dec *yaml.Decoder, file string) (Problem, bool) {
	var next yaml.Node
	err := dec.Decode(&next)
	switch {
	case errors.Is(err, io.EOF):
		return Problem{}, false
	case err != nil:
		return yamlProblem(file, err), true
	case next.Kind == yaml.DocumentNode && (len(next.Content) == 0 || isEmptyNull(next.Content[0])):
		return Problem{}, false
	}
	line, col := next.Line, next.Column
	if next.Kind == yaml.DocumentNode {
		line, col = next.Content[0].Line, next.Content[0].Column
	}
	return Problem{File: file, Line: line, Column: col, Msg: "a model file holds one document; another one starts here (split it into separate models, or remove the \"---\")"}, true
}

// isEmptyNull reports whether n is the implicit null of a document that
// holds nothing (not a written "null" or "~").
func isEmptyNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Value == ""
}

// checkAliases rejects alias expansion bombs and absurd nesting.
func checkAliases(n *yaml.Node, depth int) error {
	if depth > 64 {
		return errors.New("model is nested too deeply")
	}
	if n.Kind == yaml.AliasNode {
		return errors.New("YAML aliases are not allowed in threat models")
	}
	for _, c := range n.Content {
		if err := checkAliases(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// checkKeys reports mapping keys that are not fields of t, recursively.
func checkKeys(n *yaml.Node, t reflect.Type, path, file string, probs *[]Problem) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // the decoder reports the type mismatch
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				names := make([]string, 0, len(fields))
				for name := range fields {
					names = append(names, name)
				}
				slices.Sort(names)
				msg := fmt.Sprintf("unknown field %q", k.Value)
				if s := closest(k.Value, names); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				*probs = append(*probs, Problem{File: file, Line: k.Line, Column: k.Column, Path: path, Msg: msg})
				continue
			}
			checkKeys(v, ft, joinPath(path, k.Value), file, probs)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			checkKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), file, probs)
		}
	}
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// closest returns the candidate within edit distance 2 of s, if any.
func closest(s string, cands []string) string {
	best, bestD := "", 3
	for _, c := range cands {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// locator maps model items back to their YAML nodes.
type locator struct {
	file  string
	root  *yaml.Node
	lists map[string][]*yaml.Node
}

func newLocator(root *yaml.Node, file string) *locator {
	l := &locator{file: file, root: root, lists: map[string][]*yaml.Node{}}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if v := root.Content[i+1]; v.Kind == yaml.SequenceNode {
			l.lists[root.Content[i].Value] = v.Content
		}
	}
	return l
}

func (l *locator) item(list string, i int) *yaml.Node {
	if l == nil {
		return nil
	}
	items := l.lists[list]
	if i < 0 || i >= len(items) {
		return nil
	}
	return items[i]
}

// at returns a problem positioned on field (a dotted path inside the item,
// e.g. "device.update.signed") of item i of list; falls back to the item.
func (l *locator) at(list string, i int, field, msg string) Problem {
	path := fmt.Sprintf("%s[%d]", list, i)
	if list == "" {
		path = ""
	}
	if field != "" {
		path = joinPath(path, field)
	}
	p := Problem{Path: path, Msg: msg}
	if l == nil {
		return p
	}
	p.File = l.file
	n := l.root
	if list != "" {
		n = l.item(list, i)
	}
	if n == nil {
		return p
	}
	p.Line, p.Column = n.Line, n.Column
	for _, part := range strings.Split(field, ".") {
		if part == "" {
			continue
		}
		name, idx := part, -1
		if j := strings.IndexByte(part, '['); j > 0 {
			name = part[:j]
			fmt.Sscanf(part[j:], "[%d]", &idx)
		}
		v := yamlsafe.Value(n, name)
		if v == nil {
			return p
		}
		n = v
		if idx >= 0 {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return p
			}
			n = n.Content[idx]
		}
		p.Line, p.Column = n.Line, n.Column
	}
	return p
}

func (l *locator) pos(list string, i int) Pos {
	if n := l.item(list, i); n != nil {
		return Pos{n.Line, n.Column}
	}
	return Pos{}
}

func (l *locator) assignPositions(m *Model) {
	assignPos(l, "elements", m.Elements, func(e *Element) *Pos { return &e.pos })
	assignPos(l, "flows", m.Flows, func(f *Flow) *Pos { return &f.pos })
	assignPos(l, "boundaries", m.Boundaries, func(b *Boundary) *Pos { return &b.pos })
	assignPos(l, "assets", m.Assets, func(a *Asset) *Pos { return &a.pos })
	assignPos(l, "mitigations", m.Mitigations, func(mt *Mitigation) *Pos { return &mt.pos })
	assignPos(l, "threats", m.Threats, func(d *ThreatDecision) *Pos { return &d.pos })
}

// assignPos gives each item of the model's list its position in the source;
// pos returns where an item keeps it.
func assignPos[T any](l *locator, list string, items []T, pos func(*T) *Pos) {
	for i := range items {
		*pos(&items[i]) = l.pos(list, i)
	}
}

// Pos returns the element's position in its source file (zero when unknown).
func (e *Element) Pos() Pos { return e.pos }

// Pos returns the flow's position in its source file (zero when unknown).
func (f *Flow) Pos() Pos { return f.pos }
