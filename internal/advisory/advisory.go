// Package advisory is Rampart's security-advisory service: CSAF 2.0
// advisories are authored from the inventory and the VEX analyses, reviewed,
// published (hashed and OpenPGP-signed) and served by the built-in trusted
// provider. The document model and its validator are in advisory/csaf, the
// provider layout in advisory/provider and the keys in advisory/signing.
package advisory

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/advisory/csaf"
	"github.com/rampart-security/rampart/internal/advisory/provider"
	"github.com/rampart-security/rampart/internal/advisory/signing"
	"github.com/rampart-security/rampart/internal/fault"
)

// Status is where an advisory is in its workflow.
type Status string

// Workflow states: draft → review → published. A published advisory can be
// revised (back to draft) while its published copy keeps being served.
const (
	StatusDraft     Status = "draft"
	StatusReview    Status = "review"
	StatusPublished Status = "published"
)

// Advisory is one CSAF advisory with its working copy and, once published,
// the exact bytes served with their hashes and signature.
type Advisory struct {
	ID            int64           `json:"id"`
	ProductID     int64           `json:"product_id,omitempty"`
	TrackingID    string          `json:"tracking_id"`
	Title         string          `json:"title"`
	TLP           string          `json:"tlp"`
	Status        Status          `json:"status"`
	RequireReview bool            `json:"require_review"`
	Author        string          `json:"author"`
	Reviewer      string          `json:"reviewer,omitempty"`
	Document      json.RawMessage `json:"document"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
	// Published copy (empty until first publication).
	Published          []byte    `json:"-"`
	PublishedVersion   string    `json:"published_version,omitempty"`
	PublishedTLP       string    `json:"published_tlp,omitempty"`
	PublishedURL       string    `json:"published_path,omitempty"` // path under the provider
	InitialReleaseDate time.Time `json:"initial_release_date,omitzero"`
	CurrentReleaseDate time.Time `json:"current_release_date,omitzero"`
	SHA256             string    `json:"sha256,omitempty"`
	SHA512             string    `json:"sha512,omitempty"`
	Signature          string    `json:"-"`
	SignedBy           string    `json:"signed_by,omitempty"` // key fingerprint
}

// Entry returns the provider feed entry of the published copy.
func (a *Advisory) Entry() provider.Entry {
	return provider.Entry{TrackingID: a.TrackingID, Title: a.Title, TLP: a.PublishedTLP,
		InitialReleaseDate: a.InitialReleaseDate, CurrentReleaseDate: a.CurrentReleaseDate}
}

// Filter selects advisories in lists.
type Filter struct {
	Products []int64 // nil: every product
	Status   Status  // "": any
}

// Store is what the service needs from persistence. Lookups return errors
// wrapping fault.ErrNotFound for missing rows; CreateAdvisory returns one
// wrapping fault.ErrConflict for a duplicate tracking id.
type Store interface {
	CreateCSAFAdvisory(ctx context.Context, a *Advisory) error
	SaveCSAFAdvisory(ctx context.Context, a *Advisory) error
	CSAFAdvisory(ctx context.Context, id int64) (Advisory, error)
	CSAFAdvisories(ctx context.Context, f Filter) ([]Advisory, error)
	// PublishedEntries yields the published advisories of one TLP label,
	// newest current_release_date first, without loading them all.
	PublishedEntries(ctx context.Context, tlp string) iter.Seq2[provider.Entry, error]
	// PublishedFile returns the published advisory at tlp/year/file.
	PublishedFile(ctx context.Context, tlp string, year int, file string) (Advisory, error)
	PublishedYears(ctx context.Context, tlp string) ([]int, error)
	PublishedFilesIn(ctx context.Context, tlp string, year int) ([]string, error)
	PublishedCount(ctx context.Context, tlp string) (int, error)
	SigningKeys(ctx context.Context) ([]signing.Key, error) // current key first
	AddSigningKey(ctx context.Context, k signing.Key) error // the new key becomes current
	// Resign replaces the signature of every published advisory.
	Resign(ctx context.Context, sign func(doc []byte) (string, error), fingerprint string) (int, error)
}

// Config is the provider's identity.
type Config struct {
	Publisher provider.Publisher
	// IDPrefix starts generated tracking ids (default "RAMPART-SA").
	IDPrefix string
	// Published, when set, runs after each publication is stored (the
	// server queues the customer notices of the product's subscribers).
	Published func(ctx context.Context, a Advisory) error `json:"-"`
}

// Service runs the advisory workflow.
type Service struct {
	st  Store
	now func() time.Time
	cfg Config
}

// NewService builds the service. now is the clock.
func NewService(st Store, cfg Config, now func() time.Time) *Service {
	if cfg.IDPrefix == "" {
		cfg.IDPrefix = "RAMPART-SA"
	}
	if cfg.Publisher.Name == "" {
		cfg.Publisher = provider.Publisher{Category: "vendor", Name: "Rampart", Namespace: "https://rampart.invalid"}
	}
	return &Service{st: st, now: now, cfg: cfg}
}

// Publisher returns the configured publisher.
func (s *Service) Publisher() provider.Publisher { return s.cfg.Publisher }

// Draft is a new advisory.
type Draft struct {
	ProductID     int64
	TLP           string
	RequireReview bool
	Document      csaf.Document
}

// Create stores a new draft. The tracking id, publisher, CSAF version and
// draft tracking fields are filled in when empty.
func (s *Service) Create(ctx context.Context, actor string, d Draft) (Advisory, error) {
	tlp, err := checkTLP(d.TLP)
	if err != nil {
		return Advisory{}, err
	}
	now := s.now().UTC()
	doc := d.Document
	s.fillDraft(&doc, tlp, now)
	a := Advisory{ProductID: d.ProductID, TrackingID: doc.Document.Tracking.ID, Title: doc.Document.Title, TLP: tlp,
		Status: StatusDraft, RequireReview: d.RequireReview, Author: actor, CreatedAt: now, UpdatedAt: now}
	if a.TrackingID == "" {
		a.TrackingID = fmt.Sprintf("pending-%d", now.UnixNano())
	}
	if a.Document, err = json.Marshal(doc); err != nil {
		return Advisory{}, err
	}
	if err := s.st.CreateCSAFAdvisory(ctx, &a); err != nil {
		return Advisory{}, err
	}
	if doc.Document.Tracking.ID == "" {
		doc.Document.Tracking.ID = fmt.Sprintf("%s-%d-%04d", s.cfg.IDPrefix, now.Year(), a.ID)
		a.TrackingID = doc.Document.Tracking.ID
		if a.Document, err = json.Marshal(doc); err != nil {
			return Advisory{}, err
		}
		if err := s.st.SaveCSAFAdvisory(ctx, &a); err != nil {
			return Advisory{}, err
		}
	}
	return a, nil
}

func (s *Service) fillDraft(doc *csaf.Document, tlp string, now time.Time) {
	d := &doc.Document
	d.CSAFVersion = "2.0"
	if d.Category == "" {
		d.Category = "csaf_security_advisory"
	}
	if d.Lang == "" {
		d.Lang = "en"
	}
	d.Publisher = csaf.Publisher{Category: s.cfg.Publisher.Category, Name: s.cfg.Publisher.Name, Namespace: s.cfg.Publisher.Namespace,
		ContactDetails: s.cfg.Publisher.ContactDetails, IssuingAuthority: s.cfg.Publisher.IssuingAuth}
	d.Distribution = &csaf.Distribution{TLP: &csaf.TLP{Label: tlp, URL: "https://www.first.org/tlp/"}}
	t := &d.Tracking
	if t.Status == "" || t.Status == "final" || t.Status == "interim" {
		t.Status = "draft"
	}
	ts := now.Format(time.RFC3339)
	if t.InitialReleaseDate == "" {
		t.InitialReleaseDate = ts
	}
	t.CurrentReleaseDate = ts
	if t.Version == "" {
		t.Version = "0"
	}
	if len(t.RevisionHistory) == 0 {
		t.RevisionHistory = []csaf.Revision{{Date: ts, Number: t.Version, Summary: "Draft"}}
	}
	t.Generator = &csaf.Generator{Date: ts, Engine: csaf.Engine{Name: "Rampart"}}
}

// Update replaces the working copy of a draft (or of a published advisory,
// which starts a revision).
func (s *Service) Update(ctx context.Context, actor string, id int64, doc csaf.Document, tlp string) (Advisory, error) {
	a, err := s.st.CSAFAdvisory(ctx, id)
	if err != nil {
		return Advisory{}, err
	}
	if a.Status == StatusReview {
		return Advisory{}, fault.Conflict("advisory %s is in review: approve it or send it back to draft first", a.TrackingID)
	}
	if tlp == "" {
		tlp = a.TLP
	}
	if tlp, err = checkTLP(tlp); err != nil {
		return Advisory{}, err
	}
	var prev csaf.Document
	if err := json.Unmarshal(a.Document, &prev); err != nil {
		return Advisory{}, err
	}
	// The service owns tracking: keep the id, dates and history of the stored copy.
	doc.Document.Tracking = prev.Document.Tracking
	s.fillDraft(&doc, tlp, s.now().UTC())
	a.Title, a.TLP, a.Status, a.UpdatedAt = doc.Document.Title, tlp, StatusDraft, s.now().UTC()
	if a.Document, err = json.Marshal(doc); err != nil {
		return Advisory{}, err
	}
	return a, s.st.SaveCSAFAdvisory(ctx, &a)
}

// Submit sends a draft to review.
func (s *Service) Submit(ctx context.Context, actor string, id int64) (Advisory, error) {
	a, err := s.advisoryIn(ctx, id, StatusDraft, "draft")
	if err != nil {
		return Advisory{}, err
	}
	if res, err := csaf.Validate(s.candidate(a)); err != nil {
		return Advisory{}, err
	} else if !res.Valid {
		return Advisory{}, invalidDoc(res)
	}
	a.Status, a.UpdatedAt = StatusReview, s.now().UTC()
	return a, s.st.SaveCSAFAdvisory(ctx, &a)
}

// Reject sends an advisory in review back to draft.
func (s *Service) Reject(ctx context.Context, actor string, id int64) (Advisory, error) {
	a, err := s.advisoryIn(ctx, id, StatusReview, "in review")
	if err != nil {
		return Advisory{}, err
	}
	a.Status, a.UpdatedAt = StatusDraft, s.now().UTC()
	return a, s.st.SaveCSAFAdvisory(ctx, &a)
}

// advisoryIn returns advisory id, which must have the status want (what
// says it in the conflict otherwise).
func (s *Service) advisoryIn(ctx context.Context, id int64, want Status, what string) (Advisory, error) {
	a, err := s.st.CSAFAdvisory(ctx, id)
	if err != nil {
		return Advisory{}, err
	}
	if a.Status != want {
		return Advisory{}, fault.Conflict("advisory %s is %s, not %s", a.TrackingID, a.Status, what)
	}
	return a, nil
}

// ErrAuthorCannotApprove is returned when the author tries to publish an
// advisory that requires review.
var ErrAuthorCannotApprove = errors.New("the author cannot approve their own advisory: another user must review it")

// Publish finalises the working copy (status final, next version, revision
// history), validates it (the schema and every mandatory test must pass),
// hashes and signs it. An advisory that requires review must be in review
// and published by someone other than its author.
func (s *Service) Publish(ctx context.Context, actor string, id int64, summary string) (Advisory, error) {
	a, err := s.st.CSAFAdvisory(ctx, id)
	if err != nil {
		return Advisory{}, err
	}
	if a.RequireReview {
		if a.Status != StatusReview {
			return Advisory{}, fault.Conflict("advisory %s requires review: submit it for review first", a.TrackingID)
		}
		if actor == a.Author {
			return Advisory{}, fault.Forbidden("%v", ErrAuthorCannotApprove)
		}
	} else if a.Status == StatusPublished {
		return Advisory{}, fault.Conflict("advisory %s is already published: edit it to start a revision", a.TrackingID)
	}
	keys, err := s.EnsureKey(ctx)
	if err != nil {
		return Advisory{}, err
	}
	var doc csaf.Document
	if err := json.Unmarshal(a.Document, &doc); err != nil {
		return Advisory{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	finalize(&doc, a, now, summary)
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return Advisory{}, err
	}
	res, err := csaf.Validate(data)
	if err != nil {
		return Advisory{}, err
	}
	if !res.Valid {
		return Advisory{}, invalidDoc(res)
	}
	sig, err := keys.Sign(data)
	if err != nil {
		return Advisory{}, err
	}
	s256, s512 := sha256.Sum256(data), sha512.Sum512(data)
	ini, _ := time.Parse(time.RFC3339, doc.Document.Tracking.InitialReleaseDate)
	a.Document, _ = json.Marshal(doc)
	a.Published, a.PublishedVersion, a.PublishedTLP = data, doc.Document.Tracking.Version, a.TLP
	a.InitialReleaseDate, a.CurrentReleaseDate = ini, now
	a.SHA256, a.SHA512 = hex.EncodeToString(s256[:]), hex.EncodeToString(s512[:])
	a.Signature, a.SignedBy = sig, keys.Fingerprint
	a.Status, a.UpdatedAt, a.Title = StatusPublished, now, doc.Document.Title
	if a.RequireReview {
		a.Reviewer = actor
	}
	a.PublishedURL = a.Entry().Path()
	if err := s.st.SaveCSAFAdvisory(ctx, &a); err != nil {
		return a, err
	}
	if s.cfg.Published != nil {
		if err := s.cfg.Published(ctx, a); err != nil {
			return a, fmt.Errorf("advisory %s is published, but notifying its subscribers failed: %w", a.TrackingID, err)
		}
	}
	return a, nil
}

// finalize turns the working copy into the release: status final, version
// = next integer, revision history without draft items.
func finalize(doc *csaf.Document, a Advisory, now time.Time, summary string) {
	t := &doc.Document.Tracking
	ts := now.Format(time.RFC3339)
	next := 1
	if a.PublishedVersion != "" {
		if n, err := strconv.Atoi(a.PublishedVersion); err == nil {
			next = n + 1
		}
	}
	var hist []csaf.Revision
	for _, r := range t.RevisionHistory {
		if n, err := strconv.Atoi(r.Number); err == nil && n > 0 {
			hist = append(hist, r)
		}
	}
	if summary == "" {
		summary = "Initial release"
		if next > 1 {
			summary = "Revision " + strconv.Itoa(next)
		}
	}
	if next == 1 {
		t.InitialReleaseDate = ts
		hist = nil
	}
	hist = append(hist, csaf.Revision{Date: ts, Number: strconv.Itoa(next), Summary: summary})
	t.RevisionHistory = hist
	t.Version = strconv.Itoa(next)
	t.Status = "final"
	t.CurrentReleaseDate = ts
	t.Generator = &csaf.Generator{Date: ts, Engine: csaf.Engine{Name: "Rampart"}}
	// The canonical URL (6.2.11) is set by the provider when it serves the
	// document's base; the path part is fixed here.
	path := provider.Entry{TrackingID: t.ID, TLP: a.TLP, InitialReleaseDate: mustTime(t.InitialReleaseDate)}.Path()
	refs := doc.Document.References[:0:0]
	for _, r := range doc.Document.References {
		if r.Category != "self" {
			refs = append(refs, r)
		}
	}
	if base := doc.Document.Publisher.Namespace; strings.HasPrefix(base, "https://") {
		refs = append([]csaf.Reference{{Category: "self", Summary: "Canonical URL", URL: strings.TrimSuffix(base, "/") + path}}, refs...)
	}
	doc.Document.References = refs
}

func mustTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

// candidate is the document as it would be published now (for validation
// while editing).
func (s *Service) candidate(a Advisory) []byte {
	var doc csaf.Document
	if err := json.Unmarshal(a.Document, &doc); err != nil {
		return a.Document
	}
	finalize(&doc, a, s.now().UTC().Truncate(time.Second), "")
	data, _ := json.Marshal(doc)
	return data
}

// Check validates the working copy as it would be published.
func (s *Service) Check(ctx context.Context, id int64) (csaf.Result, error) {
	a, err := s.st.CSAFAdvisory(ctx, id)
	if err != nil {
		return csaf.Result{}, err
	}
	return csaf.Validate(s.candidate(a))
}

// CheckDocument validates an edited document as it would be published.
func (s *Service) CheckDocument(doc csaf.Document, tlp string) (csaf.Result, error) {
	if tlp == "" {
		tlp = provider.White
	}
	now := s.now().UTC()
	s.fillDraft(&doc, tlp, now)
	if doc.Document.Tracking.ID == "" {
		doc.Document.Tracking.ID = s.cfg.IDPrefix + "-DRAFT"
	}
	data, _ := json.Marshal(doc)
	return csaf.Validate(s.candidate(Advisory{TLP: tlp, Document: data}))
}

// Get returns one advisory.
func (s *Service) Get(ctx context.Context, id int64) (Advisory, error) {
	return s.st.CSAFAdvisory(ctx, id)
}

// List lists advisories.
func (s *Service) List(ctx context.Context, f Filter) ([]Advisory, error) {
	return s.st.CSAFAdvisories(ctx, f)
}

// EnsureKey returns the current signing key, generating one on first use.
func (s *Service) EnsureKey(ctx context.Context) (signing.Key, error) {
	keys, err := s.st.SigningKeys(ctx)
	if err != nil {
		return signing.Key{}, err
	}
	if len(keys) > 0 {
		return keys[0], nil
	}
	k, err := signing.Generate(s.cfg.Publisher.Name+" CSAF", "", s.now())
	if err != nil {
		return signing.Key{}, err
	}
	if err := s.st.AddSigningKey(ctx, k); err != nil {
		return signing.Key{}, err
	}
	return k, nil
}

// RotateKey makes a new signing key current and re-signs every published
// advisory with it; it returns the new key and the number re-signed.
func (s *Service) RotateKey(ctx context.Context) (signing.Key, int, error) {
	k, err := signing.Generate(s.cfg.Publisher.Name+" CSAF", "", s.now())
	if err != nil {
		return signing.Key{}, 0, err
	}
	if err := s.st.AddSigningKey(ctx, k); err != nil {
		return signing.Key{}, 0, err
	}
	n, err := s.st.Resign(ctx, k.Sign, k.Fingerprint)
	return k, n, err
}

// Keys lists the signing keys (current first), public parts only; like
// EnsureKey it generates the first key on first use.
func (s *Service) Keys(ctx context.Context) ([]signing.Key, error) {
	if _, err := s.EnsureKey(ctx); err != nil {
		return nil, err
	}
	keys, err := s.st.SigningKeys(ctx)
	for i := range keys {
		keys[i].Private = ""
	}
	return keys, err
}

func checkTLP(tlp string) (string, error) {
	if tlp == "" {
		return provider.White, nil
	}
	t := strings.ToUpper(strings.TrimPrefix(strings.ToUpper(tlp), "TLP:"))
	if t == "CLEAR" {
		return "", fault.Invalid("tlp", "CSAF 2.0 has no TLP:CLEAR: use WHITE for public advisories")
	}
	for _, x := range provider.TLPs {
		if x == t {
			return t, nil
		}
	}
	return "", fault.Invalid("tlp", "tlp %q: want WHITE, GREEN, AMBER or RED", tlp)
}

// InvalidError carries the validation result of a document that cannot be
// submitted or published.
type InvalidError struct{ Result csaf.Result }

func (e *InvalidError) Error() string {
	var b strings.Builder
	b.WriteString("the advisory fails CSAF validation:")
	n := 0
	for _, f := range e.Result.Failures {
		if f.Kind != csaf.Mandatory {
			continue
		}
		if n == 5 {
			b.WriteString(" …")
			break
		}
		fmt.Fprintf(&b, " [%s %s: %s]", f.Test, f.Path, f.Message)
		n++
	}
	return b.String()
}

func invalidDoc(res csaf.Result) error { return fault.Unprocessable(&InvalidError{res}) }

// Entries streams the published advisories of one label, newest first.
func (s *Service) Entries(ctx context.Context, tlp string) iter.Seq2[provider.Entry, error] {
	return s.st.PublishedEntries(ctx, tlp)
}

// File returns the published advisory at tlp/year/file.
func (s *Service) File(ctx context.Context, tlp string, year int, file string) (Advisory, error) {
	return s.st.PublishedFile(ctx, tlp, year, file)
}

// Years lists the year folders of a label.
func (s *Service) Years(ctx context.Context, tlp string) ([]int, error) {
	return s.st.PublishedYears(ctx, tlp)
}

// FilesIn lists the advisory files of a year folder.
func (s *Service) FilesIn(ctx context.Context, tlp string, year int) ([]string, error) {
	return s.st.PublishedFilesIn(ctx, tlp, year)
}

// FeedTLPs lists the labels with a feed: WHITE always, the others when they
// have published advisories.
func (s *Service) FeedTLPs(ctx context.Context) ([]string, error) {
	out := []string{provider.White}
	for _, t := range provider.TLPs[1:] {
		n, err := s.st.PublishedCount(ctx, t)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			out = append(out, t)
		}
	}
	return out, nil
}

// Now is the service clock.
func (s *Service) Now() time.Time { return s.now() }

// LastUpdated is when the provider's content last changed: the newest
// current_release_date of a published advisory, or the signing key's
// creation when nothing is published. It is stable between requests, so
// provider-metadata.json reads the same however it is reached.
func (s *Service) LastUpdated(ctx context.Context, tlps []string) (time.Time, error) {
	var last time.Time
	for _, t := range tlps {
		for e, err := range s.st.PublishedEntries(ctx, t) {
			if err != nil {
				return last, err
			}
			if e.CurrentReleaseDate.After(last) {
				last = e.CurrentReleaseDate
			}
			break // newest first
		}
	}
	if last.IsZero() {
		k, err := s.EnsureKey(ctx)
		if err != nil {
			return last, err
		}
		last = k.CreatedAt
	}
	return last.UTC().Truncate(time.Second), nil
}
