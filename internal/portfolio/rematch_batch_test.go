package portfolio_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/blob"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/vuln"
)

// TestRematchBatches: re-matching a release that MatchRelease reads in
// batches (here of 1 and 3 components) stores the same matches as one
// batch holding the whole release: a "running on" platform in another
// batch, an OSV package match, kernel duplicates in different batches.
func TestRematchBatches(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel := ensureRelease(t, st, "Router", "1.0")
		comps := []inventory.Component{
			{Ref: "dnsmasq", Name: "dnsmasq", Version: "2.85", CPEs: []string{"cpe:2.3:a:thekelleys:dnsmasq:2.85:*:*:*:*:*:*:*"}},
			{Ref: "gin", Name: "gin", Version: "v1.9.0", PURL: "pkg:golang/github.com/gin-gonic/gin@v1.9.0"},
			{Ref: "k1", Name: "linux", Version: "5.10.100", CPEs: []string{"cpe:2.3:o:linux:linux_kernel:5.10.100:*:*:*:*:*:*:*"}},
		}
		for i := 0; i < 5; i++ {
			comps = append(comps, inventory.Component{Ref: fmt.Sprintf("lib%d", i), Name: fmt.Sprintf("lib%d", i), Version: "1", PURL: fmt.Sprintf("pkg:generic/lib%d@1", i)})
		}
		comps = append(comps, inventory.Component{Ref: "k2", Name: "linux", Version: "5.10.100", CPEs: []string{"cpe:2.3:o:linux:linux_kernel:5.10.100:*:*:*:*:*:*:*"}})
		if err := st.ImportComponents(ctx, rel.ID, comps, blob.Blob{}); err != nil {
			t.Fatal(err)
		}
		kernel := vuln.CPEMatch{Vulnerable: false, Criteria: "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", VersionEndExcluding: "5.0"}
		advs := []vuln.Advisory{
			{ID: "CVE-2099-0001", Summary: "dnsmasq on any kernel", Configurations: []vuln.Configuration{{Operator: "AND", Nodes: []vuln.Node{
				{Matches: []vuln.CPEMatch{{Vulnerable: true, Criteria: "cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*", VersionEndExcluding: "2.90"}}},
				{Matches: []vuln.CPEMatch{{Vulnerable: false, Criteria: "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*"}}}}}}},
			{ID: "CVE-2099-0002", Summary: "dnsmasq on an old kernel", Configurations: []vuln.Configuration{{Operator: "AND", Nodes: []vuln.Node{
				{Matches: []vuln.CPEMatch{{Vulnerable: true, Criteria: "cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*", VersionEndExcluding: "2.90"}}},
				{Matches: []vuln.CPEMatch{kernel}}}}}},
			{ID: "CVE-2099-0003", Summary: "kernel", Configurations: []vuln.Configuration{{Nodes: []vuln.Node{{Matches: []vuln.CPEMatch{{Vulnerable: true,
				Criteria: "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", VersionEndExcluding: "5.10.200"}}}}}}},
			{ID: "GO-2099-0004", Aliases: []string{"CVE-2099-0004"}, Affected: []vuln.Affected{{Ecosystem: "Go", Name: "github.com/gin-gonic/gin",
				Ranges: []vuln.Range{{Type: vuln.RangeSemver, Events: []vuln.Event{{Introduced: "0"}, {Fixed: "1.9.1"}}}}}}},
		}
		if _, err := st.ImportAdvisories(ctx, advs, nil, nil, nil, vuln.FeedImport{Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		vulns := portfolio.NewVulns(st, nil)
		state := func(batch int) string {
			t.Helper()
			defer portfolio.SetMatchBatch(batch)()
			if _, err := vulns.Rematch(ctx, rel.ID); err != nil {
				t.Fatal(err)
			}
			rvs, err := st.ReleaseVulns(ctx, rel.ID)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, rv := range rvs {
				fmt.Fprintf(&b, "%s %s %s\n", rv.ComponentRef, rv.VulnID, rv.Reason)
			}
			return b.String()
		}
		want := state(10000)
		if !strings.Contains(want, "dnsmasq CVE-2099-0001") || strings.Contains(want, "CVE-2099-0002") || !strings.Contains(want, "gin GO-2099-0004") ||
			!strings.Contains(want, "k1 CVE-2099-0003") || strings.Contains(want, "k2 CVE-2099-0003") {
			t.Fatalf("whole release:\n%s", want)
		}
		for _, n := range []int{1, 3} {
			if got := state(n); got != want {
				t.Errorf("batches of %d:\n%s\nwant:\n%s", n, got, want)
			}
		}
	})
}
