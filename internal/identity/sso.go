package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// SSOConfig configures OpenID Connect single sign-on.
type SSOConfig struct {
	Issuer       string   // e.g. https://login.example.com/realms/acme
	ClientID     string   //
	ClientSecret string   // from the environment, never a flag
	RedirectURL  string   // https://rampart.example.com/login/sso/callback
	Scopes       []string // "openid" is always added
	// GroupClaim names the ID token claim listing the user's groups.
	GroupClaim string
	// RoleMap maps a group to a global role; a user gets the highest role
	// of their groups and is refused when no group maps.
	RoleMap map[string]Role
	// LinkVerifiedEmail lets a first SSO sign-in take over an existing
	// password-less account named by the ID token's email, only when the
	// provider says email_verified (off by default: accounts are linked by
	// issuer and sub only).
	LinkVerifiedEmail bool
}

// LinkVerifiedEmail reports whether an administrator enabled email linking.
func (s *SSO) LinkVerifiedEmail() bool { return s != nil && s.cfg.LinkVerifiedEmail }

// ParseRoleMap parses "group=role,group=role".
func ParseRoleMap(s string) (map[string]Role, error) {
	m := map[string]Role{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		g, r, ok := strings.Cut(part, "=")
		role, err := ParseRole(strings.TrimSpace(r))
		if !ok || strings.TrimSpace(g) == "" || err != nil {
			return nil, fmt.Errorf("role map entry %q: want GROUP=admin|editor|viewer", part)
		}
		m[strings.TrimSpace(g)] = role
	}
	return m, nil
}

// SSO is a configured OIDC relying party.
type SSO struct {
	cfg      SSOConfig
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// NewSSO discovers the issuer's endpoints and keys.
func NewSSO(ctx context.Context, cfg SSOConfig) (*SSO, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("OIDC: issuer, client id and redirect URL are required")
	}
	if len(cfg.RoleMap) == 0 {
		return nil, errors.New("OIDC: a group-to-role map is required (deny by default)")
	}
	if cfg.GroupClaim == "" {
		cfg.GroupClaim = "groups"
	}
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("OIDC discovery at %s: %w", cfg.Issuer, err)
	}
	scopes := []string{oidc.ScopeOpenID}
	for _, s := range cfg.Scopes {
		if s != oidc.ScopeOpenID && s != "" {
			scopes = append(scopes, s)
		}
	}
	return &SSO{cfg: cfg,
		oauth:    oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL, Endpoint: p.Endpoint(), Scopes: scopes},
		verifier: p.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
	}, nil
}

// SSOStart is the state of one sign-in attempt, kept server-side.
type SSOStart struct {
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"` // PKCE code verifier
	Next     string `json:"next"`
}

// NewSSOStart makes a fresh nonce and PKCE verifier.
func NewSSOStart(next string) SSOStart {
	n, _ := NewSecret("")
	return SSOStart{Nonce: n, Verifier: oauth2.GenerateVerifier(), Next: next}
}

// AuthURL is where to send the browser: the provider's authorisation
// endpoint with state, nonce and the PKCE S256 challenge.
func (s *SSO) AuthURL(state string, st SSOStart) string {
	return s.oauth.AuthCodeURL(state, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
}

// SSOIdentity is who the provider says signed in.
type SSOIdentity struct {
	// Issuer and Subject (the sub claim) identify the account: the only
	// key an SSO sign-in is linked by.
	Issuer  string
	Subject string
	// Name is the display name for a new account (preferred_username,
	// else email, else sub); it never selects an existing account.
	Name string
	// Email and EmailVerified: linking by email needs email_verified and
	// an administrator's consent (SSOConfig.LinkVerifiedEmail).
	Email         string
	EmailVerified bool
	Groups        []string
	Role          Role
	// MFA: the provider's amr claim says more than one factor was used.
	MFA bool
}

// ErrSSONoRole: the user authenticated but none of their groups maps to a role.
var ErrSSONoRole = errors.New("none of your groups is mapped to a Rampart role")

// Exchange redeems the code (with the PKCE verifier), verifies the ID token
// (signature against the issuer's keys, issuer, audience, expiry) and its
// nonce, and maps the group claim to a role.
func (s *SSO) Exchange(ctx context.Context, code string, st SSOStart) (SSOIdentity, error) {
	var id SSOIdentity
	tok, err := s.oauth.Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return id, fmt.Errorf("OIDC code exchange: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return id, errors.New("OIDC: token response has no id_token")
	}
	idt, err := s.verifier.Verify(ctx, raw)
	if err != nil {
		return id, fmt.Errorf("OIDC ID token: %w", err)
	}
	if !ConstantTimeEqual(idt.Nonce, st.Nonce) {
		return id, errors.New("OIDC ID token: nonce does not match this sign-in")
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return id, fmt.Errorf("OIDC ID token claims: %w", err)
	}
	id.Issuer, id.Subject = idt.Issuer, idt.Subject
	id.Email, _ = claims["email"].(string)
	id.EmailVerified, _ = claims["email_verified"].(bool)
	for _, k := range []string{"preferred_username", "email", "sub"} {
		if v, _ := claims[k].(string); v != "" {
			id.Name = v
			break
		}
	}
	if amr, ok := claims["amr"].([]any); ok {
		for _, m := range amr {
			switch m {
			case "mfa", "otp", "hwk", "swk":
				id.MFA = true
			}
		}
	}
	switch g := claims[s.cfg.GroupClaim].(type) {
	case []any:
		for _, x := range g {
			if s, ok := x.(string); ok {
				id.Groups = append(id.Groups, s)
			}
		}
	case string:
		id.Groups = strings.Fields(g)
	}
	for _, g := range id.Groups {
		if r, ok := s.cfg.RoleMap[g]; ok && r.rank() > id.Role.rank() {
			id.Role = r
		}
	}
	if !id.Role.Valid() {
		return id, fmt.Errorf("%w (groups %v)", ErrSSONoRole, id.Groups)
	}
	return id, nil
}
