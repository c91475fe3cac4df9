package portfolio

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners"
	"github.com/rampart-security/rampart/internal/scanners/defectdojo"
	"github.com/rampart-security/rampart/internal/spool"
)

// MaxKeptReport is the largest report whose raw bytes are kept in the
// store; bigger reports are streamed, parsed and recorded by SHA-256 only
// (a 1 GB Nessus export should not double the database).
const MaxKeptReport = 64 << 20

// DefectDojoScope is the default scope of a DefectDojo findings export.
const DefectDojoScope = "defectdojo"

// ScanRequest is a scanner report to import into a release.
type ScanRequest struct {
	ReleaseID int64
	FileName  string
	Tool      string // empty: detect from content
	Scope     string // empty: the tool name (DefectDojoScope for a DefectDojo export)
	Actor     string
	Report    io.Reader
	// Now is the import's clock: when the findings are first and last seen
	// and their SLA windows start (nil: time.Now). The demo seeds a
	// history with it.
	Now func() time.Time
	// Partial imports the report as a partial scan: its findings are
	// added and updated, none is closed (findings.ScanImport.Partial). A
	// report that says its scan did not complete is imported so without
	// it, when it lists a finding.
	Partial bool
}

// ScanImportStore is what ImportScan needs of the store: the findings
// import, the enrichment of the release's findings, the release's product
// for the audit record and its trend point, and the transaction they and
// the audit record share.
type ScanImportStore interface {
	audit.AtomicLog
	findings.ImportStore
	EnrichStore
	ReleaseProduct(ctx context.Context, releaseID int64) (int64, error)
	SnapshotFindings(ctx context.Context, now time.Time, productID int64) error
}

// ImportScan streams a scanner report into a release: the format is
// detected from the content (or given), findings are parsed one by one and
// reconciled with the earlier imports of the same scope in one
// transaction. A report the tool cannot have produced changes nothing.
func ImportScan(ctx context.Context, st ScanImportStore, req ScanRequest) (findings.ScanResult, error) {
	// The report is read from a seekable local file: a spooled upload
	// (web.Upload) or a file the CLI opened. Anything else is spooled here,
	// so the transaction below never waits on the network and can re-read
	// the report when it is retried.
	src, ok := req.Report.(io.ReadSeeker)
	if !ok {
		f, err := spool.New(req.Report, 0, "", req.FileName)
		if err != nil {
			return findings.ScanResult{}, err
		}
		defer f.Close()
		src = f
	}
	format, err := scanners.Choose(bufio.NewReaderSize(src, scanners.HeadSize), req.FileName, req.Tool)
	if err != nil {
		return findings.ScanResult{}, fault.Unprocessable(err)
	}
	hash := sha256.New()
	var kept bytes.Buffer
	keep := &limitedBuffer{buf: &kept, max: MaxKeptReport}
	scope := req.Scope
	if scope == "" && format.Name == defectdojo.Name {
		// A DefectDojo migration has one scope whichever way it comes in
		// (rampart scan import-defectdojo, the API, the release page), so
		// a later import of a newer export reconciles the same findings.
		scope = DefectDojoScope
	}
	now := time.Now
	if req.Now != nil {
		now = req.Now
	}
	at := now().UTC()
	in := findings.ScanImport{ReleaseID: req.ReleaseID, Tool: format.Name, Scope: scope, FileName: req.FileName, Actor: req.Actor, Now: at, Partial: req.Partial,
		Each: func(emit func(findings.Finding) error) error {
			// Each attempt of the transaction reads the report from the start.
			if _, err := src.Seek(0, io.SeekStart); err != nil {
				return fmt.Errorf("rewind %s: %w", req.FileName, err)
			}
			hash.Reset()
			kept.Reset()
			keep.over = false
			br := bufio.NewReaderSize(io.TeeReader(src, io.MultiWriter(hash, keep)), scanners.HeadSize)
			perr := format.Parse(br, req.FileName, emit)
			if perr != nil {
				perr = fault.Unprocessable(fmt.Errorf("%s report: %w", format.Name, perr))
				if !errors.Is(perr, findings.ErrIncompleteScan) {
					return perr
				}
				// The report says its scan did not complete: the importer
				// takes what it listed as a partial scan (or refuses it
				// when it listed nothing).
			}
			if _, err := io.Copy(io.Discard, br); err != nil { // hash the whole file
				return err
			}
			return perr
		}}
	in.RawAfter = func() findings.RawReport { // called after Each has read the whole report
		raw := findings.RawReport{Name: req.FileName, SHA256: hex.EncodeToString(hash.Sum(nil))}
		if !keep.over {
			raw.MediaType, raw.Content = "application/octet-stream", keep.buf.Bytes()
		}
		return raw
	}
	var res findings.ScanResult
	var pid int64
	// The import and its audit record commit together (or neither does).
	err = st.Atomic(ctx, func(ctx context.Context) error {
		var err error
		if res, err = findings.NewImporter(st, now).Import(ctx, in); err != nil {
			return err
		}
		// KEV, EPSS, CVSS and fixed versions from the vulnerability
		// database, and the links to the release's SBOM matches.
		if err := EnrichFindings(ctx, st, req.ReleaseID, nil); err != nil {
			return err
		}
		if pid, err = st.ReleaseProduct(ctx, req.ReleaseID); err != nil {
			return err
		}
		return audit.Record(ctx, st, audit.Event{Action: "scan.import", Object: fmt.Sprintf("release %d (%s)", req.ReleaseID, req.FileName), ProductID: pid,
			Detail: fmt.Sprintf("%s scope %s: %d findings, %d new%s", res.Tool, res.Scope, res.Findings, res.New, partialNote(res))})
	})
	if err != nil {
		return res, err
	}
	// Keep today's trend point of this product current (best effort: the
	// import succeeded; the background job refreshes every product).
	_ = st.SnapshotFindings(ctx, at, pid)
	return res, nil
}

// partialNote is what the audit record of a partial import adds.
func partialNote(res findings.ScanResult) string {
	switch {
	case res.PartialReason != "":
		return " (partial scan, nothing closed: " + res.PartialReason + ")"
	case res.Partial:
		return " (partial scan: nothing closed)"
	}
	return ""
}

type limitedBuffer struct {
	buf  *bytes.Buffer
	max  int
	over bool
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if !l.over {
		if l.buf.Len()+len(p) > l.max {
			l.over = true
			l.buf.Reset()
		} else {
			l.buf.Write(p)
		}
	}
	return len(p), nil
}
