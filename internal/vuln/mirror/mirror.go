// Package mirror downloads vulnerability data from the official feeds or an
// air-gapped site's own mirror: OSV all.zip archives, the NVD CVE API 2.0
// (incrementally, by last-modified date, page by page), the CISA KEV
// catalogue and the EPSS scores. Requests are conditional (ETag,
// If-Modified-Since), so an unchanged feed costs one 304. Everything is
// downloaded into a temporary directory first; the caller imports it in
// one transaction, so a failure half way changes nothing.
package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Default official endpoints. Every one can be replaced.
const (
	DefaultOSVBase = "https://osv-vulnerabilities.storage.googleapis.com"
	DefaultNVD     = "https://services.nvd.nist.gov/rest/json/cves/2.0"
	DefaultKEV     = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	DefaultEPSS    = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
)

// DefaultOSVEcosystems are the ecosystems whose all.zip is fetched by default.
var DefaultOSVEcosystems = []string{"Go", "PyPI", "npm", "Maven", "crates.io", "NuGet", "RubyGems", "Packagist", "Debian", "Alpine", "AlmaLinux", "OSS-Fuzz"}

// State is what a mirror URL answered last time: validators for
// conditional requests, and for incremental feeds (NVD) the time the data
// is complete until.
type State struct {
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	SyncedUntil  time.Time `json:"synced_until,omitzero"`
	CheckedAt    time.Time `json:"checked_at"`
	ChangedAt    time.Time `json:"changed_at,omitzero"`
}

// Sources lists the URLs to fetch. Empty fields are skipped.
type Sources struct {
	OSV  []string // all.zip URLs
	NVD  string   // CVE API 2.0 base URL
	KEV  string
	EPSS string
	// EUVD is the EU Vulnerability Database's exploited list (ENISA's
	// /api/exploitedvulnerabilities or a mirror); no default.
	EUVD string
	// CSAF lists CSAF advisories (documents) whose exploitation status is
	// read; no default.
	CSAF []string
	// NVDAPIKey is sent as the apiKey header (raises NVD's rate limit).
	NVDAPIKey string
}

// Defaults returns the official sources.
func Defaults() Sources {
	s := Sources{NVD: DefaultNVD, KEV: DefaultKEV, EPSS: DefaultEPSS}
	for _, e := range DefaultOSVEcosystems {
		s.OSV = append(s.OSV, DefaultOSVBase+"/"+url.PathEscape(e)+"/all.zip")
	}
	return s
}

// Fetcher downloads feeds.
type Fetcher struct {
	Client *http.Client
	// MaxBytes bounds one download (default 2 GiB).
	MaxBytes int64
	// NVDPageSize is resultsPerPage (NVD allows at most 2,000).
	NVDPageSize int
	// NVDWindow is the longest lastMod range NVD accepts per query (120 days).
	NVDWindow time.Duration
	// Progress, when set, is told about each request.
	Progress func(msg string)
	Now      func() time.Time
}

// Result is a finished download: files in Dir to import, and the states to
// save after a successful import.
type Result struct {
	Dir       string
	Files     []string
	States    []State
	Unchanged []string // URLs that answered 304
}

// Fetch downloads every source into a new temporary directory. prev holds
// the validators from the previous run.
func (f *Fetcher) Fetch(ctx context.Context, src Sources, prev map[string]State) (*Result, error) {
	if f.Client == nil {
		f.Client = &http.Client{Timeout: 10 * time.Minute}
	}
	if f.MaxBytes <= 0 {
		f.MaxBytes = 2 << 30
	}
	if f.NVDPageSize <= 0 {
		f.NVDPageSize = 2000
	}
	if f.NVDWindow <= 0 {
		f.NVDWindow = 120 * 24 * time.Hour
	}
	if f.Now == nil {
		f.Now = time.Now
	}
	dir, err := os.MkdirTemp("", "rampart-feeds-")
	if err != nil {
		return nil, err
	}
	res := &Result{Dir: dir}
	fail := func(err error) (*Result, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	type job struct{ url, file string }
	var jobs []job
	for i, u := range src.OSV {
		jobs = append(jobs, job{u, fmt.Sprintf("osv-%02d.zip", i)})
	}
	if src.KEV != "" {
		jobs = append(jobs, job{src.KEV, "kev.json"})
	}
	if src.EPSS != "" {
		jobs = append(jobs, job{src.EPSS, "epss.csv.gz"})
	}
	if src.EUVD != "" {
		jobs = append(jobs, job{src.EUVD, "euvd-exploited.json"})
	}
	for i, u := range src.CSAF {
		jobs = append(jobs, job{u, fmt.Sprintf("csaf-%02d.json", i)})
	}
	for _, j := range jobs {
		st, changed, err := f.conditionalGet(ctx, j.url, filepath.Join(dir, j.file), prev[j.url])
		if err != nil {
			return fail(err)
		}
		res.States = append(res.States, st)
		if changed {
			res.Files = append(res.Files, filepath.Join(dir, j.file))
		} else {
			res.Unchanged = append(res.Unchanged, j.url)
		}
	}
	if src.NVD != "" {
		files, st, err := f.nvd(ctx, src, dir, prev[src.NVD])
		if err != nil {
			return fail(err)
		}
		res.Files = append(res.Files, files...)
		res.States = append(res.States, st)
	}
	return res, nil
}

func (f *Fetcher) progress(format string, args ...any) {
	if f.Progress != nil {
		f.Progress(fmt.Sprintf(format, args...))
	}
}

// send sends req, the GET of u, saying so in the progress; a failure to
// get an answer names what ("feed", "NVD") and u.
func (f *Fetcher) send(req *http.Request, what, u string) (*http.Response, error) {
	f.progress("GET %s", u)
	resp, err := f.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, u, err)
	}
	return resp, nil
}

// conditionalGet downloads url into path unless the server says it has not
// changed since the validators in prev.
func (f *Fetcher) conditionalGet(ctx context.Context, u, path string, prev State) (State, bool, error) {
	st := State{URL: u, ETag: prev.ETag, LastModified: prev.LastModified, CheckedAt: f.Now().UTC(), ChangedAt: prev.ChangedAt}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return st, false, fmt.Errorf("feed %s: %w", u, err)
	}
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}
	resp, err := f.send(req, "feed", u)
	if err != nil {
		return st, false, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return st, false, nil
	case resp.StatusCode != http.StatusOK:
		return st, false, fmt.Errorf("feed %s: server answered %s", u, resp.Status)
	}
	if err := f.save(resp.Body, path, u); err != nil {
		return st, false, err
	}
	st.ETag, st.LastModified, st.ChangedAt = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"), st.CheckedAt
	return st, true, nil
}

func (f *Fetcher) save(body io.Reader, path, u string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	n, err := io.Copy(out, io.LimitReader(body, f.MaxBytes+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("feed %s: download: %w", u, err)
	}
	if n > f.MaxBytes {
		return fmt.Errorf("feed %s: larger than the %d MiB limit", u, f.MaxBytes>>20)
	}
	return nil
}

// nvdPage is the part of an NVD API 2.0 response paging needs.
type nvdPage struct {
	ResultsPerPage int `json:"resultsPerPage"`
	StartIndex     int `json:"startIndex"`
	TotalResults   int `json:"totalResults"`
}

// nvd fetches the CVEs modified since the last sync (or all of them on the
// first run), window by window and page by page.
func (f *Fetcher) nvd(ctx context.Context, src Sources, dir string, prev State) ([]string, State, error) {
	now := f.Now().UTC()
	st := State{URL: src.NVD, CheckedAt: now, SyncedUntil: prev.SyncedUntil, ChangedAt: prev.ChangedAt}
	var files []string
	type window struct{ from, to time.Time }
	var windows []window
	if !prev.SyncedUntil.IsZero() {
		for from := prev.SyncedUntil; from.Before(now); from = from.Add(f.NVDWindow) {
			windows = append(windows, window{from, minTime(from.Add(f.NVDWindow), now)})
		}
	} else {
		windows = []window{{}} // full download: no date filter
	}
	page := 0
	for _, w := range windows {
		for start := 0; ; {
			q := url.Values{"startIndex": {strconv.Itoa(start)}, "resultsPerPage": {strconv.Itoa(f.NVDPageSize)}}
			if !w.from.IsZero() {
				q.Set("lastModStartDate", w.from.Format("2006-01-02T15:04:05.000Z"))
				q.Set("lastModEndDate", w.to.Format("2006-01-02T15:04:05.000Z"))
			}
			u := src.NVD + "?" + q.Encode()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return nil, st, err
			}
			if src.NVDAPIKey != "" {
				req.Header.Set("apiKey", src.NVDAPIKey)
			}
			resp, err := f.send(req, "NVD", u)
			if err != nil {
				return nil, st, err
			}
			path := filepath.Join(dir, fmt.Sprintf("nvd-%05d.json", page))
			if resp.StatusCode != http.StatusOK {
				resp.Body.Close()
				return nil, st, fmt.Errorf("NVD %s: server answered %s", u, resp.Status)
			}
			err = f.save(resp.Body, path, u)
			resp.Body.Close()
			if err != nil {
				return nil, st, err
			}
			var p nvdPage
			data, err := os.ReadFile(path)
			if err == nil {
				err = json.Unmarshal(data, &p)
			}
			if err != nil {
				return nil, st, fmt.Errorf("NVD %s: response page: %w", u, err)
			}
			page++
			if p.TotalResults > 0 {
				files = append(files, path)
			} else {
				os.Remove(path)
			}
			if p.ResultsPerPage <= 0 || start+p.ResultsPerPage >= p.TotalResults {
				break
			}
			start += p.ResultsPerPage
			if page > 100000 {
				return nil, st, errors.New("NVD: too many pages; is the mirror paging correctly?")
			}
		}
	}
	st.SyncedUntil = now
	if len(files) > 0 {
		st.ChangedAt = now
	}
	return files, st, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Named is one source of a Sources by its name: "osv/<ecosystem>" (from
// the all.zip URL's folder), "nvd", "kev" or "epss". Only holds just that
// source (with the NVD API key), to fetch it on its own.
type Named struct {
	Name string
	URL  string
	Only Sources
}

// Split lists the sources one by one, so that one failing feed does not
// hold back the others.
func (s Sources) Split() []Named {
	var out []Named
	for _, u := range s.OSV {
		out = append(out, Named{Name: OSVName(u), URL: u, Only: Sources{OSV: []string{u}}})
	}
	if s.NVD != "" {
		out = append(out, Named{Name: "nvd", URL: s.NVD, Only: Sources{NVD: s.NVD, NVDAPIKey: s.NVDAPIKey}})
	}
	if s.KEV != "" {
		out = append(out, Named{Name: "kev", URL: s.KEV, Only: Sources{KEV: s.KEV}})
	}
	if s.EPSS != "" {
		out = append(out, Named{Name: "epss", URL: s.EPSS, Only: Sources{EPSS: s.EPSS}})
	}
	if s.EUVD != "" {
		out = append(out, Named{Name: "euvd", URL: s.EUVD, Only: Sources{EUVD: s.EUVD}})
	}
	for i, u := range s.CSAF {
		out = append(out, Named{Name: fmt.Sprintf("csaf/%d", i+1), URL: u, Only: Sources{CSAF: []string{u}}})
	}
	return out
}

// OSVName names an OSV all.zip URL by its ecosystem folder:
// ".../PyPI/all.zip" is "osv/PyPI".
func OSVName(u string) string {
	p := u
	if parsed, err := url.Parse(u); err == nil {
		p = parsed.Path
	}
	dir, _ := path.Split(strings.TrimSuffix(p, "/"))
	eco := path.Base(strings.TrimSuffix(dir, "/"))
	if e, err := url.PathUnescape(eco); err == nil {
		eco = e
	}
	if eco == "" || eco == "." || eco == "/" {
		return "osv"
	}
	return "osv/" + eco
}

// WithOSV returns s fetching the all.zip of each ecosystem under base
// (empty base: no OSV), as `vulndb update --osv-base --osv-ecosystem` do.
func (s Sources) WithOSV(base string, ecosystems []string) Sources {
	s.OSV = nil
	if base != "" {
		for _, e := range ecosystems {
			s.OSV = append(s.OSV, strings.TrimSuffix(base, "/")+"/"+url.PathEscape(e)+"/all.zip")
		}
	}
	return s
}
