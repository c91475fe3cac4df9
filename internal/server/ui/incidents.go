package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/server/web"
)

func (h *handler) incidents() *incident.Service {
	return incident.New(h.Store, h.Now, incident.Options{Notify: h.Store, Location: h.IncidentLocation})
}

// incidentRoutes are the incident list and page, and the public
// vulnerability-report form.
func (h *handler) incidentRoutes() []web.Route {
	inc := web.IncidentPath(h.incidents, "id")
	read, write := identity.PermRead, identity.PermWrite
	return []web.Route{
		{Method: "GET", Pattern: "/incidents", Perm: read, Do: h.incidentList},
		{Method: "GET", Pattern: "/incidents/{id}", Product: inc, Perm: read, Do: h.incidentPage},
		{Method: "POST", Pattern: "/incidents/{id}/update", Product: inc, Perm: write, Do: h.incidentUpdate},
		{Method: "POST", Pattern: "/incidents/{id}/submission", Product: inc, Perm: write, Do: h.incidentSubmission},
		{Method: "POST", Pattern: "/incidents/{id}/tasks", Product: inc, Perm: write, Do: h.incidentTask},
		{Method: "POST", Pattern: "/incidents/{id}/tasks/{task}/done", Product: inc, Perm: write, Do: h.incidentTaskDone},
		// Triage of the reports received through /report (the list is
		// filtered to readable products; reports naming no known product
		// are shown to global roles).
		{Method: "GET", Pattern: "/intake", Perm: read, Do: h.intakeList},
		{Method: "POST", Pattern: "/intake/{id}/triage", Need: identity.RoleEditor, Do: h.intakeTriage},
		// Customer-notice subscribers hold customers' addresses: editors and owners.
		{Method: "GET", Pattern: "/products/{id}/subscribers", Product: web.ProductPath(h.Store, "id"), Perm: write, Do: h.subscribersPage},
		{Method: "POST", Pattern: "/products/{id}/subscribers", Product: web.ProductPath(h.Store, "id"), Perm: write, Do: h.subscriberAdd},
		// Public: researchers report vulnerabilities without an account
		// (double-submit CSRF cookie, same-origin check, rate limit).
		{Method: "GET", Pattern: "/report", Public: true, Do: h.reportForm},
		{Method: "POST", Pattern: "/report", Public: true, MaxBody: web.IntakeMaxBody + 64<<10, Do: h.reportSubmit},
		// Public: the reporter's private status link.
		{Method: "GET", Pattern: "/report/status/{tracking}", Public: true, Do: h.reportStatus},
	}
}

// clockView is one report clock as the page shows it.
type clockView struct {
	incident.Report
	Name, DueText, Left string
	Overdue             bool
}

var clockNames = map[incident.ReportKind]string{incident.EarlyWarning: "Early warning (24 h)", incident.Notification: "Notification (72 h)", incident.FinalReport: "Final report"}

func clocks(rs []incident.Report, now time.Time, loc *time.Location) []clockView {
	out := make([]clockView, 0, len(rs))
	for _, r := range rs {
		c := clockView{Report: r, Name: clockNames[r.Kind], DueText: "when a corrective measure is recorded"}
		if r.Due != nil {
			c.DueText = incident.FormatDue(*r.Due, loc)
			if r.Submission == nil {
				d := r.Due.Sub(now)
				if d < 0 {
					c.Overdue, c.Left = true, "overdue by "+span(-d)
				} else {
					c.Left = "in " + span(d)
				}
			}
		}
		out = append(out, c)
	}
	return out
}

func span(d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	if days > 0 {
		return fmt.Sprintf("%dd %dh", days, hours)
	}
	return fmt.Sprintf("%dh %02dm", hours, mins)
}

type incidentRow struct {
	incident.Incident
	Clocks []clockView
}

func (h *handler) incidentList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := incident.Filter{Phase: incident.Phase(q.Get("phase")), Products: web.ReadableProducts(r)}
	drill := q.Get("drill") == "true"
	f.Drill = &drill
	list, err := h.incidents().List(r.Context(), f)
	if err != nil {
		return err
	}
	now := h.Now()
	rows := make([]incidentRow, len(list))
	for i := range list {
		rows[i] = incidentRow{Incident: list[i], Clocks: clocks(list[i].Reports, now, h.IncidentLocation)}
	}
	h.render(w, r, http.StatusOK, "incidents", view{Title: "Incidents", Nav: "incidents", Flash: q.Get("flash"),
		Data: map[string]any{"Items": rows, "Phase": q.Get("phase"), "Drill": drill, "Phases": incident.Phases}})
	return nil
}

type incidentPageData struct {
	Inc       *incident.Incident
	Clocks    []clockView
	Next      []incident.Phase
	CanEdit   bool
	Products  map[int64]string
	Scorecard *scorecardView
	// Zone is the legal time zone of the clocks (UTC unless serve --timezone).
	Zone    string
	Notices []incident.Notice
}

// scorecardView is a drill scorecard as the page shows it.
type scorecardView struct {
	*incident.Scorecard
	Rows []scoreRow
}

type scoreRow struct {
	incident.Score
	Target, Reached, Elapsed string
}

func newScorecardView(sc *incident.Scorecard) *scorecardView {
	v := &scorecardView{Scorecard: sc}
	for _, s := range sc.Scores {
		r := scoreRow{Score: s, Target: "—", Reached: "not yet", Elapsed: "—"}
		if s.Target != nil {
			r.Target = s.Target.UTC().Format("2006-01-02 15:04 UTC")
		}
		if s.Reached != nil {
			r.Reached = s.Reached.UTC().Format("2006-01-02 15:04 UTC")
		}
		if s.Elapsed != nil {
			r.Elapsed = span(time.Duration(*s.Elapsed) * time.Second)
		}
		v.Rows = append(v.Rows, r)
	}
	return v
}

func (h *handler) incidentPage(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	inc, err := h.incidents().Get(r.Context(), id)
	if err != nil {
		return err
	}
	d := incidentPageData{Inc: inc, Clocks: clocks(inc.Reports, h.Now(), h.IncidentLocation), Products: map[int64]string{}, Zone: "UTC"}
	if loc := h.IncidentLocation; loc != nil && loc != time.UTC {
		d.Zone = loc.String()
	}
	p := identity.FromContext(r.Context())
	d.CanEdit = len(inc.Products) > 0 && p.Can(inc.Products[0], identity.PermWrite)
	past := true
	for _, ph := range incident.Phases {
		if !past {
			d.Next = append(d.Next, ph)
		}
		if ph == inc.Phase {
			past = false
		}
	}
	for _, pid := range inc.Products {
		if pr, err := h.Store.Product(r.Context(), pid); err == nil {
			d.Products[pid] = pr.Name
		}
	}
	if inc.Drill {
		sc, err := h.incidents().Scorecard(r.Context(), id)
		if err != nil {
			return err
		}
		d.Scorecard = newScorecardView(sc)
	}
	if d.CanEdit {
		if d.Notices, err = h.Store.Notifications(r.Context(), id); err != nil {
			return err
		}
	}
	h.render(w, r, http.StatusOK, "incident", view{Title: fmt.Sprintf("Incident %d", inc.ID), Nav: "incidents", Flash: r.URL.Query().Get("flash"), Data: d})
	return nil
}

// formTime parses a datetime-local value as UTC (the page says so).
func formTime(field, s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, fault.Invalid(field, "%q is not a date and time (YYYY-MM-DDTHH:MM, UTC)", s)
}

func (h *handler) backToIncident(w http.ResponseWriter, r *http.Request, id int64, err error, ok string) error {
	return afterSave(w, r, fmt.Sprintf("/incidents/%d", id), err, ok)
}

func (h *handler) incidentUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	var p incident.Patch
	if v := r.PostFormValue("phase"); v != "" {
		ph := incident.Phase(v)
		p.Phase = &ph
	}
	if v, ok := r.PostForm["owner"]; ok {
		o := strings.TrimSpace(v[0])
		p.Owner = &o
	}
	t, err := formTime("corrective_measure_at", r.PostFormValue("corrective_measure_at"))
	if err == nil {
		p.CorrectiveMeasureAt = t
		_, err = h.incidents().Update(r.Context(), id, p)
	}
	return h.backToIncident(w, r, id, err, "Saved.")
}

func (h *handler) incidentSubmission(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	kind, err := incident.ParseReportKind(r.PostFormValue("kind"))
	if err == nil {
		var at *time.Time
		if at, err = formTime("submitted_at", r.PostFormValue("submitted_at")); err == nil {
			_, err = h.incidents().Submit(r.Context(), id, kind, at, r.PostFormValue("reference"))
		}
	} else {
		err = fault.Invalid("kind", "%v", err)
	}
	return h.backToIncident(w, r, id, err, "Submission recorded.")
}

type reportFormData struct {
	Title, Description, Product, Contact string
	Exploited                            bool
	Receipt                              *incident.IntakeReceipt
	StatusLink                           string
	PreCSRF                              string
}

func (h *handler) reportForm(w http.ResponseWriter, r *http.Request) error {
	h.render(w, r, http.StatusOK, "intake", view{Title: "Report a vulnerability", Data: reportFormData{PreCSRF: h.preCSRF(w, r)}})
	return nil
}

func (h *handler) reportSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var mbe *http.MaxBytesError
		status := http.StatusBadRequest
		if errors.As(err, &mbe) {
			status = http.StatusRequestEntityTooLarge
		}
		h.render(w, r, status, "intake", view{Title: "Report a vulnerability", Error: "The report could not be read: it is too large or malformed (attachments up to 1 MiB).", Data: reportFormData{PreCSRF: h.preCSRF(w, r)}})
		return nil
	}
	d := reportFormData{Title: r.PostFormValue("title"), Description: r.PostFormValue("description"), Product: r.PostFormValue("product"),
		Contact: r.PostFormValue("contact"), Exploited: r.PostFormValue("exploited") == "yes"}
	if !checkPreCSRF(r) {
		d.PreCSRF = h.preCSRF(w, r)
		h.render(w, r, http.StatusForbidden, "intake", view{Title: "Report a vulnerability", Error: "The form expired. Please send it again.", Data: d})
		return nil
	}
	x := incident.IntakeInput{Title: d.Title, Description: d.Description, Product: d.Product, Contact: d.Contact, Exploited: d.Exploited, Source: web.ClientIP(r)}
	if f, hdr, err := r.FormFile("attachment"); err == nil {
		defer f.Close()
		buf := make([]byte, incident.MaxIntakeAttachment+1)
		n, _ := readFull(f, buf)
		x.Attachment, x.AttachmentName = buf[:n], hdr.Filename
	}
	rec, err := h.intake().Submit(r.Context(), x)
	if err != nil {
		status := web.Status(err)
		if status >= 500 {
			return err
		}
		d.PreCSRF = h.preCSRF(w, r)
		h.render(w, r, status, "intake", view{Title: "Report a vulnerability", Error: err.Error(), Data: d})
		return nil
	}
	h.render(w, r, http.StatusCreated, "intake", view{Title: "Report received", Data: reportFormData{Receipt: rec, StatusLink: rec.StatusURL}})
	return nil
}

func readFull(f interface{ Read([]byte) (int, error) }, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (h *handler) reportStatus(w http.ResponseWriter, r *http.Request) error {
	rep, err := h.intake().Status(r.Context(), r.PathValue("tracking"), r.URL.Query().Get("token"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	h.render(w, r, http.StatusOK, "intake_status", view{Title: "Report " + rep.TrackingID, Data: map[string]any{"R": rep, "Updated": strconv.Quote(rep.UpdatedAt.Format(time.RFC3339))}})
	return nil
}

func (h *handler) incidentTask(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	due, err := formTime("due", r.PostFormValue("due"))
	if err == nil {
		_, err = h.incidents().AddTask(r.Context(), id, incident.Task{Title: r.PostFormValue("title"), Owner: strings.TrimSpace(r.PostFormValue("owner")), Due: due})
	}
	return h.backToIncident(w, r, id, err, "Task added.")
}

// incidentTaskDone marks a task done, or open again (done=0).
func (h *handler) incidentTaskDone(w http.ResponseWriter, r *http.Request) error {
	id, taskID, err := web.PathIDs(r, "id", "task")
	if err != nil {
		return err
	}
	done := r.PostFormValue("done") != "0"
	_, err = h.incidents().SetTaskDone(r.Context(), id, taskID, done)
	msg := "Task done."
	if !done {
		msg = "Task open again."
	}
	return h.backToIncident(w, r, id, err, msg)
}

type intakeRow struct {
	incident.IntakeReport
	Product string
}

func (h *handler) intakeList(w http.ResponseWriter, r *http.Request) error {
	list, err := h.intake().List(r.Context(), web.ReadableProducts(r))
	if err != nil {
		return err
	}
	names := map[int64]string{}
	rows := make([]intakeRow, len(list))
	for i, rep := range list {
		rows[i] = intakeRow{IntakeReport: rep}
		if rep.ProductID == 0 {
			continue
		}
		if _, ok := names[rep.ProductID]; !ok {
			if p, err := h.Store.Product(r.Context(), rep.ProductID); err == nil {
				names[rep.ProductID] = p.Name
			}
		}
		rows[i].Product = names[rep.ProductID]
	}
	p := identity.FromContext(r.Context())
	canTriage := p != nil && p.Role.Allows(identity.RoleEditor)
	h.render(w, r, http.StatusOK, "intake_list", view{Title: "Received reports", Nav: "incidents", Flash: r.URL.Query().Get("flash"),
		Data: map[string]any{"Items": rows, "CanTriage": canTriage}})
	return nil
}

func (h *handler) intakeTriage(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	rep, err := h.intake().Triage(r.Context(), id, r.PostFormValue("kind"))
	if err != nil && web.Status(err) >= 500 {
		return err
	}
	msg := "Not saved: "
	switch {
	case err != nil:
		msg += err.Error()
	case rep.IncidentID != 0:
		redirectFlash(w, r, fmt.Sprintf("/incidents/%d", rep.IncidentID), "Opened from report "+rep.TrackingID+".")
		return nil
	default:
		msg = "Report " + rep.TrackingID + " " + rep.Status + "."
	}
	redirectFlash(w, r, "/intake", msg)
	return nil
}

func (h *handler) subscribersPage(w http.ResponseWriter, r *http.Request) error {
	id, p, err := h.routeProduct(r)
	if err != nil {
		return err
	}
	subs, err := h.Store.Subscribers(r.Context(), id)
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "subscribers", view{Title: "Subscribers of " + p.Name, Nav: "portfolio", Flash: r.URL.Query().Get("flash"),
		Data: map[string]any{"Product": p, "Items": subs}})
	return nil
}

func (h *handler) subscriberAdd(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	var err error
	addr := strings.TrimSpace(r.PostFormValue("address"))
	email, hook := addr, ""
	if strings.HasPrefix(addr, "http://") || strings.HasPrefix(addr, "https://") {
		email, hook = "", addr
	}
	_, err = incident.Subscribe(r.Context(), h.Store, id, email, hook, h.Now())
	return afterSave(w, r, fmt.Sprintf("/products/%d/subscribers", id), err, "Subscriber added.")
}

// intake is the vulnerability-report intake service.
func (h *handler) intake() *incident.Intake {
	return incident.NewIntake(incident.New(h.Store, nil, incident.Options{Notify: h.Store, Location: h.IncidentLocation}), h.Store, h.IntakeKey)
}
