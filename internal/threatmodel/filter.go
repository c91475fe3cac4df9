package threatmodel

import (
	"fmt"
	"slices"
	"strings"
)

// ThreatFilter selects threats of a check; empty fields match everything.
type ThreatFilter struct {
	STRIDE   string // a STRIDE category
	Severity string // a severity
	Status   string // a status (tracking statuses such as in_progress included)
	Target   string // element or flow id
}

// Validate names the first field whose value can match nothing.
func (f ThreatFilter) Validate() error {
	if f.STRIDE != "" && !slices.Contains(STRIDECategories, f.STRIDE) {
		return fmt.Errorf("stride %q: use one of %s", f.STRIDE, strings.Join(STRIDECategories, ", "))
	}
	if f.Severity != "" && !slices.Contains(Severities, f.Severity) {
		return fmt.Errorf("severity %q: use one of %s", f.Severity, strings.Join(Severities, ", "))
	}
	return nil
}

// Match reports whether t passes the filter.
func (f ThreatFilter) Match(t *Threat) bool {
	return (f.STRIDE == "" || t.STRIDE == f.STRIDE) &&
		(f.Severity == "" || t.Severity == f.Severity) &&
		(f.Status == "" || t.Status == f.Status) &&
		(f.Target == "" || t.Target == f.Target)
}

// Filter returns the threats that pass f, in their order.
func (f ThreatFilter) Filter(ts []Threat) []Threat {
	out := make([]Threat, 0, len(ts))
	for i := range ts {
		if f.Match(&ts[i]) {
			out = append(out, ts[i])
		}
	}
	return out
}

// ThreatPage is one page of a filtered threat list.
type ThreatPage struct {
	Threats []Threat
	Total   int // threats that pass the filter
	Page    int // 1-based
	Pages   int
}

// PageOf returns page (1-based; clamped to the last page) of size threats.
func PageOf(ts []Threat, page, size int) ThreatPage {
	if size <= 0 {
		size = 50
	}
	p := ThreatPage{Total: len(ts), Pages: max(1, (len(ts)+size-1)/size)}
	p.Page = min(max(page, 1), p.Pages)
	lo := (p.Page - 1) * size
	p.Threats = ts[lo:min(lo+size, len(ts))]
	return p
}

// Prev is the previous page number, 0 on the first page.
func (p ThreatPage) Prev() int {
	if p.Page <= 1 {
		return 0
	}
	return p.Page - 1
}

// Next is the next page number, 0 on the last page.
func (p ThreatPage) Next() int {
	if p.Page >= p.Pages {
		return 0
	}
	return p.Page + 1
}
