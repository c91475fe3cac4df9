package vuln

import "time"

// FeedImport records what one vulnerability-data import brought in.
type FeedImport struct {
	ID         int64          `json:"id"`
	At         time.Time      `json:"at"`
	Actor      string         `json:"actor"`
	Paths      []string       `json:"paths"`
	Files      map[string]int `json:"files"`
	Skipped    []string       `json:"skipped,omitempty"` // files of a folder that are not feeds (not stored)
	Advisories int            `json:"advisories"`
	EPSS       int            `json:"epss"`
	KEV        int            `json:"kev"`
	// Exploited counts the EUVD and CSAF exploitation reports (per CVE).
	Exploited int `json:"exploited"`
}

// DBStatus summarises the local vulnerability database.
type DBStatus struct {
	Advisories int          `json:"advisories"`
	EPSS       int          `json:"epss"`
	KEV        int          `json:"kev"`
	Imports    []FeedImport `json:"imports"`
	// Sources is the state of each feed source (serve --vulndb-sync) and
	// of uploaded bundles.
	Sources []SourceStatus `json:"sources"`
	// Sync is the background update: running, progress, last result
	// (nil outside a server).
	Sync *SyncState `json:"sync,omitempty"`
}

// SourceStatus is the state of one vulnerability-data source: a feed the
// server downloads ("osv/Go", "nvd", "kev", "epss") or the uploaded
// offline bundles ("bundle").
type SourceStatus struct {
	Source string `json:"source"`
	URL    string `json:"url,omitempty"`
	// Records is how many records the source's last download that brought
	// data held (a 304 keeps it; for NVD, the records of the last
	// incremental window).
	Records     int64      `json:"records"`
	LastAttempt *time.Time `json:"last_attempt"`
	LastSuccess *time.Time `json:"last_success"`
	Error       string     `json:"error"`
}

// SyncState is the shared state of the background update: the pending
// "Update now" request and the update running or run last.
type SyncState struct {
	RequestedAt *time.Time `json:"requested_at,omitempty"`
	RequestedBy string     `json:"requested_by,omitempty"`
	Running     bool       `json:"running"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	Progress    string     `json:"progress,omitempty"`
	Result      string     `json:"result,omitempty"`
	// Pending: an "Update now" request has not been served yet.
	Pending bool `json:"pending"`
	// Requests counts the "Update now" requests made so far (StartSync
	// records them as served).
	Requests int64 `json:"-"`
}

// Generation counters (the store's Generation names) of the vulnerability
// data and of the re-match that follows it.
const (
	GenAdvisories = "advisories"
	GenRematched  = "rematched"
)
