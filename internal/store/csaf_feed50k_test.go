package store_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/advisory/csaf"
	"github.com/rampart-security/rampart/internal/advisory/provider"
	"github.com/rampart-security/rampart/internal/store"
)

// TestCSAFFeed50k publishes 50,000 advisories into a SQLite store, streams
// the ROLIE feed, index.txt and changes.csv and validates every published
// document, reporting peak RSS. It runs only with RAMPART_CSAF_50K=1
// (it takes minutes); docs/performance.md has the numbers.
func TestCSAFFeed50k(t *testing.T) {
	if os.Getenv("RAMPART_CSAF_50K") != "1" {
		t.Skip("set RAMPART_CSAF_50K=1 to run the 50,000-advisory feed measurement")
	}
	n := 50000
	if s := os.Getenv("RAMPART_CSAF_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	doc, err := advisory.Build(gatewayInput())
	if err != nil {
		t.Fatal(err)
	}
	svc := advisory.NewService(st, advisory.Config{Publisher: provider.Publisher{Category: "vendor", Name: "Northwind", Namespace: "https://northwind.example"}},
		func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) })
	a, err := svc.Create(ctx, "alice", advisory.Draft{TLP: "WHITE", Document: doc})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := svc.Publish(ctx, "alice", a.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	// Clone the published row n-1 times with distinct ids, in one transaction.
	start := time.Now()
	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO csaf_advisories (tracking_id, title, tlp, status, require_review, author, document, created_at, updated_at,
		published, published_version, published_tlp, published_year, published_file, initial_release_date, current_release_date, sha256, sha512, signature, signed_by)
		SELECT ?, title, tlp, status, require_review, author, '{}', created_at, updated_at, REPLACE(published, ?, ?), published_version, published_tlp, published_year, ?,
		initial_release_date, ?, ?, sha512, signature, signed_by FROM csaf_advisories WHERE id = ?`)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i < n; i++ {
		id := fmt.Sprintf("NW-SA-2026-%06d", i)
		sum := sha256.Sum256([]byte(id))
		cur := base.Add(time.Duration(i) * time.Minute).Format("2006-01-02T15:04:05.000000Z")
		if _, err := ins.ExecContext(ctx, id, pub.TrackingID, id, csaf.Filename(id), cur, hex.EncodeToString(sum[:]), a.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	t.Logf("inserted %d advisories in %s", n, time.Since(start).Round(time.Millisecond))

	runtime.GC()
	for _, out := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"ROLIE feed", func(w io.Writer) error {
			return provider.WriteFeed(w, "https://psirt.example", "WHITE", base, st.PublishedEntries(ctx, "WHITE"))
		}},
		{"index.txt", func(w io.Writer) error { return provider.WriteIndex(w, st.PublishedEntries(ctx, "WHITE")) }},
		{"changes.csv", func(w io.Writer) error { return provider.WriteChanges(w, st.PublishedEntries(ctx, "WHITE")) }},
	} {
		start := time.Now()
		cw := &countWriter{}
		if err := out.write(cw); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes in %s, peak RSS %d MB", out.name, cw.n, time.Since(start).Round(time.Millisecond), peakRSS()>>20)
	}
	// Validate every published document, one at a time.
	start = time.Now()
	valid := 0
	rows, err := st.DB().QueryContext(ctx, `SELECT published FROM csaf_advisories WHERE published IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		res, err := csaf.Validate([]byte(d))
		if err != nil {
			t.Fatal(err)
		}
		if res.Valid {
			valid++
		}
	}
	rows.Close()
	t.Logf("validated %d documents (%d valid) in %s, peak RSS %d MB", n, valid, time.Since(start).Round(time.Millisecond), peakRSS()>>20)
	if valid != n {
		t.Fatalf("%d of %d valid", valid, n)
	}
	if rss := peakRSS(); rss > 512<<20 {
		t.Fatalf("peak RSS %d MB, over 512 MB", rss>>20)
	}
	// The feed is one valid JSON document with n entries (checked after the
	// RSS measurement: this check holds the whole feed in memory).
	var feed struct {
		Feed struct {
			Entry []json.RawMessage `json:"entry"`
		} `json:"feed"`
	}
	var buf strings.Builder
	if err := provider.WriteFeed(&buf, "https://psirt.example", "WHITE", base, st.PublishedEntries(ctx, "WHITE")); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(buf.String()), &feed); err != nil || len(feed.Feed.Entry) != n {
		t.Fatalf("feed: %d entries, %v", len(feed.Feed.Entry), err)
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// peakRSS reads VmHWM from /proc/self/status (Linux), in bytes.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
