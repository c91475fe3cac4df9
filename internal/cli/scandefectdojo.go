package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/scanners/defectdojo"
)

// importDefectDojoOptions are the flags of `rampart scan import-defectdojo`.
type importDefectDojoOptions struct {
	File    string
	Product string
	Release string
	Scope   string
	store   storeFlags
}

// newScanImportDefectDojoCmd builds the command; runF, when not nil,
// replaces the run (tests capture the parsed options).
func newScanImportDefectDojoCmd(s *streams, runF func(*importDefectDojoOptions) error) *cobra.Command {
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
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runImportDefectDojo(cmd.Context(), s, opts)
		},
	}
	opts.store.register(cmd)
	cmd.Flags().StringVar(&opts.Product, "product", "", "product name (required)")
	cmd.Flags().StringVar(&opts.Release, "release", "", "release version (required)")
	cmd.Flags().StringVar(&opts.Scope, "scope", portfolio.DefectDojoScope, "scan scope label for re-imports")
	_ = cmd.MarkFlagRequired("product")
	_ = cmd.MarkFlagRequired("release")
	return cmd
}

func runImportDefectDojo(ctx context.Context, s *streams, opts *importDefectDojoOptions) error {
	f, err := os.Open(opts.File)
	if err != nil {
		return failure(fmt.Errorf("scan import-defectdojo: %w", err))
	}
	defer f.Close()
	st, err := opts.store.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rel, err := st.EnsureRelease(ctx, opts.Product, opts.Release)
	if err != nil {
		return err
	}
	res, err := portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: opts.File, Tool: defectdojo.Name, Scope: opts.Scope, Actor: "cli", Report: f})
	if err != nil {
		return failure(err)
	}
	fmt.Fprintf(s.out, "%s: %d DefectDojo findings (scope %s) into %s %s\nnew %d, unchanged %d, reopened %d, closed %d\n",
		opts.File, res.Findings, res.Scope, rel.ProductName, rel.Version, res.New, res.Unchanged, res.Reopened, res.Closed)
	return nil
}
