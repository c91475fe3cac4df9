// Package pytm imports models from OWASP pytm's JSON (the `--json` dump of a
// TM, or a JSON input description): actors, servers, processes, lambdas,
// data stores, boundaries, data with classification and flows, plus any
// findings with their severity.
package pytm

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/threatmodel"
)

// ErrMalformed is wrapped when the input is pytm JSON that cannot be converted.
var ErrMalformed = errors.New("malformed pytm model")

type named struct {
	Name string `json:"name"`
}

// boundaryRef is a boundary name, an object with a name, or null.
type boundaryRef string

func (b *boundaryRef) UnmarshalJSON(data []byte) error {
	var s string
	if json.Unmarshal(data, &s) == nil {
		*b = boundaryRef(s)
		return nil
	}
	var n named
	if json.Unmarshal(data, &n) == nil {
		*b = boundaryRef(n.Name)
		return nil
	}
	*b = ""
	return nil
}

type controls struct {
	IsEncrypted                    bool   `json:"isEncrypted"`
	IsEncryptedAtRest              bool   `json:"isEncryptedAtRest"`
	SanitizesInput                 bool   `json:"sanitizesInput"`
	ValidatesInput                 bool   `json:"validatesInput"`
	HasAccessControl               bool   `json:"hasAccessControl"`
	UsesMFA                        bool   `json:"usesMFA"`
	AuthenticatesSource            bool   `json:"authenticatesSource"`
	AuthenticationScheme           string `json:"authenticationScheme"`
	ImplementsAuthenticationScheme bool   `json:"implementsAuthenticationScheme"`
	HandlesResourceConsumption     bool   `json:"handlesResourceConsumption"`
	IsResilient                    bool   `json:"isResilient"`
	ImplementsPOLP                 bool   `json:"implementsPOLP"`
	ProvidesIntegrity              bool   `json:"providesIntegrity"`
	ImplementsNonce                bool   `json:"implementsNonce"`
	UsesVPN                        bool   `json:"usesVPN"`
}

type element struct {
	Class        string      `json:"__class__"`
	Name         string      `json:"name"`
	Description  string      `json:"description"`
	InBoundary   boundaryRef `json:"inBoundary"`
	InScope      *bool       `json:"inScope"`
	Controls     controls    `json:"controls"`
	IsAdmin      bool        `json:"isAdmin"`
	OnAWS        bool        `json:"onAWS"`
	StoresLogs   bool        `json:"storesLogData"`
	IsSQL        bool        `json:"isSQL"`
	IsEncrypted  bool        `json:"isEncrypted"` // older pytm: attribute on the element
	HasAccessCtl bool        `json:"hasAccessControl"`
}

type flow struct {
	Name        string          `json:"name"`
	Source      json.RawMessage `json:"source"`
	Sink        json.RawMessage `json:"sink"`
	Protocol    string          `json:"protocol"`
	Data        json.RawMessage `json:"data"`
	Note        string          `json:"note"`
	Description string          `json:"description"`
	IsEncrypted bool            `json:"isEncrypted"`
	// TLSVersion is the TLS version the flow uses in pytm 1.2 and later
	// ("TLSVersion.TLSv12"; "TLSVersion.NONE" when unencrypted), which
	// replaced isEncrypted.
	TLSVersion string   `json:"tlsVersion"`
	UsesVPN    bool     `json:"usesVPN"`
	Controls   controls `json:"controls"`
	InScope    *bool    `json:"inScope"`
	// Authn is a string naming the mechanism in current pytm, and a
	// boolean (false when unset) in pytm before mid-2024.
	Authn json.RawMessage `json:"authenticatedWith"`
}

type data struct {
	Name           string `json:"name"`
	Description    string `json:"description"`
	Classification string `json:"classification"`
	IsCredentials  bool   `json:"isCredentials"`
	IsPII          bool   `json:"isPII"`
}

type finding struct {
	ID          string          `json:"id"`
	ThreatID    string          `json:"threat_id"`
	Description string          `json:"description"`
	Target      string          `json:"target"`
	Element     json.RawMessage `json:"element"`
	Severity    string          `json:"severity"`
	Mitigations string          `json:"mitigations"`
	Details     string          `json:"details"`
	References  string          `json:"references"`
	// Response is how an override handles the threat: mitigated,
	// transferred, avoided or accepted.
	Response string `json:"response"`
	// Assumption names the assumption that excluded the finding (in
	// excluded_findings): its name, or an object with one.
	Assumption json.RawMessage `json:"assumption"`
}

type document struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Boundaries  []element `json:"boundaries"`
	Actors      []element `json:"actors"`
	Assets      []element `json:"assets"` // pytm 1.3 and later: the non-actor elements
	Elements    []element `json:"elements"`
	Flows       []flow    `json:"flows"`
	Data        []data    `json:"data"`
	Findings    []finding `json:"findings"`
	// ExcludedFindings (pytm 1.3) are the findings an assumption excluded.
	ExcludedFindings []finding `json:"excluded_findings"`
	// Assumptions are the model's assumptions: names (a dump), or objects
	// with a name, a description and the threat ids they exclude.
	Assumptions json.RawMessage `json:"assumptions"`
}

func nameOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n named
	if json.Unmarshal(raw, &n) == nil {
		return n.Name
	}
	return ""
}

func names(raw json.RawMessage) []string {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		if s := nameOf(raw); s != "" {
			return []string{s}
		}
		return nil
	}
	var out []string
	for _, x := range list {
		if s := nameOf(x); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Parse converts pytm JSON.
func Parse(input []byte, name string) (*threatmodel.Model, []string, error) {
	var doc document
	if err := json.NewDecoder(bytes.NewReader(input)).Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", threatmodel.JSONErrorAt(name, input, err), ErrMalformed)
	}
	if strings.TrimSpace(doc.Name) == "" {
		return nil, nil, fmt.Errorf("%s: %w: no model name", name, ErrMalformed)
	}
	c := &converter{doc: &doc, Conversion: threatmodel.NewConversion(name),
		boundaryIDs: map[string]string{}, dataIDs: map[string]string{}, elementIDs: map[string]string{}, flowIDs: map[string]string{}}
	return c.convert()
}

// converter turns one decoded pytm document into a model. pytm refers to
// everything by name, so convert runs the sections in the order their names
// are needed: boundaries (with their nesting), data, then actors and
// elements (placed in boundaries), flows (between elements, carrying data)
// and last the findings (on elements). Ids are allocated in that order too,
// which keeps them stable for the same input.
type converter struct {
	threatmodel.Conversion
	doc *document // the source document

	boundaryIDs map[string]string // boundary name -> boundary id
	dataIDs     map[string]string // data name -> asset id
	elementIDs  map[string]string // element name -> element id
	flowIDs     map[string]string // flow name -> id of the first flow of that name
}

// convert runs the sections in the order the converter's doc gives and
// validates the result.
func (c *converter) convert() (*threatmodel.Model, []string, error) {
	c.Model = threatmodel.NewImportedModel(c.doc.Name)
	c.Model.Description = c.doc.Description
	c.IDs.Reserve(c.Model.ID)
	c.boundaries()
	c.data()
	c.elements()
	if len(c.Model.Elements) == 0 && len(c.doc.Flows) > 0 {
		return nil, nil, fmt.Errorf("%s: %w: flows but no elements", c.Name, ErrMalformed)
	}
	c.flows()
	c.assumptions()
	c.findings()
	return c.Finish()
}

// boundaries converts the named boundaries (the first of a name wins), then
// nests each in the boundary it is in.
func (c *converter) boundaries() {
	for _, b := range c.doc.Boundaries {
		if b.Name == "" || c.boundaryIDs[b.Name] != "" {
			continue
		}
		c.boundaryIDs[b.Name] = c.IDs.Make(strings.ToLower(b.Name), "boundary")
		c.Model.Boundaries = append(c.Model.Boundaries, threatmodel.Boundary{ID: c.boundaryIDs[b.Name], Name: b.Name, Description: b.Description, Type: "network"})
	}
	for i := range c.Model.Boundaries {
		for _, b := range c.doc.Boundaries {
			if b.Name == c.Model.Boundaries[i].Name && b.InBoundary != "" && c.boundaryIDs[string(b.InBoundary)] != "" && string(b.InBoundary) != b.Name {
				c.Model.Boundaries[i].Parent = c.boundaryIDs[string(b.InBoundary)]
			}
		}
	}
}

// data converts the named data items into assets.
func (c *converter) data() {
	for _, d := range c.doc.Data {
		if d.Name == "" || c.dataIDs[d.Name] != "" {
			continue
		}
		c.dataIDs[d.Name] = c.IDs.Make(strings.ToLower(d.Name), "data")
		cl := classification(d.Classification)
		ln := strings.ToLower(d.Name)
		secret := d.IsCredentials || cl == "critical" && (strings.Contains(ln, "password") || strings.Contains(ln, "key") || strings.Contains(ln, "token") || strings.Contains(ln, "credential"))
		c.Model.Assets = append(c.Model.Assets, threatmodel.Asset{ID: c.dataIDs[d.Name], Name: d.Name, Description: d.Description, Confidentiality: cl, Secret: secret, Personal: d.IsPII})
	}
}

// elements converts the actors and elements, skipping unnamed ones, repeated
// names and boundaries listed among the elements.
func (c *converter) elements() {
	for _, e := range slices.Concat(c.doc.Actors, c.doc.Elements, c.doc.Assets) {
		if e.Name == "" || c.elementIDs[e.Name] != "" || strings.EqualFold(e.Class, "Boundary") || c.boundaryIDs[e.Name] != "" && e.Class == "" {
			continue
		}
		id := c.IDs.Make(strings.ToLower(e.Name), "element")
		c.elementIDs[e.Name] = id
		c.Model.Elements = append(c.Model.Elements, c.element(e, id))
	}
}

// element converts one element: its class gives the type and kind, its
// controls the security attributes.
func (c *converter) element(e element, id string) threatmodel.Element {
	el := threatmodel.Element{ID: id, Name: e.Name, Description: e.Description, Boundary: c.boundaryIDs[string(e.InBoundary)],
		InputValidation: e.Controls.SanitizesInput || e.Controls.ValidatesInput,
		EncryptedAtRest: e.Controls.IsEncryptedAtRest || e.IsEncrypted,
		RateLimited:     e.Controls.HandlesResourceConsumption, Redundant: e.Controls.IsResilient}
	if e.InScope != nil && !*e.InScope {
		el.OutOfScope, el.OutOfScopeReason = true, "out of scope in pytm"
	}
	el.Type, el.Kind = elementType(e)
	if e.Controls.UsesMFA {
		el.Authentication = "mfa"
	} else if e.Controls.ImplementsAuthenticationScheme || e.Controls.AuthenticatesSource {
		el.Authentication = "token"
	}
	if e.Controls.HasAccessControl || e.HasAccessCtl {
		el.Authorization = "role_based"
	}
	if e.Controls.ImplementsPOLP {
		el.Sandboxed = true
	}
	return el
}

// elementType maps a pytm element's class (and flags) to a Rampart element
// type and kind.
func elementType(e element) (typ, kind string) {
	switch strings.ToLower(e.Class) {
	case "actor":
		if e.IsAdmin {
			return threatmodel.TypeExternalEntity, "administrator"
		}
		return threatmodel.TypeExternalEntity, "user"
	case "datastore":
		switch {
		case e.StoresLogs:
			return threatmodel.TypeDataStore, "log"
		case e.IsSQL:
			return threatmodel.TypeDataStore, "database"
		}
		return threatmodel.TypeDataStore, ""
	case "externalentity":
		return threatmodel.TypeExternalEntity, ""
	}
	// Server, Process, SetOfProcesses, Lambda, Element
	if e.OnAWS {
		return threatmodel.TypeProcess, "cloud_service"
	}
	return threatmodel.TypeProcess, ""
}

// flows converts the flows between known elements; others are skipped with a
// warning naming the flow.
func (c *converter) flows() {
	for i, f := range c.doc.Flows {
		src, dst := c.elementIDs[nameOf(f.Source)], c.elementIDs[nameOf(f.Sink)]
		if src == "" || dst == "" {
			c.Warnf("flow %q connects unknown elements %q and %q; skipped", f.Name, nameOf(f.Source), nameOf(f.Sink))
			continue
		}
		fl := c.flow(i, f, src, dst)
		if _, dup := c.flowIDs[f.Name]; !dup && f.Name != "" {
			c.flowIDs[f.Name] = fl.ID
		}
		c.Model.Flows = append(c.Model.Flows, fl)
	}
}

// flow converts the i-th flow, from src to dst (element ids).
func (c *converter) flow(i int, f flow, src, dst string) threatmodel.Flow {
	fl := threatmodel.Flow{ID: c.IDs.Make(strings.ToLower(f.Name), fmt.Sprintf("flow-%d", i+1)), Name: f.Name, From: src, To: dst,
		Protocol: strings.ToLower(f.Protocol), Encrypted: f.IsEncrypted || f.Controls.IsEncrypted || f.UsesVPN || f.Controls.UsesVPN || usesTLS(f.TLSVersion),
		Integrity: f.Controls.ProvidesIntegrity, ReplayProtection: f.Controls.ImplementsNonce, Description: strings.TrimSpace(f.Description + " " + f.Note)}
	if f.Controls.AuthenticatesSource || authenticated(f.Authn) {
		fl.Authentication = "token"
	}
	if f.InScope != nil && !*f.InScope {
		fl.OutOfScope = true
	}
	for _, d := range names(f.Data) {
		if id := c.dataIDs[d]; id != "" {
			fl.Data = append(fl.Data, id)
		} else {
			c.Warnf("flow %q carries unknown data %q; dropped", f.Name, d)
		}
	}
	return fl
}

// findings converts pytm's findings into threat decisions on the element,
// flow or boundary they name (or on the model), with the status an
// override's response gives them (open without one).
func (c *converter) findings() {
	for i, fd := range c.doc.Findings {
		c.finding(i, fd, false)
	}
	for i, fd := range c.doc.ExcludedFindings {
		c.finding(len(c.doc.Findings)+i, fd, true)
	}
}

// finding converts the i-th finding; an excluded one is not applicable,
// for the assumption that excluded it.
func (c *converter) finding(i int, fd finding, excluded bool) {
	name := cmp.Or(fd.Target, nameOf(fd.Element))
	target := cmp.Or(c.elementIDs[name], c.flowIDs[name], c.boundaryIDs[name])
	tid := cmp.Or(fd.ThreatID, fd.ID, fmt.Sprintf("finding-%d", i+1))
	if target == "" && name != "" {
		c.Warnf("finding %s names %q, which is not an element, flow or boundary of the model; kept on the model", tid, name)
	}
	title := cmp.Or(strings.TrimSpace(fd.Description), "pytm finding "+tid)
	d := threatmodel.ThreatDecision{ID: "pytm:" + threatmodel.SanitizeID(tid) + "@" + cmp.Or(target, "model"),
		Title: title, Target: target, STRIDE: "tampering", Severity: threatmodel.NormalizeSeverity(fd.Severity), Mitigation: strings.TrimSpace(fd.Mitigations),
		Description: strings.TrimSpace(strings.TrimSpace(fd.Details) + "\n" + references(fd.References))}
	d.Status, d.Reason = response(fd.Response)
	if d.Status == "" {
		c.Warnf("finding %s on %q has response %q, which is not one of pytm's (mitigated, transferred, avoided, accepted); kept open", tid, name, fd.Response)
		d.Status = threatmodel.StatusOpen
	}
	if excluded {
		d.Status, d.Reason = threatmodel.StatusNotApplicable, "excluded in pytm"
		if a := nameOf(fd.Assumption); a != "" {
			d.Reason += " by the assumption " + strconv.Quote(a)
		}
	}
	c.Model.Threats = append(c.Model.Threats, d)
}

// assumptions converts the model's assumptions: each a name, or an object
// with a name and a description (and the threats it excludes, which are
// named in the description).
func (c *converter) assumptions() {
	var list []json.RawMessage
	if json.Unmarshal(c.doc.Assumptions, &list) != nil {
		return
	}
	for _, raw := range list {
		var a struct {
			Name        string   `json:"name"`
			Description string   `json:"description"`
			Exclude     []string `json:"exclude"`
		}
		if json.Unmarshal(raw, &a.Name) != nil && json.Unmarshal(raw, &a) != nil {
			continue
		}
		text := strings.TrimSpace(a.Name)
		if d := strings.TrimSpace(a.Description); d != "" {
			text += ": " + d
		}
		if len(a.Exclude) > 0 {
			text += " (excludes " + strings.Join(a.Exclude, ", ") + ")"
		}
		if text == "" {
			continue
		}
		c.Model.Assumptions = append(c.Model.Assumptions, threatmodel.Assumption{ID: c.IDs.Make(strings.ToLower(cmp.Or(a.Name, text)), "assumption"), Description: text})
	}
}

// response maps the response of a pytm finding to a threat status and, for
// an accepted or transferred threat, the reason; "" for an unknown one.
func response(r string) (status, reason string) {
	switch strings.ToLower(strings.TrimSpace(r)) {
	case "":
		return threatmodel.StatusOpen, ""
	case "mitigated", "avoided":
		return threatmodel.StatusMitigated, ""
	case "accepted":
		return threatmodel.StatusAccepted, "response accepted in pytm"
	case "transferred":
		return threatmodel.StatusAccepted, "response transferred in pytm (the risk is carried by another party)"
	}
	return "", ""
}

// references labels a finding's references for its description.
func references(r string) string {
	if r = strings.TrimSpace(r); r != "" {
		return "References: " + r
	}
	return ""
}

// usesTLS reads a flow's tlsVersion: any version but NONE encrypts it.
func usesTLS(v string) bool {
	v = strings.TrimSpace(strings.TrimPrefix(v, "TLSVersion."))
	return v != "" && !strings.EqualFold(v, "NONE")
}

func classification(c string) string {
	switch strings.ToUpper(strings.TrimPrefix(c, "Classification.")) {
	case "PUBLIC":
		return "low"
	case "RESTRICTED":
		return "medium"
	case "SENSITIVE":
		return "high"
	case "SECRET", "TOP_SECRET":
		return "critical"
	}
	return ""
}

// authenticated reads authenticatedWith: a non-empty mechanism name, or
// true in older pytm.
func authenticated(raw json.RawMessage) bool {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		s = strings.TrimSpace(strings.ToLower(s))
		return s != "" && s != "false" && s != "none"
	}
	return false
}
