// Package otm reads and writes the Open Threat Model (OTM) format (JSON or
// YAML, version 0.x): trust zones, components, data flows, assets, threats and
// mitigations map onto Rampart boundaries, elements, flows, data assets and
// threat decisions. Export writes the model plus the threats of a check.
package otm

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/rampart-security/rampart/internal/yamlsafe"

	"github.com/rampart-security/rampart/internal/threatmodel"
)

// ErrMalformed is wrapped when the input is OTM with missing required parts.
var ErrMalformed = errors.New("malformed Open Threat Model")

// Version is the OTM version written by Export.
const Version = "0.2.0"

type document struct {
	OTMVersion  string       `json:"otmVersion" yaml:"otmVersion"`
	Project     project      `json:"project" yaml:"project"`
	Assets      []asset      `json:"assets,omitempty" yaml:"assets,omitempty"`
	TrustZones  []trustZone  `json:"trustZones,omitempty" yaml:"trustZones,omitempty"`
	Components  []component  `json:"components,omitempty" yaml:"components,omitempty"`
	Dataflows   []dataflow   `json:"dataflows,omitempty" yaml:"dataflows,omitempty"`
	Threats     []threat     `json:"threats,omitempty" yaml:"threats,omitempty"`
	Mitigations []mitigation `json:"mitigations,omitempty" yaml:"mitigations,omitempty"`
}

type project struct {
	Name         string         `json:"name" yaml:"name"`
	ID           string         `json:"id" yaml:"id"`
	Description  string         `json:"description,omitempty" yaml:"description,omitempty"`
	Owner        string         `json:"owner,omitempty" yaml:"owner,omitempty"`
	OwnerContact string         `json:"ownerContact,omitempty" yaml:"ownerContact,omitempty"`
	Tags         []string       `json:"tags,omitempty" yaml:"tags,omitempty"`
	Attributes   map[string]any `json:"attributes,omitempty" yaml:"attributes,omitempty"`
}

type assetRisk struct {
	Confidentiality float64 `json:"confidentiality" yaml:"confidentiality"`
	Integrity       float64 `json:"integrity" yaml:"integrity"`
	Availability    float64 `json:"availability" yaml:"availability"`
	Comment         string  `json:"comment,omitempty" yaml:"comment,omitempty"`
}

type asset struct {
	Name        string         `json:"name" yaml:"name"`
	ID          string         `json:"id" yaml:"id"`
	Description string         `json:"description,omitempty" yaml:"description,omitempty"`
	Risk        *assetRisk     `json:"risk,omitempty" yaml:"risk,omitempty"`
	Attributes  map[string]any `json:"attributes,omitempty" yaml:"attributes,omitempty"`
}

type parent struct {
	TrustZone string `json:"trustZone,omitempty" yaml:"trustZone,omitempty"`
	Component string `json:"component,omitempty" yaml:"component,omitempty"`
}

type trustZone struct {
	Name        string `json:"name" yaml:"name"`
	ID          string `json:"id" yaml:"id"`
	Type        string `json:"type,omitempty" yaml:"type,omitempty"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	Risk        *struct {
		TrustRating float64 `json:"trustRating" yaml:"trustRating"`
	} `json:"risk,omitempty" yaml:"risk,omitempty"`
	Parent     *parent        `json:"parent,omitempty" yaml:"parent,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty" yaml:"attributes,omitempty"`
}

type threatInstance struct {
	Threat      string `json:"threat" yaml:"threat"`
	State       string `json:"state,omitempty" yaml:"state,omitempty"`
	Mitigations []struct {
		Mitigation string `json:"mitigation" yaml:"mitigation"`
		State      string `json:"state,omitempty" yaml:"state,omitempty"`
	} `json:"mitigations,omitempty" yaml:"mitigations,omitempty"`
}

type componentAssets struct {
	Processed []string `json:"processed,omitempty" yaml:"processed,omitempty"`
	Stored    []string `json:"stored,omitempty" yaml:"stored,omitempty"`
}

type component struct {
	Name        string           `json:"name" yaml:"name"`
	ID          string           `json:"id" yaml:"id"`
	Description string           `json:"description,omitempty" yaml:"description,omitempty"`
	Type        string           `json:"type,omitempty" yaml:"type,omitempty"`
	Parent      *parent          `json:"parent,omitempty" yaml:"parent,omitempty"`
	Tags        []string         `json:"tags,omitempty" yaml:"tags,omitempty"`
	Assets      *componentAssets `json:"assets,omitempty" yaml:"assets,omitempty"`
	Threats     []threatInstance `json:"threats,omitempty" yaml:"threats,omitempty"`
	Attributes  map[string]any   `json:"attributes,omitempty" yaml:"attributes,omitempty"`
}

type dataflow struct {
	Name          string           `json:"name" yaml:"name"`
	ID            string           `json:"id" yaml:"id"`
	Description   string           `json:"description,omitempty" yaml:"description,omitempty"`
	Bidirectional bool             `json:"bidirectional,omitempty" yaml:"bidirectional,omitempty"`
	Source        string           `json:"source" yaml:"source"`
	Destination   string           `json:"destination" yaml:"destination"`
	Tags          []string         `json:"tags,omitempty" yaml:"tags,omitempty"`
	Assets        []string         `json:"assets,omitempty" yaml:"assets,omitempty"`
	Threats       []threatInstance `json:"threats,omitempty" yaml:"threats,omitempty"`
	Attributes    map[string]any   `json:"attributes,omitempty" yaml:"attributes,omitempty"`
}

type threat struct {
	Name        string   `json:"name" yaml:"name"`
	ID          string   `json:"id" yaml:"id"`
	Description string   `json:"description,omitempty" yaml:"description,omitempty"`
	Categories  []string `json:"categories,omitempty" yaml:"categories,omitempty"`
	CWEs        []string `json:"cwes,omitempty" yaml:"cwes,omitempty"`
	Risk        *struct {
		Likelihood float64 `json:"likelihood" yaml:"likelihood"`
		Impact     float64 `json:"impact" yaml:"impact"`
	} `json:"risk,omitempty" yaml:"risk,omitempty"`
	Tags       []string       `json:"tags,omitempty" yaml:"tags,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty" yaml:"attributes,omitempty"`
}

type mitigation struct {
	Name          string         `json:"name" yaml:"name"`
	ID            string         `json:"id" yaml:"id"`
	Description   string         `json:"description,omitempty" yaml:"description,omitempty"`
	RiskReduction float64        `json:"riskReduction" yaml:"riskReduction"`
	Attributes    map[string]any `json:"attributes,omitempty" yaml:"attributes,omitempty"`
}

// Parse converts an OTM document (JSON or YAML) into a Rampart model.
func Parse(data []byte, name string) (*threatmodel.Model, []string, error) {
	var doc document
	var err error
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		err = json.Unmarshal(data, &doc)
	} else {
		err = yamlsafe.Unmarshal(data, &doc)
	}
	if err != nil {
		if len(trimmed) > 0 && trimmed[0] == '{' {
			return nil, nil, fmt.Errorf("%s: %w", threatmodel.JSONErrorAt(name, data, err), ErrMalformed)
		}
		return nil, nil, fmt.Errorf("%s: %w: %v", name, ErrMalformed, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if doc.OTMVersion == "" {
		return nil, nil, fmt.Errorf("%s: %w: no otmVersion", name, ErrMalformed)
	}
	if strings.TrimSpace(doc.Project.Name) == "" && strings.TrimSpace(doc.Project.ID) == "" {
		return nil, nil, fmt.Errorf("%s: %w: project has no name or id", name, ErrMalformed)
	}
	c := &converter{doc: &doc, Conversion: threatmodel.NewConversion(name),
		assetIDs: map[string]string{}, zoneIDs: map[string]string{}, compIDs: map[string]string{}, mitIDs: map[string]string{},
		parentOf: map[string]*parent{}, threats: map[string]threat{}, mitStatus: map[string]string{}, instantiated: map[string]bool{}}
	return c.convert()
}

// converter turns one decoded OTM document into a model. convert runs the
// sections in the order OTM's references need: the project, assets, trust
// zones; then the ids of components and mitigations and the threat
// catalogue, which components and dataflows refer to; the components and
// dataflows with the threat instances on them; the threats a Rampart export
// keeps on the project; and last the mitigations, whose status the threat
// instances set. Ids are allocated in that order, so the same input gives
// the same ids.
type converter struct {
	threatmodel.Conversion
	doc *document // the source document

	assetIDs map[string]string  // OTM asset id -> asset id
	zoneIDs  map[string]string  // OTM trust zone id -> boundary id
	compIDs  map[string]string  // OTM component id -> element id
	mitIDs   map[string]string  // OTM mitigation id -> mitigation id
	parentOf map[string]*parent // OTM component id -> its parent
	threats  map[string]threat  // the threat catalogue by OTM id
	// instantiated holds the catalogue threats a threat instance names.
	instantiated map[string]bool
	mitStatus    map[string]string // mitigation id -> status the threat instances give it
}

// convert runs the sections in the order the converter's doc gives and
// validates the result.
func (c *converter) convert() (*threatmodel.Model, []string, error) {
	c.project()
	c.assets()
	c.trustZones()
	c.references()
	for _, comp := range c.doc.Components {
		c.component(comp)
	}
	for _, df := range c.doc.Dataflows {
		c.dataflow(df)
	}
	c.modelThreats()
	c.uninstantiated()
	c.mitigations()
	return c.Finish()
}

// project converts the project: the model's id, title, description and
// owner, and what a Rampart export keeps in its attributes.
func (c *converter) project() {
	p := c.doc.Project
	c.Model = &threatmodel.Model{Rampart: threatmodel.Version, ID: threatmodel.SanitizeID(p.ID), Title: p.Name,
		Description: p.Description, Owner: p.Owner}
	if c.Model.Title == "" {
		c.Model.Title = p.ID
	}
	if c.Model.ID == "" {
		c.Model.ID = threatmodel.TitleID(c.Model.Title)
	}
	// Round trip of a Rampart export: product facts, rule settings and
	// assumptions, which the model rules read.
	var pa projectAttrs
	if decodeAttribute(p.Attributes, "rampart", &pa) {
		c.Model.Product, c.Model.Rules, c.Model.Assumptions = pa.Product, pa.Rules, pa.Assumptions
	}
}

// assets converts the data assets with their CIA ratings.
func (c *converter) assets() {
	for _, a := range c.doc.Assets {
		id := c.IDs.Make(a.ID, a.Name)
		c.assetIDs[a.ID] = id
		na := threatmodel.Asset{ID: id, Name: orStr(a.Name, a.ID), Description: a.Description}
		if a.Risk != nil {
			na.Confidentiality, na.Integrity, na.Availability = rating(a.Risk.Confidentiality), rating(a.Risk.Integrity), rating(a.Risk.Availability)
		}
		if v, ok := a.Attributes["rampart"].(map[string]any); ok {
			na.Personal, _ = v["personal"].(bool)
			na.Secret, _ = v["secret"].(bool)
		}
		c.Model.Assets = append(c.Model.Assets, na)
	}
}

// assetRefs maps the OTM asset ids a component or dataflow (where) lists;
// an unknown one is dropped with a warning.
func (c *converter) assetRefs(list []string, where string) []string {
	var out []string
	for _, a := range list {
		if id, ok := c.assetIDs[a]; ok {
			out = append(out, id)
		} else {
			c.Warnf("%s refers to unknown asset %q; dropped", where, a)
		}
	}
	return out
}

// trustZones converts the trust zones into boundaries, nested as their
// parents say (a zone may name a parent later in the list).
func (c *converter) trustZones() {
	for _, z := range c.doc.TrustZones {
		c.zoneIDs[z.ID] = c.IDs.Make(z.ID, z.Name)
	}
	for _, z := range c.doc.TrustZones {
		b := threatmodel.Boundary{ID: c.zoneIDs[z.ID], Name: orStr(z.Name, z.ID), Description: z.Description, Type: zoneType(z.Type)}
		switch {
		case z.Parent == nil:
		case z.Parent.TrustZone != "":
			if b.Parent = c.zoneIDs[z.Parent.TrustZone]; b.Parent == "" {
				c.Warnf("trust zone %q: parent trust zone %q is not in the model; imported as a top-level boundary", z.ID, z.Parent.TrustZone)
			}
		case z.Parent.Component != "":
			c.Warnf("trust zone %q is inside component %q: a Rampart boundary nests only in boundaries; imported as a top-level boundary", z.ID, z.Parent.Component)
		}
		c.Model.Boundaries = append(c.Model.Boundaries, b)
	}
}

// references gives components and mitigations their ids and indexes the
// component parents and the threat catalogue, all of which are referred to
// before (or without) being converted.
func (c *converter) references() {
	for _, comp := range c.doc.Components {
		c.compIDs[comp.ID] = c.IDs.Make(comp.ID, comp.Name)
	}
	for i := range c.doc.Components {
		c.parentOf[c.doc.Components[i].ID] = c.doc.Components[i].Parent
	}
	for _, mt := range c.doc.Mitigations {
		c.mitIDs[mt.ID] = c.IDs.Make(mt.ID, mt.Name)
	}
	for _, t := range c.doc.Threats {
		c.threats[t.ID] = t
	}
}

// zoneOf returns the boundary of the trust zone the component id is in,
// directly or through the components it is nested in. A parent that is not
// in the model, or a loop of parents, leaves the component outside every
// boundary with a warning.
func (c *converter) zoneOf(id string, p *parent) string {
	for depth := 0; p != nil; depth++ {
		switch {
		case depth >= 64:
			c.Warnf("component %q: its parents nest too deeply or form a loop; imported outside every trust boundary", id)
			return ""
		case p.TrustZone != "":
			z, ok := c.zoneIDs[p.TrustZone]
			if !ok {
				c.Warnf("component %q: parent trust zone %q is not in the model; imported outside every trust boundary", id, p.TrustZone)
			}
			return z
		case p.Component != "":
			if _, ok := c.compIDs[p.Component]; !ok {
				c.Warnf("component %q: parent component %q is not in the model; imported outside every trust boundary", id, p.Component)
				return ""
			}
		}
		p = c.parentOf[p.Component]
	}
	return ""
}

// component converts a component into an element (a Rampart export's own
// attributes first), then the threat instances on it.
func (c *converter) component(comp component) {
	id := c.compIDs[comp.ID]
	e := threatmodel.Element{}
	decodeAttribute(comp.Attributes, "rampart", &e) // round trip of a Rampart export: the element's own attributes
	e.SetStated(stringList(comp.Attributes["rampart_stated"])...)
	e.ID, e.Name, e.Description = id, orStr(comp.Name, comp.ID), comp.Description
	if e.Type == "" || !slices.Contains(threatmodel.ElementTypes, e.Type) {
		e.Type, e.Kind = classify(comp.Type, comp.Tags)
	}
	if e.Type != threatmodel.TypeDevice {
		e.Device = nil
	}
	e.Boundary = c.zoneOf(comp.ID, comp.Parent)
	e.Tags = comp.Tags
	if comp.Assets != nil {
		e.Processes = c.assetRefs(comp.Assets.Processed, "component "+comp.ID)
		e.Stores = c.assetRefs(comp.Assets.Stored, "component "+comp.ID)
	} else {
		e.Processes, e.Stores = nil, nil
	}
	c.Model.Elements = append(c.Model.Elements, e)
	c.threatInstances(comp.Threats, id)
}

// dataflow converts a dataflow between two components into a flow (and its
// reverse when bidirectional), then the threat instances on it; one that
// does not connect two components is skipped with a warning.
func (c *converter) dataflow(df dataflow) {
	from, to := c.compIDs[df.Source], c.compIDs[df.Destination]
	if from == "" || to == "" {
		c.Warnf("dataflow %q connects %q and %q, which are not both components; skipped", df.ID, df.Source, df.Destination)
		return
	}
	f := threatmodel.Flow{}
	decodeAttribute(df.Attributes, "rampart", &f)
	f.SetStated(stringList(df.Attributes["rampart_stated"])...)
	name := df.Name
	if _, rt := df.Attributes["rampart"]; rt && df.Name == df.ID {
		name = f.Name // a Rampart export names an unnamed flow by its id
	}
	f.ID, f.Name, f.From, f.To, f.Description = c.IDs.Make(df.ID, df.Name), name, from, to, df.Description
	f.Data = c.assetRefs(df.Assets, "dataflow "+df.ID)
	tagProtocol(&f, df.Tags)
	c.Model.Flows = append(c.Model.Flows, f)
	c.threatInstances(df.Threats, f.ID)
	if df.Bidirectional {
		rev := f
		rev.ID = c.IDs.Make(df.ID+"-reverse", "flow")
		rev.From, rev.To = to, from
		c.Model.Flows = append(c.Model.Flows, rev)
	}
}

// modelThreats converts the threat instances a Rampart export recorded on
// the model itself (in the project's attributes).
func (c *converter) modelThreats() {
	if raw, err := json.Marshal(c.doc.Project.Attributes["rampart_model_threats"]); err == nil {
		var list []threatInstance
		if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
			c.threatInstances(list, "")
		}
	}
}

// uninstantiated warns about the threats of the catalogue that no
// component, dataflow or (Rampart export) model instance names: OTM records
// a threat against something only through an instance, so they have no
// target and are not imported.
func (c *converter) uninstantiated() {
	for _, t := range c.doc.Threats {
		if !c.instantiated[t.ID] {
			c.Warnf("threat %q (%s) is in the threats section but on no component or dataflow; not imported", t.ID, orStr(t.Name, t.ID))
		}
	}
}

// mitigations converts the mitigations, with the status the threat
// instances gave them (planned when none did).
func (c *converter) mitigations() {
	for _, mt := range c.doc.Mitigations {
		id := c.mitIDs[mt.ID]
		st := c.mitStatus[id]
		if st == "" {
			st = threatmodel.MitigationPlanned
		}
		c.Model.Mitigations = append(c.Model.Mitigations, threatmodel.Mitigation{ID: id, Title: orStr(mt.Name, mt.ID), Description: mt.Description, Status: st})
	}
}

// threatInstances converts the threat instances on target (an element or
// flow id, "" for the model) into threat decisions; an instance of a threat
// not in the catalogue is dropped with a warning.
func (c *converter) threatInstances(list []threatInstance, target string) {
	for _, ti := range list {
		t, ok := c.threats[ti.Threat]
		if !ok {
			c.Warnf("%s refers to unknown threat %q; dropped", cmp.Or(target, "the model"), ti.Threat)
			continue
		}
		c.instantiated[ti.Threat] = true
		mits := c.instanceMitigations(ti, target)
		if rule, _ := t.Attributes["rule"].(string); rule != "" && rule != "manual" && strings.HasPrefix(t.ID, rule+"@") {
			c.ruleDecision(t, ti, rule, target, mits)
			continue
		}
		c.Model.Threats = append(c.Model.Threats, c.threatDecision(t, ti, target, mits))
	}
}

// instanceMitigations returns the ids of the mitigations a threat instance
// on target names, and records the state it gives them (implemented wins);
// one not in the mitigations section is dropped with a warning.
func (c *converter) instanceMitigations(ti threatInstance, target string) []string {
	var mits []string
	for _, mi := range ti.Mitigations {
		if mi.Mitigation == "" {
			continue
		}
		id, ok := c.mitIDs[mi.Mitigation]
		if !ok {
			c.Warnf("threat %q on %q refers to unknown mitigation %q; dropped", ti.Threat, cmp.Or(target, "the model"), mi.Mitigation)
			continue
		}
		mits = append(mits, id)
		if ms := mitigationState(mi.State); ms != "" && c.mitStatus[id] != threatmodel.MitigationImplemented {
			c.mitStatus[id] = ms
		}
	}
	return mits
}

// ruleDecision keeps the decision on a threat a Rampart rule found (a
// Rampart export): the rules find the threat again on the model, so only a
// decision that says something (not open, or mitigated by something) is
// kept, and a round trip gives the same threats.
func (c *converter) ruleDecision(t threat, ti threatInstance, rule, target string, mits []string) {
	st := state(ti.State)
	if st == threatmodel.StatusOpen && len(mits) == 0 {
		return
	}
	id := threatmodel.ThreatID(rule, target)
	if target == "" {
		id = t.ID // a model-level threat
	}
	d := threatmodel.ThreatDecision{ID: id, Status: st, Mitigations: mits}
	stateReason(&d, ti)
	c.Model.Threats = append(c.Model.Threats, d)
}

// threatDecision converts an instance of a threat from the catalogue (or
// identified by hand in Rampart) on target.
func (c *converter) threatDecision(t threat, ti threatInstance, target string, mits []string) threatmodel.ThreatDecision {
	rule, _ := t.Attributes["rule"].(string)
	id := "OTM-" + threatmodel.SanitizeID(t.ID) + "@" + target
	if rule == "manual" && t.ID != "" && !strings.ContainsAny(t.ID, " \t\r\n") {
		id = t.ID // a threat identified by hand in Rampart keeps its id
	}
	d := threatmodel.ThreatDecision{ID: id, Title: orStr(t.Name, t.ID), Target: target,
		Description: t.Description, Status: state(ti.State), Severity: "medium", STRIDE: "information_disclosure", Mitigations: mits}
	for _, cat := range t.Categories {
		if s := threatmodel.NormalizeSTRIDE(cat); s != "" {
			d.STRIDE = s
			break
		}
	}
	for _, cw := range t.CWEs {
		var n int
		if _, err := fmt.Sscanf(strings.ToUpper(cw), "CWE-%d", &n); err == nil {
			d.CWE = append(d.CWE, n)
		}
	}
	if t.Risk != nil {
		d.Severity = severity(t.Risk.Likelihood, t.Risk.Impact)
	}
	if sev, _ := t.Attributes["severity"].(string); rule == "manual" && slices.Contains(threatmodel.Severities, sev) {
		d.Severity = sev
	}
	stateReason(&d, ti)
	return d
}

// decodeAttribute decodes the attribute key of an OTM object (what a Rampart
// export keeps there) into v and reports whether it was there and decoded.
func decodeAttribute(attrs map[string]any, key string, v any) bool {
	a, ok := attrs[key]
	if !ok {
		return false
	}
	raw, err := json.Marshal(a)
	return err == nil && json.Unmarshal(raw, v) == nil
}

// stateReason gives an accepted or not-applicable decision the OTM state as
// its reason.
func stateReason(d *threatmodel.ThreatDecision, ti threatInstance) {
	if threatmodel.NeedsReason(d.Status) {
		d.Reason = "state " + ti.State + " in the OTM file"
	}
}

func orStr(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return strings.TrimSpace(a)
	}
	return b
}

// rating names the CIA rating of an OTM asset risk value (0–100), or ""
// for 0.
func rating(v float64) string { return band(v, 90, 60, 30) }

// band names the rating a score from 0 to 100 falls in, given the lowest
// critical, high and medium scores: "low" down to 0 (exclusive), "" at 0 or
// below.
func band(score, critical, high, medium float64) string {
	switch {
	case score >= critical:
		return "critical"
	case score >= high:
		return "high"
	case score >= medium:
		return "medium"
	case score > 0:
		return "low"
	}
	return ""
}

func ratingValue(s string) float64 {
	switch s {
	case "critical":
		return 100
	case "high":
		return 75
	case "medium":
		return 50
	case "low":
		return 25
	}
	return 0
}

// severity is the severity of an OTM threat's risk (likelihood and impact,
// 0–100 each); "medium" when it has none.
func severity(likelihood, impact float64) string {
	if s := band(likelihood*impact/100, 80, 50, 20); s != "" {
		return s
	}
	return "medium"
}

// stateKey folds an OTM state for comparison: lower case, without spaces,
// underscores and hyphens ("Risk Accepted" → "riskaccepted").
func stateKey(s string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "_", "", "-", "").Replace(s))
}

func state(s string) string {
	switch stateKey(s) {
	case "mitigated", "closed", "resolved", "fixed":
		return threatmodel.StatusMitigated
	case "accepted", "riskaccepted":
		return threatmodel.StatusAccepted
	case "notapplicable", "falsepositive", "na":
		return threatmodel.StatusNotApplicable
	}
	return threatmodel.StatusOpen
}

func mitigationState(s string) string {
	switch stateKey(s) {
	case "implemented", "verified", "done":
		return threatmodel.MitigationImplemented
	case "inprogress", "started":
		return threatmodel.MitigationInProgress
	case "":
		return ""
	}
	return threatmodel.MitigationPlanned
}

func zoneType(t string) string {
	t = strings.ToLower(t)
	switch {
	case strings.Contains(t, "cloud") || strings.Contains(t, "aws") || strings.Contains(t, "azure") || strings.Contains(t, "gcp"):
		return "cloud"
	case strings.Contains(t, "device") || strings.Contains(t, "physical"):
		return "device"
	case t == "":
		return ""
	}
	return "network"
}

// classify maps an OTM component type (free text in practice) to a Rampart
// element type and kind.
func classify(t string, tags []string) (string, string) {
	k := strings.ToLower(t + " " + strings.Join(tags, " "))
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(k, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("iot", "device", "sensor", "gateway", "plc", "embedded", "firmware", "wearable", "controller"):
		return threatmodel.TypeDevice, ""
	case has("database", "-db", " db", "db-", "storage", "bucket", "store", "s3", "queue", "cache", "postgres", "mysql", "mongo", "redis", "blob", "file-system", "filesystem"):
		return threatmodel.TypeDataStore, "database"
	case has("mobile"):
		return threatmodel.TypeProcess, "mobile_app"
	case has("user", "actor", "client", "browser", "external", "human", "third-party", "third party"):
		return threatmodel.TypeExternalEntity, "user"
	}
	return threatmodel.TypeProcess, ""
}

// tagProtocol reads a dataflow's tags: one naming an encrypted protocol
// marks the flow encrypted, and the first protocol named is its protocol
// (unless a Rampart export stated one).
func tagProtocol(f *threatmodel.Flow, tags []string) {
	for _, t := range tags {
		lt := strings.ToLower(t)
		if strings.Contains(lt, "https") || strings.Contains(lt, "tls") || (strings.Contains(lt, "encrypted") && !strings.Contains(lt, "unencrypted")) ||
			slices.Contains([]string{"mqtts", "coaps", "wss", "sftp", "ftps", "ldaps", "amqps", "ssh", "dtls"}, lt) {
			f.Encrypted = true
		}
		if f.Protocol == "" && isProtocol(lt) {
			f.Protocol = lt
		}
	}
}

func isProtocol(s string) bool {
	switch s {
	case "http", "https", "mqtt", "mqtts", "coap", "coaps", "grpc", "amqp", "amqps", "ssh", "ftp", "sftp", "tls", "ws", "wss", "ble", "zigbee", "modbus", "opc-ua", "sql", "jdbc", "ldap", "ldaps", "smtp":
		return true
	}
	return false
}

// Export writes the model as OTM JSON, with the threats of res (may be nil)
// as the OTM threat catalogue and per-component threat instances. Rampart's
// own element and flow attributes travel in attributes.rampart so that an
// export imports back without loss.
func Export(w io.Writer, m *threatmodel.Model, res *threatmodel.Result) error {
	doc := document{OTMVersion: Version, Project: project{Name: m.Title, ID: orStr(m.ID, threatmodel.TitleID(m.Title)),
		Description: m.Description, Owner: m.Owner,
		Attributes: map[string]any{"rampart": toMap(projectAttrs{Product: m.Product, Rules: m.Rules, Assumptions: m.Assumptions})}}}
	for _, a := range m.Assets {
		doc.Assets = append(doc.Assets, asset{Name: a.Name, ID: a.ID, Description: a.Description,
			Risk:       &assetRisk{Confidentiality: ratingValue(a.Confidentiality), Integrity: ratingValue(a.Integrity), Availability: ratingValue(a.Availability)},
			Attributes: map[string]any{"rampart": map[string]any{"personal": a.Personal, "secret": a.Secret}}})
	}
	for _, b := range m.Boundaries {
		z := trustZone{Name: b.Name, ID: b.ID, Type: orStr(b.Type, "network"), Description: b.Description}
		if b.Parent != "" {
			z.Parent = &parent{TrustZone: b.Parent}
		}
		doc.TrustZones = append(doc.TrustZones, z)
	}
	byTarget := map[string][]threatmodel.Threat{}
	if res != nil {
		seen := map[string]bool{}
		for _, t := range res.Threats {
			byTarget[t.Target] = append(byTarget[t.Target], t)
			if seen[t.ID] {
				continue
			}
			seen[t.ID] = true
			ot := threat{Name: t.Title, ID: t.ID, Description: t.Why, Categories: []string{strideLabel(t.STRIDE)}, CWEs: t.CWE}
			ot.Risk = &struct {
				Likelihood float64 `json:"likelihood" yaml:"likelihood"`
				Impact     float64 `json:"impact" yaml:"impact"`
			}{Likelihood: ratingValue(orStr(t.Likelihood, "medium")), Impact: ratingValue(orStr(t.Impact, severityImpact(t.Severity)))}
			ot.Attributes = map[string]any{"rule": t.Rule, "severity": t.Severity, "capec": t.CAPEC, "etsi": t.ETSI, "mitigations": t.Mitigations}
			doc.Threats = append(doc.Threats, ot)
		}
	}
	inst := func(target string) []threatInstance {
		var out []threatInstance
		for _, t := range byTarget[target] {
			ti := threatInstance{Threat: t.ID, State: otmState(t.Status)}
			for _, c := range t.Controls {
				ti.Mitigations = append(ti.Mitigations, struct {
					Mitigation string `json:"mitigation" yaml:"mitigation"`
					State      string `json:"state,omitempty" yaml:"state,omitempty"`
				}{Mitigation: c, State: controlState(m, c)})
			}
			out = append(out, ti)
		}
		return out
	}
	// Threats on the model itself (no component or dataflow): kept in the
	// project's attributes so that they survive a round trip.
	var onModel []threatInstance
	for target := range byTarget {
		if m.Element(target) == nil && m.Flow(target) == nil {
			onModel = append(onModel, inst(target)...)
		}
	}
	if len(onModel) > 0 {
		slices.SortFunc(onModel, func(a, b threatInstance) int { return strings.Compare(a.Threat, b.Threat) })
		doc.Project.Attributes["rampart_model_threats"] = onModel
	}
	for _, e := range m.Elements {
		c := component{Name: e.Name, ID: e.ID, Description: e.Description, Type: orStr(e.Kind, e.Type), Tags: e.Tags, Threats: inst(e.ID)}
		if e.Boundary != "" {
			c.Parent = &parent{TrustZone: e.Boundary}
		}
		if len(e.Processes)+len(e.Stores) > 0 {
			c.Assets = &componentAssets{Processed: e.Processes, Stored: e.Stores}
		}
		c.Attributes = map[string]any{"rampart": toMap(e)}
		if k := e.StatedKeys(); len(k) > 0 {
			c.Attributes["rampart_stated"] = k
		}
		doc.Components = append(doc.Components, c)
	}
	for _, f := range m.Flows {
		df := dataflow{Name: orStr(f.Name, f.ID), ID: f.ID, Description: f.Description, Source: f.From, Destination: f.To, Assets: f.Data, Threats: inst(f.ID)}
		if f.Protocol != "" {
			df.Tags = append(df.Tags, f.Protocol)
		}
		if f.Encrypted {
			df.Tags = append(df.Tags, "encrypted")
		}
		df.Attributes = map[string]any{"rampart": toMap(f)}
		if k := f.StatedKeys(); len(k) > 0 {
			df.Attributes["rampart_stated"] = k
		}
		doc.Dataflows = append(doc.Dataflows, df)
	}
	for _, mt := range m.Mitigations {
		rr := 0.0
		if mt.InPlace() {
			rr = 100
		}
		doc.Mitigations = append(doc.Mitigations, mitigation{Name: mt.Title, ID: mt.ID, Description: mt.Description, RiskReduction: rr,
			Attributes: map[string]any{"status": mt.Status, "owner": mt.Owner}})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// projectAttrs are the model-level facts an export carries in the
// project's attributes.rampart.
type projectAttrs struct {
	Product     threatmodel.Product      `json:"product,omitempty"`
	Rules       threatmodel.RuleSettings `json:"rules,omitempty"`
	Assumptions []threatmodel.Assumption `json:"assumptions,omitempty"`
}

func stringList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func toMap(v any) map[string]any {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

func severityImpact(sev string) string {
	switch sev {
	case "critical", "high":
		return "high"
	case "low", "info":
		return "low"
	}
	return "medium"
}

func otmState(s string) string {
	switch s {
	case threatmodel.StatusMitigated:
		return "mitigated"
	case threatmodel.StatusAccepted:
		return "accepted"
	case threatmodel.StatusNotApplicable:
		return "notApplicable"
	}
	return "exposed"
}

func controlState(m *threatmodel.Model, id string) string {
	for _, mt := range m.Mitigations {
		if mt.ID == id {
			if mt.InPlace() {
				return "implemented"
			}
			return "required"
		}
	}
	return "required"
}

func strideLabel(s string) string {
	switch s {
	case "information_disclosure":
		return "Information Disclosure"
	case "denial_of_service":
		return "Denial of Service"
	case "elevation_of_privilege":
		return "Elevation of Privilege"
	}
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
