package jobs

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/blob"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/vuln"
	"github.com/rampart-security/rampart/internal/vuln/mirror"
)

// feedMirror serves an OSV all.zip, a KEV catalogue and an NVD API from
// memory, with ETags; it counts downloads (200 answers) per path.
type feedMirror struct {
	mu        sync.Mutex
	downloads map[string]int
	osv       []byte
	osvTag    string
	kevDown   bool
}

func (m *feedMirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch r.URL.Path {
	case "/osv/npm/all.zip":
		if r.Header.Get("If-None-Match") == m.osvTag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", m.osvTag)
		w.Write(m.osv)
	case "/kev.json":
		if m.kevDown {
			http.Error(w, "mirror down", http.StatusBadGateway)
			return
		}
		fmt.Fprint(w, `{"title":"CISA KEV","catalogVersion":"2099.01.01","count":1,"vulnerabilities":[{"cveID":"CVE-2099-7001","vendorProject":"x","product":"leftpad",
			"vulnerabilityName":"x","dateAdded":"2099-01-01","shortDescription":"x","requiredAction":"Update","dueDate":"2099-01-22","knownRansomwareCampaignUse":"Unknown","notes":""}]}`)
	case "/nvd":
		fmt.Fprint(w, `{"resultsPerPage":0,"startIndex":0,"totalResults":0,"format":"NVD_CVE","version":"2.0","vulnerabilities":[]}`)
	default:
		http.NotFound(w, r)
		return
	}
	m.downloads[r.URL.Path]++
}

// osvZip holds OSV records written for this test: leftpad below 1.3.0 is
// affected by CVE-2099-7001 (and, in the second version, also by 7002).
func osvZip(t *testing.T, records ...string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i, r := range records {
		w, _ := zw.Create(fmt.Sprintf("REC-%d.json", i))
		w.Write([]byte(r))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func osvRecord(id, cve, pkg, fixed string) string {
	return fmt.Sprintf(`{"schema_version":"1.6.0","id":%q,"modified":"2099-01-02T00:00:00Z","aliases":[%q],"summary":"Prototype pollution in %s",
	"affected":[{"package":{"name":%q,"ecosystem":"npm"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":%q}]}]}]}`, id, cve, pkg, pkg, fixed)
}

func release(t *testing.T, st *store.Store, product, pkg, version string) int64 {
	t.Helper()
	rel := newRelease(t, st, product, "1.0", inventory.StatusShipped)
	purl := "pkg:npm/" + pkg + "@" + version
	if err := st.ImportComponents(context.Background(), rel.ID, []inventory.Component{{Ref: purl, Name: pkg, Version: version, PURL: purl}}, blob.New("bom.json", "application/json", []byte(product))); err != nil {
		t.Fatal(err)
	}
	return rel.ID
}

// TestVulnSyncClaimedOnceAndIncremental runs two servers' updaters over
// one database against a feed mirror: a due update runs on one server
// only, a failing source is recorded while the others import, a 304 costs
// no download, "Update now" is served by whichever server polls next, and
// only the releases new data can affect are re-matched.
func TestVulnSyncClaimedOnceAndIncremental(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		m := &feedMirror{downloads: map[string]int{}, osvTag: `"a"`, kevDown: true,
			osv: osvZip(t, osvRecord("NPM-2099-1", "CVE-2099-7001", "leftpad", "1.3.0"))}
		srv := httptest.NewServer(m)
		defer srv.Close()
		leftpad := release(t, st, "Widget", "leftpad", "1.2.0")
		other := release(t, st, "Gadget", "rightpad", "1.0.0")

		cfg := portfolio.SyncConfig{Interval: time.Hour, Sources: mirror.Sources{OSV: []string{srv.URL + "/osv/npm/all.zip"}, KEV: srv.URL + "/kev.json", NVD: srv.URL + "/nvd"}}
		log := quiet()
		now := time.Date(2099, 1, 5, 10, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		a := NewVulnSyncer(portfolio.NewVulnSync(st, cfg), st, log)
		b := NewVulnSyncer(portfolio.NewVulnSync(st, cfg), st, log)
		a.now, b.now = clock, clock

		ranA, errA := a.Step(ctx)
		ranB, errB := b.Step(ctx)
		if errA != nil || errB != nil || !ranA || ranB {
			t.Fatalf("first step: a ran %v (%v), b ran %v (%v); want exactly a", ranA, errA, ranB, errB)
		}
		if m.downloads["/osv/npm/all.zip"] != 1 {
			t.Errorf("OSV downloaded %d times, want once", m.downloads["/osv/npm/all.zip"])
		}
		status, err := portfolio.NewVulnSync(st, cfg).Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		bySource := map[string]vuln.SourceStatus{}
		for _, s := range status.Sources {
			bySource[s.Source] = s
		}
		if s := bySource["osv/npm"]; s.Records != 1 || s.LastSuccess == nil || s.Error != "" {
			t.Errorf("osv/npm status %+v", s)
		}
		if s := bySource["kev"]; s.LastAttempt == nil || s.LastSuccess != nil || !strings.Contains(s.Error, "502") {
			t.Errorf("failed kev status %+v", s)
		}
		if s := bySource["nvd"]; s.LastSuccess == nil || s.Error != "" {
			t.Errorf("nvd status %+v", s)
		}
		if status.Sync == nil || status.Sync.Running || !strings.Contains(status.Sync.Result, "1 failed: kev") {
			t.Errorf("sync state %+v", status.Sync)
		}
		vs, _ := st.ReleaseVulns(ctx, leftpad)
		if len(vs) != 1 || vs[0].VulnID != "NPM-2099-1" || vs[0].KEV {
			t.Fatalf("leftpad matches %+v", vs)
		}

		// Within the interval nothing runs; a request is served by b.
		if ran, err := a.Step(ctx); ran || err != nil {
			t.Fatalf("ran again within the interval: %v %v", ran, err)
		}
		m.kevDown = false
		m.osvTag = `"b"`
		m.osv = osvZip(t, osvRecord("NPM-2099-1", "CVE-2099-7001", "leftpad", "1.3.0"), osvRecord("NPM-2099-2", "CVE-2099-7002", "leftpad", "2.0.0"))
		if err := portfolio.NewVulnSync(st, cfg).Request(ctx); err != nil {
			t.Fatal(err)
		}
		// The other release's matches are not rewritten: mark them to see.
		otherBefore, _ := st.ReleaseVulns(ctx, other)
		now = now.Add(time.Minute)
		if ran, err := b.Step(ctx); !ran || err != nil {
			t.Fatalf("request not served: %v %v", ran, err)
		}
		if ran, err := a.Step(ctx); ran || err != nil {
			t.Fatalf("request served twice: %v %v", ran, err)
		}
		vs, _ = st.ReleaseVulns(ctx, leftpad)
		if len(vs) != 2 {
			t.Fatalf("after the second update leftpad has %d matches, want 2: %+v", len(vs), vs)
		}
		kev := false
		for _, v := range vs {
			kev = kev || (v.VulnID == "NPM-2099-1" && v.KEV)
		}
		if !kev {
			t.Errorf("the KEV entry did not reach the match: %+v", vs)
		}
		otherAfter, _ := st.ReleaseVulns(ctx, other)
		if len(otherBefore) != 0 || len(otherAfter) != 0 {
			t.Errorf("unrelated release has matches: %v %v", otherBefore, otherAfter)
		}
		state, _ := st.SyncState(ctx)
		if !strings.Contains(state.Result, "re-matched 1 releases") {
			t.Errorf("incremental re-match touched more than the affected release: %q", state.Result)
		}
		if state.Pending {
			t.Error("request still pending after it was served")
		}
		pending, _ := portfolio.NewVulns(st, nil).RematchPending(ctx)
		if pending {
			t.Error("re-match still owed after the incremental re-match")
		}

		// After the interval, unchanged feeds answer 304 and nothing is downloaded.
		now = now.Add(2 * time.Hour)
		before := m.downloads["/osv/npm/all.zip"]
		if ran, err := a.Step(ctx); !ran || err != nil {
			t.Fatalf("due update: %v %v", ran, err)
		}
		if m.downloads["/osv/npm/all.zip"] != before {
			t.Error("unchanged OSV downloaded again")
		}
	})
}

// TestVulnSyncOffline: an offline server never downloads, and refuses
// "Update now" with a reason.
func TestVulnSyncOffline(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var hits int
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
		defer srv.Close()
		cfg := portfolio.SyncConfig{Interval: time.Hour, Offline: true, Sources: mirror.Sources{KEV: srv.URL + "/kev.json"}}
		sync := portfolio.NewVulnSync(st, cfg)
		if err := sync.Request(ctx); err == nil || !strings.Contains(err.Error(), "offline") {
			t.Errorf("request on an offline server: %v", err)
		}
		v := NewVulnSyncer(sync, st, quiet())
		if ran, err := v.Step(ctx); ran || err != nil || hits != 0 {
			t.Errorf("offline step ran %v err %v hits %d", ran, err, hits)
		}
	})
}
