package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"

	"github.com/rampart-security/rampart/internal/demo"
	"github.com/rampart-security/rampart/internal/server"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/updates"
)

// tufEnv is a running server (the real handler) over a store that the CLI
// commands of the test change underneath it.
type tufEnv struct {
	url     string
	args    []string // --data/--database flags for the CLI
	st      *store.Store
	data    string
	tamper  atomic.Pointer[func(path string, body []byte) []byte]
	handler http.Handler
}

func newTUFEnv(t *testing.T, eng storetest.Engine) *tufEnv {
	t.Helper()
	e := &tufEnv{data: t.TempDir()}
	cfg := eng.Config
	cfg.DataDir = e.data
	e.args = []string{"--data", e.data}
	if cfg.DatabaseURL != "" {
		e.args = append(e.args, "--database", cfg.DatabaseURL)
	}
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	seal, err := updates.FileSealer(e.data)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Config{UpdateKeys: seal}, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	e.handler = srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := e.tamper.Load()
		if f == nil {
			e.handler.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, r)
		body := (*f)(r.URL.Path, rec.Body.Bytes())
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e
}

func (e *tufEnv) cli(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, "", append(args, e.args...)...)
	if code != 0 {
		t.Fatalf("rampart %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// client is go-tuf's own updater provisioned with root, caching in dir.
func (e *tufEnv) client(t *testing.T, slug string, root []byte, dir string) (*updater.Updater, error) {
	t.Helper()
	cfg, err := config.New(e.url+"/tuf/"+slug+"/metadata", root)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RemoteTargetsURL = e.url + "/tuf/" + slug + "/targets"
	cfg.LocalMetadataDir = filepath.Join(dir, "metadata")
	cfg.LocalTargetsDir = filepath.Join(dir, "targets")
	if err := cfg.EnsurePathsExist(); err != nil {
		t.Fatal(err)
	}
	up, err := updater.New(cfg)
	if err != nil {
		return nil, err
	}
	return up, up.Refresh()
}

func trustedRootVersion(up *updater.Updater) int64 {
	ts := up.GetTrustedMetadataSet()
	return ts.Root.Signed.Version
}

// TestUpdatesContractWithGoTUF checks the contracts with go-tuf
// v2.4.2's own updater against the real HTTP handler, on both engines.
func TestUpdatesContractWithGoTUF(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			e := newTUFEnv(t, eng)
			ctx := context.Background()
			keys := filepath.Join(t.TempDir(), "root-keys")

			// 1, 2: init on a fresh store creates the product and its repository.
			e.cli(t, "updates", "init", "--product", "acme-sensor", "--keys", keys, "--threshold", "2")
			p, err := e.st.ProductByName(ctx, "acme-sensor")
			if err != nil {
				t.Fatalf("init did not create the product: %v", err)
			}
			if repo, err := e.st.UpdateRepo(ctx, "acme-sensor"); err != nil || repo.ProductID != p.ID {
				t.Fatalf("repository %+v, %v", repo, err)
			}
			files, _ := filepath.Glob(filepath.Join(keys, "root-*.pem"))
			if len(files) < 2 {
				t.Fatalf("want at least 2 root keys in %s, have %v", keys, files)
			}
			if code, _, _ := run(t, "", append([]string{"updates", "init", "--product", "acme-sensor", "--keys", t.TempDir()}, e.args...)...); code != ExitError {
				t.Fatalf("second init: exit %d, want %d", code, ExitError)
			}

			// 4: root prints only root.json.
			rootJSON := []byte(e.cli(t, "updates", "root", "--product", "acme-sensor"))
			root, err := metadata.Root().FromBytes(rootJSON)
			if err != nil {
				t.Fatalf("updates root printed something else than root.json: %v\n%s", err, rootJSON)
			}
			if r := root.Signed.Roles[metadata.ROOT]; r.Threshold != 2 || len(r.KeyIDs) < 2 {
				t.Fatalf("root role %+v, want threshold 2 and at least 2 keys", r)
			}

			// 5, 6: publish with no root keys; the running server sees it.
			img1 := filepath.Join(t.TempDir(), "fw-1.0.img")
			os.WriteFile(img1, bytes.Repeat([]byte("firmware one "), 1000), 0o600)
			e.cli(t, "updates", "publish", "--product", "acme-sensor", "--file", img1, "--name", "fw-1.0.img", "--hardware", "S-100", "--version", "1.0")
			img2 := filepath.Join(t.TempDir(), "fw-1.1.img")
			os.WriteFile(img2, bytes.Repeat([]byte("firmware two "), 1000), 0o600)
			e.cli(t, "updates", "publish", "--product", "acme-sensor", "--file", img2, "--name", "fw-1.1.img", "--hardware", "S-100", "--version", "1.1")

			dev := t.TempDir()
			up, err := e.client(t, "acme-sensor", rootJSON, dev)
			if err != nil {
				t.Fatalf("go-tuf refresh: %v", err)
			}
			for _, name := range []string{"fw-1.0.img", "fw-1.1.img"} { // earlier targets kept
				ti, err := up.GetTargetInfo(name)
				if err != nil {
					t.Fatalf("target %s: %v", name, err)
				}
				_, data, err := up.DownloadTarget(ti, "", "")
				if err != nil {
					t.Fatalf("download %s: %v", name, err)
				}
				want, _ := os.ReadFile(map[string]string{"fw-1.0.img": img1, "fw-1.1.img": img2}[name])
				if !bytes.Equal(data, want) {
					t.Fatalf("%s: downloaded bytes differ", name)
				}
				var custom map[string]string
				if ti.Custom == nil || json.Unmarshal(*ti.Custom, &custom) != nil || custom["hardware"] != "S-100" || custom["version"] != strings.TrimSuffix(strings.TrimPrefix(name, "fw-"), ".img") {
					t.Fatalf("%s custom metadata %s", name, ti.Custom)
				}
			}
			ts := up.GetTrustedMetadataSet()
			if ts.Timestamp.Signed.Version != 3 || ts.Snapshot.Signed.Version != 3 || ts.Targets[metadata.TARGETS].Signed.Version != 3 {
				t.Fatalf("after two publishes want timestamp/snapshot/targets version 3, have %d/%d/%d",
					ts.Timestamp.Signed.Version, ts.Snapshot.Signed.Version, ts.Targets[metadata.TARGETS].Signed.Version)
			}
			// 10: unknown targets are refused.
			if _, err := up.GetTargetInfo("evil.img"); err == nil {
				t.Fatal("go-tuf found a target that was never published")
			}

			// 3: rotate-root; a device holding root 1 walks to root 2, and
			// the new keys are in the directory.
			e.cli(t, "updates", "rotate-root", "--product", "acme-sensor", "--keys", keys)
			newFiles, _ := filepath.Glob(filepath.Join(keys, "root-*.pem"))
			if len(newFiles) != 2 || newFiles[0] == files[0] && newFiles[1] == files[1] {
				t.Fatalf("rotate-root left keys %v (before %v)", newFiles, files)
			}
			up, err = e.client(t, "acme-sensor", rootJSON, dev)
			if err != nil {
				t.Fatalf("go-tuf refresh after rotation: %v", err)
			}
			if v := trustedRootVersion(up); v != 2 {
				t.Fatalf("device trusts root version %d after rotation, want 2", v)
			}
			// And once more, with new online keys (server compromise drill).
			e.cli(t, "updates", "rotate-root", "--product", "acme-sensor", "--keys", keys, "--rotate-online-keys")
			up, err = e.client(t, "acme-sensor", rootJSON, t.TempDir())
			if err != nil {
				t.Fatalf("go-tuf walk 1→3 with new online keys: %v", err)
			}
			if v := trustedRootVersion(up); v != 3 {
				t.Fatalf("root version %d, want 3", v)
			}
			if _, err := up.GetTargetInfo("fw-1.0.img"); err != nil {
				t.Fatalf("targets re-signed by the new online key: %v", err)
			}

			// 10: a tampered root in transit is refused.
			tamper := func(path string, body []byte) []byte {
				if strings.HasSuffix(path, "/4.root.json") {
					md, err := metadata.Root().FromBytes(body)
					if err != nil {
						return body
					}
					md.Signed.Expires = md.Signed.Expires.AddDate(10, 0, 0) // keep the signatures, extend the validity
					out, _ := md.ToBytes(true)
					return out
				}
				return body
			}
			e.cli(t, "updates", "rotate-root", "--product", "acme-sensor", "--keys", keys)
			e.tamper.Store(&tamper)
			_, err = e.client(t, "acme-sensor", rootJSON, t.TempDir())
			if err == nil {
				t.Fatal("go-tuf accepted a tampered 4.root.json")
			}
			forged := func(path string, body []byte) []byte {
				if strings.HasSuffix(path, "/4.root.json") {
					return bytes.Replace(body, []byte(`"threshold": 2`), []byte(`"threshold": 1`), 1)
				}
				return body
			}
			e.tamper.Store(&forged)
			if _, err = e.client(t, "acme-sensor", rootJSON, t.TempDir()); err == nil {
				t.Fatal("go-tuf accepted a root whose signed part was changed")
			}
			e.tamper.Store(nil)
			// A device provisioned with a tampered root.json is refused at once.
			bad := bytes.Replace(rootJSON, []byte(`"threshold": 2`), []byte(`"threshold": 1`), 1)
			if _, err := e.client(t, "acme-sensor", bad, t.TempDir()); err == nil {
				t.Fatal("go-tuf accepted a tampered provisioned root")
			}

			// 7, 8: paths; anything missing is a plain 404, even for browsers.
			for _, tc := range []struct {
				path string
				want int
			}{
				{"/tuf/acme-sensor/metadata/1.root.json", 200},
				{"/tuf/acme-sensor/metadata/4.root.json", 200},
				{"/tuf/acme-sensor/metadata/5.root.json", 404},
				{"/tuf/acme-sensor/metadata/timestamp.json", 200},
				{"/tuf/acme-sensor/metadata/1.snapshot.json", 200},
				{"/tuf/acme-sensor/metadata/1.targets.json", 200},
				{"/tuf/acme-sensor/metadata/99.targets.json", 404},
				{"/tuf/acme-sensor/metadata/01.root.json", 404},
				{"/tuf/acme-sensor/metadata/secret.json", 404},
				{"/tuf/acme-sensor/targets/" + strings.Repeat("0", 64) + ".fw-1.0.img", 404},
				{"/tuf/nope/metadata/1.root.json", 404},
				{"/tuf/acme-sensor/", 404},
				{"/tuf/acme-sensor/metadata/a/b", 404},
				{"/tuf/", 404},
			} {
				req, _ := http.NewRequest("GET", e.url+tc.path, nil)
				req.Header.Set("Accept", "text/html")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.want {
					t.Errorf("GET %s: %d, want %d", tc.path, resp.StatusCode, tc.want)
				}
				if tc.want == 404 && bytes.Contains(bytes.ToLower(body), []byte("<html")) {
					t.Errorf("GET %s: 404 is a UI page", tc.path)
				}
			}
		})
	}
}

// TestDemoUpdateRepository checks contract 9 and 10 on the serve --demo
// content: go-tuf provisioned with the printed root fetches the demo image.
func TestDemoUpdateRepository(t *testing.T) {
	eng := storetest.Engines(t)[0]
	e := newTUFEnv(t, eng)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, e.st); err != nil {
		t.Fatal(err)
	}
	seal, _ := updates.FileSealer(e.data)
	keys := filepath.Join(e.data, "demo-root-keys")
	if err := demo.SeedUpdates(ctx, e.st, seal, keys); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedUpdates(ctx, e.st, seal, keys); err != nil { // idempotent on restart
		t.Fatal(err)
	}
	rootJSON := []byte(e.cli(t, "updates", "root", "--product", demo.GatewaySlug))
	up, err := e.client(t, demo.GatewaySlug, rootJSON, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ti, err := up.GetTargetInfo(demo.GatewayImage)
	if err != nil {
		t.Fatal(err)
	}
	_, data, err := up.DownloadTarget(ti, "", "")
	if err != nil || !bytes.Equal(data, demo.DemoImage()) {
		t.Fatalf("demo image: %v", err)
	}
	e.cli(t, "updates", "rotate-root", "--product", demo.GatewaySlug, "--keys", keys)
	up, err = e.client(t, demo.GatewaySlug, rootJSON, t.TempDir())
	if err != nil || trustedRootVersion(up) != 2 {
		t.Fatalf("demo root rotation: %v", err)
	}
}
