package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/updates"
)

var _ updates.FleetStore = (*Store)(nil)

const deviceCols = `id, product_id, device_id, public_key, hardware, version, COALESCE(release_id, 0), grp, country,
	last_target, last_result, last_message, first_seen, last_seen, device_time`

func scanDevice(sc rowScanner) (updates.Device, error) {
	var d updates.Device
	var first, last, dt string
	err := sc.Scan(&d.ID, &d.ProductID, &d.DeviceID, &d.PublicKey, &d.Hardware, &d.Version, &d.ReleaseID, &d.Group, &d.Country,
		&d.LastTarget, &d.LastResult, &d.LastMessage, &first, &last, &dt)
	d.FirstSeen, d.LastSeen, d.DeviceTime = parseTime(first), parseTime(last), parseTime(dt)
	return d, err
}

// Device returns one device of a product by its device id.
func (s *Store) Device(ctx context.Context, productID int64, deviceID string) (updates.Device, error) {
	d, err := scanDevice(s.db.QueryRowContext(ctx, s.q(`SELECT `+deviceCols+` FROM update_devices WHERE product_id = ? AND device_id = ?`), productID, deviceID))
	if err != nil {
		return d, updateErr(err, "no device %s", deviceID)
	}
	return d, nil
}

// SaveDevice inserts or updates a device (by product and device id).
func (s *Store) SaveDevice(ctx context.Context, d *updates.Device) error {
	var rel any
	if d.ReleaseID != 0 {
		rel = d.ReleaseID
	}
	id, err := s.insertID(ctx, s.conn(ctx), `INSERT INTO update_devices (product_id, device_id, public_key, hardware, version, release_id, grp, country,
		last_target, last_result, last_message, first_seen, last_seen, device_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (product_id, device_id) DO UPDATE SET hardware = excluded.hardware, version = excluded.version, release_id = excluded.release_id,
			grp = excluded.grp, country = excluded.country, last_target = excluded.last_target, last_result = excluded.last_result,
			last_message = excluded.last_message, last_seen = excluded.last_seen, device_time = excluded.device_time`,
		d.ProductID, d.DeviceID, d.PublicKey, d.Hardware, d.Version, rel, d.Group, d.Country,
		d.LastTarget, d.LastResult, d.LastMessage, fmtTime(d.FirstSeen), fmtTime(d.LastSeen), fmtTime(d.DeviceTime))
	if err != nil {
		return updateErr(err, "save device %s", d.DeviceID)
	}
	d.ID = id
	return nil
}

const rolloutCols = `r.id, r.product_id, r.target, r.percent, r.device_groups, r.state, r.failure_threshold, r.min_reports, r.reason, r.created_by, r.created_at, r.updated_at,
	COALESCE(t.version, ''), COALESCE(t.hardware, '')`

const rolloutFrom = ` FROM update_rollouts r LEFT JOIN update_repos u ON u.product_id = r.product_id
	LEFT JOIN update_targets t ON t.repo_id = u.id AND t.name = r.target`

func scanRollout(sc rowScanner) (updates.Rollout, error) {
	var r updates.Rollout
	var groups, created, updated string
	err := sc.Scan(&r.ID, &r.ProductID, &r.Target, &r.Percent, &groups, &r.State, &r.FailureThreshold, &r.MinReports, &r.Reason, &r.CreatedBy,
		&created, &updated, &r.Version, &r.Hardware)
	if groups != "" {
		r.Groups = strings.Split(groups, ",")
	}
	r.CreatedAt, r.UpdatedAt = parseTime(created), parseTime(updated)
	return r, err
}

// ActiveRollouts lists a product's active rollouts, newest first, without
// counts (the check-in path: counting would scan the fleet on every call).
func (s *Store) ActiveRollouts(ctx context.Context, productID int64) ([]updates.Rollout, error) {
	return s.rollouts(ctx, productID, false, updates.RolloutActive)
}

// Rollouts lists a product's rollouts in the given states (all when none),
// newest first, with their installed/failed counts.
func (s *Store) Rollouts(ctx context.Context, productID int64, states ...string) ([]updates.Rollout, error) {
	return s.rollouts(ctx, productID, true, states...)
}

func (s *Store) rollouts(ctx context.Context, productID int64, counts bool, states ...string) ([]updates.Rollout, error) {
	q := `SELECT ` + rolloutCols + rolloutFrom + ` WHERE r.product_id = ?`
	args := []any{productID}
	if len(states) > 0 {
		q += ` AND r.state IN (` + placeholders(len(states)) + `)`
		for _, st := range states {
			args = append(args, st)
		}
	}
	out, err := queryAll(ctx, s.db, s.q(q+` ORDER BY r.id DESC LIMIT 200`), scanRollout, args...)
	if err != nil {
		return nil, fmt.Errorf("list rollouts: %w", err)
	}
	for i := range out {
		if !counts {
			break
		}
		if out[i].Installed, out[i].Failed, err = s.RolloutCounts(ctx, productID, out[i].Target); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Rollout returns one rollout of a product.
func (s *Store) Rollout(ctx context.Context, productID, id int64) (updates.Rollout, error) {
	r, err := scanRollout(s.db.QueryRowContext(ctx, s.q(`SELECT `+rolloutCols+rolloutFrom+` WHERE r.product_id = ? AND r.id = ?`), productID, id))
	if err != nil {
		return r, updateErr(err, "no rollout %d", id)
	}
	r.Installed, r.Failed, err = s.RolloutCounts(ctx, productID, r.Target)
	return r, err
}

// CreateRollout inserts r and fills its id.
func (s *Store) CreateRollout(ctx context.Context, r *updates.Rollout) error {
	id, err := s.insertID(ctx, s.conn(ctx), `INSERT INTO update_rollouts (product_id, target, percent, device_groups, state, failure_threshold, min_reports, reason, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ProductID, r.Target, r.Percent, strings.Join(r.Groups, ","), r.State, r.FailureThreshold, r.MinReports, r.Reason, r.CreatedBy, fmtTime(r.CreatedAt), fmtTime(r.UpdatedAt))
	if err != nil {
		return updateErr(err, "create rollout")
	}
	r.ID = id
	return nil
}

// UpdateRollout stores a rollout's state, percentage, groups and reason
// (in the transaction of an enclosing Atomic call).
func (s *Store) UpdateRollout(ctx context.Context, r updates.Rollout) error {
	res, err := s.exec(ctx, s.q(`UPDATE update_rollouts SET state = ?, percent = ?, device_groups = ?, reason = ?, updated_at = ? WHERE id = ? AND product_id = ?`),
		r.State, r.Percent, strings.Join(r.Groups, ","), r.Reason, fmtTime(r.UpdatedAt), r.ID, r.ProductID)
	if err != nil {
		return fmt.Errorf("update rollout %d: %w", r.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return updateErr(sql.ErrNoRows, "no rollout %d", r.ID)
	}
	return nil
}

// RolloutCounts counts the devices whose last report on target is installed or failed.
func (s *Store) RolloutCounts(ctx context.Context, productID int64, target string) (installed, failed int, err error) {
	err = queryEach(ctx, s.db, s.q(`SELECT last_result, COUNT(*) FROM update_devices WHERE product_id = ? AND last_target = ? GROUP BY last_result`), func(sc rowScanner) error {
		var res string
		var n int
		if err := sc.Scan(&res, &n); err != nil {
			return err
		}
		switch res {
		case "installed":
			installed = n
		case "failed":
			failed = n
		}
		return nil
	}, productID, target)
	if err != nil {
		return 0, 0, fmt.Errorf("count rollout reports: %w", err)
	}
	return installed, failed, nil
}

// FleetDevices pages through a product's devices, most recently seen first.
func (s *Store) FleetDevices(ctx context.Context, productID int64, after string, limit int) ([]updates.Device, string, error) {
	limit = clampLimit(limit)
	var c cursor
	if err := c.decode(after); err != nil {
		return nil, "", err
	}
	q := `SELECT ` + deviceCols + ` FROM update_devices WHERE product_id = ?`
	args := []any{productID}
	if after != "" {
		q += ` AND (last_seen < ? OR (last_seen = ? AND id < ?))`
		args = append(args, c.Key, c.Key, c.ID)
	}
	args = append(args, limit+1)
	out, err := queryAll(ctx, s.db, s.q(q+` ORDER BY last_seen DESC, id DESC LIMIT ?`), scanDevice, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list devices: %w", err)
	}
	out, next := nextPage(out, limit, func(last updates.Device) cursor { return cursor{Key: fmtTime(last.LastSeen), ID: last.ID} })
	return out, next, nil
}

// FleetSummary counts a product's devices by version and country.
func (s *Store) FleetSummary(ctx context.Context, productID int64, staleBefore time.Time) (updates.FleetSummary, error) {
	sum := updates.FleetSummary{Versions: map[string]int{}, Countries: map[string]int{}}
	err := queryEach(ctx, s.db, s.q(`SELECT version, country, COUNT(*), SUM(CASE WHEN last_seen < ? THEN 1 ELSE 0 END)
		FROM update_devices WHERE product_id = ? GROUP BY version, country`), func(sc rowScanner) error {
		var v, c string
		var n, stale int
		if err := sc.Scan(&v, &c, &n, &stale); err != nil {
			return err
		}
		sum.Devices += n
		sum.Stale += stale
		sum.Versions[v] += n
		if c == "" {
			c = "unknown"
		}
		sum.Countries[c] += n
		return nil
	}, fmtTime(staleBefore), productID)
	if err != nil {
		return sum, fmt.Errorf("fleet summary: %w", err)
	}
	return sum, nil
}

// FleetExposure counts, per vulnerability matched on the product's releases
// (not suppressed by VEX), the devices still running an affected release.
func (s *Store) FleetExposure(ctx context.Context, productID int64) ([]updates.Exposure, error) {
	var total int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM update_devices WHERE product_id = ?`), productID).Scan(&total); err != nil {
		return nil, fmt.Errorf("count devices: %w", err)
	}
	// Devices per release first (small), then joined to the matches.
	by := map[string]*updates.Exposure{}
	seen := map[[2]string]bool{}
	err := queryEach(ctx, s.db, s.q(`WITH per_release AS (
			SELECT release_id, COUNT(*) AS n FROM update_devices WHERE product_id = ? AND release_id IS NOT NULL GROUP BY release_id),
		affected AS (
			SELECT DISTINCT v.release_id, v.vuln_id, v.severity_rank FROM release_vulns v JOIN per_release p ON p.release_id = v.release_id WHERE NOT v.suppressed)
		SELECT a.vuln_id, a.severity_rank, r.version, p.n FROM affected a JOIN per_release p ON p.release_id = a.release_id JOIN releases r ON r.id = a.release_id`), func(sc rowScanner) error {
		var id, version string
		var rank, n int
		if err := sc.Scan(&id, &rank, &version, &n); err != nil {
			return err
		}
		e := by[id]
		if e == nil {
			e = &updates.Exposure{VulnID: id}
			by[id] = e
		}
		e.SeverityRank = max(e.SeverityRank, rank)
		if !seen[[2]string{id, version}] {
			seen[[2]string{id, version}] = true
			e.Devices += n
			e.Releases = append(e.Releases, version)
		}
		return nil
	}, productID)
	if err != nil {
		return nil, fmt.Errorf("fleet exposure: %w", err)
	}
	out := make([]updates.Exposure, 0, len(by))
	for _, e := range by {
		sort.Strings(e.Releases)
		if total > 0 {
			e.FixedShare = float64(total-e.Devices) / float64(total)
		}
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Devices != out[j].Devices {
			return out[i].Devices > out[j].Devices
		}
		if out[i].SeverityRank != out[j].SeverityRank {
			return out[i].SeverityRank > out[j].SeverityRank
		}
		return out[i].VulnID < out[j].VulnID
	})
	return out, nil
}
