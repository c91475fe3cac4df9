package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/firmware"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestFirmwareJobs: jobs are claimed oldest first, by one holder at a
// time; progress renews the lease only for its holder; a job whose lease
// ran out is claimed again, and after the last attempt fails; finishing
// drops the image and records the analysis.
func TestFirmwareJobs(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := createProduct(t, s, "Router")
		rel := createRelease(t, s, p.ID, "1.0")
		if _, err := s.LatestFirmwareJob(ctx, rel.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("no job yet: %v", err)
		}
		if err := s.QueueFirmwareJob(ctx, &firmware.Job{ReleaseID: rel.ID, FileName: "x"}, nil); err == nil {
			t.Error("an empty image was queued")
		}
		a := firmware.Job{ReleaseID: rel.ID, FileName: "a.bin", CreatedBy: "alice"}
		b := firmware.Job{ReleaseID: rel.ID, FileName: "b.bin"}
		for _, j := range []*firmware.Job{&a, &b} {
			if err := s.QueueFirmwareJob(ctx, j, []byte("image "+j.FileName)); err != nil || j.ID == 0 || len(j.SHA256) != 64 {
				t.Fatalf("queue: %v %+v", err, j)
			}
		}
		if pid, err := s.FirmwareJobProduct(ctx, a.ID); err != nil || pid != p.ID {
			t.Errorf("product of job: %d %v", pid, err)
		}
		now := time.Now()
		got, ok, err := s.ClaimFirmwareJob(ctx, "s1", now, time.Minute, 2)
		if err != nil || !ok || got.ID != a.ID || string(got.Image) != "image a.bin" || got.Status != firmware.JobRunning || got.Attempts != 1 || got.CreatedBy != "alice" {
			t.Fatalf("first claim: %v %v %+v", ok, err, got)
		}
		got2, ok, err := s.ClaimFirmwareJob(ctx, "s2", now, time.Minute, 2)
		if err != nil || !ok || got2.ID != b.ID {
			t.Fatalf("second claim takes the next job: %v %v %+v", ok, err, got2)
		}
		if _, ok, err := s.ClaimFirmwareJob(ctx, "s3", now, time.Minute, 2); ok || err != nil {
			t.Fatalf("nothing left to claim: %v %v", ok, err)
		}
		if err := s.FirmwareJobProgress(ctx, a.ID, "s1", "checking files", 40, now, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := s.FirmwareJobProgress(ctx, a.ID, "s2", "checking files", 50, now, time.Minute); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("progress by a non-holder: %v, want ErrConflict", err)
		}
		if j, _ := s.FirmwareJob(ctx, a.ID); j.Stage != "checking files" || j.Progress != 40 || j.StartedAt == nil || !j.Active() {
			t.Errorf("after progress: %+v", j)
		}
		// s1 dies: after its lease, s3 takes a over (the second attempt).
		later := now.Add(2 * time.Minute)
		got, ok, err = s.ClaimFirmwareJob(ctx, "s3", later, time.Minute, 2)
		if err != nil || !ok || got.ID != a.ID || got.Attempts != 2 {
			t.Fatalf("take-over: %v %v %+v", ok, err, got)
		}
		if err := s.FinishFirmwareJob(ctx, a.ID, "s1", 0, "", "late", later); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("the old holder finished the job: %v", err)
		}
		// s3 dies too: the job has had its attempts and fails (b, renewed, stays).
		if err := s.FirmwareJobProgress(ctx, b.ID, "s2", "recording", 90, later, 10*time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.ClaimFirmwareJob(ctx, "s4", later.Add(2*time.Minute), time.Minute, 2); ok || err != nil {
			t.Fatalf("a job past its attempts was claimed: %v %v", ok, err)
		}
		if j, _ := s.FirmwareJob(ctx, a.ID); j.Status != firmware.JobFailed || !strings.Contains(j.Error, "stopped 2 times") || j.FinishedAt == nil || j.Active() {
			t.Errorf("after the last attempt: %+v", j)
		}
		// b finishes.
		fa := firmware.Analysis{ReleaseID: rel.ID, SHA256: b.SHA256, FileName: "b.bin", Result: sampleResult()}
		if err := s.SaveFirmwareAnalysis(ctx, &fa); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishFirmwareJob(ctx, b.ID, "s2", fa.ID, `{"issues":3}`, "", later); err != nil {
			t.Fatal(err)
		}
		j, err := s.LatestFirmwareJob(ctx, rel.ID)
		if err != nil || j.ID != b.ID || j.Status != firmware.JobDone || j.Progress != 100 || j.AnalysisID != fa.ID || string(j.Summary) != `{"issues":3}` {
			t.Errorf("done: %v %+v", err, j)
		}
		var n int
		if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM firmware_jobs WHERE image IS NOT NULL`).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d ended jobs keep their image (%v)", n, err)
		}
	})
}

func sampleResult() *firmware.Result {
	return &firmware.Result{Image: "b.bin", Layers: []firmware.Layer{{Type: "squashfs"}}, Counts: firmware.Counts{Files: 1}}
}
