package server_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/rampart-security/rampart/internal/inventory"
)

// TestFirmwareUpload: an uploaded image's components become the release's
// SBOM and its issues rampart-firmware findings; a re-upload reconciles
// (nothing new), and an image that does not unpack is refused (422) and
// changes nothing.
func TestFirmwareUpload(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			img, err := os.ReadFile("../firmware/testdata/rootfs.sqsh")
			if err != nil {
				t.Fatal(err)
			}
			var p inventory.Product
			e.call(t, "editor", "POST", "/api/v1/products", map[string]any{"name": "Router"}, &p)
			var rel inventory.Release
			e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/products/%d/releases", p.ID), map[string]any{"version": "1.0"}, &rel)
			var res struct {
				Components, Issues int
				SHA256             string
				Scan               struct {
					Tool          string
					New, Findings int
				}
			}
			path := fmt.Sprintf("/api/v1/releases/%d/firmware?filename=rootfs.sqsh", rel.ID)
			if r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/firmware", rel.ID), nil, nil); r.StatusCode != 404 {
				t.Errorf("latest analysis before any upload: %d, want 404", r.StatusCode)
			}
			if r := e.call(t, "viewer", "POST", path, img, nil); r.StatusCode != 403 {
				t.Errorf("viewer upload: %d", r.StatusCode)
			}
			if r := e.call(t, "editor", "POST", path, img, &res); r.StatusCode != 200 {
				t.Fatalf("upload: %d", r.StatusCode)
			}
			if res.Components < 3 || res.Issues < 20 || res.Scan.Tool != "rampart-firmware" || res.Scan.New != res.Scan.Findings || len(res.SHA256) != 64 {
				t.Errorf("result %+v", res)
			}
			var comps struct{ Items []inventory.Component }
			e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/components", rel.ID), nil, &comps)
			names := map[string]string{}
			for _, c := range comps.Items {
				names[c.Name] = c.Version
			}
			if names["busybox"] != "1.36.1" || names["linux"] != "5.10.161" {
				t.Errorf("release components %v", names)
			}
			var fl struct {
				Items []struct{ Tool, Severity, Status string }
			}
			e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/findings?release=%d&tool=rampart-firmware&limit=200", rel.ID), nil, &fl)
			if len(fl.Items) != res.Issues {
				t.Errorf("%d findings listed, %d issues", len(fl.Items), res.Issues)
			}
			var stored struct {
				ReleaseID int64 `json:"release_id"`
				SHA256    string
				FileName  string `json:"file_name"`
				CreatedBy string `json:"created_by"`
				Result    struct {
					Issues []struct{ Kind string }
					Counts struct{ Files int }
				}
			}
			if r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/firmware", rel.ID), nil, &stored); r.StatusCode != 200 {
				t.Fatalf("latest analysis: %d", r.StatusCode)
			}
			if stored.ReleaseID != rel.ID || stored.SHA256 != res.SHA256 || stored.FileName != "rootfs.sqsh" || stored.CreatedBy == "" ||
				len(stored.Result.Issues) != res.Issues || stored.Result.Counts.Files == 0 {
				t.Errorf("stored analysis %+v", stored)
			}
			// Re-upload: reconciled, nothing new.
			if r := e.call(t, "editor", "POST", path, img, &res); r.StatusCode != 200 || res.Scan.New != 0 {
				t.Errorf("re-upload: %d %+v", r.StatusCode, res.Scan)
			}
			if r := e.call(t, "editor", "POST", path, []byte("this is not a firmware image at all"), nil); r.StatusCode != 422 {
				t.Errorf("junk upload: %d", r.StatusCode)
			}
		})
	}
}
