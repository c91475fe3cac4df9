package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/firmware"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

func TestFirmwareAnalyses(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := createProduct(t, s, "Router")
		other := createProduct(t, s, "Camera")
		r1 := inventory.Release{ProductID: p.ID, Version: "1.0"}
		r2 := inventory.Release{ProductID: p.ID, Version: "2.0"}
		r3 := inventory.Release{ProductID: p.ID, Version: "3.0"}
		oc := inventory.Release{ProductID: other.ID, Version: "1.0"}
		for _, r := range []*inventory.Release{&r1, &oc, &r2, &r3} {
			if err := s.CreateRelease(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.LatestFirmwareAnalysis(ctx, r1.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("no analysis yet: got %v, want ErrNotFound", err)
		}
		save := func(rel int64, image string, issues int) {
			t.Helper()
			res := &firmware.Result{Image: image, Layers: []firmware.Layer{{Type: "squashfs", Offset: 64}}, Counts: firmware.Counts{Files: 3, ELFFiles: 1},
				Binaries: []firmware.Binary{{Path: "/bin/busybox", NX: true, RELRO: "partial"}}}
			for i := 0; i < issues; i++ {
				res.Issues = append(res.Issues, firmware.Issue{Kind: "default_password", Severity: findings.High, Path: "/etc/shadow", Account: "root"})
			}
			a := firmware.Analysis{ReleaseID: rel, SHA256: "ab12", FileName: image, Result: res, CreatedBy: "alice"}
			if err := s.SaveFirmwareAnalysis(ctx, &a); err != nil || a.ID == 0 {
				t.Fatalf("save: %v (id %d)", err, a.ID)
			}
		}
		save(r1.ID, "v1.bin", 1)
		save(oc.ID, "camera.bin", 5)
		save(r1.ID, "v1b.bin", 2)
		save(r3.ID, "v3.bin", 0)

		got, err := s.LatestFirmwareAnalysis(ctx, r1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.FileName != "v1b.bin" || got.CreatedBy != "alice" || got.SHA256 != "ab12" || got.CreatedAt.IsZero() {
			t.Errorf("latest = %+v, want v1b.bin by alice", got)
		}
		if len(got.Result.Issues) != 2 || got.Result.Layers[0].Offset != 64 || got.Result.Counts.ELFFiles != 1 || got.Result.Binaries[0].RELRO != "partial" {
			t.Errorf("result did not round-trip: %+v", got.Result)
		}
		// r3's previous analysed release is r1 (r2 has none; the camera is another product).
		prev, err := s.PreviousFirmwareAnalysis(ctx, r3.ID)
		if err != nil || prev.ReleaseID != r1.ID || prev.FileName != "v1b.bin" {
			t.Errorf("previous of 3.0 = %+v, %v; want release %d v1b.bin", prev, err, r1.ID)
		}
		if _, err := s.PreviousFirmwareAnalysis(ctx, r1.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("previous of the first release: got %v, want ErrNotFound", err)
		}
	})
}
