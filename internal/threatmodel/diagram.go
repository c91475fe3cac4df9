package threatmodel

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/goccy/go-graphviz"
)

// DiagramOptions tunes the data-flow diagram.
type DiagramOptions struct {
	// Result adds open-threat counts per element and flow and colours them
	// by their worst open severity. Optional.
	Result *Result
	// Direction is the Graphviz rankdir (LR default, or TB).
	Direction string
	// Layout is the Graphviz engine: "dot" (layered, curved edges) or
	// "osage" (clusters packed, straight edges). Empty chooses dot up to
	// LargeModelElements elements / LargeModelFlows flows and osage above,
	// where dot takes tens of seconds.
	Layout string
}

// Above these sizes the automatic layout switches from dot to osage.
const (
	LargeModelElements = 150
	LargeModelFlows    = 450
)

func (o DiagramOptions) layout(m *Model) string {
	switch o.Layout {
	case "dot", "osage":
		return o.Layout
	}
	if len(m.Elements) > LargeModelElements || len(m.Flows) > LargeModelFlows {
		return "osage"
	}
	return "dot"
}

type diagramStats struct {
	count map[string]int
	worst map[string]int
}

func statsOf(r *Result) diagramStats {
	s := diagramStats{count: map[string]int{}, worst: map[string]int{}}
	if r == nil {
		return s
	}
	for _, t := range r.Threats {
		if !t.Open() {
			continue
		}
		s.count[t.Target]++
		s.worst[t.Target] = max(s.worst[t.Target], SeverityRank(t.Severity))
	}
	return s
}

func severityColour(rank int) string {
	switch rank {
	case 4:
		return "#b30000"
	case 3:
		return "#e34a33"
	case 2:
		return "#fc8d59"
	case 1:
		return "#fdbb84"
	}
	return "#444444"
}

func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
		default:
			if r < 0x20 {
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

var dotShapes = map[string]string{
	TypeExternalEntity: "box",
	TypeProcess:        "ellipse",
	TypeDataStore:      "cylinder",
	TypeDevice:         "box3d",
}

// WriteDOT writes the model's data-flow diagram in Graphviz DOT: trust
// boundaries as (nested) clusters, element shapes by type, flows labelled
// with protocol and encryption, open threats counted per element.
func WriteDOT(w io.Writer, m *Model, opts DiagramOptions) error {
	m.ensureIndex()
	st := statsOf(opts.Result)
	dir := opts.Direction
	if dir != "TB" && dir != "LR" && dir != "RL" && dir != "BT" {
		dir = "LR"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "digraph %s {\n", dotQuote(modelName(m)))
	fmt.Fprintf(&b, "  graph [rankdir=%s, fontname=\"Helvetica\", fontsize=12, label=%s, labelloc=t, compound=true, nodesep=0.4, ranksep=0.7", dir, dotQuote(modelName(m)))
	if opts.layout(m) == "osage" {
		b.WriteString(", layout=osage, splines=false, pack=8")
	} else {
		b.WriteString(", layout=dot")
	}
	b.WriteString("];\n")
	b.WriteString("  node [fontname=\"Helvetica\", fontsize=10, style=filled, fillcolor=\"#ffffff\"];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=8];\n")
	children, members := m.nesting()
	node := func(indent string, e *Element) {
		label := e.label()
		if e.Type == TypeDevice {
			label = "«device»\n" + label
		}
		attrs := []string{"shape=" + dotShapes[e.Type]}
		if n := st.count[e.ID]; n > 0 {
			label += fmt.Sprintf("\n⚠ %d open threat%s", n, plural(n))
			attrs = append(attrs, "color="+dotQuote(severityColour(st.worst[e.ID])), "penwidth=2")
		}
		if e.OutOfScope {
			attrs = append(attrs, "style=\"filled,dashed\"", "fillcolor=\"#eeeeee\"")
		}
		if e.Type == TypeExternalEntity {
			attrs = append(attrs, "fillcolor=\"#f2f2f2\"")
		}
		attrs = append(attrs, "label="+dotQuote(label), "id="+dotQuote("el-"+e.ID), "tooltip="+dotQuote(e.Type+": "+e.ID))
		fmt.Fprintf(&b, "%s%s [%s];\n", indent, dotQuote("e:"+e.ID), strings.Join(attrs, ", "))
	}
	visited := map[string]bool{}
	var cluster func(id, indent string, depth int)
	cluster = func(id, indent string, depth int) {
		if visited[id] || depth > 32 {
			return
		}
		visited[id] = true
		bd := m.Boundary(id)
		fmt.Fprintf(&b, "%ssubgraph %s {\n", indent, dotQuote("cluster_"+id))
		fmt.Fprintf(&b, "%s  label=%s; style=\"dashed,rounded\"; color=\"#d7301f\"; fontcolor=\"#d7301f\"; id=%s;\n", indent, dotQuote(bd.Name+boundaryTypeSuffix(bd)), dotQuote("tb-"+id))
		for _, i := range members[id] {
			node(indent+"  ", &m.Elements[i])
		}
		for _, c := range children[id] {
			cluster(m.Boundaries[c].ID, indent+"  ", depth+1)
		}
		fmt.Fprintf(&b, "%s}\n", indent)
	}
	for _, c := range children[""] {
		cluster(m.Boundaries[c].ID, "  ", 0)
	}
	for _, i := range members[""] {
		node("  ", &m.Elements[i])
	}
	// Large diagrams keep flow details in tooltips: thousands of edge labels
	// are unreadable and dominate layout time.
	large := opts.layout(m) == "osage"
	for i := range m.Flows {
		f := &m.Flows[i]
		if m.Element(f.From) == nil || m.Element(f.To) == nil {
			continue
		}
		parts := []string{}
		if f.Name != "" {
			parts = append(parts, f.Name)
		}
		proto, enc := protocolLabel(f)
		parts = append(parts, proto+" ("+enc+")")
		attrs := []string{}
		if n := st.count[f.ID]; n > 0 {
			parts = append(parts, fmt.Sprintf("⚠ %d", n))
			attrs = append(attrs, "color="+dotQuote(severityColour(st.worst[f.ID])), "fontcolor="+dotQuote(severityColour(st.worst[f.ID])))
		}
		if !f.Encrypted {
			attrs = append(attrs, "style=dashed")
		}
		if !large {
			attrs = append(attrs, "label="+dotQuote(strings.Join(parts, "\n")))
		} else {
			attrs = append(attrs, "tooltip="+dotQuote(strings.Join(parts, " ")))
		}
		attrs = append(attrs, "id="+dotQuote("fl-"+f.ID))
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", dotQuote("e:"+f.From), dotQuote("e:"+f.To), strings.Join(attrs, ", "))
	}
	b.WriteString("}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// nesting is what a diagram draws inside what: the indexes of the
// boundaries per parent boundary id, and of the elements per boundary id,
// in model order. A parent or boundary the model does not have (or none)
// puts the boundary or element at the top, under "".
func (m *Model) nesting() (children, members map[string][]int) {
	children, members = map[string][]int{}, map[string][]int{}
	for i, bd := range m.Boundaries {
		p := bd.Parent
		if p != "" && m.Boundary(p) == nil {
			p = ""
		}
		children[p] = append(children[p], i)
	}
	for i, e := range m.Elements {
		bd := e.Boundary
		if bd != "" && m.Boundary(bd) == nil {
			bd = ""
		}
		members[bd] = append(members[bd], i)
	}
	return children, members
}

// label is the element's name in a diagram: its name, else its id.
func (e *Element) label() string {
	if e.Name == "" {
		return e.ID
	}
	return e.Name
}

func boundaryTypeSuffix(b *Boundary) string {
	if b.Type == "" {
		return ""
	}
	return " [" + b.Type + "]"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Renderer renders diagrams to SVG with Graphviz (compiled to WebAssembly,
// no cgo). Creating one costs tens of milliseconds; reuse it. It is safe for
// concurrent use; renders are serialised (one Graphviz instance).
type Renderer struct {
	mu sync.Mutex
	gv *graphviz.Graphviz
}

// NewRenderer starts the Graphviz engine.
func NewRenderer(ctx context.Context) (*Renderer, error) {
	gv, err := graphviz.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("start graphviz: %w", err)
	}
	return &Renderer{gv: gv}, nil
}

// Close releases the engine.
func (r *Renderer) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gv.Close()
}

// SVG lays the model out and returns the diagram as SVG.
func (r *Renderer) SVG(ctx context.Context, m *Model, opts DiagramOptions) ([]byte, error) {
	return diagramSVG(ctx, m, opts, r.RenderDOT)
}

// diagramSVG returns the model's diagram as SVG, laid out by render (the
// RenderDOT of a Renderer or of Workers).
func diagramSVG(ctx context.Context, m *Model, opts DiagramOptions, render func(ctx context.Context, dot []byte, layout string) ([]byte, error)) ([]byte, error) {
	dot, layout, err := DiagramDOT(m, opts)
	if err != nil {
		return nil, err
	}
	svg, err := render(ctx, dot, layout)
	if err != nil {
		return nil, fmt.Errorf("diagram of %s: %w", modelName(m), err)
	}
	return svg, nil
}

// DiagramDOT returns the model's diagram as Graphviz DOT and the layout
// engine it is drawn with (cheap: the layout is the expensive part).
func DiagramDOT(m *Model, opts DiagramOptions) ([]byte, string, error) {
	var dot bytes.Buffer
	if err := WriteDOT(&dot, m, opts); err != nil {
		return nil, "", err
	}
	return dot.Bytes(), opts.layout(m), nil
}

// RenderDOT lays out a DOT graph with the layout engine ("dot" or
// "osage") and returns SVG.
func (r *Renderer) RenderDOT(ctx context.Context, dot []byte, layout string) ([]byte, error) {
	if layout != "dot" && layout != "osage" {
		return nil, fmt.Errorf("layout %q: want dot or osage", layout)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	g, err := graphviz.ParseBytes(dot)
	if err != nil {
		return nil, fmt.Errorf("parse DOT: %w", err)
	}
	defer g.Close()
	var out bytes.Buffer
	r.gv.SetLayout(graphviz.Layout(layout))
	if err := r.gv.Render(ctx, g, graphviz.SVG, &out); err != nil {
		return nil, fmt.Errorf("render SVG: %w", err)
	}
	return out.Bytes(), nil
}

// RenderSVG is a one-shot SVG render (starts and stops Graphviz).
func RenderSVG(ctx context.Context, m *Model, opts DiagramOptions) ([]byte, error) {
	r, err := NewRenderer(ctx)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.SVG(ctx, m, opts)
}

func mermaidText(s string) string {
	r := strings.NewReplacer(`"`, "#quot;", "\n", " ", "\r", " ", "<", "#lt;", ">", "#gt;", "|", "#124;", "`", "'")
	return r.Replace(s)
}

// WriteMermaid writes the diagram as a Mermaid flowchart (renders in GitHub
// and GitLab Markdown).
func WriteMermaid(w io.Writer, m *Model, opts DiagramOptions) error {
	m.ensureIndex()
	st := statsOf(opts.Result)
	ids := make(map[string]string, len(m.Elements))
	for i, e := range m.Elements {
		ids[e.ID] = fmt.Sprintf("n%d", i)
	}
	var b bytes.Buffer
	dir := opts.Direction
	if dir != "TB" && dir != "LR" {
		dir = "LR"
	}
	fmt.Fprintf(&b, "flowchart %s\n", dir)
	children, members := m.nesting()
	node := func(indent string, e *Element) {
		label := e.label()
		if n := st.count[e.ID]; n > 0 {
			label += fmt.Sprintf(" ⚠ %d", n)
		}
		l := `"` + mermaidText(label) + `"`
		var shape string
		switch e.Type {
		case TypeExternalEntity:
			shape = "[" + l + "]"
		case TypeProcess:
			shape = "((" + l + "))"
		case TypeDataStore:
			shape = "[(" + l + ")]"
		default:
			shape = "[[" + l + "]]"
		}
		fmt.Fprintf(&b, "%s%s%s\n", indent, ids[e.ID], shape)
	}
	visited := map[int]bool{}
	var sub func(i int, indent string, depth int)
	sub = func(i int, indent string, depth int) {
		if visited[i] || depth > 32 {
			return
		}
		visited[i] = true
		bd := &m.Boundaries[i]
		fmt.Fprintf(&b, "%ssubgraph b%d[\"%s\"]\n", indent, i, mermaidText(bd.Name))
		for _, j := range members[bd.ID] {
			node(indent+"  ", &m.Elements[j])
		}
		for _, c := range children[bd.ID] {
			sub(c, indent+"  ", depth+1)
		}
		fmt.Fprintf(&b, "%send\n", indent)
	}
	for _, c := range children[""] {
		sub(c, "  ", 0)
	}
	for _, j := range members[""] {
		node("  ", &m.Elements[j])
	}
	for i := range m.Flows {
		f := &m.Flows[i]
		a, ok1 := ids[f.From]
		c, ok2 := ids[f.To]
		if !ok1 || !ok2 {
			continue
		}
		proto, enc := protocolLabel(f)
		label := proto + " " + enc
		if n := st.count[f.ID]; n > 0 {
			label += fmt.Sprintf(" ⚠ %d", n)
		}
		arrow := "-->"
		if !f.Encrypted {
			arrow = "-.->"
		}
		fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", a, arrow, mermaidText(label), c)
	}
	for i, e := range m.Elements {
		if n := st.count[e.ID]; n > 0 {
			fmt.Fprintf(&b, "  style n%d stroke:%s,stroke-width:2px\n", i, severityColour(st.worst[e.ID]))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// protocolLabel returns how a diagram labels the flow: its protocol ("?"
// when unset) and "encrypted" or "unencrypted".
func protocolLabel(f *Flow) (proto, enc string) {
	proto = cmp.Or(f.Protocol, "?")
	if f.Encrypted {
		return proto, "encrypted"
	}
	return proto, "unencrypted"
}
