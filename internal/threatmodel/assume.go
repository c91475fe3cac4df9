package threatmodel

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"cel.dev/cel-go/cel"
)

// Assumed is one unstated attribute a threat depends on: with the safe
// answer stated instead, the rule would not have found the threat.
type Assumed struct {
	Target     string `json:"target"`      // element or flow id
	TargetName string `json:"target_name"` // its name
	TargetKind string `json:"target_kind"` // element type or "flow"
	Attribute  string `json:"attribute"`   // YAML key, e.g. "encrypted", "device.secure_boot", "data"
	Assumed    string `json:"assumed"`     // how the rules read it, e.g. "unencrypted"
}

// Completeness says how much of what the rules look at a model states.
type Completeness struct {
	// Score is Stated / Total (1 when nothing applies).
	Score  float64 `json:"score"`
	Stated int     `json:"stated"`
	Total  int     `json:"total"`
	// Attributes are the unstated attributes that the most threats depend
	// on, most first: stating them changes those threats.
	Attributes []AttributeImpact `json:"attributes"`
}

// AttributeImpact is one unstated attribute and the threats that exist
// only because the rules assume its unsafe answer.
type AttributeImpact struct {
	Target     string   `json:"target"`
	TargetName string   `json:"target_name"`
	TargetKind string   `json:"target_kind"`
	Attribute  string   `json:"attribute"`
	Assumed    string   `json:"assumed"`
	Threats    []string `json:"threats"` // threat ids
}

// Path returns the attribute as "elements[id].key" or "flows[id].key"
// (data classification is model-wide: "assets").
func (a AttributeImpact) Path() string {
	if a.Attribute == attrData {
		return "assets (data classification)"
	}
	list := "elements"
	if a.TargetKind == TargetFlow {
		list = "flows"
	}
	return fmt.Sprintf("%s[%s].%s", list, a.Target, a.Attribute)
}

// ruleRef is one fact a rule condition reads: variable and key path.
type ruleRef struct {
	v, key string
}

var refRE = regexp.MustCompile(`\b(e|flow|src|dst)((?:\.[a-z_]+){1,3})`)

func conditionRefs(cond string) []ruleRef {
	var out []ruleRef
	for _, m := range refRE.FindAllStringSubmatch(cond, -1) {
		r := ruleRef{v: m[1], key: strings.TrimPrefix(m[2], ".")}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// factAttr maps a fact key to the model attribute it comes from.
func factAttr(key string, flow bool) string {
	switch key {
	case "max_confidentiality", "max_integrity", "max_availability", "stored_confidentiality":
		return attrData
	case "authenticated":
		if flow {
			return "authentication"
		}
	case "device.update":
		return ""
	}
	return key
}

// safeFacts returns a copy of fact map mp with attribute attr given its
// safe answer.
func safeFacts(mp map[string]any, attr string, flow bool) map[string]any {
	c := maps.Clone(mp)
	switch attr {
	case attrData:
		for _, k := range []string{"max_confidentiality", "max_integrity", "max_availability", "stored_confidentiality"} {
			if _, ok := c[k]; ok {
				c[k] = int64(1)
			}
		}
	case "authentication":
		c["authentication"] = "certificate"
		if flow {
			c["authenticated"] = true
		}
	case "authorization":
		if flow {
			c["authorization"] = "end_user"
		} else {
			c["authorization"] = "role_based"
		}
	case "inbound_unauthenticated", "outbound_unauthenticated":
		c[attr] = false
	default:
		if dev, ok := strings.CutPrefix(attr, "device."); ok {
			d, _ := c["device"].(map[string]any)
			d = maps.Clone(d)
			if up, ok := strings.CutPrefix(dev, "update."); ok {
				u, _ := d["update"].(map[string]any)
				u = maps.Clone(u)
				if up == "mechanism" {
					u[up] = "ota"
				} else {
					u[up] = true
				}
				d["update"] = u
			} else {
				switch dev {
				case "default_credentials":
					d[dev] = "unique_per_device"
				case "physical_exposure":
					d[dev] = "secured"
				default:
					d[dev] = true
				}
			}
			c["device"] = d
			return c
		}
		c[attr] = true
	}
	return c
}

// assumptions finds the unstated attributes threat t depends on and
// appends them to its why.
func (l *Library) assumptions(m *Model, f *facts, flowIndex map[string]int, t *Threat) {
	r := l.byID[t.Rule]
	if r == nil || len(r.refs) == 0 {
		return
	}
	type cand struct {
		v    string // variable to change
		attr string
		objs []Assumed
		flow bool
	}
	var vars map[string]map[string]any
	var cands []cand
	addElem := func(v string, ei int, attr string) {
		e := &m.Elements[ei]
		switch attr {
		case "inbound_unauthenticated", "outbound_unauthenticated":
			flows := f.inUnauth[ei]
			if attr == "outbound_unauthenticated" {
				flows = f.outUnauth[ei]
			}
			if len(flows) == 0 {
				return
			}
			c := cand{v: v, attr: attr}
			for _, fi := range flows {
				fl := &m.Flows[fi]
				c.objs = append(c.objs, Assumed{Target: fl.ID, TargetName: flowName(m, fl), TargetKind: TargetFlow, Attribute: "authentication", Assumed: "unauthenticated"})
			}
			cands = append(cands, c)
			return
		}
		for _, s := range f.elemUnk[ei] {
			if s.key == attr {
				cands = append(cands, cand{v: v, attr: attr, objs: []Assumed{{Target: e.ID, TargetName: e.Name, TargetKind: e.Type, Attribute: attr, Assumed: s.assumed}}})
			}
		}
	}
	switch t.TargetKind {
	case TargetModel:
		return
	case TargetFlow:
		fi, ok := flowIndex[t.Target]
		if !ok || f.flowMaps[fi] == nil {
			return
		}
		fl := &m.Flows[fi]
		si, di := f.elemIndex[fl.From], f.elemIndex[fl.To]
		vars = map[string]map[string]any{"flow": f.flowMaps[fi], "src": f.elemMaps[si], "dst": f.elemMaps[di], "model": f.modelMap}
		for _, ref := range r.refs {
			switch ref.v {
			case "flow":
				attr := factAttr(ref.key, true)
				for _, s := range f.flowUnk[fi] {
					if s.key == attr {
						cands = append(cands, cand{v: "flow", attr: attr, flow: true, objs: []Assumed{{Target: fl.ID, TargetName: flowName(m, fl), TargetKind: TargetFlow, Attribute: attr, Assumed: s.assumed}}})
					}
				}
			case "src":
				addElem("src", si, factAttr(ref.key, false))
			case "dst":
				addElem("dst", di, factAttr(ref.key, false))
			}
		}
	default:
		ei, ok := f.elemIndex[t.Target]
		if !ok {
			return
		}
		vars = map[string]map[string]any{"e": f.elemMaps[ei], "model": f.modelMap}
		for _, ref := range r.refs {
			if ref.v == "e" {
				addElem("e", ei, factAttr(ref.key, false))
			}
		}
	}
	// The same attribute may be read twice (max_confidentiality, max_integrity).
	seen := map[string]bool{}
	var found []Assumed
	for _, c := range cands {
		k := c.v + "/" + c.attr
		if seen[k] {
			continue
		}
		seen[k] = true
		in := make(map[string]any, len(vars))
		for name, mp := range vars {
			in[name] = mp
		}
		in[c.v] = safeFacts(vars[c.v], c.attr, c.flow)
		act, err := cel.NewActivation(in)
		if err != nil {
			continue
		}
		if ok, err := r.matches(act); err == nil && !ok {
			found = append(found, c.objs...)
		}
	}
	if len(found) == 0 {
		return
	}
	t.Assumed = found
	t.Why = strings.TrimSpace(t.Why) + " " + assumedSentence(t, found)
}

// assumedSentence is the why suffix: "Not stated in the model: assumed
// unencrypted; Local API: no input validation."
func assumedSentence(t *Threat, found []Assumed) string {
	var parts []string
	for _, a := range found {
		p := a.Assumed
		if a.Target != t.Target {
			p = a.TargetName + " " + p
		}
		if !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	return "Not stated in the model: assumed " + strings.Join(parts, "; ") + "."
}

// completeness scores the model and ranks the unstated attributes by the
// threats that depend on them.
func completeness(m *Model, f *facts, threats []Threat) *Completeness {
	c := &Completeness{Attributes: []AttributeImpact{}}
	for i := range m.Elements {
		e := &m.Elements[i]
		if e.OutOfScope {
			continue
		}
		n := applicableElementAttrs(e)
		c.Total += n
		c.Stated += n - len(f.elemUnk[i])
	}
	for i := range m.Flows {
		if m.Flows[i].OutOfScope || f.flowMaps[i] == nil {
			continue
		}
		c.Total += len(flowAttrs)
		c.Stated += len(flowAttrs) - len(f.flowUnk[i])
	}
	c.Score = 1
	if c.Total > 0 {
		c.Score = float64(c.Stated) / float64(c.Total)
	}
	idx := map[string]int{}
	for _, t := range threats {
		for _, a := range t.Assumed {
			k := a.Target + "\x00" + a.Attribute
			if a.Attribute == attrData {
				k = attrData // one model-wide answer
			}
			i, ok := idx[k]
			if !ok {
				i = len(c.Attributes)
				idx[k] = i
				ai := AttributeImpact{Target: a.Target, TargetName: a.TargetName, TargetKind: a.TargetKind, Attribute: a.Attribute, Assumed: a.Assumed}
				if a.Attribute == attrData {
					ai.Target, ai.TargetName, ai.TargetKind, ai.Assumed = "", "", TargetModel, "data of high confidentiality and integrity"
				}
				c.Attributes = append(c.Attributes, ai)
			}
			if !slices.Contains(c.Attributes[i].Threats, t.ID) {
				c.Attributes[i].Threats = append(c.Attributes[i].Threats, t.ID)
			}
		}
	}
	sort.SliceStable(c.Attributes, func(i, j int) bool {
		a, b := c.Attributes[i], c.Attributes[j]
		if len(a.Threats) != len(b.Threats) {
			return len(a.Threats) > len(b.Threats)
		}
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		return a.Attribute < b.Attribute
	})
	return c
}

// Top returns the first n attributes (all when n <= 0).
func (c *Completeness) Top(n int) []AttributeImpact {
	if c == nil {
		return nil
	}
	if n <= 0 || n >= len(c.Attributes) {
		return c.Attributes
	}
	return c.Attributes[:n]
}

// Percent is the score in whole percent.
func (c *Completeness) Percent() int { return int(c.Score*100 + 0.5) }
