package cli

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/sbom"
	"github.com/rampart-security/rampart/internal/store"
)

// sbomImportOptions are the parsed options of `rampart sbom import`.
type sbomImportOptions struct {
	Store     storeFlags
	File      string
	Product   string
	Release   string
	NoRematch bool
}

func newSBOMImportCmd(s *streams, runF func(context.Context, *sbomImportOptions) error) *cobra.Command {
	opts := &sbomImportOptions{}
	cmd := &cobra.Command{
		Use:   "import FILE --product NAME --release VERSION",
		Short: "Import an SBOM into a product release (created if missing)",
		Long: `Import a CycloneDX or SPDX SBOM into a release. The product and release are
created when they do not exist. The SBOM is validated against its official
schema first; the import, with the creation of the product and release, is
one transaction, so an invalid SBOM changes nothing. The raw file is kept, addressed by its SHA-256 (files over 64 MiB
are recorded by their SHA-256 only). Files over 32 MiB (CycloneDX JSON and
XML, SPDX JSON and tag-value) are streamed: validated, then read a few
components at a time, so memory does not grow with the file. A Yocto
create-spdx bundle (IMAGE.spdx.tar.zst) imports the image's packages
resolved across its documents; references it could not resolve are printed
as warnings.`,
		Example: `  rampart sbom import firmware-2.4.1.cdx.json --product "Industrial Gateway" --release 2.4.1 --data ./rampart-data
  rampart sbom import huge.cdx.json --product Gateway --release 2.5.0 --no-rematch
  rampart sbom import core-image-minimal-qemux86-64.spdx.tar.zst --product Gateway --release 2.5.1`,
		Args: exactArgs(&opts.File),
		RunE: runE(s, opts, runF, runSBOMImport),
	}
	opts.Store.register(cmd)
	registerReleaseFlags(cmd, &opts.Product, &opts.Release)
	cmd.Flags().BoolVar(&opts.NoRematch, "no-rematch", false, "import only; do not match the release against the vulnerability database now (the next vulndb import or server re-match does; matching reads the release in batches of 2,000 components)")
	return cmd
}

func runSBOMImport(ctx context.Context, s *streams, opts *sbomImportOptions) error {
	// CI runners and build containers are often small: keep the
	// heap of this one-shot command near 128 MiB (validation of a
	// 10,000-component SBOM peaks at ~128 MiB of garbage otherwise).
	// GOMEMLIMIT in the environment takes precedence.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(128 << 20)
	}
	f, err := os.Open(opts.File)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	// A streamed document (sbom.StreamThreshold) holds little at a
	// time: a tighter limit makes the collector return its garbage
	// sooner (peak RSS of a 500 MB import: docs/performance.md).
	if os.Getenv("GOMEMLIMIT") == "" && fi.Size() > sbom.StreamThreshold {
		debug.SetMemoryLimit(64 << 20)
	}
	var res portfolio.ImportResult
	return withRelease(ctx, opts.Store, opts.Product, opts.Release, func(ctx context.Context, st *store.Store, rel inventory.Release) error {
		if res, err = portfolio.ImportSBOMFrom(ctx, st, rel.ID, opts.File, f, fi.Size()); err != nil {
			return failure(err)
		}
		return nil
	}, func(st *store.Store, rel inventory.Release) error {
		fmt.Fprintf(s.out, "imported %d components from %s (%s %s) into %s %s (release id %d, sha256 %s)\n",
			res.Components, opts.File, res.Format, res.SpecVersion, rel.ProductName, rel.Version, rel.ID, res.SHA256)
		for _, w := range res.Warnings {
			fmt.Fprintf(s.err, "warning: %s: %s\n", opts.File, w)
		}
		if opts.NoRematch {
			return nil
		}
		if _, err := portfolio.NewVulns(st, nil).Rematch(ctx, rel.ID); err != nil {
			return fmt.Errorf("match the release against the vulnerability database: %w", err)
		}
		vulns, err := st.ReleaseVulns(ctx, rel.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(s.out, "%d known vulnerabilities match this release\n", len(vulns))
		return nil
	})
}
