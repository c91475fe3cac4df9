package store

import (
	"context"

	"github.com/rampart-security/rampart/internal/findings"
)

// FindingStats counts findings of one product (0: all) among the given
// products (nil: all).
func (s *Store) FindingStats(ctx context.Context, productID int64, products []int64) (findings.Stats, error) {
	st := findings.Stats{ActiveBySeverity: map[findings.Severity]int{}}
	cond, args := productFilter("product_id", products)
	if productID != 0 {
		cond, args = cond+" AND product_id = ?", append(args, productID)
	}
	now := fmtTime(s.now().UTC())
	err := queryEach(ctx, s.conn(ctx), s.q(`SELECT severity, COUNT(*), SUM(CASE WHEN sla_due < ? THEN 1 ELSE 0 END), SUM(CASE WHEN kev THEN 1 ELSE 0 END)
		FROM findings WHERE status IN ('open','confirmed','in_progress')`+cond+` GROUP BY severity`), func(sc rowScanner) error {
		var sev string
		var n, over, kev int
		if err := sc.Scan(&sev, &n, &over, &kev); err != nil {
			return err
		}
		st.ActiveBySeverity[findings.Severity(sev)] = n
		st.Active += n
		st.Overdue += over
		st.KEV += kev
		return nil
	}, append([]any{now}, args...)...)
	if err != nil {
		return st, err
	}
	var total float64
	withDue, inTime := 0, 0
	err = queryEach(ctx, s.conn(ctx), s.q(`SELECT first_seen, closed_at, COALESCE(sla_due, '') FROM findings WHERE closed_at IS NOT NULL`+cond), func(sc rowScanner) error {
		var first, closed, due string
		if err := sc.Scan(&first, &closed, &due); err != nil {
			return err
		}
		st.Closed++
		total += parseTime(closed).Sub(parseTime(first)).Hours() / 24
		if due != "" {
			withDue++
			if closed <= due {
				inTime++
			}
		}
		return nil
	}, args...)
	if err != nil {
		return st, err
	}
	if st.Closed > 0 {
		st.MeanTimeToRemediate = total / float64(st.Closed)
	}
	st.SLACompliance = -1
	if withDue > 0 {
		st.SLACompliance = float64(inTime) * 100 / float64(withDue)
	}
	return st, nil
}
