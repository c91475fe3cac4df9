// Package pytm imports models from OWASP pytm's JSON (the `--json` dump of a
// TM, or a JSON input description): actors, servers, processes, lambdas,
// data stores, boundaries, data with classification and flows, plus any
// findings with their severity.
package pytm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
	UsesVPN     bool            `json:"usesVPN"`
	Controls    controls        `json:"controls"`
	InScope     *bool           `json:"inScope"`
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
}

type document struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Boundaries  []element       `json:"boundaries"`
	Actors      []element       `json:"actors"`
	Elements    []element       `json:"elements"`
	Flows       []flow          `json:"flows"`
	Data        []data          `json:"data"`
	Findings    []finding       `json:"findings"`
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
	var warns []string
	ids := threatmodel.NewIDAllocator()
	m := &threatmodel.Model{Rampart: threatmodel.Version, ID: threatmodel.SanitizeID(strings.ToLower(doc.Name)), Title: doc.Name, Description: doc.Description}
	ids.Reserve(m.ID)
	bIDs := map[string]string{}
	for _, b := range doc.Boundaries {
		if b.Name == "" || bIDs[b.Name] != "" {
			continue
		}
		bIDs[b.Name] = ids.Make(strings.ToLower(b.Name), "boundary")
		m.Boundaries = append(m.Boundaries, threatmodel.Boundary{ID: bIDs[b.Name], Name: b.Name, Description: b.Description, Type: "network"})
	}
	for i := range m.Boundaries { // nested boundaries
		for _, b := range doc.Boundaries {
			if b.Name == m.Boundaries[i].Name && b.InBoundary != "" && bIDs[string(b.InBoundary)] != "" && string(b.InBoundary) != b.Name {
				m.Boundaries[i].Parent = bIDs[string(b.InBoundary)]
			}
		}
	}
	aIDs := map[string]string{}
	for _, d := range doc.Data {
		if d.Name == "" || aIDs[d.Name] != "" {
			continue
		}
		aIDs[d.Name] = ids.Make(strings.ToLower(d.Name), "data")
		c := classification(d.Classification)
		ln := strings.ToLower(d.Name)
		secret := d.IsCredentials || c == "critical" && (strings.Contains(ln, "password") || strings.Contains(ln, "key") || strings.Contains(ln, "token") || strings.Contains(ln, "credential"))
		m.Assets = append(m.Assets, threatmodel.Asset{ID: aIDs[d.Name], Name: d.Name, Description: d.Description, Confidentiality: c, Secret: secret, Personal: d.IsPII})
	}
	eIDs := map[string]string{}
	for _, e := range append(doc.Actors, doc.Elements...) {
		if e.Name == "" || eIDs[e.Name] != "" || strings.EqualFold(e.Class, "Boundary") || bIDs[e.Name] != "" && e.Class == "" {
			continue
		}
		id := ids.Make(strings.ToLower(e.Name), "element")
		eIDs[e.Name] = id
		el := threatmodel.Element{ID: id, Name: e.Name, Description: e.Description, Boundary: bIDs[string(e.InBoundary)],
			InputValidation: e.Controls.SanitizesInput || e.Controls.ValidatesInput,
			EncryptedAtRest: e.Controls.IsEncryptedAtRest || e.IsEncrypted,
			RateLimited:     e.Controls.HandlesResourceConsumption, Redundant: e.Controls.IsResilient}
		if e.InScope != nil && !*e.InScope {
			el.OutOfScope, el.OutOfScopeReason = true, "out of scope in pytm"
		}
		switch strings.ToLower(e.Class) {
		case "actor":
			el.Type, el.Kind = threatmodel.TypeExternalEntity, "user"
			if e.IsAdmin {
				el.Kind = "administrator"
			}
		case "datastore":
			el.Type = threatmodel.TypeDataStore
			if e.StoresLogs {
				el.Kind = "log"
			} else if e.IsSQL {
				el.Kind = "database"
			}
		case "externalentity":
			el.Type = threatmodel.TypeExternalEntity
		default: // Server, Process, SetOfProcesses, Lambda, Element
			el.Type = threatmodel.TypeProcess
			if e.OnAWS {
				el.Kind = "cloud_service"
			}
		}
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
		m.Elements = append(m.Elements, el)
	}
	if len(m.Elements) == 0 && len(doc.Flows) > 0 {
		return nil, nil, fmt.Errorf("%s: %w: flows but no elements", name, ErrMalformed)
	}
	for i, f := range doc.Flows {
		src, dst := eIDs[nameOf(f.Source)], eIDs[nameOf(f.Sink)]
		if src == "" || dst == "" {
			warns = append(warns, fmt.Sprintf("flow %q connects unknown elements %q and %q; skipped", f.Name, nameOf(f.Source), nameOf(f.Sink)))
			continue
		}
		fl := threatmodel.Flow{ID: ids.Make(strings.ToLower(f.Name), fmt.Sprintf("flow-%d", i+1)), Name: f.Name, From: src, To: dst,
			Protocol: strings.ToLower(f.Protocol), Encrypted: f.IsEncrypted || f.Controls.IsEncrypted || f.UsesVPN || f.Controls.UsesVPN,
			Integrity: f.Controls.ProvidesIntegrity, ReplayProtection: f.Controls.ImplementsNonce, Description: strings.TrimSpace(f.Description + " " + f.Note)}
		if f.Controls.AuthenticatesSource || authenticated(f.Authn) {
			fl.Authentication = "token"
		}
		if f.InScope != nil && !*f.InScope {
			fl.OutOfScope = true
		}
		for _, d := range names(f.Data) {
			if id := aIDs[d]; id != "" {
				fl.Data = append(fl.Data, id)
			} else {
				warns = append(warns, fmt.Sprintf("flow %q carries unknown data %q; dropped", f.Name, d))
			}
		}
		m.Flows = append(m.Flows, fl)
	}
	for i, fd := range doc.Findings {
		target := eIDs[fd.Target]
		if target == "" {
			target = eIDs[nameOf(fd.Element)]
		}
		tid := fd.ThreatID
		if tid == "" {
			tid = fd.ID
		}
		if tid == "" {
			tid = fmt.Sprintf("finding-%d", i+1)
		}
		title := strings.TrimSpace(fd.Description)
		if title == "" {
			title = "pytm finding " + tid
		}
		m.Threats = append(m.Threats, threatmodel.ThreatDecision{ID: "pytm:" + threatmodel.SanitizeID(tid) + "@" + orStr(target, "model"),
			Title: title, Target: target, STRIDE: "tampering", Severity: threatmodel.NormalizeSeverity(fd.Severity), Mitigation: strings.TrimSpace(fd.Mitigations), Status: threatmodel.StatusOpen})
	}
	if err := threatmodel.Validate(m); err != nil {
		return nil, warns, fmt.Errorf("%s: imported model is invalid: %w", name, err)
	}
	return m, warns, nil
}

func orStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
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
