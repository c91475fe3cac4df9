package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/conformity"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

func newConformityCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "conformity",
		Short: "Self-assess a release against ETSI EN 303 645 or the CRA's Annex I",
		Long: `A release's conformity self-assessment, answered from what Rampart holds about
it (SBOM, vulnerabilities and SLAs, threat model, firmware analysis, signed
updates, advisories, disclosure policy) and from manual answers given in the
web UI or the API.`,
		Example: `  rampart conformity report --catalog etsi-en-303-645 --release 3 --format html --data ./rampart-data > ics.html
  rampart conformity report --catalog cra-annex-i --release 3 --format json --data ./rampart-data`,
	}
	cmd.AddCommand(newConformityReportCmd(s, nil))
	return cmd
}

// conformityReportOptions are the parsed flags of `conformity report`.
type conformityReportOptions struct {
	Store   storeFlags
	Catalog string
	Release int64
	Compare int64
	Format  string
	Base    string
}

func newConformityReportCmd(s *streams, runF func(context.Context, *conformityReportOptions) error) *cobra.Command {
	opts := &conformityReportOptions{}
	cmd := &cobra.Command{
		Use:   "report --release ID [--catalog etsi-en-303-645|cra-annex-i] [--format json|html|text]",
		Short: "Write a release's conformity report (JSON, printable HTML or a text summary)",
		Long: `Write a release's conformity report. JSON has the shape of
GET /api/v1/releases/{id}/conformity; HTML is a self-contained printable page
structured as the implementation conformance statement of ETSI TS 103 701
(for etsi-en-303-645) or as the CRA Annex VII technical-documentation section
listing the evidence per requirement (for cra-annex-i); text lists the gaps.

Exit status: 0 the report was written, 2 on a usage error or when the release
does not exist.`,
		Example: `  rampart conformity report --catalog etsi-en-303-645 --release 3 --format html --data ./rampart-data > ics.html
  rampart conformity report --catalog cra-annex-i --release 3 --compare 2 --format text --data ./rampart-data`,
		Args: cobra.NoArgs,
		RunE: runE(s, opts, runF, runConformityReport),
	}
	opts.Store.register(cmd)
	cmd.Flags().StringVar(&opts.Catalog, "catalog", conformity.ETSI, "catalogue: etsi-en-303-645 or cra-annex-i")
	cmd.Flags().Int64Var(&opts.Release, "release", 0, "release id")
	cmd.Flags().Int64Var(&opts.Compare, "compare", 0, "an earlier release of the same product to compare with")
	cmd.Flags().StringVar(&opts.Format, "format", "json", "output: json, html or text")
	cmd.Flags().StringVar(&opts.Base, "base-url", "", "prefix for evidence links in HTML (e.g. https://rampart.example.com)")
	return cmd
}

func (o *conformityReportOptions) validate() error {
	if o.Release <= 0 {
		return fmt.Errorf("--release: give the id of a release (see GET /api/v1/products/{id}/releases)")
	}
	if err := checkOneOf("format", o.Format, "json", "html", "text"); err != nil {
		return err
	}
	if _, err := conformity.LoadCatalog(o.Catalog); err != nil {
		return fmt.Errorf("--catalog: %w", err)
	}
	return nil
}

func runConformityReport(ctx context.Context, s *streams, opts *conformityReportOptions) error {
	return opts.Store.withExisting(ctx, func(st *store.Store) error { return runConformityReportIn(ctx, s, st, opts) })
}

// runConformityReportIn prints the report of `rampart conformity report`
// from the open store st.
func runConformityReportIn(ctx context.Context, s *streams, st *store.Store, opts *conformityReportOptions) error {
	lib, err := threatmodel.DefaultLibrary()
	if err != nil {
		return err
	}
	svc := portfolio.NewConformityService(st, lib)
	rep, err := svc.Report(ctx, opts.Release, opts.Catalog)
	if err != nil {
		return err
	}
	var changes []conformity.Change
	prev := ""
	if opts.Compare != 0 {
		old, err := svc.Report(ctx, opts.Compare, opts.Catalog)
		if err != nil {
			return fmt.Errorf("--compare: %w", err)
		}
		if old.ProductID != rep.ProductID {
			return fmt.Errorf("--compare: release %d belongs to %s, not %s", opts.Compare, old.Product, rep.Product)
		}
		changes, prev = conformity.Compare(old, rep), old.Release
	}
	switch opts.Format {
	case "html":
		return conformity.WriteHTML(s.out, rep, conformity.HTMLOptions{Base: opts.Base, Changes: changes, Previous: prev})
	case "text":
		fmt.Fprintf(s.out, "%s %s — %s %s\n", rep.Product, rep.Release, rep.Title, rep.Version)
		fmt.Fprintf(s.out, "met %d, not met %d, needs evidence %d, not applicable %d (score %d%%)\n\n",
			rep.Summary.Met, rep.Summary.NotMet, rep.Summary.NeedsEvidence, rep.Summary.NotApplicable, rep.Summary.Score())
		gaps := rep.Gaps()
		tw := newTable(s.out, "ID\tLEVEL\tSTATUS\tTITLE\tWHY", len(gaps), "no gaps")
		for _, g := range gaps {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", g.ID, g.Level, g.Status, g.Title, g.Justification)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, c := range changes {
			fmt.Fprintf(s.out, "changed since %s: %s %s → %s\n", prev, c.ID, c.Before, c.After)
		}
		return nil
	default:
		if changes != nil {
			return writeJSON(s.out, struct {
				*conformity.Report
				Changes []conformity.Change `json:"changes"`
			}{rep, changes})
		}
		return writeJSON(s.out, rep)
	}
}
