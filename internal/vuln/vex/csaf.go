package vex

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/package-url/packageurl-go"

	"github.com/rampart-security/rampart/internal/advisory/csaf"
	"github.com/rampart-security/rampart/internal/vuln"
)

// ParseCSAF reads a CSAF 2.0 document (VEX profile or a security advisory
// with product_status) as statements. A statement names the exact
// component: the purl with its version (or the CPE) of the product, or, for a
// relationship product ("component X in release Y"), of the component it
// refers to. Products identified by neither are skipped: a supplier's
// statement never applies by vulnerability id alone.
func ParseCSAF(data []byte, name string) ([]vuln.VEXStatement, error) {
	return parseCSAF(data, name, scopeNotes)
}

// notesFunc is scopeNotes; the tests pass the expansion it replaced.
type notesFunc func(v *csaf.Vulnerability, groups map[string][]string, wanted func(string) bool) (just, impact, action map[string]string)

func parseCSAF(data []byte, name string, notesOf notesFunc) ([]vuln.VEXStatement, error) {
	var doc csaf.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, &vuln.ParseError{File: name, Err: fmt.Errorf("csaf: %w", err)}
	}
	if doc.Document.CSAFVersion == "" {
		return nil, &vuln.ParseError{File: name, Err: fmt.Errorf("csaf: no /document/csaf_version")}
	}
	when, err := csafTime(&doc.Document.Tracking, name)
	if err != nil {
		return nil, err
	}
	ident := map[string]string{} // product id → purl@version or CPE
	helperOf := func(p *csaf.FullProductName) string {
		h := p.ProductIdentificationHelper
		if h == nil {
			return ""
		}
		// CSAF 2.0 has one purl, CSAF 2.1 a list (purls): the first with a
		// version names the component.
		for _, p := range append([]string{h.PURL}, h.PURLs...) {
			if pu, err := packageurl.FromString(p); p != "" && err == nil && pu.Version != "" {
				return p
			}
		}
		return h.CPE
	}
	groups := map[string][]string{}
	if pt := doc.ProductTree; pt != nil {
		pt.WalkBranches(func(_ string, b *csaf.Branch) {
			if b.Product != nil {
				ident[b.Product.ProductID] = helperOf(b.Product)
			}
		})
		for i := range pt.FullProductNames {
			ident[pt.FullProductNames[i].ProductID] = helperOf(&pt.FullProductNames[i])
		}
		// Relationship products take the identity of their component.
		for range 2 {
			for i := range pt.Relationships {
				r := &pt.Relationships[i]
				if id := helperOf(&r.FullProductName); id != "" {
					ident[r.FullProductName.ProductID] = id
				} else if ident[r.ProductReference] != "" {
					ident[r.FullProductName.ProductID] = ident[r.ProductReference]
				}
			}
		}
		for _, g := range pt.ProductGroups {
			groups[g.GroupID] = g.ProductIDs
		}
	}
	var out []vuln.VEXStatement
	for vi, v := range doc.Vulnerabilities {
		var ids []string
		if v.CVE != "" {
			ids = append(ids, v.CVE)
		}
		for _, x := range v.IDs {
			ids = append(ids, x.Text)
		}
		if len(ids) == 0 || v.ProductStatus == nil {
			continue
		}
		just, impact, action := notesOf(&v, groups, func(pid string) bool { return ident[pid] != "" })
		ps := v.ProductStatus
		statuses := []struct {
			status vuln.VEXStatus
			lists  [][]string
		}{
			{vuln.VEXNotAffected, [][]string{ps.KnownNotAffected}},
			{vuln.VEXFixed, [][]string{ps.Fixed, ps.FirstFixed}},
			{vuln.VEXAffected, [][]string{ps.KnownAffected, ps.FirstAffected, ps.LastAffected}},
			{vuln.VEXUnderInvestigation, [][]string{ps.UnderInvestigation}},
		}
		n := 0 // the statements this vulnerability stands for
		for _, s := range statuses {
			for _, list := range s.lists {
				for _, pid := range list {
					if ident[pid] != "" {
						n += len(ids)
					}
				}
			}
		}
		if len(out)+n > MaxStatements {
			return nil, tooMany(name, fmt.Sprintf("vulnerabilities[%d].product_status", vi))
		}
		for _, s := range statuses {
			for _, list := range s.lists {
				for _, pid := range list {
					product := ident[pid]
					if product == "" {
						continue
					}
					act := action[pid]
					for _, id := range ids {
						out = append(out, vuln.VEXStatement{VulnID: id, Product: product, Status: s.status, Justification: just[pid],
							ImpactStatement: impact[pid], ActionStatement: act, Source: name, Timestamp: when})
					}
				}
			}
		}
	}
	return out, nil
}

// statementTime reads a VEX date-time: RFC 3339 as the formats require,
// and the near misses tools write (no zone, read as UTC; a zone without a
// colon; a bare date), so that a statement's place in time is not lost to
// its spelling. Anything else is an error naming the field.
func statementTime(s string) (time.Time, bool) {
	return vuln.ParseTime(strings.TrimSpace(s), time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999", "2006-01-02")
}

// csafTime is the time of a CSAF document's statements: CSAF gives none
// per statement, so /document/tracking/current_release_date (the date of
// the current version), else the latest revision_history date. Zero when
// the document has neither.
func csafTime(t *csaf.Tracking, name string) (time.Time, error) {
	if t.CurrentReleaseDate != "" {
		w, ok := statementTime(t.CurrentReleaseDate)
		if !ok {
			return time.Time{}, vuln.Errorf(name, "/document/tracking/current_release_date", "%q is not an RFC 3339 date-time", t.CurrentReleaseDate)
		}
		return w, nil
	}
	var latest time.Time
	for i, r := range t.RevisionHistory {
		w, ok := statementTime(r.Date)
		if !ok {
			return time.Time{}, vuln.Errorf(name, fmt.Sprintf("/document/tracking/revision_history/%d/date", i), "%q is not an RFC 3339 date-time", r.Date)
		}
		if w.After(latest) {
			latest = w
		}
	}
	return latest, nil
}

// A note is what a flag, threat or remediation says of the products it names:
// the text, and its position in the vulnerability's list.
type note struct {
	at   int
	text string
}

// scopeNotes returns, for each product of the vulnerability that wanted
// accepts, the label of the last flag naming it, the details of the last
// impact threat naming it and its remediations' details joined in order (a
// remediation counted once per time it names the product, directly or
// through its groups), as expanding every flag, threat and remediation
// and writing each product it names did. Each group a vulnerability names
// is expanded once however many of them name it, instead of once per
// reference: 2,000 flags of a group of 2,000 products were 4 million
// writes.
func scopeNotes(v *csaf.Vulnerability, groups map[string][]string, wanted func(string) bool) (just, impact, action map[string]string) {
	type ref struct{ flag, threat int } // the last flag and impact threat naming a group, +1
	refs := map[string]*ref{}
	rems := map[string][]note{} // a group's remediations, in order, once per time each names it
	refOf := func(g string) *ref {
		if refs[g] == nil {
			refs[g] = &ref{}
		}
		return refs[g]
	}
	last := func(best map[string]note, at int, text string, pids []string) {
		for _, p := range pids {
			if wanted(p) {
				best[p] = note{at, text}
			}
		}
	}
	flags, threats := map[string]note{}, map[string]note{}
	for i, f := range v.Flags {
		last(flags, i+1, f.Label, f.ProductIDs)
		for _, g := range f.GroupIDs {
			refOf(g).flag = i + 1
		}
	}
	for i, t := range v.Threats {
		if t.Category == "impact" {
			last(threats, i+1, t.Details, t.ProductIDs)
			for _, g := range t.GroupIDs {
				refOf(g).threat = i + 1
			}
		}
	}
	steps := map[string][]note{} // a product's remediations, in order within each source
	for i, r := range v.Remediations {
		if strings.TrimSpace(r.Details) == "" {
			continue // adds nothing to an action
		}
		for _, p := range r.ProductIDs {
			if wanted(p) {
				steps[p] = append(steps[p], note{i, r.Details})
			}
		}
		for _, g := range r.GroupIDs {
			refOf(g)
			rems[g] = append(rems[g], note{i, r.Details})
		}
	}
	later := func(best map[string]note, p string, at int, text string) {
		if at > best[p].at {
			best[p] = note{at, text}
		}
	}
	mixed := map[string]bool{} // products whose steps came from more than one source, out of order
	for g, r := range refs {
		for _, p := range groups[g] {
			if !wanted(p) {
				continue
			}
			if r.flag > 0 {
				later(flags, p, r.flag, v.Flags[r.flag-1].Label)
			}
			if r.threat > 0 {
				later(threats, p, r.threat, v.Threats[r.threat-1].Details)
			}
			if len(rems[g]) > 0 {
				mixed[p] = mixed[p] || len(steps[p]) > 0
				steps[p] = append(steps[p], rems[g]...)
			}
		}
	}
	just, impact, action = map[string]string{}, map[string]string{}, map[string]string{}
	for p, n := range flags {
		just[p] = n.text
	}
	for p, n := range threats {
		impact[p] = n.text
	}
	for p, s := range steps {
		if mixed[p] {
			slices.SortStableFunc(s, func(a, b note) int { return cmp.Compare(a.at, b.at) })
		}
		var b strings.Builder
		for _, n := range s {
			addDetails(&b, n.text)
		}
		action[p] = b.String()
	}
	return just, impact, action
}

// addDetails appends a remediation's details to a product's action as
// strings.TrimSpace(action + " " + details) did, without copying the
// action each time (a product named by many remediations made that
// quadratic).
func addDetails(b *strings.Builder, details string) {
	switch d := strings.TrimRightFunc(details, unicode.IsSpace); {
	case strings.TrimSpace(d) == "":
	case b.Len() == 0:
		b.WriteString(strings.TrimSpace(d))
	default:
		b.WriteString(" ")
		b.WriteString(d)
	}
}
