// Package threatdragon imports OWASP Threat Dragon models (v2 JSON, and the
// v1 JointJS format) into Rampart threat models: actors, processes, stores,
// flows, trust boundaries and the threats recorded on them with their status.
package threatdragon

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rampart-security/rampart/internal/threatmodel"
)

// ErrMalformed is wrapped when the input is Threat Dragon JSON with missing or
// mistyped required parts.
var ErrMalformed = errors.New("malformed Threat Dragon model")

type file struct {
	Version string   `json:"version"`
	Summary *summary `json:"summary"`
	Detail  *detail  `json:"detail"`
}

type summary struct {
	Title       *string `json:"title"`
	Owner       any     `json:"owner"`
	Description any     `json:"description"`
}

type detail struct {
	Diagrams *[]diagram `json:"diagrams"`
}

type diagram struct {
	Title       string   `json:"title"`
	DiagramType string   `json:"diagramType"`
	Cells       []cell   `json:"cells"`
	DiagramJSON *v1graph `json:"diagramJson"`
}

type v1graph struct {
	Cells []cell `json:"cells"`
}

type point struct {
	X, Y float64
}

type box struct {
	Width, Height float64
}

// props are a cell's properties: v2 keeps them in the cell's data, v1 keeps
// the common ones on the cell itself.
type props struct {
	common
	Name                   string `json:"name"`
	Type                   string `json:"type"`
	IsSigned               bool   `json:"isSigned"`
	ProvidesAuthentication bool   `json:"providesAuthentication"`
	IsWebApplication       bool   `json:"isWebApplication"`
	HandlesCardPayment     bool   `json:"handlesCardPayment"`
	IsBidirectional        bool   `json:"isBidirectional"`
}

// common are the properties both versions have: on the cell in v1, in its
// data in v2.
type common struct {
	Description       string   `json:"description"`
	OutOfScope        bool     `json:"outOfScope"`
	ReasonOutOfScope  string   `json:"reasonOutOfScope"`
	Threats           []threat `json:"threats"`
	Protocol          string   `json:"protocol"`
	IsEncrypted       bool     `json:"isEncrypted"`
	IsPublicNetwork   bool     `json:"isPublicNetwork"`
	StoresCredentials bool     `json:"storesCredentials"`
	IsALog            bool     `json:"isALog"`
	PrivilegeLevel    string   `json:"privilegeLevel"`
}

type cell struct {
	ID       string          `json:"id"`
	Shape    string          `json:"shape"`
	Type     string          `json:"type"` // v1: tm.Actor, tm.Process, …
	Position *point          `json:"position"`
	Size     *box            `json:"size"`
	Source   json.RawMessage `json:"source"`
	Target   json.RawMessage `json:"target"`
	Data     *props          `json:"data"`
	Attrs    attrs           `json:"attrs"`
	Labels   json.RawMessage `json:"labels"` // list of label objects, or strings in some versions
	// v1 keeps the properties on the cell itself.
	common
}

// attrs are the display attributes of a cell or label, which hold its text.
type attrs struct {
	Text struct {
		Text string `json:"text"`
	} `json:"text"`
	Label struct {
		Text string `json:"text"`
	} `json:"label"`
}

// text is the text shown: the text attribute's, else the label's.
func (a attrs) text() string { return cmp.Or(a.Text.Text, a.Label.Text) }

type threat struct {
	ID json.RawMessage `json:"id"`
	// ThreatID is the id of a threat in Threat Dragon 1.x, which has no id.
	ThreatID    string          `json:"threatId"`
	Score       json.RawMessage `json:"score"` // v2: free text or a number, often
	Status      string          `json:"status"`
	Severity    string          `json:"severity"`
	Title       string          `json:"title"`
	Type        string          `json:"type"`
	Description string          `json:"description"`
	Mitigation  string          `json:"mitigation"`
	ModelType   string          `json:"modelType"`
}

// Sniff reports whether data looks like a Threat Dragon model (top-level
// "summary" or "detail" object). It is cheap and does not validate.
func Sniff(top map[string]json.RawMessage) bool {
	_, s := top["summary"]
	_, d := top["detail"]
	_, ds := top["details"]
	_, sz := top["summarize"]
	return (s || sz) && (d || ds) || d && top["version"] != nil
}

// Parse converts a Threat Dragon v1 or v2 model. name is used in errors.
// Warnings list what could not be carried over (e.g. flows not attached to
// two elements).
func Parse(data []byte, name string) (*threatmodel.Model, []string, error) {
	var f file
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", threatmodel.JSONErrorAt(name, data, err), ErrMalformed)
	}
	switch {
	case f.Summary == nil:
		return nil, nil, fmt.Errorf("%s: %w: no \"summary\" object", name, ErrMalformed)
	case f.Summary.Title == nil || strings.TrimSpace(*f.Summary.Title) == "":
		return nil, nil, fmt.Errorf("%s: %w: summary has no \"title\"", name, ErrMalformed)
	case f.Detail == nil:
		return nil, nil, fmt.Errorf("%s: %w: no \"detail\" object", name, ErrMalformed)
	case f.Detail.Diagrams == nil:
		return nil, nil, fmt.Errorf("%s: %w: detail has no \"diagrams\" list", name, ErrMalformed)
	}
	if _, ok := f.Summary.Description.(string); !ok && f.Summary.Description != nil {
		return nil, nil, fmt.Errorf("%s: %w: summary.description is %T, not text", name, ErrMalformed, f.Summary.Description)
	}
	c := &converter{src: &f, Conversion: threatmodel.NewConversion(name), cellIDs: map[string]string{}}
	return c.convert()
}

// converter turns one checked Threat Dragon file into a model. convert runs
// the sections in order: the summary; the cells of every diagram by type
// (boundaries, and elements, which get their ids here; flows wait for all
// elements); the boundary boxes, which nest and hold elements by geometry;
// the flows; and last the threats recorded on elements and flows.
type converter struct {
	threatmodel.Conversion
	src *file // the source document

	cellIDs  map[string]string // Threat Dragon cell id -> Rampart id
	boxes    []boxInfo         // boundary boxes, for membership by geometry
	nodes    []pending         // elements (in Model.Elements order), then flows: what threats are recorded on
	flows    []pending         // flow cells, converted after all elements
	dangling []pending         // flows not attached to two elements that carry threats

	credAsset, payAsset string // the assets the flags storesCredentials and handlesCardPayment add, once
	cur                 int    // the index of the diagram being converted
}

// pending is a cell with its properties, the id it was given and the index
// of the diagram it is drawn in.
type pending struct {
	c       *cell
	p       *props
	id      string
	diagram int
}

// convert runs the sections in the order the converter's doc gives and
// validates the result.
func (c *converter) convert() (*threatmodel.Model, []string, error) {
	c.summary()
	for di := range *c.src.Detail.Diagrams {
		c.cur = di
		c.diagram(&(*c.src.Detail.Diagrams)[di])
	}
	c.boundaryBoxes()
	c.placeElements()
	for _, fl := range c.flows {
		c.flow(fl)
	}
	c.threats()
	return c.Finish()
}

// summary converts the title, description and owner.
func (c *converter) summary() {
	c.Model = threatmodel.NewImportedModel(strings.TrimSpace(*c.src.Summary.Title))
	if s, ok := c.src.Summary.Description.(string); ok {
		c.Model.Description = s
	}
	if s, ok := c.src.Summary.Owner.(string); ok {
		c.Model.Owner = s
	}
}

// diagram converts the cells of one diagram (v2 cells, then v1 ones) by
// type; flows are kept for later.
func (c *converter) diagram(dg *diagram) {
	cells := dg.Cells
	if dg.DiagramJSON != nil {
		cells = append(cells, dg.DiagramJSON.Cells...)
	}
	for ci := range cells {
		cl := &cells[ci]
		p := cl.props()
		kind := cl.kind(p)
		if kind == "" {
			continue
		}
		if cl.ID == "" {
			c.Warnf("diagram %q: %s without id skipped", dg.Title, kind)
			continue
		}
		switch kind {
		case "boundary":
			c.boundary(cl, p)
		case "flow":
			c.flows = append(c.flows, pending{cl, p, "", c.cur})
		default:
			c.element(cl, p, kind)
		}
	}
}

// boundary converts a trust boundary cell; a box is kept for geometry, a
// line cannot say what it holds.
func (c *converter) boundary(cl *cell, p *props) {
	nm := cl.name(p)
	if nm == "" {
		nm = "Trust boundary"
	}
	id := c.IDs.Make(threatmodel.Slug(nm), "boundary")
	c.cellIDs[cl.ID] = id
	b := threatmodel.Boundary{ID: id, Name: nm, Type: "other", Description: p.Description, SourceID: cl.ID}
	if cl.Position != nil && cl.Size != nil && cl.Shape == "trust-boundary-box" {
		c.boxes = append(c.boxes, boxInfo{id, c.cur, cl.Position.X, cl.Position.Y, cl.Size.Width, cl.Size.Height})
	} else {
		b.Description = strings.TrimSpace(b.Description + " (line boundary in Threat Dragon: membership not recorded)")
	}
	c.Model.Boundaries = append(c.Model.Boundaries, b)
}

// element converts an actor, process or store cell. Ids are readable (the
// slug of the name); the Threat Dragon cell id is kept as source_id.
func (c *converter) element(cl *cell, p *props, kind string) {
	id := c.IDs.Make(threatmodel.Slug(cl.name(p)), strings.ReplaceAll(kind, "_", "-"))
	c.cellIDs[cl.ID] = id
	c.nodes = append(c.nodes, pending{cl, p, id, c.cur})
	e := threatmodel.Element{ID: id, Name: cl.name(p), Type: kind, Description: p.Description,
		OutOfScope: p.OutOfScope, OutOfScopeReason: p.ReasonOutOfScope, SourceID: cl.ID}
	if e.Name == "" {
		e.Name = kind + " " + id
	}
	switch kind {
	case threatmodel.TypeDataStore:
		c.store(&e, p)
	case threatmodel.TypeProcess:
		c.process(&e, p)
	case threatmodel.TypeExternalEntity:
		if p.ProvidesAuthentication {
			e.Kind = "identity_provider"
		}
	}
	c.Model.Elements = append(c.Model.Elements, e)
}

// store reads a store's properties; one that stores credentials stores the
// credentials asset.
func (c *converter) store(e *threatmodel.Element, p *props) {
	e.EncryptedAtRest = p.IsEncrypted
	if p.IsALog {
		e.Kind = "log"
	}
	if p.IsSigned {
		e.Tags = append(e.Tags, "signed")
	}
	if p.StoresCredentials {
		if c.credAsset == "" {
			c.credAsset = c.asset("credentials", "Credentials", "high", true, false)
		}
		e.Stores = append(e.Stores, c.credAsset)
	}
}

// process reads a process's properties; one that handles card payments
// processes the payment card data asset.
func (c *converter) process(e *threatmodel.Element, p *props) {
	lv := strings.ToLower(p.PrivilegeLevel)
	e.Privileged = strings.Contains(lv, "root") || strings.Contains(lv, "admin") || strings.Contains(lv, "system") || strings.Contains(lv, "kernel")
	if p.IsWebApplication {
		e.Kind = "web_app"
	}
	if p.HandlesCardPayment {
		if c.payAsset == "" {
			c.payAsset = c.asset("payment-card-data", "Payment card data", "critical", false, true)
		}
		e.Processes = append(e.Processes, c.payAsset)
	}
}

// asset adds a data asset a cell's flag implies and returns its id.
func (c *converter) asset(id, name string, conf string, secret, personal bool) string {
	id = c.IDs.Make(id, id)
	c.Model.Assets = append(c.Model.Assets, threatmodel.Asset{ID: id, Name: name, Confidentiality: conf, Integrity: "high", Secret: secret, Personal: personal})
	return id
}

// boundaryBoxes nests each boundary box in the smallest box that holds it.
func (c *converter) boundaryBoxes() {
	for _, b := range c.boxes {
		for i := range c.Model.Boundaries {
			if c.Model.Boundaries[i].ID == b.id {
				if p := parentBox(c.boxes, b); p != "" {
					c.Model.Boundaries[i].Parent = p
				}
				c.Model.Boundaries[i].Type = "network"
			}
		}
	}
}

// placeElements puts each element in the smallest boundary box holding its
// centre. c.nodes holds only the elements yet, in m.Elements order.
func (c *converter) placeElements() {
	for i, n := range c.nodes {
		if n.c.Position == nil {
			continue
		}
		w, h := 0.0, 0.0
		if n.c.Size != nil {
			w, h = n.c.Size.Width, n.c.Size.Height
		}
		c.Model.Elements[i].Boundary = smallestBox(c.boxes, n.diagram, n.c.Position.X+w/2, n.c.Position.Y+h/2)
	}
}

// flow converts a flow cell between two elements (and its reverse when it
// is bidirectional); any other flow is a warning.
func (c *converter) flow(fl pending) {
	src, dst := endpoint(fl.c.Source), endpoint(fl.c.Target)
	from, to := c.cellIDs[src], c.cellIDs[dst]
	if from == "" || to == "" || !isElement(c.Model, from) || !isElement(c.Model, to) {
		c.danglingFlow(fl, from, to)
		return
	}
	id := c.IDs.Make(from+"-to-"+to, "flow")
	c.cellIDs[fl.c.ID] = id
	proto := strings.ToLower(strings.TrimSpace(fl.p.Protocol))
	nf := threatmodel.Flow{ID: id, Name: fl.c.name(fl.p), From: from, To: to, Protocol: proto,
		Encrypted: fl.p.IsEncrypted || encryptedProtocol(proto), Description: fl.p.Description, OutOfScope: fl.p.OutOfScope, SourceID: fl.c.ID}
	if r := strings.TrimSpace(fl.p.ReasonOutOfScope); fl.p.OutOfScope && r != "" { // a flow has no field for it
		nf.Description = strings.TrimSpace(nf.Description + "\nOut of scope: " + r)
	}
	if fl.p.IsPublicNetwork {
		nf.Network = "internet"
	}
	c.Model.Flows = append(c.Model.Flows, nf)
	if fl.p.IsBidirectional {
		rev := nf
		rev.ID = c.IDs.Make(to+"-to-"+from, "flow")
		rev.From, rev.To = to, from
		c.Model.Flows = append(c.Model.Flows, rev)
	}
	c.nodes = append(c.nodes, pending{fl.c, fl.p, id, fl.diagram})
}

// danglingFlow handles a flow that ends in a point of the canvas (Threat
// Dragon allows it). It is not a flow of the model, but the threats
// recorded on it are kept: on the element it is attached to (from or to),
// else on the model.
func (c *converter) danglingFlow(fl pending, from, to string) {
	var on []string
	for _, e := range []string{from, to} {
		if e != "" && isElement(c.Model, e) && !slices.Contains(on, e) {
			on = append(on, e)
		}
	}
	label := fmt.Sprintf("flow %s (%q)", fl.c.ID, fl.c.name(fl.p))
	w := label + " is attached to no element: not imported as a flow"
	target := ""
	if len(on) > 0 {
		target = on[0]
		w = fmt.Sprintf("%s is attached to one element only (%s): not imported as a flow", label, target)
	}
	if n := len(fl.p.Threats); n > 0 {
		w += fmt.Sprintf("; its %d recorded threat(s) kept on %s", n, cmp.Or(target, "the model"))
		c.dangling = append(c.dangling, pending{fl.c, fl.p, target, fl.diagram})
	}
	c.Warnings = append(c.Warnings, w)
}

// threats converts the threats recorded on elements, flows and dangling
// flows, with their status, sorted by id.
func (c *converter) threats() {
	for ni, n := range append(c.nodes, c.dangling...) {
		for ti, t := range n.p.Threats {
			c.Model.Threats = append(c.Model.Threats, c.threat(n, ni >= len(c.nodes), ti, t))
		}
	}
	sort.SliceStable(c.Model.Threats, func(i, j int) bool { return c.Model.Threats[i].ID < c.Model.Threats[j].ID })
}

// threat converts the ti-th threat recorded on n; a dangling flow's threat
// is named by the flow's own id, which is not an element of the model.
func (c *converter) threat(n pending, dangling bool, ti int, t threat) threatmodel.ThreatDecision {
	at := n.id
	if dangling {
		at = threatmodel.SanitizeID(n.c.ID)
	}
	raw := strings.Trim(string(t.ID), `"`)
	if raw == "" || raw == "null" {
		raw = strings.TrimSpace(t.ThreatID)
	}
	if raw == "" {
		raw = fmt.Sprintf("%s-%d", at, ti+1)
	}
	d := threatmodel.ThreatDecision{
		ID: "TD-" + threatmodel.SanitizeID(raw) + "@" + at, Title: cmp.Or(strings.TrimSpace(t.Title), "Threat recorded in Threat Dragon"), Target: n.id,
		STRIDE: stride(t), Severity: threatmodel.NormalizeSeverity(t.Severity), Description: strings.TrimSpace(t.Description),
		Mitigation: strings.TrimSpace(t.Mitigation), Status: status(t.Status),
	}
	if sc := strings.TrimSpace(strings.Trim(string(t.Score), `"`)); sc != "" && sc != "null" {
		d.Description = strings.TrimSpace(d.Description + "\nScore in Threat Dragon: " + sc)
	}
	if dangling {
		d.Description = strings.TrimSpace(fmt.Sprintf("Recorded in Threat Dragon on flow %s (%q), which is not attached to two elements. %s", n.c.ID, n.c.name(n.p), d.Description))
	}
	if threatmodel.NeedsReason(d.Status) {
		d.Reason = "marked " + t.Status + " in Threat Dragon"
	}
	return d
}

// encryptedProtocol reports whether a protocol name means an encrypted
// channel (Threat Dragon's isEncrypted defaults to false even for HTTPS).
func encryptedProtocol(p string) bool {
	switch p {
	case "https", "tls", "dtls", "ssh", "sftp", "ftps", "wss", "mqtts", "amqps", "ldaps", "smtps", "imaps", "grpcs", "ipsec", "wireguard", "vpn":
		return true
	}
	return strings.Contains(p, "tls") || strings.Contains(p, "https")
}

// boxInfo is a trust-boundary box of the diagram with the index diagram.
// Positions are per diagram: boxes nest and hold elements only within
// their own diagram.
type boxInfo struct {
	id         string
	diagram    int
	x, y, w, h float64
}

// parentBox returns the smallest other box of b's diagram that wholly
// contains b.
func parentBox(boxes []boxInfo, b boxInfo) string {
	best, area := "", 0.0
	for _, o := range boxes {
		if o.id == b.id || o.diagram != b.diagram || o.w*o.h <= b.w*b.h {
			continue
		}
		if b.x >= o.x && b.y >= o.y && b.x+b.w <= o.x+o.w && b.y+b.h <= o.y+o.h {
			if best == "" || o.w*o.h < area {
				best, area = o.id, o.w*o.h
			}
		}
	}
	return best
}

// smallestBox returns the smallest box of the diagram holding the point
// (x, y).
func smallestBox(boxes []boxInfo, diagram int, x, y float64) string {
	best, area := "", 0.0
	for _, b := range boxes {
		if b.diagram != diagram || !(x >= b.x && x <= b.x+b.w && y >= b.y && y <= b.y+b.h) {
			continue
		}
		if a := b.w * b.h; best == "" || a < area {
			best, area = b.id, a
		}
	}
	return best
}

func isElement(m *threatmodel.Model, id string) bool {
	for i := range m.Elements {
		if m.Elements[i].ID == id {
			return true
		}
	}
	return false
}

func endpoint(raw json.RawMessage) string {
	var v struct {
		Cell string `json:"cell"`
		ID   string `json:"id"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return ""
	}
	if v.Cell != "" {
		return v.Cell
	}
	return v.ID
}

func (c *cell) props() *props {
	if c.Data != nil {
		return c.Data
	}
	return &props{common: c.common}
}

func (c *cell) kind(p *props) string {
	t := c.Shape
	if t == "" {
		t = c.Type
	}
	if t == "" && p != nil {
		t = p.Type
	}
	switch strings.ToLower(t) {
	case "actor", "tm.actor":
		return threatmodel.TypeExternalEntity
	case "process", "tm.process":
		return threatmodel.TypeProcess
	case "store", "tm.store":
		return threatmodel.TypeDataStore
	case "flow", "tm.flow":
		return "flow"
	case "trust-boundary-box", "trust-boundary-curve", "trust-broundary-curve", "tm.boundary", "tm.boundarybox":
		return "boundary"
	}
	return ""
}

func (c *cell) name(p *props) string {
	n := ""
	switch {
	case p != nil && p.Name != "":
		n = p.Name
	case c.Attrs.text() != "":
		n = c.Attrs.text()
	default:
		n = labelText(c.Labels)
	}
	return strings.Join(strings.Fields(n), " ")
}

func labelText(raw json.RawMessage) string {
	var objs []struct {
		Attrs attrs `json:"attrs"`
	}
	if json.Unmarshal(raw, &objs) == nil {
		for _, l := range objs {
			if t := l.Attrs.text(); t != "" {
				return t
			}
		}
		return ""
	}
	var strs []string
	if json.Unmarshal(raw, &strs) == nil && len(strs) > 0 {
		return strs[0]
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// status maps a Threat Dragon threat status (v1: NA, Open, Mitigated; v2
// adds Accepted, Transferred, Avoided and Eliminated) to a Rampart one: a
// threat avoided or eliminated (by design) no longer applies as mitigated,
// a transferred one is accepted (its reason says it was transferred).
func status(s string) string {
	switch strings.ToLower(strings.ReplaceAll(s, " ", "")) {
	case "mitigated", "closed", "resolved", "avoided", "eliminated":
		return threatmodel.StatusMitigated
	case "notapplicable", "n/a", "na":
		return threatmodel.StatusNotApplicable
	case "accepted", "transferred":
		return threatmodel.StatusAccepted
	}
	return threatmodel.StatusOpen
}

func stride(t threat) string {
	if s := threatmodel.NormalizeSTRIDE(t.Type); s != "" {
		return s
	}
	k := strings.ToLower(t.Type)
	switch {
	case strings.Contains(k, "integrity"):
		return "tampering"
	case strings.Contains(k, "availability"):
		return "denial_of_service"
	case strings.Contains(k, "non-repudiation") || strings.Contains(k, "nonrepudiation"):
		return "repudiation"
	}
	return "information_disclosure" // confidentiality and LINDDUN privacy threats
}
