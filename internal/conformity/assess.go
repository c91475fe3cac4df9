package conformity

import (
	"fmt"
	"strings"
	"time"
)

// Statuses of an item.
const (
	Met           = "met"
	NotMet        = "not_met"
	NotApplicable = "not_applicable"
	NeedsEvidence = "needs_evidence"
)

// ValidStatus reports whether s is one of the four statuses.
func ValidStatus(s string) bool {
	return s == Met || s == NotMet || s == NotApplicable || s == NeedsEvidence
}

// Answer is a person's answer to one item of one release.
type Answer struct {
	Catalog       string     `json:"catalog"`
	Item          string     `json:"item"`
	Status        string     `json:"status"`
	Justification string     `json:"justification"`
	Owner         string     `json:"owner,omitempty"`
	EvidenceURL   string     `json:"evidence_url,omitempty"`
	Author        string     `json:"author"`
	UpdatedAt     time.Time  `json:"updated_at"`
	Reviewer      string     `json:"reviewer,omitempty"`
	ReviewedAt    *time.Time `json:"reviewed_at,omitempty"`
	Version       int        `json:"version"`
}

// Validate checks an answer against its catalogue.
func (a Answer) Validate(c *Catalog) error {
	if _, ok := c.Item(a.Item); !ok {
		return fmt.Errorf("item %q is not in catalogue %s", a.Item, c.ID)
	}
	if !ValidStatus(a.Status) {
		return fmt.Errorf("status %q: must be one of met, not_met, not_applicable, needs_evidence", a.Status)
	}
	if strings.TrimSpace(a.Justification) == "" {
		return fmt.Errorf("justification: a manual answer needs one (what the evidence is, or why the item does not apply)")
	}
	if len(a.Justification) > 4000 {
		return fmt.Errorf("justification: at most 4000 characters")
	}
	if a.EvidenceURL != "" && !strings.HasPrefix(a.EvidenceURL, "https://") && !strings.HasPrefix(a.EvidenceURL, "/") {
		return fmt.Errorf("evidence_url: must be an https:// URL or a Rampart path")
	}
	return nil
}

// CheckResult is one automatic check's answer for an item.
type CheckResult struct {
	Check string `json:"check"`
	State string `json:"state"` // pass, fail, unknown
	Why   string `json:"why"`
}

// Result is the assessment of one item.
type Result struct {
	ID            string        `json:"id"`
	Group         string        `json:"group"`
	Level         string        `json:"level"`
	Title         string        `json:"title"`
	Question      string        `json:"question"`
	Status        string        `json:"status"`
	Justification string        `json:"justification"`
	Evidence      []Link        `json:"evidence"`
	Source        string        `json:"source"`      // automatic or manual
	AutoStatus    string        `json:"auto_status"` // what the checks alone say
	Checks        []CheckResult `json:"checks"`
	Answer        *Answer       `json:"answer,omitempty"`
}

// Summary counts items per status.
type Summary struct {
	Met           int `json:"met"`
	NotMet        int `json:"not_met"`
	NotApplicable int `json:"not_applicable"`
	NeedsEvidence int `json:"needs_evidence"`
}

func (s *Summary) add(status string) {
	switch status {
	case Met:
		s.Met++
	case NotMet:
		s.NotMet++
	case NotApplicable:
		s.NotApplicable++
	default:
		s.NeedsEvidence++
	}
}

// Score is the share of applicable items that are met, in percent.
func (s Summary) Score() int {
	applicable := s.Met + s.NotMet + s.NeedsEvidence
	if applicable == 0 {
		return 100
	}
	return 100 * s.Met / applicable
}

// GroupSummary is the summary of one clause.
type GroupSummary struct {
	Group
	Summary
	Score int `json:"score"`
}

// Report is a release's self-assessment against one catalogue.
type Report struct {
	Catalog     string         `json:"catalog"`
	Title       string         `json:"title"`
	Version     string         `json:"version"`
	Source      string         `json:"source"`
	ProductID   int64          `json:"product_id"`
	Product     string         `json:"product"`
	ReleaseID   int64          `json:"release_id"`
	Release     string         `json:"release"`
	GeneratedAt time.Time      `json:"generated_at"`
	Items       []Result       `json:"items"`
	Summary     Summary        `json:"summary"`
	Groups      []GroupSummary `json:"groups"`
}

// Assess answers every item of c from the evidence and the manual answers
// (the latest per item). An item's automatic status is not_met when any
// check fails, met when every applicable check passes, and needs_evidence
// otherwise (no check, or evidence missing); a manual answer decides the
// final status, and the automatic result stays visible beside it.
func Assess(c *Catalog, e *Evidence, answers []Answer, now time.Time) *Report {
	byItem := map[string]Answer{}
	for _, a := range answers {
		if a.Catalog == c.ID {
			if old, ok := byItem[a.Item]; !ok || a.Version > old.Version {
				byItem[a.Item] = a
			}
		}
	}
	r := &Report{Catalog: c.ID, Title: c.Title, Version: c.Version, Source: c.Source, ProductID: e.ProductID, Product: e.Product,
		ReleaseID: e.ReleaseID, Release: e.Version, GeneratedAt: now.UTC()}
	groups := map[string]*GroupSummary{}
	for _, g := range c.Groups {
		r.Groups = append(r.Groups, GroupSummary{Group: g})
	}
	for i := range r.Groups {
		groups[r.Groups[i].ID] = &r.Groups[i]
	}
	for _, it := range c.Items {
		res := assessItem(it, e, now)
		if a, ok := byItem[it.ID]; ok {
			a := a
			res.Answer = &a
			res.Source = "manual"
			res.Status = a.Status
			just := a.Justification
			if res.AutoStatus != NeedsEvidence && res.AutoStatus != a.Status {
				just += " (manual answer; the automatic checks say " + strings.ReplaceAll(res.AutoStatus, "_", " ") + ": " + res.Justification + ")"
			}
			res.Justification = just
			if a.EvidenceURL != "" {
				res.Evidence = append(res.Evidence, Link{Kind: "manual", ID: fmt.Sprintf("%s@%d", a.Item, a.Version), URL: a.EvidenceURL})
			}
		}
		if res.Evidence == nil {
			res.Evidence = []Link{}
		}
		r.Items = append(r.Items, res)
		r.Summary.add(res.Status)
		if g := groups[it.Group]; g != nil {
			g.add(res.Status)
		}
	}
	for i := range r.Groups {
		r.Groups[i].Score = r.Groups[i].Summary.Score()
	}
	return r
}

func assessItem(it Item, e *Evidence, now time.Time) Result {
	res := Result{ID: it.ID, Group: it.Group, Level: it.Level, Title: it.Title, Question: it.Question, Source: "automatic", Checks: []CheckResult{}}
	var passed, failed, missing []string
	for _, name := range it.Checks {
		o := checks[name].run(it, e, now)
		switch o.state {
		case skip:
			continue
		case pass:
			passed = append(passed, o.why)
			res.Checks = append(res.Checks, CheckResult{name, "pass", o.why})
		case fail:
			failed = append(failed, o.why)
			res.Checks = append(res.Checks, CheckResult{name, "fail", o.why})
		case unknown:
			missing = append(missing, o.why)
			res.Checks = append(res.Checks, CheckResult{name, "unknown", o.why})
		}
		if o.state == fail || o.state == pass {
			res.Evidence = append(res.Evidence, o.evidence...)
		}
	}
	switch {
	case len(failed) > 0:
		res.Status, res.Justification = NotMet, strings.Join(failed, "; ")
	case len(passed) > 0 && len(missing) == 0:
		res.Status, res.Justification = Met, strings.Join(passed, "; ")
	case len(passed) > 0:
		res.Status = NeedsEvidence
		res.Justification = strings.Join(passed, "; ") + "; but " + strings.Join(missing, "; ")
	case len(missing) > 0:
		res.Status, res.Justification = NeedsEvidence, strings.Join(missing, "; ")
	default:
		res.Status, res.Justification = NeedsEvidence, "no automatic check: answer it with evidence (e.g. a test report or design document)"
	}
	res.AutoStatus = res.Status
	return res
}

// Gaps returns the items that are not met or need evidence, mandatory ones
// first, in catalogue order within each level.
func (r *Report) Gaps() []Result {
	var mand, rec []Result
	for _, it := range r.Items {
		if it.Status == NotMet || it.Status == NeedsEvidence {
			if it.Level == "mandatory" {
				mand = append(mand, it)
			} else {
				rec = append(rec, it)
			}
		}
	}
	return append(mand, rec...)
}

// Change is an item whose status differs between two releases.
type Change struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Compare lists the items whose status changed from old to cur.
func Compare(old, cur *Report) []Change {
	prev := map[string]string{}
	for _, it := range old.Items {
		prev[it.ID] = it.Status
	}
	var out []Change
	for _, it := range cur.Items {
		if p, ok := prev[it.ID]; ok && p != it.Status {
			out = append(out, Change{ID: it.ID, Title: it.Title, Before: p, After: it.Status})
		}
	}
	return out
}
