package vuln

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"github.com/rampart-security/rampart/internal/inventory"
)

// Match is one vulnerable component, explained.
type Match struct {
	// Component points into the slice given to Match.
	Component *inventory.Component `json:"component"`
	Advisory  *Advisory            `json:"-"`
	// Via says how the component was identified: "purl", "cpe" (a CPE the
	// component carries) or "cpe-alias" (derived from its name, see AliasCPEs).
	Via string `json:"via"`
	// CPE is the component CPE (own or derived) that matched, for CPE matches.
	CPE    string `json:"cpe,omitempty"`
	Source Source `json:"source"`
	// Reason names the range or CPE configuration node that matched, and the
	// source it came from.
	Reason string `json:"reason"`
	// FixedVersions may share storage with the matcher's index: read only.
	FixedVersions []string      `json:"fixed_versions,omitempty"`
	Severity      Level         `json:"-"`
	CVSSScore     float64       `json:"cvss_score"`
	EPSS          float64       `json:"epss"`
	KEV           bool          `json:"kev"`
	Suppressed    *VEXStatement `json:"suppressed,omitempty"`
	// Duplicates lists the refs of components folded into this match by
	// kernel de-duplication (same kernel version, same vulnerability).
	Duplicates []string `json:"duplicates,omitempty"`
}

// MatcherOptions tune matching.
type MatcherOptions struct {
	// AssumePlatform treats every non-vulnerable ("running on/with") leaf of
	// an NVD configuration as satisfied. By default such a leaf holds only
	// when the release itself contains a matching CPE (see Matcher).
	AssumePlatform bool
	// IncludeWithdrawn keeps withdrawn advisories (default: skipped).
	IncludeWithdrawn bool
}

// Matcher matches components against a fixed set of advisories. Build it
// once with NewMatcher (it parses every range version and CPE up front) and
// call Match for each release; it is safe for concurrent use.
//
// Components with a purl that maps to an OSV ecosystem are matched by
// package and version range. Components without such a purl are matched by
// CPE: their own CPEs, or, when they have none, CPEs derived from the
// built-in alias table (busybox, openssl, dropbear, linux kernel, …).
//
// NVD "running on/with" configurations (AND of a vulnerable node and a
// non-vulnerable platform node) match only when the platform condition holds
// within the release: a non-vulnerable leaf is satisfied by any CPE carried
// by (or derived for) a component of the same release, and a hardware leaf
// h:V:P is also satisfied by a firmware CPE o:V:P_firmware in the release
// (NVD's convention: firmware named after the hardware it runs on). Set
// MatcherOptions.AssumePlatform to treat platform leaves as always true.
type Matcher struct {
	opts       MatcherOptions
	advisories []*Advisory
	pkgs       map[string][]pkgEntry
	cpes       map[string][]cpeEntry
	// platformKeys are the CPE keys configurations look up in a
	// release's platform set (see evaluator.inPlatform).
	platformKeys map[string]bool
}

type pkgEntry struct {
	adv       *Advisory
	affected  *Affected
	ecosystem string // base ecosystem
	release   string // ecosystem suffix, e.g. "9" of "AlmaLinux:9"
	ranges    []compiledRange
	versions  map[string]struct{}
	fixed     []string
}

type cpeEntry struct {
	adv *Advisory
	cfg *compiledConfig
}

type compiledConfig struct {
	src   *Configuration
	index int
	root  cnode
}

type cnode struct {
	and      bool
	negate   bool
	leaves   []cleaf
	children []cnode
}

type cleaf struct {
	m    *CPEMatch
	crit CPE
}

// NewMatcher indexes advisories. Advisories are referenced, not copied: do
// not modify them while the matcher is in use.
func NewMatcher(advisories []Advisory, opts MatcherOptions) *Matcher {
	m := &Matcher{opts: opts, pkgs: map[string][]pkgEntry{}, cpes: map[string][]cpeEntry{}, platformKeys: map[string]bool{}}
	for i := range advisories {
		a := &advisories[i]
		if !a.Withdrawn.IsZero() && !opts.IncludeWithdrawn {
			continue
		}
		m.advisories = append(m.advisories, a)
		for j := range a.Affected {
			af := &a.Affected[j]
			key := PackageKey(af.Ecosystem, af.Name)
			if key == "" {
				continue
			}
			e := pkgEntry{adv: a, affected: af, ecosystem: BaseEcosystem(af.Ecosystem)}
			e.release = advisoryRelease(af.Ecosystem)
			for ri, r := range af.Ranges {
				if cr, ok := compileRange(e.ecosystem, r, ri); ok {
					e.ranges = append(e.ranges, cr)
				}
				for _, ev := range r.Events {
					if ev.Fixed != "" && r.Type != RangeGit {
						e.fixed = append(e.fixed, ev.Fixed)
					}
				}
			}
			if len(af.Versions) > 0 {
				e.versions = make(map[string]struct{}, len(af.Versions))
				for _, v := range af.Versions {
					e.versions[v] = struct{}{}
				}
			}
			m.pkgs[key] = append(m.pkgs[key], e)
		}
		for j := range a.Configurations {
			c := &a.Configurations[j]
			cc := &compiledConfig{src: c, index: j, root: cnode{and: strings.EqualFold(c.Operator, "AND"), negate: c.Negate}}
			keys := map[string]bool{}
			for _, n := range c.Nodes {
				cc.root.children = append(cc.root.children, compileNode(n, keys, m.platformKeys))
			}
			for k := range keys {
				m.cpes[k] = append(m.cpes[k], cpeEntry{adv: a, cfg: cc})
			}
		}
	}
	return m
}

// compileNode parses the CPEs of a node; keys collects the vendor:product of
// its vulnerable leaves (the ones a component can be matched by), platform
// every key evaluator.inPlatform may look up for its leaves.
func compileNode(n Node, keys, platform map[string]bool) cnode {
	cn := cnode{and: strings.EqualFold(n.Operator, "AND"), negate: n.Negate}
	for i := range n.Matches {
		lm := &n.Matches[i]
		c, err := ParseCPE(lm.Criteria)
		if err != nil {
			continue // an unparsable leaf never holds
		}
		cn.leaves = append(cn.leaves, cleaf{m: lm, crit: c})
		if lm.Vulnerable {
			keys[c.Key()] = true
			keys[c.productKey()] = true
		}
		platform[c.Key()] = true
		platform[c.productKey()] = true
		if c.Part == "h" {
			platform["cpe:"+c.Vendor+":"+c.Product+"_firmware"] = true
			platform[anyVendorKey+c.Product+"_firmware"] = true
		}
	}
	for _, ch := range n.Children {
		cn.children = append(cn.children, compileNode(ch, keys, platform))
	}
	return cn
}

// Advisories returns the number of indexed advisories.
func (m *Matcher) Advisories() int { return len(m.advisories) }

// identity is a component's CPEs for matching and the platform set.
type identity struct {
	cpes []CPE
	via  string
	why  string
}

func componentCPEs(c *inventory.Component) identity {
	var id identity
	for _, s := range c.CPEs {
		if p, err := ParseCPE(s); err == nil {
			id.cpes = append(id.cpes, p)
		}
	}
	if len(id.cpes) > 0 {
		id.via = "cpe"
		return id
	}
	if cp, why := AliasCPEs(c.Name, c.Version); len(cp) > 0 {
		id.cpes, id.via, id.why = cp, "cpe-alias", why
	}
	return id
}

// Match returns the matches for the components of one release, worst first
// (KEV, then severity, CVSS, EPSS), with VEX statements applied: when the
// statement in effect for a match (VEXIndex.Effective: the latest, a later
// given on a tie, a recorded decision over every document) is not_affected
// or fixed, it marks the match Suppressed (the match is kept so reports can
// show why it is not open). An older not_affected no longer holds once a
// later affected or under_investigation is given.
func (m *Matcher) Match(components []inventory.Component, vex []VEXStatement) []Match {
	rm := m.NewReleaseMatch()
	rm.AddPlatform(components)
	rm.out = make([]Match, 0, len(components))
	rm.add(components, false)
	return rm.Finish(vex)
}

// ReleaseMatch matches the components of one release batch by batch, so
// a release's components need not all be in memory at once: AddPlatform
// every batch, then Add every batch, then Finish. The result is Match's
// for all the batches together (TestReleaseMatchBatches).
type ReleaseMatch struct {
	m        *Matcher
	platform map[string][]CPE
	out      []Match
}

// NewReleaseMatch starts matching one release.
func (m *Matcher) NewReleaseMatch() *ReleaseMatch {
	return &ReleaseMatch{m: m, platform: map[string][]CPE{}}
}

// AddPlatform records the CPEs of a batch of the release's components
// that configurations may look up as a platform ("running on"). Only the
// keys the matcher's configurations name are kept, so the set follows the
// advisories, not the release.
func (r *ReleaseMatch) AddPlatform(components []inventory.Component) {
	for i := range components {
		for _, c := range componentCPEs(&components[i]).cpes {
			if k := c.Key(); r.m.platformKeys[k] {
				r.platform[k] = append(r.platform[k], c)
			}
		}
	}
}

// Add matches a batch of components (after every AddPlatform). The
// matches keep a copy of their component, not the batch.
func (r *ReleaseMatch) Add(components []inventory.Component) { r.add(components, true) }

func (r *ReleaseMatch) add(components []inventory.Component, own bool) {
	m, platform := r.m, r.platform
	out := r.out
	defer func() { r.out = out }()
	for i := range components {
		c := &components[i]
		start := len(out)
		matchedByPkg := false
		if c.PURL != "" {
			if pk, err := PackageFromPURL(c.PURL); err == nil {
				matchedByPkg = true
				if pk.Version == "" {
					pk.Version = c.Version
				}
				out = m.matchPackage(out, c, pk)
				if pk.Source != "" {
					// the source package's records (OSV names distro
					// packages by source); mergeSame joins what both find
					src := pk
					src.Name = pk.Source
					if pk.SourceVersion != "" {
						src.Version = pk.SourceVersion
					}
					out = m.matchPackage(out, c, src)
				}
			}
		}
		if !matchedByPkg {
			out = m.matchCPE(out, c, componentCPEs(c), platform)
		}
		out = out[:start+len(mergeSame(out[start:]))]
		if own && len(out) > start {
			cp := *c
			for j := start; j < len(out); j++ {
				out[j].Component = &cp
			}
		}
	}
}

// Finish returns the matches of every batch, worst first, with the VEX
// statements applied (see Match).
func (r *ReleaseMatch) Finish(vex []VEXStatement) []Match {
	out := dedupKernel(r.out)
	r.out = nil
	idx := NewVEXIndex(vex)
	for i := range out {
		mt := &out[i]
		mt.Severity, mt.CVSSScore = mt.Advisory.Rating()
		if mt.Advisory.EPSS != nil {
			mt.EPSS = mt.Advisory.EPSS.Score
		}
		mt.KEV = mt.Advisory.KEV != nil
		if st := idx.Effective(mt.Component, mt.Advisory); st != nil && st.Status.Suppresses() {
			mt.Suppressed = st
		}
	}
	SortMatches(out)
	return out
}

// SortMatches orders matches worst first: KEV, severity, CVSS, EPSS, then
// component and advisory id for a stable order.
func SortMatches(ms []Match) {
	slices.SortFunc(ms, compareMatches)
}

// compareMatches orders two matches worst first; comparisons stop at the
// first difference (cmp.Or would evaluate every key).
func compareMatches(a, b Match) int {
	if a.KEV != b.KEV {
		if a.KEV {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
		return c
	}
	if c := cmp.Compare(b.CVSSScore, a.CVSSScore); c != 0 {
		return c
	}
	if c := cmp.Compare(b.EPSS, a.EPSS); c != 0 {
		return c
	}
	if a.Component != b.Component {
		if c := strings.Compare(a.Component.Name, b.Component.Name); c != 0 {
			return c
		}
		if c := strings.Compare(a.Component.Version, b.Component.Version); c != 0 {
			return c
		}
		if c := strings.Compare(a.Component.Ref, b.Component.Ref); c != 0 {
			return c
		}
	}
	if c := strings.Compare(a.Advisory.ID, b.Advisory.ID); c != 0 {
		return c
	}
	return strings.Compare(a.Reason, b.Reason)
}

func (m *Matcher) matchPackage(out []Match, c *inventory.Component, pk Package) []Match {
	entries := m.pkgs[PackageKey(pk.Ecosystem, pk.Name)]
	if len(entries) == 0 || pk.Version == "" {
		return out
	}
	var parsed semantic.Version
	parsedOK, tried := false, false
	for i := range entries {
		e := &entries[i]
		if e.ecosystem != pk.Ecosystem {
			continue
		}
		if e.release != "" && pk.Release != "" && !sameRelease(e.release, pk.Release) {
			continue
		}
		why := ""
		if _, ok := e.versions[pk.Version]; ok {
			why = "version " + pk.Version + " is listed as affected"
		} else if _, ok := e.versions[strings.TrimPrefix(pk.Version, "v")]; ok && pk.Ecosystem == "Go" {
			why = "version " + pk.Version + " is listed as affected"
		}
		if why == "" && len(e.ranges) > 0 {
			if !tried {
				tried = true
				v, err := ParseVersion(pk.Ecosystem, pk.Version)
				parsed, parsedOK = v, err == nil
			}
			if parsedOK {
				for _, cr := range e.ranges {
					if ok, opener, closer := cr.contains(parsed); ok {
						r := e.affected.Ranges[cr.index]
						why = "version " + pk.Version + " in " + string(r.Type) + " range [introduced " + opener + prefixComma(closer) + ")"
						break
					}
				}
			}
		}
		if why == "" {
			continue
		}
		out = append(out, Match{
			Component:     c,
			Advisory:      e.adv,
			Via:           "purl",
			Source:        sourceOf(e.affected.Source, SourceOSV),
			Reason:        string(sourceOf(e.affected.Source, SourceOSV)) + " " + recordID(e.adv.ID, e.affected.Record) + ": " + e.affected.Ecosystem + " package " + e.affected.Name + " " + why,
			FixedVersions: e.fixed[:len(e.fixed):len(e.fixed)], // shared, capacity-capped: appends copy
		})
	}
	return out
}

func recordID(advID, record string) string {
	if record != "" {
		return record
	}
	return advID
}

func sameRelease(advRelease, compRelease string) bool {
	a, b := strings.TrimPrefix(advRelease, "v"), strings.TrimPrefix(compRelease, "v")
	return a == b || strings.HasPrefix(b, a+".") || strings.HasPrefix(a, b+".")
}

func prefixComma(s string) string {
	if s == "" {
		return ""
	}
	return ", " + s
}

func sourceOf(s, def Source) Source {
	if s == "" {
		return def
	}
	return s
}

func (m *Matcher) matchCPE(out []Match, c *inventory.Component, id identity, platform map[string][]CPE) []Match {
	for _, cp := range id.cpes {
		version := cp.Version
		if version == "*" || version == "" {
			version = c.Version
		}
		entries := m.cpes[cp.Key()]
		for i := range entries {
			e := &entries[i]
			ev := evaluator{comp: cp, version: version, platform: platform, assume: m.opts.AssumePlatform}
			if !ev.eval(e.cfg.root) || ev.hit == nil {
				continue
			}
			reason := fmt.Sprintf("%s %s: configuration %d: %s matches %s (%s)", sourceOf(e.cfg.src.Source, SourceNVD), recordID(e.adv.ID, e.cfg.src.Record), e.cfg.index+1, cp.Vendor+":"+cp.Product+" "+version, ev.hit.m.Criteria, ev.hitWhy)
			if len(ev.platforms) > 0 {
				reason += "; running on/with " + strings.Join(ev.platforms, ", ")
			}
			if id.why != "" {
				reason += "; " + id.why
			}
			var fixed []string
			if ev.hit.m.VersionEndExcluding != "" {
				fixed = []string{ev.hit.m.VersionEndExcluding}
			}
			out = append(out, Match{
				Component:     c,
				Advisory:      e.adv,
				Via:           id.via,
				CPE:           cp.String(),
				Source:        sourceOf(e.cfg.src.Source, SourceNVD),
				Reason:        reason,
				FixedVersions: fixed,
			})
		}
	}
	return out
}

// evaluator evaluates one compiled configuration for one component CPE.
type evaluator struct {
	comp      CPE
	version   string
	platform  map[string][]CPE
	assume    bool
	hit       *cleaf
	hitWhy    string
	platforms []string
}

func (ev *evaluator) eval(n cnode) bool {
	res := n.and
	for i := range n.leaves {
		r := ev.leaf(&n.leaves[i])
		if n.and && !r {
			res = false
			break
		}
		if !n.and && r {
			res = true
		}
	}
	if !(n.and && !res) {
		for _, ch := range n.children {
			r := ev.eval(ch)
			if n.and && !r {
				res = false
				break
			}
			if !n.and && r {
				res = true
			}
		}
	}
	if len(n.leaves) == 0 && len(n.children) == 0 {
		res = false
	}
	if n.negate {
		return !res
	}
	return res
}

func (ev *evaluator) leaf(l *cleaf) bool {
	if l.m.Vulnerable && l.crit.sameProductExceptVersion(ev.comp) {
		if ok, why := l.m.inRange(l.crit, ev.version, ev.comp.Update); ok {
			if ev.hit == nil {
				ev.hit, ev.hitWhy = l, why
			}
			return true
		}
		return false
	}
	if l.m.Vulnerable {
		// Another component of the release may satisfy a vulnerable leaf of
		// an AND configuration ("a:x AND a:y").
		return ev.inPlatform(l)
	}
	if ev.assume {
		ev.platforms = append(ev.platforms, l.m.Criteria+" (assumed)")
		return true
	}
	return ev.inPlatform(l)
}

func (ev *evaluator) inPlatform(l *cleaf) bool {
	// The release's CPEs of this vendor and product, and those of the
	// product under an ANY vendor.
	for _, ps := range [2][]CPE{ev.platform[l.crit.Key()], ev.platform[l.crit.productKey()]} {
		for _, p := range ps {
			if !l.crit.sameProductExceptVersion(p) {
				continue
			}
			// A platform CPE without a version, or a criteria that names no
			// version ("-", typical for hardware), cannot contradict the leaf.
			if p.Version == "*" || p.Version == "" || l.crit.Version == "-" {
				ev.platforms = append(ev.platforms, l.m.Criteria)
				return true
			}
			if ok, _ := l.m.inRange(l.crit, p.Version, p.Update); ok {
				ev.platforms = append(ev.platforms, l.m.Criteria)
				return true
			}
		}
	}
	if l.crit.Part == "h" {
		// NVD names firmware after its hardware: o:V:P_firmware runs on h:V:P.
		for _, ps := range [2][]CPE{ev.platform["cpe:"+l.crit.Vendor+":"+l.crit.Product+"_firmware"], ev.platform[anyVendorKey+l.crit.Product+"_firmware"]} {
			for _, p := range ps {
				if p.Part == "o" || p.Part == "*" {
					ev.platforms = append(ev.platforms, l.m.Criteria+" (implied by "+p.Vendor+":"+p.Product+")")
					return true
				}
			}
		}
	}
	return false
}

// mergeSame folds several matches of one component to one advisory (several
// affected entries, configurations or CPEs) into one, joining reasons.
func mergeSame(ms []Match) []Match {
	if len(ms) < 2 {
		return ms
	}
	n := 0 // ms[:n] holds the merged matches, in first-seen order
	for _, mt := range ms {
		j := -1
		for k := 0; k < n; k++ {
			if ms[k].Advisory == mt.Advisory {
				j = k
				break
			}
		}
		if j < 0 {
			ms[n] = mt
			n++
			continue
		}
		if !strings.Contains(ms[j].Reason, mt.Reason) {
			ms[j].Reason += "; " + mt.Reason
		}
		for _, f := range mt.FixedVersions {
			if !slices.Contains(ms[j].FixedVersions, f) {
				ms[j].FixedVersions = append(ms[j].FixedVersions, f)
			}
		}
	}
	return ms[:n]
}

// dedupKernel keeps one match per (advisory, kernel version) for Linux
// kernel CPE matches: firmware SBOMs list the kernel many times (image,
// headers, modules), and reporting each copy buried analysts in duplicates.
// The folded components' refs are kept in Duplicates.
func dedupKernel(ms []Match) []Match {
	type key struct {
		adv     *Advisory
		version string
	}
	first := map[key]int{}
	out := ms[:0]
	for _, mt := range ms {
		if mt.Via == "purl" || !strings.Contains(mt.Reason, "linux:linux_kernel") {
			out = append(out, mt)
			continue
		}
		k := key{mt.Advisory, mt.Component.Version}
		if j, ok := first[k]; ok {
			ref := mt.Component.Ref
			if ref == "" {
				ref = mt.Component.Name + "@" + mt.Component.Version
			}
			out[j].Duplicates = append(out[j].Duplicates, ref)
			continue
		}
		first[k] = len(out)
		out = append(out, mt)
	}
	return out
}

// ComponentKeys returns the index keys (see Advisory.IndexKeys) under which
// advisories relevant to the components are found: the package key of each
// purl that maps to an OSV ecosystem, and the CPE key of each CPE — own or
// alias-derived — of the others, plus every CPE in the release (platform
// leaves of AND configurations are looked up by the vulnerable leaf, so they
// need no key of their own). A store loads the advisories carrying any of
// these keys and builds a Matcher for the release from just those.
func ComponentKeys(components []inventory.Component) []string {
	var keys keySet
	for i := range components {
		c := &components[i]
		if c.PURL != "" {
			if pk, err := PackageFromPURL(c.PURL); err == nil {
				keys.add(PackageKey(pk.Ecosystem, pk.Name))
				if pk.Source != "" {
					keys.add(PackageKey(pk.Ecosystem, pk.Source))
				}
				continue
			}
		}
		for _, cp := range componentCPEs(c).cpes {
			keys.add(cp.Key())
		}
	}
	slices.Sort(keys.out)
	return keys.out
}
