package portfolio_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/firmware"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestFirmwareJobTakeOver: a job whose server died while analysing it
// (its lease runs out) is analysed by another server's worker, to the end:
// findings, stored analysis and the job's summary.
func TestFirmwareJobTakeOver(t *testing.T) {
	img, err := os.ReadFile("../firmware/testdata/rootfs.sqsh")
	if err != nil {
		t.Fatal(err)
	}
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel := ensureRelease(t, st, "Router", "1.0")
		j := firmware.Job{ReleaseID: rel.ID, FileName: "rootfs.sqsh", CreatedBy: "alice"}
		if err := st.QueueFirmwareJob(ctx, &j, img); err != nil {
			t.Fatal(err)
		}
		// Server A claims it with a short lease and dies.
		if _, ok, err := st.ClaimFirmwareJob(ctx, "server-a", time.Now(), 50*time.Millisecond, 3); !ok || err != nil {
			t.Fatalf("claim: %v %v", ok, err)
		}
		q := portfolio.NewFirmwareJobs(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
		q.Lease, q.Heartbeat = time.Minute, 10*time.Millisecond
		if did, err := q.RunOne(ctx); did || err != nil {
			t.Fatalf("a job under a live lease was taken: %v %v", did, err)
		}
		time.Sleep(80 * time.Millisecond)
		q.Kick()
		q.Wait()
		got, err := st.FirmwareJob(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		var sum portfolio.FirmwareResult
		if err := json.Unmarshal(got.Summary, &sum); err != nil || got.Status != firmware.JobDone || got.Attempts != 2 || got.AnalysisID == 0 || sum.Issues < 20 || sum.Scan.New != sum.Issues {
			t.Fatalf("after take-over: %+v %+v %v", got, sum, err)
		}
		a, err := st.LatestFirmwareAnalysis(ctx, rel.ID)
		if err != nil || a.ID != got.AnalysisID || a.CreatedBy != "alice" {
			t.Errorf("stored analysis %+v %v", a, err)
		}
	})
}
