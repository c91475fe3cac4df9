package ui

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/spool"
	"github.com/rampart-security/rampart/internal/vuln"
)

// findingRoutes are the findings list and dashboard, finding detail,
// triage and report upload.
func (h *handler) findingRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/findings", Need: identity.RoleViewer, Do: h.findings},
		{Method: "POST", Pattern: "/findings/triage", Need: identity.RoleViewer, Do: h.triage},
		{Method: "GET", Pattern: "/findings/{id}", Product: web.FindingPath(h.Store, "id"), Perm: identity.PermRead, Do: h.finding},
		{Method: "POST", Pattern: "/releases/{id}/scans", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermWrite, MaxBody: h.MaxUpload + 1<<20, Do: h.uploadScan},
	}
}

type findingsData struct {
	Trend    []trendBar
	TrendMax int
	Items    []findings.Stored
	Next     string
	Query    url.Values
	Stats    findings.Stats
	Chart    []bar
	Products []productOption
	CanEdit  bool
	Statuses []findings.Status
	Sev      []findings.Severity
}

type productOption struct {
	ID   int64
	Name string
}

// bar is one bar of an SVG chart.
type bar struct {
	Label        string
	Value        int
	X, W, Y, H   int
	Class        string
	LabelX, ValY int
}

// severityBars lays out a bar chart of active findings by severity.
func severityBars(st findings.Stats) []bar {
	sevs := []findings.Severity{findings.Critical, findings.High, findings.Medium, findings.Low, findings.Info}
	maxV := 1
	for _, s := range sevs {
		maxV = max(maxV, st.ActiveBySeverity[s])
	}
	const height, width, gap = 110, 56, 18
	out := make([]bar, len(sevs))
	for i, s := range sevs {
		v := st.ActiveBySeverity[s]
		h := v * height / maxV
		if v > 0 && h < 3 {
			h = 3
		}
		x := 10 + i*(width+gap)
		out[i] = bar{Label: string(s), Value: v, X: x, W: width, Y: 20 + height - h, H: h, Class: "sev-" + string(s), LabelX: x + width/2, ValY: 14 + height - h}
	}
	return out
}

// trendBar is one day of the active-findings trend: stacked severity
// segments, laid out for a 600×150 SVG.
type trendBar struct {
	Day      string
	Total    int
	X, W     int
	Segments []bar
}

// trendBars lays out stacked bars per day (critical at the bottom).
func trendBars(points []findings.TrendPoint) ([]trendBar, int) {
	sevs := []findings.Severity{findings.Critical, findings.High, findings.Medium, findings.Low, findings.Info}
	maxV := 1
	for _, p := range points {
		maxV = max(maxV, p.Total)
	}
	const height, width = 120, 600
	w := width / max(len(points), 30)
	out := make([]trendBar, len(points))
	for i, p := range points {
		tb := trendBar{Day: p.Day, Total: p.Total, X: 10 + i*w, W: max(w-2, 2)}
		y := 130
		for _, s := range sevs {
			h := p.BySeverity[s] * height / maxV
			if h == 0 {
				continue
			}
			y -= h
			tb.Segments = append(tb.Segments, bar{Label: string(s), Value: p.BySeverity[s], X: tb.X, W: tb.W, Y: y, H: h, Class: "sev-" + string(s)})
		}
		out[i] = tb
	}
	return out, maxV
}

func (h *handler) findings(w http.ResponseWriter, r *http.Request) error {
	fq, err := web.FindingQuery(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if !q.Has("status") {
		fq.Status = "active"
		q.Set("status", "active")
	}
	fq.Limit = 50
	d := findingsData{Query: q, CanEdit: identity.FromContext(r.Context()).CanAny(identity.PermWrite), Statuses: findings.Statuses,
		Sev: []findings.Severity{findings.Critical, findings.High, findings.Medium, findings.Low, findings.Info}}
	var v view
	d.Items, d.Next, err = h.Store.Findings(r.Context(), fq)
	if err != nil {
		if web.Status(err) >= 500 {
			return err
		}
		v.Error = err.Error()
	}
	if d.Stats, err = h.Store.FindingStats(r.Context(), fq.ProductID, web.ReadableProducts(r)); err != nil {
		return err
	}
	d.Chart = severityBars(d.Stats)
	points, err := h.Store.FindingTrend(r.Context(), h.Now().AddDate(0, 0, -60), fq.ProductID, web.ReadableProducts(r))
	if err != nil {
		return err
	}
	d.Trend, d.TrendMax = trendBars(points)
	products, _, err := h.Store.ProductsIn(r.Context(), web.ReadableProducts(r), "", 500)
	if err != nil {
		return err
	}
	for _, p := range products {
		d.Products = append(d.Products, productOption{p.ID, p.Name})
	}
	v.Title, v.Nav, v.Flash, v.Data = "Findings", "findings", q.Get("flash"), d
	h.render(w, r, http.StatusOK, "findings", v)
	return nil
}

// Link returns the findings URL with one filter changed (cursor reset).
func (d findingsData) Link(key, value string) template.URL {
	q := url.Values{}
	for k, v := range d.Query {
		q[k] = v
	}
	q.Del("cursor")
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	return template.URL("/findings?" + q.Encode())
}

// NextLink returns the URL of the next page.
func (d findingsData) NextLink() template.URL {
	q := url.Values{}
	for k, v := range d.Query {
		q[k] = v
	}
	q.Set("cursor", d.Next)
	return template.URL("/findings?" + q.Encode())
}

func (h *handler) triage(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return fault.Invalid("", "form: %v", err)
	}
	var in portfolio.TriageInput
	for _, s := range r.PostForm["ids"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fault.Invalid("", "finding id %q", s)
		}
		in.IDs = append(in.IDs, id)
	}
	in.Status, in.Reason, in.AcceptedUntil, in.Approver, in.Comment = r.PostFormValue("status"), r.PostFormValue("reason"),
		r.PostFormValue("accepted_until"), r.PostFormValue("approver"), r.PostFormValue("comment")
	if r.PostForm.Has("assignee") && r.PostFormValue("assignee") != "" {
		a := strings.TrimSpace(r.PostFormValue("assignee"))
		if a == "-" {
			a = ""
		}
		in.Assignee = &a
	}
	back := localPath(r.PostFormValue("back"))
	u, err := in.Update()
	if err == nil {
		err = portfolio.CheckFindingsWritable(r.Context(), h.Store, in.IDs)
	}
	if err == nil {
		err = portfolio.ApplyTriage(r.Context(), h.Store, in, u, h.Now())
	}
	msg := fmt.Sprintf("Updated %d finding(s).", len(in.IDs))
	if err != nil {
		if web.Status(err) >= 500 {
			return err
		}
		msg = "Not updated: " + err.Error()
	}
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(w, r, back+sep+"flash="+url.QueryEscape(msg), http.StatusSeeOther)
	return nil
}

type findingData struct {
	F        findings.Stored
	History  []findings.Event
	CanEdit  bool
	Statuses []findings.Status
	Back     string
	// Match is the SBOM match the finding is linked to.
	Match *vuln.ReleaseVuln
}

func (h *handler) finding(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	fd, err := portfolio.LoadFindingDetail(r.Context(), h.Store, id)
	if err != nil {
		return err
	}
	f := fd.Stored
	d := findingData{F: f, History: fd.History, CanEdit: canWrite(r, f.ProductID), Statuses: findings.Statuses, Back: fmt.Sprintf("/findings/%d", id)}
	if l := f.LinkedMatch; l != nil {
		ms, err := h.Store.ReleaseVulns(r.Context(), f.ReleaseID)
		if err != nil {
			return err
		}
		for i := range ms {
			if ms[i].ComponentRef == l.ComponentRef && ms[i].VulnID == l.VulnerabilityID {
				d.Match = &ms[i]
			}
		}
	}
	h.render(w, r, http.StatusOK, "finding", view{Title: f.Finding.Title, Nav: "findings", Flash: r.URL.Query().Get("flash"), Data: d})
	return nil
}

func (h *handler) uploadScan(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := h.Store.Release(r.Context(), id); err != nil {
		return err
	}
	var res findings.ScanResult
	file, fname, err := web.Upload(r, "report", h.MaxUpload, "report")
	if err != nil && !errors.Is(err, spool.ErrTooLarge) {
		err = fault.Invalid("", "choose a scanner report to upload")
	} else {
		defer file.Close()
		res, err = portfolio.ImportScan(r.Context(), h.Store, portfolio.ScanRequest{ReleaseID: id, FileName: fname, Tool: r.PostFormValue("tool"),
			Scope: strings.TrimSpace(r.PostFormValue("scope")), Actor: identity.FromContext(r.Context()).Name, Report: file,
			Partial: r.PostFormValue("partial") == "true"})
		h.OnImport("scan", err)
	}
	if err == nil {
		h.Log.Info("scan imported", "release", id, "tool", res.Tool, "findings", res.Findings, "user", identity.FromContext(r.Context()).Name)
		h.gateAfter(r.Context(), id, "scan")
	}
	v := view{Data: scanResultData{Result: res}}
	if err != nil {
		v.Error = err.Error()
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if terr := h.pages["release"].ExecuteTemplate(w, "scan-result", v); terr != nil {
			h.Log.Error("render scan result", "err", terr)
		}
		return nil
	}
	msg := fmt.Sprintf("Imported %d findings from %s: new %d, unchanged %d, reopened %d, closed %d", res.Findings, res.Tool, res.New, res.Unchanged, res.Reopened, res.Closed)
	switch {
	case res.PartialReason != "":
		msg += " (partial scan, nothing closed: the report says its scan did not complete: " + res.PartialReason + ")"
	case res.Partial:
		msg += " (partial scan: nothing closed)"
	}
	if err != nil {
		msg = "Import failed: " + err.Error()
	}
	redirectFlash(w, r, fmt.Sprintf("/releases/%d", id), msg)
	return nil
}

type scanResultData struct {
	Result findings.ScanResult
}
