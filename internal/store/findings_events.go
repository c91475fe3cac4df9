package store

import (
	"context"
	"fmt"

	"github.com/rampart-security/rampart/internal/findings"
)

// FindingHistory returns a finding's history, oldest first.
func (s *Store) FindingHistory(ctx context.Context, id int64) ([]findings.Event, error) {
	return queryAll(ctx, s.conn(ctx), s.q(`SELECT at, actor, kind, from_status, to_status, detail FROM finding_events WHERE finding_id = ? ORDER BY id`), scanFindingEvent, id)
}

func scanFindingEvent(sc rowScanner) (findings.Event, error) {
	var e findings.Event
	var at string
	err := sc.Scan(&at, &e.Actor, &e.Kind, &e.From, &e.To, &e.Detail)
	e.At = parseTime(at)
	return e, err
}

func (s *Store) findingEvent(ctx context.Context, tx querier, id int64, at, actor, kind, from, to, detail string) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO finding_events (finding_id, at, actor, kind, from_status, to_status, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		id, at, actor, kind, from, to, detail)
	if err != nil {
		return fmt.Errorf("record history of finding %d: %w", id, err)
	}
	return nil
}
