package server_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
)

// TestFirmwareUpload: an uploaded image's components become the release's
// SBOM and its issues rampart-firmware findings; a re-upload reconciles
// (nothing new), and an image that does not unpack is refused (422) and
// changes nothing.
func TestFirmwareUpload(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		img := readFile(t, "../firmware/testdata/rootfs.sqsh")
		p := e.newProduct(t, "Router")
		rel := e.postRelease(t, "editor", p.ID, map[string]any{"version": "1.0"})
		var res struct {
			Components, Issues int
			SHA256             string
			AnalysisID         int64 `json:"analysis_id"`
			Scan               struct {
				Tool          string
				New, Findings int
			}
		}
		path := fmt.Sprintf("/api/v1/releases/%d/firmware?filename=rootfs.sqsh", rel.ID)
		// upload queues the image (202 at once) and follows the job
		// until it ends, checking that progress only grows.
		upload := func(body []byte) (job struct {
			ID            int64
			AnalysisID    int64 `json:"analysis_id"`
			Status, Stage string
			Progress      int
			Error         string
			Summary       json.RawMessage
		}) {
			t.Helper()
			r := e.call(t, "editor", "POST", path, body, &job)
			if r.StatusCode != 202 || job.ID == 0 || job.Status != "queued" || r.Header.Get("Location") != fmt.Sprintf("/api/v1/firmware-jobs/%d", job.ID) {
				t.Fatalf("upload: %d %+v location %q", r.StatusCode, job, r.Header.Get("Location"))
			}
			last := 0
			for deadline := time.Now().Add(2 * time.Minute); ; {
				if r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/firmware-jobs/%d", job.ID), nil, &job); r.StatusCode != 200 {
					t.Fatalf("job: %d", r.StatusCode)
				}
				if job.Progress < last && job.Status != "failed" {
					t.Errorf("progress went back from %d to %d (%s)", last, job.Progress, job.Stage)
				}
				last = job.Progress
				if job.Status == "done" || job.Status == "failed" {
					return job
				}
				if time.Now().After(deadline) {
					t.Fatalf("job still %s at %s", job.Status, job.Stage)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		if r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/firmware", rel.ID), nil, nil); r.StatusCode != 404 {
			t.Errorf("latest analysis before any upload: %d, want 404", r.StatusCode)
		}
		if r := e.call(t, "viewer", "POST", path, img, nil); r.StatusCode != 403 {
			t.Errorf("viewer upload: %d", r.StatusCode)
		}
		job := upload(img)
		if job.Status != "done" || job.Progress != 100 || job.Error != "" {
			t.Fatalf("job %+v", job)
		}
		if err := json.Unmarshal(job.Summary, &res); err != nil {
			t.Fatal(err)
		}
		if res.AnalysisID == 0 || res.AnalysisID != job.AnalysisID {
			t.Errorf("analysis id %d, job says %d", res.AnalysisID, job.AnalysisID)
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
		job = upload(img)
		if err := json.Unmarshal(job.Summary, &res); err != nil || job.Status != "done" || res.Scan.New != 0 {
			t.Errorf("re-upload: %+v %+v %v", job, res.Scan, err)
		}
		// Junk fails its job, naming why, and changes nothing.
		job = upload([]byte("this is not a firmware image at all"))
		if job.Status != "failed" || !strings.Contains(job.Error, "unreadable firmware image") || job.AnalysisID != 0 {
			t.Errorf("junk upload: %+v", job)
		}
		if r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/firmware", rel.ID), nil, &stored); r.StatusCode != 200 || stored.SHA256 != res.SHA256 {
			t.Errorf("after junk, latest analysis %d %s", r.StatusCode, stored.SHA256)
		}
		if r := e.call(t, "viewer", "GET", "/api/v1/firmware-jobs/999999", nil, nil); r.StatusCode != 404 {
			t.Errorf("missing job: %d", r.StatusCode)
		}
	})
}

// What an analysis could not check (here a corrupt ELF file) is kept with
// it: the API returns it as result.warnings and the firmware page lists it.
func TestFirmwareWarningsShown(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		rel := e.storeRelease(t, e.storeProduct(t, "Camera").ID, "1.0")
		img := readFile(t, "../firmware/testdata/corrupt-elf.tar")
		if _, err := portfolio.ImportFirmware(context.Background(), e.store, portfolio.FirmwareRequest{ReleaseID: rel.ID, FileName: "corrupt-elf.tar", Actor: "alice", Image: img}); err != nil {
			t.Fatal(err)
		}
		var stored struct {
			Result struct{ Warnings []string }
		}
		if r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/firmware", rel.ID), nil, &stored); r.StatusCode != 200 ||
			len(stored.Result.Warnings) != 1 || !strings.Contains(stored.Result.Warnings[0], "/usr/bin/broken: corrupt ELF file") {
			t.Fatalf("API warnings: %d %q", r.StatusCode, stored.Result.Warnings)
		}
		page := readBody(e.do(t, e.loginOK(t, "vic"), "GET", fmt.Sprintf("/releases/%d/firmware", rel.ID), nil))
		if !strings.Contains(page, `id="fw-warnings"`) || !strings.Contains(page, "/usr/bin/broken: corrupt ELF file") {
			t.Errorf("the firmware page does not list the warning:\n%s", page)
		}
	})
}

// A FIT image's signature checks are stored with the analysis: a tar
// holding a U-Boot binary with its control dtb and a tampered signed FIT
// gives a bad_fit_signature finding, result.fit in the API, and the
// signatures table on the firmware page.
func TestFirmwareFITSignaturesShown(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		rel := e.storeRelease(t, e.storeProduct(t, "Gateway").ID, "1.0")
		var buf bytes.Buffer
		w := tar.NewWriter(&buf)
		for name, data := range map[string][]byte{
			"u-boot.bin":   append([]byte("U-Boot 2023.01\x00\x00"), readFile(t, "../firmware/testdata/fitsig/control-rsa.dtb")...),
			"boot/fit.itb": readFile(t, "../firmware/testdata/fitsig/rsa-tampered.itb"),
		} {
			w.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
			w.Write(data)
		}
		w.Close()
		if _, err := portfolio.ImportFirmware(context.Background(), e.store, portfolio.FirmwareRequest{ReleaseID: rel.ID, FileName: "gw.tar", Actor: "alice", Image: buf.Bytes()}); err != nil {
			t.Fatal(err)
		}
		var stored struct {
			Result struct {
				Issues []struct{ Kind, Severity, Path string }
				FIT    []struct {
					Path       string
					Signatures []struct{ Node, Result, Key string }
				}
			}
		}
		if r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/firmware", rel.ID), nil, &stored); r.StatusCode != 200 || len(stored.Result.FIT) != 1 ||
			len(stored.Result.FIT[0].Signatures) != 2 || stored.Result.FIT[0].Signatures[1].Result != "bad signature" || stored.Result.FIT[0].Signatures[0].Key != "/u-boot.bin at 0x10 /signature/key-dev" {
			t.Fatalf("API fit: %d %+v", r.StatusCode, stored.Result.FIT)
		}
		if len(stored.Result.Issues) != 1 || stored.Result.Issues[0].Kind != "bad_fit_signature" || stored.Result.Issues[0].Severity != "high" || stored.Result.Issues[0].Path != "/boot/fit.itb!/configurations/conf-1/signature-1" {
			t.Errorf("issues %+v", stored.Result.Issues)
		}
		page := readBody(e.do(t, e.loginOK(t, "vic"), "GET", fmt.Sprintf("/releases/%d/firmware", rel.ID), nil))
		if !strings.Contains(page, `id="fw-fit"`) || !strings.Contains(page, "<strong>bad signature</strong>") || !strings.Contains(page, "/configurations/conf-1/signature-1") {
			t.Errorf("the firmware page does not show the signatures:\n%s", page)
		}
	})
}
