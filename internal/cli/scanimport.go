package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/scanners/defectdojo"
	"github.com/rampart-security/rampart/internal/store"
)

// scanImportOptions are the parsed options of `rampart scan import`.
type scanImportOptions struct {
	Store   storeFlags
	File    string
	Product string
	Release string
	Tool    string
	Scope   string
	Partial bool
}

func newScanImportCmd(s *streams, runF func(context.Context, *scanImportOptions) error) *cobra.Command {
	opts := &scanImportOptions{}
	cmd := &cobra.Command{
		Use:   "import FILE --product NAME --release VERSION [--tool NAME] [--scope LABEL]",
		Short: "Import a scanner report into a product release and reconcile it with earlier scans",
		Long: `Import a scanner report (format detected from the content, or --tool) into a
release, creating product and release when missing. Re-importing the same
scope (tool and target label) opens new findings, updates seen ones, closes
active ones the scan no longer reports (fixed, verified by re-scan) and
reopens fixed ones that re-appear. Triage decisions and assignees are never
overwritten. The import is one transaction.

A report that says its own scan did not complete (failed, stopped,
interrupted, one page of the results) would close findings the scan never
re-checked: it is imported as a partial scan, whose findings are added and
updated and which closes none, and the output says why; one that lists no
finding is refused. --partial imports any report as a partial scan.`,
		Example: `  rampart scan import zap-nightly.xml --product "Fleet Portal" --release 2026.05 --scope zap:portal --data ./rampart-data
  rampart scan import results.sarif --tool sarif --product Gateway --release 2.4.1
  rampart scan import stopped-scan.xml --partial --product Gateway --release 2.4.1`,
		Args: exactArgs(&opts.File),
		RunE: runE(s, opts, runF, runScanImport),
	}
	opts.Store.register(cmd)
	registerReleaseFlags(cmd, &opts.Product, &opts.Release)
	cmd.Flags().StringVar(&opts.Tool, "tool", "", "report format (see 'rampart scan formats'); default: detect")
	cmd.Flags().StringVar(&opts.Scope, "scope", "", "scan scope label for re-imports, e.g. zap:portal; default: the tool")
	cmd.Flags().BoolVar(&opts.Partial, "partial", false, "import as a partial scan: add and update findings, close none (accepts a report of a scan that did not complete)")
	return cmd
}

func (o *scanImportOptions) validate() error { return checkTool(o.Tool) }

func runScanImport(ctx context.Context, s *streams, opts *scanImportOptions) error {
	f, err := os.Open(opts.File)
	if err != nil {
		return err
	}
	defer f.Close()
	res, rel, err := importReport(ctx, opts.Store, opts.Product, opts.Release, portfolio.ScanRequest{FileName: opts.File, Tool: opts.Tool, Scope: opts.Scope, Report: f, Partial: opts.Partial})
	if err != nil {
		return err
	}
	fmt.Fprintf(s.out, "%s: %d findings from %s (scope %s) into %s %s\nnew %d, unchanged %d, reopened %d, closed %d",
		opts.File, res.Findings, res.Tool, res.Scope, rel.ProductName, rel.Version, res.New, res.Unchanged, res.Reopened, res.Closed)
	if res.Partial {
		fmt.Fprint(s.out, " (partial scan: nothing closed)")
	}
	if res.Duplicates > 0 {
		fmt.Fprintf(s.out, " (%d of the new ones duplicate findings of other tools)", res.Duplicates)
	}
	fmt.Fprintln(s.out)
	if res.PartialReason != "" {
		fmt.Fprintf(s.err, "warning: imported as a partial scan because the report says its scan did not complete: %s\n", res.PartialReason)
	}
	return nil
}

// importReport imports a scanner report into the product release (created
// when missing, in the import's transaction) as the CLI; a report the import refuses is a failure (exit 1).
func importReport(ctx context.Context, sf storeFlags, product, release string, req portfolio.ScanRequest) (res findings.ScanResult, rel inventory.Release, err error) {
	err = withRelease(ctx, sf, product, release, func(ctx context.Context, st *store.Store, r inventory.Release) error {
		req.ReleaseID, req.Actor, rel = r.ID, "cli", r
		if res, err = portfolio.ImportScan(ctx, st, req); err != nil {
			return failure(err)
		}
		return nil
	}, nil)
	return res, rel, err
}

// importDefectDojoOptions are the flags of `rampart scan import-defectdojo`.
type importDefectDojoOptions struct {
	Store   storeFlags
	File    string
	Product string
	Release string
	Scope   string
}

func newScanImportDefectDojoCmd(s *streams, runF func(context.Context, *importDefectDojoOptions) error) *cobra.Command {
	opts := &importDefectDojoOptions{}
	cmd := &cobra.Command{
		Use:   "import-defectdojo EXPORT.json --product NAME --release VERSION",
		Short: "Move findings and their triage from DefectDojo into a release",
		Long: `Import DefectDojo's findings export (the JSON pages of its API v2 findings list,
GET /api/v2/findings/?prefetch=endpoints, one page, an array of pages or pages
written one after another) into a release, keeping title, severity, CVE and CWE,
CVSS, endpoints, component, file and line, discovery date, notes and status:
active, verified (confirmed), false positive, risk accepted with its expiry,
duplicate, mitigated (fixed). The mapping is in docs/findings.md. The import is
one transaction; re-importing the same export changes nothing; a truncated
export is refused and closes nothing.`,
		Example: `  rampart scan import-defectdojo dojo-findings.json --product Gateway --release 2.4.1 --data ./rampart-data
  curl -H "Authorization: Token $DOJO" "$DOJO_URL/api/v2/findings/?product_name=Gateway&limit=1000&prefetch=endpoints" > dojo.json
  rampart scan import-defectdojo dojo.json --product Gateway --release 2.4.1 --scope defectdojo:gateway`,
		Args: exactArgs(&opts.File),
		RunE: runE(s, opts, runF, runImportDefectDojo),
	}
	opts.Store.register(cmd)
	registerReleaseFlags(cmd, &opts.Product, &opts.Release)
	cmd.Flags().StringVar(&opts.Scope, "scope", portfolio.DefectDojoScope, "scan scope label for re-imports")
	return cmd
}

func runImportDefectDojo(ctx context.Context, s *streams, opts *importDefectDojoOptions) error {
	f, err := os.Open(opts.File)
	if err != nil {
		return failure(fmt.Errorf("scan import-defectdojo: %w", err))
	}
	defer f.Close()
	res, rel, err := importReport(ctx, opts.Store, opts.Product, opts.Release, portfolio.ScanRequest{FileName: opts.File, Tool: defectdojo.Name, Scope: opts.Scope, Report: f})
	if err != nil {
		return err
	}
	fmt.Fprintf(s.out, "%s: %d DefectDojo findings (scope %s) into %s %s\nnew %d, unchanged %d, reopened %d, closed %d\n",
		opts.File, res.Findings, res.Scope, rel.ProductName, rel.Version, res.New, res.Unchanged, res.Reopened, res.Closed)
	return nil
}

// registerReleaseFlags adds the required --product and --release flags of
// the import commands.
func registerReleaseFlags(cmd *cobra.Command, product, release *string) {
	cmd.Flags().StringVar(product, "product", "", "product name (required)")
	cmd.Flags().StringVar(release, "release", "", "release version (required)")
	_ = cmd.MarkFlagRequired("product")
	_ = cmd.MarkFlagRequired("release")
}

// withRelease opens the store and runs importFn in one transaction with
// the creation of the product release when it is missing, so an import that
// fails leaves no empty product or release behind; after (nil: nothing)
// runs once that committed, outside it (re-matching, printing).
func withRelease(ctx context.Context, sf storeFlags, product, release string,
	importFn func(ctx context.Context, st *store.Store, rel inventory.Release) error, after func(st *store.Store, rel inventory.Release) error) error {
	return sf.with(ctx, func(st *store.Store) error {
		var rel inventory.Release
		err := st.Atomic(ctx, func(ctx context.Context) error {
			var err error
			if rel, err = st.EnsureRelease(ctx, product, release); err != nil {
				return err
			}
			return importFn(ctx, st, rel)
		})
		if err != nil || after == nil {
			return err
		}
		return after(st, rel)
	})
}
