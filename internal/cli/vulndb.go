package cli

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/portfolio"
)

func newVulnDBCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vulndb",
		Short: "Manage the local vulnerability database (OSV, NVD, CVE 5, CISA KEV, EPSS)",
		Example: `  rampart vulndb import osv/Go/all.zip nvd/ known_exploited_vulnerabilities.json epss_scores.csv.gz --data ./rampart-data
  rampart vulndb status --data ./rampart-data`,
	}
	cmd.AddCommand(newVulnDBImportCmd(s), newVulnDBStatusCmd(s))
	return cmd
}

func newVulnDBImportCmd(s *streams) *cobra.Command {
	var sf storeFlags
	var noRematch bool
	cmd := &cobra.Command{
		Use:   "import PATH...",
		Short: "Load vulnerability data files, folders and zips into the local database",
		Long: `Load vulnerability data into the local database: OSV JSON and YAML (files,
folders, osv.dev all.zip), NVD CVE API 2.0 records and pages, the legacy NVD
1.1 feed, CVE JSON 5 records (with CISA ADP), the CISA KEV catalogue and EPSS
CSV (plain or gzip). Formats are detected from the content. Everything given is
stored in one transaction: a broken file (named with the field at fault)
stores nothing. Afterwards every release in the portfolio is re-matched.`,
		Example: `  rampart vulndb import ./osv/go ./nvd/nvdcve-2.0-2026.json ./kev/known_exploited_vulnerabilities.json --data ./rampart-data`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			start := time.Now()
			rec, err := portfolio.ImportFeeds(ctx, st, "cli", args...)
			if err != nil {
				return fmt.Errorf("nothing imported: %w", err)
			}
			var files []string
			for f, n := range rec.Files {
				files = append(files, fmt.Sprintf("%s %d", f, n))
			}
			sort.Strings(files)
			fmt.Fprintf(s.out, "imported %d advisories, %d EPSS scores, %d KEV entries from %s files in %s\n",
				rec.Advisories, rec.EPSS, rec.KEV, strings.Join(files, ", "), time.Since(start).Round(time.Millisecond))
			if noRematch {
				return nil
			}
			n, err := portfolio.NewVulns(st).RematchAll(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.out, "re-matched the portfolio: %d new matches\n", n)
			return nil
		},
	}
	sf.register(cmd)
	cmd.Flags().BoolVar(&noRematch, "no-rematch", false, "do not re-match the portfolio after the import")
	return cmd
}

func newVulnDBStatusCmd(s *streams) *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:     "status",
		Short:   "Show what the local vulnerability database holds and how old it is",
		Example: "  rampart vulndb status --data ./rampart-data",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := sf.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			status, err := st.VulnDBStatus(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(s.out, "advisories %d\nEPSS scores %d\nKEV entries %d\n", status.Advisories, status.EPSS, status.KEV)
			for _, im := range status.Imports {
				fmt.Fprintf(s.out, "import %d  %s (%s ago) by %s: %d advisories, %d EPSS, %d KEV from %s\n", im.ID, im.At.Format(time.RFC3339),
					time.Since(im.At).Round(time.Minute), im.Actor, im.Advisories, im.EPSS, im.KEV, strings.Join(im.Paths, " "))
			}
			if len(status.Imports) == 0 {
				fmt.Fprintln(s.out, "no data imported yet: run 'rampart vulndb import PATH…'")
			}
			return nil
		},
	}
	sf.register(cmd)
	return cmd
}
