package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/firmware"
)

// QueueFirmwareJob stores an uploaded image for analysis and fills ID,
// SHA256, Size, Status and CreatedAt.
func (s *Store) QueueFirmwareJob(ctx context.Context, j *firmware.Job, image []byte) error {
	if err := j.Validate(image); err != nil {
		return err
	}
	sum := sha256.Sum256(image)
	j.SHA256, j.Size = hex.EncodeToString(sum[:]), int64(len(image))
	j.Status, j.Stage, j.Progress = firmware.JobQueued, firmware.JobQueued, 0
	j.CreatedAt = s.now().UTC()
	id, err := s.insertID(ctx, s.conn(ctx), `INSERT INTO firmware_jobs (release_id, file_name, sha256, size, image, status, stage, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, j.ReleaseID, j.FileName, j.SHA256, j.Size, image, j.Status, j.Stage, fmtTime(j.CreatedAt), j.CreatedBy)
	if err != nil {
		return fmt.Errorf("queue firmware image %s for release %d: %w", j.FileName, j.ReleaseID, err)
	}
	j.ID = id
	return nil
}

const firmwareJobCols = `id, release_id, file_name, sha256, size, status, stage, progress, error, summary, COALESCE(analysis_id, 0), attempts, created_at, created_by, started_at, finished_at`

func scanFirmwareJob(sc rowScanner, extra ...any) (firmware.Job, error) {
	var j firmware.Job
	var created, started, finished, summary string
	dest := append([]any{&j.ID, &j.ReleaseID, &j.FileName, &j.SHA256, &j.Size, &j.Status, &j.Stage, &j.Progress, &j.Error, &summary, &j.AnalysisID,
		&j.Attempts, &created, &j.CreatedBy, &started, &finished}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return j, mapErr(err)
	}
	j.CreatedAt = parseTime(created)
	if summary != "" {
		j.Summary = json.RawMessage(summary)
	}
	if started != "" {
		t := parseTime(started)
		j.StartedAt = &t
	}
	if finished != "" {
		t := parseTime(finished)
		j.FinishedAt = &t
	}
	return j, nil
}

// FirmwareJob returns one job (without its image).
func (s *Store) FirmwareJob(ctx context.Context, id int64) (firmware.Job, error) {
	j, err := scanFirmwareJob(s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT `+firmwareJobCols+` FROM firmware_jobs WHERE id = ?`), id))
	if err != nil {
		return j, fmt.Errorf("firmware job %d: %w", id, err)
	}
	return j, nil
}

// FirmwareJobProduct returns the product of a job's release (for authz).
func (s *Store) FirmwareJobProduct(ctx context.Context, id int64) (int64, error) {
	var pid int64
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT r.product_id FROM firmware_jobs j JOIN releases r ON r.id = j.release_id WHERE j.id = ?`), id).Scan(&pid)
	if err != nil {
		return 0, fmt.Errorf("firmware job %d: %w", id, mapErr(err))
	}
	return pid, nil
}

// LatestFirmwareJob returns the newest job of a release (fault.ErrNotFound when
// none).
func (s *Store) LatestFirmwareJob(ctx context.Context, releaseID int64) (firmware.Job, error) {
	j, err := scanFirmwareJob(s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT `+firmwareJobCols+` FROM firmware_jobs WHERE release_id = ? ORDER BY id DESC LIMIT 1`), releaseID))
	if err != nil {
		return j, fmt.Errorf("firmware jobs of release %d: %w", releaseID, err)
	}
	return j, nil
}

// ClaimFirmwareJob gives the oldest queued job — or a running one whose
// lease ran out, its server having stopped — to holder for lease, with its
// image, and counts the attempt. ok is false when there is nothing to do.
// A job that was claimed maxAttempts times already fails instead (an
// image that kills its analyser is not retried forever). Of several
// servers claiming together exactly one wins each job.
func (s *Store) ClaimFirmwareJob(ctx context.Context, holder string, now time.Time, lease time.Duration, maxAttempts int) (firmware.Job, bool, error) {
	ts := fmtTime(now)
	for {
		var id int64
		var attempts int
		err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT id, attempts FROM firmware_jobs
			WHERE status = 'queued' OR (status = 'running' AND lease_until < ?) ORDER BY id LIMIT 1`), ts).Scan(&id, &attempts)
		if errors.Is(mapErr(err), fault.ErrNotFound) {
			return firmware.Job{}, false, nil
		}
		if err != nil {
			return firmware.Job{}, false, fmt.Errorf("claim firmware job: %w", err)
		}
		if attempts >= maxAttempts {
			res, err := s.exec(ctx, s.q(`UPDATE firmware_jobs SET status = 'failed', stage = 'failed', image = NULL, holder = '', finished_at = ?,
				error = ? WHERE id = ? AND (status = 'queued' OR (status = 'running' AND lease_until < ?))`),
				ts, fmt.Sprintf("the analysis stopped %d times without finishing (its server ended or ran out of memory): the image is not retried", attempts), id, ts)
			if err != nil {
				return firmware.Job{}, false, fmt.Errorf("fail firmware job %d: %w", id, err)
			}
			_, _ = res.RowsAffected()
			continue
		}
		res, err := s.exec(ctx, s.q(`UPDATE firmware_jobs SET status = 'running', stage = 'starting', progress = 0, holder = ?, lease_until = ?,
			attempts = attempts + 1, started_at = ? WHERE id = ? AND (status = 'queued' OR (status = 'running' AND lease_until < ?))`),
			holder, fmtTime(now.Add(lease)), ts, id, ts)
		if err != nil {
			return firmware.Job{}, false, fmt.Errorf("claim firmware job %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			if err != nil {
				return firmware.Job{}, false, err
			}
			continue // another server won it
		}
		var image []byte
		j, err := scanFirmwareJob(s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT `+firmwareJobCols+`, image FROM firmware_jobs WHERE id = ?`), id), &image)
		if err != nil {
			return j, false, fmt.Errorf("firmware job %d: %w", id, err)
		}
		j.Image = image
		return j, true, nil
	}
}

// errLeaseLost is returned when a job is no longer held by the caller.
var errLeaseLost = fmt.Errorf("%w: the firmware job's lease was lost to another server", fault.ErrConflict)

// FirmwareJobProgress records a running job's stage and progress and
// renews holder's lease (fault.ErrConflict when holder no longer holds it).
func (s *Store) FirmwareJobProgress(ctx context.Context, id int64, holder, stage string, progress int, now time.Time, lease time.Duration) error {
	res, err := s.exec(ctx, s.q(`UPDATE firmware_jobs SET stage = ?, progress = ?, lease_until = ? WHERE id = ? AND holder = ? AND status = 'running'`),
		stage, progress, fmtTime(now.Add(lease)), id, holder)
	return leaseResult(res, err, id)
}

// FinishFirmwareJob ends a job held by holder: done with its analysis and
// summary, or failed with errMsg. The image is dropped.
func (s *Store) FinishFirmwareJob(ctx context.Context, id int64, holder string, analysisID int64, summary, errMsg string, now time.Time) error {
	status, stage, progress := firmware.JobDone, "done", 100
	var aid any = analysisID
	if errMsg != "" {
		status, stage, progress, aid = firmware.JobFailed, "failed", 0, nil
	}
	res, err := s.exec(ctx, s.q(`UPDATE firmware_jobs SET status = ?, stage = ?, progress = CASE WHEN ? = 100 THEN 100 ELSE progress END, analysis_id = ?,
		summary = ?, error = ?, image = NULL, holder = '', finished_at = ? WHERE id = ? AND holder = ? AND status = 'running'`),
		status, stage, progress, aid, summary, errMsg, fmtTime(now), id, holder)
	return leaseResult(res, err, id)
}

func leaseResult(res sql.Result, err error, id int64) error {
	if err != nil {
		return fmt.Errorf("firmware job %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return fmt.Errorf("firmware job %d: %w", id, errLeaseLost)
	}
	return nil
}
