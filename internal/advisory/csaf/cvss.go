package csaf

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	cvss20 "github.com/pandatix/go-cvss/20"
	cvss30 "github.com/pandatix/go-cvss/30"
	cvss31 "github.com/pandatix/go-cvss/31"
)

type cvssVector interface {
	Get(abv string) (string, error)
	BaseScore() float64
	TemporalScore() float64
	EnvironmentalScore() float64
}

var v3Props = map[string]string{
	"attackVector": "AV", "attackComplexity": "AC", "privilegesRequired": "PR", "userInteraction": "UI",
	"scope": "S", "confidentialityImpact": "C", "integrityImpact": "I", "availabilityImpact": "A",
	"exploitCodeMaturity": "E", "remediationLevel": "RL", "reportConfidence": "RC",
	"confidentialityRequirement": "CR", "integrityRequirement": "IR", "availabilityRequirement": "AR",
	"modifiedAttackVector": "MAV", "modifiedAttackComplexity": "MAC", "modifiedPrivilegesRequired": "MPR",
	"modifiedUserInteraction": "MUI", "modifiedScope": "MS", "modifiedConfidentialityImpact": "MC",
	"modifiedIntegrityImpact": "MI", "modifiedAvailabilityImpact": "MA",
}

var v2Props = map[string]string{
	"accessVector": "AV", "accessComplexity": "AC", "authentication": "Au", "confidentialityImpact": "C",
	"integrityImpact": "I", "availabilityImpact": "A", "exploitability": "E", "remediationLevel": "RL",
	"reportConfidence": "RC", "collateralDamagePotential": "CDP", "targetDistribution": "TD",
	"confidentialityRequirement": "CR", "integrityRequirement": "IR", "availabilityRequirement": "AR",
}

var v2Abbrev = map[string]string{
	"PROOF_OF_CONCEPT": "POC", "OFFICIAL_FIX": "OF", "TEMPORARY_FIX": "TF", "UNCONFIRMED": "UC",
	"UNCORROBORATED": "UR", "LOW_MEDIUM": "LM", "MEDIUM_HIGH": "MH", "NOT_DEFINED": "ND",
}

// abbrev maps a CVSS JSON enumeration value to its vector abbreviation.
func abbrev(v2 bool, value string) string {
	if v2 {
		if a, ok := v2Abbrev[value]; ok {
			return a
		}
	} else if value == "NOT_DEFINED" {
		return "X"
	}
	if value == "" {
		return ""
	}
	return value[:1]
}

// CVSS3Severity is the CVSS v3 qualitative rating of a base score (NONE,
// LOW, MEDIUM, HIGH or CRITICAL): the baseSeverity a cvss_v3 object must
// state for its baseScore.
func CVSS3Severity(score float64) string {
	switch {
	case score == 0:
		return "NONE"
	case score < 4:
		return "LOW"
	case score < 7:
		return "MEDIUM"
	case score < 9:
		return "HIGH"
	}
	return "CRITICAL"
}

func num(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case interface{ Float64() (float64, error) }:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// cvss runs 6.1.9 (computation: scores and severities) when computation is
// true, else 6.1.10 (properties consistent with the vector).
func (c *checker) cvss(computation bool) {
	for vi, v := range c.doc.Vulnerabilities {
		for si, s := range v.Scores {
			for _, obj := range []struct {
				key string
				m   map[string]any
			}{{"cvss_v2", s.CVSSv2}, {"cvss_v3", s.CVSSv3}} {
				if obj.m == nil {
					continue
				}
				path := fmt.Sprintf("/vulnerabilities/%d/scores/%d/%s", vi, si, obj.key)
				vec := str(obj.m["vectorString"])
				var parsed cvssVector
				var err error
				v2 := obj.key == "cvss_v2"
				switch {
				case v2:
					parsed, err = cvss20.ParseVector(vec)
				case strings.HasPrefix(vec, "CVSS:3.1/"):
					parsed, err = cvss31.ParseVector(vec)
				case strings.HasPrefix(vec, "CVSS:3.0/"):
					parsed, err = cvss30.ParseVector(vec)
				default:
					continue // the schema reports an unknown vector
				}
				if err != nil || parsed == nil {
					continue
				}
				if computation {
					c.cvssScores(path, v2, obj.m, parsed)
				} else {
					c.cvssProps(path, v2, obj.m, parsed, vec)
				}
			}
		}
	}
}

func (c *checker) cvssScores(path string, v2 bool, m map[string]any, p cvssVector) {
	scores := []struct {
		score, sev string
		want       float64
	}{
		{"baseScore", "baseSeverity", p.BaseScore()},
		{"temporalScore", "temporalSeverity", p.TemporalScore()},
		{"environmentalScore", "environmentalSeverity", p.EnvironmentalScore()},
	}
	for _, s := range scores {
		want := math.Round(s.want*10) / 10
		if got, ok := num(m[s.score]); ok && math.Abs(got-want) > 0.001 {
			c.fail(path+"/"+s.score, "%s is %.1f but the vector %q computes %.1f", s.score, got, str(m["vectorString"]), want)
		}
		if v2 {
			continue
		}
		if sev, ok := m[s.sev].(string); ok && sev != CVSS3Severity(want) {
			c.fail(path+"/"+s.sev, "%s is %s but a score of %.1f is %s", s.sev, sev, want, CVSS3Severity(want))
		}
	}
}

func (c *checker) cvssProps(path string, v2 bool, m map[string]any, p cvssVector, vec string) {
	props := v3Props
	if v2 {
		props = v2Props
	} else if ver := str(m["version"]); ver != "" && !strings.HasPrefix(vec, "CVSS:"+ver+"/") {
		c.fail(path+"/version", "version %q does not match the vector %q", ver, vec)
	}
	for _, prop := range slices.Sorted(maps.Keys(props)) { // one order for the failures
		abv := props[prop]
		val, ok := m[prop].(string)
		if !ok {
			continue
		}
		got, err := p.Get(abv)
		if err != nil {
			continue
		}
		if got == "" {
			got = "X"
			if v2 {
				got = "ND"
			}
		}
		if abbrev(v2, val) != got {
			c.fail(path+"/"+prop, "%s is %s but the vector %q says %s:%s", prop, val, vec, abv, got)
		}
	}
}
