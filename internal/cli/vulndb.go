package cli

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/vuln/mirror"
)

func newVulnDBCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vulndb",
		Short: "Manage the local vulnerability database (OSV, NVD, CVE 5, CISA KEV, EPSS)",
		Example: `  rampart vulndb import osv/Go/all.zip nvd/ known_exploited_vulnerabilities.json epss_scores.csv.gz --data ./rampart-data
  rampart vulndb status --data ./rampart-data`,
	}
	cmd.AddCommand(newVulnDBImportCmd(s, nil), newVulnDBUpdateCmd(s, nil), newVulnDBStatusCmd(s, nil))
	return cmd
}

// vulndbImportOptions are the parsed options of `rampart vulndb import`.
type vulndbImportOptions struct {
	Store     storeFlags
	Paths     []string
	NoRematch bool
}

func newVulnDBImportCmd(s *streams, runF func(context.Context, *vulndbImportOptions) error) *cobra.Command {
	opts := &vulndbImportOptions{}
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
		Args:    minArgs(&opts.Paths),
		RunE:    runE(s, opts, runF, runVulnDBImport),
	}
	opts.Store.register(cmd)
	cmd.Flags().BoolVar(&opts.NoRematch, "no-rematch", false, "do not re-match the portfolio after the import")
	return cmd
}

func runVulnDBImport(ctx context.Context, s *streams, opts *vulndbImportOptions) error {
	return opts.Store.with(ctx, func(st *store.Store) error {
		start := time.Now()
		rec, err := portfolio.ImportFeeds(ctx, st, "cli", opts.Paths...)
		if err != nil {
			return fmt.Errorf("nothing imported: %w", err)
		}
		for _, sk := range rec.Skipped {
			fmt.Fprintf(s.err, "warning: skipped %s\n", sk)
		}
		var files []string
		for f, n := range rec.Files {
			files = append(files, fmt.Sprintf("%s %d", f, n))
		}
		sort.Strings(files)
		fmt.Fprintf(s.out, "imported %d advisories, %d EPSS scores, %d KEV entries from %s files in %s\n",
			rec.Advisories, rec.EPSS, rec.KEV, strings.Join(files, ", "), time.Since(start).Round(time.Millisecond))
		if opts.NoRematch {
			return nil
		}
		return rematchPortfolio(ctx, s, st)
	})
}

// rematchPortfolio re-matches every release after new vulnerability data.
func rematchPortfolio(ctx context.Context, s *streams, st *store.Store) error {
	n, err := portfolio.NewVulns(st, nil).RematchAll(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.out, "re-matched the portfolio: %d new matches\n", n)
	return nil
}

// vulndbStatusOptions are the parsed options of `rampart vulndb status`.
type vulndbStatusOptions struct {
	Store storeFlags
}

func newVulnDBStatusCmd(s *streams, runF func(context.Context, *vulndbStatusOptions) error) *cobra.Command {
	opts := &vulndbStatusOptions{}
	cmd := &cobra.Command{
		Use:     "status",
		Short:   "Show what the local vulnerability database holds and how old it is",
		Example: "  rampart vulndb status --data ./rampart-data",
		Args:    cobra.NoArgs,
		RunE:    runE(s, opts, runF, runVulnDBStatus),
	}
	opts.Store.register(cmd)
	return cmd
}

func runVulnDBStatus(ctx context.Context, s *streams, opts *vulndbStatusOptions) error {
	return opts.Store.withExisting(ctx, func(st *store.Store) error {
		status, err := st.VulnDBStatus(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(s.out, "advisories %d\nEPSS scores %d\nKEV entries %d\n", status.Advisories, status.EPSS, status.KEV)
		for _, im := range status.Imports {
			fmt.Fprintf(s.out, "import %d  %s (%s ago) by %s: %d advisories, %d EPSS, %d KEV from %s\n", im.ID, im.At.Format(time.RFC3339),
				time.Since(im.At).Round(time.Minute), im.Actor, im.Advisories, im.EPSS, im.KEV, strings.Join(im.Paths, " "))
		}
		for _, src := range status.Sources {
			state := "ok"
			if src.Error != "" {
				state = "failed: " + src.Error
			} else if src.LastSuccess == nil {
				state = "not tried yet"
			}
			last := "never"
			if src.LastAttempt != nil {
				last = src.LastAttempt.Format(time.RFC3339)
			}
			fmt.Fprintf(s.out, "source %s: %d records, last attempt %s, %s\n", src.Source, src.Records, last, state)
		}
		if len(status.Imports) == 0 {
			fmt.Fprintln(s.out, "no data imported yet: run 'rampart vulndb import PATH…'")
		}
		return nil
	})
}

// feedFlags are the feed sources of `vulndb update` and `serve
// --vulndb-sync`: each URL can point at an internal mirror; an empty one
// skips that feed.
type feedFlags struct {
	src        mirror.Sources
	osvBase    string
	ecosystems []string
}

func (ff *feedFlags) register(cmd *cobra.Command) {
	ff.src = mirror.Defaults()
	f := cmd.Flags()
	f.StringVar(&ff.osvBase, "osv-base", mirror.DefaultOSVBase, "base URL of OSV per-ecosystem all.zip files (empty: skip OSV)")
	f.StringArrayVar(&ff.ecosystems, "osv-ecosystem", mirror.DefaultOSVEcosystems, "OSV ecosystem to fetch (repeatable)")
	f.StringVar(&ff.src.NVD, "nvd-url", mirror.DefaultNVD, "NVD CVE API 2.0 URL (empty: skip)")
	f.StringVar(&ff.src.KEV, "kev-url", mirror.DefaultKEV, "CISA KEV JSON URL (empty: skip)")
	f.StringVar(&ff.src.EPSS, "epss-url", mirror.DefaultEPSS, "EPSS CSV (gzip) URL (empty: skip)")
	f.StringVar(&ff.src.EUVD, "euvd-url", "", "EU Vulnerability Database exploited-list JSON URL, ENISA's /api/exploitedvulnerabilities or a mirror (empty: skip)")
	f.StringArrayVar(&ff.src.CSAF, "csaf-url", nil, "URL of a CSAF advisory whose exploitation status is read (repeatable)")
}

// validate checks that every feed URL given is an http(s) URL.
func (ff *feedFlags) validate() error {
	urls := []struct{ flag, value string }{{"osv-base", ff.osvBase}, {"nvd-url", ff.src.NVD}, {"kev-url", ff.src.KEV},
		{"epss-url", ff.src.EPSS}, {"euvd-url", ff.src.EUVD}}
	for _, u := range ff.src.CSAF {
		urls = append(urls, struct{ flag, value string }{"csaf-url", u})
	}
	for _, u := range urls {
		if u.value == "" {
			continue // skips that feed
		}
		if err := checkHTTPURL(u.flag, u.value); err != nil {
			return err
		}
	}
	return nil
}

// sources returns the configured sources (the NVD API key from
// $NVD_API_KEY).
func (ff *feedFlags) sources() mirror.Sources {
	src := ff.src.WithOSV(ff.osvBase, ff.ecosystems)
	src.NVDAPIKey = os.Getenv("NVD_API_KEY")
	return src
}

// vulndbUpdateOptions are the parsed options of `rampart vulndb update`.
type vulndbUpdateOptions struct {
	Store storeFlags
	Feeds feedFlags
}

func newVulnDBUpdateCmd(s *streams, runF func(context.Context, *vulndbUpdateOptions) error) *cobra.Command {
	opts := &vulndbUpdateOptions{}
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download changed vulnerability feeds (OSV, NVD, KEV, EPSS) and import them",
		Long: `Download the vulnerability feeds that changed since the last update and import
them in one transaction, then re-match the portfolio. Requests are
conditional (ETag / If-Modified-Since); NVD is fetched incrementally by
last-modified date. Every URL can point at an internal mirror for air-gapped
sites; an empty value skips that feed. The NVD API key is read from
$NVD_API_KEY. A running server does the same by itself: see
'rampart serve --vulndb-sync'.`,
		Example: `  rampart vulndb update --data ./rampart-data
  rampart vulndb update --osv-base https://mirror.internal/osv --osv-ecosystem Go --osv-ecosystem PyPI \
      --nvd-url https://mirror.internal/nvd/cves/2.0 --kev-url https://mirror.internal/kev.json --epss-url "" \
      --euvd-url https://mirror.internal/euvd/exploitedvulnerabilities.json`,
		Args: cobra.NoArgs,
		RunE: runE(s, opts, runF, runVulnDBUpdate),
	}
	opts.Store.register(cmd)
	opts.Feeds.register(cmd)
	return cmd
}

func (o *vulndbUpdateOptions) validate() error {
	return o.Feeds.validate()
}

func runVulnDBUpdate(ctx context.Context, s *streams, opts *vulndbUpdateOptions) error {
	src := opts.Feeds.sources()
	return opts.Store.with(ctx, func(st *store.Store) error {
		f := &mirror.Fetcher{Progress: func(msg string) { fmt.Fprintln(s.err, msg) }}
		res, err := portfolio.UpdateFeeds(ctx, st, f, src, "cli")
		if err != nil {
			return fmt.Errorf("update failed, previous data kept: %w", err)
		}
		if res.Import == nil {
			fmt.Fprintf(s.out, "all %d feeds unchanged\n", len(res.Unchanged))
			return nil
		}
		fmt.Fprintf(s.out, "imported %d advisories, %d EPSS scores, %d KEV entries, %d EUVD/CSAF exploitation reports from %d downloaded files (%d feeds unchanged)\n",
			res.Import.Advisories, res.Import.EPSS, res.Import.KEV, res.Import.Exploited, res.Files, len(res.Unchanged))
		return rematchPortfolio(ctx, s, st)
	})
}
