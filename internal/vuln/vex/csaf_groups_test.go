package vex

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/advisory/csaf"
	"github.com/rampart-security/rampart/internal/vuln"
)

// expandEachReference is the expansion scopeNotes replaced: every flag,
// threat and remediation expanded its groups and wrote each product it
// named. It is the reference the tests compare the reader with.
func expandEachReference(v *csaf.Vulnerability, groups map[string][]string, _ func(string) bool) (just, impact, action map[string]string) {
	expand := func(pids, gids []string) []string {
		out := append([]string(nil), pids...)
		for _, g := range gids {
			out = append(out, groups[g]...)
		}
		return out
	}
	just, impact = map[string]string{}, map[string]string{}
	steps := map[string]*strings.Builder{}
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
			if steps[p] == nil {
				steps[p] = &strings.Builder{}
			}
			addDetails(steps[p], r.Details)
		}
	}
	action = map[string]string{}
	for p, b := range steps {
		action[p] = b.String()
	}
	return just, impact, action
}

// randomCSAF is a small document whose flags, threats and remediations name
// products and groups at random: repeated, unknown, unidentified (no purl
// version), groups listing a product twice, a group id defined twice.
func randomCSAF(r *rand.Rand) []byte {
	pick := func(names []string, n int) []string {
		var out []string
		for range r.IntN(n + 1) {
			out = append(out, names[r.IntN(len(names))])
		}
		return out
	}
	var pids, gids []string
	pt := &csaf.ProductTree{}
	for i := range 8 {
		id := fmt.Sprintf("p%d", i)
		pids = append(pids, id)
		fp := csaf.FullProductName{Name: "p", ProductID: id}
		switch r.IntN(3) {
		case 0:
			fp.ProductIdentificationHelper = &csaf.ProductIdentificationHelper{PURL: fmt.Sprintf("pkg:npm/p%d@1.%d", i, i)}
		case 1:
			fp.ProductIdentificationHelper = &csaf.ProductIdentificationHelper{CPE: fmt.Sprintf("cpe:2.3:a:v:p%d:1:*:*:*:*:*:*:*", i)}
		}
		pt.FullProductNames = append(pt.FullProductNames, fp)
	}
	pids = append(pids, "unknown")
	for i := range 5 {
		gids = append(gids, fmt.Sprintf("g%d", i))
	}
	for range 6 {
		pt.ProductGroups = append(pt.ProductGroups, csaf.ProductGroup{GroupID: gids[r.IntN(len(gids)-1)], ProductIDs: pick(pids, 6)})
	}
	texts := []string{"", "  ", "a", " b  ", "c d", "e\n"}
	doc := csaf.Document{Document: csaf.DocumentMeta{CSAFVersion: "2.0"}, ProductTree: pt}
	for i := range 1 + r.IntN(3) {
		v := csaf.Vulnerability{CVE: fmt.Sprintf("CVE-2024-%d", i), ProductStatus: &csaf.ProductStatus{
			KnownNotAffected: pick(pids, 4), Fixed: pick(pids, 3), KnownAffected: pick(pids, 3), UnderInvestigation: pick(pids, 2)}}
		for range r.IntN(5) {
			v.Flags = append(v.Flags, csaf.Flag{Label: texts[r.IntN(len(texts))], ProductIDs: pick(pids, 3), GroupIDs: pick(gids, 3)})
		}
		for range r.IntN(5) {
			v.Threats = append(v.Threats, csaf.Threat{Category: []string{"impact", "exploit_status"}[r.IntN(2)], Details: texts[r.IntN(len(texts))],
				ProductIDs: pick(pids, 3), GroupIDs: pick(gids, 3)})
		}
		for range r.IntN(6) {
			v.Remediations = append(v.Remediations, csaf.Remediation{Category: "vendor_fix", Details: texts[r.IntN(len(texts))],
				ProductIDs: pick(pids, 3), GroupIDs: pick(gids, 3)})
		}
		doc.Vulnerabilities = append(doc.Vulnerabilities, v)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return data
}

// TestCSAFNotesAsExpandedEachReference: on random documents the reader
// gives the statements the per-reference expansion gave.
func TestCSAFNotesAsExpandedEachReference(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 2026))
	notes := 0
	for i := range 5000 {
		data := randomCSAF(r)
		got, err := ParseCSAF(data, "r.json")
		if err != nil {
			t.Fatal(err)
		}
		want, err := parseCSAF(data, "r.json", expandEachReference)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("document %d %s:\n got %+v\nwant %+v", i, data, got, want)
		}
		for _, s := range got {
			if s.Justification != "" || s.ImpactStatement != "" || s.ActionStatement != "" {
				notes++
			}
		}
	}
	if notes < 1000 {
		t.Fatalf("only %d statements with a note: the documents do not exercise the expansion", notes)
	}
}

// hostileGroups is 2,000 products, a group of all of them and 2,000 groups
// of one, named by 2,000 flags, 2,000 impact threats and 2,000 remediations
// with blank details, each naming the big group and one small one: about
// 280 KB that the per-reference expansion made 12 million product writes.
func hostileGroups() []byte {
	const n = 2000
	var b strings.Builder
	b.WriteString(`{"document":{"csaf_version":"2.0"},"product_tree":{"full_product_names":[`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"product_id":"p%d","name":"p","product_identification_helper":{"purl":"pkg:npm/p%d@1.0.0"}}`, i, i)
	}
	all := make([]string, n)
	for i := range n {
		all[i] = fmt.Sprintf(`"p%d"`, i)
	}
	b.WriteString(`],"product_groups":[{"group_id":"all","product_ids":[` + strings.Join(all, ",") + `]}`)
	for i := range n {
		fmt.Fprintf(&b, `,{"group_id":"g%d","product_ids":["p%d"]}`, i, i)
	}
	b.WriteString(`]},"vulnerabilities":[{"cve":"CVE-2024-1","product_status":{"known_not_affected":[` + strings.Join(all, ",") + `]}`)
	for _, kind := range []string{`"flags"`, `"threats"`, `"remediations"`} {
		b.WriteString(`,` + kind + `:[`)
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			switch kind {
			case `"flags"`:
				fmt.Fprintf(&b, `{"label":"component_not_present","group_ids":["all","g%d"]}`, i)
			case `"threats"`:
				fmt.Fprintf(&b, `{"category":"impact","details":"no %d","group_ids":["all","g%d"]}`, i, i)
			default:
				fmt.Fprintf(&b, `{"category":"none_available","details":" ","group_ids":["all","g%d"]}`, i)
			}
		}
		b.WriteString(`]`)
	}
	b.WriteString(`}]}`)
	return []byte(b.String())
}

// TestCSAFGroupsExpandedOnce: the hostile document costs about what
// decoding it costs. The per-reference expansion allocated 12 million
// product ids (about 200 MB) on top of the decoding.
func TestCSAFGroupsExpandedOnce(t *testing.T) {
	data := hostileGroups()
	var doc csaf.Document
	decode := measure(func() {
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
	})
	var st []vuln.VEXStatement
	parse := measure(func() {
		var err error
		if st, err = ParseCSAF(data, "hostile.json"); err != nil {
			t.Fatal(err)
		}
	})
	if len(st) != 2000 || st[0].Justification != "component_not_present" || st[0].ImpactStatement != "no 1999" || st[0].ActionStatement != "" {
		t.Fatalf("%d statements, first %+v", len(st), st[0])
	}
	// The statements, the product index and the notes of 2,000 products
	// are a few MB, about what the decoding allocates (7 MB against 3.7 MB).
	t.Logf("parsing allocated %d bytes in %d allocations, decoding alone %d in %d", parse.bytes, parse.allocs, decode.bytes, decode.allocs)
	if parse.bytes > 2*decode.bytes+4<<20 || parse.allocs > 3*decode.allocs+100_000 {
		t.Fatalf("parsing allocated %d bytes in %d allocations, decoding alone %d in %d", parse.bytes, parse.allocs, decode.bytes, decode.allocs)
	}
}

type cost struct{ bytes, allocs uint64 }

// measure is what fn allocates, from runtime.MemStats.
func measure(fn func()) cost {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return cost{after.TotalAlloc - before.TotalAlloc, after.Mallocs - before.Mallocs}
}

// BenchmarkCSAFHostileGroups: the document of TestCSAFGroupsExpandedOnce;
// /reference is the per-reference expansion it replaced.
func BenchmarkCSAFHostileGroups(b *testing.B) {
	data := hostileGroups()
	for _, c := range []struct {
		name  string
		notes notesFunc
	}{{"reader", scopeNotes}, {"reference", expandEachReference}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parseCSAF(data, "hostile.json", c.notes); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
