package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/rampart-security/rampart/internal/findings"
)

// SnapshotFindings records today's count of active findings per product
// and severity, for one product (0: every product), replacing an earlier
// snapshot of the same day, so that trends can be drawn without scanning
// history.
func (s *Store) SnapshotFindings(ctx context.Context, now time.Time, productID int64) error {
	day := now.UTC().Format("2006-01-02")
	cond, args := "", []any{}
	if productID != 0 {
		cond, args = " AND product_id = ?", []any{productID}
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM finding_snapshots WHERE day = ?`+cond), append([]any{day}, args...)...); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO finding_snapshots (day, product_id, severity, active)
			SELECT ?, product_id, severity, COUNT(*) FROM findings WHERE active = ?`+cond+` GROUP BY product_id, severity`), append([]any{day, true}, args...)...)
		return err
	})
}

// FindingTrend returns daily active counts since a date, for one product
// (0: all) among the given products (nil: all).
func (s *Store) FindingTrend(ctx context.Context, since time.Time, productID int64, products []int64) ([]findings.TrendPoint, error) {
	cond, args := productFilter("product_id", products)
	if productID != 0 {
		cond, args = cond+" AND product_id = ?", append(args, productID)
	}
	args = append([]any{since.UTC().Format("2006-01-02")}, args...)
	var out []findings.TrendPoint
	err := queryEach(ctx, s.conn(ctx), s.q(`SELECT day, severity, SUM(active) FROM finding_snapshots WHERE day >= ?`+cond+` GROUP BY day, severity ORDER BY day`), func(sc rowScanner) error {
		var day, sev string
		var n int
		if err := sc.Scan(&day, &sev, &n); err != nil {
			return err
		}
		if len(out) == 0 || out[len(out)-1].Day != day {
			out = append(out, findings.TrendPoint{Day: day, BySeverity: map[findings.Severity]int{}})
		}
		p := &out[len(out)-1]
		p.BySeverity[findings.Severity(sev)] += n
		p.Total += n
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}
