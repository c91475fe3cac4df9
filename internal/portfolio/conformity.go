package portfolio

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/conformity"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/firmware"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/paging"
	"github.com/rampart-security/rampart/internal/threatmodel"
	"github.com/rampart-security/rampart/internal/updates"
	"github.com/rampart-security/rampart/internal/vuln"
)

// EvidenceSource adds one domain's evidence (firmware analysis, signed
// updates, advisories, disclosure policy) to a release's evidence.
type EvidenceSource func(ctx context.Context, e *conformity.Evidence) error

// ConformityStore is the storage Conformity needs: the products and
// releases assessed, their evidence (scans, matched vulnerabilities, SLA,
// threat model, vulnerability database), the stored answers and their audit
// records.
type ConformityStore interface {
	audit.Log
	ThreatReader
	Product(ctx context.Context, id int64) (inventory.Product, error)
	ProductsIn(ctx context.Context, ids []int64, after string, limit int) ([]inventory.Product, string, error)
	Release(ctx context.Context, id int64) (inventory.Release, error)
	Releases(ctx context.Context, productID int64, after string, limit int) ([]inventory.Release, string, error)
	ReleaseSLA(ctx context.Context, releaseID int64, now time.Time) (conformity.SLAEvidence, error)
	ReleaseVulns(ctx context.Context, releaseID int64) ([]vuln.ReleaseVuln, error)
	Exploitations(ctx context.Context, cves []string) (map[string][]vuln.Exploitation, error)
	Scans(ctx context.Context, releaseID int64) ([]findings.Scan, error)
	VulnDBStatus(ctx context.Context) (vuln.DBStatus, error)
	ConformityAnswers(ctx context.Context, releaseID int64) ([]conformity.Answer, error)
	SaveConformityAnswer(ctx context.Context, releaseID int64, a conformity.Answer) (conformity.Answer, error)
	ReviewConformityAnswer(ctx context.Context, releaseID int64, catalog, item, reviewer string, at time.Time) (conformity.Answer, error)
}

// UpdatesEvidenceStore is the storage the update-repository evidence reads.
type UpdatesEvidenceStore interface {
	UpdateRepoOfProduct(ctx context.Context, productID int64) (updates.Repo, error)
	UpdateTargets(ctx context.Context, repoID int64) ([]updates.Target, error)
}

// FirmwareEvidenceStore is the storage the firmware evidence reads.
type FirmwareEvidenceStore interface {
	Scans(ctx context.Context, releaseID int64) ([]findings.Scan, error)
	Findings(ctx context.Context, q findings.Query) ([]findings.Stored, string, error)
	LatestFirmwareAnalysis(ctx context.Context, releaseID int64) (firmware.Analysis, error)
}

// AdvisoryEvidenceStore is the storage the advisory evidence reads.
type AdvisoryEvidenceStore interface {
	CSAFAdvisories(ctx context.Context, f advisory.Filter) ([]advisory.Advisory, error)
}

// ConformityServiceStore is the storage NewConformityService needs: the
// assessment's and that of every evidence source it wires.
type ConformityServiceStore interface {
	ConformityStore
	UpdatesEvidenceStore
	FirmwareEvidenceStore
	AdvisoryEvidenceStore
}

// Conformity is the self-assessment use case: it gathers a release's
// evidence from the store and the other domains, assesses it against a
// catalogue and records manual answers and reviews.
type Conformity struct {
	st      ConformityStore
	lib     *threatmodel.Library
	now     func() time.Time
	sources []EvidenceSource
}

// NewConformity builds the service; sources add evidence beyond what the
// store's inventory, findings, vulnerabilities and threat models hold.
func NewConformity(st ConformityStore, lib *threatmodel.Library, now func() time.Time, sources ...EvidenceSource) *Conformity {
	if now == nil {
		now = time.Now
	}
	return &Conformity{st: st, lib: lib, now: now, sources: sources}
}

// NewConformityService is the conformity service with every domain's
// evidence source wired in: the one constructor the server and the CLI use.
func NewConformityService(st ConformityServiceStore, lib *threatmodel.Library) *Conformity {
	return NewConformity(st, lib, time.Now, advisoryEvidence(st), firmwareEvidence(st), updatesEvidence(st), disclosureEvidence)
}

// disclosureEvidence: every Rampart server publishes its disclosure policy
// and report contact itself (/.well-known/security.txt, RFC 9116, whose
// Contact and Policy point at the public report page /report).
func disclosureEvidence(_ context.Context, e *conformity.Evidence) error {
	e.Disclosure = &conformity.DisclosureEvidence{PolicyURL: "/.well-known/security.txt", ContactURL: "/report"}
	return nil
}

// updatesEvidence reads the product's TUF repository and its targets.
func updatesEvidence(st UpdatesEvidenceStore) EvidenceSource {
	return func(ctx context.Context, e *conformity.Evidence) error {
		repo, err := st.UpdateRepoOfProduct(ctx, e.ProductID)
		if errors.Is(err, fault.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		targets, err := st.UpdateTargets(ctx, repo.ID)
		if err != nil {
			return err
		}
		e.Updates = &conformity.UpdatesEvidence{URL: fmt.Sprintf("/products/%d/updates", e.ProductID), Targets: len(targets)}
		return nil
	}
}

// firmwareEvidence reads the release's latest firmware analysis from its
// rampart-firmware import: the issues still active are its findings (kind
// from the rule id "firmware/KIND"); the binaries' ELF hardening comes from
// the stored analysis result (firmware_analyses).
func firmwareEvidence(st FirmwareEvidenceStore) EvidenceSource {
	return func(ctx context.Context, e *conformity.Evidence) error {
		scans, err := st.Scans(ctx, e.ReleaseID)
		if err != nil {
			return err
		}
		image := ""
		for _, sc := range scans {
			if sc.Tool == firmwareTool {
				image = sc.FileName
				break
			}
		}
		if image == "" {
			return nil
		}
		fe := &conformity.FirmwareEvidence{Image: image, Issues: []conformity.FirmwareIssue{}}
		issues := paging.All(func(after string) ([]findings.Stored, string, error) {
			return st.Findings(ctx, findings.Query{ReleaseID: e.ReleaseID, Tool: firmwareTool, Status: "active", After: after, Limit: paging.Max})
		})
		for f, err := range issues {
			if err != nil {
				return err
			}
			path := ""
			if len(f.Finding.Locations) > 0 {
				path = f.Finding.Locations[0].File
			}
			fe.Issues = append(fe.Issues, conformity.FirmwareIssue{ID: strconv.FormatInt(f.ID, 10), Kind: strings.TrimPrefix(f.Finding.RuleID, "firmware/"),
				Severity: string(f.Finding.Severity), Path: path})
		}
		// The stored analysis (kept since firmware_analyses) carries each
		// binary's hardening, for firmware.hardening.
		a, err := st.LatestFirmwareAnalysis(ctx, e.ReleaseID)
		switch {
		case errors.Is(err, fault.ErrNotFound):
		case err != nil:
			return err
		default:
			fe.Binaries = []conformity.BinaryRef{}
			for _, b := range a.Result.Binaries {
				fe.Binaries = append(fe.Binaries, conformity.BinaryRef{Path: b.Path, NX: b.NX, PIE: b.PIE, RELRO: b.RELRO, Canary: b.Canary})
			}
		}
		e.Firmware = fe
		return nil
	}
}

// advisoryEvidence links the product's published CSAF advisories.
func advisoryEvidence(st AdvisoryEvidenceStore) EvidenceSource {
	return func(ctx context.Context, e *conformity.Evidence) error {
		list, err := st.CSAFAdvisories(ctx, advisory.Filter{Products: []int64{e.ProductID}, Status: advisory.StatusPublished})
		if err != nil {
			return err
		}
		for _, a := range list {
			e.Advisories = append(e.Advisories, conformity.Link{Kind: "advisory", ID: a.TrackingID, URL: fmt.Sprintf("/advisories/%d", a.ID)})
		}
		return nil
	}
}

// Evidence gathers what Rampart knows about a release.
func (c *Conformity) Evidence(ctx context.Context, releaseID int64) (*conformity.Evidence, error) {
	rel, err := c.st.Release(ctx, releaseID)
	if err != nil {
		return nil, err
	}
	prod, err := c.st.Product(ctx, rel.ProductID)
	if err != nil {
		return nil, err
	}
	now := c.now()
	e := &conformity.Evidence{ProductID: prod.ID, Product: prod.Name, ReleaseID: rel.ID, Version: rel.Version, Status: string(rel.Status),
		SupportEnd: rel.SupportEnd, ReleaseDate: rel.ReleaseDate}
	if rel.Components > 0 {
		e.SBOM = &conformity.SBOMEvidence{Components: rel.Components, SHA256: rel.SBOMSHA256}
	}
	if err := c.vulnEvidence(ctx, rel, e); err != nil {
		return nil, err
	}
	if e.SLA, err = c.st.ReleaseSLA(ctx, rel.ID, now); err != nil {
		return nil, err
	}
	if err := c.threatEvidence(ctx, prod.ID, e); err != nil {
		return nil, err
	}
	scans, err := c.st.Scans(ctx, rel.ID)
	if err != nil {
		return nil, err
	}
	if len(scans) > 0 {
		d := &conformity.DevelopmentEvidence{Scans: len(scans)}
		last := scans[0].ImportedAt
		d.LastScan = &last
		tools := map[string]bool{}
		for _, s := range scans {
			tools[s.Tool] = true
		}
		for t := range tools {
			d.Tools = append(d.Tools, t)
		}
		sort.Strings(d.Tools)
		e.Development = d
	}
	for _, src := range c.sources {
		if err := src(ctx, e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (c *Conformity) vulnEvidence(ctx context.Context, rel inventory.Release, e *conformity.Evidence) error {
	st, err := c.st.VulnDBStatus(ctx)
	if err != nil {
		return err
	}
	for _, im := range st.Imports {
		if e.Vulns.FeedsUpdated == nil || im.At.After(*e.Vulns.FeedsUpdated) {
			at := im.At
			e.Vulns.FeedsUpdated = &at
		}
	}
	rvs, err := c.st.ReleaseVulns(ctx, rel.ID)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var open []vuln.ReleaseVuln
	var cves []string
	for _, rv := range rvs {
		if rv.Suppressed || seen[rv.VulnID] {
			continue
		}
		if a := rv.Analysis; a != nil && (a.Status == vuln.VEXNotAffected || a.Status == vuln.VEXFixed) {
			continue
		}
		seen[rv.VulnID] = true
		open = append(open, rv)
		cves = append(cves, releaseVulnCVEs(rv)...)
	}
	reports, err := c.st.Exploitations(ctx, cves)
	if err != nil {
		return err
	}
	for _, rv := range open {
		var ex []vuln.Exploitation
		for _, id := range releaseVulnCVEs(rv) {
			ex = append(ex, reports[id]...)
		}
		ref := conformity.VulnRef{ID: rv.VulnID, Severity: rv.Severity, KEV: rv.KEV}
		for _, sig := range vuln.ExploitationSignals(rv.KEV, rv.KEVDue, ex) {
			ref.Exploited = append(ref.Exploited, string(sig.Source))
		}
		e.Vulns.Open = append(e.Vulns.Open, ref)
	}
	return nil
}

// releaseVulnCVEs are the CVE ids among a match's vulnerability id and
// aliases: the keys exploitation reports are stored by.
func releaseVulnCVEs(rv vuln.ReleaseVuln) []string {
	var out []string
	for _, id := range append([]string{rv.VulnID}, rv.Aliases...) {
		if strings.HasPrefix(id, "CVE-") && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func (c *Conformity) threatEvidence(ctx context.Context, productID int64, e *conformity.Evidence) error {
	view, err := ProductThreats(ctx, c.st, c.lib, productID, 0)
	if errors.Is(err, fault.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	te := &conformity.ThreatEvidence{Version: view.Version.Version, RuleETSI: map[string][]string{}, Threats: []conformity.ThreatRef{}}
	for _, r := range c.lib.Rules() {
		te.RuleETSI[r.ID] = r.ETSI
	}
	for _, t := range view.Result.Threats {
		te.Threats = append(te.Threats, conformity.ThreatRef{ID: t.ID, Rule: t.Rule, Title: t.Title, STRIDE: t.STRIDE, Severity: t.Severity, Status: t.Status, ETSI: t.ETSI})
	}
	e.Threats = te
	return nil
}

// Report assesses a release against a catalogue.
func (c *Conformity) Report(ctx context.Context, releaseID int64, catalog string) (*conformity.Report, error) {
	cat, err := catalogNamed(catalog)
	if err != nil {
		return nil, err
	}
	e, err := c.Evidence(ctx, releaseID)
	if err != nil {
		return nil, err
	}
	answers, err := c.st.ConformityAnswers(ctx, releaseID)
	if err != nil {
		return nil, err
	}
	return conformity.Assess(cat, e, answers, c.now()), nil
}

func catalogNamed(id string) (*conformity.Catalog, error) {
	if id == "" {
		id = conformity.ETSI
	}
	cat, err := conformity.LoadCatalog(id)
	if err != nil {
		return nil, fault.Invalid("catalog", "%v", err)
	}
	return cat, nil
}

// Answer records a manual answer (a new version of the item's answer) and
// audits it.
func (c *Conformity) Answer(ctx context.Context, releaseID int64, a conformity.Answer, actor string) (conformity.Answer, error) {
	cat, err := catalogNamed(a.Catalog)
	if err != nil {
		return a, err
	}
	a.Catalog = cat.ID
	if err := a.Validate(cat); err != nil {
		return a, fault.Invalid("answer", "%v", err)
	}
	rel, err := c.st.Release(ctx, releaseID)
	if err != nil {
		return a, err
	}
	a.Author, a.UpdatedAt = actor, c.now().UTC()
	a, err = c.st.SaveConformityAnswer(ctx, releaseID, a)
	if err != nil {
		return a, err
	}
	err = audit.Record(ctx, c.st, audit.Event{Action: "conformity.answer", ProductID: rel.ProductID,
		Object: fmt.Sprintf("release %s %s %s v%d", rel.Version, a.Catalog, a.Item, a.Version), Detail: a.Status + ": " + a.Justification})
	return a, err
}

// Review marks the latest manual answer of an item reviewed; the author
// cannot review their own answer.
func (c *Conformity) Review(ctx context.Context, releaseID int64, catalog, item, reviewer string) (conformity.Answer, error) {
	cat, err := catalogNamed(catalog)
	if err != nil {
		return conformity.Answer{}, err
	}
	answers, err := c.st.ConformityAnswers(ctx, releaseID)
	if err != nil {
		return conformity.Answer{}, err
	}
	var latest *conformity.Answer
	for i := range answers {
		if answers[i].Catalog == cat.ID && answers[i].Item == item {
			latest = &answers[i]
		}
	}
	if latest == nil {
		return conformity.Answer{}, fault.NotFound("no manual answer for %s %s on release %d", cat.ID, item, releaseID)
	}
	if latest.Author == reviewer {
		return conformity.Answer{}, fault.Forbidden("%s wrote this answer: another person must review it", reviewer)
	}
	rel, err := c.st.Release(ctx, releaseID)
	if err != nil {
		return conformity.Answer{}, err
	}
	a, err := c.st.ReviewConformityAnswer(ctx, releaseID, cat.ID, item, reviewer, c.now())
	if err != nil {
		return a, err
	}
	err = audit.Record(ctx, c.st, audit.Event{Action: "conformity.review", ProductID: rel.ProductID,
		Object: fmt.Sprintf("release %s %s %s v%d", rel.Version, a.Catalog, a.Item, a.Version)})
	return a, err
}

// ReleaseConformity is one release's summary in the portfolio overview.
type ReleaseConformity struct {
	ProductID int64              `json:"product_id"`
	Product   string             `json:"product"`
	ReleaseID int64              `json:"release_id"`
	Release   string             `json:"release"`
	Status    string             `json:"status"`
	Summary   conformity.Summary `json:"summary"`
	Score     int                `json:"score"`
	// MandatoryGaps counts mandatory items not met or needing evidence.
	MandatoryGaps int `json:"mandatory_gaps"`
}

// Overview summarises the latest release of each visible product (nil:
// every product) against a catalogue.
func (c *Conformity) Overview(ctx context.Context, catalog string, products []int64) ([]ReleaseConformity, error) {
	if _, err := catalogNamed(catalog); err != nil {
		return nil, err
	}
	var prods []inventory.Product
	for p, err := range paging.All(func(after string) ([]inventory.Product, string, error) {
		return c.st.ProductsIn(ctx, products, after, 200)
	}) {
		if err != nil {
			return nil, err
		}
		prods = append(prods, p)
	}
	out := []ReleaseConformity{}
	for _, p := range prods {
		rels, _, err := c.st.Releases(ctx, p.ID, "", 1)
		if err != nil {
			return nil, err
		}
		if len(rels) == 0 {
			continue
		}
		rel := rels[0]
		r, err := c.Report(ctx, rel.ID, catalog)
		if err != nil {
			return nil, err
		}
		rc := ReleaseConformity{ProductID: p.ID, Product: p.Name, ReleaseID: rel.ID, Release: rel.Version, Status: string(rel.Status), Summary: r.Summary, Score: r.Summary.Score()}
		for _, g := range r.Gaps() {
			if g.Level == "mandatory" {
				rc.MandatoryGaps++
			}
		}
		out = append(out, rc)
	}
	return out, nil
}
