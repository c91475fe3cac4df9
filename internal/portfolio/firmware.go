package portfolio

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/firmware"
	"github.com/rampart-security/rampart/internal/inventory"
)

// FirmwareRequest is a firmware image uploaded to a release.
type FirmwareRequest struct {
	ReleaseID int64
	FileName  string
	Actor     string
	Image     []byte
	// Version names the firmware in its SBOM (default: the release's).
	Version string
	// Progress, when set, is told the stage and the percentage done
	// (unpacking 5, checking files 10–85, recording 90).
	Progress func(stage string, percent int)
	// Now is the clock of the SBOM's timestamp and the findings snapshot
	// (nil: time.Now).
	Now func() time.Time
}

// FirmwareResult summarises an analysed upload.
type FirmwareResult struct {
	ReleaseID  int64               `json:"release_id"`
	SHA256     string              `json:"sha256"`
	Layers     []firmware.Layer    `json:"layers"`
	Counts     firmware.Counts     `json:"counts"`
	Components int                 `json:"components"`
	Issues     int                 `json:"issues"`
	Binaries   int                 `json:"binaries"`
	Scan       findings.ScanResult `json:"scan"`
	AnalysisID int64               `json:"analysis_id"`
	Result     *firmware.Result    `json:"result,omitempty"`
}

// firmwareTool names the findings of firmware analyses.
const firmwareTool = "rampart-firmware"

// FirmwareImportStore is what ImportFirmware needs of the store: the
// release, the SBOM import of the image's components, the findings import
// of its issues, the record of the analysis and the product's trend point.
type FirmwareImportStore interface {
	SBOMImportStore
	findings.ImportStore
	Release(ctx context.Context, id int64) (inventory.Release, error)
	SaveFirmwareAnalysis(ctx context.Context, a *firmware.Analysis) error
	SnapshotFindings(ctx context.Context, now time.Time, productID int64) error
}

// ImportFirmware analyses a firmware image and records it on a release:
// its components become the release's SBOM (CycloneDX, as an SBOM upload
// would), its issues become findings of tool "rampart-firmware" (scope
// "firmware"), reconciled with the previous image's so triage survives
// re-uploads, and the image itself is kept content-addressed (its hash
// only, above MaxKeptReport). An image that does not unpack changes nothing.
func ImportFirmware(ctx context.Context, st FirmwareImportStore, req FirmwareRequest) (FirmwareResult, error) {
	rel, err := st.Release(ctx, req.ReleaseID)
	if err != nil {
		return FirmwareResult{}, err
	}
	now := req.Now
	if now == nil {
		now = time.Now
	}
	if req.FileName == "" {
		req.FileName = "firmware.bin"
	}
	progress := func(string, int) {}
	if req.Progress != nil {
		progress = req.Progress
	}
	res, err := firmware.Analyze(ctx, req.FileName, req.Image, firmware.Options{Progress: func(stage string, done, total int) {
		switch {
		case stage == "unpacking":
			progress("unpacking", 5)
		case total > 0:
			progress("checking files", 10+75*done/total)
		default:
			progress("checking files", 10)
		}
	}})
	if err != nil {
		if errors.Is(err, firmware.ErrUnreadable) {
			return FirmwareResult{}, fault.Unprocessable(fmt.Errorf("%w: upload the image file (TRX, uImage, FIT, zip, 7z, Android sparse, UBI, squashfs, ext, EROFS, cramfs, JFFS2, cpio or tar, or a vendor blob that holds one)", err))
		}
		return FirmwareResult{}, err
	}
	progress("recording", 90)
	version := req.Version
	if version == "" {
		version = rel.Version
	}
	var cdx bytes.Buffer
	if err := res.WriteCycloneDX(&cdx, req.FileName, version, "rampart", now().UTC()); err != nil {
		return FirmwareResult{}, err
	}
	if _, err := ImportSBOM(ctx, st, req.ReleaseID, req.FileName+".cdx.json", cdx.Bytes()); err != nil {
		return FirmwareResult{}, fmt.Errorf("firmware SBOM: %w", err)
	}
	sum := sha256.Sum256(req.Image)
	digest := hex.EncodeToString(sum[:])
	fs := res.Findings()
	scan, err := findings.NewImporter(st, nil).Import(ctx, findings.ScanImport{ReleaseID: req.ReleaseID, Tool: firmwareTool, Scope: "firmware", FileName: req.FileName, Actor: req.Actor,
		Each: func(emit func(findings.Finding) error) error {
			for _, f := range fs {
				if err := emit(f); err != nil {
					return err
				}
			}
			return nil
		},
		RawAfter: func() findings.RawReport {
			raw := findings.RawReport{Name: req.FileName, SHA256: digest}
			if len(req.Image) <= MaxKeptReport {
				raw.MediaType, raw.Content = "application/octet-stream", req.Image
			}
			return raw
		}})
	if err != nil {
		return FirmwareResult{}, err
	}
	fa := firmware.Analysis{ReleaseID: req.ReleaseID, SHA256: digest, FileName: req.FileName, Result: res, CreatedBy: req.Actor}
	if err := st.SaveFirmwareAnalysis(ctx, &fa); err != nil {
		return FirmwareResult{}, err
	}
	pid, err := st.ReleaseProduct(ctx, req.ReleaseID)
	if err != nil {
		return FirmwareResult{}, err
	}
	_ = st.SnapshotFindings(ctx, now(), pid)
	err = audit.Record(ctx, st, audit.Event{Action: "firmware.import", Object: fmt.Sprintf("release %d (%s)", req.ReleaseID, req.FileName), ProductID: pid,
		Detail: fmt.Sprintf("sha256 %s: %d files, %d components, %d issues (%d new findings)", digest, res.Counts.Files, len(res.Components), len(res.Issues), scan.New)})
	return FirmwareResult{ReleaseID: req.ReleaseID, SHA256: digest, Layers: res.Layers, Counts: res.Counts, Components: len(res.Components),
		Issues: len(res.Issues), Binaries: len(res.Binaries), Scan: scan, AnalysisID: fa.ID, Result: res}, err
}
