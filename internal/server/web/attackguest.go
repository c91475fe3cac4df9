package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/rampart-security/rampart/internal/attacksession"
	"github.com/rampart-security/rampart/internal/identity"
)

// AttackGuest admits an attack-session guest (ParticipantCookie) on the
// routes of that one session: the cookie's participant must belong to the
// session {sid} of the product {id} in the path. Every other route ignores
// the cookie.
func AttackGuest(svc *attacksession.Service) GuestResolver {
	return func(r *http.Request) (*Guest, bool) {
		c, err := r.Cookie(ParticipantCookie)
		if err != nil || c.Value == "" {
			return nil, false
		}
		pid, err1 := PathID(r, "id")
		sid, err2 := PathID(r, "sid")
		if err1 != nil || err2 != nil {
			return nil, false
		}
		p, sess, err := svc.Guest(r.Context(), c.Value)
		if err != nil || p.SessionID != sid || sess.ProductID != pid {
			return nil, false
		}
		return &Guest{ParticipantID: p.ID, SessionID: sess.ID, ProductID: sess.ProductID, Name: p.Name, CSRF: attacksession.GuestCSRF(c.Value)}, true
	}
}

// AttackActor is who acts on an attack-session route: the guest the guard
// admitted, or the signed-in user.
func AttackActor(r *http.Request) attacksession.Actor {
	if g := GuestFrom(r); g != nil {
		return attacksession.Actor{Guest: &attacksession.Participant{ID: g.ParticipantID, SessionID: g.SessionID, Name: g.Name, Guest: true}}
	}
	if p := identity.FromContext(r.Context()); p != nil {
		return attacksession.Actor{User: p.Name}
	}
	return attacksession.Actor{}
}

// CanFacilitate reports whether the caller may run the product's sessions
// (edit its threat model); guests never may.
func CanFacilitate(r *http.Request) bool {
	p := identity.FromContext(r.Context())
	return p != nil && GuestFrom(r) == nil && p.ProductPermissions(ProductID(r))&identity.PermWrite != 0
}

// ParticipantCookieFor is the guest's cookie: HttpOnly, SameSite=Strict,
// for the session's lifetime.
func ParticipantCookieFor(secret string, sess attacksession.Session, secure bool) *http.Cookie {
	return &http.Cookie{Name: ParticipantCookie, Value: secret, Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteStrictMode, Expires: sess.EndsAt.Add(7 * 24 * time.Hour)}
}

// JoinPath is the page a join link opens.
func JoinPath(secret string) string { return "/attack-sessions/join/" + url.PathEscape(secret) }
