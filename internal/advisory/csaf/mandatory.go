package csaf

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"
	"golang.org/x/text/language"
)

// tests lists every test of section 6 in order.
var tests []test

func init() {
	tests = append(tests, mandatoryTests...)
	tests = append(tests, optionalTests...)
	tests = append(tests, informativeTests...)
}

func m(id string, run func(*checker)) test { return newTest(Mandatory, id, run) }

var mandatoryTests = []test{
	m("6.1.1", func(c *checker) {
		for _, r := range c.productRefs() {
			if !c.defined[r.id] {
				c.fail(r.path, "product id %q is not defined in the product tree: define it (branches, full_product_names or relationships) or remove the reference", r.id)
			}
		}
	}),
	m("6.1.2", func(c *checker) {
		seen := map[string]string{}
		for _, d := range c.products {
			if first, ok := seen[d.p.ProductID]; ok {
				c.fail(d.path+"/product_id", "product id %q is already defined at %s: give each product its own id", d.p.ProductID, first)
				continue
			}
			seen[d.p.ProductID] = d.path
		}
	}),
	m("6.1.3", func(c *checker) {
		pt := c.doc.ProductTree
		if pt == nil {
			return
		}
		edges := map[string][]string{}
		for _, r := range pt.Relationships {
			id := r.FullProductName.ProductID
			edges[id] = append(edges[id], r.ProductReference, r.RelatesToProductReference)
		}
		starts := make([]string, len(pt.Relationships))
		for i, r := range pt.Relationships {
			starts[i] = r.FullProductName.ProductID
		}
		// One pass over the graph, not a search per relationship (a
		// 1.5 MB chain of 10 000 relationships took 20 s).
		cyclic := onCycle(edges, starts)
		for i, start := range starts {
			if cyclic[start] {
				c.fail(fmt.Sprintf("/product_tree/relationships/%d", i), "product id %q is defined by a relationship that refers back to itself", start)
			}
		}
	}),
	m("6.1.4", func(c *checker) {
		for _, r := range c.groupRefs() {
			if _, ok := c.groups[r.id]; !ok {
				c.fail(r.path, "product group id %q is not defined in /product_tree/product_groups", r.id)
			}
		}
	}),
	m("6.1.5", func(c *checker) {
		if c.doc.ProductTree == nil {
			return
		}
		seen := map[string]bool{}
		for i, g := range c.doc.ProductTree.ProductGroups {
			if seen[g.GroupID] {
				c.fail(fmt.Sprintf("/product_tree/product_groups/%d/group_id", i), "product group id %q is defined more than once", g.GroupID)
			}
			seen[g.GroupID] = true
		}
	}),
	m("6.1.6", func(c *checker) {
		for vi, v := range c.doc.Vulnerabilities {
			if v.ProductStatus == nil {
				continue
			}
			group := map[string]string{}
			for _, s := range statusLists(v.ProductStatus) {
				g := statusGroup(s.name)
				if g == "" {
					continue
				}
				for i, id := range s.ids {
					if prev, ok := group[id]; ok && prev != g {
						c.fail(fmt.Sprintf("/vulnerabilities/%d/product_status/%s/%d", vi, s.name, i),
							"product %q is both %s and %s for this vulnerability: keep one status", id, prev, g)
						continue
					}
					group[id] = g
				}
			}
		}
	}),
	m("6.1.7", func(c *checker) {
		for vi, v := range c.doc.Vulnerabilities {
			seen := map[string]bool{}
			for si, s := range v.Scores {
				var versions []string
				if s.CVSSv2 != nil {
					versions = append(versions, "2:"+str(s.CVSSv2["version"]))
				}
				if s.CVSSv3 != nil {
					versions = append(versions, "3:"+str(s.CVSSv3["version"]))
				}
				for pi, p := range s.Products {
					for _, ver := range versions {
						k := p + "\x00" + ver
						if seen[k] {
							c.fail(fmt.Sprintf("/vulnerabilities/%d/scores/%d/products/%d", vi, si, pi),
								"product %q has more than one CVSS %s score for this vulnerability", p, strings.TrimPrefix(ver[1:], ":"))
						}
						seen[k] = true
					}
				}
			}
		}
	}),
	// 6.1.8 (invalid CVSS) is reported by the schema check.
	m("6.1.9", func(c *checker) { c.cvss(true) }),
	m("6.1.10", func(c *checker) { c.cvss(false) }),
	m("6.1.11", func(c *checker) {
		for vi, v := range c.doc.Vulnerabilities {
			if v.CWE == nil {
				continue
			}
			name, known := cweNames[v.CWE.ID]
			if known && name != v.CWE.Name {
				c.fail(fmt.Sprintf("/vulnerabilities/%d/cwe/name", vi), "%s is named %q in the CWE list, not %q", v.CWE.ID, name, v.CWE.Name)
			}
		}
	}),
	m("6.1.12", func(c *checker) {
		for _, l := range []struct{ path, tag string }{{"/document/lang", c.doc.Document.Lang}, {"/document/source_lang", c.doc.Document.SourceLang}} {
			if l.tag != "" && !validLanguage(l.tag) {
				c.fail(l.path, "%q is not a valid BCP 47 language tag", l.tag)
			}
		}
	}),
	m("6.1.13", func(c *checker) {
		for _, d := range c.products {
			if h := d.p.ProductIdentificationHelper; h != nil && h.PURL != "" {
				if _, err := packageurl.FromString(h.PURL); err != nil || !strings.HasPrefix(h.PURL, "pkg:") {
					c.fail(d.path+"/product_identification_helper/purl", "%q is not a valid package URL: %v", h.PURL, err)
				}
			}
		}
	}),
	m("6.1.14", func(c *checker) {
		items := c.sortedRevisions()
		for i := 1; i < len(items); i++ {
			a, b := items[i-1], items[i]
			if a.v.ok && b.v.ok && a.v.semantic == b.v.semantic && a.v.compare(b.v) > 0 {
				c.fail(fmt.Sprintf("/document/tracking/revision_history/%d", b.idx),
					"revision %s (%s) is dated after revision %s (%s) but has a lower number: sort numbers and dates the same way", b.r.Number, b.r.Date, a.r.Number, a.r.Date)
			}
		}
	}),
	m("6.1.15", func(c *checker) {
		if c.doc.Document.Publisher.Category == "translator" && c.doc.Document.SourceLang == "" {
			c.fail("/document/source_lang", "the publisher is a translator: set /document/source_lang to the language of the original")
		}
	}),
	m("6.1.16", func(c *checker) {
		items := c.sortedRevisions()
		if len(items) == 0 {
			return
		}
		last := items[len(items)-1]
		v := parseVersion(c.doc.Document.Tracking.Version)
		if !v.ok || !last.v.ok {
			return
		}
		a, b := v, last.v
		a.build, b.build = "", ""
		if c.doc.Document.Tracking.Status == "draft" {
			a.pre, b.pre = "", ""
		}
		if a.semantic != b.semantic || a.compare(b) != 0 {
			c.fail("/document/tracking/version", "document version %q is not the number of the latest revision (%q)", c.doc.Document.Tracking.Version, last.r.Number)
		}
	}),
	m("6.1.17", func(c *checker) {
		v := parseVersion(c.doc.Document.Tracking.Version)
		if v.ok && (v.isZero() || v.pre != "") && c.doc.Document.Tracking.Status != "draft" {
			c.fail("/document/tracking/status", "version %q is a pre-release or 0 version: the status must be draft", c.doc.Document.Tracking.Version)
		}
	}),
	m("6.1.18", func(c *checker) {
		if !released(c.doc) {
			return
		}
		for i, r := range c.doc.Document.Tracking.RevisionHistory {
			if parseVersion(r.Number).isZero() {
				c.fail(fmt.Sprintf("/document/tracking/revision_history/%d/number", i), "a %s document must not keep revision %q (version 0): remove the draft revisions", c.doc.Document.Tracking.Status, r.Number)
			}
		}
	}),
	m("6.1.19", func(c *checker) {
		for i, r := range c.doc.Document.Tracking.RevisionHistory {
			if parseVersion(r.Number).pre != "" {
				c.fail(fmt.Sprintf("/document/tracking/revision_history/%d/number", i), "revision %q is a pre-release: the revision history must not contain pre-release versions", r.Number)
			}
		}
	}),
	m("6.1.20", func(c *checker) {
		if released(c.doc) && parseVersion(c.doc.Document.Tracking.Version).pre != "" {
			c.fail("/document/tracking/version", "a %s document must not have the pre-release version %q", c.doc.Document.Tracking.Status, c.doc.Document.Tracking.Version)
		}
	}),
	m("6.1.21", func(c *checker) {
		items := c.sortedRevisions()
		var prev uint64
		for i, it := range items {
			if !it.v.ok {
				return
			}
			path := fmt.Sprintf("/document/tracking/revision_history/%d/number", it.idx)
			if i == 0 {
				if it.v.major > 1 {
					c.fail(path, "the first revision is %q: the revision history must start with version 0 or 1", it.r.Number)
				}
			} else if it.v.major > prev+1 {
				c.fail(path, "revision %q follows %q: version %d is missing from the revision history", it.r.Number, items[i-1].r.Number, prev+1)
			}
			prev = it.v.major
		}
	}),
	m("6.1.22", func(c *checker) {
		seen := map[string]bool{}
		for i, r := range c.doc.Document.Tracking.RevisionHistory {
			if seen[r.Number] {
				c.fail(fmt.Sprintf("/document/tracking/revision_history/%d/number", i), "revision number %q is used more than once", r.Number)
			}
			seen[r.Number] = true
		}
	}),
	m("6.1.23", func(c *checker) {
		seen := map[string]bool{}
		for i, v := range c.doc.Vulnerabilities {
			if v.CVE == "" {
				continue
			}
			if seen[v.CVE] {
				c.fail(fmt.Sprintf("/vulnerabilities/%d/cve", i), "%s is described by more than one vulnerability item: merge them", v.CVE)
			}
			seen[v.CVE] = true
		}
	}),
	m("6.1.24", func(c *checker) {
		for vi, v := range c.doc.Vulnerabilities {
			seen := map[string]bool{}
			for i, inv := range v.Involvements {
				k := inv.Party + "\x00" + normTime(inv.Date)
				if seen[k] {
					c.fail(fmt.Sprintf("/vulnerabilities/%d/involvements/%d", vi, i), "party %q has more than one involvement dated %q", inv.Party, inv.Date)
				}
				seen[k] = true
			}
		}
	}),
	m("6.1.25", func(c *checker) {
		c.eachHashes(func(path string, hs *Hashes) {
			seen := map[string]bool{}
			for fi, fh := range hs.FileHashes {
				if seen[fh.Algorithm] {
					c.fail(fmt.Sprintf("%s/file_hashes/%d/algorithm", path, fi), "hash algorithm %q is used more than once for %q", fh.Algorithm, hs.Filename)
				}
				seen[fh.Algorithm] = true
			}
		})
	}),
	m("6.1.26", func(c *checker) {
		cat := c.doc.Document.Category
		if profiles[cat] {
			return
		}
		if strings.HasPrefix(strings.ToLower(cat), "csaf_") {
			c.fail("/document/category", "category %q uses the reserved prefix csaf_ but is not a CSAF profile", cat)
			return
		}
		n := normCategory(cat)
		for p := range profiles {
			if p == "csaf_base" {
				continue
			}
			if n == normCategory(p) || n == normCategory(strings.TrimPrefix(p, "csaf_")) {
				c.fail("/document/category", "category %q is the name of the profile %s: use %s itself or another name", cat, p, p)
			}
		}
	}),
	m("6.1.27.1", func(c *checker) {
		if !c.isCategory("csaf_informational_advisory", "csaf_security_incident_response") {
			return
		}
		for _, n := range c.doc.Document.Notes {
			switch n.Category {
			case "description", "details", "general", "summary":
				return
			}
		}
		c.fail("/document/notes", "a %s needs a document note of category description, details, general or summary", c.doc.Document.Category)
	}),
	m("6.1.27.2", func(c *checker) {
		if !c.isCategory("csaf_informational_advisory", "csaf_security_incident_response") {
			return
		}
		for _, r := range c.doc.Document.References {
			if r.Category == "external" {
				return
			}
		}
		c.fail("/document/references", "a %s needs a document reference of category external", c.doc.Document.Category)
	}),
	m("6.1.27.3", func(c *checker) {
		if c.isCategory("csaf_informational_advisory") && c.doc.Vulnerabilities != nil {
			c.fail("/vulnerabilities", "an informational advisory must not have vulnerabilities: use csaf_security_advisory")
		}
	}),
	m("6.1.27.4", func(c *checker) {
		if c.isCategory("csaf_security_advisory", "csaf_vex") && c.doc.ProductTree == nil {
			c.fail("/product_tree", "a %s needs a product tree", c.doc.Document.Category)
		}
	}),
	m("6.1.27.5", func(c *checker) {
		if !c.isCategory("csaf_security_advisory", "csaf_vex") {
			return
		}
		for i, v := range c.doc.Vulnerabilities {
			if len(v.Notes) == 0 {
				c.fail(fmt.Sprintf("/vulnerabilities/%d", i), "each vulnerability of a %s needs notes", c.doc.Document.Category)
			}
		}
	}),
	m("6.1.27.6", func(c *checker) {
		if !c.isCategory("csaf_security_advisory") {
			return
		}
		for i, v := range c.doc.Vulnerabilities {
			if v.ProductStatus == nil {
				c.fail(fmt.Sprintf("/vulnerabilities/%d", i), "each vulnerability of a security advisory needs product_status")
			}
		}
	}),
	m("6.1.27.7", func(c *checker) {
		if !c.isCategory("csaf_vex") {
			return
		}
		for i, v := range c.doc.Vulnerabilities {
			ps := v.ProductStatus
			if ps == nil || (len(ps.Fixed) == 0 && len(ps.KnownAffected) == 0 && len(ps.KnownNotAffected) == 0 && len(ps.UnderInvestigation) == 0) {
				c.fail(fmt.Sprintf("/vulnerabilities/%d/product_status", i), "a VEX vulnerability needs at least one of fixed, known_affected, known_not_affected or under_investigation")
			}
		}
	}),
	m("6.1.27.8", func(c *checker) {
		if !c.isCategory("csaf_vex") {
			return
		}
		for i, v := range c.doc.Vulnerabilities {
			if v.CVE == "" && len(v.IDs) == 0 {
				c.fail(fmt.Sprintf("/vulnerabilities/%d", i), "a VEX vulnerability needs a cve or ids")
			}
		}
	}),
	m("6.1.27.9", func(c *checker) {
		c.eachVEXStatus(func(vi int, v Vulnerability) {
			has := newMarks()
			for _, f := range v.Flags {
				c.mark(has, f.ProductIDs, f.GroupIDs)
			}
			for _, t := range v.Threats {
				if t.Category == "impact" {
					c.mark(has, t.ProductIDs, t.GroupIDs)
				}
			}
			c.needStatement(vi, "known_not_affected", v.ProductStatus.KnownNotAffected, has.products, "an impact statement: add a flag or a threat of category impact")
		})
	}),
	m("6.1.27.10", func(c *checker) {
		c.eachVEXStatus(func(vi int, v Vulnerability) {
			has := newMarks()
			for _, r := range v.Remediations {
				c.mark(has, r.ProductIDs, r.GroupIDs)
			}
			c.needStatement(vi, "known_affected", v.ProductStatus.KnownAffected, has.products, "an action statement: add a remediation")
		})
	}),
	m("6.1.27.11", func(c *checker) {
		if c.isCategory("csaf_security_advisory", "csaf_vex") && len(c.doc.Vulnerabilities) == 0 {
			c.fail("/vulnerabilities", "a %s needs at least one vulnerability", c.doc.Document.Category)
		}
	}),
	m("6.1.28", func(c *checker) {
		d := c.doc.Document
		if d.SourceLang != "" && d.Lang != "" && strings.EqualFold(d.SourceLang, d.Lang) {
			c.fail("/document/lang", "lang and source_lang are both %q: a translation has a different language than its source", d.Lang)
		}
	}),
	m("6.1.29", func(c *checker) {
		for vi, v := range c.doc.Vulnerabilities {
			for i, r := range v.Remediations {
				c.needProducts(vi, "remediations", i, "remediation", r.ProductIDs, r.GroupIDs)
			}
		}
	}),
	m("6.1.30", func(c *checker) {
		t := c.doc.Document.Tracking
		v := parseVersion(t.Version)
		if !v.ok {
			return
		}
		for i, r := range t.RevisionHistory {
			if rv := parseVersion(r.Number); rv.ok && rv.semantic != v.semantic {
				c.fail(fmt.Sprintf("/document/tracking/revision_history/%d/number", i), "revision %q and version %q mix integer and semantic versioning", r.Number, t.Version)
			}
		}
	}),
	m("6.1.31", func(c *checker) {
		c.doc.ProductTree.WalkBranches(func(path string, b *Branch) {
			if b.Category == "product_version" && versionRange.MatchString(b.Name) {
				c.fail(path+"/name", "product_version %q names a range: use a product_version_range branch", b.Name)
			}
		})
	}),
	m("6.1.32", func(c *checker) {
		for vi, v := range c.doc.Vulnerabilities {
			for i, f := range v.Flags {
				c.needProducts(vi, "flags", i, "flag", f.ProductIDs, f.GroupIDs)
			}
		}
	}),
	m("6.1.33", func(c *checker) {
		for vi, v := range c.doc.Vulnerabilities {
			seen := map[string]bool{}
			for i, f := range v.Flags {
				for _, id := range uniq(c.expand(f.ProductIDs, f.GroupIDs)) {
					if seen[id] {
						c.fail(fmt.Sprintf("/vulnerabilities/%d/flags/%d", vi, i), "product %q has more than one VEX justification flag for this vulnerability", id)
					}
					seen[id] = true
				}
			}
		}
	}),
}

var profiles = map[string]bool{
	"csaf_base": true, "csaf_security_incident_response": true, "csaf_informational_advisory": true,
	"csaf_security_advisory": true, "csaf_vex": true,
}

// onCycle returns the nodes among roots, and those they reach, that can
// reach themselves through edges: the members of strongly connected
// components of more than one node or with a loop (Tarjan's algorithm,
// iterative: a chain of relationships may be long).
func onCycle(edges map[string][]string, roots []string) map[string]bool {
	index, low := map[string]int{}, map[string]int{}
	onStack, out := map[string]bool{}, map[string]bool{}
	var stack []string
	type frame struct {
		n    string
		next int // the next edge of n to follow
	}
	visit := func(n string, call []frame) []frame {
		index[n], low[n] = len(index), len(index)
		stack = append(stack, n)
		onStack[n] = true
		return append(call, frame{n: n})
	}
	for _, root := range roots {
		if _, done := index[root]; done {
			continue
		}
		call := visit(root, nil)
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.next < len(edges[f.n]) {
				w := edges[f.n][f.next]
				f.next++
				if _, seen := index[w]; !seen {
					call = visit(w, call)
				} else if onStack[w] {
					low[f.n] = min(low[f.n], index[w])
				}
				continue
			}
			n := f.n
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].n
				low[p] = min(low[p], low[n])
			}
			if low[n] != index[n] {
				continue
			}
			// n is the root of a component: pop it.
			first := len(stack) - 1
			for stack[first] != n {
				first--
			}
			comp := stack[first:]
			stack = stack[:first]
			for _, w := range comp {
				onStack[w] = false
				if len(comp) > 1 || slices.Contains(edges[w], w) {
					out[w] = true
				}
			}
		}
	}
	return out
}

func normCategory(s string) string {
	return strings.NewReplacer("-", "", "_", "", " ", "", "\t", "", "\n", "", "\r", "").Replace(strings.ToLower(s))
}

var versionRange = regexp.MustCompile(`(?i)[<>]|(^|\s)(after|all|before|earlier|later|prior|versions)(\s|$)`)

func (c *checker) isCategory(cats ...string) bool {
	return slices.Contains(cats, c.doc.Document.Category)
}

func released(d *Document) bool {
	s := d.Document.Tracking.Status
	return s == "final" || s == "interim"
}

type revItem struct {
	idx int
	r   Revision
	v   version
}

// sortedRevisions returns the revision history sorted ascending by date (then number).
func (c *checker) sortedRevisions() []revItem {
	rh := c.doc.Document.Tracking.RevisionHistory
	items := make([]revItem, len(rh))
	for i, r := range rh {
		items[i] = revItem{i, r, parseVersion(r.Number)}
	}
	sort.SliceStable(items, func(i, j int) bool {
		ti, _ := parseTime(items[i].r.Date)
		tj, _ := parseTime(items[j].r.Date)
		if !ti.Equal(tj) {
			return ti.Before(tj)
		}
		if items[i].v.ok && items[j].v.ok && items[i].v.semantic == items[j].v.semantic {
			return items[i].v.compare(items[j].v) < 0
		}
		return false
	})
	return items
}

func normTime(s string) string {
	if t, ok := parseTime(s); ok {
		return t.UTC().Format("2006-01-02T15:04:05.999999999")
	}
	return s
}

func validLanguage(tag string) bool {
	t, err := language.Parse(tag)
	if err != nil {
		return false
	}
	// language.Parse accepts some well-formed tags whose subtags are not in
	// the registry by mapping them to "und": reject those.
	base, conf := t.Base()
	return !(base.String() == "und" && conf == language.No && !strings.HasPrefix(strings.ToLower(tag), "und"))
}

func uniq(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// marks is the products a vulnerability's statements name, and the groups
// already counted in them.
type marks struct{ products, groups map[string]bool }

func newMarks() *marks { return &marks{map[string]bool{}, map[string]bool{}} }

// mark adds the products a statement names (its product ids and the
// members of its groups) to m. A group is expanded the first time a
// statement names it only: 2,000 remediations of a group of 2,000 products
// were 4 million writes of the same products.
func (c *checker) mark(m *marks, productIDs, groupIDs []string) {
	for _, id := range productIDs {
		m.products[id] = true
	}
	for _, g := range groupIDs {
		if !m.groups[g] {
			m.groups[g] = true
			for _, id := range c.groups[g] {
				m.products[id] = true
			}
		}
	}
}

// eachVEXStatus calls fn for each vulnerability of a VEX document that has
// a product_status (other documents have no statements to check).
func (c *checker) eachVEXStatus(fn func(vi int, v Vulnerability)) {
	if !c.isCategory("csaf_vex") {
		return
	}
	for vi, v := range c.doc.Vulnerabilities {
		if v.ProductStatus != nil {
			fn(vi, v)
		}
	}
}

// needProducts fails entry i of vulnerability vi's list (remediations,
// flags), a what, when it names neither product_ids nor group_ids (6.1.29,
// 6.1.32).
func (c *checker) needProducts(vi int, list string, i int, what string, productIDs, groupIDs []string) {
	if len(productIDs) == 0 && len(groupIDs) == 0 {
		c.fail(fmt.Sprintf("/vulnerabilities/%d/%s/%d", vi, list, i), "%s names no product_ids or group_ids", what)
	}
}

// needStatement fails every product of the product_status list named list
// of vulnerability vi that has does not hold: a VEX statement of that
// status needs what (6.1.27.9, 6.1.27.10).
func (c *checker) needStatement(vi int, list string, ids []string, has map[string]bool, what string) {
	for i, id := range ids {
		if !has[id] {
			c.fail(fmt.Sprintf("/vulnerabilities/%d/product_status/%s/%d", vi, list, i), "product %q is %s without %s", id, list, what)
		}
	}
}
