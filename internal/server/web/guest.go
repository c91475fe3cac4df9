package web

import (
	"context"
	"net/http"
)

// ParticipantCookie carries the credential of an attack-session guest (a
// person without an account who joined with a one-time link). Only routes
// that set Route.Guest read it: it reaches nothing else.
const ParticipantCookie = "rampart_participant"

// Guest is a caller without an account whom a route's GuestResolver
// admitted: a participant of one attack session of one product.
type Guest struct {
	ParticipantID int64
	SessionID     int64
	ProductID     int64
	Name          string
	// CSRF is the token the guest's pages send with unsafe requests.
	CSRF string
}

// GuestResolver admits a request without a signed-in principal on one
// route, or refuses it (false): the guard then denies as it would anyone
// anonymous.
type GuestResolver func(r *http.Request) (*Guest, bool)

type guestKey struct{}

// WithGuest records the guest the guard admitted.
func WithGuest(ctx context.Context, g *Guest) context.Context {
	return context.WithValue(ctx, guestKey{}, g)
}

// GuestFrom is the guest the guard admitted for this request (nil for
// signed-in callers and routes without Guest).
func GuestFrom(r *http.Request) *Guest {
	g, _ := r.Context().Value(guestKey{}).(*Guest)
	return g
}

// CheckGuestCSRF reports whether the request carries the guest's CSRF token.
func CheckGuestCSRF(r *http.Request, g *Guest) bool {
	return g != nil && csrfMatches(r, g.CSRF)
}
