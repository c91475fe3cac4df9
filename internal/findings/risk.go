package findings

import (
	"fmt"
	"math"
)

// Exposure is how reachable the affected product is (from the inventory).
type Exposure string

// Exposure levels, most to least reachable.
const (
	InternetFacing Exposure = "internet-facing"
	LocalNetwork   Exposure = "local-network"
	Physical       Exposure = "physical"
)

// RiskInput is everything the risk score looks at.
type RiskInput struct {
	Severity Severity // used when there is no CVSS score
	CVSS     CVSS     // v4 base score preferred, else v3
	EPSS     *float64 // probability 0–1
	KEV      bool     // listed in CISA KEV
	// Criticality of the product, 1 (lowest) to 5 (highest); 0 means
	// unknown and counts as 3.
	Criticality int
	// Exposure of the product; empty means unknown and counts as
	// local-network.
	Exposure Exposure
}

// RiskFactor is one line of a score's breakdown.
type RiskFactor struct {
	Name   string  `json:"name"`   // "impact", "likelihood", "criticality", "exposure"
	Input  string  `json:"input"`  // what was looked at, e.g. "CVSS v4 9.3"
	Points float64 `json:"points"` // contribution to the score
	Max    float64 `json:"max"`    // the most this factor can contribute
}

// Risk is an explainable priority score: Score is the sum of the factors'
// points (0–100, one decimal), Priority its band.
type Risk struct {
	Score     float64      `json:"score"`
	Priority  string       `json:"priority"` // P1 (act now) … P4
	Breakdown []RiskFactor `json:"breakdown"`
}

// Maximum points per factor; they add up to 100.
const (
	impactMax      = 40
	likelihoodMax  = 30
	criticalityMax = 15
	exposureMax    = 15
)

// severityScore stands in for a CVSS score when a tool gave only a word: the
// middle of the severity's CVSS band.
var severityScore = map[Severity]float64{Critical: 9.5, High: 8.0, Medium: 5.5, Low: 2.0, Info: 0}

// RiskScore computes the risk priority of a finding:
//
//	impact      = CVSS/10 × 40      (CVSS v4 base score, else v3, else the
//	                                 middle of the severity's band)
//	likelihood  = 30 when in KEV, else EPSS × 30
//	criticality = (criticality−1)/4 × 15   (1–5; unknown counts as 3)
//	exposure    = internet-facing 15, local-network 8, physical 3
//	              (unknown counts as local-network)
//	score       = sum, 0–100;  P1 ≥ 70, P2 ≥ 50, P3 ≥ 30, else P4.
//
// Known exploitation outweighs a high CVSS score with no known exploit, and
// the same vulnerability ranks higher on an internet-facing, critical
// product than on a lab device reachable only with physical access.
func RiskScore(in RiskInput) Risk {
	var r Risk
	score, label := 0.0, ""
	switch {
	case in.CVSS.V4Score != nil:
		score, label = *in.CVSS.V4Score, fmt.Sprintf("CVSS v4 %.1f", *in.CVSS.V4Score)
	case in.CVSS.V3Score != nil:
		score, label = *in.CVSS.V3Score, fmt.Sprintf("CVSS v3 %.1f", *in.CVSS.V3Score)
	default:
		sev := in.Severity
		if !sev.Valid() {
			sev = Info
		}
		score, label = severityScore[sev], fmt.Sprintf("severity %s (no CVSS score, counted as %.1f)", sev, severityScore[sev])
	}
	score = math.Max(0, math.Min(10, score))
	r.add("impact", label, score/10*impactMax, impactMax)

	switch {
	case in.KEV:
		r.add("likelihood", "in CISA KEV (known exploited)", likelihoodMax, likelihoodMax)
	case in.EPSS != nil:
		e := math.Max(0, math.Min(1, *in.EPSS))
		r.add("likelihood", fmt.Sprintf("EPSS %.4f", e), e*likelihoodMax, likelihoodMax)
	default:
		r.add("likelihood", "no EPSS score, not in KEV", 0, likelihoodMax)
	}

	c, clabel := in.Criticality, fmt.Sprintf("product criticality %d of 5", in.Criticality)
	if c < 1 || c > 5 {
		c, clabel = 3, "product criticality unknown (counted as 3 of 5)"
	}
	r.add("criticality", clabel, float64(c-1)/4*criticalityMax, criticalityMax)

	switch in.Exposure {
	case InternetFacing:
		r.add("exposure", "internet-facing", exposureMax, exposureMax)
	case Physical:
		r.add("exposure", "physical access only", 3, exposureMax)
	case LocalNetwork:
		r.add("exposure", "local network", 8, exposureMax)
	default:
		r.add("exposure", "exposure unknown (counted as local network)", 8, exposureMax)
	}

	total := 0.0
	for i := range r.Breakdown {
		total += r.Breakdown[i].Points
	}
	r.Score = math.Round(total*10) / 10
	switch {
	case r.Score >= 70:
		r.Priority = "P1"
	case r.Score >= 50:
		r.Priority = "P2"
	case r.Score >= 30:
		r.Priority = "P3"
	default:
		r.Priority = "P4"
	}
	return r
}

func (r *Risk) add(name, input string, points, max float64) {
	r.Breakdown = append(r.Breakdown, RiskFactor{Name: name, Input: input, Points: math.Round(points*10) / 10, Max: max})
}
