package accounts

import (
	"context"
	"fmt"
	"strings"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
)

// One-time links: the setup link that creates the first administrator and
// the invitations that create the other users. Each is consumed together
// with the creation of its user, in one transaction with the audit record.

// Link purposes, as stored with the link.
const (
	LinkSetup  = "setup"
	LinkInvite = "invite"
)

// ErrNoName: a new account needs a user name.
var ErrNoName = fault.Invalid("name", "choose a user name")

// ValidLink reports whether the one-time link token of purpose can still
// be used (not used, not expired).
func (s *Service) ValidLink(ctx context.Context, token, purpose string) bool {
	return s.store.ValidSetupToken(ctx, token, purpose)
}

// CompleteSetup consumes the setup link and creates the first
// administrator with name and password, audited, and signs them in: it
// returns the session cookie's value. A password that breaks the password
// rules is fault.Invalid on "password"; a used or expired link is a
// conflict or not found, as the store says.
func (s *Service) CompleteSetup(ctx context.Context, c Client, token, name, password string) (string, error) {
	u, err := s.newUser(ctx, name, password, identity.RoleAdmin)
	if err != nil {
		return "", err
	}
	if err := audit.Change(ctx, s.store, func(ctx context.Context) (audit.Event, error) {
		err := s.store.CompleteSetup(ctx, token, &u)
		return audit.Event{Action: audit.ActionSetup, Actor: u.Name, Object: "user " + u.Name, Detail: "role admin"}, err
	}); err != nil {
		return "", err
	}
	s.log.InfoContext(ctx, "first administrator created", "user", u.Name, "remote", c.IP)
	return s.startSession(ctx, c, u.ID)
}

// AcceptInvite consumes an invitation and creates its user with name,
// password and the invitation's role, audited, and signs them in (the
// session cookie's value). A taken name is a conflict.
func (s *Service) AcceptInvite(ctx context.Context, c Client, token, name, password string) (string, error) {
	u, err := s.newUser(ctx, name, password, "")
	if err != nil {
		return "", err
	}
	if err := audit.Change(ctx, s.store, func(ctx context.Context) (audit.Event, error) {
		err := s.store.AcceptInvite(ctx, token, &u)
		return audit.Event{Action: audit.ActionUserCreate, Actor: u.Name, Object: "user " + u.Name, Detail: "accepted invitation, role " + string(u.Role)}, err
	}); err != nil {
		return "", err
	}
	return s.startSession(ctx, c, u.ID)
}

// newUser checks the name and the password rules and hashes the password.
func (s *Service) newUser(ctx context.Context, name, password string, role identity.Role) (identity.User, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return identity.User{}, ErrNoName
	}
	if err := identity.CheckPassword(password, name); err != nil {
		return identity.User{}, fault.Invalid("password", "%v", err)
	}
	hash, err := identity.HashPasswordContext(ctx, password)
	if err != nil {
		return identity.User{}, err
	}
	return identity.User{Name: name, Role: role, PasswordHash: hash}, nil
}

func (s *Service) startSession(ctx context.Context, c Client, userID int64) (string, error) {
	cookie, _, err := s.store.CreateSession(ctx, userID, c.IP, c.UserAgent)
	return cookie, err
}

// SignOut ends the principal's session, audited (a token has no session:
// nothing to do).
func (s *Service) SignOut(ctx context.Context) error {
	p := identity.FromContext(ctx)
	if p.Via != "session" {
		return nil
	}
	return audit.Change(ctx, s.store, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: audit.ActionSignOut, Object: "user " + p.Name}, s.store.DeleteSession(ctx, p.SessionHash)
	})
}

// SignOutOthers ends every other session of the principal's user, audited,
// and returns how many ended.
func (s *Service) SignOutOthers(ctx context.Context) (int64, error) {
	p := identity.FromContext(ctx)
	var n int64
	err := audit.Change(ctx, s.store, func(ctx context.Context) (audit.Event, error) {
		var err error
		n, err = s.store.DeleteUserSessions(ctx, p.UserID, p.SessionHash)
		return audit.Event{Action: audit.ActionSignOutAll, Object: "user " + p.Name, Detail: fmt.Sprintf("%d other sessions ended", n)}, err
	})
	return n, err
}

// RevokeToken revokes one of the principal's user's API tokens, audited. A
// token may revoke only itself and the tokens it created (any other is not
// found).
func (s *Service) RevokeToken(ctx context.Context, id int64) error {
	p := identity.FromContext(ctx)
	if p.Via == "token" {
		if ok, err := s.store.TokenDescends(ctx, id, p.TokenID); err != nil || !ok {
			return fault.NotFound("token %d: not found among this token and the tokens it created", id)
		}
	}
	return audit.Change(ctx, s.store, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: audit.ActionTokenRevoke, Object: fmt.Sprintf("token %d", id)}, s.store.RevokeAPIToken(ctx, p.UserID, id)
	})
}
