package server_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/inventory"
)

// stoppedScanEnv is a server with one release and the scanners' fixture of
// a stopped Nexpose scan.
func stoppedScanEnv(t *testing.T) (*env, inventory.Release, []byte) {
	e := newEnv(t, "sqlite")
	p := e.newProduct(t, "Router")
	rel := e.postRelease(t, "editor", p.ID, map[string]any{"version": "1"})
	b, err := os.ReadFile(filepath.Join("..", "scanners", "nexpose", "testdata", "stopped.xml"))
	if err != nil {
		t.Fatal(err)
	}
	return e, rel, b
}

// TestImportPartialScanAPI: POST /releases/{id}/scans imports the report
// of a stopped Nexpose scan as a partial scan, closing nothing, with
// partial_reason naming the file and the field; the same report listing
// no finding is 422 saying what to do (partial=true); a bad partial value
// is 400 naming the parameter.
func TestImportPartialScanAPI(t *testing.T) {
	e, rel, b := stoppedScanEnv(t)
	stopped := string(b)
	finished := strings.ReplaceAll(stopped, `status="stopped"`, `status="finished"`)
	finished = strings.Replace(finished, `<test id="ssh-cve-2023-48795" status="vulnerable-version"/>`,
		`<test id="ssh-cve-2023-48795" status="vulnerable-version"/><test id="generic-icmp-timestamp" status="vulnerable-exploited"/>`, 1)
	path := func(q string) string {
		return fmt.Sprintf("/api/v1/releases/%d/scans?filename=stopped.xml%s", rel.ID, q)
	}
	var res map[string]any
	if r := e.call(t, "editor", "POST", path(""), []byte(finished), &res); r.StatusCode != 200 || res["new"] != 2.0 {
		t.Fatalf("finished scan: %d %v", r.StatusCode, res)
	}
	res = nil
	if r := e.call(t, "editor", "POST", path(""), []byte(stopped), &res); r.StatusCode != 200 || res["partial"] != true || res["closed"] != 0.0 ||
		!strings.Contains(fmt.Sprint(res["partial_reason"]), `stopped.xml:7:`) || !strings.Contains(fmt.Sprint(res["partial_reason"]), `has status "stopped"`) {
		t.Fatalf("stopped scan: %d %v", r.StatusCode, res)
	}
	var prob struct{ Detail, Field string }
	empty := strings.ReplaceAll(stopped, `<test id="ssh-cve-2023-48795" status="vulnerable-version"/>`, "")
	if r := e.call(t, "editor", "POST", path(""), []byte(empty), &prob); r.StatusCode != 422 ||
		!strings.Contains(prob.Detail, "stopped.xml:7:") || !strings.Contains(prob.Detail, "it lists no finding") || !strings.Contains(prob.Detail, "partial=true") {
		t.Fatalf("stopped scan listing nothing: %d %+v", r.StatusCode, prob)
	}
	res = nil
	if r := e.call(t, "editor", "POST", path("&partial=true"), []byte(stopped), &res); r.StatusCode != 200 || res["partial"] != true || res["closed"] != 0.0 || res["unchanged"] != 1.0 {
		t.Fatalf("partial import: %d %v", r.StatusCode, res)
	}
	if r := e.call(t, "editor", "POST", path("&partial=maybe"), []byte(stopped), &prob); r.StatusCode != 400 || prob.Field != "partial" {
		t.Errorf("partial=maybe: %d %+v", r.StatusCode, prob)
	}
	// The scan list keeps which imports were partial and why (newest
	// first), next to the fields it had; a complete one says false.
	var list struct{ Items []map[string]any }
	if r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/scans", rel.ID), nil, &list); r.StatusCode != 200 || len(list.Items) != 3 {
		t.Fatalf("scan list: %d %v", r.StatusCode, list.Items)
	}
	for i, want := range []bool{true, true, false} {
		sc := list.Items[i]
		reason, ok := sc["partial_reason"].(string)
		if sc["partial"] != want || !ok || want != strings.Contains(reason, `stopped.xml:7:`) || sc["file_name"] != "stopped.xml" || sc["imported_by"] == nil {
			t.Errorf("scan %d: %v, want partial %v with its reason", i, sc, want)
		}
	}
}

// TestUploadPartialScanPage: the release page's scan upload imports the
// stopped Nexpose report as a partial scan, saying why, and with its
// "Partial scan" box imports it closing nothing.
func TestUploadPartialScanPage(t *testing.T) {
	e, rel, stopped := stoppedScanEnv(t)
	s := e.loginOK(t, "ed")
	upload := func(partial bool, hx ...bool) string {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("report", "stopped.xml")
		fw.Write(stopped)
		if partial {
			mw.WriteField("partial", "true")
		}
		mw.Close()
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/releases/%d/scans", e.url, rel.ID), &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("X-CSRF-Token", s.csrf)
		req.AddCookie(s.cookie)
		if len(hx) > 0 {
			req.Header.Set("HX-Request", "true")
		}
		resp, page := send(t, noRedirect, req)
		if len(hx) > 0 {
			return string(page)
		}
		loc, _ := url.QueryUnescape(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("upload: %d", resp.StatusCode)
		}
		return loc
	}
	if loc := upload(false); !strings.Contains(loc, "Imported 1 findings from nexpose: new 1, unchanged 0, reopened 0, closed 0 (partial scan, nothing closed: the report says its scan did not complete: nexpose report: stopped.xml:7:") {
		t.Errorf("stopped scan: redirect %q", loc)
	}
	if body := upload(false, true); !strings.Contains(body, `<p class="warning" id="scan-partial">Imported as a partial scan, closing nothing, because the report says its scan did not complete: nexpose report: stopped.xml:7:`) {
		t.Errorf("stopped scan, htmx result: %s", body)
	}
	if loc := upload(true); !strings.Contains(loc, "Imported 1 findings from nexpose: new 0, unchanged 1, reopened 0, closed 0 (partial scan") {
		t.Errorf("partial upload: redirect %q", loc)
	}
	// The release page's scan history still says so afterwards: every
	// upload was of the stopped scan, so each row is badged partial with
	// the report's reason.
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/releases/%d", e.url, rel.ID), nil)
	req.AddCookie(s.cookie)
	resp, page := send(t, nil, req)
	if resp.StatusCode != 200 {
		t.Fatalf("release page: %d", resp.StatusCode)
	}
	history := string(page)
	if i := strings.Index(history, `<section class="card" id="scans">`); i >= 0 {
		history = history[i:]
	}
	if n := strings.Count(history, `<span class="pill partial" title="nexpose report: stopped.xml:7:`); n != 3 ||
		strings.Count(history, `<div class="muted scan-partial-reason">the report says its scan did not complete: nexpose report: stopped.xml:7:`) != 3 {
		t.Errorf("release page scan history: %d partial badges with the reason, want 3:\n%s", n, history)
	}
}
