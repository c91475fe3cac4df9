package ui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/attacksession"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/server/web"
)

// attackSessionRoutes are the attack-session pages: the product's list
// (facilitators start sessions there), the live session page that readers
// and that session's guests use, and the join-link page.
func (h *handler) attackSessionRoutes() []web.Route {
	product := web.ProductPath(h.Store, "id")
	read, write := identity.PermRead, identity.PermWrite
	guest := web.AttackGuest(h.AttackSessions)
	base := "/products/{id}/attack-sessions"
	return []web.Route{
		{Method: "GET", Pattern: base, Product: product, Perm: read, Do: h.attackSessions},
		{Method: "POST", Pattern: base, Product: product, Perm: write, Do: h.startAttackSession},
		{Method: "GET", Pattern: base + "/{sid}", Product: product, Perm: read, Guest: guest, Do: h.attackSession},
		{Method: "GET", Pattern: base + "/{sid}/live", Product: product, Perm: read, Guest: guest, Do: h.attackSession},
		{Method: "POST", Pattern: base + "/{sid}/ideas", Product: product, Perm: read, Guest: guest, Do: h.addAttackIdea},
		{Method: "POST", Pattern: base + "/{sid}/ideas/{idea}/vote", Product: product, Perm: read, Guest: guest, Do: h.voteAttackIdea},
		{Method: "POST", Pattern: base + "/{sid}/ideas/{idea}/decide", Product: product, Perm: write, Do: h.decideAttackIdea},
		{Method: "POST", Pattern: base + "/{sid}/links", Product: product, Perm: write, Do: h.createAttackLink},
		{Method: "POST", Pattern: base + "/{sid}/end", Product: product, Perm: write, Do: h.endAttackSession},
		// Public: the one-time link in the path is the credential; GET only
		// shows the form (link previews must not spend it), POST spends it.
		{Method: "GET", Pattern: "/attack-sessions/join/{token}", Public: true, Do: h.joinForm},
		{Method: "POST", Pattern: "/attack-sessions/join/{token}", Public: true, Do: h.join},
	}
}

type attackSessionsPage struct {
	Product  inventory.Product
	Sessions []attacksession.Row
	CanEdit  bool
}

func (h *handler) attackSessions(w http.ResponseWriter, r *http.Request) error {
	pid, p, err := h.routeProduct(r)
	if err != nil {
		return err
	}
	ss, err := h.AttackSessions.Overview(r.Context(), pid)
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "attack_sessions", view{Title: "Attack sessions · " + p.Name, Nav: "portfolio",
		Data: attackSessionsPage{Product: p, Sessions: ss, CanEdit: canWrite(r, pid)}})
	return nil
}

func (h *handler) startAttackSession(w http.ResponseWriter, r *http.Request) error {
	pid := web.ProductID(r)
	minutes, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("minutes")))
	if err != nil {
		return fault.Invalid("minutes", "minutes: %q is not a whole number of minutes", r.PostFormValue("minutes"))
	}
	sess, err := h.AttackSessions.Start(r.Context(), pid, r.PostFormValue("title"), minutes, identity.FromContext(r.Context()).Name)
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/products/%d/attack-sessions/%d", pid, sess.ID), http.StatusSeeOther)
	return nil
}

// attackSessionPage is the session page's data.
type attackSessionPage struct {
	Product    inventory.Product
	View       *attacksession.View
	Base       string
	Facilitate bool
	Guest      *web.Guest
	Me         int64 // the caller's participant id (0 before joining)
	Voted      map[int64]bool
	NewLink    string
	Strides    []strideOption
	Severities []string
	Statuses   []string
	Left       string
}

type strideOption struct{ Value, Letter, Name, Hint string }

// strideOptions explain each category in words a product manager uses.
var strideOptions = []strideOption{
	{"spoofing", "S", "Spoofing", "pretend to be someone or something else"},
	{"tampering", "T", "Tampering", "change data, code or messages"},
	{"repudiation", "R", "Repudiation", "do something and deny it later"},
	{"information_disclosure", "I", "Information disclosure", "read what you should not"},
	{"denial_of_service", "D", "Denial of service", "make it stop working"},
	{"elevation_of_privilege", "E", "Elevation of privilege", "get more rights than you should"},
}

func (h *handler) sessionPage(r *http.Request, errMsg, newLink string) (view, error) {
	pid := web.ProductID(r)
	sid, err := web.PathID(r, "sid")
	if err != nil {
		return view{}, err
	}
	g := web.GuestFrom(r)
	facilitate := web.CanFacilitate(r)
	if g == nil && r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/live") {
		// A reader who opens a running session takes part in it.
		if err := h.AttackSessions.Participate(r.Context(), pid, sid, identity.FromContext(r.Context()).Name); err != nil {
			return view{}, err
		}
	}
	v, err := h.AttackSessions.Get(r.Context(), pid, sid, facilitate)
	if err != nil {
		return view{}, err
	}
	p, err := h.Store.Product(r.Context(), pid)
	if err != nil {
		return view{}, err
	}
	d := attackSessionPage{Product: p, View: v, Base: fmt.Sprintf("/products/%d/attack-sessions/%d", pid, sid), Facilitate: facilitate,
		Guest: g, NewLink: newLink, Strides: strideOptions, Severities: attacksession.Severities, Statuses: attacksession.TrackStatuses}
	if g != nil {
		d.Me = g.ParticipantID
	} else if u := identity.FromContext(r.Context()); u != nil {
		for _, pt := range v.Participants {
			if pt.UserName == u.Name {
				d.Me = pt.ID
			}
		}
	}
	if d.Me != 0 {
		if d.Voted, err = h.AttackSessions.VotedBy(r.Context(), sid, d.Me); err != nil {
			return view{}, err
		}
	}
	if v.Open {
		left := v.Session.EndsAt.Sub(v.Now)
		d.Left = fmt.Sprintf("%d min left", int(left.Minutes()+0.999))
	}
	out := view{Title: v.Session.Title + " · attack session", Nav: "portfolio", Error: errMsg, Data: d}
	if g != nil {
		out.CSRF, out.Guest = g.CSRF, g.Name
	}
	return out, nil
}

func (h *handler) attackSession(w http.ResponseWriter, r *http.Request) error {
	v, err := h.sessionPage(r, "", "")
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "attack_session", v)
	return nil
}

// afterAction re-renders the session (the live part for htmx) with an
// action's error shown there, or redirects a plain form post back.
func (h *handler) afterAction(w http.ResponseWriter, r *http.Request, actErr error) error {
	msg := ""
	if actErr != nil {
		k := fault.KindOf(actErr)
		if k != fault.KindInvalid && k != fault.KindConflict && k != fault.KindNotFound {
			return actErr
		}
		msg = actErr.Error()
	}
	if msg == "" && r.Header.Get("HX-Request") != "true" {
		sid, _ := web.PathID(r, "sid")
		http.Redirect(w, r, fmt.Sprintf("/products/%d/attack-sessions/%d", web.ProductID(r), sid), http.StatusSeeOther)
		return nil
	}
	v, err := h.sessionPage(r, msg, "")
	if err != nil {
		return err
	}
	status := http.StatusOK
	if msg != "" && r.Header.Get("HX-Request") != "true" {
		status = web.Status(actErr)
	}
	h.render(w, r, status, "attack_session", v)
	return nil
}

func (h *handler) addAttackIdea(w http.ResponseWriter, r *http.Request) error {
	sid, err := web.PathID(r, "sid")
	if err != nil {
		return err
	}
	_, err = h.AttackSessions.AddIdea(r.Context(), web.ProductID(r), sid, web.AttackActor(r), attacksession.IdeaInput{
		Target: r.PostFormValue("target"), Text: r.PostFormValue("text"), STRIDE: r.PostFormValue("stride")})
	return h.afterAction(w, r, err)
}

func (h *handler) voteAttackIdea(w http.ResponseWriter, r *http.Request) error {
	sid, iid, err := web.PathIDs(r, "sid", "idea")
	if err != nil {
		return err
	}
	_, err = h.AttackSessions.Vote(r.Context(), web.ProductID(r), sid, iid, web.AttackActor(r))
	return h.afterAction(w, r, err)
}

func (h *handler) decideAttackIdea(w http.ResponseWriter, r *http.Request) error {
	sid, iid, err := web.PathIDs(r, "sid", "idea")
	if err != nil {
		return err
	}
	actor := identity.FromContext(r.Context()).Name
	switch r.PostFormValue("action") {
	case "merge":
		_, err = h.AttackSessions.Merge(r.Context(), web.ProductID(r), sid, iid, attacksession.MergeInput{Title: r.PostFormValue("title"),
			Severity: r.PostFormValue("severity"), Owner: r.PostFormValue("owner"), Status: r.PostFormValue("status")}, actor)
		if err == nil { // a new threat-model version: the release gates look again
			h.gateAfterProduct(r.Context(), web.ProductID(r), "threatmodel")
		}
	case "reject":
		_, err = h.AttackSessions.Reject(r.Context(), web.ProductID(r), sid, iid, r.PostFormValue("reason"), actor)
	default:
		err = fault.Invalid("action", "action: %q must be merge or reject", r.PostFormValue("action"))
	}
	return h.afterAction(w, r, err)
}

func (h *handler) createAttackLink(w http.ResponseWriter, r *http.Request) error {
	sid, err := web.PathID(r, "sid")
	if err != nil {
		return err
	}
	secret, _, err := h.AttackSessions.CreateLink(r.Context(), web.ProductID(r), sid, r.PostFormValue("label"), identity.FromContext(r.Context()).Name)
	if err != nil {
		return err
	}
	scheme := "http"
	if h.SecureCookies || r.TLS != nil {
		scheme = "https"
	}
	link := scheme + "://" + r.Host + web.JoinPath(secret)
	if h.PublicURL != "" {
		link = strings.TrimRight(h.PublicURL, "/") + web.JoinPath(secret)
	}
	v, err := h.sessionPage(r, "", link)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, http.StatusOK, "attack_session", v)
	return nil
}

func (h *handler) endAttackSession(w http.ResponseWriter, r *http.Request) error {
	sid, err := web.PathID(r, "sid")
	if err != nil {
		return err
	}
	_, err = h.AttackSessions.End(r.Context(), web.ProductID(r), sid, identity.FromContext(r.Context()).Name)
	return h.afterAction(w, r, err)
}

type joinPage struct {
	Token string
	Name  string
	Pre   string
}

func (h *handler) joinForm(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, http.StatusOK, "attack_join", view{Title: "Join an attack session", Data: joinPage{Token: r.PathValue("token"), Pre: h.preCSRF(w, r)}})
	return nil
}

func (h *handler) join(w http.ResponseWriter, r *http.Request) error {
	if !checkPreCSRF(r) {
		return fault.Forbidden("the form expired; reload the page and try again")
	}
	token := r.PathValue("token")
	sess, _, secret, err := h.AttackSessions.Join(r.Context(), token, r.PostFormValue("name"))
	if err != nil {
		if fault.KindOf(err) == fault.KindInvalid {
			h.render(w, r, http.StatusBadRequest, "attack_join", view{Title: "Join an attack session", Error: err.Error(),
				Data: joinPage{Token: token, Name: r.PostFormValue("name"), Pre: h.preCSRF(w, r)}})
			return nil
		}
		return err // an unknown, spent or expired link: the error page says so
	}
	http.SetCookie(w, web.ParticipantCookieFor(secret, sess, h.SecureCookies))
	http.Redirect(w, r, fmt.Sprintf("/products/%d/attack-sessions/%d", sess.ProductID, sess.ID), http.StatusSeeOther)
	return nil
}
