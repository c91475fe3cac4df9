// Package attacksession runs timed "attack your own product" sessions on a
// product's threat model: a facilitator (who may edit the model) starts a
// session on the current model version, participants (signed-in readers of
// the product, or people without an account who joined with a one-time
// link) add attack ideas against the model's elements and flows and vote on
// them, and the facilitator merges ideas into tracked threats or rejects
// them with a reason. Every step is kept in the session's timeline; the
// summary (participants, ideas per element, merged threats) exports as
// Markdown.
//
// The service keeps the rules; internal/store implements Store (SQL only)
// and the threat-model side (reading a version, adding a threat to the
// model) is the Models interface, implemented in internal/portfolio.
package attacksession

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// Limits on what participants type.
const (
	MaxTitle      = 200
	MaxIdea       = 2000
	MaxName       = 60
	MaxReason     = 1000
	MinMinutes    = 1
	MaxMinutes    = 8 * 60
	maxIdeaTitle  = 120
	guestCSRFSalt = "rampart attack-session participant csrf\x00"
)

// Idea states.
const (
	IdeaOpen     = "open"
	IdeaMerged   = "merged"
	IdeaRejected = "rejected"
)

// Timeline event kinds.
const (
	EventStarted  = "started"
	EventJoined   = "joined"
	EventIdea     = "idea"
	EventVote     = "vote"
	EventMerged   = "merged"
	EventRejected = "rejected"
	EventEnded    = "ended"
	EventLink     = "link"
)

// Session is one timed session on one version of a product's model.
type Session struct {
	ID           int64      `json:"id"`
	ProductID    int64      `json:"product_id"`
	ModelVersion int        `json:"model_version"`
	Title        string     `json:"title"`
	Facilitator  string     `json:"facilitator"`
	StartedAt    time.Time  `json:"started_at"`
	EndsAt       time.Time  `json:"ends_at"`
	EndedAt      *time.Time `json:"ended_at,omitempty"`
}

// Open reports whether the session still takes ideas and votes at now.
func (s Session) Open(now time.Time) bool { return s.EndedAt == nil && now.Before(s.EndsAt) }

// End is when the session ended (or will end).
func (s Session) End() time.Time {
	if s.EndedAt != nil && s.EndedAt.Before(s.EndsAt) {
		return *s.EndedAt
	}
	return s.EndsAt
}

// Participant is someone taking part: a user (UserName set) or a guest who
// joined with a link (Guest true, LinkID set).
type Participant struct {
	ID        int64     `json:"id"`
	SessionID int64     `json:"session_id"`
	Name      string    `json:"name"`
	UserName  string    `json:"user,omitempty"`
	Guest     bool      `json:"guest"`
	LinkID    int64     `json:"link_id,omitempty"`
	JoinedAt  time.Time `json:"joined_at"`
}

// Link is a one-time join link; only its hash is stored.
type Link struct {
	ID        int64      `json:"id"`
	SessionID int64      `json:"session_id"`
	Label     string     `json:"label,omitempty"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	UsedAt    *time.Time `json:"used_at,omitempty"`
}

// Idea is one attack idea against an element or flow of the model.
type Idea struct {
	ID            int64      `json:"id"`
	SessionID     int64      `json:"session_id"`
	ParticipantID int64      `json:"participant_id"`
	Author        string     `json:"author"`
	Target        string     `json:"target"`
	Text          string     `json:"text"`
	STRIDE        string     `json:"stride"`
	CreatedAt     time.Time  `json:"created_at"`
	Votes         int        `json:"votes"`
	State         string     `json:"state"`
	ThreatID      string     `json:"threat_id,omitempty"`
	Reason        string     `json:"reason,omitempty"`
	DecidedBy     string     `json:"decided_by,omitempty"`
	DecidedAt     *time.Time `json:"decided_at,omitempty"`
}

// Event is one timeline entry.
type Event struct {
	SessionID int64     `json:"-"`
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"`
	Actor     string    `json:"actor"`
	Detail    string    `json:"detail,omitempty"`
}

// Target is an element or flow ideas can be aimed at.
type Target struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"` // element type, or "flow"
}

// Store persists sessions; internal/store implements it. Methods called
// with a context from Atomic join its transaction.
type Store interface {
	audit.Log
	Atomic(ctx context.Context, fn func(ctx context.Context) error) error
	CreateAttackSession(ctx context.Context, s *Session) error
	AttackSession(ctx context.Context, productID, id int64) (Session, error)
	AttackSessions(ctx context.Context, productID int64) ([]Session, error)
	// AttackSessionCounts counts each session's participants, ideas and
	// merged ideas, by session id.
	AttackSessionCounts(ctx context.Context, productID int64) (map[int64]Counts, error)
	EndAttackSession(ctx context.Context, id int64, at time.Time) (bool, error)
	AddAttackParticipant(ctx context.Context, p *Participant, tokenHash string) error
	AttackParticipantByUser(ctx context.Context, sessionID int64, user string) (Participant, error)
	AttackParticipantByToken(ctx context.Context, tokenHash string) (Participant, error)
	AttackParticipants(ctx context.Context, sessionID int64) ([]Participant, error)
	CreateAttackLink(ctx context.Context, l *Link, hash string) error
	// UseAttackLink marks the unused link with hash used at at and returns
	// it; a used or unknown link is ErrNotFound.
	UseAttackLink(ctx context.Context, hash string, at time.Time) (Link, error)
	AttackLinks(ctx context.Context, sessionID int64) ([]Link, error)
	AddAttackIdea(ctx context.Context, i *Idea) error
	AttackIdeas(ctx context.Context, sessionID int64) ([]Idea, error)
	// VoteAttackIdea records one vote of a participant; false when the
	// participant had voted for the idea already.
	VoteAttackIdea(ctx context.Context, ideaID, participantID int64, at time.Time) (bool, error)
	// AttackVotesBy returns the ideas of a session a participant voted for.
	AttackVotesBy(ctx context.Context, sessionID, participantID int64) (map[int64]bool, error)
	// DecideAttackIdea sets the state, threat, reason and decider of an
	// open idea; false when the idea was decided already.
	DecideAttackIdea(ctx context.Context, i Idea) (bool, error)
	AddAttackEvent(ctx context.Context, e Event) error
	AttackEvents(ctx context.Context, sessionID int64) ([]Event, error)
}

// Models is the product's threat model as the sessions need it.
type Models interface {
	// Model returns a version (0: the latest) of the product's model and
	// its number.
	Model(ctx context.Context, productID int64, version int) (*threatmodel.Model, int, error)
	// AddThreat adds a threat identified by hand to the latest model (a
	// new version) and tracks it with owner and status; it runs in ctx's
	// transaction.
	AddThreat(ctx context.Context, productID int64, t threatmodel.ThreatDecision, owner, status, actor string) (version int, err error)
}

// Service runs the sessions.
type Service struct {
	st     Store
	models Models
	now    func() time.Time
}

// New returns a service; now is the clock (time.Now when nil).
func New(st Store, models Models, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, models: models, now: now}
}

// Actor is who acts: a signed-in user (User) or a guest participant.
type Actor struct {
	User  string
	Guest *Participant
}

func (a Actor) name() string {
	if a.Guest != nil {
		return a.Guest.Name + " (guest)"
	}
	return a.User
}

// Start begins a session of minutes on the latest model version.
func (s *Service) Start(ctx context.Context, productID int64, title string, minutes int, facilitator string) (Session, error) {
	title = strings.TrimSpace(title)
	if err := checkText("title", title, MaxTitle, `name the session (e.g. "Attack the pairing flow")`); err != nil {
		return Session{}, err
	}
	if minutes < MinMinutes || minutes > MaxMinutes {
		return Session{}, fault.Invalid("minutes", "minutes: %d is out of range; a session lasts %d to %d minutes", minutes, MinMinutes, MaxMinutes)
	}
	_, ver, err := s.models.Model(ctx, productID, 0)
	if err != nil {
		if errors.Is(err, ErrNoModel) {
			return Session{}, fault.Conflict("product %d has no threat model yet: upload one before starting a session", productID)
		}
		return Session{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	sess := Session{ProductID: productID, ModelVersion: ver, Title: title, Facilitator: facilitator, StartedAt: now, EndsAt: now.Add(time.Duration(minutes) * time.Minute)}
	err = s.st.Atomic(ctx, func(ctx context.Context) error {
		if err := s.st.CreateAttackSession(ctx, &sess); err != nil {
			return err
		}
		if err := s.st.AddAttackEvent(ctx, Event{SessionID: sess.ID, At: now, Kind: EventStarted, Actor: facilitator,
			Detail: fmt.Sprintf("%d minutes on model version %d", minutes, ver)}); err != nil {
			return err
		}
		if err := s.joinUser(ctx, sess, facilitator, now); err != nil {
			return err
		}
		return audit.Record(ctx, s.st, audit.Event{Action: "attack_session.start", Object: sessObject(sess), ProductID: productID,
			Detail: fmt.Sprintf("%s; %d minutes on model version %d", title, minutes, ver)})
	})
	return sess, err
}

// ErrNoModel is what Models.Model returns when the product has no model.
var ErrNoModel = errors.New("the product has no threat model")

func sessObject(s Session) string { return fmt.Sprintf("attack session %d (%s)", s.ID, s.Title) }

// List returns the product's sessions, newest first.
func (s *Service) List(ctx context.Context, productID int64) ([]Session, error) {
	return s.st.AttackSessions(ctx, productID)
}

// Counts are a session's participants, ideas and merged ideas.
type Counts struct {
	Participants int `json:"participants"`
	Ideas        int `json:"ideas"`
	Merged       int `json:"merged"`
}

// Row is one session of the product's list with its counts.
type Row struct {
	Session
	Open bool `json:"open"`
	Counts
}

// Overview lists the product's sessions, newest first, with their counts.
func (s *Service) Overview(ctx context.Context, productID int64) ([]Row, error) {
	ss, err := s.st.AttackSessions(ctx, productID)
	if err != nil {
		return nil, err
	}
	cs, err := s.st.AttackSessionCounts(ctx, productID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]Row, 0, len(ss))
	for _, x := range ss {
		out = append(out, Row{Session: x, Open: x.Open(now), Counts: cs[x.ID]})
	}
	return out, nil
}

// Session returns one session of the product.
func (s *Service) Session(ctx context.Context, productID, id int64) (Session, error) {
	return s.st.AttackSession(ctx, productID, id)
}

// View is a session with everything its page shows.
type View struct {
	Session      Session       `json:"session"`
	Open         bool          `json:"open"`
	Now          time.Time     `json:"now"`
	Targets      []Target      `json:"targets"`
	Participants []Participant `json:"participants"`
	Ideas        []Idea        `json:"ideas"`
	Timeline     []Event       `json:"timeline"`
	Links        []Link        `json:"links,omitempty"`
	Summary      Summary       `json:"summary"`
}

// TargetName returns the name of a target id ("" when unknown).
func (v *View) TargetName(id string) string {
	for _, t := range v.Targets {
		if t.ID == id {
			return t.Name
		}
	}
	return ""
}

// Get loads a session's view; links are included when withLinks (the
// facilitator's view).
func (s *Service) Get(ctx context.Context, productID, id int64, withLinks bool) (*View, error) {
	sess, err := s.st.AttackSession(ctx, productID, id)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	v := &View{Session: sess, Open: sess.Open(now), Now: now}
	m, _, err := s.models.Model(ctx, productID, sess.ModelVersion)
	if err != nil {
		return nil, err
	}
	v.Targets = Targets(m)
	if v.Participants, err = s.st.AttackParticipants(ctx, id); err != nil {
		return nil, err
	}
	if v.Ideas, err = s.st.AttackIdeas(ctx, id); err != nil {
		return nil, err
	}
	if v.Timeline, err = s.st.AttackEvents(ctx, id); err != nil {
		return nil, err
	}
	if sess.EndedAt == nil && !v.Open { // ran out of time: the end is part of the timeline
		v.Timeline = append(v.Timeline, Event{SessionID: id, At: sess.EndsAt, Kind: EventEnded, Actor: "clock", Detail: "time is up"})
	}
	if withLinks {
		if v.Links, err = s.st.AttackLinks(ctx, id); err != nil {
			return nil, err
		}
	}
	if v.Participants == nil {
		v.Participants = []Participant{}
	}
	if v.Ideas == nil {
		v.Ideas = []Idea{}
	}
	v.Summary = Summarise(v)
	return v, nil
}

// Targets lists the elements and flows of a model ideas can aim at.
func Targets(m *threatmodel.Model) []Target {
	out := make([]Target, 0, len(m.Elements)+len(m.Flows))
	for _, e := range m.Elements {
		out = append(out, Target{ID: e.ID, Name: firstNonEmpty(e.Name, e.ID), Kind: e.Type})
	}
	for _, f := range m.Flows {
		name := f.Name
		if name == "" {
			from, to := f.From, f.To
			if e := m.Element(f.From); e != nil && e.Name != "" {
				from = e.Name
			}
			if e := m.Element(f.To); e != nil && e.Name != "" {
				to = e.Name
			}
			name = from + " → " + to
		}
		out = append(out, Target{ID: f.ID, Name: name, Kind: "flow"})
	}
	return out
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ParseSTRIDE accepts a STRIDE letter (S, T, R, I, D, E) or a category's
// full name ("Information disclosure", "denial_of_service", …) and returns
// the model's category name.
func ParseSTRIDE(s string) (string, error) {
	k := strings.ToLower(strings.TrimSpace(s))
	k = strings.NewReplacer("-", " ", "_", " ").Replace(k)
	k = strings.Join(strings.Fields(k), " ")
	full := map[string]string{
		"s": "spoofing", "spoofing": "spoofing",
		"t": "tampering", "tampering": "tampering",
		"r": "repudiation", "repudiation": "repudiation",
		"i": "information_disclosure", "information disclosure": "information_disclosure",
		"d": "denial_of_service", "denial of service": "denial_of_service",
		"e": "elevation_of_privilege", "elevation of privilege": "elevation_of_privilege",
	}
	if c, ok := full[k]; ok {
		return c, nil
	}
	return "", fault.Invalid("stride", "stride: %q is not a STRIDE category; use one of S, T, R, I, D, E or spoofing, tampering, repudiation, information disclosure, denial of service, elevation of privilege", s)
}

// joinUser makes a signed-in user a participant (once) and records it.
func (s *Service) joinUser(ctx context.Context, sess Session, user string, now time.Time) error {
	if _, err := s.st.AttackParticipantByUser(ctx, sess.ID, user); err == nil {
		return nil
	} else if !isMissing(err) {
		return err
	}
	p := Participant{SessionID: sess.ID, Name: user, UserName: user, JoinedAt: now}
	if err := s.st.AddAttackParticipant(ctx, &p, ""); err != nil {
		return err
	}
	return s.st.AddAttackEvent(ctx, Event{SessionID: sess.ID, At: now, Kind: EventJoined, Actor: user})
}

// isMissing reports a not-found error from the store (it uses fault's).
func isMissing(err error) bool { return errors.Is(err, fault.ErrNotFound) }

// Participate records a signed-in reader as a participant of an open
// session (the first visit of the session page or the first idea).
func (s *Service) Participate(ctx context.Context, productID, id int64, user string) error {
	sess, err := s.st.AttackSession(ctx, productID, id)
	if err != nil {
		return err
	}
	if !sess.Open(s.now()) {
		return nil
	}
	return s.st.Atomic(ctx, func(ctx context.Context) error {
		return s.joinUser(ctx, sess, user, s.now().UTC())
	})
}

// CreateLink makes a one-time join link for someone without an account;
// the secret is returned once and only its hash is stored.
func (s *Service) CreateLink(ctx context.Context, productID, id int64, label, actor string) (string, Link, error) {
	label = strings.TrimSpace(label)
	if err := checkText("label", label, MaxName, ""); err != nil {
		return "", Link{}, err
	}
	sess, now, err := s.openSession(ctx, productID, id, fmt.Sprintf("attack session %d ended at %%s: no one can join it any more", id))
	if err != nil {
		return "", Link{}, err
	}
	plain, hash := identity.NewSecret("rja_")
	l := Link{SessionID: id, Label: label, CreatedBy: actor, CreatedAt: now}
	err = s.st.Atomic(ctx, func(ctx context.Context) error {
		if err := s.st.CreateAttackLink(ctx, &l, hash); err != nil {
			return err
		}
		if err := s.st.AddAttackEvent(ctx, Event{SessionID: id, At: now, Kind: EventLink, Actor: actor, Detail: strings.TrimSpace("join link " + fmt.Sprint(l.ID) + " " + label)}); err != nil {
			return err
		}
		return audit.Record(ctx, s.st, audit.Event{Action: "attack_session.link", Object: sessObject(sess), ProductID: productID,
			Detail: strings.TrimSpace(fmt.Sprintf("join link %d %s", l.ID, label))})
	})
	return plain, l, err
}

// Join spends a one-time link: the person named name becomes a guest
// participant of the link's session. The returned secret is the guest's
// credential (the participant cookie); it reaches that session only.
func (s *Service) Join(ctx context.Context, linkSecret, name string) (Session, Participant, string, error) {
	name = strings.Join(strings.Fields(name), " ")
	if err := checkText("name", name, MaxName, "say who you are, so others see whose ideas these are"); err != nil {
		return Session{}, Participant{}, "", err
	}
	if !strings.HasPrefix(linkSecret, "rja_") {
		return Session{}, Participant{}, "", fault.NotFound("this join link is not valid: ask the facilitator for a new one")
	}
	now := s.now().UTC()
	var sess Session
	var p Participant
	plain, hash := identity.NewSecret("rjp_")
	err := s.st.Atomic(ctx, func(ctx context.Context) error {
		l, err := s.st.UseAttackLink(ctx, identity.HashSecret(linkSecret), now)
		if err != nil {
			if isMissing(err) {
				return fault.NotFound("this join link is not valid or was used already: ask the facilitator for a new one")
			}
			return err
		}
		if sess, err = s.st.AttackSession(ctx, 0, l.SessionID); err != nil {
			return err
		}
		if !sess.Open(now) {
			return fault.Conflict("the session %q ended at %s", sess.Title, sess.End().Format(time.RFC3339))
		}
		p = Participant{SessionID: sess.ID, Name: name, Guest: true, LinkID: l.ID, JoinedAt: now}
		if err := s.st.AddAttackParticipant(ctx, &p, hash); err != nil {
			return err
		}
		if err := s.st.AddAttackEvent(ctx, Event{SessionID: sess.ID, At: now, Kind: EventJoined, Actor: p.Name + " (guest)", Detail: fmt.Sprintf("join link %d", l.ID)}); err != nil {
			return err
		}
		return audit.Record(ctx, s.st, audit.Event{Action: "attack_session.join", Actor: fmt.Sprintf("guest %q (join link %d)", name, l.ID),
			Object: sessObject(sess), ProductID: sess.ProductID})
	})
	if err != nil {
		return Session{}, Participant{}, "", err
	}
	return sess, p, plain, nil
}

// Guest returns the guest participant a participant secret belongs to.
func (s *Service) Guest(ctx context.Context, secret string) (Participant, Session, error) {
	if !strings.HasPrefix(secret, "rjp_") {
		return Participant{}, Session{}, fault.Unauthenticated("not a participant credential")
	}
	p, err := s.st.AttackParticipantByToken(ctx, identity.HashSecret(secret))
	if err != nil {
		return Participant{}, Session{}, err
	}
	sess, err := s.st.AttackSession(ctx, 0, p.SessionID)
	return p, sess, err
}

// openSession returns session id of productID and the time now, or a
// conflict when the session has ended: ended is its message, with a %s
// for the end time.
func (s *Service) openSession(ctx context.Context, productID, id int64, ended string) (Session, time.Time, error) {
	sess, err := s.st.AttackSession(ctx, productID, id)
	if err != nil {
		return Session{}, time.Time{}, err
	}
	now := s.now().UTC()
	if !sess.Open(now) {
		return Session{}, time.Time{}, fault.Conflict(ended, sess.End().Format(time.RFC3339))
	}
	return sess, now, nil
}

// GuestCSRF is the CSRF token of a guest's pages, derived from the
// participant secret (so nothing more is stored).
func GuestCSRF(secret string) string {
	return identity.HashSecret(guestCSRFSalt + secret)[:32]
}

// IdeaInput is a new idea.
type IdeaInput struct {
	Target string `json:"target"`
	Text   string `json:"text"`
	STRIDE string `json:"stride"`
}

// AddIdea adds an idea to an open session.
func (s *Service) AddIdea(ctx context.Context, productID, id int64, who Actor, in IdeaInput) (Idea, error) {
	sess, now, err := s.openSession(ctx, productID, id, "the session ended at %s: it takes no more ideas")
	if err != nil {
		return Idea{}, err
	}
	text := strings.TrimSpace(in.Text)
	if err := checkText("text", text, MaxIdea, "describe the attack (what would you try, and what would it get you?)"); err != nil {
		return Idea{}, err
	}
	stride, err := ParseSTRIDE(in.STRIDE)
	if err != nil {
		return Idea{}, err
	}
	m, _, err := s.models.Model(ctx, productID, sess.ModelVersion)
	if err != nil {
		return Idea{}, err
	}
	target := strings.TrimSpace(in.Target)
	if m.Element(target) == nil && m.Flow(target) == nil {
		return Idea{}, fault.Invalid("target", "target: %q is not an element or flow of model version %d; pick one on the diagram", target, sess.ModelVersion)
	}
	idea := Idea{SessionID: id, Target: target, Text: text, STRIDE: stride, CreatedAt: now, State: IdeaOpen}
	err = s.st.Atomic(ctx, func(ctx context.Context) error {
		p, err := s.participant(ctx, sess, who, now)
		if err != nil {
			return err
		}
		idea.ParticipantID, idea.Author = p.ID, p.Name
		if err := s.st.AddAttackIdea(ctx, &idea); err != nil {
			return err
		}
		return s.st.AddAttackEvent(ctx, Event{SessionID: id, At: now, Kind: EventIdea, Actor: who.name(),
			Detail: fmt.Sprintf("idea %d on %s (%s)", idea.ID, target, stride)})
	})
	return idea, err
}

// participant returns (joining a signed-in user first) the acting participant.
func (s *Service) participant(ctx context.Context, sess Session, who Actor, now time.Time) (Participant, error) {
	if who.Guest != nil {
		if who.Guest.SessionID != sess.ID {
			return Participant{}, fault.Forbidden("you joined another session")
		}
		return *who.Guest, nil
	}
	if who.User == "" {
		return Participant{}, fault.Unauthenticated("sign in or join with a link first")
	}
	if err := s.joinUser(ctx, sess, who.User, now); err != nil {
		return Participant{}, err
	}
	return s.st.AttackParticipantByUser(ctx, sess.ID, who.User)
}

// openIdea loads idea ideaID of session id, which must still be open
// (fault.NotFound when it is not in the session, fault.Conflict when it
// was decided). Call it inside the deciding transaction.
func (s *Service) openIdea(ctx context.Context, id, ideaID int64) (Idea, error) {
	ideas, err := s.st.AttackIdeas(ctx, id)
	if err != nil {
		return Idea{}, err
	}
	idea, ok := findIdea(ideas, ideaID)
	if !ok {
		return Idea{}, fault.NotFound("idea %d is not in attack session %d", ideaID, id)
	}
	if idea.State != IdeaOpen {
		return idea, fault.Conflict("idea %d was %s already", ideaID, idea.State)
	}
	return idea, nil
}

// decide stores an open idea's decision, fault.Conflict when a concurrent
// decision came first.
func (s *Service) decide(ctx context.Context, idea Idea) error {
	ok, err := s.st.DecideAttackIdea(ctx, idea)
	if err == nil && !ok {
		err = fault.Conflict("idea %d was decided already", idea.ID)
	}
	return err
}

func findIdea(ideas []Idea, id int64) (Idea, bool) {
	for _, i := range ideas {
		if i.ID == id {
			return i, true
		}
	}
	return Idea{}, false
}

// Vote adds who's vote to an idea of an open session (once per person);
// it returns the idea with its votes.
func (s *Service) Vote(ctx context.Context, productID, id, ideaID int64, who Actor) (Idea, error) {
	sess, now, err := s.openSession(ctx, productID, id, "the session ended at %s: voting is closed")
	if err != nil {
		return Idea{}, err
	}
	var idea Idea
	err = s.st.Atomic(ctx, func(ctx context.Context) error {
		ideas, err := s.st.AttackIdeas(ctx, id)
		if err != nil {
			return err
		}
		var ok bool
		if idea, ok = findIdea(ideas, ideaID); !ok {
			return fault.NotFound("idea %d is not in attack session %d", ideaID, id)
		}
		p, err := s.participant(ctx, sess, who, now)
		if err != nil {
			return err
		}
		added, err := s.st.VoteAttackIdea(ctx, ideaID, p.ID, now)
		if err != nil || !added {
			return err
		}
		idea.Votes++
		return s.st.AddAttackEvent(ctx, Event{SessionID: id, At: now, Kind: EventVote, Actor: who.name(), Detail: fmt.Sprintf("idea %d", ideaID)})
	})
	return idea, err
}

// VotedBy returns the ideas of a session the participant voted for.
func (s *Service) VotedBy(ctx context.Context, sessionID, participantID int64) (map[int64]bool, error) {
	return s.st.AttackVotesBy(ctx, sessionID, participantID)
}

// Severities a merged threat may have.
var Severities = []string{"critical", "high", "medium", "low", "info"}

// MergeInput is how the facilitator turns an idea into a tracked threat.
type MergeInput struct {
	Title    string `json:"title"`
	Severity string `json:"severity"`
	Owner    string `json:"owner"`
	Status   string `json:"status"`
}

// TrackStatuses are the statuses a merged threat may start with.
var TrackStatuses = []string{threatmodel.StatusOpen, "in_progress", threatmodel.StatusMitigated}

// ThreatID is the id a merged idea's threat gets in the model.
func ThreatID(sessionID, ideaID int64) string { return fmt.Sprintf("ATTACK-%d-%d", sessionID, ideaID) }

// Merge turns an open idea into a threat identified by hand in the latest
// model version (a new version), tracked with an owner and status.
func (s *Service) Merge(ctx context.Context, productID, id, ideaID int64, in MergeInput, actor string) (Idea, error) {
	sess, err := s.st.AttackSession(ctx, productID, id)
	if err != nil {
		return Idea{}, err
	}
	sev := strings.ToLower(strings.TrimSpace(in.Severity))
	if sev == "" {
		sev = "medium"
	}
	if !slices.Contains(Severities, sev) {
		return Idea{}, fault.Invalid("severity", "severity: %q must be one of %s", in.Severity, strings.Join(Severities, ", "))
	}
	status := strings.TrimSpace(in.Status)
	if status == "" {
		status = threatmodel.StatusOpen
	}
	if !slices.Contains(TrackStatuses, status) {
		return Idea{}, fault.Invalid("status", "status: %q must be one of %s (accepting a threat is a decision on the threat model page)", in.Status, strings.Join(TrackStatuses, ", "))
	}
	owner := strings.TrimSpace(in.Owner)
	if owner == "" {
		return Idea{}, fault.Invalid("owner", "owner: name who owns the threat")
	}
	title := strings.TrimSpace(in.Title)
	if err := checkText("title", title, MaxTitle, ""); err != nil {
		return Idea{}, err
	}
	return s.decideIdea(ctx, productID, sess, ideaID, actor, EventMerged, "attack_session.merge", func(ctx context.Context, idea *Idea) (string, string, error) {
		if title == "" {
			title = ideaTitle(idea.Text)
		}
		tid := ThreatID(id, ideaID)
		d := threatmodel.ThreatDecision{ID: tid, Title: title, Target: idea.Target, STRIDE: idea.STRIDE, Severity: sev,
			Description: fmt.Sprintf("%s\n\nFrom attack session %d (%q), idea %d by %s, %d votes.", idea.Text, id, sess.Title, ideaID, idea.Author, idea.Votes)}
		ver, err := s.models.AddThreat(ctx, productID, d, owner, status, actor)
		if err != nil {
			return "", "", err
		}
		idea.State, idea.ThreatID = IdeaMerged, tid
		return fmt.Sprintf("idea %d → threat %s (owner %s, %s; model version %d)", ideaID, tid, owner, status, ver),
			fmt.Sprintf("idea %d → threat %s, owner %s, status %s, model version %d", ideaID, tid, owner, status, ver), nil
	})
}

// decideIdea decides the open idea ideaID of session sess in one
// transaction: decision sets the idea's state (and does in the transaction
// what else the decision takes) and returns the detail of the session's
// event (of kind) and of the audit record (of action); the idea is stored
// as decided by actor now.
func (s *Service) decideIdea(ctx context.Context, productID int64, sess Session, ideaID int64, actor, kind, action string,
	decision func(ctx context.Context, idea *Idea) (event, record string, err error)) (Idea, error) {
	now := s.now().UTC()
	var idea Idea
	err := s.st.Atomic(ctx, func(ctx context.Context) error {
		var err error
		if idea, err = s.openIdea(ctx, sess.ID, ideaID); err != nil {
			return err
		}
		event, record, err := decision(ctx, &idea)
		if err != nil {
			return err
		}
		idea.DecidedBy, idea.DecidedAt = actor, &now
		if err := s.decide(ctx, idea); err != nil {
			return err
		}
		if err := s.st.AddAttackEvent(ctx, Event{SessionID: sess.ID, At: now, Kind: kind, Actor: actor, Detail: event}); err != nil {
			return err
		}
		return audit.Record(ctx, s.st, audit.Event{Action: action, Object: sessObject(sess), ProductID: productID, Detail: record})
	})
	return idea, err
}

// Reject closes an open idea with a reason.
func (s *Service) Reject(ctx context.Context, productID, id, ideaID int64, reason, actor string) (Idea, error) {
	sess, err := s.st.AttackSession(ctx, productID, id)
	if err != nil {
		return Idea{}, err
	}
	reason = strings.TrimSpace(reason)
	if err := checkText("reason", reason, MaxReason, "say why the idea is rejected (participants see it)"); err != nil {
		return Idea{}, err
	}
	return s.decideIdea(ctx, productID, sess, ideaID, actor, EventRejected, "attack_session.reject", func(_ context.Context, idea *Idea) (string, string, error) {
		idea.State, idea.Reason = IdeaRejected, reason
		detail := fmt.Sprintf("idea %d: %s", ideaID, reason)
		return detail, detail, nil
	})
}

// End stops an open session now (the facilitator ends it early).
func (s *Service) End(ctx context.Context, productID, id int64, actor string) (Session, error) {
	sess, err := s.st.AttackSession(ctx, productID, id)
	if err != nil {
		return Session{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	if !sess.Open(now) {
		return sess, fault.Conflict("attack session %d ended already at %s", id, sess.End().Format(time.RFC3339))
	}
	err = s.st.Atomic(ctx, func(ctx context.Context) error {
		ok, err := s.st.EndAttackSession(ctx, id, now)
		if err != nil || !ok {
			if err == nil {
				err = fault.Conflict("attack session %d ended already", id)
			}
			return err
		}
		if err := s.st.AddAttackEvent(ctx, Event{SessionID: id, At: now, Kind: EventEnded, Actor: actor, Detail: "ended by the facilitator"}); err != nil {
			return err
		}
		return audit.Record(ctx, s.st, audit.Event{Action: "attack_session.end", Object: sessObject(sess), ProductID: productID})
	})
	sess.EndedAt = &now
	return sess, err
}

// checkText checks the text field (already trimmed by the caller): at most
// limit characters and, when missing says what to write, not empty.
func checkText(field, value string, limit int, missing string) error {
	switch {
	case value == "" && missing != "":
		return fault.Invalid(field, "%s: %s", field, missing)
	case utf8.RuneCountInString(value) > limit:
		return fault.Invalid(field, "%s: at most %d characters", field, limit)
	}
	return nil
}

func ideaTitle(text string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	line = strings.TrimSpace(line)
	if utf8.RuneCountInString(line) > maxIdeaTitle {
		r := []rune(line)
		line = strings.TrimSpace(string(r[:maxIdeaTitle-1])) + "…"
	}
	return line
}
