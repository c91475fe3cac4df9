package updateclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/server"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/updates"
	"github.com/rampart-security/rampart/pkg/updateclient"
)

// repo is a Rampart server (the real handler) with one product repository,
// behind a proxy that plays the attacker between device and server.
type repo struct {
	url      string
	st       *store.Store
	svc      *updates.Service
	fleet    *updates.Fleet
	product  int64
	rootKeys []updates.Key
	root     []byte
	attack   atomic.Pointer[func(w http.ResponseWriter, r *http.Request, real http.Handler) bool]
}

func newRepo(t *testing.T, eng storetest.Engine) *repo {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, eng.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := make([]byte, 32)
	rand.Read(key)
	seal, _ := updates.NewAESSealer(key, "test")
	rp := &repo{st: st, svc: updates.New(st, seal, nil), fleet: updates.NewFleet(st, nil)}
	p := inventory.Product{Name: "Sensor S-100"}
	if err := st.CreateProduct(ctx, &p); err != nil {
		t.Fatal(err)
	}
	rp.product = p.ID
	for _, v := range []string{"1.0", "1.1"} {
		if err := st.CreateRelease(ctx, &inventory.Release{ProductID: p.ID, Version: v}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := rp.svc.Init(ctx, updates.InitRequest{Slug: "sensor", ProductID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	rp.rootKeys, rp.root = res.RootKeys, res.Root
	for _, v := range []string{"0.9", "1.0", "1.1"} {
		rp.publish(t, "fw-"+v+".img", "S-100", v)
	}
	rp.publish(t, "other-2.0.img", "X-9", "2.0")
	h := server.New(server.Config{UpdateKeys: seal}, st, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := rp.attack.Load(); f != nil && (*f)(w, r, h) {
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	rp.url = ts.URL
	return rp
}

func image(v string) []byte { return bytes.Repeat([]byte("image "+v+" "), 500) }

func (rp *repo) publish(t *testing.T, name, hw, v string) {
	t.Helper()
	if _, err := rp.svc.Publish(context.Background(), updates.PublishRequest{Slug: "sensor", Name: name, Content: image(v), Hardware: hw, Version: v}); err != nil {
		t.Fatal(err)
	}
}

func (rp *repo) device(t *testing.T, mod func(*updateclient.Config)) *updateclient.Client {
	t.Helper()
	cfg := updateclient.Config{Server: rp.url, Product: "sensor", Root: rp.root, StateDir: t.TempDir(), Hardware: "S-100", Country: "DE"}
	if mod != nil {
		mod(&cfg)
	}
	c, err := updateclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fetch returns what the real server answers for path.
func fetch(t *testing.T, h http.Handler, path string) []byte {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	if rec.Code != 200 {
		t.Fatalf("GET %s: %d", path, rec.Code)
	}
	return rec.Body.Bytes()
}

func (rp *repo) setAttack(f func(w http.ResponseWriter, r *http.Request, real http.Handler) bool) {
	rp.attack.Store(&f)
}

func TestUpdateAndRollout(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			rp := newRepo(t, eng)
			ctx := context.Background()
			dev := rp.device(t, nil)
			// No rollout yet: nothing offered.
			u, offer, err := dev.Poll(ctx, updateclient.Report{Installed: "1.0"})
			if err != nil || u != nil || offer.Target != "" {
				t.Fatalf("before a rollout: %+v %+v %v", u, offer, err)
			}
			ro, err := rp.fleet.StartRollout(ctx, rp.product, updates.RolloutRequest{Target: "fw-1.1.img", Percent: 100}, "test")
			if err != nil {
				t.Fatal(err)
			}
			u, _, err = dev.Poll(ctx, updateclient.Report{Installed: "1.0"})
			if err != nil || u == nil || u.Version != "1.1" || u.Rollout != ro.ID {
				t.Fatalf("rollout offer: %+v %v", u, err)
			}
			data, err := dev.Download(u)
			if err != nil || !bytes.Equal(data, image("1.1")) {
				t.Fatalf("download: %v", err)
			}
			u, _, err = dev.Poll(ctx, updateclient.Report{Installed: "1.1", Target: "fw-1.1.img", Result: updateclient.ResultInstalled})
			if err != nil || u != nil {
				t.Fatalf("after install: %+v %v", u, err)
			}
			d, err := rp.st.Device(ctx, rp.product, dev.DeviceID())
			if err != nil || d.Version != "1.1" || d.ReleaseID == 0 || d.Country != "DE" || d.LastResult != "installed" {
				t.Fatalf("device record %+v %v", d, err)
			}
			ro, _ = rp.st.Rollout(ctx, rp.product, ro.ID)
			if ro.Installed != 1 {
				t.Fatalf("rollout counts %+v", ro)
			}
			// Paused: a new device gets nothing.
			if _, err := rp.fleet.ChangeRollout(ctx, rp.product, ro.ID, updates.RolloutChange{State: updates.RolloutPaused}); err != nil {
				t.Fatal(err)
			}
			if u, _, err := rp.device(t, nil).Poll(ctx, updateclient.Report{Installed: "1.0"}); err != nil || u != nil {
				t.Fatalf("paused rollout offered %+v %v", u, err)
			}
		})
	}
}

func TestStagedRolloutAndAutomaticHalt(t *testing.T) {
	rp := newRepo(t, storetest.Engines(t)[0])
	ctx := context.Background()
	ro, err := rp.fleet.StartRollout(ctx, rp.product, updates.RolloutRequest{Target: "fw-1.1.img", Percent: 30, Groups: []string{"beta"}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	offered := 0
	var devs []*updateclient.Client
	for range 60 {
		d := rp.device(t, nil)
		u, _, err := d.Poll(ctx, updateclient.Report{Installed: "1.0"})
		if err != nil {
			t.Fatal(err)
		}
		if u != nil {
			offered++
			devs = append(devs, d)
		}
		if (u != nil) != (updates.Bucket(d.DeviceID(), ro.ID) < 30) {
			t.Fatalf("device in bucket %d: offered=%v at 30%%", updates.Bucket(d.DeviceID(), ro.ID), u != nil)
		}
	}
	if offered == 0 || offered == 60 {
		t.Fatalf("30%% rollout offered to %d of 60 devices", offered)
	}
	// A beta device outside the percentage gets it through its group.
	beta := rp.device(t, func(c *updateclient.Config) { c.Group = "beta" })
	if u, _, err := beta.Poll(ctx, updateclient.Report{Installed: "1.0"}); err != nil || u == nil {
		t.Fatalf("beta group device: %+v %v", u, err)
	}
	if len(devs) < 5 {
		t.Skipf("only %d devices in the 30%% bucket", len(devs))
	}
	// Failures pass the 10% threshold after 5 reports: the rollout halts.
	for _, d := range devs[:5] {
		if _, _, err := d.Poll(ctx, updateclient.Report{Installed: "1.0", Target: "fw-1.1.img", Result: updateclient.ResultFailed, Message: "boot loop"}); err != nil {
			t.Fatal(err)
		}
	}
	ro, _ = rp.st.Rollout(ctx, rp.product, ro.ID)
	if ro.State != updates.RolloutHalted || ro.Failed != 5 || !strings.Contains(ro.Reason, "5 of 5") {
		t.Fatalf("rollout after failures: %+v", ro)
	}
	if u, _, err := beta.Poll(ctx, updateclient.Report{Installed: "1.0"}); err != nil || u != nil {
		t.Fatalf("halted rollout still offered: %+v %v", u, err)
	}
}

func TestAttacks(t *testing.T) {
	ctx := context.Background()
	offer := updateclient.Offer{Target: "fw-1.1.img"}

	t.Run("rollback of metadata", func(t *testing.T) {
		rp := newRepo(t, storetest.Engines(t)[0])
		dev := rp.device(t, nil)
		var oldTS []byte
		rp.setAttack(func(w http.ResponseWriter, r *http.Request, h http.Handler) bool {
			if oldTS == nil && strings.HasSuffix(r.URL.Path, "/timestamp.json") {
				oldTS = fetch(t, h, r.URL.Path)
			}
			return false
		})
		if _, err := dev.Verify(offer, "1.0"); err != nil {
			t.Fatal(err)
		}
		rp.publish(t, "fw-1.2.img", "S-100", "1.2")
		if _, err := dev.Verify(offer, "1.0"); err != nil { // device now trusts the newer timestamp
			t.Fatal(err)
		}
		rp.setAttack(func(w http.ResponseWriter, r *http.Request, h http.Handler) bool {
			if strings.HasSuffix(r.URL.Path, "/timestamp.json") {
				w.Write(oldTS)
				return true
			}
			return false
		})
		_, err := dev.Verify(offer, "1.0")
		var bad *metadata.ErrBadVersionNumber
		if !errors.As(err, &bad) {
			t.Fatalf("an old timestamp was accepted: %v", err)
		}
	})

	t.Run("freeze", func(t *testing.T) {
		rp := newRepo(t, storetest.Engines(t)[0])
		// The server keeps serving the same, validly signed metadata, but the
		// device's clock is past the timestamp's expiry.
		dev := rp.device(t, func(c *updateclient.Config) { c.Now = func() time.Time { return time.Now().Add(36 * time.Hour) } })
		_, err := dev.Verify(offer, "1.0")
		var exp *metadata.ErrExpiredMetadata
		if !errors.As(err, &exp) {
			t.Fatalf("frozen metadata accepted: %v", err)
		}
	})

	t.Run("mix and match", func(t *testing.T) {
		rp := newRepo(t, storetest.Engines(t)[0])
		rp.setAttack(func(w http.ResponseWriter, r *http.Request, h http.Handler) bool {
			if strings.HasSuffix(r.URL.Path, ".targets.json") && !strings.HasSuffix(r.URL.Path, "/2.targets.json") {
				// an older, validly signed targets.json in place of the current one
				w.Write(fetch(t, h, "/tuf/sensor/metadata/2.targets.json"))
				return true
			}
			return false
		})
		if _, err := rp.device(t, nil).Verify(offer, "1.0"); err == nil {
			t.Fatal("targets metadata of another snapshot accepted")
		}
		rp.setAttack(func(w http.ResponseWriter, r *http.Request, h http.Handler) bool {
			if strings.HasSuffix(r.URL.Path, ".snapshot.json") {
				w.Write(fetch(t, h, "/tuf/sensor/metadata/2.snapshot.json"))
				return true
			}
			return false
		})
		if _, err := rp.device(t, nil).Verify(offer, "1.0"); err == nil {
			t.Fatal("a snapshot other than the timestamp's accepted")
		}
	})

	t.Run("arbitrary target bytes", func(t *testing.T) {
		rp := newRepo(t, storetest.Engines(t)[0])
		dev := rp.device(t, nil)
		u, err := dev.Verify(offer, "1.0")
		if err != nil {
			t.Fatal(err)
		}
		rp.setAttack(func(w http.ResponseWriter, r *http.Request, h http.Handler) bool {
			if strings.Contains(r.URL.Path, "/targets/") {
				evil := image("1.1")
				evil[10] ^= 1
				w.Write(evil)
				return true
			}
			return false
		})
		var mismatch *metadata.ErrLengthOrHashMismatch
		if _, err := dev.Download(u); !errors.As(err, &mismatch) {
			t.Fatalf("modified image accepted: %v", err)
		}
	})

	t.Run("endless data", func(t *testing.T) {
		rp := newRepo(t, storetest.Engines(t)[0])
		dev := rp.device(t, nil)
		u, err := dev.Verify(offer, "1.0")
		if err != nil {
			t.Fatal(err)
		}
		var sent atomic.Int64
		endless := func(w http.ResponseWriter) {
			buf := bytes.Repeat([]byte("A"), 32<<10)
			for sent.Load() < 256<<20 {
				n, err := w.Write(buf)
				sent.Add(int64(n))
				if err != nil {
					return
				}
			}
		}
		rp.setAttack(func(w http.ResponseWriter, r *http.Request, h http.Handler) bool {
			if strings.Contains(r.URL.Path, "/targets/") {
				endless(w)
				return true
			}
			return false
		})
		var tooLong *metadata.ErrDownloadLengthMismatch
		if _, err := dev.Download(u); !errors.As(err, &tooLong) {
			t.Fatalf("endless target: %v", err)
		}
		rp.setAttack(func(w http.ResponseWriter, r *http.Request, h http.Handler) bool {
			if strings.HasSuffix(r.URL.Path, "/timestamp.json") {
				endless(w)
				return true
			}
			return false
		})
		if _, err := rp.device(t, nil).Verify(offer, "1.0"); !errors.As(err, &tooLong) {
			t.Fatalf("endless timestamp: %v", err)
		}
	})

	t.Run("signed downgrade and other hardware", func(t *testing.T) {
		rp := newRepo(t, storetest.Engines(t)[0])
		dev := rp.device(t, nil)
		if _, err := dev.Verify(updateclient.Offer{Target: "fw-0.9.img"}, "1.0"); !errors.Is(err, updateclient.ErrDowngrade) {
			t.Fatalf("downgrade: %v", err)
		}
		if _, err := dev.Verify(updateclient.Offer{Target: "other-2.0.img"}, "1.0"); !errors.Is(err, updateclient.ErrWrongHardware) {
			t.Fatalf("other hardware: %v", err)
		}
		if _, err := dev.Verify(updateclient.Offer{Target: "unsigned.img"}, "1.0"); err == nil {
			t.Fatal("unknown target accepted")
		}
		small := rp.device(t, func(c *updateclient.Config) { c.MaxImageSize = 100 })
		if _, err := small.Verify(offer, "1.0"); !errors.Is(err, updateclient.ErrTooLarge) {
			t.Fatalf("size limit: %v", err)
		}
	})

	t.Run("root rotation", func(t *testing.T) {
		rp := newRepo(t, storetest.Engines(t)[0])
		dev := rp.device(t, nil)
		if _, err := dev.Verify(offer, "1.0"); err != nil {
			t.Fatal(err)
		}
		keys := rp.rootKeys
		for range 2 {
			res, err := rp.svc.RotateRoot(ctx, updates.RotateRequest{Slug: "sensor", OldKeys: keys, RotateOnline: true})
			if err != nil {
				t.Fatal(err)
			}
			keys = res.NewKeys
		}
		if _, err := dev.Verify(offer, "1.0"); err != nil {
			t.Fatalf("after two rotations: %v", err)
		}
		if v, err := dev.TrustedRootVersion(); err != nil || v != 3 {
			t.Fatalf("trusted root %d %v, want 3", v, err)
		}
		idle := rp.device(t, nil) // a device with nothing offered walks the rotation too
		if u, err := idle.Verify(updateclient.Offer{}, "1.1"); err != nil || u != nil {
			t.Fatalf("poll without offer: %+v %v", u, err)
		}
		if v, _ := idle.TrustedRootVersion(); v != 3 {
			t.Fatalf("idle device trusts root %d, want 3", v)
		}
		// A root signed only by the new keys (not by the old threshold) is refused.
		rogue, err := rp.svc.RotateRoot(ctx, updates.RotateRequest{Slug: "sensor", OldKeys: keys})
		if err != nil {
			t.Fatal(err)
		}
		rp.setAttack(func(w http.ResponseWriter, r *http.Request, h http.Handler) bool {
			if strings.HasSuffix(r.URL.Path, "/4.root.json") {
				md, _ := metadata.Root().FromBytes(fetch(t, h, r.URL.Path))
				var kept []metadata.Signature
				for _, s := range md.Signatures {
					for _, k := range rogue.NewKeys {
						if s.KeyID == k.ID {
							kept = append(kept, s)
						}
					}
				}
				md.Signatures = kept
				b, _ := md.ToBytes(true)
				w.Write(b)
				return true
			}
			return false
		})
		if _, err := rp.device(t, nil).Verify(offer, "1.0"); err == nil {
			t.Fatal("root 4 without the old keys' signatures accepted")
		}
	})

	t.Run("check-in forgery and replay", func(t *testing.T) {
		rp := newRepo(t, storetest.Engines(t)[0])
		var body []byte
		var sig string
		var mu sync.Mutex
		rp.setAttack(func(w http.ResponseWriter, r *http.Request, h http.Handler) bool {
			if r.URL.Path == updateclient.CheckInPath && body == nil {
				mu.Lock()
				body, _ = io.ReadAll(r.Body)
				sig = r.Header.Get(updateclient.SignatureHeader)
				mu.Unlock()
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			return false
		})
		dev := rp.device(t, nil)
		if _, err := dev.CheckIn(ctx, updateclient.Report{Installed: "1.0"}); err != nil {
			t.Fatal(err)
		}
		post := func(b []byte, s string) int {
			req, _ := http.NewRequest("POST", rp.url+updateclient.CheckInPath, bytes.NewReader(b))
			req.Header.Set(updateclient.SignatureHeader, s)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if code := post(body, sig); code != http.StatusUnauthorized {
			t.Fatalf("replayed check-in: %d", code)
		}
		var c updateclient.CheckIn
		json.Unmarshal(body, &c)
		c.Version, c.Time = "9.9", time.Now()
		forged, _ := json.Marshal(c)
		if code := post(forged, sig); code != http.StatusUnauthorized {
			t.Fatalf("forged check-in: %d", code)
		}
		if d, _ := rp.st.Device(ctx, rp.product, dev.DeviceID()); d.Version != "1.0" {
			t.Fatalf("device record changed by an attacker: %+v", d)
		}
	})
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0}, {"1.10", "1.9", 1}, {"v2.0", "1.99", 1}, {"3.3.0-rc1", "3.3.0", -1}, {"3.3.0", "3.3", 0},
		{"3.3.0-rc2", "3.3.0-rc1", 1}, {"1.0.1", "1.0", 1},
	} {
		if got := updateclient.CompareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
