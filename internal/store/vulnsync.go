package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/vuln"
)

func syncTime(s string) *time.Time {
	if s == "" {
		return nil
	}
	t := parseTime(s)
	return &t
}

// SourceStatuses returns every source that was ever attempted, by name.
func (s *Store) SourceStatuses(ctx context.Context) ([]vuln.SourceStatus, error) {
	return queryList(ctx, s.conn(ctx), `SELECT source, url, records, last_attempt, last_success, error FROM vulndb_sources ORDER BY source`, scanSourceStatus)
}

func scanSourceStatus(sc rowScanner) (vuln.SourceStatus, error) {
	var st vuln.SourceStatus
	var attempt, success string
	err := sc.Scan(&st.Source, &st.URL, &st.Records, &attempt, &success, &st.Error)
	st.LastAttempt, st.LastSuccess = syncTime(attempt), syncTime(success)
	return st, err
}

// RecordSourceAttempt stores the outcome of one attempt at a source:
// failed (err set; records and last success are kept), unchanged
// (records < 0: the count is kept) or a download of records records.
func (s *Store) RecordSourceAttempt(ctx context.Context, source, url string, at time.Time, records int64, failure error) error {
	if failure != nil {
		msg := failure.Error()
		if len(msg) > 2000 {
			msg = msg[:2000] + "…"
		}
		_, err := s.exec(ctx, s.q(`INSERT INTO vulndb_sources (source, url, last_attempt, error) VALUES (?, ?, ?, ?)
			ON CONFLICT (source) DO UPDATE SET url = excluded.url, last_attempt = excluded.last_attempt, error = excluded.error`),
			source, url, fmtTime(at), msg)
		return err
	}
	if records < 0 {
		_, err := s.exec(ctx, s.q(`INSERT INTO vulndb_sources (source, url, last_attempt, last_success) VALUES (?, ?, ?, ?)
			ON CONFLICT (source) DO UPDATE SET url = excluded.url, last_attempt = excluded.last_attempt, last_success = excluded.last_success, error = ''`),
			source, url, fmtTime(at), fmtTime(at))
		return err
	}
	_, err := s.exec(ctx, s.q(`INSERT INTO vulndb_sources (source, url, records, last_attempt, last_success) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (source) DO UPDATE SET url = excluded.url, records = excluded.records, last_attempt = excluded.last_attempt,
		last_success = excluded.last_success, error = ''`), source, url, records, fmtTime(at), fmtTime(at))
	return err
}

// SyncState returns the shared update state.
func (s *Store) SyncState(ctx context.Context) (vuln.SyncState, error) {
	var requested, by, holder, started, finished, progress, result string
	var requests, served int64
	err := s.conn(ctx).QueryRowContext(ctx, `SELECT requested_at, requested_by, requests, served, holder, started_at, finished_at, progress, result FROM vulndb_sync WHERE id = 1`).
		Scan(&requested, &by, &requests, &served, &holder, &started, &finished, &progress, &result)
	if errors.Is(mapErr(err), fault.ErrNotFound) {
		return vuln.SyncState{}, nil
	}
	if err != nil {
		return vuln.SyncState{}, err
	}
	return vuln.SyncState{RequestedAt: syncTime(requested), RequestedBy: by, Running: holder != "", StartedAt: syncTime(started),
		FinishedAt: syncTime(finished), Progress: progress, Result: result, Pending: requests > served, Requests: requests}, nil
}

// RequestSync records an "Update now" request; whichever server claims
// the update next serves it.
func (s *Store) RequestSync(ctx context.Context, actor string, at time.Time) error {
	_, err := s.exec(ctx, s.q(`INSERT INTO vulndb_sync (id, requested_at, requested_by, requests) VALUES (1, ?, ?, 1)
		ON CONFLICT (id) DO UPDATE SET requested_at = excluded.requested_at, requested_by = excluded.requested_by, requests = vulndb_sync.requests + 1`), fmtTime(at), actor)
	return err
}

// StartSync marks the update as running on holder; it serves the requests
// counted in state (those made later stay pending).
func (s *Store) StartSync(ctx context.Context, holder string, at time.Time, state vuln.SyncState) error {
	_, err := s.exec(ctx, s.q(`INSERT INTO vulndb_sync (id, holder, started_at, progress, result, served) VALUES (1, ?, ?, 'starting', '', ?)
		ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, started_at = excluded.started_at, progress = excluded.progress, result = '',
		served = excluded.served`), holder, fmtTime(at), state.Requests)
	return err
}

// SyncProgress records what the running update is doing.
func (s *Store) SyncProgress(ctx context.Context, holder, msg string) error {
	if len(msg) > 500 {
		msg = msg[:500] + "…"
	}
	_, err := s.exec(ctx, s.q(`UPDATE vulndb_sync SET progress = ? WHERE id = 1 AND holder = ?`), msg, holder)
	return err
}

// FinishSync marks the update of holder as finished with its result.
func (s *Store) FinishSync(ctx context.Context, holder string, at time.Time, result string) error {
	_, err := s.exec(ctx, s.q(`UPDATE vulndb_sync SET holder = '', finished_at = ?, progress = '', result = ? WHERE id = 1 AND holder = ?`),
		fmtTime(at), result, holder)
	return err
}

// ReleaseJob ends holder's lease of job name now, so the next claim need
// not wait for it to run out.
func (s *Store) ReleaseJob(ctx context.Context, name, holder string, now time.Time) error {
	_, err := s.exec(ctx, s.q(`UPDATE job_leases SET until = ? WHERE name = ? AND holder = ?`), fmtTime(now), name, holder)
	if err != nil {
		return fmt.Errorf("release job %s: %w", name, err)
	}
	return nil
}

// ReleasesMatching returns the releases holding a match of any of the
// vulnerability ids (the match's own id or, through the alias index, any
// id of the stored records it came from).
func (s *Store) ReleasesMatching(ctx context.Context, ids []string) ([]int64, error) {
	seen := map[int64]bool{}
	var out []int64
	// Each id is bound twice: chunks of 400 keep a statement at 800.
	err := inChunks(ids, 400, func(in string, args []any) error {
		return queryEach(ctx, s.conn(ctx), s.q(`SELECT DISTINCT release_id FROM release_vulns WHERE vuln_id IN `+in+`
			UNION SELECT DISTINCT rv.release_id FROM release_vulns rv JOIN advisory_ids x ON x.advisory_id = rv.vuln_id WHERE x.alias IN `+in), func(sc rowScanner) error {
			id, err := scanValue[int64](sc)
			if err == nil && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
			return err
		}, append(args, args...)...)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
