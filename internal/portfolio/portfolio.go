// Package portfolio runs the use cases that span the inventory, the SBOM
// codecs and the store: importing an SBOM into a release and exporting a
// release as an SBOM. The API, the UI, the CLI and the demo seeder share them.
package portfolio

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/blob"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/sbom"
)

// ImportResult is the response of an SBOM upload.
type ImportResult struct {
	ReleaseID   int64  `json:"release_id"`
	Format      string `json:"format"`
	SpecVersion string `json:"spec_version"`
	Components  int    `json:"components"`
	SHA256      string `json:"sha256"`
	// Warnings are what the import did not resolve but accepted (an SPDX
	// bundle's reference to a document it does not hold).
	Warnings []string `json:"warnings,omitempty"`
}

// SBOMImportStore is what an SBOM import needs of the store: the release's
// components replaced with the document's (whole, or streamed into the
// sink fill is given) and the raw document kept, the release's product for
// the audit record, and the transaction the audit record joins.
type SBOMImportStore interface {
	audit.AtomicLog
	ImportComponents(ctx context.Context, releaseID int64, comps []inventory.Component, raw blob.Blob) error
	ImportComponentsStream(ctx context.Context, releaseID int64, raw blob.Blob, fill func(inventory.ComponentSink) error) (int, error)
	ReleaseProduct(ctx context.Context, releaseID int64) (int64, error)
}

// SBOMExportStore is what ExportSBOM reads: the release and all its
// components.
type SBOMExportStore interface {
	Release(ctx context.Context, id int64) (inventory.Release, error)
	AllComponents(ctx context.Context, releaseID int64) ([]inventory.Component, error)
}

// ImportSBOM decodes and validates an SBOM and replaces the release's
// components with it in one transaction. Shared by the API, the UI and the CLI.
func ImportSBOM(ctx context.Context, st SBOMImportStore, releaseID int64, name string, data []byte) (ImportResult, error) {
	doc, err := sbom.DecodeBytes(data, name)
	if err != nil {
		return ImportResult{}, fault.Unprocessable(err)
	}
	return importSBOM(ctx, st, releaseID, name, doc, blob.New(name, "application/octet-stream", data))
}

// ImportSBOMFrom is ImportSBOM reading an upload (a spooled file, or an
// open file for the CLI) of size bytes. A document up to
// sbom.StreamThreshold is read into memory and decoded whole, as ImportSBOM
// does; a larger one is streamed (sbom.DecodeStream): validated, then
// decoded one component at a time and written in batches inside the one
// import transaction, so a 500 MB SBOM does not cost 500 MB of memory. Raw
// bytes are kept in the store up to MaxKeptReport, larger documents are
// recorded by SHA-256 only (a 500 MB SBOM is not copied into the database).
func ImportSBOMFrom(ctx context.Context, st SBOMImportStore, releaseID int64, name string, ra io.ReaderAt, size int64) (ImportResult, error) {
	if size <= streamThreshold {
		data, err := io.ReadAll(io.NewSectionReader(ra, 0, size))
		if err != nil {
			return ImportResult{}, fmt.Errorf("%s: read SBOM: %w", name, err)
		}
		return ImportSBOM(ctx, st, releaseID, name, data)
	}
	hash := sha256.New()
	if _, err := io.Copy(hash, io.NewSectionReader(ra, 0, size)); err != nil {
		return ImportResult{}, fmt.Errorf("%s: read SBOM: %w", name, err)
	}
	raw := blob.Blob{SHA256: hex.EncodeToString(hash.Sum(nil)), Name: name, MediaType: "application/octet-stream"}
	if size <= MaxKeptReport {
		data, err := io.ReadAll(io.NewSectionReader(ra, 0, size))
		if err != nil {
			return ImportResult{}, fmt.Errorf("%s: read SBOM: %w", name, err)
		}
		raw = blob.New(name, "application/octet-stream", data)
	}
	// Validation (the first pass) runs before the transaction opens, so no
	// write lock is held while a large document is checked.
	prep, err := sbom.Prepare(ra, size, name)
	if err != nil {
		return ImportResult{}, fault.Unprocessable(err)
	}
	f := prep.Format()
	var res ImportResult
	// The components and the audit record of the import commit together;
	// an error while streaming rolls the whole transaction back.
	err = st.Atomic(ctx, func(ctx context.Context) error {
		var warnings []string
		n, err := st.ImportComponentsStream(ctx, releaseID, raw, func(w inventory.ComponentSink) error {
			out, derr := prep.Emit(w)
			if out != nil {
				warnings = out.Warnings
			}
			var ve *sbom.ValidationError
			if errors.As(derr, &ve) {
				return fault.Unprocessable(derr)
			}
			return derr
		})
		if err != nil {
			return err
		}
		res = ImportResult{ReleaseID: releaseID, Format: f.Name, SpecVersion: f.SpecVersion, Components: n, SHA256: raw.SHA256, Warnings: warnings}
		return recordSBOMImport(ctx, st, name, res, " (streamed)")
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// streamThreshold is sbom.StreamThreshold; tests lower it.
var streamThreshold = sbom.StreamThreshold

func importSBOM(ctx context.Context, st SBOMImportStore, releaseID int64, name string, doc *sbom.Document, raw blob.Blob) (ImportResult, error) {
	res := ImportResult{ReleaseID: releaseID, Format: string(doc.Format), SpecVersion: doc.SpecVersion, Components: len(doc.Components), SHA256: raw.SHA256, Warnings: doc.Warnings}
	// The components and the audit record of the import commit together.
	err := st.Atomic(ctx, func(ctx context.Context) error {
		if err := st.ImportComponents(ctx, releaseID, doc.Components, raw); err != nil {
			return err
		}
		return recordSBOMImport(ctx, st, name, res, "")
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// recordSBOMImport writes the audit record of the import res of the SBOM
// file name (in the import's transaction); how ends its detail.
func recordSBOMImport(ctx context.Context, st SBOMImportStore, name string, res ImportResult, how string) error {
	pid, err := st.ReleaseProduct(ctx, res.ReleaseID)
	if err != nil {
		return err
	}
	return audit.Record(ctx, st, audit.Event{Action: audit.ActionSBOMImport, Object: fmt.Sprintf("release %d (%s)", res.ReleaseID, name), ProductID: pid,
		Detail: fmt.Sprintf("%s %s, %d components, sha256 %s%s", res.Format, res.SpecVersion, res.Components, res.SHA256, how)})
}

// ExportSBOM writes a release's components in the requested format
// ("cyclonedx-json" or "spdx-json") and returns the content type.
func ExportSBOM(ctx context.Context, st SBOMExportStore, releaseID int64, format string, w io.Writer) (string, error) {
	rel, err := st.Release(ctx, releaseID)
	if err != nil {
		return "", err
	}
	comps, err := st.AllComponents(ctx, releaseID)
	if err != nil {
		return "", err
	}
	exp := sbom.Export{Name: rel.ProductName, Version: rel.Version, Components: comps, Created: rel.CreatedAt, DependsOn: sbom.Roots(comps)}
	switch format {
	case "", "cyclonedx-json":
		return "application/vnd.cyclonedx+json; version=1.6", sbom.EncodeCycloneDX(w, exp)
	case "spdx-json":
		return "application/spdx+json", sbom.EncodeSPDX(w, exp)
	}
	return "", fault.Invalid("format", "format: %q: must be cyclonedx-json or spdx-json", format)
}
