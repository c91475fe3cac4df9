package firmware

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/rampart-security/rampart/internal/findings"
)

// Change is one difference between two analysed images that matters for
// security. Change is one of added_issue, removed_issue, lost_hardening,
// new_component, changed_component, removed_component.
type Change struct {
	Change   string            `json:"change"`
	Kind     string            `json:"kind"`
	Severity findings.Severity `json:"severity"`
	Path     string            `json:"path"`
	Detail   string            `json:"detail"`
}

// DiffResult compares an old and a new image.
type DiffResult struct {
	Old     string   `json:"old"`
	New     string   `json:"new"`
	Changes []Change `json:"changes"`
}

func issueKey(is Issue) string {
	return fmt.Sprintf("%s|%s|%s|%d", is.Kind, is.Path, is.Account, is.Port)
}

// Diff reports what got worse (and what was fixed) from old to new: new
// issues (setuid binaries, secrets, open services …), binaries that lost
// hardening, and new, changed or removed components.
func Diff(old, cur *Result) DiffResult {
	d := DiffResult{Old: old.Image, New: cur.Image, Changes: []Change{}}
	oldIssues := map[string]Issue{}
	for _, is := range old.Issues {
		oldIssues[issueKey(is)] = is
	}
	newIssues := map[string]bool{}
	for _, is := range cur.Issues {
		k := issueKey(is)
		if newIssues[k] {
			continue
		}
		newIssues[k] = true
		if _, ok := oldIssues[k]; !ok {
			d.Changes = append(d.Changes, Change{Change: "added_issue", Kind: string(is.Kind), Severity: is.Severity, Path: is.Path, Detail: is.Detail})
		}
	}
	for k, is := range oldIssues {
		if !newIssues[k] {
			d.Changes = append(d.Changes, Change{Change: "removed_issue", Kind: string(is.Kind), Severity: findings.Info, Path: is.Path, Detail: "fixed: " + is.Detail})
		}
	}
	oldBins := map[string]Binary{}
	for _, b := range old.Binaries {
		oldBins[b.Path] = b
	}
	for _, b := range cur.Binaries {
		o, ok := oldBins[b.Path]
		if !ok {
			continue
		}
		var lost []string
		sev := findings.Low
		if o.NX && !b.NX {
			lost, sev = append(lost, "NX"), findings.High
		}
		if o.PIE && !b.PIE {
			lost, sev = append(lost, "PIE"), maxSev(sev, findings.Medium)
		}
		if relroRank(b.RELRO) < relroRank(o.RELRO) {
			lost, sev = append(lost, "RELRO "+o.RELRO+"→"+b.RELRO), maxSev(sev, findings.Medium)
		}
		if o.Canary && !b.Canary {
			lost, sev = append(lost, "stack canary"), maxSev(sev, findings.Medium)
		}
		if o.Fortify && !b.Fortify {
			lost = append(lost, "FORTIFY_SOURCE")
		}
		if len(lost) > 0 {
			d.Changes = append(d.Changes, Change{Change: "lost_hardening", Kind: "binary", Severity: sev, Path: b.Path, Detail: fmt.Sprintf("lost %v", lost)})
		}
	}
	oldComp := map[string]Component{}
	for _, c := range old.Components {
		oldComp[c.Name] = c
	}
	seen := map[string]bool{}
	for _, c := range cur.Components {
		seen[c.Name] = true
		o, ok := oldComp[c.Name]
		switch {
		case !ok:
			d.Changes = append(d.Changes, Change{Change: "new_component", Kind: c.Name, Severity: findings.Low, Path: c.Path, Detail: c.Name + " " + c.Version + " added"})
		case o.Version != c.Version:
			d.Changes = append(d.Changes, Change{Change: "changed_component", Kind: c.Name, Severity: findings.Info, Path: c.Path, Detail: c.Name + " " + o.Version + " → " + c.Version})
		}
	}
	for n, c := range oldComp {
		if !seen[n] {
			d.Changes = append(d.Changes, Change{Change: "removed_component", Kind: n, Severity: findings.Info, Path: c.Path, Detail: n + " " + c.Version + " removed"})
		}
	}
	slices.SortStableFunc(d.Changes, func(a, b Change) int { // worst first
		return cmp.Or(cmp.Compare(b.Severity.Rank(), a.Severity.Rank()), cmp.Compare(a.Change, b.Change), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Detail, b.Detail)) // a total order: removed issues and components come from maps
	})
	return d
}

func maxSev(a, b findings.Severity) findings.Severity {
	if b.Rank() > a.Rank() {
		return b
	}
	return a
}

func relroRank(s string) int {
	switch s {
	case "full":
		return 2
	case "partial":
		return 1
	}
	return 0
}

// AtOrAbove returns the changes at or above min that make things worse
// (removed issues and removed components never fail a gate).
func (d DiffResult) AtOrAbove(min findings.Severity) []Change {
	var out []Change
	for _, c := range d.Changes {
		if c.Change == "removed_issue" || c.Change == "removed_component" {
			continue
		}
		if c.Severity.Rank() >= min.Rank() {
			out = append(out, c)
		}
	}
	return out
}
