package findings

import "time"

// EnrichTarget is a finding of a release that names vulnerabilities, as
// the enrichment (portfolio.EnrichFindings) needs it: the scanner's
// finding and the stored values enrichment may change.
type EnrichTarget struct {
	ID        int64
	Finding   Finding // the scanner's, without enrichment
	Status    Status
	FirstSeen time.Time
	// Current stored values.
	Enrichment string // JSON, "" when none
	KEV        bool
	EPSS       *float64
	CVSS       *float64
	Risk       float64
	Priority   string
	SLADue     *time.Time
	SLASource  string
	MatchRef   string
	MatchVuln  string
}

// EnrichContext is what the enrichment of one release's findings needs
// from its product.
type EnrichContext struct {
	Criticality int
	Exposure    string
	SLA         SLAPolicy
}

// EnrichedFinding is the new stored state of an enriched finding.
type EnrichedFinding struct {
	ID         int64
	Enrichment string // JSON, "" when none
	KEV        bool
	EPSS       *float64
	CVSS       *float64
	Risk       Risk
	SLADue     *time.Time
	SLASource  string
	MatchRef   string
	MatchVuln  string
}
