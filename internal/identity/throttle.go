package identity

import (
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
// live in the database so every server shares them): FreeAttempts failures
// per key cost nothing, each further one doubles the wait up to MaxDelay,
// and an account (not an address) locks after LockAfter consecutive
// failures until an administrator unlocks it (NIST SP 800-63B §3.2.2: at
// most 100).
type SignInPolicy struct {
	FreeAttempts int // per account
	// FreeAttemptsAddress is higher: many users may share one address (NAT).
	FreeAttemptsAddress int
	MaxDelay            time.Duration
	LockAfter           int
}

// DefaultSignInPolicy: 5 free attempts per account and 20 per address,
// back-off doubling from 1 s to 15 minutes, account lock at 100.
var DefaultSignInPolicy = SignInPolicy{FreeAttempts: 5, FreeAttemptsAddress: 20, MaxDelay: 15 * time.Minute, LockAfter: 100}

// Delay is the wait after the given number of consecutive failures of an account.
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
