package findings

import (
	"strings"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
)

// fillScores computes missing base scores from the vectors. Vectors that do
// not parse are kept as given with no score.
func (c *CVSS) fillScores() {
	c.V3Vector = strings.TrimSpace(c.V3Vector)
	c.V4Vector = strings.TrimSpace(c.V4Vector)
	c.V3Score, c.V4Score = within(c.V3Score, 10), within(c.V4Score, 10)
	if c.V3Score == nil && c.V3Vector != "" {
		c.V3Score = ScoreV3(c.V3Vector)
	}
	if c.V4Score == nil && c.V4Vector != "" {
		c.V4Score = ScoreV4(c.V4Vector)
	}
}

// ScoreV3 returns the base score of a CVSS v3.0 or v3.1 vector, or nil when
// the vector does not parse. A vector without the "CVSS:3.x/" prefix is read
// as v3.1.
func ScoreV3(vector string) *float64 {
	v := strings.TrimSpace(vector)
	switch {
	case strings.HasPrefix(v, "CVSS:3.0/"):
		c, err := gocvss30.ParseVector(v)
		if err != nil {
			return nil
		}
		return Float(c.BaseScore())
	case strings.HasPrefix(v, "CVSS:3.1/"):
	case strings.HasPrefix(v, "AV:"):
		v = "CVSS:3.1/" + v
	default:
		return nil
	}
	c, err := gocvss31.ParseVector(v)
	if err != nil {
		return nil
	}
	return Float(c.BaseScore())
}

// ScoreV4 returns the score of a CVSS v4.0 vector, or nil when it does not
// parse.
func ScoreV4(vector string) *float64 {
	v := strings.TrimSpace(vector)
	if strings.HasPrefix(v, "AV:") {
		v = "CVSS:4.0/" + v
	}
	c, err := gocvss40.ParseVector(v)
	if err != nil {
		return nil
	}
	return Float(c.Score())
}
