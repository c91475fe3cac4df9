package csaf

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestMarkAsExpandedEachReference: on random groups and statements, mark
// (each group once) and expand (a repeated group once) name the products
// the per-reference expansion named: the same set, and for 6.1.33 the same
// ids in the same order once repeats are dropped.
func TestMarkAsExpandedEachReference(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 2026))
	pick := func(prefix string, n, most int) []string {
		var out []string
		for range r.IntN(most + 1) {
			out = append(out, fmt.Sprintf("%s%d", prefix, r.IntN(n)))
		}
		return out
	}
	for range 5000 {
		c := &checker{groups: map[string][]string{}}
		for range r.IntN(6) {
			g := fmt.Sprintf("g%d", r.IntN(4))
			c.groups[g] = append(c.groups[g], pick("p", 8, 5)...)
		}
		m, want := newMarks(), map[string]bool{}
		for range r.IntN(6) {
			pids, gids := pick("p", 8, 3), pick("g", 5, 4)
			c.mark(m, pids, gids)
			old := append([]string(nil), pids...)
			for _, g := range gids {
				old = append(old, c.groups[g]...)
			}
			for _, id := range old {
				want[id] = true
			}
			if got := uniq(c.expand(pids, gids)); !reflect.DeepEqual(got, uniq(old)) {
				t.Fatalf("expand(%q, %q) = %q, want %q", pids, gids, got, uniq(old))
			}
		}
		if !reflect.DeepEqual(m.products, want) {
			t.Fatalf("groups %q: marked %v, want %v", c.groups, m.products, want)
		}
	}
}

// TestGroupsMarkedOnce: a VEX document whose 2,000 impact threats and 2,000
// remediations each name a group of 2,000 products (and a group of one)
// is checked in 15 MB; the per-reference expansion copied 12 million
// product ids (about 400 MB allocated) for 6.1.27.9, 6.1.27.10 and 6.2.2.
func TestGroupsMarkedOnce(t *testing.T) {
	const n = 2000
	pt := &ProductTree{}
	all := make([]string, n)
	for i := range n {
		all[i] = fmt.Sprintf("p%d", i)
		pt.FullProductNames = append(pt.FullProductNames, FullProductName{Name: "p", ProductID: all[i]})
	}
	pt.ProductGroups = append(pt.ProductGroups, ProductGroup{GroupID: "all", ProductIDs: all})
	v := Vulnerability{CVE: "CVE-2024-1", ProductStatus: &ProductStatus{KnownAffected: all[:n/2], KnownNotAffected: all[n/2:]}}
	for i := range n {
		g := fmt.Sprintf("g%d", i)
		pt.ProductGroups = append(pt.ProductGroups, ProductGroup{GroupID: g, ProductIDs: all[i : i+1]})
		v.Threats = append(v.Threats, Threat{Category: "impact", Details: "none", GroupIDs: []string{"all", g}})
		v.Remediations = append(v.Remediations, Remediation{Category: "vendor_fix", Details: "upgrade", GroupIDs: []string{"all", g}})
	}
	doc := &Document{Document: DocumentMeta{Category: "csaf_vex", CSAFVersion: "2.0", Title: "t"}, ProductTree: pt, Vulnerabilities: []Vulnerability{v}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fs := Check(doc)
	runtime.ReadMemStats(&after)
	for _, f := range fs {
		if f.Test == "6.1.27.9" || f.Test == "6.1.27.10" || f.Test == "6.2.2" {
			t.Fatalf("%s %s: %s", f.Test, f.Path, f.Message)
		}
	}
	bytes := after.TotalAlloc - before.TotalAlloc
	t.Logf("Check allocated %d bytes in %d allocations", bytes, after.Mallocs-before.Mallocs)
	if bytes > 32<<20 {
		t.Fatalf("Check allocated %d bytes", bytes)
	}
}

// flaggedTwice is a VEX document of n products in one group and n
// justification flags each naming the group: every product has n-1 flags
// too many, so 6.1.33 fails n*(n-1) times.
func flaggedTwice(n int) *Document {
	pt := &ProductTree{}
	all := make([]string, n)
	for i := range n {
		all[i] = fmt.Sprintf("p%d", i)
		pt.FullProductNames = append(pt.FullProductNames, FullProductName{Name: "p", ProductID: all[i]})
	}
	pt.ProductGroups = []ProductGroup{{GroupID: "all", ProductIDs: all}}
	v := Vulnerability{CVE: "CVE-2024-1", ProductStatus: &ProductStatus{KnownNotAffected: all}}
	for range n {
		v.Flags = append(v.Flags, Flag{Label: "component_not_present", GroupIDs: []string{"all"}})
	}
	return &Document{Document: DocumentMeta{Category: "csaf_vex", CSAFVersion: "2.0", Title: "t"}, ProductTree: pt, Vulnerabilities: []Vulnerability{v}}
}

func failuresOf(fs []Failure, test string) []Failure {
	var out []Failure
	for _, f := range fs {
		if f.Test == test {
			out = append(out, f)
		}
	}
	return out
}

// A test fails at most MaxFailuresPerTest times in the list; the rest are
// counted in one more failure of the test, so a hostile document cannot make
// the result (and the memory behind it) as large as its failures.
func TestFailuresBoundedPerTest(t *testing.T) {
	if got := len(failuresOf(Check(flaggedTwice(10)), "6.1.33")); got != 10*9 {
		t.Fatalf("10 products flagged 10 times: %d failures of 6.1.33, want 90", got)
	}
	const n = 400 // 159,600 failures
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fs := failuresOf(Check(flaggedTwice(n)), "6.1.33")
	runtime.ReadMemStats(&after)
	if len(fs) != MaxFailuresPerTest+1 {
		t.Fatalf("%d failures of 6.1.33 listed, want %d and one that counts the rest", len(fs), MaxFailuresPerTest+1)
	}
	last := fs[len(fs)-1]
	want := fmt.Sprintf("%d more failures of test 6.1.33 are not listed", n*(n-1)-MaxFailuresPerTest)
	if last.Kind != Mandatory || last.Path != "" || !strings.Contains(last.Message, want) {
		t.Errorf("last failure %+v, want a mandatory one at the root: %s", last, want)
	}
	if bytes := after.TotalAlloc - before.TotalAlloc; bytes > 32<<20 {
		t.Errorf("Check allocated %d bytes", bytes)
	}
	res := newResult(Check(flaggedTwice(n)))
	if res.Valid {
		t.Error("a document failing a mandatory test past the bound is valid")
	}
}

// TestEntriesNameProducts (6.1.29, 6.1.32): a remediation or a flag that
// names neither product_ids nor group_ids fails at its own path; one that
// names a group passes.
func TestEntriesNameProducts(t *testing.T) {
	d := flaggedTwice(2)
	d.Vulnerabilities[0].Flags = append(d.Vulnerabilities[0].Flags, Flag{Label: "component_not_present"})
	d.Vulnerabilities[0].Remediations = []Remediation{{Category: "workaround", Details: "d", GroupIDs: []string{"all"}}, {Category: "workaround", Details: "d"}}
	fs := Check(d)
	for _, c := range []struct{ test, path, msg string }{
		{"6.1.29", "/vulnerabilities/0/remediations/1", "remediation names no product_ids or group_ids"},
		{"6.1.32", "/vulnerabilities/0/flags/2", "flag names no product_ids or group_ids"},
	} {
		got := failuresOf(fs, c.test)
		if len(got) != 1 || got[0].Path != c.path || got[0].Message != c.msg {
			t.Errorf("%s: %+v, want one failure at %s: %s", c.test, got, c.path, c.msg)
		}
	}
}
