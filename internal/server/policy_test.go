package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/browsertest"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/sbom"
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
	var p struct{ ID int64 }
	if resp := e.call(t, "admin", "POST", "/api/v1/products", map[string]any{"name": "Door Lock", "criticality": 4, "exposure": "internet-facing"}, &p); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create product: %d", resp.StatusCode)
	}
	var r struct{ ID int64 }
	if resp := e.call(t, "admin", "POST", fmt.Sprintf("/api/v1/products/%d/releases", p.ID), map[string]any{"version": "3.1", "status": "development"}, &r); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create release: %d", resp.StatusCode)
	}
	var buf bytes.Buffer
	comps := []inventory.Component{
		{Ref: "busybox", Type: inventory.TypeApplication, Name: "busybox", Version: "1.36.1", PURL: "pkg:generic/busybox@1.36.1", Licenses: []string{"GPL-2.0-only"}},
		{Ref: "zlib", Type: inventory.TypeLibrary, Name: "zlib", Version: "1.3.1", PURL: "pkg:generic/zlib@1.3.1", Licenses: []string{"Zlib"}},
	}
	if err := sbom.EncodeCycloneDX(&buf, sbom.Export{Name: "lock", Version: "3.1", Components: comps, Created: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	if resp := e.call(t, "admin", "POST", fmt.Sprintf("/api/v1/releases/%d/sbom", r.ID), buf.Bytes(), nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("upload sbom: %d", resp.StatusCode)
	}
	return p.ID, r.ID
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
	ctx := browsertest.New(t)
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	do("sign in", chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.SendKeys(chromedp.ID("name"), "alice"), chromedp.SendKeys(chromedp.ID("password"), e.password),
		chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.ID("new-product")))
	do("release page", chromedp.Navigate(fmt.Sprintf("%s/releases/%d", e.url, rid)), chromedp.WaitVisible(chromedp.ID("gate")))
	browsertest.Screenshot(t, ctx, "gate-failed")
	if got := text("#gate-status"); got != "failed" {
		t.Errorf("gate status = %q", got)
	}
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
	do("reload", chromedp.Navigate(fmt.Sprintf("%s/releases/%d", e.url, rid)), chromedp.WaitVisible(chromedp.ID("gate-exceptions")))
	browsertest.Screenshot(t, ctx, "gate-passed")
	if got := text("#gate-status"); got != "passed" {
		t.Errorf("gate status = %q", got)
	}
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
