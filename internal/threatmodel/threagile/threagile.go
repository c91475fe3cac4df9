// Package threagile imports Threagile YAML models (the input format, and the
// parsed-model JSON/YAML Threagile writes) into Rampart threat models:
// technical assets, communication links, data assets with CIA ratings,
// nested trust boundaries, tracked risks and individual risks with their
// status. Included files (`includes:`) are read through a caller-supplied
// function so that the package never touches the file system itself.
package threagile

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rampart-security/rampart/internal/yamlsafe"

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
	var merged []string
	top, err := load(data, name, opts, 0, &merged)
	if err != nil {
		return nil, nil, err
	}
	c := &converter{top: top, parsed: isParsedModel(top), Conversion: threatmodel.NewConversion(name),
		assetIDs: map[string]string{}, elemIDs: map[string]string{}, internet: map[string]bool{},
		boundaryIDs: map[string]string{}, categories: map[string]riskCategory{}, linkIDs: map[string]string{}, identified: map[string]int{}}
	c.Warnings = merged
	return c.convert()
}

// load reads a model and merges the files it includes into it; what an
// include says differently from the including file is a warning in
// merged.
func load(data []byte, name string, opts Options, depth int, merged *[]string) (obj, error) {
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
	if err := yamlsafe.Check(&n); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrMalformed, err)
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
		sub, err := load(b, file, opts, depth+1, merged)
		if err != nil {
			return nil, err
		}
		for _, k := range slices.Sorted(maps.Keys(sub)) {
			if k != "includes" {
				top[k] = merge(top[k], sub[k], k, file, merged)
			}
		}
	}
	return top, nil
}

// merge merges what the included file says at path (add) into what the
// including file says (cur), as Threagile merges includes: mappings key by
// key (so an included file can add links or tags to an asset the model
// defines), lists by appending what they do not hold yet; of two different
// values the including file's is kept, with a warning.
func merge(cur, add any, path, file string, merged *[]string) any {
	switch c := cur.(type) {
	case nil:
		return add
	case obj:
		if a, ok := add.(obj); ok {
			for _, k := range slices.Sorted(maps.Keys(a)) {
				c[k] = merge(c[k], a[k], path+"."+k, file, merged)
			}
			return c
		}
	case []any:
		if a, ok := add.([]any); ok {
			held := map[string]bool{} // the scalars the list holds (tags, ids)
			for _, y := range c {
				if sc, ok := scalar(y); ok {
					held[sc] = true
				}
			}
			for _, x := range a {
				if sc, ok := scalar(x); !ok || !held[sc] {
					c = append(c, x)
					held[sc] = ok
				}
			}
			return c
		}
	}
	ca, aok := scalar(add)
	cc, cok := scalar(cur)
	switch {
	case add == nil || aok && cok && ca == cc:
	case aok && cok:
		*merged = append(*merged, fmt.Sprintf("include %q sets %s to %q, which the including model sets to %q; kept %q", file, path, fmt.Sprint(add), fmt.Sprint(cur), fmt.Sprint(cur)))
	default:
		*merged = append(*merged, fmt.Sprintf("include %q gives %s a value of another kind than the including model does; kept the including model's", file, path))
	}
	return cur
}

// scalar returns a YAML scalar's text (with its type, so that 1 and "1"
// differ); false for mappings and lists.
func scalar(v any) (string, bool) {
	switch v.(type) {
	case obj, []any:
		return "", false
	}
	return fmt.Sprintf("%T:%v", v, v), true
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
	var objs []obj
	var ks []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
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

// converter turns one loaded Threagile document (includes merged) into a
// model. convert runs the sections in the order their references need: the
// model's title and overview; data assets, which technical assets and links
// refer to; technical assets (all ids first, then the elements, collecting
// their communication links); the links, which need every asset's id; trust
// boundaries, which place assets and nest; the risk categories the model
// defines; and last the tracked risks and the individual risks, which become
// threat decisions. Ids are allocated in that order, so the same input gives
// the same ids.
type converter struct {
	threatmodel.Conversion
	top    obj  // the source document
	parsed bool // top is a parsed model (isParsedModel)

	assetIDs    map[string]string       // data asset id -> asset id
	elemIDs     map[string]string       // technical asset id -> element id
	internet    map[string]bool         // element id -> internet facing
	links       []link                  // communication links, converted after all assets
	boundaryIDs map[string]string       // trust boundary id -> boundary id
	categories  map[string]riskCategory // risk categories the model defines, by id
	linkIDs     map[string]string       // communication link id ("asset>title") -> flow id
	identified  map[string]int          // synthetic risk id of an identified risk -> index in Model.Threats
}

// link is a communication link of the technical asset from (its id), with
// its title or key.
type link struct {
	key  string
	from string
	o    obj
}

// parsedModelKeys are top-level sections only the parsed model Threagile
// writes has (the input format has none of them).
var parsedModelKeys = []string{"generated_risks_by_category", "built_in_risk_categories", "communication_links",
	"incoming_technical_communication_links_mapped_by_target_id", "direct_containing_trust_boundary_mapped_by_technical_asset_id"}

// isParsedModel reports whether top is a parsed model, which Threagile
// writes from its Go types: enumerations are numbers there, written
// "omitempty", so an enumeration's first value is left out.
func isParsedModel(top obj) bool {
	return slices.ContainsFunc(parsedModelKeys, func(k string) bool { _, ok := top[k]; return ok })
}

// field returns the enumeration key of o. In a parsed model a missing one
// has the enumeration's first value, first (external-entity, public,
// archive, network-on-prem, spoofing, low); the input format states every
// value it means.
func (c *converter) field(o obj, key, first string) string {
	if v := str(o[key]); v != "" || !c.parsed {
		return v
	}
	if _, ok := o[key]; ok {
		return "" // stated empty
	}
	return first
}

// section returns the entries of the top-level section key (see entries).
func (c *converter) section(key string) ([]string, []obj, error) {
	return entries(c.top[key], key, c.Name)
}

// entryID is the id of the section entry o keyed key: its id, else its key.
func entryID(key string, o obj) string { return cmp.Or(str(o["id"]), key) }

// convert runs the sections in the order the converter's doc gives and
// validates the result.
func (c *converter) convert() (*threatmodel.Model, []string, error) {
	c.overview()
	if _, ok := c.top["technical_assets"]; !ok {
		return nil, nil, fmt.Errorf("%s: %w: no technical_assets (a fragment of a model, not a model)", c.Name, ErrMalformed)
	}
	for _, step := range []func() error{c.dataAssets, c.technicalAssets, c.communicationLinks, c.trustBoundaries, c.riskCategories} {
		if err := step(); err != nil {
			return nil, nil, err
		}
	}
	if err := c.individualRisks(); err != nil {
		return nil, nil, err
	}
	c.trackedRisks()
	c.dropRepeatedDecisions()
	c.unmapped()
	return c.Finish()
}

// overview converts the title, author and the first description given.
func (c *converter) overview() {
	c.Model = threatmodel.NewImportedModel(cmp.Or(str(c.top["title"]), "Threagile model"))
	if a, ok := c.top["author"].(obj); ok {
		c.Model.Owner = str(a["name"])
	}
	for _, k := range []string{"application_description", "business_overview", "technical_overview"} {
		if d, ok := c.top[k].(obj); ok && str(d["description"]) != "" {
			c.Model.Description = str(d["description"])
			break
		}
	}
}

// dataAssets converts the data assets with their CIA ratings; whether one
// is a secret or personal data is read from its id and title.
func (c *converter) dataAssets() error {
	keys, objs, err := c.section("data_assets")
	if err != nil {
		return err
	}
	for i, o := range objs {
		raw := entryID(keys[i], o)
		id := c.IDs.Make(raw, keys[i])
		c.assetIDs[raw] = id
		title := cmp.Or(str(o["title"]), keys[i])
		lt := strings.ToLower(raw + " " + title)
		a := threatmodel.Asset{ID: id, Name: title, Description: str(o["description"]),
			Confidentiality: confidentiality(c.field(o, "confidentiality", "public")), Integrity: criticality(c.field(o, "integrity", "archive")), Availability: criticality(c.field(o, "availability", "archive")),
			Secret:   containsAny(lt, "credential", "password", "secret", "token", "private key", "api key", "-key", "certificate"),
			Personal: containsAny(lt, "customer", "personal", "user account", "patient", "employee", "pii")}
		c.Model.Assets = append(c.Model.Assets, a)
	}
	return nil
}

// assetRefs maps the data asset ids an asset or link (where) lists, without
// repeats; an unknown one is dropped with a warning.
func (c *converter) assetRefs(list []string, where string) []string {
	var out []string
	for _, a := range list {
		if id, ok := c.assetIDs[a]; ok {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		} else {
			c.Warnf("%s refers to unknown data asset %q; dropped", where, a)
		}
	}
	return out
}

// technicalAssets gives every technical asset its id (links may point
// forward), then converts each into an element and collects its links.
func (c *converter) technicalAssets() error {
	keys, objs, err := c.section("technical_assets")
	if err != nil {
		return err
	}
	if len(objs) == 0 {
		return fmt.Errorf("%s: %w: technical_assets is empty", c.Name, ErrMalformed)
	}
	for i, o := range objs {
		raw := str(o["id"])
		if raw == "" {
			return fmt.Errorf("%s: %w: technical asset %q has no id", c.Name, ErrMalformed, keys[i])
		}
		c.elemIDs[raw] = c.IDs.Make(raw, keys[i])
	}
	for i, o := range objs {
		e, err := c.element(keys[i], o)
		if err != nil {
			return err
		}
		c.Model.Elements = append(c.Model.Elements, e)
		if err := c.collectLinks(str(o["id"]), o["communication_links"]); err != nil {
			return err
		}
	}
	return nil
}

// element converts the technical asset o (keyed key): its type, and a kind
// read from its technology.
func (c *converter) element(key string, o obj) (threatmodel.Element, error) {
	raw := str(o["id"])
	tech := technology(o)
	e := threatmodel.Element{ID: c.elemIDs[raw], Name: cmp.Or(str(o["title"]), key), Description: str(o["description"]), Technology: tech,
		OutOfScope: boolean(o["out_of_scope"]), OutOfScopeReason: str(o["justification_out_of_scope"]),
		InternetFacing: boolean(o["internet"]), Tags: strs(o["tags"]),
		EncryptedAtRest: str(o["encryption"]) != "" && str(o["encryption"]) != "none",
		MultiTenant:     boolean(o["multi_tenant"]), Redundant: boolean(o["redundant"])}
	c.internet[e.ID] = e.InternetFacing
	switch c.field(o, "type", "external-entity") {
	case "external-entity":
		e.Type = threatmodel.TypeExternalEntity
		if boolean(o["used_as_client_by_human"]) {
			e.Kind = "user" // a human client keeps kind user
		}
	case "datastore":
		e.Type = threatmodel.TypeDataStore
	case "process", "":
		e.Type = threatmodel.TypeProcess
	default:
		return e, fmt.Errorf("%s: %w: technical asset %q has unknown type %q", c.Name, ErrMalformed, raw, str(o["type"]))
	}
	if containsAny(tech, "iot", "sensor", "embedded", "plc", "scada", "hardware") {
		e.Type = threatmodel.TypeDevice
		e.Device = &threatmodel.Device{}
	}
	if e.Kind == "" {
		e.Kind = technologyKind(e.Type, tech)
	}
	e.Processes = c.assetRefs(strs(o["data_assets_processed"]), "technical asset "+raw)
	e.Stores = c.assetRefs(strs(o["data_assets_stored"]), "technical asset "+raw)
	return e, nil
}

// technologyKind is the element kind a technology names, or "".
func technologyKind(typ, tech string) string {
	switch {
	case containsAny(tech, "mobile"):
		return "mobile_app"
	case containsAny(tech, "browser"):
		return "browser"
	case containsAny(tech, "web-server", "web-application", "application-server"):
		return "web_app"
	case typ == threatmodel.TypeDataStore && containsAny(tech, "log"):
		return "log"
	}
	return ""
}

// collectLinks keeps the communication links v of the technical asset from
// for communicationLinks: a mapping by title (input format, in key order)
// or a list (parsed model).
func (c *converter) collectLinks(from string, v any) error {
	switch cl := v.(type) {
	case obj:
		for _, k := range slices.Sorted(maps.Keys(cl)) {
			lo, ok := cl[k].(obj)
			if !ok {
				return fmt.Errorf("%s: %w: communication link %q of %q must be a mapping", c.Name, ErrMalformed, k, from)
			}
			c.links = append(c.links, link{k, from, lo})
		}
	case []any:
		for _, x := range cl {
			lo, ok := x.(obj)
			if !ok {
				return fmt.Errorf("%s: %w: communication links of %q must be mappings", c.Name, ErrMalformed, from)
			}
			c.links = append(c.links, link{str(lo["title"]), from, lo})
		}
	case nil:
	default:
		return fmt.Errorf("%s: %w: communication_links of %q must be a mapping", c.Name, ErrMalformed, from)
	}
	return nil
}

// communicationLinks converts the collected links into flows.
func (c *converter) communicationLinks() error {
	for _, l := range c.links {
		f, err := c.flow(l)
		if err != nil {
			return err
		}
		c.Model.Flows = append(c.Model.Flows, f)
	}
	return nil
}

// flow converts one communication link; its target must be a technical
// asset.
func (c *converter) flow(l link) (threatmodel.Flow, error) {
	target := cmp.Or(str(l.o["target"]), str(l.o["target_id"]))
	to, ok := c.elemIDs[target]
	if !ok {
		return threatmodel.Flow{}, fmt.Errorf("%s: %w: communication link %q of %q targets unknown technical asset %q", c.Name, ErrMalformed, l.key, l.from, target)
	}
	from := c.elemIDs[l.from]
	proto := strings.ToLower(str(l.o["protocol"]))
	f := threatmodel.Flow{ID: c.IDs.Make(l.from+">"+threatmodel.SanitizeID(strings.ToLower(l.key)), "link"), Name: l.key, From: from, To: to,
		Protocol: proto, Encrypted: encryptedProtocol(proto) || boolean(l.o["vpn"]), Description: str(l.o["description"]),
		Authentication: authn(str(l.o["authentication"])), Authorization: authz(str(l.o["authorization"]))}
	switch {
	case boolean(l.o["vpn"]):
		f.Network = "vpn"
	case c.internet[from] || c.internet[to]:
		f.Network = "internet"
	case proto == "in-process-library-call" || proto == "local-file-access" || strings.HasPrefix(proto, "in-"):
		f.Network = "local"
	default:
		f.Network = "lan"
	}
	f.Data = c.assetRefs(append(strs(l.o["data_assets_sent"]), strs(l.o["data_assets_received"])...), "communication link "+l.key)
	c.linkIDs[cmp.Or(str(l.o["id"]), linkID(l.from, l.key))] = f.ID
	return f, nil
}

// linkID is the id Threagile gives the link titled title of the technical
// asset from (the id risk ids name it by): from, ">", and the title in
// lower case with each run of other characters than letters and digits
// replaced by "-".
func linkID(from, title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return from + ">" + strings.Trim(b.String(), "- ")
}

// trustBoundaries converts the trust boundaries (all ids first: nesting may
// point forward), nests them and places the technical assets they hold.
func (c *converter) trustBoundaries() error {
	keys, objs, err := c.section("trust_boundaries")
	if err != nil {
		return err
	}
	for i, o := range objs {
		raw := entryID(keys[i], o)
		c.boundaryIDs[raw] = c.IDs.Make(raw, keys[i])
	}
	parentOf := map[string]string{}     // boundary id -> parent boundary id
	boundaryOf := map[string][]string{} // element id -> the boundaries listing it
	for i, o := range objs {
		raw := entryID(keys[i], o)
		id := c.boundaryIDs[raw]
		nested, inside := c.boundaryMembers(raw, o)
		for _, n := range nested {
			parentOf[n] = id
		}
		for _, e := range inside {
			boundaryOf[e] = append(boundaryOf[e], id)
		}
		c.Model.Boundaries = append(c.Model.Boundaries, threatmodel.Boundary{ID: id, Name: cmp.Or(str(o["title"]), keys[i]), Description: str(o["description"]), Type: boundaryType(c.field(o, "type", "network-on-prem"))})
	}
	for i := range c.Model.Boundaries {
		c.Model.Boundaries[i].Parent = parentOf[c.Model.Boundaries[i].ID]
	}
	for i := range c.Model.Elements {
		c.Model.Elements[i].Boundary = c.innermost(c.Model.Elements[i].ID, boundaryOf[c.Model.Elements[i].ID], parentOf)
	}
	return nil
}

// innermost returns the boundary an element listed by the boundaries in
// (boundary ids) is placed in: the one nested in all the others. An element
// that boundaries not nested in one another all list (Threagile refuses
// that) is placed in the first, with a warning.
func (c *converter) innermost(elem string, in []string, parentOf map[string]string) string {
	switch len(in) {
	case 0:
		return ""
	case 1:
		return in[0]
	}
	within := func(b, outer string) bool { // b is outer or nested in it
		for depth := 0; b != "" && depth <= len(parentOf); depth++ {
			if b == outer {
				return true
			}
			b = parentOf[b]
		}
		return false
	}
	for _, b := range in {
		if !slices.ContainsFunc(in, func(o string) bool { return !within(b, o) }) {
			return b
		}
	}
	c.Warnf("technical asset %q is inside trust boundaries %s, which are not nested in one another; placed in %q", elem, strings.Join(in, ", "), in[0])
	return in[0]
}

// boundaryMembers returns the ids of the boundaries the trust boundary raw
// nests and of the elements it holds; unknown ones are warnings.
func (c *converter) boundaryMembers(raw string, o obj) (nested, inside []string) {
	for _, n := range strs(o["trust_boundaries_nested"]) {
		if id, ok := c.boundaryIDs[n]; ok {
			nested = append(nested, id)
		} else {
			c.Warnf("trust boundary %q nests unknown boundary %q", raw, n)
		}
	}
	for _, a := range strs(o["technical_assets_inside"]) {
		if e, ok := c.elemIDs[a]; ok {
			inside = append(inside, e)
		} else {
			c.Warnf("trust boundary %q contains unknown technical asset %q", raw, a)
		}
	}
	return nested, inside
}

// riskSections are the sections where a model defines risk categories and
// the risks it identified in them.
var riskSections = []string{"individual_risk_categories", "custom_risk_categories"}

// riskCategories reads the categories the model defines itself (and, in a
// parsed model, the built-in ones it lists), so that a risk of one keeps
// its title, STRIDE category, CWE, description, mitigation and severity.
func (c *converter) riskCategories() error {
	for _, sec := range append(riskSections, "built_in_risk_categories") {
		keys, objs, err := c.section(sec)
		if err != nil {
			return err
		}
		for i, o := range objs {
			cat := entryID(keys[i], o)
			if _, defined := c.categories[cat]; defined {
				continue
			}
			rc := riskCategory{title: cmp.Or(str(o["title"]), keys[i]), stride: threatmodel.NormalizeSTRIDE(c.field(o, "stride", "spoofing")),
				description: stripTags(str(o["description"])), mitigation: stripTags(str(o["mitigation"]))}
			fmt.Sscanf(str(o["cwe"]), "%d", &rc.cwe)
			if _, robjs, err := entries(o["risks_identified"], sec+"."+cat+".risks_identified", c.Name); err == nil && len(robjs) > 0 {
				rc.severity = threatmodel.NormalizeSeverity(c.field(robjs[0], "severity", "low"))
			}
			c.categories[cat] = rc
		}
	}
	return nil
}

// trackedRisks converts risk_tracking, in key order, into threat decisions
// with their status. As in Threagile, an entry whose key is the id of a
// risk the model identified (wildcards "*" standing for one @-delimited
// part) sets that risk's status; one naming the risk itself wins over a
// wildcard. The other entries (built-in risks, which Threagile computes)
// become decisions of their own.
func (c *converter) trackedRisks() {
	rt, ok := c.top["risk_tracking"].(obj)
	if !ok {
		return
	}
	keys := slices.Sorted(maps.Keys(rt))
	direct := map[int]bool{}
	for _, wild := range []bool{false, true} {
		for _, k := range keys {
			if strings.Contains(k, "*") != wild {
				continue
			}
			o, _ := rt[k].(obj)
			if st := str(o["status"]); !slices.Contains(trackingStatuses, st) {
				c.Warnf("risk_tracking %q: status %q is not one of Threagile's (%s); imported as open", k, st, strings.Join(trackingStatuses[1:], ", "))
			}
			if matched := c.trackIdentified(k, o, direct); !matched {
				c.Model.Threats = append(c.Model.Threats, c.trackedRisk(k, o))
			}
		}
	}
}

// trackIdentified applies the tracking o of the key k to the identified
// risks it names and reports whether there were any. direct holds the
// risks a key without wildcards tracked, which a wildcard does not change.
func (c *converter) trackIdentified(k string, o obj, direct map[int]bool) bool {
	pattern := strings.Split(strings.TrimSpace(k), "@")
	matched := false
	for synth, i := range c.identified {
		if !riskIDMatches(pattern, strings.Split(synth, "@")) {
			continue
		}
		matched = true
		if direct[i] {
			continue
		}
		direct[i] = !strings.Contains(k, "*")
		d := &c.Model.Threats[i]
		d.Status, d.Reason, d.Owner = trackingStatus(str(o["status"])), str(o["justification"]), str(o["checked_by"])
		d.Description += ticket(o)
		fixReason(d)
	}
	return matched
}

// riskIDMatches reports whether the parts of a risk_tracking key match the
// parts of a synthetic risk id: the same number of parts, each the same or
// "*".
func riskIDMatches(pattern, id []string) bool {
	if len(pattern) != len(id) {
		return false
	}
	for i, p := range pattern {
		if p != "*" && p != id[i] {
			return false
		}
	}
	return true
}

// trackedRisk converts the tracking o of the risk k
// ("category@asset@…"): on the first asset named that is an element, with
// what the category (the model's own, else a built-in one) says.
func (c *converter) trackedRisk(k string, o obj) threatmodel.ThreatDecision {
	parts := strings.Split(k, "@")
	target := ""
	for _, p := range parts[1:] {
		if id, ok := c.elemIDs[p]; ok {
			target = id
			break
		}
	}
	rc, ok := c.categories[parts[0]]
	if !ok {
		rc = builtinRisks[parts[0]]
	}
	d := threatmodel.ThreatDecision{ID: "threagile:" + sanitizeRisk(k), Title: cmp.Or(rc.title, "Threagile risk "+parts[0]), Target: target,
		STRIDE: cmp.Or(rc.stride, "tampering"), Severity: cmp.Or(rc.severity, "medium"), Status: trackingStatus(str(o["status"])), Reason: str(o["justification"]), Owner: str(o["checked_by"]),
		Description: "Tracked in Threagile as " + k + " (category " + parts[0] + ")" + ticket(o)}
	if rc.cwe > 0 {
		d.CWE = []int{rc.cwe}
	}
	if d.Target == "" {
		d.Description += " (applies to several assets)"
	}
	fixReason(&d)
	return d
}

// individualRisks converts the risks identified in the model's own
// categories (input format), then the risks a parsed model lists under
// generated_risks_by_category, into open threat decisions.
func (c *converter) individualRisks() error {
	for _, sec := range riskSections {
		keys, objs, err := c.section(sec)
		if err != nil {
			return err
		}
		for i, o := range objs {
			cat := entryID(keys[i], o)
			rkeys, robjs, err := entries(o["risks_identified"], sec+"."+cat+".risks_identified", c.Name)
			if err != nil {
				return err
			}
			for j, r := range robjs {
				c.identifiedRisk(cat, rkeys[j], r)
			}
		}
	}
	return c.generatedRisks()
}

// generatedRisks converts the risks of a parsed model (what `threagile
// analyze` found and the individual ones), listed per category id.
func (c *converter) generatedRisks() error {
	g, ok := c.top["generated_risks_by_category"].(obj)
	if !ok {
		if c.top["generated_risks_by_category"] != nil {
			return fmt.Errorf("%s: %w: generated_risks_by_category must be a mapping of category ids to lists of risks", c.Name, ErrMalformed)
		}
		return nil
	}
	for _, cat := range slices.Sorted(maps.Keys(g)) {
		list, ok := g[cat].([]any)
		if !ok && g[cat] != nil {
			return fmt.Errorf("%s: %w: generated_risks_by_category.%s must be a list of risks", c.Name, ErrMalformed, cat)
		}
		for i, x := range list {
			r, ok := x.(obj)
			if !ok {
				return fmt.Errorf("%s: %w: generated_risks_by_category.%s[%d] must be a mapping", c.Name, ErrMalformed, cat, i)
			}
			c.identifiedRisk(cat, cmp.Or(str(r["title"]), fmt.Sprintf("%s-%d", cat, i+1)), r)
		}
	}
	return nil
}

// identifiedRisk converts the risk r (keyed or titled key) of the category
// cat into an open threat decision on its most relevant technical asset
// (else its link, else its trust boundary), with Threagile's synthetic risk
// id (as a parsed model states it, else made as Threagile makes it).
func (c *converter) identifiedRisk(cat, key string, r obj) {
	rc, ok := c.categories[cat]
	if !ok {
		rc = builtinRisks[cat]
	}
	synth, target := c.riskSubject(cat, key, r)
	synth = cmp.Or(str(r["synthetic_id"]), synth)
	d := threatmodel.ThreatDecision{ID: "threagile:" + synth,
		Title: cmp.Or(rc.title, "Threagile risk "+cat), Target: target, STRIDE: cmp.Or(rc.stride, "tampering"),
		Severity: threatmodel.NormalizeSeverity(c.field(r, "severity", "low")), Description: strings.TrimSpace(stripTags(key) + ". " + rc.description + c.riskRating(r)),
		Mitigation: rc.mitigation, Status: threatmodel.StatusOpen}
	if st := str(r["risk_status"]); st != "" { // a parsed model states the status risk_tracking gave
		d.Status = trackingStatus(st)
		fixReason(&d)
	}
	if rc.cwe > 0 {
		d.CWE = []int{rc.cwe}
	}
	if _, dup := c.identified[synth]; !dup {
		c.identified[synth] = len(c.Model.Threats)
	}
	c.Model.Threats = append(c.Model.Threats, d)
}

// riskRating says what an identified risk rates besides its severity,
// which a decision has no fields for: the exploitation likelihood and
// impact, the data breach probability and the technical assets a breach
// would reach (a parsed model leaves out unlikely, low and improbable; see
// field).
func (c *converter) riskRating(r obj) string {
	var parts []string
	for _, f := range []struct{ key, label, first string }{{"exploitation_likelihood", "exploitation likelihood", "unlikely"},
		{"exploitation_impact", "exploitation impact", "low"}, {"data_breach_probability", "data breach probability", "improbable"}} {
		if v := c.field(r, f.key, f.first); v != "" {
			parts = append(parts, f.label+" "+v)
		}
	}
	if ta := strs(r["data_breach_technical_assets"]); len(ta) > 0 {
		parts = append(parts, "data breach technical assets "+strings.Join(ta, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return "\nThreagile rating: " + strings.Join(parts, "; ") + "."
}

// riskSubject returns the synthetic id Threagile gives the risk r (keyed
// key) of the category cat: the category and the most relevant technical
// asset, communication link, trust boundary, shared runtime and data asset
// it names, joined by "@" (a risk naming none is told apart by its key);
// and its target: the element, else the flow, else the boundary.
func (c *converter) riskSubject(cat, key string, r obj) (synth, target string) {
	parts := []string{threatmodel.SanitizeID(cat)}
	for _, f := range []struct {
		field string
		ids   map[string]string
	}{{"most_relevant_technical_asset", c.elemIDs}, {"most_relevant_communication_link", c.linkIDs},
		{"most_relevant_trust_boundary", c.boundaryIDs}, {"most_relevant_shared_runtime", nil}, {"most_relevant_data_asset", c.assetIDs}} {
		ref := str(r[f.field])
		if ref == "" {
			continue
		}
		parts = append(parts, ref)
		if f.ids == nil || f.field == "most_relevant_data_asset" {
			continue
		}
		if id, ok := f.ids[ref]; ok {
			target = cmp.Or(target, id)
		} else {
			c.Warnf("risk %q of category %q: %s %q is not in the model; kept without it as target", stripTags(key), cat, f.field, ref)
		}
	}
	if len(parts) == 1 {
		parts = append(parts, threatmodel.SanitizeID(key))
	}
	return strings.Join(parts, "@"), target
}

// dropRepeatedDecisions keeps the first of the decisions about one id (a
// tracked risk before the identified one).
func (c *converter) dropRepeatedDecisions() {
	seen := map[string]bool{}
	c.Model.Threats = slices.DeleteFunc(c.Model.Threats, func(d threatmodel.ThreatDecision) bool {
		if seen[d.ID] {
			return true
		}
		seen[d.ID] = true
		return false
	})
}

// unmappedSections are the sections of a Threagile model a Rampart model
// has no place for.
var unmappedSections = []string{"security_requirements", "abuse_cases", "questions"}

// unmapped warns about what the model holds that the import leaves out:
// shared runtimes (Rampart places an element in one trust boundary only)
// and the security requirements, abuse cases and questions.
func (c *converter) unmapped() {
	keys, objs, _ := c.section("shared_runtimes")
	for i, o := range objs {
		c.Warnf("shared runtime %q (running %s) is not imported: Rampart has no shared runtimes", entryID(keys[i], o), strings.Join(strs(o["technical_assets_running"]), ", "))
	}
	for _, sec := range unmappedSections {
		if m, ok := c.top[sec].(obj); ok && len(m) > 0 {
			c.Warnf("%s (%d entries) not imported: Rampart models have no such section", sec, len(m))
		}
	}
	// Tags: Rampart keeps them on elements only.
	var tagged []string
	for _, sec := range []string{"data_assets", "trust_boundaries"} {
		keys, objs, _ := c.section(sec)
		for i, o := range objs {
			if len(strs(o["tags"])) > 0 {
				tagged = append(tagged, sec+" "+entryID(keys[i], o))
			}
		}
	}
	for _, l := range c.links {
		if len(strs(l.o["tags"])) > 0 {
			tagged = append(tagged, "communication link "+l.from+">"+l.key)
		}
	}
	if len(tagged) > 0 {
		c.Warnf("tags of %d data assets, trust boundaries and communication links not imported (Rampart keeps tags on elements only): %s", len(tagged), strings.Join(tagged, ", "))
	}
}

func fixReason(d *threatmodel.ThreatDecision) {
	if threatmodel.NeedsReason(d.Status) && d.Reason == "" {
		d.Reason = "marked " + d.Status + " in Threagile risk tracking"
	}
}

// ticket says what a risk_tracking entry records besides its status,
// justification and checker: its ticket, an open status that says more
// than open (in-discussion, in-progress) and the date it was checked.
func ticket(o obj) string {
	var b strings.Builder
	if t := str(o["ticket"]); t != "" {
		b.WriteString(" (ticket " + t + ")")
	}
	if st := str(o["status"]); st == "in-discussion" || st == "in-progress" {
		b.WriteString(" (" + st + " in Threagile)")
	}
	date := str(o["date"])
	if t, ok := o["date"].(time.Time); ok { // YAML reads an unquoted date as a timestamp
		date = t.Format(time.DateOnly)
	}
	if date != "" {
		b.WriteString(" (checked " + date + ")")
	}
	return b.String()
}

// trackingStatuses are the statuses Threagile's risk_tracking takes.
var trackingStatuses = []string{"", "unchecked", "in-discussion", "accepted", "in-progress", "mitigated", "false-positive"}

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
				// A parsed model's technology objects: Name in JSON, name in YAML.
				names = append(names, strings.ToLower(cmp.Or(str(to["Name"]), str(to["name"]))))
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
	description, mitigation string
	cwe                     int
}

// builtinRisks are Threagile's built-in risk categories (the 42 rules of
// Threagile 1.0, as its parsed models list them in
// built_in_risk_categories), with their title, STRIDE category and CWE, for
// risk_tracking entries of input models, which name only the category id
// (their severity Threagile computes per model, so it is not kept).
var builtinRisks = map[string]riskCategory{
	"unencrypted-communication":              {title: "Unencrypted Communication", stride: "information_disclosure", cwe: 319},
	"unencrypted-asset":                      {title: "Unencrypted Technical Assets", stride: "information_disclosure", cwe: 311},
	"missing-authentication":                 {title: "Missing Authentication", stride: "elevation_of_privilege", cwe: 306},
	"missing-authentication-second-factor":   {title: "Missing Two-Factor Authentication (2FA)", stride: "elevation_of_privilege", cwe: 308},
	"sql-nosql-injection":                    {title: "SQL/NoSQL-Injection", stride: "tampering", cwe: 89},
	"cross-site-scripting":                   {title: "Cross-Site Scripting (XSS)", stride: "tampering", cwe: 79},
	"cross-site-request-forgery":             {title: "Cross-Site Request Forgery (CSRF)", stride: "spoofing", cwe: 352},
	"server-side-request-forgery":            {title: "Server-Side Request Forgery (SSRF)", stride: "information_disclosure", cwe: 918},
	"path-traversal":                         {title: "Path-Traversal", stride: "information_disclosure", cwe: 22},
	"xml-external-entity":                    {title: "XML External Entity (XXE)", stride: "information_disclosure", cwe: 611},
	"ldap-injection":                         {title: "LDAP-Injection", stride: "tampering", cwe: 90},
	"untrusted-deserialization":              {title: "Untrusted Deserialization", stride: "tampering", cwe: 502},
	"code-backdooring":                       {title: "Code Backdooring", stride: "tampering", cwe: 912},
	"missing-vault":                          {title: "Missing Vault (Secret Storage)", stride: "information_disclosure", cwe: 522},
	"missing-hardening":                      {title: "Missing Hardening", stride: "tampering", cwe: 16},
	"container-baseimage-backdooring":        {title: "Container Base Image Backdooring", stride: "tampering", cwe: 912},
	"accidental-secret-leak":                 {title: "Accidental Secret Leak", stride: "information_disclosure", cwe: 200},
	"container-platform-escape":              {title: "Container Platform Escape", stride: "elevation_of_privilege", cwe: 1008},
	"dos-risky-access-across-trust-boundary": {title: "DoS-risky Access Across Trust-Boundary", stride: "denial_of_service", cwe: 400},
	"incomplete-model":                       {title: "Incomplete Model", stride: "information_disclosure", cwe: 1008},
	"missing-build-infrastructure":           {title: "Missing Build Infrastructure", stride: "tampering", cwe: 1127},
	"missing-cloud-hardening":                {title: "Missing Cloud Hardening", stride: "tampering", cwe: 1008},
	"missing-file-validation":                {title: "Missing File Validation", stride: "spoofing", cwe: 434},
	"missing-identity-propagation":           {title: "Missing Identity Propagation", stride: "elevation_of_privilege", cwe: 284},
	"missing-identity-provider-isolation":    {title: "Missing Identity Provider Isolation", stride: "elevation_of_privilege", cwe: 1008},
	"missing-identity-store":                 {title: "Missing Identity Store", stride: "spoofing", cwe: 287},
	"missing-network-segmentation":           {title: "Missing Network Segmentation", stride: "elevation_of_privilege", cwe: 1008},
	"missing-vault-isolation":                {title: "Missing Vault Isolation", stride: "elevation_of_privilege", cwe: 1008},
	"missing-waf":                            {title: "Missing Web Application Firewall (WAF)", stride: "tampering", cwe: 1008},
	"mixed-targets-on-shared-runtime":        {title: "Mixed Targets on Shared Runtime", stride: "elevation_of_privilege", cwe: 1008},
	"push-instead-of-pull-deployment":        {title: "Push instead of Pull Deployment", stride: "tampering", cwe: 1127},
	"search-query-injection":                 {title: "Search-Query Injection", stride: "tampering", cwe: 74},
	"service-registry-poisoning":             {title: "Service Registry Poisoning", stride: "spoofing", cwe: 693},
	"unchecked-deployment":                   {title: "Unchecked Deployment", stride: "tampering", cwe: 1127},
	"unguarded-access-from-internet":         {title: "Unguarded Access From Internet", stride: "elevation_of_privilege", cwe: 501},
	"unguarded-direct-datastore-access":      {title: "Unguarded Direct Datastore Access", stride: "elevation_of_privilege", cwe: 501},
	"unnecessary-communication-link":         {title: "Unnecessary Communication Link", stride: "elevation_of_privilege", cwe: 1008},
	"unnecessary-data-asset":                 {title: "Unnecessary Data Asset", stride: "elevation_of_privilege", cwe: 1008},
	"unnecessary-data-transfer":              {title: "Unnecessary Data Transfer", stride: "elevation_of_privilege", cwe: 1008},
	"unnecessary-technical-asset":            {title: "Unnecessary Technical Asset", stride: "elevation_of_privilege", cwe: 1008},
	"wrong-communication-link-content":       {title: "Wrong Communication Link Content", stride: "information_disclosure", cwe: 1008},
	"wrong-trust-boundary-content":           {title: "Wrong Trust Boundary Content", stride: "elevation_of_privilege", cwe: 1008},
}
