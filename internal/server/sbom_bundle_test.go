package server_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/inventory"
)

// TestAPIUploadYoctoBundle: Yocto create-spdx's IMAGE.spdx.tar.zst, the
// bundle of linked SPDX 2.2 documents, uploaded as the body of POST
// /api/v1/releases/{id}/sbom, imports the image's binary packages with the
// recipes' CPEs and the CONTAINS and runtime edges; a bundle missing a
// package document imports the rest and says which reference it could not
// resolve, through the API and the release page's upload form.
func TestAPIUploadYoctoBundle(t *testing.T) {
	bundle, err := os.ReadFile("../sbom/testdata/yocto/core-image-minimal-qemux86-64.spdx.tar.zst")
	if err != nil {
		t.Fatal(err)
	}
	missing, err := os.ReadFile("../sbom/testdata/yocto/missing-base-files.spdx.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	forEachEngine(t, func(t *testing.T, e *env) {
		var p inventory.Product
		if r := e.call(t, "editor", "POST", "/api/v1/products", map[string]any{"name": "Yocto box"}, &p); r.StatusCode != 201 {
			t.Fatalf("create product: %d", r.StatusCode)
		}
		rel := e.postRelease(t, "editor", p.ID, map[string]any{"version": "1"})
		var res struct {
			Components  int      `json:"components"`
			Format      string   `json:"format"`
			SpecVersion string   `json:"spec_version"`
			Warnings    []string `json:"warnings"`
		}
		up := fmt.Sprintf("/api/v1/releases/%d/sbom", rel.ID)
		if r := e.call(t, "editor", "POST", up, bundle, &res); r.StatusCode != 200 || res.Components != 4 || res.Format != "spdx" || res.SpecVersion != "2.2" || len(res.Warnings) != 0 {
			t.Fatalf("upload: %d %+v", r.StatusCode, res)
		}
		var comps struct {
			Items []inventory.Component `json:"items"`
		}
		e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/components?sort=name&limit=100", rel.ID), nil, &comps)
		var got []string
		for _, c := range comps.Items {
			got = append(got, c.Name+"@"+c.Version+" "+strings.Join(c.CPEs, ",")+" -> "+strings.Join(c.DependsOn, ","))
		}
		sort.Strings(got)
		want := []string{
			"base-files@3.0.14 cpe:2.3:*:*:base-files:3.0.14:*:*:*:*:*:*:* -> ",
			"busybox@1.36.1 cpe:2.3:*:busybox:busybox:1.36.1:*:*:*:*:*:*:* -> ",
			"libcrypto3@3.2.1 cpe:2.3:*:openssl:openssl:3.2.1:*:*:*:*:*:*:* -> DocumentRef-libz1:SPDXRef-Package-libz1",
			"libz1@1.3.1 cpe:2.3:*:zlib:zlib:1.3.1:*:*:*:*:*:*:* -> ",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("components:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// The release page's upload form (htmx) takes the bundle as well.
		sess := e.loginOK(t, "ed")
		rel3 := e.postRelease(t, "editor", p.ID, map[string]any{"version": "3"})
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("csrf", sess.csrf)
		fw, _ := mw.CreateFormFile("sbom", "core-image-minimal-qemux86-64.spdx.tar.zst")
		fw.Write(missing)
		mw.Close()
		req := e.request(t, "POST", fmt.Sprintf("/releases/%d/sbom", rel3.ID), body.Bytes())
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("HX-Request", "true")
		req.AddCookie(sess.cookie)
		if resp, page := send(t, noRedirect, req); resp.StatusCode != 200 || !strings.Contains(string(page), "Imported <strong>3</strong> components from spdx 2.2") || !strings.Contains(string(page), "Warning: core-image-minimal") {
			t.Errorf("UI upload: %d %s", resp.StatusCode, page)
		}
		rel2 := e.postRelease(t, "editor", p.ID, map[string]any{"version": "2"})
		res.Warnings = nil
		if r := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/releases/%d/sbom", rel2.ID), missing, &res); r.StatusCode != 200 || res.Components != 3 || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "DocumentRef-base-files") {
			t.Errorf("upload without base-files: %d %+v", r.StatusCode, res)
		}
	})
}
