package identity

import (
	"strings"
	"sync"
	"time"
)

// Throttle limits failed sign-ins per key (account name, source address)
// with exponential back-off: the first FreeAttempts failures are free, each
// further one doubles the wait, capped at MaxDelay. A success clears a key.
// State is per process; with several servers behind one database each keeps
// its own count, which still bounds guessing to a small multiple.
type Throttle struct {
	mu           sync.Mutex
	FreeAttempts int
	MaxDelay     time.Duration
	now          func() time.Time
	keys         map[string]*throttleState
}

type throttleState struct {
	failures int
	until    time.Time
}

// NewThrottle returns a throttle with free attempts and a delay cap.
func NewThrottle(free int, maxDelay time.Duration) *Throttle {
	return &Throttle{FreeAttempts: free, MaxDelay: maxDelay, now: time.Now, keys: map[string]*throttleState{}}
}

// Wait returns how long the caller must wait before another attempt for
// any of the keys (0: go ahead).
func (t *Throttle) Wait(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	now := t.now()
	for _, k := range keys {
		if st := t.keys[k]; st != nil && st.until.After(now) {
			wait = max(wait, st.until.Sub(now))
		}
	}
	return wait
}

// Fail records a failed attempt for each key.
func (t *Throttle) Fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range keys {
		st := t.keys[k]
		if st == nil {
			st = &throttleState{}
			t.keys[k] = st
		}
		st.failures++
		if over := st.failures - t.FreeAttempts; over > 0 {
			d := time.Second << min(over-1, 20)
			st.until = now.Add(min(d, t.MaxDelay))
		}
	}
	if len(t.keys) > 100000 { // bound memory under a spray of unknown names
		for k, st := range t.keys {
			if st.until.Before(now) {
				delete(t.keys, k)
			}
		}
	}
}

// Succeed clears a key after a successful sign-in.
func (t *Throttle) Succeed(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.keys, key)
}

// SignInPolicy is the persistent sign-in throttling policy (the counters
// live in the database so every server shares them). Every attempt is
// charged before the password is checked, atomically, so parallel attempts
// cannot slip past the count (a success refunds it):
//
//   - per (account, source address): FreeAttempts failures cost nothing,
//     each further one doubles the wait up to MaxDelay. An attacker's
//     failures slow only the attacker's own source, never the owner's.
//   - per source address: FreeAttemptsAddress (higher, many users may share
//     one address behind NAT) with the same back-off, against one source
//     spraying many accounts.
//   - per account, over all sources: no back-off, but the account locks
//     after LockAfter consecutive failures until an administrator unlocks
//     it (NIST SP 800-63B §3.2.2: at most 100), so no source can lock an
//     account before that ceiling.
type SignInPolicy struct {
	FreeAttempts int // per (account, source)
	// FreeAttemptsAddress is higher: many users may share one address (NAT).
	FreeAttemptsAddress int
	MaxDelay            time.Duration
	LockAfter           int
}

// DefaultSignInPolicy: 5 free attempts per account and source, 20 per
// source, back-off doubling from 1 s to 15 minutes, account lock at 100.
var DefaultSignInPolicy = SignInPolicy{FreeAttempts: 5, FreeAttemptsAddress: 20, MaxDelay: 15 * time.Minute, LockAfter: 100}

// Delay is the wait after the given number of consecutive failures of an
// account from one source.
func (p SignInPolicy) Delay(failures int) time.Duration { return p.delay(failures, p.FreeAttempts) }

// AddressDelay is the wait after failures from one source address.
func (p SignInPolicy) AddressDelay(failures int) time.Duration {
	return p.delay(failures, p.FreeAttemptsAddress)
}

func (p SignInPolicy) delay(failures, free int) time.Duration {
	over := failures - free
	if over <= 0 {
		return 0
	}
	return min(time.Second<<min(over-1, 20), p.MaxDelay)
}

// AttemptKey is one counter an authentication attempt is charged to.
type AttemptKey struct {
	Key string
	// Delay is the back-off after n consecutive failures (nil: none).
	Delay func(n int) time.Duration
	// LockAt refuses attempts once the count reaches it (0: never).
	LockAt int
	// Refund: a success gives the charge back instead of clearing the count
	// (the per-address key: one user's success must not reset another's).
	Refund bool
}

// AccountKey is the throttle key of an account over all sources.
func AccountKey(name string) string { return "user:" + strings.ToLower(strings.TrimSpace(name)) }

// Keys are the counters an attempt on account name from source is charged to.
func (p SignInPolicy) Keys(name, source string) []AttemptKey {
	acct := AccountKey(name)
	return []AttemptKey{
		{Key: acct + "|" + source, Delay: p.Delay},
		{Key: "ip:" + source, Delay: p.AddressDelay, Refund: true},
		{Key: acct, LockAt: p.LockAfter},
	}
}

// Attempt is the outcome of charging an authentication attempt.
type Attempt struct {
	// Wait > 0: refused, try again after Wait. Locked: refused until an
	// administrator unlocks the account.
	Wait   time.Duration
	Locked bool
	// Failures is the new count of each key (when allowed).
	Failures map[string]int
}

// Allowed reports whether the attempt may proceed.
func (a Attempt) Allowed() bool { return a.Wait <= 0 && !a.Locked }
