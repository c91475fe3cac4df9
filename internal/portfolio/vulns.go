package portfolio

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/firmware"
	"github.com/rampart-security/rampart/internal/firmware/kconfig"
	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/notify"
	"github.com/rampart-security/rampart/internal/vuln"
	"github.com/rampart-security/rampart/internal/vuln/feeds"
	"github.com/rampart-security/rampart/internal/vuln/mirror"
)

// Vulns matches the portfolio against the local vulnerability database.
// It builds a matcher per release from only the advisories indexed under
// the release's component keys (package and CPE vendor:product), so memory
// follows the release, not the size of the database: a full mirror of
// ≈500,000 advisories would need ≈2.3 GB held in memory otherwise.
type Vulns struct {
	st  VulnStore
	now func() time.Time
}

// VulnStore is what the matcher service needs of the store: each of its
// use cases' interfaces below.
type VulnStore interface {
	AdvisoryStore
	RematchStore
	AnalysisStore
}

// AdvisoryStore is what Advisory reads: the stored records naming an id,
// and the EPSS scores, KEV entries and exploitation reports of their CVEs.
type AdvisoryStore interface {
	AdvisoriesByAlias(ctx context.Context, id string) ([]vuln.Advisory, error)
	exploitStore
}

// exploitStore reads the EPSS scores, KEV entries and other exploitation
// reports of CVEs (enrich).
type exploitStore interface {
	Enrichment(ctx context.Context, cves []string) (map[string]vuln.EPSS, map[string]vuln.KEV, error)
	Exploitations(ctx context.Context, cves []string) (map[string][]vuln.Exploitation, error)
}

// ReleaseMatchStore is what MatchRelease reads: the release's components
// in batches, the advisories indexed under their keys with their
// exploitation data, the release's VEX analyses and its latest firmware
// analysis (for the kernel configuration).
type ReleaseMatchStore interface {
	exploitStore
	EachComponents(ctx context.Context, releaseID int64, batch int, fn func([]inventory.Component) error) error
	AdvisoriesByKeys(ctx context.Context, keys []string) ([]vuln.Advisory, error)
	Analyses(ctx context.Context, releaseID int64) (map[[2]string]vuln.Analysis, error)
	LatestFirmwareAnalysis(ctx context.Context, releaseID int64) (firmware.Analysis, error)
}

// RematchStore is what Rematch and RematchAll need: the match of a
// release, the write of its matches, the enrichment of its findings, the
// events of new matches and the incidents of exploited ones, and for the
// whole portfolio its releases and the generation counters.
type RematchStore interface {
	ReleaseMatchStore
	EnrichStore
	incident.Store
	incident.NotifyStore
	Release(ctx context.Context, id int64) (inventory.Release, error)
	ReplaceReleaseVulns(ctx context.Context, releaseID int64, matches []vuln.ReleaseVuln) ([]vuln.ReleaseVuln, error)
	AddEvent(ctx context.Context, e notify.Event) error
	ReleaseIDs(ctx context.Context) ([]int64, error)
	Generation(ctx context.Context, name string) (int64, error)
	SetGeneration(ctx context.Context, name string, v int64) error
}

// AnalysisStore is what SetAnalysis needs besides the re-match: the
// release's matches, the write of the decision and its audit record in one
// transaction, and the release's product.
type AnalysisStore interface {
	audit.AtomicLog
	ReleaseVulnStore
	SetAnalysis(ctx context.Context, releaseID int64, ref, vulnID string, a vuln.Analysis) error
	ReleaseProduct(ctx context.Context, releaseID int64) (int64, error)
}

// NewVulns returns a matcher service over st; now is its clock (nil: time.Now).
func NewVulns(st VulnStore, now func() time.Time) *Vulns {
	if now == nil {
		now = time.Now
	}
	return &Vulns{st: st, now: now}
}

func enrich(ctx context.Context, st exploitStore, advs []vuln.Advisory) ([]vuln.Advisory, error) {
	var cves []string
	for i := range advs {
		cves = append(cves, advs[i].CVEs()...)
	}
	epss, kev, err := st.Enrichment(ctx, cves)
	if err != nil {
		return nil, err
	}
	vuln.Enrich(advs, epss, kev)
	ex, err := st.Exploitations(ctx, cves)
	if err != nil {
		return nil, err
	}
	vuln.EnrichExploited(advs, ex)
	return advs, nil
}

// Advisory returns the vulnerability known by id (or any alias), merged
// from every stored record that names it.
func (v *Vulns) Advisory(ctx context.Context, id string) (*vuln.Advisory, error) {
	recs, err := v.st.AdvisoriesByAlias(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("vulnerability %s: %w", id, fault.ErrNotFound)
	}
	merged, err := enrich(ctx, v.st, vuln.Merge(recs))
	if err != nil {
		return nil, err
	}
	for i := range merged {
		if merged[i].HasID(id) {
			return &merged[i], nil
		}
	}
	return &merged[0], nil
}

// ReleaseVuln converts a match to its stored form.
func ReleaseVuln(releaseID int64, m *vuln.Match) vuln.ReleaseVuln {
	rv := vuln.ReleaseVuln{ReleaseID: releaseID, ComponentRef: m.Component.Ref, ComponentName: m.Component.Name, ComponentVersion: m.Component.Version,
		PURL: m.Component.PURL, CPE: m.CPE, VulnID: m.Advisory.ID, Aliases: m.Advisory.Aliases, Summary: m.Advisory.Summary,
		Severity: m.Severity.String(), SeverityRank: int(m.Severity), CVSSScore: m.CVSSScore, EPSS: m.EPSS, KEV: m.KEV,
		FixedVersions: m.FixedVersions, Reason: m.Reason, Via: m.Via, Suppressed: m.Suppressed != nil}
	if m.Advisory.KEV != nil && !m.Advisory.KEV.DueDate.IsZero() {
		rv.KEVDue = m.Advisory.KEV.DueDate.Format("2006-01-02")
	}
	rv.Exploited = m.Advisory.Exploited
	return rv
}

// Rematch matches one release against the current database, applying its
// VEX analyses, stores the result and returns the matches that are new. A
// new match on a shipped release raises an event.
func (v *Vulns) Rematch(ctx context.Context, releaseID int64) ([]vuln.ReleaseVuln, error) {
	rel, err := v.st.Release(ctx, releaseID)
	if err != nil {
		return nil, err
	}
	matches, analyses, err := v.MatchRelease(ctx, releaseID)
	if err != nil {
		return nil, err
	}
	decided := vuln.NewVEXIndex(analysisStatements(analyses))
	out := make([]vuln.ReleaseVuln, len(matches))
	for i := range matches {
		out[i] = ReleaseVuln(releaseID, &matches[i])
		// The analysis in effect, the one that suppressed the match or not
		// (also one recorded under an id that is now an alias).
		if st := decided.Effective(matches[i].Component, matches[i].Advisory); st != nil {
			a := analyses[[2]string{st.Product, st.VulnID}]
			out[i].Analysis = &a
		} else if sup := matches[i].Suppressed; sup != nil && sup.Source == kernelConfigSource {
			// Derived, not decided: kept with the match, recomputed at every match.
			out[i].Analysis = &vuln.Analysis{Status: sup.Status, Justification: sup.Justification, Detail: sup.ImpactStatement,
				UpdatedAt: v.now().UTC(), UpdatedBy: "rampart-firmware"}
		}
	}
	added, err := v.st.ReplaceReleaseVulns(ctx, releaseID, out)
	if err != nil {
		return nil, err
	}
	// The scanner findings follow the same data: KEV, EPSS, CVSS, fixed
	// versions, and their links to the new matches.
	if err := EnrichFindings(ctx, v.st, releaseID, out); err != nil {
		return nil, fmt.Errorf("enrich the findings of release %d: %w", releaseID, err)
	}
	if rel.Status == inventory.StatusShipped {
		for _, a := range added {
			if a.Suppressed {
				continue
			}
			title := fmt.Sprintf("%s affects %s %s in shipped %s %s", a.VulnID, a.ComponentName, a.ComponentVersion, rel.ProductName, rel.Version)
			if len(a.ExploitationSignals()) > 0 {
				title = "Known exploited: " + title
			}
			if err := v.st.AddEvent(ctx, notify.Event{Kind: "vulnerability.new", ProductID: rel.ProductID, ReleaseID: rel.ID, Subject: a.VulnID,
				Title: title, Detail: a.Severity + " · " + a.Reason}); err != nil {
				return nil, err
			}
		}
	}
	if err := v.detectExploited(ctx, rel, out); err != nil {
		return nil, fmt.Errorf("open incidents for exploited vulnerabilities in release %d: %w", releaseID, err)
	}
	return added, nil
}

// MatchRelease matches a release's components against the database with
// the release's VEX analyses applied, and returns the matches (worst first)
// and the analyses keyed by component ref and vulnerability id.
//
// The components are read from the store in batches (matchBatch), three
// times: for the advisory index keys, for the platform CPEs, and to match.
// Memory follows the batch, the release's advisories and its matches, not
// the component count (docs/performance.md: a 200,000-component release).
func (v *Vulns) MatchRelease(ctx context.Context, releaseID int64) ([]vuln.Match, map[[2]string]vuln.Analysis, error) {
	keys := map[string]bool{}
	err := v.st.EachComponents(ctx, releaseID, matchBatch, func(b []inventory.Component) error {
		for _, k := range vuln.ComponentKeys(b) {
			keys[k] = true
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	list := make([]string, 0, len(keys))
	for k := range keys {
		list = append(list, k)
	}
	keys = nil
	slices.Sort(list)
	advs, err := v.st.AdvisoriesByKeys(ctx, list)
	if err != nil {
		return nil, nil, err
	}
	merged, err := enrich(ctx, v.st, vuln.Merge(advs))
	if err != nil {
		return nil, nil, err
	}
	rm := vuln.NewMatcher(merged, vuln.MatcherOptions{}).NewReleaseMatch()
	if err := v.st.EachComponents(ctx, releaseID, matchBatch, func(b []inventory.Component) error { rm.AddPlatform(b); return nil }); err != nil {
		return nil, nil, err
	}
	if err := v.st.EachComponents(ctx, releaseID, matchBatch, func(b []inventory.Component) error { rm.Add(b); return nil }); err != nil {
		return nil, nil, err
	}
	analyses, err := v.st.Analyses(ctx, releaseID)
	if err != nil {
		return nil, nil, err
	}
	stmts := analysisStatements(analyses)
	matches := rm.Finish(stmts)
	if err := v.applyKernelConfig(ctx, releaseID, matches, vuln.NewVEXIndex(stmts)); err != nil {
		return nil, nil, err
	}
	return matches, analyses, nil
}

// analysisStatements are a release's recorded analyses as VEX statements:
// Recorded (a person's decision holds over any document's statement), at
// the time each was recorded, so of two analyses that apply to one match
// (one recorded under a vulnerability's alias) the later holds. They are
// in key order, so equal times resolve the same way at every match (the
// later component ref and id), not by map order.
func analysisStatements(analyses map[[2]string]vuln.Analysis) []vuln.VEXStatement {
	keys := slices.SortedFunc(maps.Keys(analyses), func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	stmts := make([]vuln.VEXStatement, 0, len(keys))
	for _, k := range keys {
		a := analyses[k]
		stmts = append(stmts, vuln.VEXStatement{VulnID: k[1], Product: k[0], Status: a.Status, Justification: a.Justification,
			ImpactStatement: a.Detail, Source: "rampart analysis", Timestamp: a.UpdatedAt.UTC(), Recorded: true})
	}
	return stmts
}

// matchBatch is how many components MatchRelease reads at a time.
var matchBatch = 2000

// kernelConfigSource names the VEX statements derived from a firmware
// image's kernel configuration.
const kernelConfigSource = "rampart-firmware kernel configuration"

// applyKernelConfig marks kernel CVEs not affected when the release's
// latest firmware image has a kernel configuration that does not build
// the vulnerable subsystem. It is derived afresh at every match from the
// latest image, so a later image that builds the subsystem brings the
// match back; a recorded analysis (a person's decision) always wins.
func (v *Vulns) applyKernelConfig(ctx context.Context, releaseID int64, matches []vuln.Match, decided *vuln.VEXIndex) error {
	var cfg *kconfig.Config
	loaded := false
	for i := range matches {
		mt := &matches[i]
		if mt.Suppressed != nil || mt.Advisory == nil || !isKernel(mt.Component) {
			continue
		}
		if decided.Effective(mt.Component, mt.Advisory) != nil {
			continue
		}
		if !loaded {
			loaded = true
			a, err := v.st.LatestFirmwareAnalysis(ctx, releaseID)
			if errors.Is(err, fault.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if cfg = a.Result.KernelConfig; cfg == nil {
				return nil
			}
		}
		if reason, ok := kconfig.NotAffected(cfg, mt.Advisory.Summary, mt.Advisory.Details); ok {
			mt.Suppressed = &vuln.VEXStatement{VulnID: mt.Advisory.ID, Product: mt.Component.Ref, Status: vuln.VEXNotAffected,
				Justification: "vulnerable_code_not_present", ImpactStatement: reason, Source: kernelConfigSource}
		}
	}
	return nil
}

// isKernel reports whether a component is the Linux kernel (as the
// firmware analysis or an SBOM names it).
func isKernel(c *inventory.Component) bool {
	if c == nil {
		return false
	}
	if c.Name == "linux" || c.Name == "linux-kernel" {
		return true
	}
	for _, cpe := range c.CPEs {
		if strings.Contains(cpe, ":linux:linux_kernel:") {
			return true
		}
	}
	return false
}

// RematchAll re-matches every release (after new vulnerability data) and
// returns how many new matches appeared. It records the generation of
// vulnerability data it started from once every release is done, so a
// re-match interrupted by a crash is visible (RematchPending) and is
// completed by the next server start.
func (v *Vulns) RematchAll(ctx context.Context) (int, error) {
	gen, err := v.st.Generation(ctx, vuln.GenAdvisories)
	if err != nil {
		return 0, err
	}
	ids, err := v.st.ReleaseIDs(ctx)
	if err != nil {
		return 0, err
	}

	n := 0
	for _, id := range ids {
		added, err := v.Rematch(ctx, id)
		if err != nil {
			return n, fmt.Errorf("re-match release %d: %w", id, err)
		}
		n += len(added)
	}
	return n, v.st.SetGeneration(ctx, vuln.GenRematched, gen)
}

// RematchPending reports whether vulnerability data was imported since the
// last completed re-match of the portfolio.
func (v *Vulns) RematchPending(ctx context.Context) (bool, error) {
	have, err := v.st.Generation(ctx, vuln.GenAdvisories)
	if err != nil {
		return false, err
	}
	done, err := v.st.Generation(ctx, vuln.GenRematched)
	return done < have, err
}

// FeedImportStore stores vulnerability data in one transaction (ImportFeeds).
type FeedImportStore interface {
	ImportAdvisories(ctx context.Context, advs []vuln.Advisory, epss map[string]vuln.EPSS, kev map[string]vuln.KEV,
		exploited map[string][]vuln.Exploitation, rec vuln.FeedImport) (vuln.FeedImport, error)
}

// FeedUpdateStore is what UpdateFeeds needs: the import and the mirror
// states (validators) of the feeds.
type FeedUpdateStore interface {
	FeedImportStore
	FeedStates(ctx context.Context) (map[string]mirror.State, error)
	SaveFeedStates(ctx context.Context, states []mirror.State) error
}

// ImportFeeds reads vulnerability data files, folders and zips (OSV, NVD,
// CVE 5, KEV, EPSS) and stores them in one transaction: a broken file
// (named in the error) stores nothing.
func ImportFeeds(ctx context.Context, st FeedImportStore, actor string, paths ...string) (vuln.FeedImport, error) {
	data, err := feeds.Load(ctx, paths...)
	if err != nil {
		return vuln.FeedImport{}, err
	}
	files := map[string]int{}
	for f, n := range data.Files {
		files[string(f)] = n
	}
	rec, err := st.ImportAdvisories(ctx, data.Advisories, data.EPSS, data.KEV, data.Exploited, vuln.FeedImport{Actor: actor, Paths: paths, Files: files})
	rec.Skipped = data.Skipped
	return rec, err
}

// SetAnalysis stores a VEX decision and re-matches the release.
// Errors: invalid field (vuln.Analysis.Validate: status, justification),
// not found (the release has no such match).
func (v *Vulns) SetAnalysis(ctx context.Context, releaseID int64, ref, vulnID string, a vuln.Analysis) error {
	if err := a.Validate(); err != nil {
		return err
	}
	found := false
	cur, err := v.st.ReleaseVulns(ctx, releaseID)
	if err != nil {
		return err
	}
	for _, m := range cur {
		if m.ComponentRef == ref && (m.VulnID == vulnID || slices.Contains(m.Aliases, vulnID)) {
			found, vulnID = true, m.VulnID
		}
	}
	if !found {
		return fmt.Errorf("release %d has no match of %s in component %q: %w", releaseID, vulnID, ref, fault.ErrNotFound)
	}
	a.UpdatedAt = v.now().UTC()
	// The decision and its audit record commit together.
	err = v.st.Atomic(ctx, func(ctx context.Context) error {
		if err := v.st.SetAnalysis(ctx, releaseID, ref, vulnID, a); err != nil {
			return err
		}
		pid, err := v.st.ReleaseProduct(ctx, releaseID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, v.st, audit.Event{Action: "vuln.analysis", Object: fmt.Sprintf("%s in %s of release %d", vulnID, ref, releaseID),
			ProductID: pid, Detail: strings.TrimSpace(fmt.Sprintf("%s %s %s", a.Status, a.Justification, a.Detail))})
	})
	if err != nil {
		return err
	}
	_, err = v.Rematch(ctx, releaseID)
	return err
}

// UpdateResult says what a feed update did.
type UpdateResult struct {
	Import    *vuln.FeedImport `json:"import,omitempty"` // nil when nothing changed
	Files     int              `json:"files"`
	Unchanged []string         `json:"unchanged"`
}

// UpdateFeeds downloads changed feeds from their (mirror) URLs and imports
// them in one transaction; the mirror states are saved only afterwards, so
// a failed update is retried in full next time and never half-imports.
func UpdateFeeds(ctx context.Context, st FeedUpdateStore, f *mirror.Fetcher, src mirror.Sources, actor string) (UpdateResult, error) {
	prev, err := st.FeedStates(ctx)
	if err != nil {
		return UpdateResult{}, err
	}
	res, err := f.Fetch(ctx, src, prev)
	if err != nil {
		return UpdateResult{}, err
	}
	defer os.RemoveAll(res.Dir)
	out := UpdateResult{Files: len(res.Files), Unchanged: res.Unchanged}
	if len(res.Files) > 0 {
		rec, err := ImportFeeds(ctx, st, actor, res.Files...)
		if err != nil {
			return out, err
		}
		out.Import = &rec
	}
	return out, st.SaveFeedStates(ctx, res.States)
}
