package vex

import (
	"encoding/json"
	"fmt"
	"strings"
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
	var doc csaf.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, &vuln.ParseError{File: name, Err: fmt.Errorf("csaf: %w", err)}
	}
	if doc.Document.CSAFVersion == "" {
		return nil, &vuln.ParseError{File: name, Err: fmt.Errorf("csaf: no /document/csaf_version")}
	}
	ident := map[string]string{} // product id → purl@version or CPE
	helperOf := func(p *csaf.FullProductName) string {
		h := p.ProductIdentificationHelper
		if h == nil {
			return ""
		}
		if h.PURL != "" {
			if pu, err := packageurl.FromString(h.PURL); err == nil && pu.Version != "" {
				return h.PURL
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
	expand := func(pids, gids []string) []string {
		out := append([]string(nil), pids...)
		for _, g := range gids {
			out = append(out, groups[g]...)
		}
		return out
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
		just, impact := map[string]string{}, map[string]string{}
		action := map[string]*strings.Builder{}
		for _, f := range v.Flags {
			for _, p := range expand(f.ProductIDs, f.GroupIDs) {
				just[p] = f.Label
			}
		}
		for _, t := range v.Threats {
			if t.Category == "impact" {
				for _, p := range expand(t.ProductIDs, t.GroupIDs) {
					impact[p] = t.Details
				}
			}
		}
		for _, r := range v.Remediations {
			for _, p := range expand(r.ProductIDs, r.GroupIDs) {
				if action[p] == nil {
					action[p] = &strings.Builder{}
				}
				addDetails(action[p], r.Details)
			}
		}
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
					var act string
					if b := action[pid]; b != nil {
						act = b.String()
					}
					for _, id := range ids {
						out = append(out, vuln.VEXStatement{VulnID: id, Product: product, Status: s.status, Justification: just[pid],
							ImpactStatement: impact[pid], ActionStatement: act, Source: name})
					}
				}
			}
		}
	}
	return out, nil
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
