package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/portfolio"
)

func newScanImportCmd(s *streams) *cobra.Command {
	var sf storeFlags
	var product, release, tool, scope string
	cmd := &cobra.Command{
		Use:   "import FILE --product NAME --release VERSION [--tool NAME] [--scope LABEL]",
		Short: "Import a scanner report into a product release and reconcile it with earlier scans",
		Long: `Import a scanner report (format detected from the content, or --tool) into a
release, creating product and release when missing. Re-importing the same
scope (tool and target label) opens new findings, updates seen ones, closes
active ones the scan no longer reports (fixed, verified by re-scan) and
reopens fixed ones that re-appear. Triage decisions and assignees are never
overwritten. The import is one transaction.`,
		Example: `  rampart scan import zap-nightly.xml --product "Fleet Portal" --release 2026.05 --scope zap:portal --data ./rampart-data
  rampart scan import results.sarif --tool sarif --product Gateway --release 2.4.1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			st, err := sf.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			rel, err := st.EnsureRelease(cmd.Context(), product, release)
			if err != nil {
				return err
			}
			res, err := portfolio.ImportScan(cmd.Context(), st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: args[0], Tool: tool, Scope: scope, Actor: "cli", Report: f})
			if err != nil {
				return failure(err)
			}
			fmt.Fprintf(s.out, "%s: %d findings from %s (scope %s) into %s %s\nnew %d, unchanged %d, reopened %d, closed %d",
				args[0], res.Findings, res.Tool, res.Scope, rel.ProductName, rel.Version, res.New, res.Unchanged, res.Reopened, res.Closed)
			if res.Duplicates > 0 {
				fmt.Fprintf(s.out, " (%d of the new ones duplicate findings of other tools)", res.Duplicates)
			}
			fmt.Fprintln(s.out)
			return nil
		},
	}
	sf.register(cmd)
	cmd.Flags().StringVar(&product, "product", "", "product name (required)")
	cmd.Flags().StringVar(&release, "release", "", "release version (required)")
	cmd.Flags().StringVar(&tool, "tool", "", "report format (see 'rampart scan formats'); default: detect")
	cmd.Flags().StringVar(&scope, "scope", "", "scan scope label for re-imports, e.g. zap:portal; default: the tool")
	_ = cmd.MarkFlagRequired("product")
	_ = cmd.MarkFlagRequired("release")
	return cmd
}
