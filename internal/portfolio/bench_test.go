package portfolio_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/rampart-security/rampart/internal/blob"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/sbom/sbomgen"
	"github.com/rampart-security/rampart/internal/scanners/reportgen"
	"github.com/rampart-security/rampart/internal/store"
)

// BenchmarkImport10kSQLite is the whole server-side import of a
// 10,000-component CycloneDX JSON SBOM: detect, schema-validate, decode,
// store the raw file and replace the release's components in one SQLite
// transaction. Target: under 1 s on 2 cores.
func BenchmarkImport10kSQLite(b *testing.B) {
	bom := generated(b, sbomgen.Write, 10000)
	ctx := context.Background()
	st := openStore(b)
	rel := ensureRelease(b, st, "Gateway", "1.0")
	b.SetBytes(int64(len(bom)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := portfolio.ImportSBOM(ctx, st, rel.ID, "bom-10k.cdx.json", bom)
		if err != nil || res.Components != 10000 {
			b.Fatalf("import: %v %+v", err, res)
		}
	}
}

// BenchmarkSearchPortfolio searches 1,000 releases × 500 components
// (500,000 components) for one component name, with and without a version
// range. Target: under 50 ms per query.
func BenchmarkSearchPortfolio(b *testing.B) {
	ctx := context.Background()
	st := openStore(b)
	if err := seedPortfolio(ctx, st, 1000, 500); err != nil {
		b.Fatal(err)
	}
	for _, q := range []inventory.SearchQuery{
		{Q: "openssl", Limit: 100},
		{Q: "openssl", Version: "3.0.x", Limit: 100},
		{Q: "pkg:generic/openssl@3.0", Limit: 100},
		{Q: "cpe:2.3:a:openssl:openssl:3.0", Limit: 100},
		{Q: "lib", Limit: 100},
	} {
		b.Run(fmt.Sprintf("q=%s,version=%s", q.Q, q.Version), func(b *testing.B) {
			for b.Loop() {
				hits, _, err := st.Search(ctx, q)
				if err != nil || len(hits) == 0 {
					b.Fatalf("search: %v %d", err, len(hits))
				}
			}
		})
	}
}

// seedPortfolio writes products × releases with n components each; every
// release ships one openssl whose version varies (3.0.x, 3.1.x, 1.1.1x).
func seedPortfolio(ctx context.Context, st *store.Store, releases, n int) error {
	for r := range releases {
		rel, err := st.EnsureRelease(ctx, fmt.Sprintf("Product %03d", r/10), fmt.Sprintf("%d.%d.0", r%10, r/10))
		if err != nil {
			return err
		}
		comps := make([]inventory.Component, n)
		for i := range comps {
			comps[i] = inventory.Component{Ref: fmt.Sprint(i), Name: fmt.Sprintf("lib%04d", i), Version: fmt.Sprintf("1.%d.%d", i%7, r%13),
				PURL: fmt.Sprintf("pkg:generic/lib%04d@1.%d.%d", i, i%7, r%13)}
		}
		ov := []string{"3.0.%d", "3.1.%d", "1.1.1%c"}[r%3]
		var v string
		if r%3 == 2 {
			v = fmt.Sprintf(ov, 'a'+r%20)
		} else {
			v = fmt.Sprintf(ov, r%15)
		}
		comps[0] = inventory.Component{Ref: "openssl", Name: "openssl", Version: v, PURL: "pkg:generic/openssl@" + v,
			CPEs: []string{"cpe:2.3:a:openssl:openssl:" + v + ":*:*:*:*:*:*:*"}}
		if err := st.ImportComponents(ctx, rel.ID, comps, blob.Blob{}); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkImportScan100k parses and imports 100,000 findings (generated
// SARIF and Nessus reports) into SQLite in one transaction: detection,
// streaming parse, fingerprint, reconciliation, risk score, batched insert.
// Target: under 10 s each on 2 cores.
func BenchmarkImportScan100k(b *testing.B) {
	for _, tc := range []struct {
		name string
		gen  func(io.Writer, int) error
	}{{"sarif", reportgen.SARIF}, {"nessus", reportgen.Nessus}} {
		b.Run(tc.name, func(b *testing.B) {
			report := generated(b, tc.gen, 100000)
			ctx := context.Background()
			st := openStore(b)
			b.SetBytes(int64(len(report)))
			i := 0
			for b.Loop() {
				i++ // a fresh release each time: the first import of a scope (all new)
				rel := ensureRelease(b, st, "Gateway", fmt.Sprint(i))
				res, err := portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: tc.name, Report: bytes.NewReader(report)})
				if err != nil || res.Findings == 0 {
					b.Fatalf("import: %v %+v", err, res)
				}
			}
		})
	}
}

// BenchmarkEnrichFindings100k enriches a release of 100,000 Nessus
// findings (1,000 distinct CVEs) from the vulnerability database: loading
// the findings, the KEV and EPSS records of their CVEs and rewriting those
// that change. "unchanged" is the re-enrichment after every re-match when
// no feed touched the release's CVEs.
func BenchmarkEnrichFindings100k(b *testing.B) {
	report := generated(b, reportgen.Nessus, 100000)
	ctx := context.Background()
	st := openStore(b)
	rel := ensureRelease(b, st, "Gateway", "1.0")
	if _, err := portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: "100k.nessus", Report: bytes.NewReader(report)}); err != nil {
		b.Fatal(err)
	}
	b.Run("unchanged", func(b *testing.B) {
		for b.Loop() {
			if err := portfolio.EnrichFindings(ctx, st, rel.ID, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
