package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/sbom"
	"github.com/rampart-security/rampart/internal/server"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

type env struct {
	url      string
	srv      *server.Server
	store    *store.Store
	password string            // alice's
	tokens   map[string]string // role → bearer token
}

// newEnv starts a server over a fresh database of engine with alice
// (admin), ed (editor) and vic (viewer); opts adjust the configuration.
func newEnv(t *testing.T, engine string, opts ...func(*server.Config, *store.Store)) *env {
	t.Helper()
	var cfg store.Config
	for _, e := range storetest.Engines(t) {
		if e.Name == engine {
			cfg = e.Config
		}
	}
	if cfg == (store.Config{}) {
		t.Skipf("engine %s not configured", engine)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{store: st, password: "correct horse battery staple", tokens: map[string]string{}}
	hash, err := identity.HashPassword(e.password)
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]identity.Role{"alice": identity.RoleAdmin, "ed": identity.RoleEditor, "vic": identity.RoleViewer} {
		u := identity.User{Name: name, Role: role, PasswordHash: hash}
		if err := st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		tok, _, err := st.CreateAPIToken(ctx, u.ID, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[string(role)] = tok
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("RAMPART_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	cfg2 := server.Config{PublicMetrics: true, MaxUpload: 8 << 20}
	for _, o := range opts {
		o(&cfg2, st)
	}
	e.srv = server.New(cfg2, st, log)
	ts := httptest.NewServer(e.srv.Handler())
	t.Cleanup(ts.Close)
	t.Cleanup(e.srv.Firmware().Wait) // before the store closes
	e.url = ts.URL
	return e
}

// forEachEngine runs fn against a fresh server on SQLite and, when
// configured, PostgreSQL.
func forEachEngine(t *testing.T, fn func(t *testing.T, e *env), opts ...func(*server.Config, *store.Store)) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) { fn(t, newEnv(t, eng.Name, opts...)) })
	}
}

// call sends a request with the role's bearer token ("" for none) and
// decodes a JSON answer into out when out is non-nil.
func (e *env) call(t *testing.T, role, method, path string, body any, out any) *http.Response {
	t.Helper()
	return e.callWith(t, role, method, path, nil, body, out)
}

// callWith is call with the request's extra headers.
func (e *env) callWith(t *testing.T, role, method, path string, header http.Header, body any, out any) *http.Response {
	t.Helper()
	req := e.request(t, method, path, body)
	for k, vs := range header {
		req.Header[k] = vs
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	}
	resp, data := send(t, nil, req)
	if out != nil && len(data) > 0 {
		decodeAnswer(t, method, path, data, out)
	}
	return resp
}

// bearer sends body (JSON, none when "") with the bearer token tok and
// returns the answer's status and body.
func (e *env) bearer(t *testing.T, tok, method, path, body string) (int, string) {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + tok}}
	if body != "" {
		h.Set("Content-Type", "application/json")
	}
	resp := e.callWith(t, "", method, path, h, []byte(body), nil)
	return resp.StatusCode, readBody(resp)
}

// readBody reads what is left of r's body.
func readBody(r *http.Response) string {
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

// session is a signed-in browser session: its cookie and CSRF token.
type session struct {
	cookie *http.Cookie
	csrf   string
}

// login signs name in through the API of the server at url (e.url when
// "") with password and the TOTP code (none when ""); the session is nil
// when the answer set none.
func (e *env) login(t *testing.T, url, name, password, code string) (*http.Response, *session) {
	t.Helper()
	if url == "" {
		url = e.url
	}
	body, _ := json.Marshal(map[string]string{"name": name, "password": password, "totp": code})
	resp, err := http.Post(url+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	for _, c := range resp.Cookies() {
		if c.Name == "rampart_session" && c.Value != "" {
			return resp, &session{cookie: c, csrf: out.CSRF}
		}
	}
	return resp, nil
}

// do sends a request as the session (none when nil), with its CSRF token,
// following redirects; the body stays readable.
func (e *env) do(t *testing.T, s *session, method, path string, body any) *http.Response {
	t.Helper()
	req := e.request(t, method, path, body)
	if s != nil {
		req.AddCookie(s.cookie)
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	resp, _ := send(t, nil, req)
	return resp
}

// loginOK signs name in with the password and fails the test when that
// does not give a session.
func (e *env) loginOK(t *testing.T, name string) *session {
	t.Helper()
	r, s := e.login(t, "", name, e.password, "")
	if r.StatusCode != 200 || s == nil {
		t.Fatalf("login %s: %d", name, r.StatusCode)
	}
	return s
}

// postForm posts form (with the session's CSRF token) to the page path as
// the session's browser and returns the answer without following its
// redirect (send's: read, and readable again).
func (e *env) postForm(t *testing.T, s *session, path string, form url.Values) *http.Response {
	t.Helper()
	form.Set("csrf", s.csrf)
	req := e.request(t, "POST", path, []byte(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(s.cookie)
	resp, _ := send(t, noRedirect, req)
	return resp
}

// postFile posts data as the file name in the multipart form field field
// to the page path as the session's browser (with its CSRF token) and
// returns the answer without following its redirect.
func (e *env) postFile(t *testing.T, s *session, path, field, name string, data []byte) *http.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", e.url+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", s.csrf)
	req.AddCookie(s.cookie)
	resp, _ := send(t, noRedirect, req)
	return resp
}

// request builds a request to the test server. The body is sent as it is
// when it is []byte, else as JSON; nil sends none.
func (e *env) request(t *testing.T, method, path string, body any) *http.Request {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// noRedirect is a client that answers a redirect with the redirect instead
// of following it.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// send sends req with client (http.DefaultClient when nil) and reads the
// whole answer: it returns the body, which also stays readable on the
// response.
func send(t *testing.T, client *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp, data
}

// decodeAnswer decodes the JSON answer data of method path into out.
func decodeAnswer(t *testing.T, method, path string, data []byte, out any) {
	t.Helper()
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
	}
}

// userWithToken creates a products-only viewer holding role on product pid
// (none when 0) and a token of theirs, under e.tokens[name] for e.call.
func (e *env) userWithToken(t *testing.T, name string, pid int64, role identity.ProductRole) identity.User {
	t.Helper()
	ctx := context.Background()
	u := identity.User{Name: name, Role: identity.RoleViewer, ProductsOnly: true, PasswordHash: "x"}
	if err := e.store.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if pid != 0 {
		if err := e.store.SetMember(ctx, pid, u.ID, role); err != nil {
			t.Fatal(err)
		}
	}
	tok, _, err := e.store.CreateAPIToken(ctx, u.ID, "ci", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.tokens[name] = tok
	return u
}

// ensureRelease returns the release version of the product named (both
// made when missing).
func (e *env) ensureRelease(t *testing.T, product, version string) inventory.Release {
	t.Helper()
	rel, err := e.store.EnsureRelease(context.Background(), product, version)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

// readFile is the content of the fixture at path.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// importSBOMFile imports the SBOM file at path into the release, as an
// upload named name.
func (e *env) importSBOMFile(t *testing.T, releaseID int64, name, path string) {
	t.Helper()
	if _, err := portfolio.ImportSBOM(context.Background(), e.store, releaseID, name, readFile(t, path)); err != nil {
		t.Fatal(err)
	}
}

// newProduct creates the product named through the API, as the editor.
func (e *env) newProduct(t *testing.T, name string) inventory.Product {
	t.Helper()
	return e.postProduct(t, "editor", map[string]any{"name": name})
}

// postProduct creates a product through the API as role; fields are the
// request's (name, exposure, …).
func (e *env) postProduct(t *testing.T, role string, fields map[string]any) inventory.Product {
	t.Helper()
	var p inventory.Product
	if r := e.call(t, role, "POST", "/api/v1/products", fields, &p); r.StatusCode != http.StatusCreated {
		t.Fatalf("create product %v: status %d", fields, r.StatusCode)
	}
	return p
}

// postRelease creates the release of the product through the API as role;
// fields are the request's (version, status, …).
func (e *env) postRelease(t *testing.T, role string, productID int64, fields map[string]any) inventory.Release {
	t.Helper()
	var rel inventory.Release
	if r := e.call(t, role, "POST", fmt.Sprintf("/api/v1/products/%d/releases", productID), fields, &rel); r.StatusCode != http.StatusCreated {
		t.Fatalf("create release %v: status %d", fields, r.StatusCode)
	}
	return rel
}

// storeProduct creates the product named in the store directly.
func (e *env) storeProduct(t *testing.T, name string) inventory.Product {
	t.Helper()
	p := inventory.Product{Name: name}
	if err := e.store.CreateProduct(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// storeRelease creates the release version of the product in the store
// directly.
func (e *env) storeRelease(t *testing.T, productID int64, version string) inventory.Release {
	t.Helper()
	rel := inventory.Release{ProductID: productID, Version: version}
	if err := e.store.CreateRelease(context.Background(), &rel); err != nil {
		t.Fatal(err)
	}
	return rel
}

// newRelease creates the product named and its release 1.0 in the store
// directly.
func (e *env) newRelease(t *testing.T, name string) inventory.Release {
	t.Helper()
	return e.storeRelease(t, e.storeProduct(t, name).ID, "1.0")
}

// adminRelease creates a product (the fields of product) and its release
// version, in development, through the API as the admin.
func (e *env) adminRelease(t *testing.T, product map[string]any, version string) (productID, releaseID int64) {
	t.Helper()
	p := e.postProduct(t, "admin", product)
	return p.ID, e.postRelease(t, "admin", p.ID, map[string]any{"version": version, "status": "development"}).ID
}

// cycloneDX encodes comps as the CycloneDX SBOM of name and version
// (created at the Unix epoch, so the bytes do not depend on the clock).
func cycloneDX(t *testing.T, name, version string, comps []inventory.Component) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := sbom.EncodeCycloneDX(&buf, sbom.Export{Name: name, Version: version, Components: comps, Created: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// xnetBOM is a CycloneDX SBOM of one component, golang.org/x/net at version
// under the bom-ref ref (osvFixture's GO-2099-0001 affects it before
// v0.23.0).
func xnetBOM(ref, version string) []byte {
	return []byte(fmt.Sprintf(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[
	 {"type":"library","bom-ref":%q,"name":"golang.org/x/net","version":%q,"purl":"pkg:golang/golang.org/x/net@%s"}]}`, ref, version, version))
}

// postSBOM uploads the SBOM data to the release through the API as role.
func (e *env) postSBOM(t *testing.T, role string, releaseID int64, data []byte) {
	t.Helper()
	if r := e.call(t, role, "POST", fmt.Sprintf("/api/v1/releases/%d/sbom", releaseID), data, nil); r.StatusCode != http.StatusOK {
		t.Fatalf("upload SBOM to release %d: %d %s", releaseID, r.StatusCode, readBody(r))
	}
}

// sbomRelease creates a product (the fields of product) and its release
// version through the API as the admin (adminRelease), and uploads the
// CycloneDX SBOM sbomName of comps to it.
func (e *env) sbomRelease(t *testing.T, product map[string]any, version, sbomName string, comps []inventory.Component) (productID, releaseID int64) {
	t.Helper()
	productID, releaseID = e.adminRelease(t, product, version)
	e.postSBOM(t, "admin", releaseID, cycloneDX(t, sbomName, version, comps))
	return productID, releaseID
}

// importFeedFiles writes the feed files (name → content) to a folder and
// imports them as the feed "test".
func (e *env) importFeedFiles(t *testing.T, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := portfolio.ImportFeeds(context.Background(), e.store, "test", dir); err != nil {
		t.Fatal(err)
	}
}

// templateModel is the built-in threat-model template named.
func templateModel(t *testing.T, name string) []byte {
	t.Helper()
	tpl, err := threatmodel.Template(name)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// putTemplateModel saves the built-in threat-model template named as the
// product's threat model through the API, as the editor.
func (e *env) putTemplateModel(t *testing.T, productID int64, name string) {
	t.Helper()
	if r := e.call(t, "editor", "PUT", fmt.Sprintf("/api/v1/products/%d/threatmodel", productID), templateModel(t, name), nil); r.StatusCode != http.StatusCreated {
		t.Fatalf("PUT template %s: %d", name, r.StatusCode)
	}
}
