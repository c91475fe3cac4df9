// Package sdl holds a product's secure-development record: an OWASP SAMM
// 2.0 self-assessment (15 security practices, two streams each, a maturity
// answer 0–3 per stream) and a release checklist of SDL activities with
// evidence links. Policies read the checklist as release.checklist.<id>.
package sdl

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
)

// Practice is one SAMM 2.0 security practice with its two streams.
type Practice struct {
	ID       string   `json:"id"`
	Function string   `json:"function"`
	Name     string   `json:"name"`
	Streams  []Stream `json:"streams"`
}

// Stream is one stream of a practice; its id is PRACTICE-A or PRACTICE-B.
type Stream struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func practice(fn, id, name, a, b string) Practice {
	return Practice{ID: id, Function: fn, Name: name, Streams: []Stream{{ID: id + "-A", Name: a}, {ID: id + "-B", Name: b}}}
}

// Practices are SAMM 2.0's 15 security practices in model order.
var Practices = []Practice{
	practice("Governance", "G-SM", "Strategy & Metrics", "Create and Promote", "Measure and Improve"),
	practice("Governance", "G-PC", "Policy & Compliance", "Policy & Standards", "Compliance Management"),
	practice("Governance", "G-EG", "Education & Guidance", "Training and Awareness", "Organization and Culture"),
	practice("Design", "D-TA", "Threat Assessment", "Application Risk Profile", "Threat Modeling"),
	practice("Design", "D-SR", "Security Requirements", "Software Requirements", "Supplier Security"),
	practice("Design", "D-SA", "Security Architecture", "Architecture Design", "Technology Management"),
	practice("Implementation", "I-SB", "Secure Build", "Build Process", "Software Dependencies"),
	practice("Implementation", "I-SD", "Secure Deployment", "Deployment Process", "Secret Management"),
	practice("Implementation", "I-DM", "Defect Management", "Defect Tracking", "Metrics and Feedback"),
	practice("Verification", "V-AA", "Architecture Assessment", "Architecture Validation", "Architecture Mitigation"),
	practice("Verification", "V-RT", "Requirements-driven Testing", "Control Verification", "Misuse/Abuse Testing"),
	practice("Verification", "V-ST", "Security Testing", "Scalable Baseline", "Deep Understanding"),
	practice("Operations", "O-IM", "Incident Management", "Incident Detection", "Incident Response"),
	practice("Operations", "O-EM", "Environment Management", "Configuration Hardening", "Patching and Updating"),
	practice("Operations", "O-OM", "Operational Management", "Data Protection", "System Decommissioning / Legacy Management"),
}

var streams = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range Practices {
		for _, s := range p.Streams {
			m[s.ID] = true
		}
	}
	return m
}()

// Scores are an assessment's maturity scores (0–3).
type Scores struct {
	Overall   float64            `json:"overall"`
	Functions map[string]float64 `json:"functions"`
	Practices map[string]float64 `json:"practices"`
}

// ValidateAnswers checks stream ids and that each answer is a maturity
// level 0–3 in steps of 0.25 (SAMM's answer scale per level).
func ValidateAnswers(answers map[string]float64) error {
	for id, v := range answers {
		if !streams[id] {
			return fault.Invalid("answers", "unknown SAMM stream %q: use PRACTICE-A or PRACTICE-B, e.g. D-TA-B (the model is in GET /api/v1/products/{id}/samm)", id)
		}
		if v < 0 || v > 3 || math.Mod(v*4, 1) != 0 {
			return fault.Invalid("answers", "%s = %v: a maturity answer is 0 to 3 in steps of 0.25", id, v)
		}
	}
	return nil
}

// Score computes practice (mean of its streams), function (mean of its
// practices) and overall (mean of all practices) scores; unanswered streams
// count as 0.
func Score(answers map[string]float64) Scores {
	sc := Scores{Functions: map[string]float64{}, Practices: map[string]float64{}}
	perFn := map[string][]float64{}
	total := 0.0
	for _, p := range Practices {
		v := 0.0
		for _, s := range p.Streams {
			v += answers[s.ID]
		}
		v /= float64(len(p.Streams))
		sc.Practices[p.ID] = round2(v)
		perFn[p.Function] = append(perFn[p.Function], v)
		total += v
	}
	for fn, vs := range perFn {
		sum := 0.0
		for _, v := range vs {
			sum += v
		}
		sc.Functions[fn] = round2(sum / float64(len(vs)))
	}
	sc.Overall = round2(total / float64(len(Practices)))
	return sc
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// Activity is one SDL release-checklist item.
type Activity struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Activities are the release checklist's SDL activities; their ids are the
// keys of release.checklist in policies.
var Activities = []Activity{
	{"threat_model_reviewed", "Threat model reviewed for this release"},
	{"code_review", "Security code review done"},
	{"static_analysis", "Static analysis clean (or triaged)"},
	{"penetration_test", "Penetration test done"},
}

// ChecklistItem is the state of one activity for a release.
type ChecklistItem struct {
	Done     bool   `json:"done"`
	Evidence string `json:"evidence"` // a link to the review, report or ticket
}

// ValidateChecklist checks activity ids and evidence links (http/https).
// A done activity needs evidence.
func ValidateChecklist(items map[string]ChecklistItem) error {
	for id, it := range items {
		known := false
		for _, a := range Activities {
			known = known || a.ID == id
		}
		if !known {
			var ids []string
			for _, a := range Activities {
				ids = append(ids, a.ID)
			}
			return fault.Invalid("items", "unknown activity %q: use %s", id, strings.Join(ids, ", "))
		}
		if it.Done && strings.TrimSpace(it.Evidence) == "" {
			return fault.Invalid("items", "%s is done but has no evidence link: link the review, report or ticket", id)
		}
		if it.Evidence != "" {
			u, err := url.Parse(it.Evidence)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return fault.Invalid("items", "%s: evidence %q is not an http(s) link", id, it.Evidence)
			}
		}
	}
	return nil
}

// Checklist turns stored items into the policy's release.checklist map.
func Checklist(items map[string]ChecklistItem) map[string]bool {
	out := map[string]bool{}
	for _, a := range Activities {
		out[a.ID] = items[a.ID].Done
	}
	return out
}

// String names a practice's stream for messages.
func (s Stream) String() string { return fmt.Sprintf("%s %s", s.ID, s.Name) }

// SAMMAssessment is one stored SAMM self-assessment of a product.
type SAMMAssessment struct {
	ID        int64              `json:"id"`
	ProductID int64              `json:"product_id"`
	Answers   map[string]float64 `json:"answers"`
	Scores    Scores             `json:"scores"`
	Note      string             `json:"note,omitempty"`
	CreatedAt time.Time          `json:"created_at"`
	CreatedBy string             `json:"created_by"`
}
