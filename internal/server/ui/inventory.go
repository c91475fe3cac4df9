package ui

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/notify"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/sdl"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/spool"
	"github.com/rampart-security/rampart/internal/vuln"
)

type portfolioData struct {
	Vulns      vuln.Summary
	VulnDB     vuln.DBStatus
	Events     []notify.Event
	Products   []inventory.Product
	Next       string
	Releases   int
	Components int
	CanEdit    bool
	// Form is the new-product form's input, kept when it was refused.
	Form inventory.Product
}

func canEdit(r *http.Request) bool {
	p := identity.FromContext(r.Context())
	return p != nil && p.Role.Allows(identity.RoleEditor)
}

// canWrite reports whether the caller may change a product.
func canWrite(r *http.Request, productID int64) bool {
	return identity.FromContext(r.Context()).Can(productID, identity.PermWrite)
}

func (h *handler) portfolio(w http.ResponseWriter, r *http.Request) error {
	products, next, err := h.Store.ProductsIn(r.Context(), web.ReadableProducts(r), r.URL.Query().Get("cursor"), 100)
	if err != nil {
		return err
	}
	d := portfolioData{Products: products, Next: next, CanEdit: canEdit(r)}
	if d.Vulns, err = h.Store.VulnSummary(r.Context(), web.ReadableProducts(r)); err != nil {
		return err
	}
	if d.VulnDB, err = h.Store.VulnDBStatus(r.Context()); err != nil {
		return err
	}
	if d.Events, err = h.Store.Events(r.Context(), 8, web.ReadableProducts(r)); err != nil {
		return err
	}
	for _, p := range products {
		d.Releases += p.Releases
		d.Components += p.Components
	}
	h.render(w, r, http.StatusOK, "portfolio", view{Title: "Portfolio", Nav: "portfolio", Flash: r.URL.Query().Get("flash"), Data: d})
	return nil
}

func (h *handler) createProduct(w http.ResponseWriter, r *http.Request) error {
	crit, err := formNumber(r, "criticality")
	p := inventory.Product{Name: r.PostFormValue("name"), Description: r.PostFormValue("description"), Owner: r.PostFormValue("owner"),
		Criticality: int(crit), Exposure: inventory.Exposure(r.PostFormValue("exposure"))}
	if err == nil {
		err = portfolio.CreateProduct(r.Context(), h.Store, &p)
	}
	if err != nil {
		products, next, lerr := h.Store.ProductsIn(r.Context(), web.ReadableProducts(r), "", 100)
		if lerr != nil {
			return lerr
		}
		h.render(w, r, web.Status(err), "portfolio", view{Title: "Portfolio", Nav: "portfolio", Error: "Could not create the product: " + err.Error(),
			Data: portfolioData{Products: products, Next: next, CanEdit: true, Form: p}})
		return nil
	}
	http.Redirect(w, r, fmt.Sprintf("/products/%d", p.ID), http.StatusSeeOther)
	return nil
}

type productData struct {
	Product  inventory.Product
	Releases []inventory.Release
	Next     string
	CanEdit  bool
	// Dedup is the product's duplicate definition; DedupChoices the fields.
	Dedup        map[string]bool
	DedupChoices []string
	// Policy is the gate card (policy in effect, approved lists); SAMM the
	// secure-development record; Checklists each release's SDL checklist.
	Policy     *productPolicy
	SAMM       *sammData
	Checklists map[int64][]checklistRow
	Activities []sdl.Activity
	Functions  []string
	// MaxAcceptance is the product's own maximum risk-acceptance duration
	// in days (0: the default), EffectiveAcceptance what applies;
	// CanManage whether the caller may change it.
	MaxAcceptance, EffectiveAcceptance int
	CanManage                          bool
	// Risk holds each release's vulnerability counts (absent: none).
	Risk map[int64]*vuln.ReleaseRiskRow
}

// barSegment is one severity's part of a release's bar chart.
type barSegment struct {
	Severity string
	Count    int
	X, W     float64
}

// releaseBar is a release's SBOM matches as a stacked bar, scaled to the
// product's release with the most matches.
type releaseBar struct {
	Row      *vuln.ReleaseRiskRow
	Segments []barSegment
	Label    string
}

// barWidth is the width of the release bar chart's SVG viewBox.
const barWidth = 160

// Bar returns the chart of release id's matches by severity.
func (d productData) Bar(id int64) releaseBar {
	row := d.Risk[id]
	if row == nil {
		return releaseBar{Row: &vuln.ReleaseRiskRow{}, Label: "no known vulnerabilities"}
	}
	most := 1
	for _, r := range d.Risk {
		most = max(most, r.SBOMMatches)
	}
	b := releaseBar{Row: row}
	x := 0.0
	var parts []string
	for _, sev := range []string{"critical", "high", "medium", "low", "none", "unknown"} {
		n := row.Matches[sev]
		if n == 0 {
			continue
		}
		w := float64(n) / float64(most) * barWidth
		b.Segments = append(b.Segments, barSegment{Severity: sev, Count: n, X: x, W: w})
		x += w
		parts = append(parts, fmt.Sprintf("%d %s", n, sev))
	}
	b.Label = "SBOM matches: none"
	if len(parts) > 0 {
		b.Label = "SBOM matches: " + strings.Join(parts, ", ")
	}
	return b
}

// routeProduct loads the product the route guard resolved and authorised
// (web.ProductID) and returns it with its id.
func (h *handler) routeProduct(r *http.Request) (int64, inventory.Product, error) {
	id := web.ProductID(r)
	p, err := h.Store.Product(r.Context(), id)
	return id, p, err
}

func (h *handler) product(w http.ResponseWriter, r *http.Request) error {
	id, p, err := h.routeProduct(r)
	if err != nil {
		return err
	}
	rels, next, err := h.Store.Releases(r.Context(), id, r.URL.Query().Get("cursor"), 100)
	if err != nil {
		return err
	}
	fields, err := h.Store.ProductDedup(r.Context(), id)
	if err != nil {
		return err
	}
	maxDays, err := h.Store.ProductMaxAcceptance(r.Context(), id)
	if err != nil {
		return err
	}
	d := productData{Product: p, Releases: rels, Next: next, CanEdit: canWrite(r, id), Dedup: map[string]bool{}, DedupChoices: findings.DedupFields,
		MaxAcceptance: maxDays, EffectiveAcceptance: findings.EffectiveMaxAcceptance(maxDays),
		CanManage: identity.FromContext(r.Context()).Can(id, identity.PermManage)}
	for _, f := range fields {
		d.Dedup[f] = true
	}
	if d.Risk, err = h.Store.ProductReleaseRisk(r.Context(), id, h.Now().UTC()); err != nil {
		return err
	}
	if d.Policy, err = h.productPolicy(r.Context(), r, id); err != nil {
		return err
	}
	if d.SAMM, err = h.productSAMM(r.Context(), id); err != nil {
		return err
	}
	d.Activities, d.Functions, d.Checklists = sdl.Activities, sammFunctions, map[int64][]checklistRow{}
	for _, rel := range rels {
		if d.Checklists[rel.ID], err = h.releaseChecklist(r.Context(), rel.ID); err != nil {
			return err
		}
	}
	h.render(w, r, http.StatusOK, "product", view{Title: p.Name, Nav: "portfolio", Error: r.URL.Query().Get("error"),
		Flash: r.URL.Query().Get("flash"), Data: d})
	return nil
}

// setDedup stores which fields define a duplicate for the product.
func (h *handler) setDedup(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	if err := r.ParseForm(); err != nil {
		return fault.Invalid("", "form: %v", err)
	}
	fields := r.PostForm["fields"]
	back := fmt.Sprintf("/products/%d", id)
	if err := portfolio.SetDedup(r.Context(), h.Store, id, fields); err != nil {
		return redirectError(w, r, back, "error", err)
	}
	msg := "Duplicates are now found by the fingerprint rules."
	if len(fields) > 0 {
		msg = "Duplicates now share: " + strings.Join(fields, ", ") + "."
	}
	redirectFlash(w, r, back, msg)
	return nil
}

// setMaxAcceptance stores the product's maximum risk-acceptance duration
// (owners and administrators).
func (h *handler) setMaxAcceptance(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	var err error
	back := fmt.Sprintf("/products/%d", id)
	raw := strings.TrimSpace(r.PostFormValue("max_days"))
	days := 0
	if raw != "" {
		if days, err = strconv.Atoi(raw); err != nil {
			redirectWith(w, r, back, "error", fmt.Sprintf("maximum acceptance: %q is not a number of days", raw))
			return nil
		}
	}
	if _, err := portfolio.SetMaxAcceptance(r.Context(), h.Store, id, days); err != nil {
		return redirectError(w, r, back, "error", err)
	}
	redirectFlash(w, r, back, fmt.Sprintf("Risks on this product may now be accepted for at most %d days.", findings.EffectiveMaxAcceptance(days)))
	return nil
}

func (h *handler) createRelease(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	var err error
	rel := inventory.Release{ProductID: id, Version: r.PostFormValue("version"), Status: inventory.ReleaseStatus(r.PostFormValue("status"))}
	if rel.ReleaseDate, err = portfolio.ParseDate("release_date", r.PostFormValue("release_date")); err == nil {
		rel.SupportEnd, err = portfolio.ParseDate("support_end", r.PostFormValue("support_end"))
	}
	if err == nil {
		err = portfolio.CreateRelease(r.Context(), h.Store, &rel)
	}
	if err != nil {
		if web.Status(err) >= 500 {
			return err
		}
		redirectWith(w, r, fmt.Sprintf("/products/%d", id), "error", "Could not create the release: "+err.Error())
		return nil
	}
	http.Redirect(w, r, fmt.Sprintf("/releases/%d", rel.ID), http.StatusSeeOther)
	return nil
}

type releaseData struct {
	Release    inventory.Release
	Components []inventory.Component
	Next       string
	Filter     string
	Sort       string
	Desc       bool
	Cursor     string
	CanEdit    bool
	Result     *portfolio.ImportResult
	Vulns      []vuln.ReleaseVuln
	// VulnPage is the page of Vulns shown, VQ its filter and sort, Query
	// the page's whole query (links keep every filter); Counts the SBOM
	// matches, scanner findings and linked findings.
	VulnPage portfolio.ReleaseVulnPage
	VQ       portfolio.ReleaseVulnQuery
	Query    url.Values
	Counts   vuln.RiskCounts
	// VulnError is a refused filter of the vulnerability table.
	VulnError string
	Justify   []string
	Gate      *portfolio.GateView
	GateErr   string
	// GateMsg is the error of a gate form (exception, checklist) sent back.
	GateMsg string
	// CanManage: the caller may approve exceptions; Me names the caller
	// (a requester cannot decide their own request).
	CanManage bool
	Me        string
	// Scans is the release's scan history, newest first (the latest
	// historyScans); MoreScans says the store holds more.
	Scans     []findings.Scan
	MoreScans bool
	// ExceptionUntil is the exception form's default expiry, ExceptionMax the latest allowed.
	ExceptionUntil, ExceptionMax string
	Checklist                    []checklistRow
	// Edit holds the edit form's values (the release's, or what was
	// posted when it was refused); CanManage also allows deleting it.
	Edit      releaseForm
	EditError string
}

// releaseForm is the edit form of a release.
type releaseForm struct {
	Version, ReleaseDate, SupportEnd, Status string
}

func formOf(rel inventory.Release) releaseForm {
	f := releaseForm{Version: rel.Version, Status: string(rel.Status)}
	if rel.ReleaseDate != nil {
		f.ReleaseDate = rel.ReleaseDate.Format("2006-01-02")
	}
	if rel.SupportEnd != nil {
		f.SupportEnd = rel.SupportEnd.Format("2006-01-02")
	}
	return f
}

// column is one header of the components table.
type column struct {
	Key, Label, Mark string
	Sortable, Active bool
	Link             template.URL
}

// Columns returns the table headers with sort links: clicking the active
// column flips the order; another column sorts ascending.
func (d releaseData) Columns() []column {
	cols := []column{{Key: "name", Label: "Name"}, {Key: "version", Label: "Version"}, {Key: "type", Label: "Type"}, {Key: "purl", Label: "purl / CPE"}, {Label: "Licences"}}
	for i := range cols {
		c := &cols[i]
		if c.Key == "" {
			continue
		}
		c.Sortable = true
		order := ""
		if c.Key == d.Sort {
			c.Active = true
			c.Mark = " ▲"
			order = "desc"
			if d.Desc {
				c.Mark, order = " ▼", ""
			}
		}
		v := cloneValues(d.Query)
		v.Del("cursor")
		v.Set("sort", c.Key)
		v.Del("order")
		if order != "" {
			v.Set("order", order)
		}
		if d.Filter != "" {
			v.Set("filter", d.Filter)
		}
		c.Link = template.URL("?" + v.Encode())
	}
	return cols
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		if k == "flash" || k == "gate_error" {
			continue
		}
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// vulnLink is the page with the vulnerability table's parameters changed
// (an empty value removes one), every other parameter kept.
func (d releaseData) vulnLink(kv ...string) template.URL {
	v := cloneValues(d.Query)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Del(kv[i])
		} else {
			v.Set(kv[i], kv[i+1])
		}
	}
	enc := v.Encode()
	if enc != "" {
		enc = "?" + enc
	}
	return template.URL(fmt.Sprintf("/releases/%d%s#vulns", d.Release.ID, enc))
}

// VulnSortLink sorts the vulnerability table by key (again: reversed),
// from the first page.
func (d releaseData) VulnSortLink(key string) template.URL {
	order := ""
	if d.VQ.Sort == key && !d.VQ.Desc {
		order = "desc"
	}
	return d.vulnLink("vsort", key, "vorder", order, "vpage", "")
}

// VulnSortMark is the arrow of the column the table is sorted by.
func (d releaseData) VulnSortMark(key string) string {
	if d.VQ.Sort != key {
		return ""
	}
	if d.VQ.Desc {
		return " ▲"
	}
	return " ▼"
}

// VulnPageLink is page n of the vulnerability table.
func (d releaseData) VulnPageLink(n int) template.URL {
	return d.vulnLink("vpage", strconv.Itoa(n))
}

// VulnHidden are the page's parameters the vulnerability filter form does
// not set, kept as hidden fields.
func (d releaseData) VulnHidden() [][2]string {
	var out [][2]string
	for k, vs := range cloneValues(d.Query) {
		switch k {
		case "vsev", "vkev", "vvex", "vfix", "vq", "vpage":
			continue
		}
		for _, v := range vs {
			out = append(out, [2]string{k, v})
		}
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) })
	return out
}

// VulnLinkClear is the page without the vulnerability table's filters.
func (d releaseData) VulnLinkClear() template.URL {
	return d.vulnLink("vsev", "", "vkev", "", "vvex", "", "vfix", "", "vq", "", "vpage", "")
}

// VulnFiltered reports whether any filter of the vulnerability table is set.
func (d releaseData) VulnFiltered() bool {
	q := d.VQ
	return q.Severity != "" || q.KEV || q.VEX != "" || q.Fix != "" || q.Search != ""
}

// historyScans is how many imports the release page's scan history shows.
const historyScans = 20

func (h *handler) release(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	return h.renderRelease(w, r, id, http.StatusOK, nil, "")
}

// renderRelease renders the release page; form and editErr carry a
// refused edit back to its form.
func (h *handler) renderRelease(w http.ResponseWriter, r *http.Request, id int64, status int, form *releaseForm, editErr string) error {
	rel, err := h.Store.Release(r.Context(), id)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := releaseData{Release: rel, Filter: q.Get("filter"), Sort: q.Get("sort"), Desc: q.Get("order") == "desc", Cursor: q.Get("cursor"), CanEdit: canWrite(r, rel.ProductID),
		CanManage: identity.FromContext(r.Context()).Can(rel.ProductID, identity.PermManage), Edit: formOf(rel), EditError: editErr}
	if form != nil {
		d.Edit = *form
	}
	if d.Sort == "" {
		d.Sort = "name"
	}
	d.Components, d.Next, err = h.Store.Components(r.Context(), inventory.ComponentQuery{ReleaseID: id, Filter: d.Filter, Sort: d.Sort, Desc: d.Desc, After: d.Cursor, Limit: 50})
	if err != nil {
		return err
	}
	d.Query = q
	d.VQ = portfolio.ReleaseVulnQuery{Severity: q.Get("vsev"), KEV: q.Get("vkev") == "1", VEX: q.Get("vvex"), Fix: q.Get("vfix"), Search: q.Get("vq"),
		Sort: q.Get("vsort"), Desc: q.Get("vorder") == "desc"}
	d.VQ.Page, _ = strconv.Atoi(q.Get("vpage"))
	if d.VulnPage, err = portfolio.ReleaseVulns(r.Context(), h.Store, id, d.VQ); err != nil {
		if web.Status(err) >= 500 {
			return err
		}
		// A bad filter in a hand-edited link: show the table unfiltered.
		d.VulnError = err.Error()
		d.VQ = portfolio.ReleaseVulnQuery{}
		if d.VulnPage, err = portfolio.ReleaseVulns(r.Context(), h.Store, id, d.VQ); err != nil {
			return err
		}
	}
	d.Vulns = d.VulnPage.Items
	if d.Counts, err = h.Store.ReleaseRiskCounts(r.Context(), id); err != nil {
		return err
	}
	d.Justify = justifications
	d.Gate, d.GateErr = h.releaseGate(r.Context(), id)
	d.GateMsg = q.Get("gate_error")
	p := identity.FromContext(r.Context())
	d.CanManage, d.Me = p.Can(rel.ProductID, identity.PermManage), p.Name
	today := h.Now().UTC()
	d.ExceptionUntil, d.ExceptionMax = today.AddDate(0, 0, 30).Format(time.DateOnly), today.AddDate(0, 0, portfolio.MaxExceptionDays).Format(time.DateOnly)
	if d.Checklist, err = h.releaseChecklist(r.Context(), id); err != nil {
		return err
	}
	if d.Scans, err = h.Store.Scans(r.Context(), id); err != nil {
		return err
	}
	if len(d.Scans) > historyScans {
		d.Scans, d.MoreScans = d.Scans[:historyScans], true
	}
	h.render(w, r, status, "release", view{Title: rel.ProductName + " " + rel.Version, Nav: "portfolio", Flash: q.Get("flash"), Data: d})
	return nil
}

// editRelease applies the release edit form.
func (h *handler) editRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	f := releaseForm{Version: r.PostFormValue("version"), ReleaseDate: r.PostFormValue("release_date"), SupportEnd: r.PostFormValue("support_end"), Status: r.PostFormValue("status")}
	status := inventory.ReleaseStatus(f.Status)
	rel, err := portfolio.UpdateRelease(r.Context(), h.Store, id, portfolio.ReleasePatch{Version: &f.Version, ReleaseDate: &f.ReleaseDate, SupportEnd: &f.SupportEnd, Status: &status}, h.Now())
	if err != nil {
		st := web.Status(err)
		if st == http.StatusNotFound || st == http.StatusInternalServerError {
			return err
		}
		return h.renderRelease(w, r, id, st, &f, err.Error())
	}
	redirectFlash(w, r, fmt.Sprintf("/releases/%d", id), fmt.Sprintf("Release %s saved: %s", rel.Version, rel.Status))
	return nil
}

// deleteRelease deletes a release once the confirmation box is ticked.
func (h *handler) deleteRelease(w http.ResponseWriter, r *http.Request) error {
	rel, err := web.PathObject(r, "id", h.Store.Release)
	if err != nil {
		return err
	}
	id := rel.ID
	if r.PostFormValue("confirm") != "yes" {
		return h.renderRelease(w, r, id, http.StatusBadRequest, nil, "Tick the confirmation to delete this release with its components, findings and matches.")
	}
	if err := portfolio.DeleteRelease(r.Context(), h.Store, id); err != nil {
		if web.Status(err) == http.StatusConflict {
			return h.renderRelease(w, r, id, http.StatusConflict, nil, err.Error())
		}
		return err
	}
	redirectFlash(w, r, fmt.Sprintf("/products/%d", rel.ProductID), fmt.Sprintf("Release %s deleted", rel.Version))
	return nil
}

// editProduct applies the product edit form.
func (h *handler) editProduct(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	crit, cerr := strconv.Atoi(r.PostFormValue("criticality"))
	if cerr != nil {
		redirectWith(w, r, fmt.Sprintf("/products/%d", id), "error", "criticality: choose 1 to 5")
		return nil
	}
	name, desc, owner := r.PostFormValue("name"), r.PostFormValue("description"), r.PostFormValue("owner")
	exp := inventory.Exposure(r.PostFormValue("exposure"))
	p, err := portfolio.UpdateProduct(r.Context(), h.Store, id, portfolio.ProductPatch{Name: &name, Description: &desc, Owner: &owner, Criticality: &crit, Exposure: &exp})
	if err != nil {
		if st := web.Status(err); st == http.StatusNotFound || st == http.StatusInternalServerError {
			return err
		}
		redirectWith(w, r, fmt.Sprintf("/products/%d", id), "error", "Not saved: "+err.Error())
		return nil
	}
	redirectFlash(w, r, fmt.Sprintf("/products/%d", id), "Product "+p.Name+" saved")
	return nil
}

func (h *handler) uploadSBOM(w http.ResponseWriter, r *http.Request) error {
	rel, err := web.PathObject(r, "id", h.Store.Release)
	if err != nil {
		return err
	}
	id := rel.ID
	file, fname, err := web.Upload(r, "sbom", h.MaxUpload, "sbom")
	if errors.Is(err, spool.ErrTooLarge) {
		h.uploadResult(w, r, id, nil, err)
		return nil
	}
	if err != nil {
		h.uploadResult(w, r, id, nil, fault.Invalid("", "choose an SBOM file to upload (CycloneDX or SPDX)"))
		return nil
	}
	defer file.Close()
	var res portfolio.ImportResult
	if err == nil {
		res, err = portfolio.ImportSBOMFrom(r.Context(), h.Store, id, fname, file, file.Size())
		h.OnImport("sbom", err)
	}
	if err == nil {
		h.Log.Info("sbom imported", "release", id, "components", res.Components, "sha256", res.SHA256, "user", identity.FromContext(r.Context()).Name)
		if _, merr := h.Vulns.Rematch(r.Context(), id); merr != nil {
			h.Log.Error("re-match release", "release", id, "err", merr)
		}
		h.gateAfter(r.Context(), id, "sbom")
	}
	h.uploadResult(w, r, id, &res, err)
	return nil
}

// uploadResult answers htmx uploads with a fragment and plain form posts
// with a redirect (success) or the page with the error.
func (h *handler) uploadResult(w http.ResponseWriter, r *http.Request, id int64, res *portfolio.ImportResult, err error) {
	if r.Header.Get("HX-Request") == "true" {
		t := h.pages["release"]
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err != nil {
			w.WriteHeader(http.StatusOK) // htmx swaps only 2xx; the fragment carries the error
		}
		v := view{Data: releaseData{Result: res}}
		if err != nil {
			v.Error = err.Error()
		}
		if terr := t.ExecuteTemplate(w, "upload-result", v); terr != nil {
			h.Log.Error("render upload result", "err", terr)
		}
		return
	}
	if err != nil {
		redirectFlash(w, r, fmt.Sprintf("/releases/%d", id), "Import failed: "+err.Error())
		return
	}
	msg := fmt.Sprintf("Imported %d components from %s %s", res.Components, res.Format, res.SpecVersion)
	if len(res.Warnings) > 0 {
		msg += fmt.Sprintf(" (%d warnings: %s)", len(res.Warnings), strings.Join(res.Warnings, "; "))
	}
	redirectFlash(w, r, fmt.Sprintf("/releases/%d", id), msg)
}

func (h *handler) downloadSBOM(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	var buf strings.Builder
	ctype, err := portfolio.ExportSBOM(r.Context(), h.Store, id, format, &buf)
	if err != nil {
		return err
	}
	ext := ".cdx.json"
	if format == "spdx-json" {
		ext = ".spdx.json"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="release-%d%s"`, id, ext))
	io.WriteString(w, buf.String())
	return nil
}

type searchData struct {
	Q, Version string
	Hits       []inventory.SearchHit
	Next       string
	Searched   bool
}

func (h *handler) search(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d := searchData{Q: q.Get("q"), Version: q.Get("version")}
	v := view{Title: "Search", Nav: "search"}
	if strings.TrimSpace(d.Q) != "" {
		var err error
		d.Searched = true
		d.Hits, d.Next, err = h.Store.Search(r.Context(), inventory.SearchQuery{Q: d.Q, Version: d.Version, After: q.Get("cursor"), Limit: 100, Products: web.ReadableProducts(r)})
		if err != nil {
			if web.Status(err) >= 500 {
				return err
			}
			v.Error = err.Error()
		}
	}
	v.Data = d
	h.render(w, r, http.StatusOK, "search", v)
	return nil
}
