package portfolio

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/vuln"
	"github.com/rampart-security/rampart/internal/vuln/feeds"
	"github.com/rampart-security/rampart/internal/vuln/mirror"
)

// SyncConfig says where a server gets its vulnerability data.
type SyncConfig struct {
	// Sources are the feed URLs (official or an internal mirror), as for
	// `vulndb update`.
	Sources mirror.Sources
	// Interval between automatic updates; 0 disables them ("Update now"
	// still works unless Offline).
	Interval time.Duration
	// Offline marks an air-gapped server: nothing is downloaded; data
	// comes from `vulndb import` and uploaded bundles.
	Offline bool
	// Fetcher downloads the feeds (nil: a default one).
	Fetcher *mirror.Fetcher
}

// BundleSource names uploaded offline bundles in the source status.
const BundleSource = "bundle"

// RematchLease is the job lease of the background re-match of the whole
// portfolio (jobs.JobRematch).
const RematchLease = "vulns.rematch"

// VulnSync keeps the vulnerability database of a server current: it
// downloads each source on its own (one failing feed does not hold back
// the others), imports what changed in one transaction, records per-source
// status and re-matches only the releases the new data can affect.
type VulnSync struct {
	st     VulnSyncStore
	cfg    SyncConfig
	vulns  *Vulns
	now    func() time.Time
	holder string // names this service in job leases
}

// VulnSyncStore is what the update service needs of the store: the
// matcher's (the re-match and the audit log), the feed import and mirror
// states, per-source status, the re-match lease, the releases new data can
// affect, and the shared "Update now" state.
type VulnSyncStore interface {
	VulnStore
	FeedUpdateStore
	RecordSourceAttempt(ctx context.Context, source, url string, at time.Time, records int64, failure error) error
	ClaimJob(ctx context.Context, name, holder string, now time.Time, every time.Duration) (bool, error)
	ReleaseJob(ctx context.Context, name, holder string, now time.Time) error
	ReleasesMatching(ctx context.Context, ids []string) ([]int64, error)
	ReleasesWithFindingsOf(ctx context.Context, ids map[string]bool) ([]int64, error)
	AllComponents(ctx context.Context, releaseID int64) ([]inventory.Component, error)
	RequestSync(ctx context.Context, actor string, at time.Time) error
	VulnDBStatus(ctx context.Context) (vuln.DBStatus, error)
	SyncState(ctx context.Context) (vuln.SyncState, error)
}

// NewVulnSync returns the update service.
func NewVulnSync(st VulnSyncStore, cfg SyncConfig) *VulnSync {
	if cfg.Offline {
		cfg.Sources = mirror.Sources{}
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	s := &VulnSync{st: st, cfg: cfg, now: time.Now, holder: "vulndb-sync/" + hex.EncodeToString(b[:])}
	s.vulns = NewVulns(st, func() time.Time { return s.now() })
	return s
}

// Config returns the configuration.
func (s *VulnSync) Config() SyncConfig { return s.cfg }

// SyncResult says what one update did.
type SyncResult struct {
	Import     *vuln.FeedImport `json:"import,omitempty"` // nil when nothing changed
	Failed     []string         `json:"failed,omitempty"` // "source: error"
	Unchanged  []string         `json:"unchanged,omitempty"`
	Rematched  int              `json:"rematched_releases"`
	NewMatches int              `json:"new_matches"`
}

// Summary is a one-line description for logs and the status page.
func (r SyncResult) Summary() string {
	var parts []string
	if r.Import != nil {
		parts = append(parts, fmt.Sprintf("imported %d advisories, %d EPSS scores, %d KEV entries; re-matched %d releases (%d new matches)",
			r.Import.Advisories, r.Import.EPSS, r.Import.KEV, r.Rematched, r.NewMatches))
	}
	if len(r.Unchanged) > 0 {
		parts = append(parts, fmt.Sprintf("%d unchanged", len(r.Unchanged)))
	}
	if len(r.Failed) > 0 {
		parts = append(parts, fmt.Sprintf("%d failed: %s", len(r.Failed), strings.Join(r.Failed, "; ")))
	}
	if len(parts) == 0 {
		return "no sources configured"
	}
	return strings.Join(parts, "; ")
}

// loaded is one source's downloaded and parsed data.
type loaded struct {
	src    mirror.Named
	data   *feeds.Data
	states []mirror.State
}

// Update downloads every source, imports what changed and re-matches.
// progress (may be nil) is told what is happening. A source that fails is
// recorded with its error and retried in full next time; the others are
// imported. The error is non-nil only when nothing could be stored.
func (s *VulnSync) Update(ctx context.Context, progress func(string)) (SyncResult, error) {
	var res SyncResult
	if s.cfg.Offline {
		return res, fault.Conflict("this server is offline (--vulndb-offline): upload an offline bundle or run 'rampart vulndb import'")
	}
	say := func(format string, args ...any) {
		if progress != nil {
			progress(fmt.Sprintf(format, args...))
		}
	}
	prev, err := s.st.FeedStates(ctx)
	if err != nil {
		return res, err
	}
	f := s.cfg.Fetcher
	if f == nil {
		f = &mirror.Fetcher{}
	}
	fetcher := *f
	sources := s.cfg.Sources.Split()
	var got []loaded
	var dirs []string
	defer func() {
		for _, d := range dirs {
			os.RemoveAll(d)
		}
	}()
	for i, src := range sources {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		at := s.now().UTC()
		fetcher.Progress = func(msg string) { say("%d/%d %s: %s", i+1, len(sources), src.Name, msg) }
		say("%d/%d %s: downloading", i+1, len(sources), src.Name)
		fr, err := fetcher.Fetch(ctx, src.Only, prev)
		if err == nil {
			dirs = append(dirs, fr.Dir)
		}
		var data *feeds.Data
		if err == nil && len(fr.Files) > 0 {
			say("%d/%d %s: reading %d files", i+1, len(sources), src.Name, len(fr.Files))
			data, err = feeds.Load(ctx, fr.Files...)
		}
		if err != nil {
			res.Failed = append(res.Failed, src.Name+": "+err.Error())
			if rerr := s.st.RecordSourceAttempt(ctx, src.Name, src.URL, at, 0, err); rerr != nil {
				return res, rerr
			}
			continue
		}
		if data == nil {
			res.Unchanged = append(res.Unchanged, src.Name)
			if err := s.st.SaveFeedStates(ctx, fr.States); err != nil {
				return res, err
			}
			if err := s.st.RecordSourceAttempt(ctx, src.Name, src.URL, at, -1, nil); err != nil {
				return res, err
			}
			continue
		}
		got = append(got, loaded{src: src, data: data, states: fr.States})
	}
	if len(got) == 0 {
		return res, nil
	}
	say("storing %d changed sources", len(got))
	all := &feeds.Data{EPSS: map[string]vuln.EPSS{}, KEV: map[string]vuln.KEV{}, Exploited: map[string][]vuln.Exploitation{}}
	files := map[string]int{}
	var paths []string
	for _, l := range got {
		all.Advisories = append(all.Advisories, l.data.Advisories...)
		for k, v := range l.data.EPSS {
			all.EPSS[k] = v
		}
		for k, v := range l.data.KEV {
			all.KEV[k] = v
		}
		for k, v := range l.data.Exploited {
			all.Exploited[k] = append(all.Exploited[k], v...)
		}
		for f, n := range l.data.Files {
			files[string(f)] += n
		}
		paths = append(paths, l.src.URL)
	}
	all.Advisories = vuln.Merge(all.Advisories)
	vuln.Enrich(all.Advisories, all.EPSS, all.KEV)
	vuln.EnrichExploited(all.Advisories, all.Exploited)
	rec, err := s.importAndRematch(ctx, all, vuln.FeedImport{Actor: "vulndb-sync", Paths: paths, Files: files}, say, &res)
	if err != nil {
		at := s.now().UTC()
		for _, l := range got {
			if rerr := s.st.RecordSourceAttempt(ctx, l.src.Name, l.src.URL, at, 0, fmt.Errorf("import: %w", err)); rerr != nil {
				return res, errors.Join(err, rerr)
			}
		}
		return res, err
	}
	res.Import = &rec
	at := s.now().UTC()
	for _, l := range got {
		// Validators only after the data is stored: a failed import is
		// downloaded again next time.
		if err := s.st.SaveFeedStates(ctx, l.states); err != nil {
			return res, err
		}
		n := int64(len(l.data.Advisories) + len(l.data.EPSS) + len(l.data.KEV) + len(l.data.Exploited))
		if err := s.st.RecordSourceAttempt(ctx, l.src.Name, l.src.URL, at, n, nil); err != nil {
			return res, err
		}
	}
	return res, nil
}

// importAndRematch stores data in one transaction and re-matches the
// releases it can affect.
func (s *VulnSync) importAndRematch(ctx context.Context, d *feeds.Data, rec vuln.FeedImport, say func(string, ...any), res *SyncResult) (vuln.FeedImport, error) {
	// A re-match owed from before (a crash, --no-rematch) makes this one
	// a full re-match: the incremental one covers only the new data.
	owed, err := s.vulns.RematchPending(ctx)
	if err != nil {
		return rec, err
	}
	// Hold the background re-match's lease meanwhile, so that a server's
	// periodic job does not start a full re-match of the generation this
	// incremental one covers.
	now := s.now().UTC()
	if _, err := s.st.ClaimJob(ctx, RematchLease, s.holder, now, time.Hour); err != nil {
		return rec, err
	}
	defer s.st.ReleaseJob(context.WithoutCancel(ctx), RematchLease, s.holder, s.now().UTC())
	rec, err = s.st.ImportAdvisories(ctx, d.Advisories, d.EPSS, d.KEV, d.Exploited, rec)
	if err != nil {
		return rec, err
	}
	say("re-matching the releases the new data can affect")
	ids, err := s.affected(ctx, d, owed)
	if err != nil {
		return rec, err
	}
	gen, err := s.st.Generation(ctx, vuln.GenAdvisories)
	if err != nil {
		return rec, err
	}
	for i, id := range ids {
		if i%20 == 0 {
			say("re-matching release %d of %d", i+1, len(ids))
		}
		added, err := s.vulns.Rematch(ctx, id)
		if err != nil {
			return rec, fmt.Errorf("re-match release %d: %w", id, err)
		}
		res.NewMatches += len(added)
	}
	res.Rematched = len(ids)
	return rec, s.st.SetGeneration(ctx, vuln.GenRematched, gen)
}

// maxIncremental is the number of changed ids beyond which every release
// is re-matched: looking each id up would cost more (a daily EPSS file
// changes nearly every CVE).
const maxIncremental = 20_000

// affected returns the releases new data can change: those with a
// component the new advisories index (package or CPE key), and those
// holding a match of a changed advisory, EPSS score or KEV entry (an
// updated record may no longer match, a score changes risk).
func (s *VulnSync) affected(ctx context.Context, d *feeds.Data, all bool) ([]int64, error) {
	ids := map[string]bool{}
	keys := map[string]bool{}
	for i := range d.Advisories {
		for _, id := range d.Advisories[i].IDs() {
			ids[id] = true
		}
		for _, k := range d.Advisories[i].IndexKeys() {
			keys[k] = true
		}
	}
	for c := range d.EPSS {
		ids[c] = true
	}
	for c := range d.KEV {
		ids[c] = true
	}
	for c := range d.Exploited {
		ids[c] = true
	}
	releases, err := s.st.ReleaseIDs(ctx)
	if err != nil {
		return nil, err
	}
	if all || len(ids) > maxIncremental {
		return releases, nil
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	slices.Sort(list)
	hit, err := s.st.ReleasesMatching(ctx, list)
	if err != nil {
		return nil, err
	}
	// Scanner findings naming a changed id are enriched at the re-match.
	withFindings, err := s.st.ReleasesWithFindingsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	set := map[int64]bool{}
	for _, id := range append(hit, withFindings...) {
		set[id] = true
	}
	for _, id := range releases {
		if set[id] {
			continue
		}
		comps, err := s.st.AllComponents(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, k := range vuln.ComponentKeys(comps) {
			if keys[k] {
				set[id] = true
				break
			}
		}
	}
	var out []int64
	for _, id := range releases {
		if set[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// MaxBundleUpload bounds an uploaded offline bundle (the zip itself).
const MaxBundleUpload = 2 << 30

// ImportBundle unpacks an offline bundle (a zip of `vulndb import`
// inputs: OSV records and all.zip files, NVD, CVE 5, KEV, EPSS), imports
// it in one transaction, re-matches and records it as the "bundle"
// source. name is the uploaded file's name for the audit log.
func (s *VulnSync) ImportBundle(ctx context.Context, zip io.ReaderAt, size int64, name string) (vuln.FeedImport, error) {
	at := s.now().UTC()
	rec, err := s.importBundle(ctx, zip, size, name)
	outcome, detail := audit.OK, fmt.Sprintf("%d advisories, %d EPSS scores, %d KEV entries", rec.Advisories, rec.EPSS, rec.KEV)
	if err != nil {
		outcome, detail = audit.Failed, err.Error()
		if rerr := s.st.RecordSourceAttempt(ctx, BundleSource, name, at, 0, err); rerr != nil {
			return rec, errors.Join(err, rerr)
		}
	} else if rerr := s.st.RecordSourceAttempt(ctx, BundleSource, name, at, int64(rec.Advisories+rec.EPSS+rec.KEV), nil); rerr != nil {
		return rec, rerr
	}
	if aerr := audit.Record(ctx, s.st, audit.Event{Action: "vulndb.bundle", Object: name, Outcome: outcome, Detail: detail}); aerr != nil {
		return rec, errors.Join(err, aerr)
	}
	return rec, err
}

func (s *VulnSync) importBundle(ctx context.Context, zip io.ReaderAt, size int64, name string) (vuln.FeedImport, error) {
	dir, err := os.MkdirTemp("", "rampart-bundle-")
	if err != nil {
		return vuln.FeedImport{}, err
	}
	defer os.RemoveAll(dir)
	if _, err := feeds.ExtractBundle(zip, size, name, dir); err != nil {
		return vuln.FeedImport{}, fault.Invalid("bundle", "%v", err)
	}
	d, err := feeds.Load(ctx, dir)
	if err != nil {
		return vuln.FeedImport{}, fault.Invalid("bundle", "%s: %v", name, strings.ReplaceAll(err.Error(), dir+string(os.PathSeparator), ""))
	}
	if len(d.Advisories)+len(d.EPSS)+len(d.KEV) == 0 {
		return vuln.FeedImport{}, fault.Invalid("bundle", "%s holds no vulnerability data (OSV, NVD, CVE 5, KEV or EPSS files)", name)
	}
	files := map[string]int{}
	for f, n := range d.Files {
		files[string(f)] = n
	}
	var res SyncResult
	rec := vuln.FeedImport{Actor: actorOf(ctx), Paths: []string{name}, Files: files}
	rec, err = s.importAndRematch(ctx, d, rec, func(string, ...any) {}, &res)
	for _, sk := range d.Skipped {
		rec.Skipped = append(rec.Skipped, strings.TrimPrefix(sk, dir+string(os.PathSeparator)))
	}
	return rec, err
}

// Request asks for an update now; whichever server claims the update
// next (every server polls) runs it.
func (s *VulnSync) Request(ctx context.Context) error {
	if s.cfg.Offline {
		return fault.Conflict("this server is offline (--vulndb-offline): upload an offline bundle instead")
	}
	if len(s.cfg.Sources.Split()) == 0 {
		return fault.Conflict("no vulnerability feed is configured: start the server with feed URLs (see 'rampart serve --help')")
	}
	if err := s.st.RequestSync(ctx, actorOf(ctx), s.now()); err != nil {
		return err
	}
	return audit.Record(ctx, s.st, audit.Event{Action: "vulndb.update-requested", Object: "vulnerability data"})
}

// Status is the database summary with every configured source (also
// those never tried yet) and the state of the background update.
type Status struct {
	vuln.DBStatus
	Offline bool `json:"offline"`
	// IntervalSeconds between automatic updates (0: none).
	IntervalSeconds int64 `json:"interval_seconds"`
}

// Status returns the database status.
func (s *VulnSync) Status(ctx context.Context) (Status, error) {
	db, err := s.st.VulnDBStatus(ctx)
	if err != nil {
		return Status{}, err
	}
	have := map[string]bool{}
	for _, src := range db.Sources {
		have[src.Source] = true
	}
	for _, src := range s.cfg.Sources.Split() {
		if !have[src.Name] {
			db.Sources = append(db.Sources, vuln.SourceStatus{Source: src.Name, URL: src.URL})
		}
	}
	slices.SortFunc(db.Sources, func(a, b vuln.SourceStatus) int { return strings.Compare(a.Source, b.Source) })
	sync, err := s.st.SyncState(ctx)
	if err != nil {
		return Status{}, err
	}
	db.Sync = &sync
	return Status{DBStatus: db, Offline: s.cfg.Offline, IntervalSeconds: int64(s.cfg.Interval / time.Second)}, nil
}

func actorOf(ctx context.Context) string {
	if p := identity.FromContext(ctx); p != nil {
		return p.Name
	}
	return "system"
}
