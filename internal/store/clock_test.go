package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// fakeClock is a clock the tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestStoreClockDecidesExpiry: invitations and sessions expire by the
// store's injected clock, not the machine's. The clock starts years in the
// past, so a store reading time.Now would find everything expired at once;
// the clock only moves by hand, so nothing sleeps.
func TestStoreClockDecidesExpiry(t *testing.T) {
	start := time.Date(2020, 2, 28, 23, 30, 0, 0, time.UTC)
	clk := &fakeClock{}
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		clk.Set(start)

		// An invitation valid for an hour works 59 minutes later (the
		// machine's clock is years past its expiry) and not after the hour.
		late, err := s.CreateInvite(ctx, identity.RoleViewer, "admin", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		early, err := s.CreateInvite(ctx, identity.RoleViewer, "admin", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		clk.Add(59 * time.Minute)
		if !s.ValidSetupToken(ctx, early, "invite") {
			t.Fatal("invitation invalid before its expiry by the store's clock")
		}
		u := identity.User{Name: "bea", PasswordHash: "x"}
		if err := s.AcceptInvite(ctx, early, &u); err != nil {
			t.Fatalf("accept before expiry: %v", err)
		}
		clk.Add(2 * time.Minute)
		if s.ValidSetupToken(ctx, late, "invite") {
			t.Error("invitation still valid after its expiry by the store's clock")
		}
		if err := s.AcceptInvite(ctx, late, &identity.User{Name: "cy", PasswordHash: "x"}); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("accept after expiry: %v, want ErrNotFound", err)
		}

		// Sessions: idle and absolute lifetimes count on the same clock.
		s.SetSessionLifetimes(time.Hour, 3*time.Hour)
		sess, _, err := s.CreateSession(ctx, u.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		listed, err := s.Sessions(ctx, u.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(listed) != 1 || !listed[0].CreatedAt.Equal(clk.Now()) || !listed[0].ExpiresAt.Equal(clk.Now().Add(3*time.Hour)) {
			t.Fatalf("sessions %+v, want one created at %s by the store's clock, expiring 3 h later", listed, clk.Now())
		}
		for i := range 3 { // used every 50 minutes: never idle for an hour
			clk.Add(50 * time.Minute)
			if _, err := s.SessionPrincipal(ctx, sess); err != nil {
				t.Fatalf("session after %d uses (%s): %v", i+1, clk.Now().Sub(start), err)
			}
		}
		clk.Add(31 * time.Minute) // 3 h 1 min after it started
		if _, err := s.SessionPrincipal(ctx, sess); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("session past its absolute lifetime: %v, want ErrNotFound", err)
		}
		idle, _, err := s.CreateSession(ctx, u.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		clk.Add(59 * time.Minute)
		if _, err := s.SessionPrincipal(ctx, idle); err != nil {
			t.Fatalf("session used after 59 minutes: %v", err)
		}
		clk.Add(61 * time.Minute)
		if _, err := s.SessionPrincipal(ctx, idle); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("session idle for 61 minutes: %v, want ErrNotFound", err)
		}
	}, store.WithClock(clk.Now))
}
