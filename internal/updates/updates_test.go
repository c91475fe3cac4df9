package updates_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"

	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/updates"
)

func open(t testing.TB, eng storetest.Engine) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), eng.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func sealer(t testing.TB) updates.Sealer {
	k := make([]byte, 32)
	rand.Read(k)
	s, err := updates.NewAESSealer(k, "test")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// verify loads the newest metadata through go-tuf's trusted metadata set at
// reference time at, as a device would.
func verify(t *testing.T, st *store.Store, root []byte, at time.Time) (ts, snap, targets int64) {
	t.Helper()
	ctx := context.Background()
	repo, err := st.UpdateRepo(ctx, "fw")
	if err != nil {
		t.Fatal(err)
	}
	tm, err := trustedmetadata.New(root)
	if err != nil {
		t.Fatal(err)
	}
	tm.RefTime = at
	get := func(role string) []byte {
		m, err := st.UpdateMeta(ctx, repo.ID, role, 0)
		if err != nil {
			t.Fatal(err)
		}
		return m.Content
	}
	if _, err := tm.UpdateTimestamp(get(updates.RoleTimestamp)); err != nil {
		t.Fatalf("timestamp at %s: %v", at, err)
	}
	if _, err := tm.UpdateSnapshot(get(updates.RoleSnapshot), false); err != nil {
		t.Fatalf("snapshot at %s: %v", at, err)
	}
	if _, err := tm.UpdateTargets(get(updates.RoleTargets)); err != nil {
		t.Fatalf("targets at %s: %v", at, err)
	}
	return tm.Timestamp.Signed.Version, tm.Snapshot.Signed.Version, tm.Targets["targets"].Signed.Version
}

func TestResignBeforeExpiry(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		t0 := time.Now().UTC()
		now := t0
		svc := updates.New(st, sealer(t), func() time.Time { return now })
		res, err := svc.Init(ctx, updates.InitRequest{Slug: "fw"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Publish(ctx, updates.PublishRequest{Slug: "fw", Name: "a.img", Content: []byte("a")}); err != nil {
			t.Fatal(err)
		}
		step := func(d time.Duration, want [3]int64) {
			t.Helper()
			now = t0.Add(d)
			if _, _, err := svc.Resign(ctx); err != nil {
				t.Fatal(err)
			}
			ts, sn, tg := verify(t, st, res.Root, now)
			if [3]int64{ts, sn, tg} != want {
				t.Fatalf("at +%s: timestamp/snapshot/targets %d/%d/%d, want %v", d, ts, sn, tg, want)
			}
		}
		step(time.Hour, [3]int64{2, 2, 2})      // nothing due
		step(13*time.Hour, [3]int64{3, 2, 2})   // timestamp only
		step(26*time.Hour, [3]int64{4, 2, 2})   // again a day later
		step(4*24*time.Hour, [3]int64{5, 3, 2}) // snapshot due
		step(46*24*time.Hour, [3]int64{6, 4, 3})
		// Without the job, a device a day and a half later sees a freeze.
		now = t0.Add(48*24*time.Hour + 36*time.Hour)
		tm, _ := trustedmetadata.New(res.Root)
		tm.RefTime = now
		m, _ := st.UpdateRepo(ctx, "fw")
		tsm, _ := st.UpdateMeta(ctx, m.ID, updates.RoleTimestamp, 0)
		if _, err := tm.UpdateTimestamp(tsm.Content); err == nil {
			t.Fatal("an expired timestamp was accepted")
		}
	})
}

// TestConcurrentPublishers: several servers and CLIs publishing into one
// repository at once all succeed and no target is lost.
func TestConcurrentPublishers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seal := sealer(t)
		res, err := updates.New(st, seal, nil).Init(ctx, updates.InitRequest{Slug: "fw"})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				svc := updates.New(st, seal, nil) // one per "server"
				_, err := svc.Publish(ctx, updates.PublishRequest{Slug: "fw", Name: fmt.Sprintf("img-%d.bin", i), Content: []byte{byte(i)}})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		ts, sn, tg := verify(t, st, res.Root, time.Now())
		if ts != 9 || sn != 9 || tg != 9 {
			t.Fatalf("versions %d/%d/%d, want 9 each", ts, sn, tg)
		}
		tl, _ := updates.New(st, seal, nil).Targets(ctx, "fw")
		if len(tl) != 8 {
			t.Fatalf("%d targets, want 8", len(tl))
		}
	})
}

func TestRotateNeedsThresholdOfOldKeys(t *testing.T) {
	st := open(t, storetest.Engines(t)[0])
	ctx := context.Background()
	svc := updates.New(st, sealer(t), nil)
	res, err := svc.Init(ctx, updates.InitRequest{Slug: "fw", Threshold: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RotateRoot(ctx, updates.RotateRequest{Slug: "fw", OldKeys: res.RootKeys[:1]}); err == nil {
		t.Fatal("rotated with 1 of 2 root keys")
	}
	stranger, _ := updates.NewKey()
	if _, err := svc.RotateRoot(ctx, updates.RotateRequest{Slug: "fw", OldKeys: []updates.Key{res.RootKeys[0], stranger}}); err == nil {
		t.Fatal("rotated with a key that is not a root key")
	}
	if _, err := svc.Publish(ctx, updates.PublishRequest{Slug: "fw", Name: "../etc/passwd", Content: []byte("x")}); err == nil {
		t.Fatal("published a path-like target name")
	}
	if _, err := svc.Init(ctx, updates.InitRequest{Slug: "Bad Slug"}); err == nil {
		t.Fatal("accepted an invalid slug")
	}
}

// An image published with a version is linked to the product's release of
// that version, whichever surface publishes it; a version with no release
// links none.
func TestPublishLinksTheReleaseOfItsVersion(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel, err := st.EnsureRelease(ctx, "Gateway", "2.0")
		if err != nil {
			t.Fatal(err)
		}
		svc := updates.New(st, sealer(t), nil)
		if _, err := svc.Init(ctx, updates.InitRequest{Slug: "gw", ProductID: rel.ProductID}); err != nil {
			t.Fatal(err)
		}
		linked, err := svc.Publish(ctx, updates.PublishRequest{ProductID: rel.ProductID, Name: "gw-2.0.img", Content: []byte("2.0"), Version: "2.0"})
		if err != nil || linked.ReleaseID != rel.ID {
			t.Fatalf("2.0: release %d, want %d (%v)", linked.ReleaseID, rel.ID, err)
		}
		unknown, err := svc.Publish(ctx, updates.PublishRequest{Slug: "gw", Name: "gw-3.0.img", Content: []byte("3.0"), Version: "3.0"})
		if err != nil || unknown.ReleaseID != 0 {
			t.Fatalf("3.0 has no release: linked %d (%v)", unknown.ReleaseID, err)
		}
		repo, err := st.UpdateRepo(ctx, "gw")
		if err != nil {
			t.Fatal(err)
		}
		if stored, err := st.UpdateTarget(ctx, repo.ID, "gw-2.0.img"); err != nil || stored.ReleaseID != rel.ID {
			t.Errorf("stored 2.0: release %d, want %d (%v)", stored.ReleaseID, rel.ID, err)
		}
		if _, err := svc.Publish(ctx, updates.PublishRequest{Slug: "none", Name: "x.img", Content: []byte("x")}); err == nil {
			t.Error("publishing into a repository that does not exist succeeded")
		}
	})
}
