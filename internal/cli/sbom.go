package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/sbom"
)

func newSBOMCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sbom",
		Short: "Validate, inspect and convert SBOMs (CycloneDX, SPDX)",
		Long: `Work with software bills of materials offline.

Reads CycloneDX 1.2–1.7 (JSON, XML) and 1.0/1.1 (XML), SPDX 2.2/2.3 (JSON,
YAML, tag-value, and Yocto create-spdx bundles IMAGE.spdx.tar.zst: linked
documents in a tar), SPDX 2.1 (tag-value) and SPDX 3.0 (JSON-LD, e.g.
Yocto's create-spdx-3.0), detected from the content.
CycloneDX and SPDX 2 JSON documents are validated against the official
schemas. Writes CycloneDX 1.6 JSON and SPDX 2.3 JSON. Imports into a product release.`,
		Example: "  rampart sbom inspect firmware.cdx.json\n  rampart sbom convert firmware.spdx --to cyclonedx-json -o firmware.cdx.json",
	}
	cmd.AddCommand(newSBOMInspectCmd(s, nil), newSBOMConvertCmd(s, nil), newSBOMImportCmd(s, nil))
	return cmd
}

// sbomInspectOptions are the parsed arguments of `sbom inspect`.
type sbomInspectOptions struct {
	File   string
	Format string // table or json
}

func newSBOMInspectCmd(s *streams, runF func(context.Context, *sbomInspectOptions) error) *cobra.Command {
	opts := &sbomInspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Validate an SBOM and summarise its contents",
		Long: `Validate an SBOM and print a summary: format, version, encoding, name and
counts of components, purls, CPEs, licences, hashes and dependency edges.

FILE may be - for standard input. Exit status 1 means the file is not a valid
SBOM in a supported format; the message names the file and the field.`,
		Example: "  rampart sbom inspect bom.cdx.json\n  rampart sbom inspect --format json sbom.spdx | jq .components\n  cat bom.xml | rampart sbom inspect -",
		Args:    exactArgs(&opts.File),
		RunE:    runE(s, opts, runF, runSBOMInspect),
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table or json")
	return cmd
}

func (o *sbomInspectOptions) validate() error {
	return checkOneOf("format", o.Format, "table", "json")
}

// sbomSummary is the JSON output of `sbom inspect`.
type sbomSummary struct {
	File         string         `json:"file"`
	Format       string         `json:"format"`
	SpecVersion  string         `json:"spec_version"`
	Encoding     string         `json:"encoding"`
	Name         string         `json:"name"`
	SerialNumber string         `json:"serial_number,omitempty"`
	Created      string         `json:"created,omitempty"`
	Subject      *sbomSubject   `json:"subject,omitempty"`
	Components   int            `json:"components"`
	PURLs        int            `json:"purls"`
	CPEs         int            `json:"cpes"`
	Licenses     int            `json:"licenses"`
	Hashes       int            `json:"hashes"`
	Suppliers    int            `json:"suppliers"`
	Edges        int            `json:"edges"`
	Types        map[string]int `json:"types"`
	Warnings     []string       `json:"warnings,omitempty"`
}

type sbomSubject struct {
	Ref     string `json:"bom_ref"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	Version string `json:"version"`
}

func summarise(file string, doc *sbom.Document) sbomSummary {
	sum := sbomSummary{
		File: file, Format: doc.Format, SpecVersion: doc.SpecVersion, Encoding: doc.Encoding,
		Name: doc.Name, SerialNumber: doc.SerialNumber, Components: len(doc.Components),
		Edges: doc.Edges(), Types: map[string]int{}, Warnings: doc.Warnings,
	}
	if !doc.Created.IsZero() {
		sum.Created = doc.Created.Format("2006-01-02T15:04:05Z07:00")
	}
	if m := doc.Metadata; m != nil {
		sum.Subject = &sbomSubject{Ref: m.Ref, Type: string(m.Type), Name: m.Name, Version: m.Version}
	}
	for _, c := range doc.Components {
		if c.PURL != "" {
			sum.PURLs++
		}
		if len(c.CPEs) > 0 {
			sum.CPEs++
		}
		if len(c.Licenses) > 0 {
			sum.Licenses++
		}
		if len(c.Hashes) > 0 {
			sum.Hashes++
		}
		if c.Supplier != "" {
			sum.Suppliers++
		}
		sum.Types[string(c.Type)]++
	}
	return sum
}

// readSBOM decodes FILE (or stdin for "-"). Content problems are failures
// (exit 1); I/O problems are errors (exit 2).
func readSBOM(s *streams, file string) (*sbom.Document, error) {
	r, name, done, err := openArg(s, file, "<stdin>")
	if err != nil {
		return nil, err
	}
	defer done()
	doc, err := sbom.Decode(r, name, sbom.Options{})
	if err != nil {
		if errors.Is(err, sbom.ErrInvalid) || errors.Is(err, sbom.ErrUnknownFormat) ||
			errors.Is(err, sbom.ErrUnsupportedVersion) || errors.Is(err, sbom.ErrTooLarge) {
			return nil, failure(err)
		}
		return nil, err
	}
	return doc, nil
}

func runSBOMInspect(_ context.Context, s *streams, opts *sbomInspectOptions) error {
	doc, err := readSBOM(s, opts.File)
	if err != nil {
		return err
	}
	sum := summarise(opts.File, doc)
	if opts.Format == "json" {
		return writeJSON(s.out, sum)
	}
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
	row("File", sum.File)
	row("Format", sbom.Format{Name: sum.Format, SpecVersion: sum.SpecVersion, Encoding: sum.Encoding})
	row("Valid", "yes")
	row("Name", sum.Name)
	if sum.Subject != nil {
		row("Describes", fmt.Sprintf("%s %s (%s)", sum.Subject.Name, sum.Subject.Version, sum.Subject.Type))
	}
	if sum.Created != "" {
		row("Created", sum.Created)
	}
	row("Components", sum.Components)
	row("  with purl", sum.PURLs)
	row("  with CPE", sum.CPEs)
	row("  with licence", sum.Licenses)
	row("  with hash", sum.Hashes)
	row("  with supplier", sum.Suppliers)
	row("Dependency edges", sum.Edges)
	types := make([]string, 0, len(sum.Types))
	for t := range sum.Types {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		row("  type "+t, sum.Types[t])
	}
	for _, w := range sum.Warnings {
		row("Warning", w)
	}
	return tw.Flush()
}

// sbomConvertOptions are the parsed arguments of `sbom convert`.
type sbomConvertOptions struct {
	File   string
	To     string // cyclonedx-json or spdx-json
	Output string // file, or "" / "-" for stdout
}

func newSBOMConvertCmd(s *streams, runF func(context.Context, *sbomConvertOptions) error) *cobra.Command {
	opts := &sbomConvertOptions{}
	cmd := &cobra.Command{
		Use:   "convert FILE --to cyclonedx-json|spdx-json",
		Short: "Convert an SBOM to CycloneDX 1.6 JSON or SPDX 2.3 JSON",
		Long: `Validate an SBOM in any supported format and write it as CycloneDX 1.6 JSON or
SPDX 2.3 JSON. Components, versions, purls, CPEs, hashes, licences, suppliers
and dependency edges are carried over; the output is deterministic and valid
against the official schema.`,
		Example: "  rampart sbom convert sbom.spdx --to cyclonedx-json -o bom.cdx.json\n  rampart sbom convert bom.xml --to spdx-json > sbom.spdx.json",
		Args:    exactArgs(&opts.File),
		RunE:    runE(s, opts, runF, runSBOMConvert),
	}
	cmd.Flags().StringVar(&opts.To, "to", "", "output format: cyclonedx-json or spdx-json")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "output file (default standard output)")
	return cmd
}

func (o *sbomConvertOptions) validate() error {
	if o.To == "" {
		return errors.New("--to is required: cyclonedx-json or spdx-json")
	}
	return checkOneOf("to", o.To, "cyclonedx-json", "spdx-json")
}

func runSBOMConvert(_ context.Context, s *streams, opts *sbomConvertOptions) error {
	doc, err := readSBOM(s, opts.File)
	if err != nil {
		return err
	}
	e := sbom.ExportFrom(doc)
	e.ToolVersion = Version
	var buf bytes.Buffer
	if opts.To == "spdx-json" {
		err = sbom.EncodeSPDX(&buf, e)
	} else {
		err = sbom.EncodeCycloneDX(&buf, e)
	}
	if err != nil {
		return fmt.Errorf("convert %s: %w", opts.File, err)
	}
	if toStdout(opts.Output) {
		_, err = s.out.Write(buf.Bytes())
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(opts.Output), ".rampart-sbom-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), opts.Output); err != nil {
		return err
	}
	wrote(s, opts.Output, fmt.Sprintf("%d components", len(doc.Components)), "")
	return nil
}
