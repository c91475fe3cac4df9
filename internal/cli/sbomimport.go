package cli

import (
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/sbom"
)

func newSBOMImportCmd(s *streams) *cobra.Command {
	var sf storeFlags
	var product, release string
	var noRematch bool
	cmd := &cobra.Command{
		Use:   "import FILE --product NAME --release VERSION",
		Short: "Import an SBOM into a product release (created if missing)",
		Long: `Import a CycloneDX or SPDX SBOM into a release. The product and release are
created when they do not exist. The SBOM is validated against its official
schema first; the import is one transaction, so an invalid SBOM changes
nothing. The raw file is kept, addressed by its SHA-256 (files over 64 MiB
are recorded by their SHA-256 only). CycloneDX JSON files over 32 MiB are
streamed: validated, then read one component at a time, so memory does not
grow with the file.`,
		Example: `  rampart sbom import firmware-2.4.1.cdx.json --product "Industrial Gateway" --release 2.4.1 --data ./rampart-data
  rampart sbom import huge.cdx.json --product Gateway --release 2.5.0 --no-rematch`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// CI runners and build containers are often small: keep the
			// heap of this one-shot command near 128 MiB (validation of a
			// 10,000-component SBOM peaks at ~128 MiB of garbage otherwise).
			// GOMEMLIMIT in the environment takes precedence.
			if os.Getenv("GOMEMLIMIT") == "" {
				debug.SetMemoryLimit(128 << 20)
			}
			f, err := os.Open(args[0])
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
			st, err := sf.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			rel, err := st.EnsureRelease(cmd.Context(), product, release)
			if err != nil {
				return err
			}
			res, err := portfolio.ImportSBOMFrom(cmd.Context(), st, rel.ID, args[0], f, fi.Size())
			if err != nil {
				return failure(err)
			}
			fmt.Fprintf(s.out, "imported %d components from %s (%s %s) into %s %s (release id %d, sha256 %s)\n",
				res.Components, args[0], res.Format, res.SpecVersion, rel.ProductName, rel.Version, rel.ID, res.SHA256)
			if noRematch {
				return nil
			}
			if _, err := portfolio.NewVulns(st).Rematch(cmd.Context(), rel.ID); err != nil {
				return fmt.Errorf("match the release against the vulnerability database: %w", err)
			}
			vulns, err := st.ReleaseVulns(cmd.Context(), rel.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.out, "%d known vulnerabilities match this release\n", len(vulns))
			return nil
		},
	}
	sf.register(cmd)
	cmd.Flags().StringVar(&product, "product", "", "product name (required)")
	cmd.Flags().StringVar(&release, "release", "", "release version (required)")
	cmd.Flags().BoolVar(&noRematch, "no-rematch", false, "import only; do not match the release against the vulnerability database now (the next vulndb import or server re-match does; matching holds all of the release's components in memory)")
	_ = cmd.MarkFlagRequired("product")
	_ = cmd.MarkFlagRequired("release")
	return cmd
}
