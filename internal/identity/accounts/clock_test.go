package accounts_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pquerna/otp"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/identity/accounts"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// clock is a fake clock the tests move by hand.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time      { return c.t }
func (c *clock) Add(d time.Duration) { c.t = c.t.Add(d) }

const password = "correct horse battery staple"

func newUser(t *testing.T, st *store.Store, name string) identity.User {
	t.Helper()
	hash, err := identity.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	u := identity.User{Name: name, Role: identity.RoleViewer, PasswordHash: hash}
	if err := st.CreateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	return u
}

// wantWait checks that err is a throttled sign-in asking to wait exactly
// wait (the clock stands still, so the wait is exact).
func wantWait(t *testing.T, err error, wait time.Duration) {
	t.Helper()
	var tm accounts.TooManyAttempts
	if !errors.As(err, &tm) || tm.Locked || tm.Wait != wait {
		t.Fatalf("got %v (%+v), want TooManyAttempts waiting %s", err, tm, wait)
	}
}

// TestSignInThrottleWindows drives the default sign-in policy's back-off
// with a fake clock, through the real store (its counters) on every engine.
func TestSignInThrottleWindows(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
		pol := identity.DefaultSignInPolicy
		svc := accounts.New(st, pol, 0, clk.Now)
		newUser(t, st, "alice")
		from := accounts.Client{IP: "192.0.2.7", UserAgent: "test"}
		signIn := func(c accounts.Client, pw string) error {
			_, _, err := svc.SignIn(ctx, c, "alice", pw, "")
			return err
		}
		wrong := func() error { return signIn(from, "wrong") }
		for i := 1; i <= pol.FreeAttempts; i++ {
			if err := wrong(); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("free failure %d: %v, want ErrBadCredentials", i, err)
			}
		}
		// The first failure beyond the free ones is still evaluated; its
		// back-off (1 s) runs from its answer.
		if err := wrong(); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Fatalf("first paid failure: %v, want ErrBadCredentials", err)
		}
		first := pol.Delay(pol.FreeAttempts + 1)
		if first != time.Second {
			t.Fatalf("policy: first back-off %s, want 1s", first)
		}
		wantWait(t, wrong(), first)
		clk.Add(first - time.Millisecond)
		wantWait(t, wrong(), time.Millisecond)
		// Inside the window even the right password is refused unevaluated.
		wantWait(t, signIn(from, password), time.Millisecond)
		// Another source is not slowed by this source's failures.
		if err := signIn(accounts.Client{IP: "198.51.100.9"}, password); err != nil {
			t.Fatalf("sign-in from another source: %v", err)
		}
		// At the window's end the next failure is evaluated and doubles it.
		clk.Add(time.Millisecond)
		if err := wrong(); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Fatalf("failure after the window: %v, want ErrBadCredentials", err)
		}
		wantWait(t, wrong(), 2*time.Second)
		clk.Add(2 * time.Second)
		if err := signIn(from, password); err != nil {
			t.Fatalf("sign-in after the window: %v", err)
		}
		// A success clears the source's count: the free failures are free again.
		for i := 1; i <= pol.FreeAttempts+1; i++ {
			if err := wrong(); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("failure %d after a success: %v, want ErrBadCredentials", i, err)
			}
		}
		wantWait(t, wrong(), first)
	})
}

// TestSignInLockIsNotAWindow: an account locked after LockAfter failures
// stays locked however far the clock moves, until an administrator
// unlocks it.
func TestSignInLockIsNotAWindow(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
		pol := identity.SignInPolicy{FreeAttempts: 100, FreeAttemptsAddress: 100, MaxDelay: time.Minute, LockAfter: 3}
		svc := accounts.New(st, pol, 0, clk.Now)
		u := newUser(t, st, "carol")
		for i, ip := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
			if _, _, err := svc.SignIn(ctx, accounts.Client{IP: ip}, "carol", "wrong", ""); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		clk.Add(30 * 24 * time.Hour)
		var tm accounts.TooManyAttempts
		if _, _, err := svc.SignIn(ctx, accounts.Client{IP: "192.0.2.4"}, "carol", password, ""); !errors.As(err, &tm) || !tm.Locked {
			t.Fatalf("30 days after the lock: %v, want a locked account", err)
		}
		enabled := false
		if err := st.UpdateUser(ctx, u.ID, identity.UserUpdate{Disabled: &enabled}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.SignIn(ctx, accounts.Client{IP: "192.0.2.4"}, "carol", password, ""); err != nil {
			t.Fatalf("after unlocking: %v", err)
		}
	})
}

// TestReauthWindow: re-authenticating opens identity.ReauthWindow (5
// minutes) from the service's clock, with the password or a TOTP code
// current at that clock, each code once.
func TestReauthWindow(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u := newUser(t, st, "bob")
		cookie, _, err := st.CreateSessionAuth(ctx, u.ID, "192.0.2.7", "test", false)
		if err != nil {
			t.Fatal(err)
		}
		principal := func() *identity.Principal {
			t.Helper()
			p, err := st.SessionPrincipal(ctx, cookie)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		clk := &clock{t: time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)}
		svc := accounts.New(st, identity.DefaultSignInPolicy, 0, clk.Now)
		from := accounts.Client{IP: "192.0.2.7"}
		pctx := identity.WithPrincipal(ctx, principal())

		if err := svc.Reauthenticate(pctx, from, "wrong", ""); !errors.Is(err, accounts.ErrNotConfirmed) {
			t.Fatalf("wrong password: %v, want ErrNotConfirmed", err)
		}
		if err := svc.Reauthenticate(pctx, from, password, ""); err != nil {
			t.Fatalf("password: %v", err)
		}
		opened := clk.Now()
		p := principal()
		if !p.AuthAt.Equal(opened) {
			t.Fatalf("session proved itself at %s, want the service's clock %s", p.AuthAt, opened)
		}
		clk.Add(identity.ReauthWindow)
		if !svc.RecentlyAuthenticated(p) {
			t.Errorf("%s after re-authenticating: window closed, want open", identity.ReauthWindow)
		}
		clk.Add(time.Microsecond)
		if svc.RecentlyAuthenticated(p) {
			t.Errorf("just over %s after re-authenticating: window open, want closed", identity.ReauthWindow)
		}

		// With TOTP: a code current at the service's clock opens the window,
		// once; a code from two steps ago does not.
		key, err := identity.NewTOTPKey("bob")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetTOTPPending(ctx, u.ID, key.Secret()); err != nil {
			t.Fatal(err)
		}
		if err := st.EnableTOTP(ctx, u.ID, key.Secret(), 0, nil); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Hour)
		code := func(at time.Time) string {
			c, err := identity.TOTPCodeAt(key.Secret(), at, otp.DigitsSix, otp.AlgorithmSHA1)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		stale := code(clk.Now().Add(-2 * identity.TOTPPeriod * time.Second))
		if stale != code(clk.Now()) {
			if err := svc.Reauthenticate(pctx, from, "", stale); !errors.Is(err, accounts.ErrNotConfirmed) {
				t.Fatalf("code from two steps ago: %v, want ErrNotConfirmed", err)
			}
		}
		now := code(clk.Now())
		if err := svc.Reauthenticate(pctx, from, "", now); err != nil {
			t.Fatalf("current code: %v", err)
		}
		if p := principal(); !p.AuthAt.Equal(clk.Now()) || !svc.RecentlyAuthenticated(p) {
			t.Errorf("after a TOTP code: proved at %s (clock %s), recent %v", p.AuthAt, clk.Now(), svc.RecentlyAuthenticated(p))
		}
		if err := svc.Reauthenticate(pctx, from, "", now); !errors.Is(err, accounts.ErrNotConfirmed) {
			t.Fatalf("replayed code: %v, want ErrNotConfirmed", err)
		}
	})
}
