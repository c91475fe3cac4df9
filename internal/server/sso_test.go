package server_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/server"
)

// fakeIdP is an in-process OpenID Connect provider that signs real RS256
// JWTs, enforces PKCE (S256) at the token endpoint, and can be told to
// misbehave.
type fakeIdP struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	other  *rsa.PrivateKey // a key the provider does not publish
	mu     sync.Mutex
	codes  map[string]authReq
	claims map[string]any // next ID token's claims (overrides)
	mode   string         // "", "tamper", "foreign-key"
}

type authReq struct{ nonce, challenge, clientID string }

func newFakeIdP(t *testing.T) *fakeIdP {
	k1, _ := rsa.GenerateKey(rand.Reader, 2048)
	k2, _ := rsa.GenerateKey(rand.Reader, 2048)
	p := &fakeIdP{key: k1, other: k2, codes: map[string]authReq{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize",
			"token_endpoint": p.srv.URL + "/token", "jwks_uri": p.srv.URL + "/jwks", "response_types_supported": []string{"code"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
			"code_challenge_methods_supported": []string{"S256"}})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
			http.Error(w, "PKCE S256, nonce and state are required", http.StatusBadRequest)
			return
		}
		code, _ := identity.NewSecret("code_")
		p.mu.Lock()
		p.codes[code] = authReq{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), clientID: q.Get("client_id")}
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+url.QueryEscape(code)+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		p.mu.Lock()
		req, ok := p.codes[r.PostForm.Get("code")]
		delete(p.codes, r.PostForm.Get("code"))
		claims, mode := p.claims, p.mode
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != req.challenge {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		now := time.Now()
		c := map[string]any{"iss": p.srv.URL, "sub": "u-123", "aud": req.clientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
			"nonce": req.nonce, "preferred_username": "sam", "groups": []string{"staff", "rampart-admins"}}
		for k, v := range claims {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		payload, _ := json.Marshal(c)
		key := p.key
		if mode == "foreign-key" {
			key = p.other
		}
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
		jws, _ := signer.Sign(payload)
		tok, _ := jws.CompactSerialize()
		if mode == "tamper" {
			// Change the payload after signing (the signature no longer matches).
			parts := strings.Split(tok, ".")
			c["groups"] = []string{"rampart-admins"}
			c["preferred_username"] = "mallory"
			b, _ := json.Marshal(c)
			parts[1] = base64.RawURLEncoding.EncodeToString(b)
			tok = strings.Join(parts, ".")
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": tok})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *fakeIdP) set(mode string, claims map[string]any) {
	p.mu.Lock()
	p.mode, p.claims = mode, claims
	p.mu.Unlock()
}

func TestOIDCSingleSignOn(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		idp := newFakeIdP(t)
		var h http.Handler
		rampart := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
		defer rampart.Close()
		roles, _ := identity.ParseRoleMap("rampart-admins=admin, rampart-dev=editor, rampart-audit=viewer")
		sso, err := identity.NewSSO(context.Background(), identity.SSOConfig{Issuer: idp.srv.URL, ClientID: "rampart", ClientSecret: "s3cret",
			RedirectURL: rampart.URL + "/login/sso/callback", Scopes: []string{"profile", "groups"}, RoleMap: roles})
		if err != nil {
			t.Fatal(err)
		}
		h = server.New(server.Config{SSO: sso}, e.store, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()

		signIn := func() (int, string) {
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar}
			resp, err := c.Get(rampart.URL + "/login/sso?next=/search")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, resp.Request.URL.Path + " " + string(body)
		}
		code, got := signIn()
		if code != 200 || !strings.HasPrefix(got, "/search ") {
			t.Fatalf("good sign-in: %d %.200s", code, got)
		}
		sam, err := e.store.UserByName(context.Background(), "sam")
		if err != nil || sam.Role != identity.RoleAdmin || sam.PasswordHash != "" {
			t.Fatalf("provisioned user: %+v %v", sam, err)
		}
		// Group changes at the provider change the role at the next sign-in.
		idp.set("", map[string]any{"groups": []string{"rampart-audit"}})
		if code, _ := signIn(); code != 200 {
			t.Fatalf("re-sign-in: %d", code)
		}
		sam, _ = e.store.UserByName(context.Background(), "sam")
		if sam.Role != identity.RoleViewer {
			t.Errorf("role after group change: %s", sam.Role)
		}

		bad := []struct {
			name   string
			mode   string
			claims map[string]any
			want   string
		}{
			{"tampered token", "tamper", nil, "could not be verified"},
			{"signed by another key", "foreign-key", nil, "could not be verified"},
			{"wrong audience", "", map[string]any{"aud": "someone-else"}, "could not be verified"},
			{"expired", "", map[string]any{"exp": time.Now().Add(-time.Hour).Unix(), "iat": time.Now().Add(-2 * time.Hour).Unix()}, "could not be verified"},
			{"wrong nonce", "", map[string]any{"nonce": "replayed-nonce"}, "could not be verified"},
			{"wrong issuer", "", map[string]any{"iss": "https://evil.example"}, "could not be verified"},
			{"no mapped group", "", map[string]any{"groups": []string{"staff"}}, "none of your groups"},
			// Defect 5: accounts were linked by preferred_username (or an
			// unverified email); now by (issuer, sub) only.
			{"local account name", "", map[string]any{"sub": "u-other", "preferred_username": "alice"}, "subject only"},
			{"another subject claiming sam", "", map[string]any{"sub": "u-other", "preferred_username": "sam"}, "subject only"},
			{"unverified email naming sam", "", map[string]any{"sub": "u-third", "preferred_username": "", "email": "sam", "email_verified": false}, "subject only"},
		}
		for _, tc := range bad {
			idp.set(tc.mode, tc.claims)
			code, got := signIn()
			if code != http.StatusForbidden || !strings.Contains(got, tc.want) {
				t.Errorf("%s: %d %.300s, want 403 %q", tc.name, code, got, tc.want)
			}
		}
		if _, err := e.store.UserByName(context.Background(), "mallory"); err == nil {
			t.Error("tampered token created a user")
		}
		// A callback whose state was not started in this browser is refused.
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		resp, err := c.Get(rampart.URL + "/login/sso/callback?code=x&state=forged")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("forged state: %d", resp.StatusCode)
		}
		evs, _ := e.store.AuditEvents(context.Background(), audit.Query{Action: "auth."})
		var ok, failed int
		for _, ev := range evs {
			if ev.Action == "auth.sign_in" && strings.HasPrefix(ev.Detail, "oidc") {
				ok++
			}
			if ev.Action == "auth.sign_in_failed" && ev.Actor == "(sso)" {
				failed++
			}
		}
		if ok != 2 || failed != len(bad)+1 {
			t.Errorf("audit: %d SSO sign-ins, %d failures", ok, failed)
		}
	})
}
