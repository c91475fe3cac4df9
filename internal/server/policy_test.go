package server_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/browsertest"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/policy"
)

type gateResp struct {
	Passed     bool `json:"passed"`
	Violations []struct {
		Rule, Severity, Subject, Message string
		Excepted                         bool
	} `json:"violations"`
	PolicyScope   string `json:"policy_scope"`
	PolicyVersion int    `json:"policy_version"`
	Exceptions    []struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	} `json:"exceptions"`
}

// gateRelease creates a product and a release whose SBOM carries a
// GPL-licensed busybox (the default policy's copyleft rule fails it).
func gateRelease(t *testing.T, e *env) (product, release int64) {
	t.Helper()
	comps := []inventory.Component{
		{Ref: "busybox", Type: inventory.TypeApplication, Name: "busybox", Version: "1.36.1", PURL: "pkg:generic/busybox@1.36.1", Licenses: []string{"GPL-2.0-only"}},
		{Ref: "zlib", Type: inventory.TypeLibrary, Name: "zlib", Version: "1.3.1", PURL: "pkg:generic/zlib@1.3.1", Licenses: []string{"Zlib"}},
	}
	return e.sbomRelease(t, map[string]any{"name": "Door Lock", "criticality": 4, "exposure": "internet-facing"}, "3.1", "lock", comps)
}

func TestGateAPI(t *testing.T) {
	e := newEnv(t, "sqlite")
	pid, rid := gateRelease(t, e)
	gatePath := fmt.Sprintf("/api/v1/releases/%d/gate", rid)

	// The SBOM upload evaluated the gate already.
	if _, err := e.store.GateResultOf(t.Context(), rid); err != nil {
		t.Errorf("no stored gate result after the SBOM upload: %v", err)
	}
	var g gateResp
	if resp := e.call(t, "viewer", "GET", gatePath, nil, &g); resp.StatusCode != http.StatusOK {
		t.Fatalf("gate: %d", resp.StatusCode)
	}
	if g.Passed || g.PolicyScope != "default" || len(g.Violations) != 1 || g.Violations[0].Rule != "no-copyleft-in-firmware" || g.Violations[0].Subject != "pkg:generic/busybox@1.36.1" {
		t.Fatalf("gate = %+v", g)
	}

	// Product policies: manage permission, compiled before they are stored.
	policyPath := fmt.Sprintf("/api/v1/products/%d/policy", pid)
	if resp := e.call(t, "editor", "PUT", policyPath, []byte("rampart: policy/v1\nrules: []\n"), nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("editor PUT policy: %d", resp.StatusCode)
	}
	resp := e.call(t, "admin", "PUT", policyPath, []byte("rampart: policy/v1\nrules:\n  - {id: x, on: component, when: component.licence == 'x'}\n"), nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("invalid policy: %d", resp.StatusCode)
	}
	copyleft := "rampart: policy/v1\nrules:\n  - id: no-copyleft\n    on: component\n    when: license_requires_any(component.license, copyleft)\n    message: '{{ component.name }} is {{ component.license }}'\n"
	if resp := e.call(t, "admin", "PUT", policyPath, []byte(copyleft), nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT policy: %d", resp.StatusCode)
	}
	e.call(t, "viewer", "GET", gatePath, nil, &g)
	if g.PolicyScope != "product" || g.PolicyVersion != 1 || len(g.Violations) != 1 || g.Violations[0].Message != "busybox is GPL-2.0-only" {
		t.Fatalf("gate with product policy = %+v", g)
	}

	// Exceptions: requested by the editor, not approvable by them, approved by the admin.
	var exc struct{ ID int64 }
	req := map[string]any{"rule": "no-copyleft", "match": map[string]string{"component": "pkg:generic/busybox"}, "reason": "GPL accepted by legal for busybox",
		"expires": time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly)}
	if resp := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/products/%d/exceptions", pid), req, &exc); resp.StatusCode != http.StatusCreated {
		t.Fatalf("request exception: %d", resp.StatusCode)
	}
	approve := fmt.Sprintf("/api/v1/products/%d/exceptions/%d/approve", pid, exc.ID)
	if resp := e.call(t, "viewer", "POST", approve, nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer approves: %d", resp.StatusCode)
	}
	if resp := e.call(t, "admin", "POST", approve, nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	e.call(t, "viewer", "GET", gatePath, nil, &g)
	if !g.Passed || len(g.Violations) != 1 || !g.Violations[0].Excepted || len(g.Exceptions) != 1 || g.Exceptions[0].Status != "approved" {
		t.Fatalf("gate with exception = %+v", g)
	}
}

// TestGateBrowser shows the release page's gate panel in Chromium: failing
// with the violation, then passing with the excepted violation and the
// exception that covers it.
func TestGateBrowser(t *testing.T) {
	e := newEnv(t, "sqlite")
	pid, rid := gateRelease(t, e)
	ctx, text, do := e.signedInBrowser(t, "/", "new-product")
	// releasePage opens the release page, waits for the element waitFor,
	// takes the screenshot shot and checks the gate's status.
	releasePage := func(step, waitFor, shot, status string) {
		t.Helper()
		do(step, chromedp.Navigate(fmt.Sprintf("%s/releases/%d", e.url, rid)), chromedp.WaitVisible(chromedp.ID(waitFor)))
		browsertest.Screenshot(t, ctx, shot)
		if got := text("#gate-status"); got != status {
			t.Errorf("gate status = %q", got)
		}
	}
	releasePage("release page", "gate", "gate-failed", "failed")
	if got := text("#gate-violations tr.failing"); !strings.Contains(got, "no-copyleft-in-firmware") || !strings.Contains(got, "busybox 1.36.1 is licensed GPL-2.0-only") {
		t.Errorf("violation row = %q", got)
	}

	// An approved exception (requested by ed, approved by alice) makes it pass.
	var exc struct{ ID int64 }
	e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/products/%d/exceptions", pid), map[string]any{"rule": "no-copyleft-in-firmware",
		"match": map[string]string{"component": "pkg:generic/busybox"}, "reason": "GPL accepted by legal", "expires": time.Now().UTC().AddDate(0, 0, 30).Format(time.DateOnly)}, &exc)
	if resp := e.call(t, "admin", "POST", fmt.Sprintf("/api/v1/products/%d/exceptions/%d/approve", pid, exc.ID), nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	releasePage("reload", "gate-exceptions", "gate-passed", "passed")
	if got := text("#gate-violations tr.excepted"); !strings.Contains(got, "excepted") || !strings.Contains(got, "approved by alice: GPL accepted by legal") {
		t.Errorf("excepted row = %q", got)
	}
	if got := text("#gate-exceptions"); !strings.Contains(got, "approved") || !strings.Contains(got, "ed / alice") {
		t.Errorf("exceptions table = %q", got)
	}
}

func TestChecklistInGateAndSAMM(t *testing.T) {
	e := newEnv(t, "sqlite")
	pid, rid := gateRelease(t, e)
	pol := "rampart: policy/v1\nrules:\n  - id: code-review\n    on: component\n    when: \"!release.checklist.code_review && component.name == 'zlib'\"\n    message: no security code review recorded\n"
	if resp := e.call(t, "admin", "PUT", fmt.Sprintf("/api/v1/products/%d/policy", pid), []byte(pol), nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT policy: %d", resp.StatusCode)
	}
	gatePath := fmt.Sprintf("/api/v1/releases/%d/gate", rid)
	var g gateResp
	e.call(t, "viewer", "GET", gatePath, nil, &g)
	if g.Passed || len(g.Violations) != 1 || g.Violations[0].Message != "no security code review recorded" {
		t.Fatalf("gate before review = %+v", g)
	}
	cl := fmt.Sprintf("/api/v1/releases/%d/checklist", rid)
	if resp := e.call(t, "editor", "PUT", cl, map[string]any{"items": map[string]any{"code_review": map[string]any{"done": true}}}, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("done without evidence: %d", resp.StatusCode)
	}
	if resp := e.call(t, "viewer", "PUT", cl, map[string]any{"items": map[string]any{}}, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer sets checklist: %d", resp.StatusCode)
	}
	var got struct {
		Items []struct {
			Activity, Evidence string
			Done               bool
		}
	}
	if resp := e.call(t, "editor", "PUT", cl, map[string]any{"items": map[string]any{"code_review": map[string]any{"done": true, "evidence": "https://git.example/lock/pull/42"}}}, &got); resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT checklist: %d", resp.StatusCode)
	}
	if len(got.Items) != 4 || got.Items[1].Activity != "code_review" || !got.Items[1].Done || got.Items[1].Evidence != "https://git.example/lock/pull/42" {
		t.Errorf("checklist = %+v", got)
	}
	// The checklist change re-evaluated and stored the gate: it passes now.
	if res, err := e.store.GateResultOf(t.Context(), rid); err != nil || !res.Passed || res.Trigger != "checklist" {
		t.Errorf("stored gate after checklist = %+v %v", res, err)
	}

	samm := fmt.Sprintf("/api/v1/products/%d/samm", pid)
	if resp := e.call(t, "editor", "POST", samm, map[string]any{"answers": map[string]float64{"D-TA-B": 4}}, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("answer 4: %d", resp.StatusCode)
	}
	for _, answers := range []map[string]float64{{"D-TA-A": 1, "D-TA-B": 1}, {"D-TA-A": 2, "D-TA-B": 3, "V-ST-A": 1}} {
		if resp := e.call(t, "editor", "POST", samm, map[string]any{"answers": answers}, nil); resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST samm: %d", resp.StatusCode)
		}
	}
	var s struct {
		Model       []struct{ ID string }
		Assessments []struct {
			Scores struct {
				Overall   float64
				Practices map[string]float64
			}
		}
	}
	e.call(t, "viewer", "GET", samm, nil, &s)
	if len(s.Model) != 15 || len(s.Assessments) != 2 || s.Assessments[0].Scores.Practices["D-TA"] != 1 || s.Assessments[1].Scores.Practices["D-TA"] != 2.5 ||
		s.Assessments[1].Scores.Overall <= s.Assessments[0].Scores.Overall {
		t.Errorf("samm = %+v", s)
	}
}

// TestApprovedListsAPI: the platform's approved components and licences
// (global and per product) set component.approved and license_approved in
// the gate, are versioned and audited, and the effective list downloads
// as the YAML `rampart gate --approved` reads.
func TestApprovedListsAPI(t *testing.T) {
	e := newEnv(t, "sqlite")
	pid, rid := gateRelease(t, e)
	gatePath := fmt.Sprintf("/api/v1/releases/%d/gate", rid)
	approvedPath := fmt.Sprintf("/api/v1/products/%d/approved", pid)

	if resp := e.call(t, "editor", "PUT", "/api/v1/approved", []byte("licenses: [MIT]\n"), nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("editor PUT global list: %d", resp.StatusCode)
	}
	if resp := e.call(t, "editor", "PUT", approvedPath, []byte("licenses: [MIT]\n"), nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("editor PUT product list: %d", resp.StatusCode)
	}
	for _, bad := range []string{"", "licenses: [Not-A-Licence]\n", "approved:\n  - purl: pkg:generic/busybox@1.36.1\n", "approved:\n  - purl: pkg:generic/busybox\n    versions: '<'\n", "approved:\n  - purl: pkg:generic/busybox\n    colour: red\n"} {
		if resp := e.call(t, "admin", "PUT", approvedPath, []byte(bad), nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("PUT %q: %d", bad, resp.StatusCode)
		}
	}
	// A policy that needs approved licences: zlib (Zlib) is on the global list, busybox (GPL) is not.
	pol := "rampart: policy/v1\nrules:\n  - id: licences-approved\n    on: component\n    when: '!component.approved && !component.license_approved'\n    message: '{{ component.name }}: {{ component.license }} not approved'\n"
	if resp := e.call(t, "admin", "PUT", fmt.Sprintf("/api/v1/products/%d/policy", pid), []byte(pol), nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT policy: %d", resp.StatusCode)
	}
	if res, err := e.store.GateResultOf(t.Context(), rid); err != nil || res.Trigger != "policy" {
		t.Errorf("stored gate after the product policy = %+v %v", res, err)
	}
	var saved struct {
		Version int
		Created bool
	}
	if resp := e.call(t, "admin", "PUT", "/api/v1/approved", []byte("licenses: [MIT, Zlib, Apache-2.0]\n"), &saved); resp.StatusCode != http.StatusCreated || saved.Version != 1 {
		t.Fatalf("PUT global list: %d %+v", resp.StatusCode, saved)
	}
	// Saving the global list re-evaluated the release (stored before any GET …/gate).
	if res, err := e.store.GateResultOf(t.Context(), rid); err != nil || res.Passed || res.Trigger != "approved" {
		t.Errorf("stored gate after the global approved list = %+v %v", res, err)
	}
	var g gateResp
	e.call(t, "viewer", "GET", gatePath, nil, &g)
	if g.Passed || len(g.Violations) != 1 || g.Violations[0].Message != "busybox: GPL-2.0-only not approved" {
		t.Fatalf("gate with the global licence list = %+v", g)
	}
	// The product approves busybox 1.36.x: the gate passes, and saving re-evaluated the release.
	list := "approved:\n  - name: busybox\n    versions: 1.36.x\n    reason: GPL accepted by legal for the shell\n"
	if resp := e.call(t, "admin", "PUT", approvedPath+"?note=legal+ticket+7", []byte(list), &saved); resp.StatusCode != http.StatusCreated || saved.Version != 1 {
		t.Fatalf("PUT product list: %d %+v", resp.StatusCode, saved)
	}
	if res, err := e.store.GateResultOf(t.Context(), rid); err != nil || !res.Passed || res.Trigger != "approved" {
		t.Errorf("stored gate after the approved list = %+v %v", res, err)
	}
	if resp := e.call(t, "admin", "PUT", approvedPath, []byte(list), &saved); resp.StatusCode != http.StatusOK || saved.Created || saved.Version != 1 {
		t.Errorf("same list again: %d %+v", resp.StatusCode, saved)
	}
	e.call(t, "viewer", "GET", gatePath, nil, &g)
	if !g.Passed || len(g.Violations) != 0 {
		t.Fatalf("gate with busybox approved = %+v", g)
	}
	var v struct {
		Global, Product *struct {
			Version      int
			Source, Note string
			CreatedBy    string `json:"created_by"`
		}
		Effective string
	}
	if resp := e.call(t, "viewer", "GET", approvedPath, nil, &v); resp.StatusCode != http.StatusOK || v.Global == nil || v.Product == nil ||
		v.Product.Source != list || v.Product.Note != "legal ticket 7" || v.Product.CreatedBy != "alice" {
		t.Fatalf("GET product list: %d %+v", resp.StatusCode, v)
	}
	resp := e.call(t, "viewer", "GET", approvedPath+"?format=yaml", nil, nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/yaml") || string(body) != v.Effective {
		t.Fatalf("GET ?format=yaml: %d %q", resp.StatusCode, body)
	}
	eff, err := policy.ParseApproved(body, "effective.yaml")
	if err != nil {
		t.Fatalf("effective list does not parse as --approved: %v", err)
	}
	if strings.Join(eff.Licenses, ",") != "MIT,Zlib,Apache-2.0" || len(eff.Components) != 1 || !eff.Approves(&inventory.Component{Name: "busybox", Version: "1.36.1"}) {
		t.Errorf("effective list = %+v", eff)
	}
	evs, err := e.store.AuditEvents(t.Context(), audit.Query{Action: "policy.approved.save", Limit: -1})
	if err != nil || len(evs) != 2 {
		t.Errorf("policy.approved.save events = %d %v", len(evs), err)
	}
}

// TestGateFirmware: a firmware upload is evaluated by the product's policy
// (firmware issues and binaries from the stored analysis), and the previous
// release's analysis is the baseline for `new`.
func TestGateFirmware(t *testing.T) {
	e := newEnv(t, "sqlite")
	img := readFile(t, "../firmware/testdata/rootfs.sqsh")
	p := e.postProduct(t, "admin", map[string]any{"name": "Router"})
	pol := `rampart: policy/v1
rules:
  - id: fw-credentials
    on: firmware
    when: firmware.kind in ['default_password', 'empty_password', 'hardcoded_credential', 'private_key'] && severity_at_least(firmware.severity, 'high')
    message: "{{ firmware.kind }} at {{ firmware.path }}"
  - id: new-fw-issue
    on: firmware
    when: firmware.new
  - id: new-binary
    on: binary
    when: binary.new && binary.path != ''
`
	if resp := e.call(t, "admin", "PUT", fmt.Sprintf("/api/v1/products/%d/policy", p.ID), []byte(pol), nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT policy: %d", resp.StatusCode)
	}
	count := func(g gateResp, rule string) int {
		n := 0
		for _, v := range g.Violations {
			if v.Rule == rule {
				n++
			}
		}
		return n
	}
	var first gateResp
	for i, version := range []string{"1.0", "1.1"} {
		rel := e.postRelease(t, "admin", p.ID, map[string]any{"version": version})
		// The upload queues the analysis; the gate is evaluated when the
		// background job has analysed the image.
		var job struct {
			ID            int64
			Status, Error string
		}
		if r := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/releases/%d/firmware?filename=rootfs.sqsh", rel.ID), img, &job); r.StatusCode != http.StatusAccepted {
			t.Fatalf("upload: %d", r.StatusCode)
		}
		for deadline := time.Now().Add(2 * time.Minute); job.Status != "done"; time.Sleep(20 * time.Millisecond) {
			e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/firmware-jobs/%d", job.ID), nil, &job)
			if job.Status == "failed" || time.Now().After(deadline) {
				t.Fatalf("firmware job: %+v", job)
			}
		}
		res, err := e.store.GateResultOf(t.Context(), rel.ID)
		if err != nil || res.Trigger != "firmware" || res.Passed {
			t.Fatalf("release %s: stored gate after the upload = %+v %v", version, res, err)
		}
		var g gateResp
		e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/gate", rel.ID), nil, &g)
		if count(g, "fw-credentials") == 0 {
			t.Errorf("release %s: no fw-credentials violation: %+v", version, g.Violations)
		}
		for _, v := range g.Violations {
			if v.Rule == "fw-credentials" && !strings.Contains(v.Message, " at /") {
				t.Errorf("message %q", v.Message)
			}
		}
		if i == 0 {
			first = g
			if count(g, "new-fw-issue") == 0 || count(g, "new-binary") == 0 {
				t.Errorf("first release: everything is new: %+v", g.Violations)
			}
			continue
		}
		// The same image again: nothing new against release 1.0's analysis.
		if count(g, "new-fw-issue") != 0 || count(g, "new-binary") != 0 || count(g, "fw-credentials") != count(first, "fw-credentials") {
			t.Errorf("second release: new=%d/%d, credentials %d vs %d", count(g, "new-fw-issue"), count(g, "new-binary"), count(g, "fw-credentials"), count(first, "fw-credentials"))
		}
	}
}

// TestExceptionFlowBrowser: in Chromium, an editor requests a scoped,
// expiring exception from the failing violation on the release page (the
// form is prefilled with the violation's scope; an unscoped request is
// refused with the reason shown in the panel); the requester cannot decide
// it; a product owner (alice) cannot approve her own request either, but
// approves the editor's, and the gate passes with the approver named.
func TestExceptionFlowBrowser(t *testing.T) {
	e := newEnv(t, "sqlite")
	pid, rid := gateRelease(t, e)
	ctx, text, do := newBrowser(t)
	relURL := fmt.Sprintf("%s/releases/%d", e.url, rid)
	form := `#gate-violations tr.failing details.exception-request`

	do("sign in ed", signIn(e.url+"/login", "ed", e.password, chromedp.WaitVisible(chromedp.ID("new-product")))...)
	do("release page", chromedp.Navigate(relURL), chromedp.WaitVisible(chromedp.CSS(`#gate-violations tr.failing`)))
	do("open the request form", chromedp.Click(chromedp.CSS(form+` summary`)), chromedp.WaitVisible(chromedp.CSS(form+` input[name=reason]`)))
	if got := valueOf(t, ctx, form+` input[name=match_component]`); got != "pkg:generic/busybox" {
		t.Errorf("prefilled component = %q", got)
	}
	if got := valueOf(t, ctx, form+` input[name=expires]`); got != time.Now().UTC().AddDate(0, 0, 30).Format(time.DateOnly) {
		t.Errorf("default expiry = %q", got)
	}
	do("an unscoped request", chromedp.Clear(chromedp.CSS(form+` input[name=match_id]`)), chromedp.Clear(chromedp.CSS(form+` input[name=match_component]`)),
		chromedp.Clear(chromedp.CSS(form+` input[name=match_path]`)), chromedp.SendKeys(chromedp.CSS(form+` input[name=reason]`), "GPL accepted by legal"),
		chromedp.Click(chromedp.CSS(form+` button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("gate-error")))
	if got := text("#gate-error"); !strings.Contains(got, "scope the exception") {
		t.Errorf("error = %q", got)
	}
	do("request", chromedp.Click(chromedp.CSS(form+` summary`)), chromedp.WaitVisible(chromedp.CSS(form+` input[name=reason]`)),
		chromedp.SendKeys(chromedp.CSS(form+` input[name=reason]`), "GPL accepted by legal"),
		chromedp.Click(chromedp.CSS(form+` button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("div.flash")), chromedp.WaitVisible(chromedp.ID("exception-1")))
	browsertest.Screenshot(t, ctx, "exception-requested")
	if got := text("#exception-1"); !strings.Contains(got, "component pkg:generic/busybox") || !strings.Contains(got, "requested") ||
		!strings.Contains(got, "awaiting a product owner other than ed") {
		t.Errorf("requested row = %q", got)
	}
	if got := text("#gate-status"); got != "failed" {
		t.Errorf("gate with a requested exception = %q", got)
	}
	do("sign out", chromedp.Click(chromedp.CSS(`.who button`)), chromedp.WaitVisible(chromedp.ID("signin")))

	do("sign in alice", signIn(e.url+"/login", "alice", e.password, chromedp.WaitVisible(chromedp.ID("new-product")))...)
	do("release page as alice", chromedp.Navigate(relURL), chromedp.WaitVisible(chromedp.CSS(`#exception-1 button.approve`)))
	do("alice requests one herself", chromedp.Click(chromedp.CSS(form+` summary`)), chromedp.WaitVisible(chromedp.CSS(form+` input[name=reason]`)),
		chromedp.SendKeys(chromedp.CSS(form+` input[name=reason]`), "mine"),
		chromedp.Click(chromedp.CSS(form+` button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("exception-2")))
	if got := text("#exception-2"); !strings.Contains(got, "awaiting a product owner other than alice") {
		t.Errorf("alice's own request offers her a decision: %q", got)
	}
	if resp := e.call(t, "admin", "POST", fmt.Sprintf("/api/v1/products/%d/exceptions/2/approve", pid), nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("alice approves her own request through the API: %d", resp.StatusCode)
	}
	do("approve ed's", chromedp.Click(chromedp.CSS(`#exception-1 button.approve`)), chromedp.WaitVisible(chromedp.CSS("div.flash")),
		chromedp.WaitVisible(chromedp.CSS(`#gate-violations tr.excepted`)))
	browsertest.Screenshot(t, ctx, "exception-approved")
	if got := text("#gate-status"); got != "passed" {
		t.Errorf("gate after the approval = %q", got)
	}
	if got := text("#exception-1"); !strings.Contains(got, "approved") || !strings.Contains(got, "ed / alice") {
		t.Errorf("approved row = %q", got)
	}
	if got := text("#gate-violations tr.excepted"); !strings.Contains(got, "approved by alice: GPL accepted by legal") {
		t.Errorf("excepted violation = %q", got)
	}
	evs, err := e.store.AuditEvents(t.Context(), audit.Query{Action: "policy.exception.approve", Limit: -1})
	if err != nil || len(evs) != 1 || evs[0].Actor != "alice" {
		t.Errorf("approve audit events = %+v %v", evs, err)
	}
}

// TestProductSDLBrowser: on the product page a product owner saves the
// product's approved list (the release's gate passes), records SAMM
// self-assessments (the score over time, the form starting from the latest
// answers) and sees each release's SDL checklist, which is edited on the
// release page with evidence links.
func TestProductSDLBrowser(t *testing.T) {
	e := newEnv(t, "sqlite")
	pid, rid := gateRelease(t, e)
	ctx, text, do := e.signedInBrowser(t, "/login", "new-product")
	productURL, relURL := fmt.Sprintf("%s/products/%d", e.url, pid), fmt.Sprintf("%s/releases/%d", e.url, rid)

	do("product page", chromedp.Navigate(productURL), chromedp.WaitVisible(chromedp.ID("approved-form")))
	if got := text("#policy-scope"); !strings.Contains(got, "default") {
		t.Errorf("policy scope = %q", got)
	}
	do("invalid list", chromedp.SendKeys(chromedp.CSS(`#approved-form textarea`), "licenses: [Not-A-Licence]"),
		chromedp.Click(chromedp.CSS(`#approved-form button`)), chromedp.WaitVisible(chromedp.CSS("p.error")))
	if got := text("p.error"); !strings.Contains(got, "Not-A-Licence") {
		t.Errorf("error = %q", got)
	}
	do("approve busybox", chromedp.SetValue(chromedp.CSS(`#approved-form textarea`), "approved:\n  - name: busybox\n    versions: 1.36.x\n    reason: GPL accepted by legal\n"),
		chromedp.Click(chromedp.CSS(`#approved-form button`)), chromedp.WaitVisible(chromedp.CSS("div.flash")))
	if got := text("div.flash"); !strings.Contains(got, "version 1 saved") {
		t.Errorf("flash = %q", got)
	}
	if res, err := e.store.GateResultOf(t.Context(), rid); err != nil || !res.Passed || res.Trigger != "approved" {
		t.Errorf("gate after approving busybox = %+v %v", res, err)
	}

	do("first SAMM assessment", chromedp.Click(chromedp.CSS(`#samm-assess summary`)), chromedp.WaitVisible(chromedp.ID("samm-form")),
		chromedp.SetValue(chromedp.CSS(`select[name="s_D-TA-A"]`), "2"), chromedp.SetValue(chromedp.CSS(`select[name="s_V-ST-B"]`), "1"),
		chromedp.SendKeys(chromedp.CSS(`#samm-form input[name=note]`), "first review"),
		chromedp.Click(chromedp.ID("samm-save")), chromedp.WaitVisible(chromedp.ID("samm-history")))
	if got := text("#samm-history tbody tr:last-child"); !strings.Contains(got, "0.10") || !strings.Contains(got, "0.33") || !strings.Contains(got, "first review") {
		t.Errorf("assessment row = %q", got)
	}
	do("reopen", chromedp.Click(chromedp.CSS(`#samm-assess summary`)), chromedp.WaitVisible(chromedp.ID("samm-form")))
	if got := valueOf(t, ctx, `select[name="s_D-TA-A"]`); got != "2" {
		t.Errorf("the form does not start from the latest answers: D-TA-A = %q", got)
	}
	do("second SAMM assessment", chromedp.SetValue(chromedp.CSS(`select[name="s_D-TA-B"]`), "3"),
		chromedp.Click(chromedp.ID("samm-save")), chromedp.WaitVisible(chromedp.CSS(`#samm-history tbody tr:nth-child(2)`)))
	if got := text("#samm-history tbody tr:nth-child(2)"); !strings.Contains(got, "0.20") {
		t.Errorf("second assessment = %q", got)
	}

	do("release checklist", chromedp.Navigate(relURL), chromedp.WaitVisible(chromedp.ID("checklist-form")),
		chromedp.Click(chromedp.CSS(`input[name=done_code_review]`)), chromedp.Click(chromedp.ID("checklist-save")), chromedp.WaitVisible(chromedp.ID("gate-error")))
	if got := text("#gate-error"); !strings.Contains(got, "no evidence link") {
		t.Errorf("done without evidence: %q", got)
	}
	do("with evidence", chromedp.Click(chromedp.CSS(`input[name=done_code_review]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=evidence_code_review]`), "https://git.example/lock/pull/42"),
		chromedp.Click(chromedp.ID("checklist-save")), chromedp.WaitVisible(chromedp.CSS("div.flash")))
	browsertest.Screenshot(t, ctx, "release-checklist")
	if items, err := e.store.Checklist(t.Context(), rid); err != nil || !items["code_review"].Done || items["code_review"].Evidence != "https://git.example/lock/pull/42" {
		t.Errorf("stored checklist = %+v %v", items, err)
	}
	do("product page again", chromedp.Navigate(productURL), chromedp.WaitVisible(chromedp.ID("checklists")))
	browsertest.Screenshot(t, ctx, "product-sdl")
	if got := text("#checklists tbody tr"); !strings.Contains(got, "3.1") || strings.Count(got, "done") != 1 || strings.Count(got, "open") != 3 {
		t.Errorf("checklist summary = %q", got)
	}
}

// TestGlobalPolicyReevaluates: saving the global policy re-evaluates the
// releases of products that use it, not of a product with its own policy.
func TestGlobalPolicyReevaluates(t *testing.T) {
	e := newEnv(t, "sqlite")
	_, rid := gateRelease(t, e)
	ownID, ownRelease := e.adminRelease(t, map[string]any{"name": "Own Policy", "criticality": 2, "exposure": "internet-facing"}, "1.0")
	own := "rampart: policy/v1\nrules:\n  - id: no-critical\n    on: finding\n    when: finding.severity == 'critical'\n    message: critical\n"
	if resp := e.call(t, "admin", "PUT", fmt.Sprintf("/api/v1/products/%d/policy", ownID), []byte(own), nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT product policy: %d", resp.StatusCode)
	}
	e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/gate", ownRelease), nil, nil) // stored with trigger "api"
	global := "rampart: policy/v1\nrules:\n  - id: every-component\n    on: component\n    when: 'true'\n    message: '{{ component.name }}'\n"
	if resp := e.call(t, "admin", "PUT", "/api/v1/policy", []byte(global), nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT global policy: %d", resp.StatusCode)
	}
	if res, err := e.store.GateResultOf(t.Context(), rid); err != nil || res.Trigger != "policy" || res.Passed {
		t.Errorf("release under the global policy: stored %+v %v, want re-evaluated (trigger policy) and failing", res, err)
	}
	if res, err := e.store.GateResultOf(t.Context(), ownRelease); err != nil || res.Trigger != "api" {
		t.Errorf("release with its own policy: stored %+v %v, want untouched (trigger api)", res, err)
	}
}
