package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/advisory/csaf"
	"github.com/rampart-security/rampart/internal/advisory/provider"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/vuln"
)

// advisoryRoutes are the CSAF advisory workflow (API) and the built-in
// trusted provider under /.well-known (public for TLP:WHITE, signed-in
// users for GREEN, AMBER and RED).
func (h handler) advisoryRoutes() []web.Route {
	if h.Advisories == nil {
		return nil
	}
	product := web.ProductPath(h.Store, "id")
	adv := web.ProductResolver(func(r *http.Request) (int64, error) {
		id, err := web.PathID(r, "id")
		if err != nil {
			return 0, err
		}
		a, err := h.Advisories.Get(r.Context(), id)
		if err != nil {
			return 0, err
		}
		if a.ProductID == 0 {
			return 0, fault.NotFound("advisory %d has no product", id)
		}
		return a.ProductID, nil
	})
	read, write := identity.PermRead, identity.PermWrite
	rs := []web.Route{
		{Method: "GET", Pattern: "/api/v1/advisories", Need: identity.RoleViewer, Scope: identity.ScopeProductsRead, Do: h.listAdvisories},
		{Method: "POST", Pattern: "/api/v1/products/{id}/advisories", Product: product, Perm: write, Scope: identity.ScopeProductsWrite, MaxBody: csaf.MaxDocumentSize, Do: h.createAdvisory},
		{Method: "GET", Pattern: "/api/v1/advisories/{id}", Product: adv, Perm: read, Scope: identity.ScopeProductsRead, Do: h.getAdvisory},
		{Method: "PUT", Pattern: "/api/v1/advisories/{id}", Product: adv, Perm: write, Scope: identity.ScopeProductsWrite, MaxBody: csaf.MaxDocumentSize, Do: h.updateAdvisory},
		{Method: "GET", Pattern: "/api/v1/advisories/{id}/validation", Product: adv, Perm: read, Scope: identity.ScopeProductsRead, Do: h.advisoryValidation},
		{Method: "POST", Pattern: "/api/v1/advisories/{id}/submit", Product: adv, Perm: write, Scope: identity.ScopeProductsWrite, Do: h.advisoryStep(h.Advisories.Submit)},
		{Method: "POST", Pattern: "/api/v1/advisories/{id}/reject", Product: adv, Perm: write, Scope: identity.ScopeProductsWrite, Do: h.advisoryStep(h.Advisories.Reject)},
		{Method: "POST", Pattern: "/api/v1/advisories/{id}/publish", Product: adv, Perm: write, Scope: identity.ScopeProductsWrite, Do: h.publishAdvisory},
		{Method: "GET", Pattern: "/api/v1/advisories/{id}/notifications", Product: adv, Perm: read, Scope: identity.ScopeProductsRead, Do: h.advisoryNotifications},
		{Method: "POST", Pattern: "/api/v1/csaf/validate", Need: identity.RoleViewer, Scope: identity.ScopeProductsRead, MaxBody: csaf.MaxDocumentSize, Do: h.validateCSAF},
		{Method: "GET", Pattern: "/api/v1/csaf/keys", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, Do: h.csafKeys},
		{Method: "POST", Pattern: "/api/v1/csaf/keys/rotate", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, Do: h.rotateCSAFKey},
		// Trusted provider (CSAF 2.0 section 7).
		{Method: "GET", Pattern: "/.well-known/security.txt", Public: true, Do: h.securityTxt},
		{Method: "GET", Pattern: "/.well-known/csaf/{$}", Public: true, Do: h.csafRoot},
		{Method: "GET", Pattern: "/.well-known/csaf/provider-metadata.json", Public: true, Do: h.providerMetadata},
		{Method: "GET", Pattern: "/.well-known/csaf/service.json", Public: true, Do: h.rolieService},
		{Method: "GET", Pattern: "/.well-known/csaf/openpgp/{file}", Public: true, Do: h.openpgpKey},
		{Method: "GET", Pattern: "/.well-known/csaf/white/{path...}", Public: true, Do: h.csafFolder(provider.White)},
	}
	for _, t := range provider.TLPs[1:] {
		rs = append(rs, web.Route{Method: "GET", Pattern: "/.well-known/csaf/" + provider.Folder(t) + "/{path...}", Scope: identity.ScopeProductsRead,
			Do: h.csafFolder(t)})
	}
	return rs
}

// publicBase is the base of every URL the provider writes: --public-url, or
// the request's scheme and Host.
func (h handler) publicBase(r *http.Request) string {
	if h.PublicURL != "" {
		return strings.TrimSuffix(h.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type advisoryRequest struct {
	// FromVulnerability authors the advisory from the inventory: the
	// product's releases that match this vulnerability and their VEX analyses.
	FromVulnerability string          `json:"from_vulnerability"`
	TLP               string          `json:"tlp"`
	RequireReview     *bool           `json:"require_review"`
	Document          *csaf.Document  `json:"document"`
	Input             *advisory.Input `json:"input"`
}

// document is the request's CSAF document: the one given, or the one built
// from the input (vendor when the input names none).
func (req advisoryRequest) document(vendor string) (csaf.Document, error) {
	switch {
	case req.Document != nil && req.Input != nil:
		return csaf.Document{}, fault.Invalid("document", "give either document (CSAF JSON) or input (authoring from releases), not both")
	case req.Document != nil:
		return *req.Document, nil
	case req.Input != nil:
		if req.Input.Vendor == "" {
			req.Input.Vendor = vendor
		}
		doc, err := advisory.Build(*req.Input)
		if err != nil {
			return doc, fault.Invalid("input", "%v", err)
		}
		return doc, nil
	}
	return csaf.Document{}, fault.Invalid("document", "give document (CSAF JSON) or input (vulnerabilities with release statuses)")
}

func actor(r *http.Request) string {
	if p := identity.FromContext(r.Context()); p != nil {
		return p.Name
	}
	return ""
}

func (h handler) listAdvisories(w http.ResponseWriter, r *http.Request) error {
	f := advisory.Filter{Products: web.ReadableProducts(r), Status: advisory.Status(r.URL.Query().Get("status"))}
	list, err := h.Advisories.List(r.Context(), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []advisory.Advisory{}
	}
	for i := range list {
		list[i].Document = nil
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (h handler) createAdvisory(w http.ResponseWriter, r *http.Request) error {
	pid, req, err := web.PathIDAndJSON[advisoryRequest](r, "id")
	if err != nil {
		return err
	}
	if req.FromVulnerability != "" {
		if req.Input != nil || req.Document != nil {
			return fault.Invalid("from_vulnerability", "give one of from_vulnerability, input or document")
		}
		in, err := portfolio.AdvisoryInput(r.Context(), h.Store, h.Vulns, pid, req.FromVulnerability, h.Advisories.Publisher().Name)
		if err != nil {
			return err
		}
		req.Input = &in
	}
	doc, err := req.document(h.Advisories.Publisher().Name)
	if err != nil {
		return err
	}
	review := true
	if req.RequireReview != nil {
		review = *req.RequireReview
	}
	a, err := h.Advisories.Create(r.Context(), actor(r), advisory.Draft{ProductID: pid, TLP: req.TLP, RequireReview: review, Document: doc})
	return h.replyChecked(w, r, http.StatusCreated, a, err)
}

// replyChecked ends a handler that saved the advisory a: it returns err,
// or writes a with its validation as JSON with status.
func (h handler) replyChecked(w http.ResponseWriter, r *http.Request, status int, a advisory.Advisory, err error) error {
	if err != nil {
		return err
	}
	res, err := h.Advisories.Check(r.Context(), a.ID)
	return reply(w, status, map[string]any{"advisory": a, "validation": res}, err)
}

func (h handler) getAdvisory(w http.ResponseWriter, r *http.Request) error {
	return getByID(h.Advisories.Get)(w, r)
}

func (h handler) updateAdvisory(w http.ResponseWriter, r *http.Request) error {
	id, req, err := web.PathIDAndJSON[advisoryRequest](r, "id")
	if err != nil {
		return err
	}
	doc, err := req.document(h.Advisories.Publisher().Name)
	if err != nil {
		return err
	}
	a, err := h.Advisories.Update(r.Context(), actor(r), id, doc, req.TLP)
	return h.replyChecked(w, r, http.StatusOK, a, err)
}

func (h handler) advisoryValidation(w http.ResponseWriter, r *http.Request) error {
	return getByID(h.Advisories.Check)(w, r)
}

func (h handler) advisoryStep(step func(ctx context.Context, actor string, id int64) (advisory.Advisory, error)) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		a, err := step(r.Context(), actor(r), id)
		return reply(w, http.StatusOK, a, err)
	}
}

func (h handler) publishAdvisory(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Summary string `json:"summary"`
	}
	if r.ContentLength != 0 {
		if err := web.DecodeJSON(r, &req); err != nil {
			return err
		}
	}
	a, err := h.Advisories.Publish(r.Context(), actor(r), id, req.Summary)
	return reply(w, http.StatusOK, a, err)
}

// validateCSAF validates a posted CSAF document (the editor's live check).
func (h handler) validateCSAF(w http.ResponseWriter, r *http.Request) error {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	res, err := csaf.Validate(data)
	if err != nil {
		return fault.Invalid("body", "%v", err)
	}
	web.WriteJSON(w, http.StatusOK, res)
	return nil
}

func (h handler) csafKeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := h.Advisories.Keys(r.Context())
	if err != nil {
		return err
	}
	type key struct {
		Fingerprint string    `json:"fingerprint"`
		Public      string    `json:"public_key"`
		CreatedAt   time.Time `json:"created_at"`
		Current     bool      `json:"current"`
	}
	out := []key{}
	for i, k := range keys {
		out = append(out, key{k.Fingerprint, k.Public, k.CreatedAt, i == 0})
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (h handler) rotateCSAFKey(w http.ResponseWriter, r *http.Request) error {
	k, n, err := h.Advisories.RotateKey(r.Context())
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"fingerprint": k.Fingerprint, "public_key": k.Public, "resigned": n})
	return nil
}

func (h handler) securityTxt(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	return provider.WriteSecurityTxt(w, provider.SecurityTxt{Base: h.publicBase(r), Expires: h.Advisories.Now().AddDate(0, 6, 0).Truncate(24 * time.Hour),
		Languages: []string{"en"}})
}

func (h handler) providerMetadata(w http.ResponseWriter, r *http.Request) error {
	k, err := h.Advisories.EnsureKey(r.Context())
	if err != nil {
		return err
	}
	tlps, err := h.Advisories.FeedTLPs(r.Context())
	if err != nil {
		return err
	}
	last, err := h.Advisories.LastUpdated(r.Context(), tlps)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := provider.WriteMetadata(&buf, provider.Metadata{Base: h.publicBase(r), Publisher: h.Advisories.Publisher(),
		Keys: []provider.Key{{Fingerprint: k.Fingerprint}}, TLPs: tlps, LastUpdated: last}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(buf.Bytes())
	return err
}

func (h handler) rolieService(w http.ResponseWriter, r *http.Request) error {
	tlps, err := h.Advisories.FeedTLPs(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	return provider.WriteService(w, h.publicBase(r), tlps)
}

func (h handler) openpgpKey(w http.ResponseWriter, r *http.Request) error {
	fp, ok := strings.CutSuffix(r.PathValue("file"), ".asc")
	if !ok {
		return fault.NotFound("no such key file")
	}
	keys, err := h.Advisories.Keys(r.Context())
	if err != nil {
		return err
	}
	for _, k := range keys {
		if strings.EqualFold(k.Fingerprint, fp) {
			w.Header().Set("Content-Type", "application/pgp-keys")
			_, err := io.WriteString(w, k.Public)
			return err
		}
	}
	return fault.NotFound("no OpenPGP key %s", fp)
}

func (h handler) csafRoot(w http.ResponseWriter, r *http.Request) error {
	tlps, err := h.Advisories.FeedTLPs(r.Context())
	if err != nil {
		return err
	}
	names := []string{"provider-metadata.json", "service.json", "openpgp/"}
	for _, t := range tlps {
		names = append(names, provider.Folder(t)+"/")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return provider.WriteListing(w, provider.WellKnown+"/", names)
}

// csafFolder serves one TLP folder: listings, feed, category document,
// index.txt, changes.csv and the advisories with their hashes and signatures.
func (h handler) csafFolder(tlp string) web.Handler {
	folder := provider.Folder(tlp)
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		p := r.PathValue("path")
		base := h.publicBase(r)
		switch p {
		case "":
			years, err := h.Advisories.Years(ctx, tlp)
			if err != nil {
				return err
			}
			names := []string{"index.txt", "changes.csv", "csaf-feed-tlp-" + folder + ".json", "category-" + folder + ".json"}
			for _, y := range years {
				names = append(names, strconv.Itoa(y)+"/")
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			return provider.WriteListing(w, provider.WellKnown+"/"+folder+"/", names)
		case "index.txt":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			return provider.WriteIndex(w, h.Advisories.Entries(ctx, tlp))
		case "changes.csv":
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			return provider.WriteChanges(w, h.Advisories.Entries(ctx, tlp))
		case "csaf-feed-tlp-" + folder + ".json":
			last, err := h.Advisories.LastUpdated(ctx, []string{tlp})
			if err != nil {
				return err
			}
			w.Header().Set("Content-Type", "application/json")
			return provider.WriteFeed(w, base, tlp, last, h.Advisories.Entries(ctx, tlp))
		case "category-" + folder + ".json":
			w.Header().Set("Content-Type", "application/json")
			return provider.WriteCategory(w, tlp)
		}
		yearStr, rest, _ := strings.Cut(p, "/")
		year, err := strconv.Atoi(yearStr)
		if err != nil || year < 1900 || year > 9999 {
			return fault.NotFound("no %s in %s", p, folder)
		}
		if rest == "" {
			files, err := h.Advisories.FilesIn(ctx, tlp, year)
			if err != nil {
				return err
			}
			if len(files) == 0 {
				return fault.NotFound("no year folder %d in %s", year, folder)
			}
			var names []string
			for _, f := range files {
				names = append(names, f, f+".sha256", f+".sha512", f+".asc")
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			return provider.WriteListing(w, fmt.Sprintf("%s/%s/%d/", provider.WellKnown, folder, year), names)
		}
		file, ext := rest, ""
		for _, e := range []string{".sha256", ".sha512", ".asc"} {
			if f, ok := strings.CutSuffix(rest, e); ok {
				file, ext = f, e
			}
		}
		a, err := h.Advisories.File(ctx, tlp, year, file)
		if err != nil {
			return err
		}
		switch ext {
		case "":
			w.Header().Set("Content-Type", "application/json")
			_, err = w.Write(a.Published)
		case ".sha256":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, err = fmt.Fprintf(w, "%s  %s\n", a.SHA256, file)
		case ".sha512":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, err = fmt.Fprintf(w, "%s  %s\n", a.SHA512, file)
		case ".asc":
			w.Header().Set("Content-Type", "application/pgp-signature")
			_, err = io.WriteString(w, a.Signature)
		}
		return err
	}
}

// writeCSAFVEX writes a release's VEX analysis as a CSAF VEX document.
func (h handler) writeCSAFVEX(w io.Writer, product, version string, matches []vuln.Match) error {
	p := provider.Publisher{Category: "vendor", Name: "Rampart", Namespace: "https://rampart.invalid"}
	if h.Advisories != nil {
		p = h.Advisories.Publisher()
	}
	doc := advisory.ReleaseVEX(csaf.Publisher{Category: p.Category, Name: p.Name, Namespace: p.Namespace, ContactDetails: p.ContactDetails}, product, version, matches, h.Now())
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// advisoryNotifications lists the customer notices queued when the
// advisory was published, with the delivery status per recipient.
func (h handler) advisoryNotifications(w http.ResponseWriter, r *http.Request) error {
	return listByID(h.Store.AdvisoryNotifications)(w, r)
}
