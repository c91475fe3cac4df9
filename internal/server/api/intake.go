package api

import (
	"mime"
	"net/http"
	"strconv"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/server/web"
)

// intake is the vulnerability-report intake service.
func (h handler) intake() *incident.Intake {
	return incident.NewIntake(incident.New(h.Store, nil, incident.Options{Notify: h.Store, Location: h.IncidentLocation}), h.Store, h.IntakeKey)
}

// intakeRoutes are the public vulnerability-report intake and its triage.
func (h handler) intakeRoutes() []web.Route {
	return []web.Route{
		// Public: researchers report without an account. Rate-limited per
		// source address and in total, size-limited, JSON only (a cross-site
		// form cannot send it), text kept as text.
		{Method: "POST", Pattern: "/api/v1/intake", Public: true, MaxBody: web.IntakeMaxBody, Do: h.submitIntake},
		// Public: the reporter's private status link (the token is the secret).
		{Method: "GET", Pattern: "/api/v1/intake/{tracking}", Public: true, Do: h.intakeStatus},
		{Method: "GET", Pattern: "/api/v1/intake", Perm: identity.PermRead, Scope: identity.ScopeFindingsRead, Do: h.listIntake},
		{Method: "POST", Pattern: "/api/v1/intake/{id}/triage", Need: identity.RoleEditor, Scope: identity.ScopeFindingsWrite, Do: h.triageIntake},
		{Method: "GET", Pattern: "/api/v1/intake/{id}/attachment", Need: identity.RoleEditor, Scope: identity.ScopeFindingsRead, Do: h.intakeAttachment},
	}
}

type intakeInput struct {
	incident.IntakeInput
	Attachment     []byte `json:"attachment"` // base64 in JSON
	AttachmentName string `json:"attachment_name"`
}

func (h handler) submitIntake(w http.ResponseWriter, r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return fault.Invalid("Content-Type", "send the report as application/json")
	}
	var in intakeInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	x := in.IntakeInput
	x.Source, x.Attachment, x.AttachmentName = web.ClientIP(r), in.Attachment, in.AttachmentName
	rec, err := h.intake().Submit(r.Context(), x)
	return reply(w, http.StatusCreated, rec, err)
}

// intakeStatus is what the reporter sees: no internal details.
type intakeStatus struct {
	TrackingID string `json:"tracking_id"`
	Title      string `json:"title"`
	Status     string `json:"status"`
	Received   string `json:"received"`
	Updated    string `json:"updated"`
}

func (h handler) intakeStatus(w http.ResponseWriter, r *http.Request) error {
	rep, err := h.intake().Status(r.Context(), r.PathValue("tracking"), r.URL.Query().Get("token"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, intakeStatus{TrackingID: rep.TrackingID, Title: rep.Title, Status: rep.Status,
		Received: rep.CreatedAt.Format("2006-01-02T15:04:05Z"), Updated: rep.UpdatedAt.Format("2006-01-02T15:04:05Z")})
	return nil
}

func (h handler) listIntake(w http.ResponseWriter, r *http.Request) error {
	list, err := h.intake().List(r.Context(), web.ReadableProducts(r))
	return reply(w, http.StatusOK, newPage(list, ""), err)
}

type triageInput struct {
	Kind string `json:"kind"`
}

func (h handler) triageIntake(w http.ResponseWriter, r *http.Request) error {
	id, in, err := web.PathIDAndJSON[triageInput](r, "id")
	if err != nil {
		return err
	}
	rep, err := h.intake().Triage(r.Context(), id, in.Kind)
	return reply(w, http.StatusOK, rep, err)
}

func (h handler) intakeAttachment(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	name, data, err := h.intake().Attachment(r.Context(), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", "attachment; filename="+strconv.Quote(name))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(data)
	return err
}
