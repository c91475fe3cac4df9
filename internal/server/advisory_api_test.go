package server_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/advisory/csaf"
	"github.com/rampart-security/rampart/internal/advisory/signing"
	"github.com/rampart-security/rampart/internal/demo"
	"github.com/rampart-security/rampart/internal/server"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

func get(t *testing.T, url, token string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, b := send(t, nil, req)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// newAdvisory authors the advisory of input for the product through the
// API, as the editor.
func (e *env) newAdvisory(t *testing.T, productID int64, input map[string]any) advisory.Advisory {
	t.Helper()
	var created struct {
		Advisory advisory.Advisory `json:"advisory"`
	}
	if r := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/products/%d/advisories", productID), map[string]any{"input": input}, &created); r.StatusCode != http.StatusCreated {
		t.Fatalf("create advisory: %d %s", r.StatusCode, readBody(r))
	}
	return created.Advisory
}

func TestAdvisoryWorkflowAndProvider(t *testing.T) {
	e := newEnv(t, "sqlite")
	prod := e.newProduct(t, "IG-400")
	input := map[string]any{"title": "BusyBox overflow in IG-400", "summary": "Update to 3.2.0.", "vendor": "Northwind",
		"vulnerabilities": []any{map[string]any{"cve": "CVE-2022-48174", "description": "ash stack overflow",
			"cvss_v3": []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
			"releases": []any{
				map[string]any{"product": "IG-400", "version": "3.1.0", "status": "affected", "fixed_in": "3.2.0"},
				map[string]any{"product": "IG-400", "version": "3.0.0", "status": "not_affected", "justification": "component_not_present"},
			}}}}
	var created struct {
		Advisory   advisory.Advisory `json:"advisory"`
		Validation csaf.Result       `json:"validation"`
	}
	path := fmt.Sprintf("/api/v1/products/%d/advisories", prod.ID)
	if r := e.call(t, "editor", "POST", path, map[string]any{"input": input}, &created); r.StatusCode != 201 {
		b, _ := io.ReadAll(r.Body)
		t.Fatalf("create advisory: %d %s", r.StatusCode, b)
	}
	if !created.Validation.Valid || created.Advisory.Status != advisory.StatusDraft {
		t.Fatalf("authored draft: %+v", created)
	}
	id := created.Advisory.ID
	if r := e.call(t, "viewer", "POST", fmt.Sprintf("/api/v1/advisories/%d/submit", id), nil, nil); r.StatusCode != 403 {
		t.Fatalf("viewer submitting: %d", r.StatusCode)
	}
	if r := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/advisories/%d/submit", id), nil, nil); r.StatusCode != 200 {
		t.Fatalf("submit: %d", r.StatusCode)
	}
	if r := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/advisories/%d/publish", id), nil, nil); r.StatusCode != 403 {
		t.Fatalf("author publishing alone: %d, want 403", r.StatusCode)
	}
	var pub advisory.Advisory
	if r := e.call(t, "admin", "POST", fmt.Sprintf("/api/v1/advisories/%d/publish", id), nil, &pub); r.StatusCode != 200 {
		t.Fatalf("publish: %d", r.StatusCode)
	}
	// The provider serves it anonymously.
	code, _, index := get(t, e.url+"/.well-known/csaf/white/index.txt", "")
	rel := strings.TrimSpace(index)
	if code != 200 || !strings.HasSuffix(rel, csaf.Filename(pub.TrackingID)) {
		t.Fatalf("index.txt: %d %q", code, index)
	}
	code, ctype, doc := get(t, e.url+"/.well-known/csaf/white/"+rel, "")
	if code != 200 || ctype != "application/json" {
		t.Fatalf("advisory: %d %s", code, ctype)
	}
	if res, _ := csaf.Validate([]byte(doc)); !res.Valid {
		t.Fatalf("served advisory invalid: %+v", res.Failures)
	}
	_, _, sig := get(t, e.url+"/.well-known/csaf/white/"+rel+".asc", "")
	_, _, pmd := get(t, e.url+"/.well-known/csaf/provider-metadata.json", "")
	var meta struct {
		Role string                              `json:"role"`
		Keys []struct{ Fingerprint, URL string } `json:"public_openpgp_keys"`
	}
	if err := json.Unmarshal([]byte(pmd), &meta); err != nil || meta.Role != "csaf_trusted_provider" || len(meta.Keys) != 1 {
		t.Fatalf("provider metadata: %v %s", err, pmd)
	}
	if !strings.HasPrefix(meta.Keys[0].URL, e.url+"/.well-known/csaf/openpgp/") {
		t.Fatalf("key URL not built from the request host: %s", meta.Keys[0].URL)
	}
	_, _, key := get(t, meta.Keys[0].URL, "")
	if err := signing.Verify(key, []byte(doc), sig); err != nil {
		t.Fatalf("signature: %v", err)
	}
	code, _, sec := get(t, e.url+"/.well-known/security.txt", "")
	for _, want := range []string{"Contact: " + e.url + "/report", "Expires: ", "Policy: " + e.url + "/report", "Preferred-Languages: en", "CSAF: " + e.url + "/.well-known/csaf/provider-metadata.json"} {
		if code != 200 || !strings.Contains(sec, want) {
			t.Errorf("security.txt lacks %q:\n%s", want, sec)
		}
	}
	// TLP:AMBER: only for signed-in customers.
	var amber struct {
		Advisory advisory.Advisory `json:"advisory"`
	}
	e.call(t, "editor", "POST", path, map[string]any{"input": input, "tlp": "AMBER", "require_review": false}, &amber)
	if r := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/advisories/%d/publish", amber.Advisory.ID), nil, nil); r.StatusCode != 200 {
		t.Fatalf("publish amber: %d", r.StatusCode)
	}
	if code, _, _ := get(t, e.url+"/.well-known/csaf/amber/csaf-feed-tlp-amber.json", ""); code != 401 {
		t.Fatalf("anonymous amber feed: %d, want 401", code)
	}
	code, _, feed := get(t, e.url+"/.well-known/csaf/amber/csaf-feed-tlp-amber.json", e.tokens["viewer"])
	if code != 200 || !strings.Contains(feed, "/.well-known/csaf/amber/") {
		t.Fatalf("customer amber feed: %d %s", code, feed)
	}
	if _, _, wfeed := get(t, e.url+"/.well-known/csaf/white/csaf-feed-tlp-white.json", ""); strings.Contains(wfeed, "/amber/") {
		t.Fatal("the white feed lists an amber advisory")
	}
	// TLP:CLEAR does not exist in CSAF 2.0.
	if r := e.call(t, "editor", "POST", path, map[string]any{"input": input, "tlp": "CLEAR"}, nil); r.StatusCode != 400 {
		t.Fatalf("TLP:CLEAR: %d, want 400", r.StatusCode)
	}
}

// TestCSAFPeerTools runs gocsaf's csaf_checker and csaf_downloader v3.7.0
// against the demo provider over TLS when they are installed (.ci/run
// installs them); it installs nothing itself.
func TestCSAFPeerTools(t *testing.T) {
	checker, err1 := exec.LookPath("csaf_checker")
	downloader, err2 := exec.LookPath("csaf_downloader")
	if err1 != nil || err2 != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("csaf_checker and csaf_downloader must be on PATH in CI (go install github.com/gocsaf/csaf/v3/cmd/...@v3.7.0)")
		}
		t.Skip("csaf_checker/csaf_downloader not on PATH")
	}
	ctx := context.Background()
	cfg := storetest.Engines(t)[0].Config
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	acfg := advisory.Config{}
	acfg.Publisher.Category, acfg.Publisher.Name, acfg.Publisher.Namespace = "vendor", demo.Vendor, demo.VendorNamespace
	n, err := demo.SeedAdvisories(ctx, st, acfg)
	if err != nil || n < 3 {
		t.Fatalf("demo advisories: %d %v", n, err)
	}
	srv := server.New(server.Config{TLS: true, Advisory: acfg}, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewTLSServer(srv.Handler())
	defer ts.Close()
	dir := t.TempDir()
	certFile := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	domain := strings.TrimPrefix(ts.URL, "https://")
	env := append(os.Environ(), "SSL_CERT_FILE="+certFile)

	cmd := exec.Command(checker, domain)
	cmd.Env, cmd.Dir = env, dir
	out, err := cmd.Output()
	if err != nil && len(out) == 0 {
		t.Fatalf("csaf_checker: %v", err)
	}
	var report struct {
		Domains []struct {
			Role         string `json:"role"`
			Requirements []struct {
				Num      int `json:"num"`
				Messages []struct {
					Type int    `json:"type"`
					Text string `json:"text"`
				} `json:"messages"`
			} `json:"requirements"`
		} `json:"domains"`
	}
	if err := json.Unmarshal(out, &report); err != nil || len(report.Domains) != 1 {
		t.Fatalf("checker report: %v\n%s", err, out)
	}
	if report.Domains[0].Role != "csaf_trusted_provider" {
		t.Errorf("role %q", report.Domains[0].Role)
	}
	for _, r := range report.Domains[0].Requirements {
		for _, m := range r.Messages {
			// Type 2 is an error. Requirement 10 (DNS path
			// csaf.data.security.DOMAIN) cannot be met on loopback.
			if m.Type == 2 && r.Num != 10 {
				t.Errorf("csaf_checker requirement %d: %s", r.Num, m.Text)
			}
		}
	}

	dl := filepath.Join(dir, "download")
	cmd = exec.Command(downloader, "-d", dl, domain)
	cmd.Env, cmd.Dir = env, dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("csaf_downloader: %v\n%s", err, out)
	}
	logData, _ := os.ReadFile(filepath.Join(dl, "downloader.log"))
	if !strings.Contains(string(logData), fmt.Sprintf(`"succeeded":%d,"total_failed":0`, n)) {
		t.Fatalf("downloader did not fetch and verify all %d advisories:\n%s", n, logData)
	}
	files, _ := filepath.Glob(filepath.Join(dl, "white", "*", "*.json"))
	if len(files) != n {
		t.Fatalf("downloaded %d advisories, want %d", len(files), n)
	}
}

// TestReleaseVEXThreeFormats: one analysis, exported as CSAF VEX, OpenVEX
// and CycloneDX VEX, says the same thing in each.
func TestReleaseVEXThreeFormats(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.importFeedFiles(t, map[string]string{"GO-2099-0001.json": osvFixture})
	rel := shippedWithXNet(t, e, "1.0")
	csafVEX := func() (csaf.Document, csaf.Result) {
		r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/vex?format=csaf", rel.ID), nil, nil)
		data, _ := io.ReadAll(r.Body)
		if r.StatusCode != 200 {
			t.Fatalf("csaf vex: %d %s", r.StatusCode, data)
		}
		var doc csaf.Document
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		res, err := csaf.Validate(data)
		if err != nil {
			t.Fatal(err)
		}
		return doc, res
	}
	// Open match: known_affected with a vendor fix.
	doc, res := csafVEX()
	if !res.Valid || doc.Document.Category != "csaf_vex" || len(doc.Vulnerabilities) != 1 {
		t.Fatalf("CSAF VEX (affected): %+v %+v", res.Failures, doc.Vulnerabilities)
	}
	v := doc.Vulnerabilities[0]
	if v.CVE != "CVE-2099-12345" || len(v.ProductStatus.KnownAffected) != 1 || len(v.Remediations) != 1 || v.Remediations[0].Category != "vendor_fix" {
		t.Fatalf("CSAF VEX vulnerability: %+v", v)
	}
	// not_affected with a justification, in all three formats.
	path := fmt.Sprintf("/api/v1/releases/%d/vulnerabilities/CVE-2099-12345/analysis", rel.ID)
	if r := e.call(t, "editor", "PUT", path, map[string]string{"component": "net-old", "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path", "detail": "HTTP/2 is disabled"}, nil); r.StatusCode != 200 {
		t.Fatalf("analysis: %d", r.StatusCode)
	}
	doc, res = csafVEX()
	v = doc.Vulnerabilities[0]
	if !res.Valid || len(v.ProductStatus.KnownNotAffected) != 1 || len(v.Flags) != 1 || v.Flags[0].Label != "vulnerable_code_not_in_execute_path" || len(v.Threats) != 1 {
		t.Fatalf("CSAF VEX (not affected): %+v %+v", res.Failures, v)
	}
	var ov struct {
		Statements []struct{ Status, Justification string } `json:"statements"`
	}
	e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/vex?format=openvex", rel.ID), nil, &ov)
	if len(ov.Statements) != 1 || ov.Statements[0].Status != "not_affected" || ov.Statements[0].Justification != "vulnerable_code_not_in_execute_path" {
		t.Fatalf("OpenVEX: %+v", ov)
	}
	var cd struct {
		Vulnerabilities []struct {
			ID       string                                `json:"id"`
			Analysis struct{ State, Justification string } `json:"analysis"`
		} `json:"vulnerabilities"`
	}
	e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/vex?format=cyclonedx", rel.ID), nil, &cd)
	if len(cd.Vulnerabilities) != 1 || cd.Vulnerabilities[0].Analysis.State != "not_affected" || cd.Vulnerabilities[0].Analysis.Justification != "code_not_reachable" {
		t.Fatalf("CycloneDX VEX: %+v", cd)
	}
}

// TestAdvisoryEditorPage: the editor shows the validation of the working
// copy, and the live check (htmx) returns the failures of an edited document.
func TestAdvisoryEditorPage(t *testing.T) {
	e := newEnv(t, "sqlite")
	prod := e.newProduct(t, "T5")
	created := e.newAdvisory(t, prod.ID, map[string]any{"title": "Mbed TLS overflow", "vendor": "Northwind", "vulnerabilities": []any{map[string]any{"cve": "CVE-2023-43615",
		"releases": []any{map[string]any{"product": "T5", "version": "1.8.2", "status": "affected", "fixed_in": "1.9.0"}}}}})
	code, _, page := get(t, fmt.Sprintf("%s/advisories/%d", e.url, created.ID), e.tokens["editor"])
	if code != 200 || !strings.Contains(page, `id="validation-summary"`) || !strings.Contains(page, "The schema and every mandatory test pass") || !strings.Contains(page, `hx-post="/advisories/validate"`) {
		t.Fatalf("editor page: %d\n%s", code, page)
	}
	// Live check of an edited document: an undefined product id.
	var doc csaf.Document
	json.Unmarshal(created.Document, &doc)
	doc.Vulnerabilities[0].ProductStatus.KnownAffected = append(doc.Vulnerabilities[0].ProductStatus.KnownAffected, "CSAFPID-ghost")
	js, _ := json.Marshal(doc)
	form := "document=" + urlEscape(string(js)) + "&tlp=WHITE"
	resp := e.callWith(t, "editor", "POST", "/advisories/validate",
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Hx-Request": {"true"}, "Hx-Target": {"validation"}}, []byte(form), nil)
	frag := readBody(resp)
	if resp.StatusCode != 200 || strings.Contains(frag, "<html") || !strings.Contains(frag, "<td>6.1.1</td>") || !strings.Contains(frag, "CSAFPID-ghost") {
		t.Fatalf("live validation: %d\n%s", resp.StatusCode, frag)
	}
	code, _, list := get(t, e.url+"/advisories", e.tokens["viewer"])
	if code != 200 || !strings.Contains(list, created.TrackingID) {
		t.Fatalf("advisory list: %d", code)
	}
}

func urlEscape(s string) string { return url.QueryEscape(s) }

// TestAdvisoryFromInventory: an advisory authored from a vulnerability takes
// its product_status from the releases that match it and their analyses.
func TestAdvisoryFromInventory(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.importFeedFiles(t, map[string]string{"GO-2099-0001.json": osvFixture})
	p := e.newProduct(t, "Fleet")
	release := func(version, netVersion string) int64 {
		rel := e.postRelease(t, "editor", p.ID, map[string]any{"version": version, "status": "shipped"})
		e.postSBOM(t, "editor", rel.ID, xnetBOM("net", netVersion))
		return rel.ID
	}
	old := release("0.9", "v0.16.0")
	release("1.0", "v0.17.0")
	release("1.1", "v0.23.0")
	e.call(t, "editor", "PUT", fmt.Sprintf("/api/v1/releases/%d/vulnerabilities/CVE-2099-12345/analysis", old), map[string]string{"component": "net", "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path", "detail": "HTTP/2 off"}, nil)
	var created struct {
		Advisory   advisory.Advisory `json:"advisory"`
		Validation csaf.Result       `json:"validation"`
	}
	if r := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/products/%d/advisories", p.ID), map[string]any{"from_vulnerability": "CVE-2099-12345"}, &created); r.StatusCode != 201 {
		b, _ := io.ReadAll(r.Body)
		t.Fatalf("create: %d %s", r.StatusCode, b)
	}
	if !created.Validation.Valid {
		t.Fatalf("invalid: %+v", created.Validation.Failures)
	}
	var doc csaf.Document
	json.Unmarshal(created.Advisory.Document, &doc)
	v := doc.Vulnerabilities[0]
	ps := v.ProductStatus
	if v.CVE != "CVE-2099-12345" || strings.Join(ps.KnownAffected, ",") != "CSAFPID-fleet-1.0" || strings.Join(ps.Fixed, ",") != "CSAFPID-fleet-1.1" ||
		strings.Join(ps.KnownNotAffected, ",") != "CSAFPID-fleet-0.9" {
		t.Fatalf("product status: %+v", ps)
	}
	if len(v.Remediations) == 0 || v.Remediations[0].Category != "vendor_fix" || !strings.Contains(v.Remediations[0].Details, "1.1") {
		t.Fatalf("remediations: %+v", v.Remediations)
	}
	if len(v.Flags) != 1 || v.Flags[0].Label != "vulnerable_code_not_in_execute_path" {
		t.Fatalf("flags: %+v", v.Flags)
	}
	if r := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/products/%d/advisories", p.ID), map[string]any{"from_vulnerability": "CVE-1999-0001"}, nil); r.StatusCode != 404 {
		t.Fatalf("unknown vulnerability: %d", r.StatusCode)
	}
}
