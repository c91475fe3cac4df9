package firmware

import (
	"encoding/json"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
)

// Analysis is one analysed firmware image of a release, as recorded.
type Analysis struct {
	ID        int64     `json:"id"`
	ReleaseID int64     `json:"release_id"`
	SHA256    string    `json:"sha256"`
	FileName  string    `json:"file_name"`
	Result    *Result   `json:"result"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// Validate checks an analysis about to be recorded: it must hold a result.
func (a Analysis) Validate() error {
	if a.Result == nil {
		return fault.Invalid("result", "result: must not be empty")
	}
	return nil
}

// Job is a firmware image queued for analysis on a release, and how far
// its analysis got.
type Job struct {
	ID        int64  `json:"id"`
	ReleaseID int64  `json:"release_id"`
	FileName  string `json:"file_name"`
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	// Status is queued, running, done or failed.
	Status string `json:"status"`
	// Stage names the step the analysis is in (queued, unpacking,
	// checking files, recording, matching, done).
	Stage string `json:"stage"`
	// Progress is 0–100.
	Progress int    `json:"progress"`
	Error    string `json:"error,omitempty"`
	// Summary is the import result (portfolio.FirmwareResult without the
	// full result) once done.
	Summary    json.RawMessage `json:"summary,omitempty"`
	AnalysisID int64           `json:"analysis_id,omitempty"`
	Attempts   int             `json:"attempts"`
	CreatedAt  time.Time       `json:"created_at"`
	CreatedBy  string          `json:"created_by"`
	StartedAt  *time.Time      `json:"started_at,omitempty"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`

	// Image is the uploaded image (only from the store's claim of a job).
	Image []byte `json:"-"`
}

// Firmware job states.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// Active reports whether the job has not ended yet.
func (j Job) Active() bool { return j.Status == JobQueued || j.Status == JobRunning }

// Validate checks a job about to be queued with its uploaded image: the
// image must not be empty and the job must name its file.
func (j Job) Validate(image []byte) error {
	if len(image) == 0 {
		return fault.Invalid("image", "image: is empty")
	}
	if j.FileName == "" {
		return fault.Invalid("file_name", "file_name: must not be empty")
	}
	return nil
}
