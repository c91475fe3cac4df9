package portfolio_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/vuln/mirror"
)

func nvdCVE(id, product string) string {
	return fmt.Sprintf(`{"cve":{"id":%q,"sourceIdentifier":"cve@mitre.org","published":"2099-01-02T03:04:05.123","lastModified":"2099-02-02T03:04:05.123",
	"vulnStatus":"Analyzed","descriptions":[{"lang":"en","value":"Overflow in %s."}],
	"metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":9.8}}]},
	"configurations":[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":true,"criteria":"cpe:2.3:a:example:%s:*:*:*:*:*:*:*:*","versionEndExcluding":"2.0"}]}]}],
	"references":[]}}`, id, product, product)
}

// feedServer serves an OSV zip, KEV and a two-page NVD API with ETags, and
// records what the client asked.
type feedServer struct {
	mu       sync.Mutex
	requests []string
	kevFail  bool
	osvZip   []byte
}

func (s *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.URL.String())
	kevFail := s.kevFail
	s.mu.Unlock()
	etag := `"v1"`
	switch r.URL.Path {
	case "/osv/Go/all.zip", "/kev.json":
		if r.URL.Path == "/kev.json" && kevFail {
			http.Error(w, "mirror down", http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		if r.URL.Path == "/kev.json" {
			fmt.Fprint(w, `{"title":"CISA KEV","catalogVersion":"2099.01.01","dateReleased":"2099-01-01T00:00:00.000Z","count":1,"vulnerabilities":[{"cveID":"CVE-2099-0002","vendorProject":"Example","product":"lib","vulnerabilityName":"x","dateAdded":"2099-01-01","shortDescription":"x","requiredAction":"Update","dueDate":"2099-01-22","knownRansomwareCampaignUse":"Unknown","notes":""}]}`)
			return
		}
		w.Write(s.osvZip)
	case "/nvd":
		q := r.URL.Query()
		if q.Get("lastModStartDate") != "" { // incremental: nothing changed
			fmt.Fprint(w, `{"resultsPerPage":0,"startIndex":0,"totalResults":0,"format":"NVD_CVE","version":"2.0","vulnerabilities":[]}`)
			return
		}
		start, _ := strconv.Atoi(q.Get("startIndex"))
		cves := []string{nvdCVE("CVE-2099-0001", "widget"), nvdCVE("CVE-2099-0002", "gadget")}
		fmt.Fprintf(w, `{"resultsPerPage":1,"startIndex":%d,"totalResults":2,"format":"NVD_CVE","version":"2.0","timestamp":"2099-03-01T00:00:00.000","vulnerabilities":[%s]}`, start, cves[start])
	default:
		http.NotFound(w, r)
	}
}

func TestUpdateFeedsFromMirror(t *testing.T) {
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	fw, _ := zw.Create("GO-2099-0001.json")
	fw.Write([]byte(osvFixture))
	zw.Close()
	fs := &feedServer{osvZip: zbuf.Bytes()}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	ctx := context.Background()
	st := openStore(t)
	src := mirror.Sources{OSV: []string{srv.URL + "/osv/Go/all.zip"}, NVD: srv.URL + "/nvd", KEV: srv.URL + "/kev.json"}
	f := &mirror.Fetcher{NVDPageSize: 1}

	// A failing mirror: nothing is imported, no state is saved.
	fs.kevFail = true
	if _, err := portfolio.UpdateFeeds(ctx, st, f, src, "test"); err == nil {
		t.Fatal("update with a failing mirror succeeded")
	}
	if status, _ := st.VulnDBStatus(ctx); status.Advisories != 0 || len(status.Imports) != 0 {
		t.Fatalf("failed update changed the database: %+v", status)
	}
	fs.kevFail = false

	res, err := portfolio.UpdateFeeds(ctx, st, f, src, "test")
	if err != nil {
		t.Fatal(err)
	}
	if res.Import == nil || res.Import.Advisories != 3 || res.Import.KEV != 1 || res.Files != 4 {
		t.Fatalf("first update: %+v %+v", res, res.Import)
	}
	// Second run: OSV and KEV answer 304, NVD is asked only for changes since the first run.
	fs.requests = nil
	res, err = portfolio.UpdateFeeds(ctx, st, f, src, "test")
	if err != nil {
		t.Fatal(err)
	}
	if res.Import != nil || len(res.Unchanged) != 2 {
		t.Errorf("second update imported again: %+v", res)
	}
	incremental := false
	for _, r := range fs.requests {
		if bytes.Contains([]byte(r), []byte("lastModStartDate=")) {
			incremental = true
		}
	}
	if !incremental {
		t.Errorf("second update did not page NVD by lastModStartDate: %v", fs.requests)
	}
	a, err := st.Advisory(ctx, "CVE-2099-0002")
	if err != nil || a.ID != "CVE-2099-0002" {
		t.Errorf("NVD advisory: %v %+v", err, a.ID)
	}
}

// osvFixture is an OSV record written for this test (Go database format).
const osvFixture = `{"schema_version":"1.6.0","id":"GO-2099-0001","modified":"2099-01-02T00:00:00Z","published":"2099-01-01T00:00:00Z",
"aliases":["CVE-2099-12345"],"summary":"Excessive memory use in HTTP/2 frame parsing",
"affected":[{"package":{"name":"golang.org/x/net","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.23.0"}]}]}]}`

// TestUpdateFeedsReadsEUVDAndCSAF: vulndb update fetches the EUVD exploited
// list and CSAF advisories from the given URLs and stores their exploitation
// reports in the same transaction as the rest.
func TestUpdateFeedsReadsEUVDAndCSAF(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/euvd.json":
			fmt.Fprint(w, `[{"id":"EUVD-2099-1","aliases":"CVE-2099-0002\n","exploitedSince":"Jan 2, 2099, 12:00:00 AM"}]`)
		case "/csaf.json":
			fmt.Fprint(w, `{"document":{"csaf_version":"2.0","publisher":{"name":"CERT"},"tracking":{"id":"CERT-2099-1"}},
				"vulnerabilities":[{"cve":"CVE-2099-0002","threats":[{"category":"exploit_status","details":"Exploited:Yes"}]}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	st := openStore(t)
	res, err := portfolio.UpdateFeeds(ctx, st, &mirror.Fetcher{}, mirror.Sources{EUVD: srv.URL + "/euvd.json", CSAF: []string{srv.URL + "/csaf.json"}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if res.Import == nil || res.Import.Exploited != 2 || res.Files != 2 {
		t.Fatalf("update: %+v %+v", res, res.Import)
	}
	ex, err := st.Exploitations(ctx, []string{"CVE-2099-0002"})
	if err != nil || len(ex["CVE-2099-0002"]) != 2 {
		t.Fatalf("stored exploitation reports %+v %v", ex, err)
	}
}
