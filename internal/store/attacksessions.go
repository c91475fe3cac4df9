package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/rampart-security/rampart/internal/attacksession"
	"github.com/rampart-security/rampart/internal/fault"
)

var _ attacksession.Store = (*Store)(nil)

const attackSessionCols = `id, product_id, model_version, title, facilitator, started_at, ends_at, ended_at`

func scanAttackSession(sc rowScanner) (attacksession.Session, error) {
	var s attacksession.Session
	var started, ends string
	var ended sql.NullString
	err := sc.Scan(&s.ID, &s.ProductID, &s.ModelVersion, &s.Title, &s.Facilitator, &started, &ends, &ended)
	s.StartedAt, s.EndsAt, s.EndedAt = parseTime(started), parseTime(ends), parseTimePtr(ended)
	return s, err
}

// CreateAttackSession stores a new session and sets its id.
func (s *Store) CreateAttackSession(ctx context.Context, a *attacksession.Session) error {
	id, err := s.insertID(ctx, s.conn(ctx), `INSERT INTO attack_sessions (product_id, model_version, title, facilitator, started_at, ends_at) VALUES (?, ?, ?, ?, ?, ?)`,
		a.ProductID, a.ModelVersion, a.Title, a.Facilitator, fmtTime(a.StartedAt), fmtTime(a.EndsAt))
	a.ID = id
	return err
}

// AttackSession returns a session of a product (productID 0: of any).
func (s *Store) AttackSession(ctx context.Context, productID, id int64) (attacksession.Session, error) {
	q := `SELECT ` + attackSessionCols + ` FROM attack_sessions WHERE id = ? AND (product_id = ? OR ? = 0)`
	a, err := scanAttackSession(s.conn(ctx).QueryRowContext(ctx, s.q(q), id, productID, productID))
	if errors.Is(mapErr(err), fault.ErrNotFound) {
		return a, fault.NotFound("attack session %d is not a session of this product", id)
	}
	return a, mapErr(err)
}

// AttackSessions lists a product's sessions, newest first.
func (s *Store) AttackSessions(ctx context.Context, productID int64) ([]attacksession.Session, error) {
	return queryList(ctx, s.conn(ctx), s.q(`SELECT `+attackSessionCols+` FROM attack_sessions WHERE product_id = ? ORDER BY id DESC`), scanAttackSession, productID)
}

// AttackSessionCounts counts the participants, ideas and merged ideas of
// a product's sessions.
func (s *Store) AttackSessionCounts(ctx context.Context, productID int64) (map[int64]attacksession.Counts, error) {
	return queryMap(ctx, s.conn(ctx), s.q(`SELECT a.id,
		(SELECT COUNT(*) FROM attack_participants p WHERE p.session_id = a.id),
		(SELECT COUNT(*) FROM attack_ideas i WHERE i.session_id = a.id),
		(SELECT COUNT(*) FROM attack_ideas i WHERE i.session_id = a.id AND i.state = 'merged')
		FROM attack_sessions a WHERE a.product_id = ?`), func(sc rowScanner) (int64, attacksession.Counts, error) {
		var id int64
		var c attacksession.Counts
		err := sc.Scan(&id, &c.Participants, &c.Ideas, &c.Merged)
		return id, c, err
	}, productID)
}

// EndAttackSession ends a session that has not ended; false when it had.
func (s *Store) EndAttackSession(ctx context.Context, id int64, at time.Time) (bool, error) {
	res, err := s.exec(ctx, s.q(`UPDATE attack_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL`), fmtTime(at), id)
	if err != nil {
		return false, mapErr(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AddAttackParticipant stores a participant (tokenHash "" for users).
func (s *Store) AddAttackParticipant(ctx context.Context, p *attacksession.Participant, tokenHash string) error {
	var hash, link any
	if tokenHash != "" {
		hash = tokenHash
	}
	if p.LinkID != 0 {
		link = p.LinkID
	}
	id, err := s.insertID(ctx, s.conn(ctx), `INSERT INTO attack_participants (session_id, name, user_name, guest, link_id, token_hash, joined_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		p.SessionID, p.Name, p.UserName, p.Guest, link, hash, fmtTime(p.JoinedAt))
	p.ID = id
	return err
}

const attackParticipantCols = `id, session_id, name, user_name, guest, link_id, joined_at`

func scanAttackParticipant(sc rowScanner) (attacksession.Participant, error) {
	var p attacksession.Participant
	var link sql.NullInt64
	var at string
	err := sc.Scan(&p.ID, &p.SessionID, &p.Name, &p.UserName, &p.Guest, &link, &at)
	p.LinkID, p.JoinedAt = link.Int64, parseTime(at)
	return p, err
}

// AttackParticipantByUser returns a user's participation in a session.
func (s *Store) AttackParticipantByUser(ctx context.Context, sessionID int64, user string) (attacksession.Participant, error) {
	p, err := scanAttackParticipant(s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT `+attackParticipantCols+` FROM attack_participants WHERE session_id = ? AND user_name = ? AND user_name <> ''`), sessionID, user))
	if errors.Is(mapErr(err), fault.ErrNotFound) {
		return p, fault.NotFound("%s has not joined attack session %d", user, sessionID)
	}
	return p, mapErr(err)
}

// AttackParticipantByToken returns the guest whose credential hashes to hash.
func (s *Store) AttackParticipantByToken(ctx context.Context, hash string) (attacksession.Participant, error) {
	p, err := scanAttackParticipant(s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT `+attackParticipantCols+` FROM attack_participants WHERE token_hash = ?`), hash))
	if errors.Is(mapErr(err), fault.ErrNotFound) {
		return p, fault.NotFound("no participant has this credential")
	}
	return p, mapErr(err)
}

// AttackParticipants lists a session's participants in joining order.
func (s *Store) AttackParticipants(ctx context.Context, sessionID int64) ([]attacksession.Participant, error) {
	return queryAll(ctx, s.conn(ctx), s.q(`SELECT `+attackParticipantCols+` FROM attack_participants WHERE session_id = ? ORDER BY id`), scanAttackParticipant, sessionID)
}

// CreateAttackLink stores a join link by the hash of its secret.
func (s *Store) CreateAttackLink(ctx context.Context, l *attacksession.Link, hash string) error {
	id, err := s.insertID(ctx, s.conn(ctx), `INSERT INTO attack_links (session_id, hash, label, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
		l.SessionID, hash, l.Label, l.CreatedBy, fmtTime(l.CreatedAt))
	l.ID = id
	return err
}

// UseAttackLink spends an unused link: one UPDATE, so two people racing
// for the same link cannot both win.
func (s *Store) UseAttackLink(ctx context.Context, hash string, at time.Time) (attacksession.Link, error) {
	var l attacksession.Link
	var created string
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`UPDATE attack_links SET used_at = ? WHERE hash = ? AND used_at IS NULL RETURNING id, session_id, label, created_by, created_at`),
		fmtTime(at), hash).Scan(&l.ID, &l.SessionID, &l.Label, &l.CreatedBy, &created)
	if errors.Is(mapErr(err), fault.ErrNotFound) {
		return l, fault.NotFound("the join link is unknown or used")
	}
	l.CreatedAt, l.UsedAt = parseTime(created), &at
	return l, mapErr(err)
}

// AttackLinks lists a session's join links (never their secrets).
func (s *Store) AttackLinks(ctx context.Context, sessionID int64) ([]attacksession.Link, error) {
	return queryAll(ctx, s.conn(ctx), s.q(`SELECT id, session_id, label, created_by, created_at, used_at FROM attack_links WHERE session_id = ? ORDER BY id`), scanAttackLink, sessionID)
}

func scanAttackLink(sc rowScanner) (attacksession.Link, error) {
	var l attacksession.Link
	var created string
	var used sql.NullString
	err := sc.Scan(&l.ID, &l.SessionID, &l.Label, &l.CreatedBy, &created, &used)
	l.CreatedAt, l.UsedAt = parseTime(created), parseTimePtr(used)
	return l, err
}

// AddAttackIdea stores an idea and sets its id.
func (s *Store) AddAttackIdea(ctx context.Context, i *attacksession.Idea) error {
	id, err := s.insertID(ctx, s.conn(ctx), `INSERT INTO attack_ideas (session_id, participant_id, author, target, text, stride, created_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		i.SessionID, i.ParticipantID, i.Author, i.Target, i.Text, i.STRIDE, fmtTime(i.CreatedAt), i.State)
	i.ID = id
	return err
}

// AttackIdeas lists a session's ideas, oldest first, with their votes.
func (s *Store) AttackIdeas(ctx context.Context, sessionID int64) ([]attacksession.Idea, error) {
	return queryAll(ctx, s.conn(ctx), s.q(`SELECT i.id, i.session_id, i.participant_id, i.author, i.target, i.text, i.stride, i.created_at,
		i.state, i.threat_id, i.reason, i.decided_by, i.decided_at, (SELECT COUNT(*) FROM attack_votes v WHERE v.idea_id = i.id)
		FROM attack_ideas i WHERE i.session_id = ? ORDER BY i.id`), scanAttackIdea, sessionID)
}

func scanAttackIdea(sc rowScanner) (attacksession.Idea, error) {
	var i attacksession.Idea
	var created string
	var decided sql.NullString
	err := sc.Scan(&i.ID, &i.SessionID, &i.ParticipantID, &i.Author, &i.Target, &i.Text, &i.STRIDE, &created,
		&i.State, &i.ThreatID, &i.Reason, &i.DecidedBy, &decided, &i.Votes)
	i.CreatedAt, i.DecidedAt = parseTime(created), parseTimePtr(decided)
	return i, err
}

// VoteAttackIdea records a participant's vote; false when it exists.
func (s *Store) VoteAttackIdea(ctx context.Context, ideaID, participantID int64, at time.Time) (bool, error) {
	res, err := s.exec(ctx, s.q(`INSERT INTO attack_votes (idea_id, participant_id, voted_at) VALUES (?, ?, ?) ON CONFLICT (idea_id, participant_id) DO NOTHING`),
		ideaID, participantID, fmtTime(at))
	if err != nil {
		return false, mapErr(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AttackVotesBy returns the ideas of a session a participant voted for.
func (s *Store) AttackVotesBy(ctx context.Context, sessionID, participantID int64) (map[int64]bool, error) {
	return queryMap(ctx, s.conn(ctx), s.q(`SELECT v.idea_id FROM attack_votes v JOIN attack_ideas i ON i.id = v.idea_id WHERE i.session_id = ? AND v.participant_id = ?`), func(sc rowScanner) (int64, bool, error) {
		id, err := scanValue[int64](sc)
		return id, true, err
	}, sessionID, participantID)
}

// DecideAttackIdea records the decision on an open idea; false when the
// idea was no longer open.
func (s *Store) DecideAttackIdea(ctx context.Context, i attacksession.Idea) (bool, error) {
	res, err := s.exec(ctx, s.q(`UPDATE attack_ideas SET state = ?, threat_id = ?, reason = ?, decided_by = ?, decided_at = ? WHERE id = ? AND session_id = ? AND state = 'open'`),
		i.State, i.ThreatID, i.Reason, i.DecidedBy, fmtTimePtr(i.DecidedAt), i.ID, i.SessionID)
	if err != nil {
		return false, mapErr(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AddAttackEvent appends a timeline entry.
func (s *Store) AddAttackEvent(ctx context.Context, e attacksession.Event) error {
	_, err := s.exec(ctx, s.q(`INSERT INTO attack_events (session_id, at, kind, actor, detail) VALUES (?, ?, ?, ?, ?)`),
		e.SessionID, fmtTime(e.At), e.Kind, e.Actor, e.Detail)
	return mapErr(err)
}

// AttackEvents returns a session's timeline, oldest first.
func (s *Store) AttackEvents(ctx context.Context, sessionID int64) ([]attacksession.Event, error) {
	return queryList(ctx, s.conn(ctx), s.q(`SELECT session_id, at, kind, actor, detail FROM attack_events WHERE session_id = ? ORDER BY id`), scanAttackEvent, sessionID)
}

func scanAttackEvent(sc rowScanner) (attacksession.Event, error) {
	var e attacksession.Event
	var at string
	err := sc.Scan(&e.SessionID, &at, &e.Kind, &e.Actor, &e.Detail)
	e.At = parseTime(at)
	return e, err
}
