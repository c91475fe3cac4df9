package incident

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
)

// Scenario is a drill template: the incident it simulates and the response
// targets the team is measured against.
type Scenario struct {
	ID           string `json:"id"`
	Title        string `json:"title"`
	Kind         Kind   `json:"kind"`
	Severity     string `json:"severity"`
	Nature       string `json:"nature"`
	Exploitation string `json:"exploitation"`
	// Targets are the times from awareness by which each phase should be
	// reached (the reports' targets are their legal deadlines).
	Targets map[Phase]time.Duration `json:"-"`
}

// Scenarios are the built-in drill templates.
var Scenarios = []Scenario{
	{ID: "gateway-web-rce", Title: "Exploited vulnerability in the gateway's web server", Kind: KindVulnerability, Severity: "critical",
		Nature:       "remote code execution in the embedded web server of the gateway firmware",
		Exploitation: "a national CSIRT reports mass exploitation against internet-exposed gateways",
		Targets:      map[Phase]time.Duration{PhaseContainment: 4 * time.Hour, PhaseEradication: 48 * time.Hour, PhaseRecovery: 7 * 24 * time.Hour, PhaseClosed: 14 * 24 * time.Hour}},
	{ID: "leaked-signing-key", Title: "Leaked firmware signing key", Kind: KindIncident, Severity: "critical",
		Nature:       "the private key that signs firmware updates was published in a public repository",
		Exploitation: "unknown whether malicious firmware was signed with it; suspected insider or CI compromise",
		Targets:      map[Phase]time.Duration{PhaseContainment: 2 * time.Hour, PhaseEradication: 24 * time.Hour, PhaseRecovery: 5 * 24 * time.Hour, PhaseClosed: 30 * 24 * time.Hour}},
	{ID: "cloud-backend-breach", Title: "Compromised device management backend", Kind: KindIncident, Severity: "high",
		Nature:       "an attacker gained access to the cloud service that manages devices",
		Exploitation: "unlawful access suspected: credential stuffing against an administrator account",
		Targets:      map[Phase]time.Duration{PhaseContainment: 4 * time.Hour, PhaseEradication: 72 * time.Hour, PhaseRecovery: 7 * 24 * time.Hour, PhaseClosed: 30 * 24 * time.Hour}},
}

// ScenarioByID finds a scenario.
func ScenarioByID(id string) (Scenario, bool) {
	i := slices.IndexFunc(Scenarios, func(s Scenario) bool { return s.ID == id })
	if i < 0 {
		return Scenario{}, false
	}
	return Scenarios[i], true
}

// StartDrill opens a drill from a scenario against the real clocks: aware
// now. Drills raise no platform events and never absorb real signals.
func (s *Service) StartDrill(ctx context.Context, scenario string, products []int64) (*Incident, error) {
	sc, ok := ScenarioByID(scenario)
	if !ok {
		ids := make([]string, len(Scenarios))
		for i, x := range Scenarios {
			ids[i] = x.ID
		}
		return nil, fault.Invalid("scenario", "%q: unknown; scenarios are %v", scenario, ids)
	}
	in := OpenInput{Kind: sc.Kind, Title: "Drill: " + sc.Title, Severity: sc.Severity, Products: products,
		Details: &Details{Nature: sc.Nature, Exploitation: sc.Exploitation}}
	return s.open(ctx, in, "drill", sc.ID, nil, true)
}

// Score is one measured step of a scorecard.
type Score struct {
	Step    string     `json:"step"`
	Target  *time.Time `json:"target"`
	Reached *time.Time `json:"reached"`
	// Elapsed is the time from awareness to the step, in seconds.
	Elapsed *int64 `json:"elapsed_seconds"`
	Met     bool   `json:"met"`
}

// Scorecard measures a drill against its targets.
type Scorecard struct {
	Incident int64     `json:"incident"`
	Scenario string    `json:"scenario"`
	Title    string    `json:"title"`
	Started  time.Time `json:"started"`
	Closed   bool      `json:"closed"`
	Scores   []Score   `json:"scores"`
	Met      int       `json:"met"`
	Total    int       `json:"total"`
}

// Scorecard measures time to each phase and each report against targets.
func (s *Service) Scorecard(ctx context.Context, id int64) (*Scorecard, error) {
	inc, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !inc.Drill {
		return nil, fault.NotFound("incident %d is not a drill", id)
	}
	return scorecard(inc, s.loc, s.now()), nil
}

func scorecard(inc *Incident, loc *time.Location, now time.Time) *Scorecard {
	sc, _ := ScenarioByID(inc.Scenario)
	card := &Scorecard{Incident: inc.ID, Scenario: inc.Scenario, Title: inc.Title, Started: inc.AwareAt, Closed: inc.Phase == PhaseClosed}
	add := func(step string, target *time.Time, reached *time.Time) {
		x := Score{Step: step, Target: target, Reached: reached}
		if reached != nil {
			e := int64(reached.Sub(inc.AwareAt) / time.Second)
			x.Elapsed = &e
			x.Met = target == nil || !reached.After(*target)
		}
		card.Scores = append(card.Scores, x)
		card.Total++
		if x.Met {
			card.Met++
		}
	}
	for _, ph := range Phases[1:] {
		var target *time.Time
		if d, ok := sc.Targets[ph]; ok {
			t := inc.AwareAt.Add(d)
			target = &t
		}
		var reached *time.Time
		if t, ok := inc.PhaseAt[ph]; ok {
			reached = &t
		}
		add("phase "+string(ph), target, reached)
	}
	for _, r := range Clocks(inc, loc, now) {
		var reached *time.Time
		if r.Submission != nil {
			reached = &r.Submission.SubmittedAt
		}
		add(fmt.Sprintf("report %s", r.Kind), r.Due, reached)
	}
	return card
}

// DrillHistory returns the scorecards of a product's drills, oldest first,
// so a team sees whether its response times improve.
func (s *Service) DrillHistory(ctx context.Context, product int64) ([]Scorecard, error) {
	yes := true
	list, err := s.st.Incidents(ctx, Filter{Product: product, Drill: &yes, Limit: 500})
	if err != nil {
		return nil, err
	}
	out := []Scorecard{}
	for i := len(list) - 1; i >= 0; i-- {
		out = append(out, *scorecard(&list[i], s.loc, s.now()))
	}
	return out, nil
}
