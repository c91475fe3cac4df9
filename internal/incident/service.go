package incident

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
)

// Store is the persistence the Service needs; internal/store implements it.
// Every method that takes an Entry writes the change, the timeline entry and
// a hash-chained audit event in one transaction.
type Store interface {
	// CreateIncident stores inc (assigning ID) with its first entry. It
	// returns an error wrapping fault.ErrConflict when a signal in e is
	// already recorded, and fault.ErrNotFound for an unknown product or
	// release.
	CreateIncident(ctx context.Context, inc *Incident, e Entry) error
	// SaveIncident updates inc (row, products, releases, submissions) with
	// one entry; conflicts as CreateIncident.
	SaveIncident(ctx context.Context, inc *Incident, e Entry) error
	// Incident loads one incident with tasks and timeline (fault.ErrNotFound).
	Incident(ctx context.Context, id int64) (*Incident, error)
	// Incidents lists incidents, newest awareness first.
	Incidents(ctx context.Context, f Filter) ([]Incident, error)
	// AddIncidentTask stores a task with its entry.
	AddIncidentTask(ctx context.Context, incidentID int64, t *Task, e Entry) error
	// SetIncidentTaskDone sets a task's completion (nil: open) with its
	// entry; fault.ErrNotFound when the task is not the incident's.
	SetIncidentTaskDone(ctx context.Context, incidentID, taskID int64, doneAt *time.Time, e Entry) (Task, error)
	// OpenIncidentFor finds the open (not closed, not drill) incident about
	// vulnerability, or returns fault.ErrNotFound.
	OpenIncidentFor(ctx context.Context, vulnerability string) (*Incident, error)
	// SignalRecorded reports whether a signal was already acted on.
	SignalRecorded(ctx context.Context, s Signal) (bool, error)
	// ReleaseProducts returns the product of each release (fault.ErrNotFound
	// for an unknown one).
	ReleaseProducts(ctx context.Context, releases []int64) (map[int64]int64, error)
	// IncidentEvent raises a platform event (shown in the UI, sent to
	// webhooks) about an incident.
	IncidentEvent(ctx context.Context, inc *Incident, kind, title string) error
}

// Service runs the incident use cases.
type Service struct {
	st     Store
	now    func() time.Time
	loc    *time.Location
	notify NotifyStore
}

// Options configure a Service.
type Options struct {
	// Location is the manufacturer's legal time zone, in which day and month
	// periods are counted (nil: UTC).
	Location *time.Location
	// Notify, when set, queues the customer notice to the products'
	// subscribers when an incident enters recovery (a fix is available).
	Notify NotifyStore
}

// New returns a Service over st with clock now.
func New(st Store, now func() time.Time, opt Options) *Service {
	if now == nil {
		now = time.Now
	}
	loc := opt.Location
	if loc == nil {
		loc = time.UTC
	}
	return &Service{st: st, now: now, loc: loc, notify: opt.Notify}
}

// Location is the time zone day and month periods are counted in.
func (s *Service) Location() *time.Location { return s.loc }

// OpenInput opens an incident by hand.
type OpenInput struct {
	Kind          Kind       `json:"kind"`
	Title         string     `json:"title"`
	Severity      string     `json:"severity"`
	Products      []int64    `json:"products"`
	Releases      []int64    `json:"releases"`
	Vulnerability string     `json:"vulnerability"`
	AwareAt       *time.Time `json:"aware_at"`
	Details       *Details   `json:"details,omitempty"`
	Owner         string     `json:"owner,omitempty"`
}

// Severities are the accepted severity values.
var Severities = []string{"low", "medium", "high", "critical"}

func actor(ctx context.Context) string {
	if p := identity.FromContext(ctx); p != nil {
		return p.Name
	}
	return "system"
}

func (s *Service) validate(in *OpenInput) error {
	if in.Kind != KindVulnerability && in.Kind != KindIncident {
		return fault.Invalid("kind", "%q: must be vulnerability (an actively exploited vulnerability) or incident (a severe incident)", in.Kind)
	}
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" || len(in.Title) > 300 {
		return fault.Invalid("title", "give a title of 1 to 300 characters")
	}
	if in.Severity == "" {
		in.Severity = "high"
	}
	if !slices.Contains(Severities, in.Severity) {
		return fault.Invalid("severity", "%q: must be one of %s", in.Severity, strings.Join(Severities, ", "))
	}
	if len(in.Products) == 0 && len(in.Releases) == 0 {
		return fault.Invalid("products", "name at least one affected product or release")
	}
	if len(in.Vulnerability) > 200 {
		return fault.Invalid("vulnerability", "at most 200 characters")
	}
	return nil
}

// Open opens an incident. AwareAt defaults to now; a time in the future is
// refused (awareness cannot be claimed ahead of time).
func (s *Service) Open(ctx context.Context, in OpenInput) (*Incident, error) {
	return s.open(ctx, in, "manual", "", nil, false)
}

func (s *Service) open(ctx context.Context, in OpenInput, signal, scenario string, sigs []Signal, drill bool) (*Incident, error) {
	if err := s.validate(&in); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	aware := now
	if in.AwareAt != nil {
		if in.AwareAt.After(now.Add(time.Minute)) {
			return nil, fault.Invalid("aware_at", "%s is in the future: give when you became aware", in.AwareAt.Format(time.RFC3339))
		}
		aware = in.AwareAt.UTC()
	}
	products := slices.Clone(in.Products)
	if len(in.Releases) > 0 {
		rp, err := s.st.ReleaseProducts(ctx, in.Releases)
		if err != nil {
			return nil, fault.Invalid("releases", "%v", err)
		}
		for _, p := range rp {
			products = append(products, p)
		}
	}
	inc := &Incident{Kind: in.Kind, Title: in.Title, Severity: in.Severity, Vulnerability: strings.TrimSpace(in.Vulnerability), Owner: in.Owner,
		Phase: PhaseDetection, Products: uniq(products), Releases: uniq(in.Releases), Drill: drill, Scenario: scenario,
		AwareAt: aware, AwareSignal: signal, PhaseAt: map[Phase]time.Time{PhaseDetection: aware}, CreatedAt: now, UpdatedAt: now,
		Submissions: map[ReportKind]Submission{}}
	if in.Details != nil {
		inc.Details = *in.Details
	}
	what := "incident"
	if drill {
		what = "drill"
	}
	e := Entry{At: now, Actor: actor(ctx), Action: "open", Signals: sigs,
		Detail: fmt.Sprintf("%s %s opened (%s, %s); aware at %s via %s", what, inc.Kind, inc.Severity, inc.Title, aware.Format(time.RFC3339), signal)}
	if err := s.st.CreateIncident(ctx, inc, e); err != nil {
		return nil, err
	}
	if !drill {
		title := fmt.Sprintf("Incident %d opened: %s — early warning due %s", inc.ID, inc.Title, aware.Add(EarlyWarningPeriod).Format(time.RFC3339))
		if err := s.st.IncidentEvent(ctx, inc, "incident.opened", title); err != nil {
			return nil, err
		}
		inc.Reports = Clocks(inc, s.loc, now)
		if err := s.alertTeam(ctx, inc, fmt.Sprintf("opened via %s — early warning due %s", signal, FormatDue(aware.Add(EarlyWarningPeriod), s.loc))); err != nil {
			return nil, err
		}
	}
	return s.Get(ctx, inc.ID)
}

func uniq(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []int64{}
	}
	return out
}

// Get loads an incident with its clocks computed at now.
func (s *Service) Get(ctx context.Context, id int64) (*Incident, error) {
	inc, err := s.st.Incident(ctx, id)
	if err != nil {
		return nil, err
	}
	inc.Reports = Clocks(inc, s.loc, s.now())
	return inc, nil
}

// List lists incidents with their clocks.
func (s *Service) List(ctx context.Context, f Filter) ([]Incident, error) {
	if f.Phase != "" && f.Phase.index() < 0 {
		return nil, fault.Invalid("phase", "%q: must be one of detection, containment, eradication, recovery, closed", f.Phase)
	}
	list, err := s.st.Incidents(ctx, f)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for i := range list {
		list[i].Reports = Clocks(&list[i], s.loc, now)
	}
	return list, nil
}

// Patch changes an incident; nil fields stay.
type Patch struct {
	Phase               *Phase     `json:"phase"`
	Owner               *string    `json:"owner"`
	CorrectiveMeasureAt *time.Time `json:"corrective_measure_at"`
	Severity            *string    `json:"severity"`
	Details             *Details   `json:"details"`
	// Links replaces the linked objects: "findings", "advisories",
	// "updates" (ids as strings).
	Links map[string][]string `json:"links"`
}

// Update applies a patch, one timeline entry per changed field. Phases move
// forward only (detection → containment → eradication → recovery → closed);
// a corrective measure cannot be dated before awareness or in the future.
func (s *Service) Update(ctx context.Context, id int64, p Patch) (*Incident, error) {
	inc, err := s.st.Incident(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	var changes []string
	if p.Phase != nil && *p.Phase != inc.Phase {
		to := *p.Phase
		if to.index() < 0 {
			return nil, fault.Invalid("phase", "%q: must be one of detection, containment, eradication, recovery, closed", to)
		}
		if to.index() < inc.Phase.index() {
			return nil, fault.Invalid("phase", "cannot go back from %s to %s: phases move forward (reopen by opening a new incident)", inc.Phase, to)
		}
		changes = append(changes, fmt.Sprintf("phase %s → %s", inc.Phase, to))
		inc.Phase = to
		if inc.PhaseAt == nil {
			inc.PhaseAt = map[Phase]time.Time{}
		}
		inc.PhaseAt[to] = now
	}
	ownerChanged := false
	if p.Owner != nil && *p.Owner != inc.Owner {
		ownerChanged = true
		changes = append(changes, fmt.Sprintf("owner %q → %q", inc.Owner, *p.Owner))
		inc.Owner = strings.TrimSpace(*p.Owner)
	}
	if p.Severity != nil && *p.Severity != inc.Severity {
		if !slices.Contains(Severities, *p.Severity) {
			return nil, fault.Invalid("severity", "%q: must be one of %s", *p.Severity, strings.Join(Severities, ", "))
		}
		changes = append(changes, fmt.Sprintf("severity %s → %s", inc.Severity, *p.Severity))
		inc.Severity = *p.Severity
	}
	if p.CorrectiveMeasureAt != nil {
		c := p.CorrectiveMeasureAt.UTC()
		if c.After(now.Add(time.Minute)) {
			return nil, fault.Invalid("corrective_measure_at", "%s is in the future: record it when the measure is available to users", c.Format(time.RFC3339))
		}
		if c.Before(inc.AwareAt) {
			return nil, fault.Invalid("corrective_measure_at", "%s is before awareness (%s)", c.Format(time.RFC3339), inc.AwareAt.Format(time.RFC3339))
		}
		if inc.CorrectiveMeasureAt == nil || !inc.CorrectiveMeasureAt.Equal(c) {
			changes = append(changes, fmt.Sprintf("corrective measure available at %s (recorded %s)", c.Format(time.RFC3339), now.Format(time.RFC3339)))
			inc.CorrectiveMeasureAt = &c
		}
	}
	if p.Details != nil && *p.Details != inc.Details {
		changes = append(changes, "report details updated")
		inc.Details = *p.Details
	}
	if p.Links != nil {
		n := 0
		for k, v := range p.Links {
			if k != "findings" && k != "advisories" && k != "updates" {
				return nil, fault.Invalid("links", "%q: link findings, advisories or updates", k)
			}
			for _, x := range v {
				if x == "" || len(x) > 200 {
					return nil, fault.Invalid("links", "%s: ids are 1 to 200 characters", k)
				}
			}
			n += len(v)
		}
		if n > 500 {
			return nil, fault.Invalid("links", "at most 500 links")
		}
		changes = append(changes, fmt.Sprintf("links set (%d)", n))
		inc.Links = p.Links
	}
	if len(changes) == 0 {
		return s.Get(ctx, id)
	}
	inc.UpdatedAt = now
	if err := s.st.SaveIncident(ctx, inc, Entry{At: now, Actor: actor(ctx), Action: "update", Detail: strings.Join(changes, "; ")}); err != nil {
		return nil, err
	}
	if ownerChanged && inc.Owner != "" {
		if err := s.mailOwner(ctx, inc, "assigned to you ("+inc.Owner+")"); err != nil {
			return nil, err
		}
	}
	if p.Phase != nil && *p.Phase == PhaseRecovery && s.notify != nil && !inc.Drill {
		if _, err := s.InformUsers(ctx, s.notify, id); err != nil {
			return nil, err
		}
	}
	return s.Get(ctx, id)
}

// Submit records that a report was submitted. A report can be submitted
// once; submitting a report before the one it follows is allowed (the
// platform accepts combined reports) but not before awareness.
func (s *Service) Submit(ctx context.Context, id int64, kind ReportKind, at *time.Time, reference string) (*Incident, error) {
	inc, err := s.st.Incident(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	sub := now
	if at != nil {
		sub = at.UTC()
	}
	if sub.After(now.Add(time.Minute)) {
		return nil, fault.Invalid("submitted_at", "%s is in the future", sub.Format(time.RFC3339))
	}
	if sub.Before(inc.AwareAt) {
		return nil, fault.Invalid("submitted_at", "%s is before awareness (%s)", sub.Format(time.RFC3339), inc.AwareAt.Format(time.RFC3339))
	}
	if len(reference) > 200 {
		return nil, fault.Invalid("reference", "at most 200 characters")
	}
	if _, ok := inc.Submissions[kind]; ok {
		return nil, fault.Conflict("the %s of incident %d is already recorded as submitted", kind, id)
	}
	if inc.Submissions == nil {
		inc.Submissions = map[ReportKind]Submission{}
	}
	inc.Submissions[kind] = Submission{SubmittedAt: sub, Reference: strings.TrimSpace(reference), By: actor(ctx)}
	inc.Reports = Clocks(inc, s.loc, now)
	status := ""
	for _, r := range inc.Reports {
		if r.Kind == kind {
			status = string(r.Status)
		}
	}
	inc.UpdatedAt = now
	e := Entry{At: now, Actor: actor(ctx), Action: "report_submitted", Detail: fmt.Sprintf("%s submitted at %s, reference %q: %s", kind, sub.Format(time.RFC3339), reference, status)}
	if err := s.st.SaveIncident(ctx, inc, e); err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// AddTask adds a task to an incident.
func (s *Service) AddTask(ctx context.Context, id int64, t Task) (*Task, error) {
	t.Title = strings.TrimSpace(t.Title)
	if t.Title == "" || len(t.Title) > 300 {
		return nil, fault.Invalid("title", "give a task title of 1 to 300 characters")
	}
	if _, err := s.st.Incident(ctx, id); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	due := ""
	if t.Due != nil {
		due = ", due " + t.Due.UTC().Format(time.RFC3339)
	}
	if err := s.st.AddIncidentTask(ctx, id, &t, Entry{At: now, Actor: actor(ctx), Action: "task_added", Detail: fmt.Sprintf("task %q owner %q%s", t.Title, t.Owner, due)}); err != nil {
		return nil, err
	}
	return &t, nil
}

// SetTaskDone marks a task done (or, with done false, open again); the
// change is a timeline entry.
func (s *Service) SetTaskDone(ctx context.Context, id, taskID int64, done bool) (*Task, error) {
	now := s.now().UTC()
	var at *time.Time
	action := "task_reopened"
	if done {
		at, action = &now, "task_done"
	}
	t, err := s.st.SetIncidentTaskDone(ctx, id, taskID, at, Entry{At: now, Actor: actor(ctx), Action: action, Detail: fmt.Sprintf("task %d", taskID)})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Exposure is an exploited vulnerability matched in a shipped release in
// support: the input of automatic detection.
type Exposure struct {
	Source           string // "kev", "euvd", "csaf", "intake"
	VulnID           string
	ReleaseID        int64
	ProductID        int64
	ProductName      string
	Version          string
	Component        string
	ComponentVersion string
	Severity         string
	Detail           string // e.g. the KEV entry's date added and required action
}

// DetectResult says what detection did.
type DetectResult struct {
	Opened   []int64 `json:"opened"`
	Extended []int64 `json:"extended"`
	// Corroborated lists incidents a further source confirmed (a second
	// signal about a release the incident already covers).
	Corroborated []int64 `json:"corroborated"`
	Skipped      int     `json:"skipped"`
}

// Detect opens an incident for every exploited vulnerability newly seen in a
// release, or adds the release to the open incident about it. Awareness is
// now: when Rampart learned it. A signal already acted on is skipped, so
// re-running a feed import never double-opens.
func (s *Service) Detect(ctx context.Context, exps []Exposure) (DetectResult, error) {
	res := DetectResult{Opened: []int64{}, Extended: []int64{}, Corroborated: []int64{}}
	for _, x := range exps {
		sig := Signal{Source: x.Source, Subject: x.VulnID, ReleaseID: x.ReleaseID, ProductID: x.ProductID, Detail: x.Detail}
		seen, err := s.st.SignalRecorded(ctx, sig)
		if err != nil {
			return res, err
		}
		if seen {
			res.Skipped++
			continue
		}
		open, err := s.st.OpenIncidentFor(ctx, x.VulnID)
		switch {
		case errors.Is(err, fault.ErrNotFound):
			in := OpenInput{Kind: KindVulnerability, Severity: severity(x.Severity), Releases: []int64{x.ReleaseID}, Vulnerability: x.VulnID,
				Title:   fmt.Sprintf("Actively exploited %s in %s %s (%s %s)", x.VulnID, x.ProductName, x.Version, x.Component, x.ComponentVersion),
				Details: &Details{Nature: fmt.Sprintf("%s in component %s %s", x.VulnID, x.Component, x.ComponentVersion), Exploitation: x.Detail}}
			inc, err := s.open(ctx, in, x.Source, "", []Signal{sig}, false)
			if errors.Is(err, fault.ErrConflict) { // another process acted on it first
				res.Skipped++
				continue
			}
			if err != nil {
				return res, err
			}
			res.Opened = append(res.Opened, inc.ID)
		case err != nil:
			return res, err
		case slices.Contains(open.Releases, x.ReleaseID):
			// Another source confirms what the incident already covers:
			// recorded as evidence for the reports, no new event.
			saved, err := s.saveSignal(ctx, open, sig, "signal",
				fmt.Sprintf("%s also reports %s as exploited (%s %s): %s", x.Source, x.VulnID, x.ProductName, x.Version, x.Detail))
			if err != nil {
				return res, err
			}
			if !saved {
				res.Skipped++
				continue
			}
			res.Corroborated = append(res.Corroborated, open.ID)
		default:
			open.Releases = uniq(append(open.Releases, x.ReleaseID))
			open.Products = uniq(append(open.Products, x.ProductID))
			saved, err := s.saveSignal(ctx, open, sig, "release_added",
				fmt.Sprintf("%s signal: %s %s (release %d) is affected through %s %s", x.Source, x.ProductName, x.Version, x.ReleaseID, x.Component, x.ComponentVersion))
			if err != nil {
				return res, err
			}
			if !saved {
				res.Skipped++
				continue
			}
			what := fmt.Sprintf("%s %s is also affected by %s", x.ProductName, x.Version, x.VulnID)
			if err := s.st.IncidentEvent(ctx, open, "incident.release_added", fmt.Sprintf("Incident %d: %s", open.ID, what)); err != nil {
				return res, err
			}
			if err := s.alertTeam(ctx, open, what); err != nil {
				return res, err
			}
			res.Extended = append(res.Extended, open.ID)
		}
	}
	return res, nil
}

// saveSignal saves inc, updated now, with a timeline entry (action,
// detail) that records the signal sig; false when another process
// recorded the signal first (a conflict: the signal is skipped).
func (s *Service) saveSignal(ctx context.Context, inc *Incident, sig Signal, action, detail string) (bool, error) {
	now := s.now().UTC()
	inc.UpdatedAt = now
	err := s.st.SaveIncident(ctx, inc, Entry{At: now, Actor: actor(ctx), Action: action, Signals: []Signal{sig}, Detail: detail})
	if errors.Is(err, fault.ErrConflict) {
		return false, nil
	}
	return err == nil, err
}

func severity(s string) string {
	s = strings.ToLower(s)
	if slices.Contains(Severities, s) {
		return s
	}
	return "high" // actively exploited: high unless known otherwise
}
