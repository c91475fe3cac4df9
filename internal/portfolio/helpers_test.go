package portfolio_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/rampart-security/rampart/internal/blob"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
)

// openStore opens a SQLite store in a temporary folder, closed when the
// test or benchmark ends.
func openStore(tb testing.TB) *store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), store.Config{DataDir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// ensureRelease returns release version of the product named product,
// creating both when they do not exist yet, and stops the test when it
// cannot.
func ensureRelease(tb testing.TB, st *store.Store, product, version string) inventory.Release {
	tb.Helper()
	rel, err := st.EnsureRelease(context.Background(), product, version)
	if err != nil {
		tb.Fatal(err)
	}
	return rel
}

// releaseWith is ensureRelease with the components comps imported.
func releaseWith(tb testing.TB, st *store.Store, product, version string, comps ...inventory.Component) inventory.Release {
	tb.Helper()
	rel := ensureRelease(tb, st, product, version)
	if err := st.ImportComponents(context.Background(), rel.ID, comps, blob.Blob{}); err != nil {
		tb.Fatal(err)
	}
	return rel
}

// importFeeds imports the vulnerability feed files paths and re-matches the
// portfolio, as a feed update does.
func importFeeds(t *testing.T, st *store.Store, paths ...string) {
	t.Helper()
	ctx := context.Background()
	if _, err := portfolio.ImportFeeds(ctx, st, "test", paths...); err != nil {
		t.Fatal(err)
	}
	if _, err := portfolio.NewVulns(st, nil).RematchAll(ctx); err != nil {
		t.Fatal(err)
	}
}

// findingsBy returns the findings of release rel (up to 500) by key.
func findingsBy[K comparable](t *testing.T, st *store.Store, rel int64, key func(findings.Stored) K) map[K]findings.Stored {
	t.Helper()
	all, _, err := st.Findings(context.Background(), findings.Query{ReleaseID: rel, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	out := map[K]findings.Stored{}
	for _, f := range all {
		out[key(f)] = f
	}
	return out
}

// generated returns what write generates with n entries (a generated SBOM
// or scan report).
func generated(tb testing.TB, write func(io.Writer, int) error, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := write(&buf, n); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// tempWriter returns a function that writes a file of the given name and
// content into a fresh temporary folder and returns its path.
func tempWriter(t *testing.T) func(name, content string) string {
	dir := t.TempDir()
	return func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
}
