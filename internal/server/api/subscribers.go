package api

import (
	"net/http"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/server/web"
)

// subscriberRoutes are customer-notification subscribers and deliveries.
func (h handler) subscriberRoutes() []web.Route {
	product := web.ProductPath(h.Store, "id")
	inc := web.IncidentPath(h.incidents, "id")
	return []web.Route{
		{Method: "GET", Pattern: "/api/v1/products/{id}/subscribers", Product: product, Perm: identity.PermWrite, Scope: identity.ScopeProductsRead, Do: listByID(h.Store.Subscribers)},
		{Method: "POST", Pattern: "/api/v1/products/{id}/subscribers", Product: product, Perm: identity.PermWrite, Scope: identity.ScopeProductsWrite, Do: h.addSubscriber},
		{Method: "POST", Pattern: "/api/v1/incidents/{id}/notify", Product: inc, Perm: identity.PermWrite, Scope: identity.ScopeFindingsWrite, Do: h.notifyUsers},
		{Method: "GET", Pattern: "/api/v1/incidents/{id}/notifications", Product: inc, Perm: identity.PermRead, Scope: identity.ScopeFindingsRead, Do: listByID(h.Store.Notifications)},
	}
}

type subscriberInput struct {
	Email   string `json:"email"`
	Webhook string `json:"webhook"`
}

func (h handler) addSubscriber(w http.ResponseWriter, r *http.Request) error {
	id, in, err := web.PathIDAndJSON[subscriberInput](r, "id")
	if err != nil {
		return err
	}
	sub, err := incident.Subscribe(r.Context(), h.Store, id, in.Email, in.Webhook, h.Now())
	return reply(w, http.StatusCreated, sub, err)
}

func (h handler) notifyUsers(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	n, err := h.incidents().InformUsers(r.Context(), h.Store, id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusAccepted, map[string]int{"queued": n})
	return nil
}
