package api

import (
	"fmt"
	"net/http"

	"github.com/rampart-security/rampart/internal/attacksession"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/server/web"
)

// attackSessionRoutes are attack sessions: facilitators (who may edit the
// threat model) start and end them, make join links, and merge or reject
// ideas; readers of the product, and guests of that one session, see it,
// add ideas and vote.
func (h handler) attackSessionRoutes() []web.Route {
	product := web.ProductPath(h.Store, "id")
	read, write := identity.PermRead, identity.PermWrite
	rs, ws := identity.ScopeProductsRead, identity.ScopeProductsWrite
	guest := web.AttackGuest(h.AttackSessions)
	base := "/api/v1/products/{id}/attack-sessions"
	return []web.Route{
		{Method: "GET", Pattern: base, Product: product, Perm: read, Scope: rs, Do: h.listAttackSessions},
		{Method: "POST", Pattern: base, Product: product, Perm: write, Scope: ws, Do: h.startAttackSession},
		{Method: "GET", Pattern: base + "/{sid}", Product: product, Perm: read, Scope: rs, Guest: guest, Do: h.getAttackSession},
		{Method: "GET", Pattern: base + "/{sid}/summary.md", Product: product, Perm: read, Scope: rs, Do: h.attackSessionMarkdown},
		{Method: "POST", Pattern: base + "/{sid}/end", Product: product, Perm: write, Scope: ws, Do: h.endAttackSession},
		{Method: "POST", Pattern: base + "/{sid}/links", Product: product, Perm: write, Scope: ws, Do: h.createAttackLink},
		{Method: "POST", Pattern: base + "/{sid}/ideas", Product: product, Perm: read, Scope: ws, Guest: guest, Do: h.addAttackIdea},
		{Method: "POST", Pattern: base + "/{sid}/ideas/{idea}/vote", Product: product, Perm: read, Scope: ws, Guest: guest, Do: h.voteAttackIdea},
		{Method: "POST", Pattern: base + "/{sid}/ideas/{idea}/merge", Product: product, Perm: write, Scope: ws, Do: h.mergeAttackIdea},
		{Method: "POST", Pattern: base + "/{sid}/ideas/{idea}/reject", Product: product, Perm: write, Scope: ws, Do: h.rejectAttackIdea},
		// Public: the one-time link's secret in the body is the credential
		// (the service spends it); it yields a cookie for that session only.
		{Method: "POST", Pattern: "/api/v1/attack-sessions/join", Public: true, Do: h.joinAttackSession},
	}
}

func sessionIDs(r *http.Request) (int64, int64, error) {
	sid, err := web.PathID(r, "sid")
	return web.ProductID(r), sid, err
}

// ideaIDs is sessionIDs and the idea's id from the path.
func ideaIDs(r *http.Request) (pid, sid, iid int64, err error) {
	if pid, sid, err = sessionIDs(r); err != nil {
		return 0, 0, 0, err
	}
	iid, err = web.PathID(r, "idea")
	return pid, sid, iid, err
}

func (h handler) listAttackSessions(w http.ResponseWriter, r *http.Request) error {
	ss, err := h.AttackSessions.Overview(r.Context(), web.ProductID(r))
	return reply(w, http.StatusOK, newPage(ss, ""), err)
}

type startInput struct {
	Title   string `json:"title"`
	Minutes int    `json:"minutes"`
}

func (h handler) startAttackSession(w http.ResponseWriter, r *http.Request) error {
	var in startInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	sess, err := h.AttackSessions.Start(r.Context(), web.ProductID(r), in.Title, in.Minutes, identity.FromContext(r.Context()).Name)
	return reply(w, http.StatusCreated, sess, err)
}

func (h handler) getAttackSession(w http.ResponseWriter, r *http.Request) error {
	pid, sid, err := sessionIDs(r)
	if err != nil {
		return err
	}
	v, err := h.AttackSessions.Get(r.Context(), pid, sid, web.CanFacilitate(r))
	return reply(w, http.StatusOK, v, err)
}

func (h handler) attackSessionMarkdown(w http.ResponseWriter, r *http.Request) error {
	pid, sid, err := sessionIDs(r)
	if err != nil {
		return err
	}
	v, err := h.AttackSessions.Get(r.Context(), pid, sid, false)
	if err != nil {
		return err
	}
	p, err := h.Store.Product(r.Context(), pid)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="attack-session-%d.md"`, sid))
	_, err = w.Write(attacksession.Markdown(v, p.Name))
	return err
}

func (h handler) endAttackSession(w http.ResponseWriter, r *http.Request) error {
	pid, sid, err := sessionIDs(r)
	if err != nil {
		return err
	}
	sess, err := h.AttackSessions.End(r.Context(), pid, sid, identity.FromContext(r.Context()).Name)
	return reply(w, http.StatusOK, sess, err)
}

func (h handler) createAttackLink(w http.ResponseWriter, r *http.Request) error {
	pid, sid, err := sessionIDs(r)
	if err != nil {
		return err
	}
	var in struct {
		Label string `json:"label"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	secret, l, err := h.AttackSessions.CreateLink(r.Context(), pid, sid, in.Label, identity.FromContext(r.Context()).Name)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"link": l, "token": secret, "path": web.JoinPath(secret)})
	return nil
}

func (h handler) addAttackIdea(w http.ResponseWriter, r *http.Request) error {
	pid, sid, err := sessionIDs(r)
	if err != nil {
		return err
	}
	var in attacksession.IdeaInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	idea, err := h.AttackSessions.AddIdea(r.Context(), pid, sid, web.AttackActor(r), in)
	return reply(w, http.StatusCreated, idea, err)
}

func (h handler) voteAttackIdea(w http.ResponseWriter, r *http.Request) error {
	pid, sid, iid, err := ideaIDs(r)
	if err != nil {
		return err
	}
	idea, err := h.AttackSessions.Vote(r.Context(), pid, sid, iid, web.AttackActor(r))
	return reply(w, http.StatusOK, idea, err)
}

func (h handler) mergeAttackIdea(w http.ResponseWriter, r *http.Request) error {
	pid, sid, iid, err := ideaIDs(r)
	if err != nil {
		return err
	}
	var in attacksession.MergeInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	idea, err := h.AttackSessions.Merge(r.Context(), pid, sid, iid, in, identity.FromContext(r.Context()).Name)
	if err != nil {
		return err
	}
	h.gateAfterProduct(r.Context(), pid, "threatmodel")
	web.WriteJSON(w, http.StatusOK, idea)
	return nil
}

func (h handler) rejectAttackIdea(w http.ResponseWriter, r *http.Request) error {
	pid, sid, iid, err := ideaIDs(r)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	idea, err := h.AttackSessions.Reject(r.Context(), pid, sid, iid, in.Reason, identity.FromContext(r.Context()).Name)
	return reply(w, http.StatusOK, idea, err)
}

func (h handler) joinAttackSession(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token string `json:"token"`
		Name  string `json:"name"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	sess, p, secret, err := h.AttackSessions.Join(r.Context(), in.Token, in.Name)
	if err != nil {
		return err
	}
	http.SetCookie(w, web.ParticipantCookieFor(secret, sess, h.SecureCookies))
	web.WriteJSON(w, http.StatusCreated, map[string]any{"session": sess, "participant": p, "csrf": attacksession.GuestCSRF(secret),
		"path": fmt.Sprintf("/products/%d/attack-sessions/%d", sess.ProductID, sess.ID)})
	return nil
}
