// Package threagile imports Threagile YAML models (the input format, and the
// parsed-model JSON/YAML Threagile writes) into Rampart threat models:
// technical assets, communication links, data assets with CIA ratings,
// nested trust boundaries, tracked risks and individual risks with their
// status. Included files (`includes:`) are read through a caller-supplied
// function so that the package never touches the file system itself.
package threagile

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rampart-security/rampart/internal/threatmodel"
)

// ErrMalformed is wrapped when the input is Threagile YAML that cannot be
// converted (wrong types, dangling references, no technical assets).
var ErrMalformed = errors.New("malformed Threagile model")

// Options configures Parse.
type Options struct {
	// ReadInclude returns the content of a file named in `includes:`
	// (relative to the model). Nil rejects models with includes.
	ReadInclude func(name string) ([]byte, error)
}

type obj = map[string]any

// Sniff reports whether a decoded YAML/JSON document looks like Threagile.
func Sniff(top map[string]any) bool {
	if _, ok := top["threagile_version"]; ok {
		return true
	}
	_, ta := top["technical_assets"]
	_, inc := top["includes"]
	return ta || inc
}

// Parse converts a Threagile model. name is used in errors.
func Parse(data []byte, name string, opts Options) (*threatmodel.Model, []string, error) {
	top, err := load(data, name, opts, 0)
	if err != nil {
		return nil, nil, err
	}
	return convert(top, name)
}

func load(data []byte, name string, opts Options, depth int) (obj, error) {
	if depth > 8 {
		return nil, fmt.Errorf("%s: %w: includes nested too deeply", name, ErrMalformed)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrMalformed, err)
	}
	if tooDeep(&n, 0) {
		return nil, fmt.Errorf("%s: %w: document nested too deeply", name, ErrMalformed)
	}
	var top obj
	if err := n.Decode(&top); err != nil {
		return nil, fmt.Errorf("%s: %w: top level must be a mapping: %v", name, ErrMalformed, err)
	}
	if top == nil {
		if depth > 0 {
			return obj{}, nil // an included file with only comments
		}
		return nil, fmt.Errorf("%s: %w: empty document", name, ErrMalformed)
	}
	incs, _ := top["includes"].([]any)
	for _, inc := range incs {
		file, ok := inc.(string)
		if !ok {
			continue
		}
		if opts.ReadInclude == nil {
			return nil, fmt.Errorf("%s: %w: includes %q but no include reader was given", name, ErrMalformed, file)
		}
		b, err := opts.ReadInclude(file)
		if err != nil {
			return nil, fmt.Errorf("%s: include %q: %w", name, file, err)
		}
		sub, err := load(b, file, opts, depth+1)
		if err != nil {
			return nil, err
		}
		for k, v := range sub {
			if cur, ok := top[k].(obj); ok {
				if add, ok := v.(obj); ok {
					for kk, vv := range add {
						if _, exists := cur[kk]; !exists {
							cur[kk] = vv
						}
					}
					continue
				}
			}
			if _, exists := top[k]; !exists {
				top[k] = v
			}
		}
	}
	return top, nil
}

// tooDeep bounds nesting; yaml.v3 itself rejects excessive alias expansion.
func tooDeep(n *yaml.Node, depth int) bool {
	if depth > 64 {
		return true
	}
	for _, c := range n.Content {
		if tooDeep(c, depth+1) {
			return true
		}
	}
	return false
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(x)
	case []any, obj:
		return ""
	}
	return strings.TrimSpace(fmt.Sprint(v))
}

func boolean(v any) bool {
	b, _ := v.(bool)
	return b
}

func strs(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s := str(x); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// entries returns the (key, mapping) pairs of a Threagile section, which is a
// mapping keyed by title (input format) or by id (parsed model), in key order.
func entries(v any, section, name string) ([]string, []obj, error) {
	if v == nil {
		return nil, nil, nil
	}
	if l, ok := v.([]any); ok { // parsed models may hold lists of objects with ids
		var ks []string
		var objs []obj
		for i, x := range l {
			o, ok := x.(obj)
			if !ok {
				return nil, nil, fmt.Errorf("%s: %w: %s[%d] must be a mapping", name, ErrMalformed, section, i)
			}
			k := str(o["id"])
			if k == "" {
				k = fmt.Sprintf("%s-%d", section, i+1)
			}
			ks = append(ks, k)
			objs = append(objs, o)
		}
		return ks, objs, nil
	}
	m, ok := v.(obj)
	if !ok {
		return nil, nil, fmt.Errorf("%s: %w: %s must be a mapping", name, ErrMalformed, section)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var objs []obj
	var ks []string
	for _, k := range keys {
		o, ok := m[k].(obj)
		if !ok {
			if m[k] == nil {
				continue
			}
			return nil, nil, fmt.Errorf("%s: %w: %s %q must be a mapping", name, ErrMalformed, section, k)
		}
		ks = append(ks, k)
		objs = append(objs, o)
	}
	return ks, objs, nil
}

func convert(top obj, name string) (*threatmodel.Model, []string, error) {
	var warns []string
	title := str(top["title"])
	if title == "" {
		title = "Threagile model"
	}
	m := &threatmodel.Model{Rampart: threatmodel.Version, ID: threatmodel.SanitizeID(strings.ToLower(title)), Title: title}
	if a, ok := top["author"].(obj); ok {
		m.Owner = str(a["name"])
	}
	for _, k := range []string{"application_description", "business_overview", "technical_overview"} {
		if d, ok := top[k].(obj); ok && str(d["description"]) != "" {
			m.Description = str(d["description"])
			break
		}
	}
	if _, ok := top["technical_assets"]; !ok {
		return nil, nil, fmt.Errorf("%s: %w: no technical_assets (a fragment of a model, not a model)", name, ErrMalformed)
	}
	ids := threatmodel.NewIDAllocator()
	// data assets
	assetIDs := map[string]string{}
	keys, objs, err := entries(top["data_assets"], "data_assets", name)
	if err != nil {
		return nil, nil, err
	}
	for i, o := range objs {
		raw := str(o["id"])
		if raw == "" {
			raw = keys[i]
		}
		id := ids.Make(raw, keys[i])
		assetIDs[raw] = id
		title := str(o["title"])
		if title == "" {
			title = keys[i]
		}
		lt := strings.ToLower(raw + " " + title)
		a := threatmodel.Asset{ID: id, Name: title, Description: str(o["description"]),
			Confidentiality: confidentiality(str(o["confidentiality"])), Integrity: criticality(str(o["integrity"])), Availability: criticality(str(o["availability"])),
			Secret:   containsAny(lt, "credential", "password", "secret", "token", "private key", "api key", "-key", "certificate"),
			Personal: containsAny(lt, "customer", "personal", "user account", "patient", "employee", "pii")}
		m.Assets = append(m.Assets, a)
	}
	mapAssets := func(list []string, where string) []string {
		var out []string
		for _, a := range list {
			if id, ok := assetIDs[a]; ok {
				if !slices.Contains(out, id) {
					out = append(out, id)
				}
			} else {
				warns = append(warns, fmt.Sprintf("%s refers to unknown data asset %q; dropped", where, a))
			}
		}
		return out
	}
	// technical assets
	keys, objs, err = entries(top["technical_assets"], "technical_assets", name)
	if err != nil {
		return nil, nil, err
	}
	if len(objs) == 0 {
		return nil, nil, fmt.Errorf("%s: %w: technical_assets is empty", name, ErrMalformed)
	}
	elemIDs := map[string]string{}
	internet := map[string]bool{}
	for i, o := range objs {
		raw := str(o["id"])
		if raw == "" {
			return nil, nil, fmt.Errorf("%s: %w: technical asset %q has no id", name, ErrMalformed, keys[i])
		}
		elemIDs[raw] = ids.Make(raw, keys[i])
	}
	type link struct {
		key  string
		from string
		o    obj
	}
	var links []link
	for i, o := range objs {
		raw := str(o["id"])
		id := elemIDs[raw]
		title := str(o["title"])
		if title == "" {
			title = keys[i]
		}
		tech := technology(o)
		e := threatmodel.Element{ID: id, Name: title, Description: str(o["description"]), Technology: tech,
			OutOfScope: boolean(o["out_of_scope"]), OutOfScopeReason: str(o["justification_out_of_scope"]),
			InternetFacing: boolean(o["internet"]), Tags: strs(o["tags"]),
			EncryptedAtRest: str(o["encryption"]) != "" && str(o["encryption"]) != "none",
			MultiTenant:     boolean(o["multi_tenant"]), Redundant: boolean(o["redundant"])}
		internet[id] = e.InternetFacing
		switch str(o["type"]) {
		case "external-entity":
			e.Type = threatmodel.TypeExternalEntity
			if boolean(o["used_as_client_by_human"]) {
				e.Kind = "user"
			}
		case "datastore":
			e.Type = threatmodel.TypeDataStore
		case "process", "":
			e.Type = threatmodel.TypeProcess
		default:
			return nil, nil, fmt.Errorf("%s: %w: technical asset %q has unknown type %q", name, ErrMalformed, raw, str(o["type"]))
		}
		if containsAny(tech, "iot", "sensor", "embedded", "plc", "scada", "hardware") {
			e.Type = threatmodel.TypeDevice
			e.Device = &threatmodel.Device{}
		}
		if e.Kind != "" {
			// a human client keeps kind user
		} else if containsAny(tech, "mobile") {
			e.Kind = "mobile_app"
		} else if containsAny(tech, "browser") {
			e.Kind = "browser"
		} else if containsAny(tech, "web-server", "web-application", "application-server") {
			e.Kind = "web_app"
		} else if e.Type == threatmodel.TypeDataStore && containsAny(tech, "log") {
			e.Kind = "log"
		}
		e.Processes = mapAssets(strs(o["data_assets_processed"]), "technical asset "+raw)
		e.Stores = mapAssets(strs(o["data_assets_stored"]), "technical asset "+raw)
		m.Elements = append(m.Elements, e)
		switch cl := o["communication_links"].(type) {
		case obj:
			lk := make([]string, 0, len(cl))
			for k := range cl {
				lk = append(lk, k)
			}
			sort.Strings(lk)
			for _, k := range lk {
				lo, ok := cl[k].(obj)
				if !ok {
					return nil, nil, fmt.Errorf("%s: %w: communication link %q of %q must be a mapping", name, ErrMalformed, k, raw)
				}
				links = append(links, link{k, raw, lo})
			}
		case []any: // parsed model
			for _, x := range cl {
				lo, ok := x.(obj)
				if !ok {
					return nil, nil, fmt.Errorf("%s: %w: communication links of %q must be mappings", name, ErrMalformed, raw)
				}
				links = append(links, link{str(lo["title"]), raw, lo})
			}
		case nil:
		default:
			return nil, nil, fmt.Errorf("%s: %w: communication_links of %q must be a mapping", name, ErrMalformed, raw)
		}
	}
	for _, l := range links {
		target := str(l.o["target"])
		if target == "" {
			target = str(l.o["target_id"])
		}
		to, ok := elemIDs[target]
		if !ok {
			return nil, nil, fmt.Errorf("%s: %w: communication link %q of %q targets unknown technical asset %q", name, ErrMalformed, l.key, l.from, target)
		}
		from := elemIDs[l.from]
		proto := strings.ToLower(str(l.o["protocol"]))
		f := threatmodel.Flow{ID: ids.Make(l.from+">"+threatmodel.SanitizeID(strings.ToLower(l.key)), "link"), Name: l.key, From: from, To: to,
			Protocol: proto, Encrypted: encryptedProtocol(proto) || boolean(l.o["vpn"]), Description: str(l.o["description"]),
			Authentication: authn(str(l.o["authentication"])), Authorization: authz(str(l.o["authorization"]))}
		switch {
		case boolean(l.o["vpn"]):
			f.Network = "vpn"
		case internet[from] || internet[to]:
			f.Network = "internet"
		case proto == "in-process-library-call" || proto == "local-file-access" || strings.HasPrefix(proto, "in-"):
			f.Network = "local"
		default:
			f.Network = "lan"
		}
		f.Data = mapAssets(append(strs(l.o["data_assets_sent"]), strs(l.o["data_assets_received"])...), "communication link "+l.key)
		m.Flows = append(m.Flows, f)
	}
	// trust boundaries
	keys, objs, err = entries(top["trust_boundaries"], "trust_boundaries", name)
	if err != nil {
		return nil, nil, err
	}
	bIDs := map[string]string{}
	for i, o := range objs {
		raw := str(o["id"])
		if raw == "" {
			raw = keys[i]
		}
		bIDs[raw] = ids.Make(raw, keys[i])
	}
	parentOf := map[string]string{}
	boundaryOf := map[string]string{}
	for i, o := range objs {
		raw := str(o["id"])
		if raw == "" {
			raw = keys[i]
		}
		id := bIDs[raw]
		for _, n := range strs(o["trust_boundaries_nested"]) {
			if c, ok := bIDs[n]; ok {
				parentOf[c] = id
			} else {
				warns = append(warns, fmt.Sprintf("trust boundary %q nests unknown boundary %q", raw, n))
			}
		}
		for _, a := range strs(o["technical_assets_inside"]) {
			if e, ok := elemIDs[a]; ok {
				boundaryOf[e] = id
			} else {
				warns = append(warns, fmt.Sprintf("trust boundary %q contains unknown technical asset %q", raw, a))
			}
		}
		title := str(o["title"])
		if title == "" {
			title = keys[i]
		}
		m.Boundaries = append(m.Boundaries, threatmodel.Boundary{ID: id, Name: title, Description: str(o["description"]), Type: boundaryType(str(o["type"]))})
	}
	for i := range m.Boundaries {
		m.Boundaries[i].Parent = parentOf[m.Boundaries[i].ID]
	}
	for i := range m.Elements {
		m.Elements[i].Boundary = boundaryOf[m.Elements[i].ID]
	}
	// Categories the model defines itself, so a tracked risk of one keeps
	// its title, STRIDE category, CWE and severity.
	defined := map[string]riskCategory{}
	for _, sec := range []string{"individual_risk_categories", "custom_risk_categories"} {
		keys, objs, err := entries(top[sec], sec, name)
		if err != nil {
			return nil, nil, err
		}
		for i, o := range objs {
			cat := orStr(str(o["id"]), keys[i])
			rc := riskCategory{title: orStr(str(o["title"]), keys[i]), stride: threatmodel.NormalizeSTRIDE(str(o["stride"]))}
			fmt.Sscanf(str(o["cwe"]), "%d", &rc.cwe)
			if _, robjs, err := entries(o["risks_identified"], sec+"."+cat+".risks_identified", name); err == nil && len(robjs) > 0 {
				rc.severity = threatmodel.NormalizeSeverity(str(robjs[0]["severity"]))
			}
			defined[cat] = rc
		}
	}
	// tracked risks and individual risks -> threats with status
	if rt, ok := top["risk_tracking"].(obj); ok {
		rk := make([]string, 0, len(rt))
		for k := range rt {
			rk = append(rk, k)
		}
		sort.Strings(rk)
		for _, k := range rk {
			o, _ := rt[k].(obj)
			parts := strings.Split(k, "@")
			target := ""
			for _, p := range parts[1:] {
				if id, ok := elemIDs[p]; ok {
					target = id
					break
				}
			}
			rc, ok := defined[parts[0]]
			if !ok {
				rc = builtinRisks[parts[0]]
			}
			d := threatmodel.ThreatDecision{ID: "threagile:" + sanitizeRisk(k), Title: orStr(rc.title, "Threagile risk "+parts[0]), Target: target,
				STRIDE: orStr(rc.stride, "tampering"), Severity: orStr(rc.severity, "medium"), Status: trackingStatus(str(o["status"])), Reason: str(o["justification"]), Owner: str(o["checked_by"]),
				Description: "Tracked in Threagile as " + k + " (category " + parts[0] + ")" + ticket(o)}
			if rc.cwe > 0 {
				d.CWE = []int{rc.cwe}
			}
			if d.Target == "" {
				d.Description += " (applies to several assets)"
			}
			fixReason(&d)
			m.Threats = append(m.Threats, d)
		}
	}
	for _, sec := range []string{"individual_risk_categories", "custom_risk_categories"} {
		keys, objs, err = entries(top[sec], sec, name)
		if err != nil {
			return nil, nil, err
		}
		for i, o := range objs {
			cat := str(o["id"])
			if cat == "" {
				cat = keys[i]
			}
			title := str(o["title"])
			if title == "" {
				title = keys[i]
			}
			rkeys, robjs, err := entries(o["risks_identified"], sec+"."+cat+".risks_identified", name)
			if err != nil {
				return nil, nil, err
			}
			cwe := 0
			fmt.Sscanf(str(o["cwe"]), "%d", &cwe)
			for j, r := range robjs {
				target := elemIDs[str(r["most_relevant_technical_asset"])]
				d := threatmodel.ThreatDecision{ID: "threagile:" + threatmodel.SanitizeID(cat) + "@" + orStr(target, threatmodel.SanitizeID(rkeys[j])),
					Title: title, Target: target, STRIDE: orStr(threatmodel.NormalizeSTRIDE(str(o["stride"])), "tampering"),
					Severity: threatmodel.NormalizeSeverity(str(r["severity"])), Description: strings.TrimSpace(stripTags(rkeys[j]) + ". " + str(o["description"])),
					Mitigation: str(o["mitigation"]), Status: threatmodel.StatusOpen}
				if cwe > 0 {
					d.CWE = []int{cwe}
				}
				m.Threats = append(m.Threats, d)
			}
		}
	}
	// Decisions about the same id: keep the first.
	seen := map[string]bool{}
	m.Threats = slices.DeleteFunc(m.Threats, func(d threatmodel.ThreatDecision) bool {
		if seen[d.ID] {
			return true
		}
		seen[d.ID] = true
		return false
	})
	if err := threatmodel.Validate(m); err != nil {
		return nil, warns, fmt.Errorf("%s: imported model is invalid: %w", name, err)
	}
	return m, warns, nil
}

func fixReason(d *threatmodel.ThreatDecision) {
	if (d.Status == threatmodel.StatusAccepted || d.Status == threatmodel.StatusNotApplicable) && d.Reason == "" {
		d.Reason = "marked " + d.Status + " in Threagile risk tracking"
	}
}

func ticket(o obj) string {
	if t := str(o["ticket"]); t != "" {
		return " (ticket " + t + ")"
	}
	return ""
}

func sanitizeRisk(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "@", "/"), "*", "any")
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

func orStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func containsAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func technology(o obj) string {
	if t := str(o["technology"]); t != "" {
		return strings.ToLower(t)
	}
	var names []string
	for _, t := range strs(o["technologies"]) {
		names = append(names, strings.ToLower(t))
	}
	if l, ok := o["technologies"].([]any); ok {
		for _, x := range l {
			if to, ok := x.(obj); ok {
				names = append(names, strings.ToLower(str(to["Name"])))
			}
		}
	}
	return strings.Join(names, ",")
}

func confidentiality(s string) string {
	switch s {
	case "public":
		return "low"
	case "internal":
		return "low"
	case "restricted":
		return "medium"
	case "confidential":
		return "high"
	case "strictly-confidential":
		return "critical"
	}
	return ""
}

func criticality(s string) string {
	switch s {
	case "archive", "operational":
		return "low"
	case "important":
		return "medium"
	case "critical":
		return "high"
	case "mission-critical":
		return "critical"
	}
	return ""
}

func encryptedProtocol(p string) bool {
	if strings.Contains(p, "encrypted") && !strings.Contains(p, "unencrypted") {
		return true
	}
	switch p {
	case "https", "wss", "ssh", "sftp", "ftps", "ldaps", "mqtts", "coaps", "smtps", "imaps", "pop3s", "jdbc-ssl", "tls":
		return true
	}
	return false
}

func authn(s string) string {
	switch s {
	case "none", "":
		return "none"
	case "credentials":
		return "password"
	case "session-id":
		return "session"
	case "token", "externalized":
		return "token"
	case "client-certificate":
		return "certificate"
	case "two-factor":
		return "mfa"
	}
	return "token"
}

func authz(s string) string {
	switch s {
	case "technical-user":
		return "technical_user"
	case "end-user-identity-propagation":
		return "end_user"
	}
	return "none"
}

func boundaryType(s string) string {
	switch {
	case strings.Contains(s, "cloud"):
		return "cloud"
	case s == "execution-environment":
		return "execution_environment"
	case strings.HasPrefix(s, "network"):
		return "network"
	case s == "":
		return ""
	}
	return "other"
}

func trackingStatus(s string) string {
	switch s {
	case "accepted":
		return threatmodel.StatusAccepted
	case "mitigated":
		return threatmodel.StatusMitigated
	case "false-positive":
		return threatmodel.StatusNotApplicable
	}
	return threatmodel.StatusOpen
}

// riskCategory is what a tracked risk keeps of its Threagile category.
type riskCategory struct {
	title, stride, severity string
	cwe                     int
}

// builtinRisks are Threagile's built-in risk categories most often
// tracked, with the STRIDE category and CWE of the weakness each one
// names (their severity Threagile computes per model, so it is not kept).
var builtinRisks = map[string]riskCategory{
	"unencrypted-communication":            {title: "Unencrypted Communication", stride: "information_disclosure", cwe: 319},
	"unencrypted-asset":                    {title: "Unencrypted Technical Asset", stride: "information_disclosure", cwe: 311},
	"missing-authentication":               {title: "Missing Authentication", stride: "elevation_of_privilege", cwe: 306},
	"missing-authentication-second-factor": {title: "Missing Two-Factor Authentication", stride: "elevation_of_privilege", cwe: 308},
	"sql-nosql-injection":                  {title: "SQL/NoSQL-Injection", stride: "tampering", cwe: 89},
	"cross-site-scripting":                 {title: "Cross-Site Scripting (XSS)", stride: "tampering", cwe: 79},
	"cross-site-request-forgery":           {title: "Cross-Site Request Forgery (CSRF)", stride: "spoofing", cwe: 352},
	"server-side-request-forgery":          {title: "Server-Side Request Forgery (SSRF)", stride: "information_disclosure", cwe: 918},
	"path-traversal":                       {title: "Path-Traversal", stride: "information_disclosure", cwe: 22},
	"xml-external-entity":                  {title: "XML External Entity (XXE)", stride: "information_disclosure", cwe: 611},
	"ldap-injection":                       {title: "LDAP-Injection", stride: "tampering", cwe: 90},
	"untrusted-deserialization":            {title: "Untrusted Deserialization", stride: "tampering", cwe: 502},
	"code-backdooring":                     {title: "Code Backdooring", stride: "tampering", cwe: 912},
	"missing-vault":                        {title: "Missing Vault (Secret Storage)", stride: "information_disclosure", cwe: 522},
	"missing-hardening":                    {title: "Missing Hardening", stride: "tampering", cwe: 16},
	"container-baseimage-backdooring":      {title: "Container Base Image Backdooring", stride: "tampering", cwe: 912},
}
