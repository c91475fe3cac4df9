package updates_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/server"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/updates"
	"github.com/rampart-security/rampart/internal/vuln"
	"github.com/rampart-security/rampart/pkg/updateclient"
)

// BenchmarkPublishInto10000Targets publishes one image into a repository
// that already holds 10,000 targets (each op signs a new targets.json of
// 10,000+ entries, a snapshot and a timestamp, and commits them).
func BenchmarkPublishInto10000Targets(b *testing.B) {
	for _, name := range engineNames(b) {
		b.Run(name, func(b *testing.B) {
			st := open(b, engine(b, name))
			ctx := context.Background()
			svc := updates.New(st, sealer(b), nil)
			if _, err := svc.Init(ctx, updates.InitRequest{Slug: "fw"}); err != nil {
				b.Fatal(err)
			}
			for batch := range 10 {
				reqs := make([]updates.PublishRequest, 1000)
				for i := range reqs {
					n := batch*1000 + i
					reqs[i] = updates.PublishRequest{Slug: "fw", Name: fmt.Sprintf("gw-%05d.img", n), Content: []byte(fmt.Sprintf("image %d", n)), Hardware: "IG-400", Version: fmt.Sprintf("1.%d", n)}
				}
				if _, err := svc.PublishMany(ctx, reqs); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := svc.Publish(ctx, updates.PublishRequest{Slug: "fw", Name: fmt.Sprintf("new-%d.img", i), Content: []byte(fmt.Sprint(i)), Hardware: "IG-400", Version: "2.0"}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			repo, _ := st.UpdateRepo(ctx, "fw")
			m, _ := st.UpdateMeta(ctx, repo.ID, updates.RoleTargets, 0)
			b.ReportMetric(float64(len(m.Content)), "targets.json-bytes")
		})
	}
}

// BenchmarkCheckIns sends signed check-ins of distinct simulated devices to
// the real server over loopback HTTP, 16 at a time. Run with
// -benchtime 100000x for 100,000 devices. Each op includes the device side
// (JSON, ed25519 signature) and the server side (verification, upsert,
// rollout decision).
func BenchmarkCheckIns(b *testing.B) {
	for _, name := range engineNames(b) {
		b.Run(name, func(b *testing.B) {
			st, p := gatewayStore(b, name)
			ctx := context.Background()
			svc := updates.New(st, sealer(b), nil)
			if _, err := svc.Init(ctx, updates.InitRequest{Slug: "gw", ProductID: p.ID}); err != nil {
				b.Fatal(err)
			}
			if _, err := svc.Publish(ctx, updates.PublishRequest{Slug: "gw", Name: "gw-2.0.img", Content: []byte("x"), Hardware: "IG-400", Version: "2.0"}); err != nil {
				b.Fatal(err)
			}
			if _, err := updates.NewFleet(st, nil).StartRollout(ctx, p.ID, updates.RolloutRequest{Target: "gw-2.0.img", Percent: 10}, "bench"); err != nil {
				b.Fatal(err)
			}
			ts := httptest.NewServer(server.New(server.Config{}, st, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
			defer ts.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
			var next, offered atomic.Int64
			var wg sync.WaitGroup
			errc := make(chan error, 16)
			b.ResetTimer()
			for range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						var seed [32]byte
						binary.BigEndian.PutUint64(seed[:], uint64(i))
						key := ed25519.NewKeyFromSeed(seed[:])
						pub := key.Public().(ed25519.PublicKey)
						body, _ := json.Marshal(updateclient.CheckIn{Product: "gw", DeviceID: updateclient.DeviceID(pub), PublicKey: pub,
							Hardware: "IG-400", Version: "1.0", Country: "DE", Time: time.Now().UTC()})
						req, _ := http.NewRequest("POST", ts.URL+updateclient.CheckInPath, bytes.NewReader(body))
						req.Header.Set(updateclient.SignatureHeader, base64.StdEncoding.EncodeToString(ed25519.Sign(key, body)))
						resp, err := client.Do(req)
						if err != nil {
							errc <- err
							return
						}
						var o updateclient.Offer
						err = json.NewDecoder(resp.Body).Decode(&o)
						resp.Body.Close()
						if resp.StatusCode != 200 || err != nil {
							errc <- fmt.Errorf("check-in %d: %d %v", i, resp.StatusCode, err)
							return
						}
						if o.Target != "" {
							offered.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			close(errc)
			for err := range errc {
				b.Fatal(err)
			}
			b.ReportMetric(float64(offered.Load())/float64(b.N)*100, "%offered")
			if b.N >= 1000 {
				benchExposure(b, st, p.ID)
			}
		})
	}
}

// BenchmarkFleetExposure times the exposure query of a product with
// 100,000 devices (inserted directly) on 20 releases with 50 matched
// vulnerabilities each.
func BenchmarkFleetExposure(b *testing.B) {
	for _, name := range engineNames(b) {
		b.Run(name, func(b *testing.B) {
			st, p := gatewayStore(b, name)
			ctx := context.Background()
			tx, err := st.DB().BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			q := `INSERT INTO update_devices (product_id, device_id, public_key, version, country, first_seen, last_seen, device_time) VALUES (?, ?, ?, '1.0', 'DE', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')`
			if st.Engine() == store.Postgres {
				q = strings.NewReplacer("(?, ?, ?,", "($1, $2, $3,").Replace(q)
			}
			for i := range 100000 {
				if _, err := tx.ExecContext(ctx, q, p.ID, fmt.Sprintf("dev-%06d", i), []byte{1}); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				benchExposure(b, st, p.ID)
			}
		})
	}
}

// benchExposure times the fleet exposure query over the devices the
// check-ins created, after spreading them over 20 releases with 50
// matched vulnerabilities each.
func benchExposure(b *testing.B, st *store.Store, productID int64) {
	ctx := context.Background()
	b.StopTimer()
	var rels []int64
	for i := range 20 {
		r := inventory.Release{ProductID: productID, Version: fmt.Sprintf("1.%d", i)}
		if old, err := st.ReleaseByVersion(ctx, productID, r.Version); err == nil {
			rels = append(rels, old.ID)
			continue
		}
		if err := st.CreateRelease(ctx, &r); err != nil {
			b.Fatal(err)
		}
		var vs []vuln.ReleaseVuln
		for v := range 50 {
			vs = append(vs, vuln.ReleaseVuln{ReleaseID: r.ID, ComponentRef: fmt.Sprintf("c%d", v%10), VulnID: fmt.Sprintf("CVE-2026-%05d", i*10+v), Severity: "high", SeverityRank: 3})
		}
		if _, err := st.ReplaceReleaseVulns(ctx, r.ID, vs); err != nil {
			b.Fatal(err)
		}
		rels = append(rels, r.ID)
	}
	db := st.DB()
	q := `UPDATE update_devices SET release_id = ? WHERE product_id = ? AND id % 20 = ?`
	if st.Engine() == store.Postgres {
		q = `UPDATE update_devices SET release_id = $1 WHERE product_id = $2 AND id % 20 = $3`
	}
	for i, r := range rels {
		if _, err := db.ExecContext(ctx, q, r, productID, i); err != nil {
			b.Fatal(err)
		}
	}
	fleet := updates.NewFleet(st, nil)
	b.StartTimer()
	const runs = 5
	start := time.Now()
	var exp []updates.Exposure
	for range runs {
		var err error
		if exp, err = fleet.Exposure(ctx, productID); err != nil {
			b.Fatal(err)
		}
	}
	if len(exp) == 0 {
		b.Fatal("no exposure")
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/runs, "ms/exposure-query")
	b.ReportMetric(float64(len(exp)), "vulns")
}

// gatewayStore opens the store of the engine name with one product,
// "Gateway".
func gatewayStore(b *testing.B, name string) (*store.Store, inventory.Product) {
	b.Helper()
	st := open(b, engine(b, name))
	p := inventory.Product{Name: "Gateway"}
	if err := st.CreateProduct(context.Background(), &p); err != nil {
		b.Fatal(err)
	}
	return st, p
}

func engineNames(b *testing.B) []string {
	var out []string
	for _, e := range storetest.Engines(b) {
		out = append(out, e.Name)
	}
	return out
}

// engine opens a fresh database of that engine (each benchmark run needs its own).
func engine(b *testing.B, name string) storetest.Engine {
	for _, e := range storetest.Engines(b) {
		if e.Name == name {
			return e
		}
	}
	b.Fatalf("no engine %s", name)
	return storetest.Engine{}
}
