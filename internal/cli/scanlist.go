package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/store"
)

// scanListOptions are the parsed options of `rampart scan list`.
type scanListOptions struct {
	Store   storeFlags
	Product string
	Release string
	Format  string
}

func newScanListCmd(s *streams, runF func(context.Context, *scanListOptions) error) *cobra.Command {
	opts := &scanListOptions{}
	cmd := &cobra.Command{
		Use:   "list --product NAME --release VERSION [--format table|json]",
		Short: "List the scanner reports imported into a release, newest first",
		Long: `List the reports imported into a release (the latest 200), newest first, with
their counts. A partial scan (one whose report says its scan did not complete,
or imported with --partial) added and updated findings but closed none; the
PARTIAL column says so and REASON what the report said, which is why a later
complete re-scan of the scope closes findings the partial one did not.`,
		Example: `  rampart scan list --product Gateway --release 2.4.1 --data ./rampart-data
  rampart scan list --product Gateway --release 2.4.1 --format json`,
		Args: cobra.NoArgs,
		RunE: runE(s, opts, runF, runScanList),
	}
	opts.Store.register(cmd)
	registerReleaseFlags(cmd, &opts.Product, &opts.Release)
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table or json")
	return cmd
}

func (o *scanListOptions) validate() error {
	if err := checkOneOf("format", o.Format, "table", "json"); err != nil {
		return err
	}
	return o.Store.validate()
}

func runScanList(ctx context.Context, s *streams, opts *scanListOptions) error {
	return opts.Store.withExisting(ctx, func(st *store.Store) error {
		p, err := st.ProductByName(ctx, opts.Product)
		if err != nil {
			return fmt.Errorf("--product: %w", err)
		}
		rel, err := st.ReleaseByVersion(ctx, p.ID, opts.Release)
		if err != nil {
			return fmt.Errorf("--release of product %q: %w", opts.Product, err)
		}
		scans, err := st.Scans(ctx, rel.ID)
		if err != nil {
			return err
		}
		if opts.Format == "json" {
			if scans == nil {
				scans = []findings.Scan{}
			}
			return writeJSON(s.out, scans)
		}
		return printScans(s.out, scans)
	})
}

// printScans writes the scan history as a table; a partial scan's CLOSED
// is "-" (it closes nothing).
func printScans(w io.Writer, scans []findings.Scan) error {
	tw := newTable(w, "ID\tIMPORTED\tBY\tTOOL\tSCOPE\tFILE\tFINDINGS\tNEW\tUNCHANGED\tREOPENED\tCLOSED\tPARTIAL\tREASON", len(scans), "no scans imported into this release yet: import a report with 'rampart scan import'")
	for _, sc := range scans {
		closed, partial := strconv.Itoa(sc.Closed), "no"
		if sc.Partial {
			closed, partial = "-", "yes"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", sc.ScanID, sc.ImportedAt.UTC().Format("2006-01-02 15:04"), sc.ImportedBy,
			sc.Tool, sc.Scope, sc.FileName, sc.Findings, sc.New, sc.Unchanged, sc.Reopened, closed, partial, sc.PartialReason)
	}
	return tw.Flush()
}
