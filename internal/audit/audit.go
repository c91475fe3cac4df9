// Package audit is Rampart's tamper-evident audit log. Every
// security-relevant change is appended as an Event whose Hash is SHA-256
// over its content and the previous event's hash, so altering, inserting or
// deleting a stored row breaks the chain at that row (Verify finds it).
//
// Features record events with Record:
//
//	audit.Record(ctx, st, audit.Event{Action: audit.ActionSBOMImport, Object: "release 7", ProductID: 3})
//
// The actor (the signed-in principal) and the source address come from ctx.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/identity"
)

// Actions. Names are "area.verb"; new features add their own.
const (
	ActionSignIn         = "auth.sign_in"
	ActionSignInFailed   = "auth.sign_in_failed"
	ActionSignOut        = "auth.sign_out"
	ActionSignOutAll     = "auth.sign_out_everywhere"
	ActionLocked         = "auth.account_locked"
	ActionPasswordChange = "auth.password_change"
	ActionMFAEnable      = "mfa.enable"
	ActionMFADisable     = "mfa.disable"
	ActionRecoveryUsed   = "mfa.recovery_code_used"
	ActionRecoveryRegen  = "mfa.recovery_codes_regenerated"
	ActionPasskeyAdd     = "mfa.passkey_add"
	ActionPasskeyRemove  = "mfa.passkey_remove"
	ActionReauth         = "auth.reauth"
	ActionDenied         = "authz.denied"
	ActionTokenCreate    = "token.create"
	ActionTokenRevoke    = "token.revoke"
	ActionUserCreate     = "user.create"
	ActionUserUpdate     = "user.update"
	ActionUserInvite     = "user.invite"
	ActionMemberSet      = "product.member_set"
	ActionMemberRemove   = "product.member_remove"
	ActionProductCreate  = "product.create"
	ActionProductDelete  = "product.delete"
	ActionReleaseCreate  = "release.create"
	ActionSBOMImport     = "sbom.import"
	ActionSettings       = "settings.change"
	ActionSLAChange      = "product.sla_change"
	ActionMaxAcceptance  = "product.risk_acceptance_max"
	ActionSetup          = "setup.first_admin"
)

// Outcomes.
const (
	OK     = "ok"
	Failed = "failed"
)

// Genesis is the previous hash of the first event.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Query filters the audit log. Products nil means every product (and
// events without one); otherwise only events of those products.
type Query struct {
	Action   string // prefix, e.g. "auth." or "auth.sign_in"
	Actor    string
	Product  int64
	Since    time.Time
	Before   int64 // seq upper bound (exclusive) for paging backwards; 0 none
	Limit    int   // 0: 100; -1: no limit (export)
	Products []int64
}

// Event is one audit log entry.
type Event struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	Source    string    `json:"source"`
	Action    string    `json:"action"`
	Object    string    `json:"object"`
	ProductID int64     `json:"product_id,omitempty"`
	Outcome   string    `json:"outcome"`
	Detail    string    `json:"detail,omitempty"`
	PrevHash  string    `json:"prev_hash"`
	Hash      string    `json:"hash"`
}

// TimeLayout is how At is stored and hashed (fixed width, UTC, microseconds).
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// ComputeHash returns the chain hash of e: SHA-256 over a canonical JSON
// encoding of every field except Hash, including Seq and PrevHash.
func ComputeHash(e Event) string {
	canon := struct {
		Seq       int64  `json:"seq"`
		At        string `json:"at"`
		Actor     string `json:"actor"`
		Source    string `json:"source"`
		Action    string `json:"action"`
		Object    string `json:"object"`
		ProductID int64  `json:"product_id"`
		Outcome   string `json:"outcome"`
		Detail    string `json:"detail"`
		PrevHash  string `json:"prev_hash"`
	}{e.Seq, e.At.UTC().Format(TimeLayout), e.Actor, e.Source, e.Action, e.Object, e.ProductID, e.Outcome, e.Detail, e.PrevHash}
	b, _ := json.Marshal(canon) // a struct of strings and ints always encodes
	sum := sha256.Sum256(append([]byte("rampart-audit-v1\n"), b...))
	return hex.EncodeToString(sum[:])
}

// Log is where events are appended; internal/store implements it. Append
// assigns Seq, PrevHash and Hash atomically (one writer at a time).
type Log interface {
	AppendAudit(ctx context.Context, e *Event) error
}

type sourceKey struct{}

// WithSource returns ctx carrying the request's source address.
func WithSource(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, sourceKey{}, addr)
}

// SourceFrom returns the source address carried by ctx.
func SourceFrom(ctx context.Context) string {
	s, _ := ctx.Value(sourceKey{}).(string)
	return s
}

// Record appends an event, filling the time, the actor (the principal in
// ctx, unless set) and the source address (from ctx, unless set). Outcome
// defaults to OK.
func Record(ctx context.Context, log Log, e Event) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	if e.Actor == "" {
		if p := identity.FromContext(ctx); p != nil {
			e.Actor = p.Name
			if p.Via == "token" { // name the token that acted, not only its owner
				e.Actor = fmt.Sprintf("%s (token %d %s)", p.Name, p.TokenID, p.TokenName)
			}
		} else {
			e.Actor = "system" // CLI commands and background jobs run as the operator
		}
	}
	if e.Source == "" {
		e.Source = SourceFrom(ctx)
	}
	if e.Outcome == "" {
		e.Outcome = OK
	}
	if e.Action == "" {
		return fmt.Errorf("audit event: action is empty")
	}
	if err := log.AppendAudit(ctx, &e); err != nil {
		return fmt.Errorf("audit %s %s: %w", e.Action, e.Object, err)
	}
	return nil
}

// BrokenError names the first entry at which the chain fails.
type BrokenError struct {
	Seq    int64
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit log broken at entry %d: %s", e.Seq, e.Reason)
}

// Verifier checks a stream of events in Seq order. Feed every stored event
// to Next; the first error is a *BrokenError.
type Verifier struct {
	prev    string
	nextSeq int64
	n       int64
}

// NewVerifier starts a verification at the beginning of the log.
func NewVerifier() *Verifier { return &Verifier{prev: Genesis, nextSeq: 1} }

// Next checks one event.
func (v *Verifier) Next(e Event) error {
	switch {
	case e.Seq < v.nextSeq:
		return &BrokenError{e.Seq, fmt.Sprintf("sequence number repeats or goes back (expected %d)", v.nextSeq)}
	case e.Seq > v.nextSeq:
		return &BrokenError{v.nextSeq, fmt.Sprintf("entry missing (next stored entry is %d): rows were deleted", e.Seq)}
	case e.PrevHash != v.prev:
		return &BrokenError{e.Seq, "previous-hash link does not match the entry before it: a row was inserted or the one before was replaced"}
	case ComputeHash(e) != e.Hash:
		return &BrokenError{e.Seq, "content does not match its hash: the row was altered"}
	}
	v.prev, v.nextSeq, v.n = e.Hash, e.Seq+1, v.n+1
	return nil
}

// Count is the number of events verified; Head the last hash.
func (v *Verifier) Count() int64 { return v.n }

// Head is the hash of the last verified event (Genesis when empty). An
// operator who records it elsewhere can later detect truncation of the tail.
func (v *Verifier) Head() string { return v.prev }

// AtomicLog is a Log that can run a change and its record in one
// transaction (the store's Atomic).
type AtomicLog interface {
	Log
	Atomic(ctx context.Context, fn func(ctx context.Context) error) error
}

// Change runs change and records the event it returns in one transaction:
// when the event cannot be recorded the change is rolled back, so the
// hash-chained log never misses a change that happened. change must do its
// writes with the context it is given (which carries the transaction) and
// be repeatable (a transient conflict retries it).
func Change(ctx context.Context, log AtomicLog, change func(ctx context.Context) (Event, error)) error {
	return log.Atomic(ctx, func(ctx context.Context) error {
		e, err := change(ctx)
		if err != nil {
			return err
		}
		return Record(ctx, log, e)
	})
}
