package threatmodel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// IDChanges lists ids added, removed and changed between two versions.
type IDChanges struct {
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	Changed []string `json:"changed"`
}

// ThreatChange is a threat present in both versions whose status, severity
// or explanation changed.
type ThreatChange struct {
	ID     string `json:"id"`
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Diff is the difference between two versions of a model (for reviews and
// for the platform's version history).
type Diff struct {
	Elements   IDChanges `json:"elements"`
	Flows      IDChanges `json:"flows"`
	Boundaries IDChanges `json:"boundaries"`
	Assets     IDChanges `json:"assets"`
	Threats    struct {
		Added   []Threat       `json:"added"`
		Removed []Threat       `json:"removed"`
		Changed []ThreatChange `json:"changed"`
	} `json:"threats"`
}

// Empty reports whether nothing changed.
func (d *Diff) Empty() bool {
	n := func(c IDChanges) int { return len(c.Added) + len(c.Removed) + len(c.Changed) }
	return n(d.Elements)+n(d.Flows)+n(d.Boundaries)+n(d.Assets)+len(d.Threats.Added)+len(d.Threats.Removed)+len(d.Threats.Changed) == 0
}

func canon(v any) string {
	b, _ := json.Marshal(v) // positions are unexported and not compared
	return string(b)
}

// pairByID pairs the entries of two versions of a list by id: it returns
// the entries only in b (added, in b's order) and only in a (removed, in
// a's order), and calls both for each entry of b whose id is also in a
// (with a's last entry of that id).
func pairByID[T any](a, b []T, id func(*T) string, both func(old, cur *T)) (added, removed []T) {
	old := make(map[string]*T, len(a))
	for i := range a {
		old[id(&a[i])] = &a[i]
	}
	seen := make(map[string]bool, len(b))
	for i := range b {
		k := id(&b[i])
		seen[k] = true
		if o, ok := old[k]; ok {
			both(o, &b[i])
		} else {
			added = append(added, b[i])
		}
	}
	for i := range a {
		if !seen[id(&a[i])] {
			removed = append(removed, a[i])
		}
	}
	return added, removed
}

func compareIDs[T any](a, b []T, id func(*T) string) IDChanges {
	c := IDChanges{Added: []string{}, Removed: []string{}, Changed: []string{}}
	added, removed := pairByID(a, b, id, func(old, cur *T) {
		if canon(*old) != canon(*cur) {
			c.Changed = append(c.Changed, id(cur))
		}
	})
	for i := range added {
		c.Added = append(c.Added, id(&added[i]))
	}
	for i := range removed {
		c.Removed = append(c.Removed, id(&removed[i]))
	}
	sort.Strings(c.Added)
	sort.Strings(c.Removed)
	sort.Strings(c.Changed)
	return c
}

// Compare diffs two versions of a model and their check results (which may
// be nil to compare the models only).
func Compare(a *Model, ra *Result, b *Model, rb *Result) *Diff {
	d := &Diff{
		Elements:   compareIDs(a.Elements, b.Elements, func(e *Element) string { return e.ID }),
		Flows:      compareIDs(a.Flows, b.Flows, func(f *Flow) string { return f.ID }),
		Boundaries: compareIDs(a.Boundaries, b.Boundaries, func(x *Boundary) string { return x.ID }),
		Assets:     compareIDs(a.Assets, b.Assets, func(x *Asset) string { return x.ID }),
	}
	d.Threats.Added, d.Threats.Removed, d.Threats.Changed = []Threat{}, []Threat{}, []ThreatChange{}
	if ra == nil || rb == nil {
		return d
	}
	added, removed := pairByID(ra.Threats, rb.Threats, func(t *Threat) string { return t.ID }, func(o, t *Threat) {
		for _, f := range [][3]string{{"status", o.Status, t.Status}, {"severity", o.Severity, t.Severity}, {"why", o.Why, t.Why}} {
			if f[1] != f[2] {
				d.Threats.Changed = append(d.Threats.Changed, ThreatChange{ID: t.ID, Field: f[0], Before: f[1], After: f[2]})
			}
		}
	})
	d.Threats.Added = append(d.Threats.Added, added...)
	d.Threats.Removed = append(d.Threats.Removed, removed...)
	return d
}

// WriteDiff writes a diff as text.
func WriteDiff(w io.Writer, d *Diff) error {
	var b bytes.Buffer
	if d.Empty() {
		b.WriteString("no changes\n")
	}
	section := func(name string, c IDChanges) {
		for _, x := range [][2]any{{"+", c.Added}, {"-", c.Removed}, {"~", c.Changed}} {
			for _, id := range x[1].([]string) {
				fmt.Fprintf(&b, "%s %s %s\n", x[0], name, id)
			}
		}
	}
	section("element", d.Elements)
	section("flow", d.Flows)
	section("boundary", d.Boundaries)
	section("asset", d.Assets)
	for _, t := range d.Threats.Added {
		fmt.Fprintf(&b, "+ threat %s [%s, %s] %s\n", t.ID, t.Severity, t.Status, t.Title)
	}
	for _, t := range d.Threats.Removed {
		fmt.Fprintf(&b, "- threat %s [%s, %s] %s\n", t.ID, t.Severity, t.Status, t.Title)
	}
	for _, c := range d.Threats.Changed {
		fmt.Fprintf(&b, "~ threat %s %s: %s → %s\n", c.ID, c.Field, strings.TrimSpace(c.Before), strings.TrimSpace(c.After))
	}
	_, err := w.Write(b.Bytes())
	return err
}
