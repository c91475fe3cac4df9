// Package threatdragon imports OWASP Threat Dragon models (v2 JSON, and the
// v1 JointJS format) into Rampart threat models: actors, processes, stores,
// flows, trust boundaries and the threats recorded on them with their status.
package threatdragon

import (
	"bytes"
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

type props struct {
	Name                   string   `json:"name"`
	Description            string   `json:"description"`
	Type                   string   `json:"type"`
	OutOfScope             bool     `json:"outOfScope"`
	ReasonOutOfScope       string   `json:"reasonOutOfScope"`
	Threats                []threat `json:"threats"`
	Protocol               string   `json:"protocol"`
	IsEncrypted            bool     `json:"isEncrypted"`
	IsPublicNetwork        bool     `json:"isPublicNetwork"`
	StoresCredentials      bool     `json:"storesCredentials"`
	IsALog                 bool     `json:"isALog"`
	IsSigned               bool     `json:"isSigned"`
	ProvidesAuthentication bool     `json:"providesAuthentication"`
	PrivilegeLevel         string   `json:"privilegeLevel"`
	IsWebApplication       bool     `json:"isWebApplication"`
	HandlesCardPayment     bool     `json:"handlesCardPayment"`
	IsBidirectional        bool     `json:"isBidirectional"`
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
	Attrs    struct {
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
		Label struct {
			Text string `json:"text"`
		} `json:"label"`
	} `json:"attrs"`
	Labels json.RawMessage `json:"labels"` // list of label objects, or strings in some versions
	// v1 keeps the properties on the cell itself.
	OutOfScope        bool     `json:"outOfScope"`
	ReasonOutOfScope  string   `json:"reasonOutOfScope"`
	Threats           []threat `json:"threats"`
	Protocol          string   `json:"protocol"`
	IsEncrypted       bool     `json:"isEncrypted"`
	IsPublicNetwork   bool     `json:"isPublicNetwork"`
	StoresCredentials bool     `json:"storesCredentials"`
	IsALog            bool     `json:"isALog"`
	PrivilegeLevel    string   `json:"privilegeLevel"`
	Description       string   `json:"description"`
}

type threat struct {
	ID          json.RawMessage `json:"id"`
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
	m := &threatmodel.Model{Rampart: threatmodel.Version, Title: strings.TrimSpace(*f.Summary.Title)}
	m.ID = threatmodel.SanitizeID(strings.ToLower(m.Title))
	if s, ok := f.Summary.Description.(string); ok {
		m.Description = s
	}
	if s, ok := f.Summary.Owner.(string); ok {
		m.Owner = s
	}
	ids := threatmodel.NewIDAllocator()
	var warns []string
	cellIDs := map[string]string{} // TD cell id -> rampart id
	var boxes []boxInfo
	type pending struct {
		c  *cell
		p  *props
		id string
	}
	var flows []pending
	var nodes []pending
	var dangling []pending // flows not attached to two elements that carry threats
	credAsset, payAsset := "", ""
	asset := func(id, name string, conf string, secret, personal bool) string {
		id = ids.Make(id, id)
		m.Assets = append(m.Assets, threatmodel.Asset{ID: id, Name: name, Confidentiality: conf, Integrity: "high", Secret: secret, Personal: personal})
		return id
	}
	for di := range *f.Detail.Diagrams {
		dg := &(*f.Detail.Diagrams)[di]
		cells := dg.Cells
		if dg.DiagramJSON != nil {
			cells = append(cells, dg.DiagramJSON.Cells...)
		}
		for ci := range cells {
			c := &cells[ci]
			p := c.props()
			kind := c.kind(p)
			if kind == "" {
				continue
			}
			if c.ID == "" {
				warns = append(warns, fmt.Sprintf("diagram %q: %s without id skipped", dg.Title, kind))
				continue
			}
			switch kind {
			case "boundary":
				nm := c.name(p)
				if nm == "" {
					nm = "Trust boundary"
				}
				id := ids.Make(threatmodel.Slug(nm), "boundary")
				cellIDs[c.ID] = id
				b := threatmodel.Boundary{ID: id, Name: nm, Type: "other", Description: p.Description, SourceID: c.ID}
				if c.Position != nil && c.Size != nil && c.Shape == "trust-boundary-box" {
					boxes = append(boxes, boxInfo{id, c.Position.X, c.Position.Y, c.Size.Width, c.Size.Height})
				} else {
					b.Description = strings.TrimSpace(b.Description + " (line boundary in Threat Dragon: membership not recorded)")
				}
				m.Boundaries = append(m.Boundaries, b)
			case "flow":
				flows = append(flows, pending{c, p, ""})
			default:
				// Readable ids (the slug of the name); the Threat Dragon
				// cell id is kept as source_id.
				id := ids.Make(threatmodel.Slug(c.name(p)), strings.ReplaceAll(kind, "_", "-"))
				cellIDs[c.ID] = id
				nodes = append(nodes, pending{c, p, id})
				e := threatmodel.Element{ID: id, Name: c.name(p), Type: kind, Description: p.Description,
					OutOfScope: p.OutOfScope, OutOfScopeReason: p.ReasonOutOfScope, SourceID: c.ID}
				if e.Name == "" {
					e.Name = kind + " " + id
				}
				switch kind {
				case threatmodel.TypeDataStore:
					e.EncryptedAtRest = p.IsEncrypted
					if p.IsALog {
						e.Kind = "log"
					}
					if p.IsSigned {
						e.Tags = append(e.Tags, "signed")
					}
					if p.StoresCredentials {
						if credAsset == "" {
							credAsset = asset("credentials", "Credentials", "high", true, false)
						}
						e.Stores = append(e.Stores, credAsset)
					}
				case threatmodel.TypeProcess:
					lv := strings.ToLower(p.PrivilegeLevel)
					e.Privileged = strings.Contains(lv, "root") || strings.Contains(lv, "admin") || strings.Contains(lv, "system") || strings.Contains(lv, "kernel")
					if p.IsWebApplication {
						e.Kind = "web_app"
					}
					if p.HandlesCardPayment {
						if payAsset == "" {
							payAsset = asset("payment-card-data", "Payment card data", "critical", false, true)
						}
						e.Processes = append(e.Processes, payAsset)
					}
				case threatmodel.TypeExternalEntity:
					if p.ProvidesAuthentication {
						e.Kind = "identity_provider"
					}
				}
				m.Elements = append(m.Elements, e)
			}
		}
	}
	// Boundary boxes: membership and nesting by geometry.
	inside := func(x, y float64, b boxInfo) bool { return x >= b.x && x <= b.x+b.w && y >= b.y && y <= b.y+b.h }
	smallest := func(x, y float64, skip string) string {
		best, area := "", 0.0
		for _, b := range boxes {
			if b.id == skip || !inside(x, y, b) {
				continue
			}
			if a := b.w * b.h; best == "" || a < area {
				best, area = b.id, a
			}
		}
		return best
	}
	for _, b := range boxes {
		for i := range m.Boundaries {
			if m.Boundaries[i].ID == b.id {
				if p := parentBox(boxes, b); p != "" {
					m.Boundaries[i].Parent = p
				}
				m.Boundaries[i].Type = "network"
			}
		}
	}
	for i, n := range nodes {
		if n.c.Position == nil {
			continue
		}
		w, h := 0.0, 0.0
		if n.c.Size != nil {
			w, h = n.c.Size.Width, n.c.Size.Height
		}
		m.Elements[i].Boundary = smallest(n.c.Position.X+w/2, n.c.Position.Y+h/2, "")
	}
	for _, fl := range flows {
		src, dst := endpoint(fl.c.Source), endpoint(fl.c.Target)
		from, to := cellIDs[src], cellIDs[dst]
		if from == "" || to == "" || !isElement(m, from) || !isElement(m, to) {
			// Threat Dragon lets a flow end in a point of the canvas. It is
			// not a flow of the model, but the threats recorded on it are
			// kept: on the element it is attached to, else on the model.
			var on []string
			for _, e := range []string{from, to} {
				if e != "" && isElement(m, e) && !slices.Contains(on, e) {
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
				where := "the model"
				if target != "" {
					where = target
				}
				w += fmt.Sprintf("; its %d recorded threat(s) kept on %s", n, where)
				dangling = append(dangling, pending{fl.c, fl.p, target})
			}
			warns = append(warns, w)
			continue
		}
		id := ids.Make(from+"-to-"+to, "flow")
		cellIDs[fl.c.ID] = id
		proto := strings.ToLower(strings.TrimSpace(fl.p.Protocol))
		nf := threatmodel.Flow{ID: id, Name: fl.c.name(fl.p), From: from, To: to, Protocol: proto,
			Encrypted: fl.p.IsEncrypted || encryptedProtocol(proto), Description: fl.p.Description, OutOfScope: fl.p.OutOfScope, SourceID: fl.c.ID}
		if fl.p.IsPublicNetwork {
			nf.Network = "internet"
		}
		m.Flows = append(m.Flows, nf)
		if fl.p.IsBidirectional {
			rev := nf
			rev.ID = ids.Make(to+"-to-"+from, "flow")
			rev.From, rev.To = to, from
			m.Flows = append(m.Flows, rev)
		}
		nodes = append(nodes, pending{fl.c, fl.p, id})
	}
	// Threats recorded in the model, with their status.
	for ni, n := range append(nodes, dangling...) {
		isDangling := ni >= len(nodes)
		for ti, t := range n.p.Threats {
			at := n.id
			if isDangling {
				at = threatmodel.SanitizeID(n.c.ID) // the flow's own id: not an element of the model
			}
			raw := strings.Trim(string(t.ID), `"`)
			if raw == "" || raw == "null" {
				raw = fmt.Sprintf("%s-%d", at, ti+1)
			}
			d := threatmodel.ThreatDecision{
				ID: "TD-" + threatmodel.SanitizeID(raw) + "@" + at, Title: strings.TrimSpace(t.Title), Target: n.id,
				STRIDE: stride(t), Severity: threatmodel.NormalizeSeverity(t.Severity), Description: strings.TrimSpace(t.Description),
				Mitigation: strings.TrimSpace(t.Mitigation), Status: status(t.Status),
			}
			if d.Title == "" {
				d.Title = "Threat recorded in Threat Dragon"
			}
			if isDangling {
				d.Description = strings.TrimSpace(fmt.Sprintf("Recorded in Threat Dragon on flow %s (%q), which is not attached to two elements. %s", n.c.ID, n.c.name(n.p), d.Description))
			}
			if d.Status == threatmodel.StatusNotApplicable || d.Status == threatmodel.StatusAccepted {
				d.Reason = "marked " + t.Status + " in Threat Dragon"
			}
			m.Threats = append(m.Threats, d)
		}
	}
	sort.SliceStable(m.Threats, func(i, j int) bool { return m.Threats[i].ID < m.Threats[j].ID })
	if err := threatmodel.Validate(m); err != nil {
		return nil, warns, fmt.Errorf("%s: imported model is invalid: %w", name, err)
	}
	return m, warns, nil
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

type boxInfo struct {
	id         string
	x, y, w, h float64
}

// parentBox returns the smallest other box that wholly contains b.
func parentBox(boxes []boxInfo, b boxInfo) string {
	best, area := "", 0.0
	for _, o := range boxes {
		if o.id == b.id || o.w*o.h <= b.w*b.h {
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
	return &props{OutOfScope: c.OutOfScope, ReasonOutOfScope: c.ReasonOutOfScope, Threats: c.Threats, Protocol: c.Protocol,
		IsEncrypted: c.IsEncrypted, IsPublicNetwork: c.IsPublicNetwork, StoresCredentials: c.StoresCredentials,
		IsALog: c.IsALog, PrivilegeLevel: c.PrivilegeLevel, Description: c.Description}
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
	case c.Attrs.Text.Text != "":
		n = c.Attrs.Text.Text
	case c.Attrs.Label.Text != "":
		n = c.Attrs.Label.Text
	default:
		n = labelText(c.Labels)
	}
	return strings.Join(strings.Fields(n), " ")
}

func labelText(raw json.RawMessage) string {
	var objs []struct {
		Attrs struct {
			Text struct {
				Text string `json:"text"`
			} `json:"text"`
			Label struct {
				Text string `json:"text"`
			} `json:"label"`
		} `json:"attrs"`
	}
	if json.Unmarshal(raw, &objs) == nil {
		for _, l := range objs {
			if l.Attrs.Text.Text != "" {
				return l.Attrs.Text.Text
			}
			if l.Attrs.Label.Text != "" {
				return l.Attrs.Label.Text
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

func status(s string) string {
	switch strings.ToLower(strings.ReplaceAll(s, " ", "")) {
	case "mitigated", "closed", "resolved":
		return threatmodel.StatusMitigated
	case "notapplicable", "n/a", "na":
		return threatmodel.StatusNotApplicable
	case "accepted":
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
