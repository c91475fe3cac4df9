package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/inventory"
)

// TestUploadSPDX3: a Yocto create-spdx-3.0 image SBOM (SPDX 3.0.1
// JSON-LD, internal/sbom/testdata/README-spdx3.md) is imported through the
// API upload and the release page's upload, which refused it before as an
// unsupported version; a broken one is 422 naming the file and the
// element's field, and leaves the release's components as they were.
func TestUploadSPDX3(t *testing.T) {
	e := newEnv(t, "sqlite")
	yocto := readFile(t, "../sbom/testdata/yocto-core-image-minimal.rootfs.spdx.json")
	p := e.newProduct(t, "Gateway")
	rel := e.postRelease(t, "editor", p.ID, map[string]any{"version": "5.1"})
	up := fmt.Sprintf("/api/v1/releases/%d/sbom", rel.ID)
	var res struct {
		Components  int    `json:"components"`
		Format      string `json:"format"`
		SpecVersion string `json:"spec_version"`
	}
	if r := e.call(t, "editor", "POST", up, yocto, &res); r.StatusCode != 200 || res.Components != 9 || res.Format != "spdx" || res.SpecVersion != "3.0.1" {
		t.Fatalf("API upload: %d %+v", r.StatusCode, res)
	}
	var comps struct {
		Items []inventory.Component `json:"items"`
	}
	e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/components?limit=100&sort=name", rel.ID), nil, &comps)
	names := map[string]inventory.Component{}
	for _, c := range comps.Items {
		names[c.Name] = c
	}
	if bb := names["busybox"]; len(comps.Items) != 9 || bb.PURL != "pkg:yocto/core/busybox@1.36.1" || len(bb.CPEs) != 1 || bb.Supplier != "Acme Devices GmbH" || len(bb.DependsOn) != 1 {
		t.Errorf("stored components: %d, busybox %+v", len(comps.Items), bb)
	}

	broken := bytes.Replace(yocto, []byte(`"name": "libssl3"`), []byte(`"name": ["libssl3"]`), 1)
	var prob struct {
		Detail string `json:"detail"`
	}
	if r := e.call(t, "editor", "POST", up, broken, &prob); r.StatusCode != 422 || !strings.Contains(prob.Detail, "/@graph/") || !strings.Contains(prob.Detail, "/name") {
		t.Errorf("broken SPDX 3: %d %q", r.StatusCode, prob.Detail)
	}
	comps.Items = nil
	e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/components?limit=100", rel.ID), nil, &comps)
	if len(comps.Items) != 9 {
		t.Errorf("%d components after the rejected upload, want 9", len(comps.Items))
	}

	// The release page's upload form.
	rel2 := e.postRelease(t, "editor", p.ID, map[string]any{"version": "5.2"})
	resp := e.postFile(t, e.loginOK(t, "ed"), fmt.Sprintf("/releases/%d/sbom", rel2.ID), "sbom", "core-image-minimal-qemux86-64.rootfs.spdx.json", yocto)
	loc, _ := url.QueryUnescape(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "Imported 9 components from spdx 3.0.1") {
		t.Errorf("UI upload: %d, redirect %q", resp.StatusCode, loc)
	}
	comps.Items = nil
	e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/components?limit=100", rel2.ID), nil, &comps)
	if len(comps.Items) != 9 {
		t.Errorf("UI upload stored %d components, want 9", len(comps.Items))
	}
}
