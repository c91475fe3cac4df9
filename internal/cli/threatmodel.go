package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/threatmodel"
	"github.com/rampart-security/rampart/internal/threatmodel/imports"
	"github.com/rampart-security/rampart/internal/threatmodel/otm"
)

// rulesFlags are the rule-library flags shared by check, render, report and rules.
type rulesFlags struct {
	dirs    []string
	disable []string
}

func (f *rulesFlags) add(c *cobra.Command) {
	c.Flags().StringArrayVar(&f.dirs, "rules", nil, "extra rule folder (YAML files); repeatable; a rule with a built-in id replaces it")
	c.Flags().StringSliceVar(&f.disable, "disable", nil, "rule ids to skip (comma-separated or repeated; PREFIX* allowed)")
}

func (f *rulesFlags) library() (*threatmodel.Library, error) {
	return threatmodel.NewLibrary(threatmodel.LibraryOptions{Dirs: f.dirs, Disable: f.disable})
}

// loadChecked loads the model at path and the rule library of the flags,
// and checks the model with it.
func (f *rulesFlags) loadChecked(s *streams, path string) (*threatmodel.Model, *threatmodel.Library, *threatmodel.Result, error) {
	m, err := loadModel(s, path)
	if err != nil {
		return nil, nil, nil, err
	}
	lib, err := f.library()
	if err != nil {
		return nil, nil, nil, err
	}
	return m, lib, lib.Check(m), nil
}

func newThreatmodelCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "threatmodel",
		Aliases: []string{"tm"},
		Short:   "Threat models as code: check, diagram, report, import and export",
		Long: `Threat models of connected products as reviewable YAML: elements (users, apps,
cloud services, processes, data stores, devices with their hardware and radio
attributes), data assets, flows and trust boundaries. A rule library (YAML + CEL)
finds STRIDE threats mapped to CWE, CAPEC and ETSI EN 303 645, with stable ids
that the model marks mitigated, accepted or not applicable.`,
		Example: `  rampart threatmodel init --template smart-home -o threatmodel.yaml
  rampart threatmodel check threatmodel.yaml --fail-on high
  rampart threatmodel render threatmodel.yaml -o dfd.svg`,
	}
	cmd.AddCommand(
		newTMCheckCmd(s, nil), newTMValidateCmd(s, nil), newTMRenderCmd(s, nil), newTMReportCmd(s, nil),
		newTMImportCmd(s, nil), newTMExportCmd(s, nil), newTMRulesCmd(s, nil), newTMSchemaCmd(s, nil),
		newTMInitCmd(s, nil), newTMDiffCmd(s, nil), newTMRenderDOTCmd(s, nil),
	)
	return cmd
}

// tmRenderDOTOptions are the parsed options of `threatmodel render-dot` (it has none).
type tmRenderDOTOptions struct{}

// newTMRenderDOTCmd is the diagram worker "rampart serve" starts for each
// threat-model diagram (one process per render: parallel, stoppable).
func newTMRenderDOTCmd(s *streams, runF func(context.Context, *tmRenderDOTOptions) error) *cobra.Command {
	opts := &tmRenderDOTOptions{}
	return &cobra.Command{
		Use:    "render-dot",
		Short:  "Lay out a Graphviz DOT graph read from stdin and write SVG (the server's diagram worker)",
		Hidden: true,
		Long: `Reads a layout engine name (dot or osage) on the first line of stdin and a
Graphviz DOT graph after it, and writes the SVG to stdout with the embedded
Graphviz. "rampart serve" runs one of these per diagram it draws, so that
renders run in parallel and one that takes too long, or whose browser left,
is stopped by ending its process.`,
		Example: `  rampart threatmodel render model.yaml -o dfd.dot
  { echo dot; cat dfd.dot; } | rampart threatmodel render-dot > dfd.svg
  printf 'dot\ndigraph { a -> b }\n' | rampart threatmodel render-dot > ab.svg`,
		Args: cobra.NoArgs,
		RunE: runE(s, opts, runF, runTMRenderDOT),
	}
}

func runTMRenderDOT(ctx context.Context, s *streams, _ *tmRenderDOTOptions) error {
	return threatmodel.ServeDOT(ctx, s.in, s.out)
}

// loadModel reads a model from a path or "-" (stdin): Rampart YAML/JSON or
// any format import reads (Threagile, Threat Dragon, OTM, pytm), converted
// on the fly as the server does on upload (import warnings go to stderr).
// Validation problems are failures (exit 1); unreadable files are errors
// (exit 2).
func loadModel(s *streams, path string) (*threatmodel.Model, error) {
	var (
		data []byte
		err  error
		name = path
	)
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(s.in, threatmodel.MaxModelSize+1))
		if err != nil {
			return nil, fmt.Errorf("read stdin: %w", err)
		}
		name = "<stdin>"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		data, err = io.ReadAll(io.LimitReader(f, threatmodel.MaxModelSize+1))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
	}
	m, err := threatmodel.Parse(data, name)
	if err != nil && len(data) <= threatmodel.MaxModelSize {
		if format, derr := imports.Detect(data); derr == nil && format != imports.Rampart {
			m2, ierr := importOnTheFly(s, data, path, name, format)
			// A Rampart model without its `rampart:` marker can look like
			// pytm: then its own validation problems are the better answer.
			if ierr == nil || format != imports.Pytm {
				m, err = m2, ierr
			}
		}
	}
	if errors.Is(err, threatmodel.ErrInvalid) {
		return nil, failure(err)
	}
	return m, err
}

// importOnTheFly converts a model in another format to Rampart's and parses
// the result, so check, render and report see exactly what import writes.
func importOnTheFly(s *streams, data []byte, path, name, format string) (*threatmodel.Model, error) {
	readInclude := includesBeside(filepath.Dir(path))
	if path == "-" {
		readInclude = func(inc string) ([]byte, error) {
			return nil, fmt.Errorf("include %q: includes are not read from stdin", inc)
		}
	}
	_, yml, err := convertModel(s, data, name, format, readInclude)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(s.err, "%s: converted from %s on the fly (save it with: rampart threatmodel import)\n", name, format)
	return threatmodel.Parse(yml, name)
}

// convertModel converts a model in another format (format "" detects it)
// to Rampart YAML, reading the files it includes with readInclude, and
// prints the conversion's warnings. A document the import refuses is a
// failure (exit 1); an unknown format name is a usage error (exit 2).
func convertModel(s *streams, data []byte, name, format string, readInclude func(string) ([]byte, error)) (*imports.Imported, []byte, error) {
	im, err := imports.Import(data, name, format, imports.Options{ReadInclude: readInclude})
	if err != nil {
		if errors.Is(err, imports.ErrUnknownFormatName) {
			return nil, nil, err
		}
		return nil, nil, failure(err)
	}
	for _, w := range im.Warnings {
		fmt.Fprintf(s.err, "warning: %s\n", w)
	}
	yml, err := threatmodel.Marshal(im.Model)
	if err != nil {
		return nil, nil, err
	}
	return im, yml, nil
}

// includesBeside reads the files a model includes from dir, the model's
// folder, refusing names that leave it.
func includesBeside(dir string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if filepath.IsAbs(name) || strings.Contains(filepath.ToSlash(filepath.Clean(name)), "../") {
			return nil, fmt.Errorf("include %q leaves the model's folder", name)
		}
		return os.ReadFile(filepath.Join(dir, name))
	}
}

// tmCheckOptions are the parsed options of `threatmodel check`.
type tmCheckOptions struct {
	Model  string
	Format string
	FailOn string
	Output string
	Top    int
	Rules  rulesFlags
}

func newTMCheckCmd(s *streams, runF func(context.Context, *tmCheckOptions) error) *cobra.Command {
	opts := &tmCheckOptions{}
	c := &cobra.Command{
		Use:   "check MODEL",
		Short: "Find threats in a model; exit 1 when unmitigated threats at or above --fail-on remain",
		Long: `Evaluate the rule library on MODEL (YAML or JSON; "-" for stdin) and list the
threats with stable ids (RULE@TARGET). Threats the model marks mitigated,
accepted or not_applicable are shown with that status and never fail the check.
MODEL may also be in any format import reads (Threagile, Threat Dragon, OTM,
pytm); it is converted on the fly.

Where the model does not state an attribute the rules read (encryption,
authentication, data classification, ...), the rules assume the unsafe answer
and the threat's explanation says so. The check reports a completeness score
(the share of those attributes the model states) and the unstated attributes
that the most threats depend on (--top).`,
		Example: `  rampart threatmodel check threatmodel.yaml
  rampart threatmodel check threatmodel.yaml --format json
  rampart threatmodel check threatmodel.yaml --format sarif -o threats.sarif --fail-on high
  rampart threatmodel check threatmodel.yaml --rules ./our-rules --disable PROD-004,EL-*`,
		Args: exactArgs(&opts.Model),
		RunE: runE(s, opts, runF, runTMCheck),
	}
	c.Flags().StringVar(&opts.Format, "format", "table", "output format: table, json, sarif, markdown")
	c.Flags().StringVar(&opts.FailOn, "fail-on", "none", "exit 1 when open threats of this severity or worse remain: critical, high, medium, low, info, none")
	c.Flags().StringVarP(&opts.Output, "output", "o", "", "write the report to FILE instead of stdout")
	c.Flags().IntVar(&opts.Top, "top", 10, "list the N unstated attributes that the most threats depend on (0: all)")
	opts.Rules.add(c)
	return c
}

func (o *tmCheckOptions) validate() error {
	if err := checkOneOf("format", o.Format, "table", "json", "sarif", "markdown"); err != nil {
		return err
	}
	if o.FailOn != "none" && threatmodel.SeverityRank(o.FailOn) < 0 {
		return fmt.Errorf("--fail-on %q: use critical, high, medium, low, info or none", o.FailOn)
	}
	return nil
}

func runTMCheck(_ context.Context, s *streams, opts *tmCheckOptions) error {
	m, lib, res, err := opts.Rules.loadChecked(s, opts.Model)
	if err != nil {
		return err
	}
	if c := res.Completeness; c != nil {
		cc := *c
		cc.Attributes = c.Top(opts.Top)
		res.Completeness = &cc
	}
	err = writeTo(s, opts.Output, func(w io.Writer) error {
		switch opts.Format {
		case "json":
			return threatmodel.WriteJSON(w, res)
		case "sarif":
			return threatmodel.WriteSARIF(w, m, lib, res, Version)
		case "markdown":
			return threatmodel.WriteMarkdown(w, m, res)
		}
		return threatmodel.WriteTable(w, res)
	})
	if err != nil {
		return err
	}
	wrote(s, opts.Output, opts.Format+" report", "")
	if opts.FailOn != "none" {
		if open := res.OpenAtOrAbove(opts.FailOn); len(open) > 0 {
			return failuref("%d unmitigated threat%s at or above %s severity", len(open), pluralS(len(open)), opts.FailOn)
		}
	}
	return nil
}

func pluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// tmValidateOptions are the parsed options of `threatmodel validate`.
type tmValidateOptions struct {
	Model string
}

func newTMValidateCmd(s *streams, runF func(context.Context, *tmValidateOptions) error) *cobra.Command {
	opts := &tmValidateOptions{}
	return &cobra.Command{
		Use:     "validate MODEL",
		Short:   "Check that a model is well formed (errors give file, line and column)",
		Example: "  rampart threatmodel validate threatmodel.yaml",
		Args:    exactArgs(&opts.Model),
		RunE:    runE(s, opts, runF, runTMValidate),
	}
}

func runTMValidate(_ context.Context, s *streams, opts *tmValidateOptions) error {
	m, err := loadModel(s, opts.Model)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(s.out, "%s: valid (%d elements, %d flows, %d trust boundaries)\n", opts.Model, len(m.Elements), len(m.Flows), len(m.Boundaries))
	return err
}

// tmRenderOptions are the parsed options of `threatmodel render`.
type tmRenderOptions struct {
	Model     string
	Output    string
	Direction string
	NoThreats bool
	Rules     rulesFlags
}

func newTMRenderCmd(s *streams, runF func(context.Context, *tmRenderOptions) error) *cobra.Command {
	opts := &tmRenderOptions{}
	c := &cobra.Command{
		Use:   "render MODEL -o FILE.svg|.dot|.mmd",
		Short: "Draw the data-flow diagram (SVG, Graphviz DOT or Mermaid)",
		Long: `Draw the data-flow diagram: trust boundaries as nested clusters, element shapes
by type (box: external entity, ellipse: process, cylinder: data store, 3-D box:
device), flows labelled with protocol and encryption, open threats counted and
coloured by worst severity. The output format follows the file extension.`,
		Example: `  rampart threatmodel render threatmodel.yaml -o dfd.svg
  rampart threatmodel render threatmodel.yaml -o dfd.mmd
  rampart threatmodel render threatmodel.yaml -o dfd.dot --direction TB`,
		Args: exactArgs(&opts.Model),
		RunE: runE(s, opts, runF, runTMRender),
	}
	c.Flags().StringVarP(&opts.Output, "output", "o", "", "output file: .svg, .dot or .mmd (required)")
	c.Flags().StringVar(&opts.Direction, "direction", "LR", "layout direction: LR or TB")
	c.Flags().BoolVar(&opts.NoThreats, "no-threats", false, "draw the model only, without threat counts")
	opts.Rules.add(c)
	return c
}

func (o *tmRenderOptions) validate() error {
	if o.Output == "" {
		return errors.New("-o FILE is required (.svg, .dot or .mmd)")
	}
	ext := strings.ToLower(filepath.Ext(o.Output))
	if !slices.Contains([]string{".svg", ".dot", ".gv", ".mmd", ".mermaid"}, ext) {
		return fmt.Errorf("-o %s: unknown diagram format %q (use .svg, .dot or .mmd)", o.Output, ext)
	}
	return nil
}

func runTMRender(ctx context.Context, s *streams, opts *tmRenderOptions) error {
	m, err := loadModel(s, opts.Model)
	if err != nil {
		return err
	}
	dopts := threatmodel.DiagramOptions{Direction: strings.ToUpper(opts.Direction)}
	if !opts.NoThreats {
		lib, err := opts.Rules.library()
		if err != nil {
			return err
		}
		dopts.Result = lib.Check(m)
	}
	err = writeWhole(s, opts.Output, func(w io.Writer) error {
		switch strings.ToLower(filepath.Ext(opts.Output)) {
		case ".svg":
			svg, err := threatmodel.RenderSVG(ctx, m, dopts)
			if err != nil {
				return err
			}
			_, err = w.Write(svg)
			return err
		case ".mmd", ".mermaid":
			return threatmodel.WriteMermaid(w, m, dopts)
		}
		return threatmodel.WriteDOT(w, m, dopts)
	})
	if err != nil {
		return err
	}
	wrote(s, opts.Output, fmt.Sprintf("diagram of %d elements, %d flows", len(m.Elements), len(m.Flows)), "")
	return nil
}

// tmReportOptions are the parsed options of `threatmodel report`.
type tmReportOptions struct {
	Model  string
	Format string
	Output string
	Rules  rulesFlags
}

func newTMReportCmd(s *streams, runF func(context.Context, *tmReportOptions) error) *cobra.Command {
	opts := &tmReportOptions{}
	c := &cobra.Command{
		Use:   "report MODEL --format markdown|html -o FILE",
		Short: "Write a review report: diagram, threats by severity and STRIDE, mitigations, open items",
		Example: `  rampart threatmodel report threatmodel.yaml --format html -o threatmodel.html
  rampart threatmodel report threatmodel.yaml --format markdown -o THREATS.md`,
		Args: exactArgs(&opts.Model),
		RunE: runE(s, opts, runF, runTMReport),
	}
	c.Flags().StringVar(&opts.Format, "format", "markdown", "report format: markdown or html")
	c.Flags().StringVarP(&opts.Output, "output", "o", "", "output file (default stdout)")
	opts.Rules.add(c)
	return c
}

func (o *tmReportOptions) validate() error {
	return checkOneOf("format", o.Format, "markdown", "html", "md")
}

func runTMReport(ctx context.Context, s *streams, opts *tmReportOptions) error {
	m, _, res, err := opts.Rules.loadChecked(s, opts.Model)
	if err != nil {
		return err
	}
	err = writeWhole(s, opts.Output, func(w io.Writer) error {
		if opts.Format == "html" {
			svg, err := threatmodel.RenderSVG(ctx, m, threatmodel.DiagramOptions{Result: res})
			if err != nil {
				return err
			}
			return threatmodel.WriteHTML(w, m, res, svg)
		}
		return threatmodel.WriteMarkdown(w, m, res)
	})
	if err != nil {
		return err
	}
	wrote(s, opts.Output, opts.Format+" report", "")
	return nil
}

// tmImportOptions are the parsed options of `threatmodel import`.
type tmImportOptions struct {
	File   string
	From   string
	Output string
}

func newTMImportCmd(s *streams, runF func(context.Context, *tmImportOptions) error) *cobra.Command {
	opts := &tmImportOptions{}
	c := &cobra.Command{
		Use:   "import FILE [--from threagile|threat-dragon|otm|pytm] -o MODEL.yaml",
		Short: "Convert a Threagile, Threat Dragon, Open Threat Model or pytm file to Rampart YAML",
		Long: `Convert a threat model from another tool, keeping elements, flows, data assets,
trust boundaries and the threats already recorded with their status. The format
is detected unless --from is given. Files a Threagile model includes are read
relative to FILE.`,
		Example: `  rampart threatmodel import threagile.yaml -o threatmodel.yaml
  rampart threatmodel import dragon.json --from threat-dragon -o threatmodel.yaml
  rampart threatmodel import model.otm.json -o threatmodel.yaml`,
		Args: exactArgs(&opts.File),
		RunE: runE(s, opts, runF, runTMImport),
	}
	c.Flags().StringVar(&opts.From, "from", "", "input format: threagile, threat-dragon, otm, pytm (default: detect)")
	c.Flags().StringVarP(&opts.Output, "output", "o", "", "output model file (default stdout)")
	return c
}

func runTMImport(_ context.Context, s *streams, opts *tmImportOptions) error {
	data, err := os.ReadFile(opts.File)
	if err != nil {
		return err
	}
	if len(data) > threatmodel.MaxModelSize {
		return failuref("%s: larger than %d bytes", opts.File, threatmodel.MaxModelSize)
	}
	im, yml, err := convertModel(s, data, opts.File, opts.From, includesBeside(filepath.Dir(opts.File)))
	if err != nil {
		return err
	}
	if _, err := threatmodel.Parse(yml, "converted model"); err != nil {
		return fmt.Errorf("converted model does not validate (a bug, please report): %w", err)
	}
	if err := writeOutput(s, opts.Output, yml); err != nil {
		return err
	}
	wrote(s, opts.Output, fmt.Sprintf("imported %s model %q: %d elements, %d flows, %d trust boundaries, %d recorded threats",
		im.Format, im.Model.Title, len(im.Model.Elements), len(im.Model.Flows), len(im.Model.Boundaries), len(im.Model.Threats)),
		"rampart threatmodel check "+opts.Output)
	return nil
}

// tmExportOptions are the parsed options of `threatmodel export`.
type tmExportOptions struct {
	Model  string
	To     string
	Output string
	Rules  rulesFlags
}

func newTMExportCmd(s *streams, runF func(context.Context, *tmExportOptions) error) *cobra.Command {
	opts := &tmExportOptions{}
	c := &cobra.Command{
		Use:     "export MODEL --to otm -o FILE",
		Short:   "Export a model and its threats to Open Threat Model JSON",
		Example: "  rampart threatmodel export threatmodel.yaml --to otm -o model.otm.json",
		Args:    exactArgs(&opts.Model),
		RunE:    runE(s, opts, runF, runTMExport),
	}
	c.Flags().StringVar(&opts.To, "to", "otm", "export format: otm")
	c.Flags().StringVarP(&opts.Output, "output", "o", "", "output file (default stdout)")
	opts.Rules.add(c)
	return c
}

func (o *tmExportOptions) validate() error {
	return checkOneOf("to", o.To, "otm")
}

func runTMExport(_ context.Context, s *streams, opts *tmExportOptions) error {
	m, _, res, err := opts.Rules.loadChecked(s, opts.Model)
	if err != nil {
		return err
	}
	if err := writeWhole(s, opts.Output, func(w io.Writer) error { return otm.Export(w, m, res) }); err != nil {
		return err
	}
	wrote(s, opts.Output, "Open Threat Model JSON", "")
	return nil
}

// tmRulesOptions are the parsed options of `threatmodel rules`.
type tmRulesOptions struct {
	Format string
	Rules  rulesFlags
}

func newTMRulesCmd(s *streams, runF func(context.Context, *tmRulesOptions) error) *cobra.Command {
	opts := &tmRulesOptions{}
	c := &cobra.Command{
		Use:   "rules [--format table|json]",
		Short: "List the rule library with STRIDE category, severity and CWE, CAPEC and ETSI EN 303 645 mappings",
		Example: `  rampart threatmodel rules
  rampart threatmodel rules --format json
  rampart threatmodel rules --rules ./our-rules`,
		Args: cobra.NoArgs,
		RunE: runE(s, opts, runF, runTMRules),
	}
	c.Flags().StringVar(&opts.Format, "format", "table", "output format: table or json")
	opts.Rules.add(c)
	return c
}

func (o *tmRulesOptions) validate() error {
	return checkOneOf("format", o.Format, "table", "json")
}

func runTMRules(_ context.Context, s *streams, opts *tmRulesOptions) error {
	lib, err := opts.Rules.library()
	if err != nil {
		return err
	}
	list := lib.Rules()
	if opts.Format == "json" {
		return writeJSONUnescaped(s.out, map[string]any{"rules": list, "count": len(list)})
	}
	tw := newTable(s.out, "ID\tSTRIDE\tSEVERITY\tAPPLIES TO\tCWE\tCAPEC\tETSI EN 303 645\tTITLE", len(list), "no rules")
	for _, r := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.STRIDE, r.Severity, strings.Join(r.AppliesTo, ","),
			ints(r.CWE), ints(r.CAPEC), orDash(strings.Join(r.ETSI, ",")), r.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(s.out, "\n%d rules\n", len(list))
	return err
}

func ints(v []int) string {
	if len(v) == 0 {
		return "-"
	}
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

// tmSchemaOptions are the parsed options of `threatmodel schema` (it has none).
type tmSchemaOptions struct{}

func newTMSchemaCmd(s *streams, runF func(context.Context, *tmSchemaOptions) error) *cobra.Command {
	opts := &tmSchemaOptions{}
	return &cobra.Command{
		Use:     "schema",
		Short:   "Print the JSON Schema of the model format (for editors and CI)",
		Example: "  rampart threatmodel schema > threatmodel.schema.json",
		Args:    cobra.NoArgs,
		RunE:    runE(s, opts, runF, runTMSchema),
	}
}

func runTMSchema(_ context.Context, s *streams, _ *tmSchemaOptions) error {
	b, err := threatmodel.JSONSchema()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(s.out, "%s\n", b)
	return err
}

// tmInitOptions are the parsed options of `threatmodel init`.
type tmInitOptions struct {
	Template string
	Output   string
	Force    bool
}

func newTMInitCmd(s *streams, runF func(context.Context, *tmInitOptions) error) *cobra.Command {
	opts := &tmInitOptions{}
	c := &cobra.Command{
		Use:   "init --template smart-home|industrial-gateway|medical-wearable [-o FILE]",
		Short: "Start a model from a template for a common connected product",
		Example: `  rampart threatmodel init --template smart-home -o threatmodel.yaml
  rampart threatmodel init --template industrial-gateway
  rampart threatmodel init --template medical-wearable -o wearable.yaml`,
		Args: cobra.NoArgs,
		RunE: runE(s, opts, runF, runTMInit),
	}
	c.Flags().StringVar(&opts.Template, "template", "", "template: "+strings.Join(threatmodel.Templates(), ", "))
	c.Flags().StringVarP(&opts.Output, "output", "o", "", "output file (default stdout)")
	c.Flags().BoolVar(&opts.Force, "force", false, "overwrite an existing file")
	return c
}

func (o *tmInitOptions) validate() error {
	if o.Template == "" {
		return fmt.Errorf("--template is required (%s)", strings.Join(threatmodel.Templates(), ", "))
	}
	if _, err := threatmodel.Template(o.Template); err != nil {
		return err
	}
	return nil
}

func runTMInit(_ context.Context, s *streams, opts *tmInitOptions) error {
	data, err := threatmodel.Template(opts.Template)
	if err != nil {
		return err
	}
	out := opts.Output
	if !toStdout(out) && !opts.Force {
		if _, err := os.Stat(out); err == nil {
			return fmt.Errorf("%s exists; use --force to overwrite", out)
		}
	}
	if err := writeOutput(s, out, data); err != nil {
		return err
	}
	wrote(s, out, opts.Template+" template", "rampart threatmodel check "+out)
	return nil
}

// tmDiffOptions are the parsed options of `threatmodel diff`.
type tmDiffOptions struct {
	Old, New string
	Format   string
	Rules    rulesFlags
}

func newTMDiffCmd(s *streams, runF func(context.Context, *tmDiffOptions) error) *cobra.Command {
	opts := &tmDiffOptions{}
	c := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Compare two versions of a model: elements, flows and threats added, removed or changed",
		Example: `  rampart threatmodel diff v1.yaml v2.yaml
  rampart threatmodel diff v1.yaml v2.yaml --format json`,
		Args: exactArgs(&opts.Old, &opts.New),
		RunE: runE(s, opts, runF, runTMDiff),
	}
	c.Flags().StringVar(&opts.Format, "format", "text", "output format: text or json")
	opts.Rules.add(c)
	return c
}

func (o *tmDiffOptions) validate() error {
	return checkOneOf("format", o.Format, "text", "json")
}

func runTMDiff(_ context.Context, s *streams, opts *tmDiffOptions) error {
	a, lib, aRes, err := opts.Rules.loadChecked(s, opts.Old)
	if err != nil {
		return err
	}
	b, err := loadModel(s, opts.New)
	if err != nil {
		return err
	}
	d := threatmodel.Compare(a, aRes, b, lib.Check(b))
	if opts.Format == "json" {
		return writeJSONUnescaped(s.out, d)
	}
	return threatmodel.WriteDiff(s.out, d)
}
