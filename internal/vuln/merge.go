package vuln

import (
	"sort"
	"strings"
)

// Merge combines advisories that describe the same vulnerability — those
// linked by id or alias, transitively — into one per vulnerability. The
// merged advisory takes a CVE id when one is known (the name PSIRTs,
// customers and KEV use), otherwise the smallest id; every other id becomes
// an alias. Affected packages, configurations, severities, CWEs and
// references are unioned; text comes from the first source that has it
// (input order); published is the earliest, modified the latest date. A
// withdrawn record contributes only its ids when a live record exists.
// The input is not modified; the output order follows first appearance.
func Merge(in []Advisory) []Advisory {
	parent := make([]int, len(in))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i := range in {
		for _, id := range in[i].IDs() {
			id = strings.ToUpper(strings.TrimSpace(id))
			if id == "" {
				continue
			}
			if j, ok := owner[id]; ok {
				a, b := find(i), find(j)
				if a != b {
					parent[a] = b
				}
			} else {
				owner[id] = i
			}
		}
	}
	groups := map[int][]int{}
	var order []int
	for i := range in {
		r := find(i)
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], i)
	}
	out := make([]Advisory, 0, len(order))
	for _, r := range order {
		g := groups[r]
		if len(g) == 1 {
			out = append(out, in[g[0]])
			continue
		}
		out = append(out, mergeGroup(in, g))
	}
	return out
}

func mergeGroup(in []Advisory, g []int) Advisory {
	live := false
	for _, i := range g {
		if in[i].Withdrawn.IsZero() {
			live = true
		}
	}
	var m Advisory
	ids := map[string]string{}
	// What the merged lists hold, so that each item is added once (m
	// starts empty).
	seen := struct {
		related, cwes, vectors, urls, tags map[string]bool
		sources                            map[Source]bool
		exploits                           map[[2]string]bool
	}{map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[Source]bool{}, map[[2]string]bool{}}
	for _, i := range g {
		a := &in[i]
		for _, id := range a.IDs() {
			if id != "" {
				ids[strings.ToUpper(id)] = id
			}
		}
		m.Related = addNew(m.Related, seen.related, self, a.Related...)
		m.Sources = addNew(m.Sources, seen.sources, self, a.Sources...)
		if live && !a.Withdrawn.IsZero() {
			continue
		}
		if m.Summary == "" {
			m.Summary = a.Summary
		}
		if m.Details == "" {
			m.Details = a.Details
		}
		if m.DatabaseSeverity == "" {
			m.DatabaseSeverity = a.DatabaseSeverity
		}
		m.CWEs = addNew(m.CWEs, seen.cwes, self, a.CWEs...)
		m.Tags = addNew(m.Tags, seen.tags, self, a.Tags...)
		m.Severity = addNew(m.Severity, seen.vectors, func(c CVSS) string { return c.Vector }, a.Severity...)
		for _, af := range a.Affected {
			if af.Record == "" {
				af.Record = a.ID
			}
			m.Affected = append(m.Affected, af)
		}
		for _, c := range a.Configurations {
			if c.Record == "" {
				c.Record = a.ID
			}
			m.Configurations = append(m.Configurations, c)
		}
		m.References = addNew(m.References, seen.urls, func(r Reference) string { return r.URL }, a.References...)
		if !a.Published.IsZero() && (m.Published.IsZero() || a.Published.Before(m.Published)) {
			m.Published = a.Published
		}
		if a.Modified.After(m.Modified) {
			m.Modified = a.Modified
		}
		if !a.Withdrawn.IsZero() && a.Withdrawn.After(m.Withdrawn) {
			m.Withdrawn = a.Withdrawn
		}
		if a.EPSS != nil && (m.EPSS == nil || a.EPSS.Date.After(m.EPSS.Date)) {
			m.EPSS = a.EPSS
		}
		if a.KEV != nil && m.KEV == nil {
			m.KEV = a.KEV
		}
		m.Exploited = addNew(m.Exploited, seen.exploits, exploitKey, a.Exploited...)
	}
	keys := make([]string, 0, len(ids))
	for k := range ids {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	m.ID = ids[keys[0]]
	for _, k := range keys {
		if strings.HasPrefix(k, "CVE-") {
			m.ID = ids[k]
			break
		}
	}
	for _, k := range keys {
		if ids[k] != m.ID {
			m.Aliases = append(m.Aliases, ids[k])
		}
	}
	for i := range m.Affected {
		if m.Affected[i].Record == m.ID {
			m.Affected[i].Record = ""
		}
	}
	for i := range m.Configurations {
		if m.Configurations[i].Record == m.ID {
			m.Configurations[i].Record = ""
		}
	}
	return m
}

// addNew appends to dst the items of src whose key is not in seen, in
// order, and records their keys: one map look-up an item (scanning dst
// for each made merging two aliased records of 30 000 references take
// 6 s).
func addNew[T any, K comparable](dst []T, seen map[K]bool, key func(T) K, src ...T) []T {
	for _, s := range src {
		if k := key(s); !seen[k] {
			seen[k] = true
			dst = append(dst, s)
		}
	}
	return dst
}

func self[T any](v T) T { return v }

// AppendDistinct appends to dst the non-empty strings of src that neither
// dst nor an earlier element of src holds, in order, in time linear in
// both (feed readers use it for CWE ids and tags, whose lists a hostile
// record can make long).
func AppendDistinct(dst []string, src ...string) []string {
	seen := make(map[string]bool, len(dst)+len(src))
	for _, d := range dst {
		seen[d] = true
	}
	seen[""] = true
	return addNew(dst, seen, self, src...)
}

// exploitKey identifies an exploitation report: its source and reference.
func exploitKey(e Exploitation) [2]string { return [2]string{string(e.Source), e.Reference} }

// Enrich attaches EPSS scores and KEV entries, keyed by CVE id, to the
// advisories whose id or aliases name that CVE. A catalog entry replaces a
// KEV listing taken from a record (NVD's cisaExploitAdd, a CVE 5 ADP "kev"
// metric), which carries dates only: the catalog adds the vendor, product
// and known ransomware campaign use. The catalog's CWEs are added to the
// advisory's.
func Enrich(advs []Advisory, epss map[string]EPSS, kev map[string]KEV) {
	for i := range advs {
		for _, id := range advs[i].CVEs() {
			if e, ok := epss[id]; ok && advs[i].EPSS == nil {
				advs[i].EPSS = &e
			}
			if k, ok := kev[id]; ok && (advs[i].KEV == nil || advs[i].KEV.VendorProject == "" && k.VendorProject != "") {
				advs[i].KEV = &k
			}
			if k, ok := kev[id]; ok && len(k.CWEs) > 0 {
				advs[i].CWEs = AppendDistinct(advs[i].CWEs, k.CWEs...)
			}
		}
	}
}

// addExploitations appends the exploitation reports not yet in dst (one per
// source and reference).
func addExploitations(dst, src []Exploitation) []Exploitation {
	seen := make(map[[2]string]bool, len(dst))
	for _, e := range dst {
		seen[exploitKey(e)] = true
	}
	return addNew(dst, seen, exploitKey, src...)
}

// EnrichExploited attaches exploitation reports (EUVD, CSAF), keyed by CVE
// id, to the advisories whose id or aliases name that CVE.
func EnrichExploited(advs []Advisory, ex map[string][]Exploitation) {
	if len(ex) == 0 {
		return
	}
	for i := range advs {
		for _, id := range advs[i].CVEs() {
			advs[i].Exploited = addExploitations(advs[i].Exploited, ex[id])
		}
	}
}
