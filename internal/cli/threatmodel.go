package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

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
		newTMCheckCmd(s), newTMValidateCmd(s), newTMRenderCmd(s), newTMReportCmd(s),
		newTMImportCmd(s), newTMExportCmd(s), newTMRulesCmd(s), newTMSchemaCmd(s),
		newTMInitCmd(s), newTMDiffCmd(s), newTMRenderDOTCmd(s),
	)
	return cmd
}

// newTMRenderDOTCmd is the diagram worker "rampart serve" starts for each
// threat-model diagram (one process per render: parallel, stoppable).
func newTMRenderDOTCmd(s *streams) *cobra.Command {
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
		RunE: func(cmd *cobra.Command, args []string) error {
			return threatmodel.ServeDOT(cmd.Context(), s.in, s.out)
		},
	}
}

// loadModel reads a Rampart model from a path or "-" (stdin). Validation
// problems are failures (exit 1); unreadable files are errors (exit 2).
func loadModel(s *streams, path string) (*threatmodel.Model, error) {
	var (
		m   *threatmodel.Model
		err error
	)
	if path == "-" {
		data, rerr := io.ReadAll(io.LimitReader(s.in, threatmodel.MaxModelSize+1))
		if rerr != nil {
			return nil, fmt.Errorf("read stdin: %w", rerr)
		}
		m, err = threatmodel.Parse(data, "<stdin>")
	} else {
		m, err = threatmodel.LoadFile(path)
	}
	if errors.Is(err, threatmodel.ErrInvalid) {
		return nil, failure(err)
	}
	return m, err
}

// output opens -o FILE, or returns stdout when file is "" or "-".
func output(s *streams, file string) (io.Writer, func() error, error) {
	if file == "" || file == "-" {
		return s.out, func() error { return nil }, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

func writeOutput(s *streams, file string, data []byte) error {
	if file == "" || file == "-" {
		_, err := s.out.Write(data)
		return err
	}
	return os.WriteFile(file, data, 0o644)
}

type tmCheckOptions struct {
	format, failOn, output string
	rules                  rulesFlags
}

func newTMCheckCmd(s *streams) *cobra.Command {
	o := &tmCheckOptions{}
	c := &cobra.Command{
		Use:   "check MODEL",
		Short: "Find threats in a model; exit 1 when unmitigated threats at or above --fail-on remain",
		Long: `Evaluate the rule library on MODEL (YAML or JSON; "-" for stdin) and list the
threats with stable ids (RULE@TARGET). Threats the model marks mitigated,
accepted or not_applicable are shown with that status and never fail the check.`,
		Example: `  rampart threatmodel check threatmodel.yaml
  rampart threatmodel check threatmodel.yaml --format json
  rampart threatmodel check threatmodel.yaml --format sarif -o threats.sarif --fail-on high
  rampart threatmodel check threatmodel.yaml --rules ./our-rules --disable PROD-004,EL-*`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains([]string{"table", "json", "sarif", "markdown"}, o.format) {
				return fmt.Errorf("--format %q: use table, json, sarif or markdown", o.format)
			}
			if o.failOn != "none" && threatmodel.SeverityRank(o.failOn) < 0 {
				return fmt.Errorf("--fail-on %q: use critical, high, medium, low, info or none", o.failOn)
			}
			m, err := loadModel(s, args[0])
			if err != nil {
				return err
			}
			lib, err := o.rules.library()
			if err != nil {
				return err
			}
			res := lib.Check(m)
			w, closeOut, err := output(s, o.output)
			if err != nil {
				return err
			}
			switch o.format {
			case "json":
				err = threatmodel.WriteJSON(w, res)
			case "sarif":
				err = threatmodel.WriteSARIF(w, m, lib, res, Version)
			case "markdown":
				err = threatmodel.WriteMarkdown(w, m, res)
			default:
				err = threatmodel.WriteTable(w, res)
			}
			if cerr := closeOut(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			if o.failOn != "none" {
				if open := res.OpenAtOrAbove(o.failOn); len(open) > 0 {
					return failuref("%d unmitigated threat%s at or above %s severity", len(open), pluralS(len(open)), o.failOn)
				}
			}
			return nil
		},
	}
	c.Flags().StringVar(&o.format, "format", "table", "output format: table, json, sarif, markdown")
	c.Flags().StringVar(&o.failOn, "fail-on", "none", "exit 1 when open threats of this severity or worse remain: critical, high, medium, low, info, none")
	c.Flags().StringVarP(&o.output, "output", "o", "", "write the report to FILE instead of stdout")
	o.rules.add(c)
	return c
}

func pluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func newTMValidateCmd(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:     "validate MODEL",
		Short:   "Check that a model is well formed (errors give file, line and column)",
		Example: "  rampart threatmodel validate threatmodel.yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := loadModel(s, args[0])
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(s.out, "%s: valid (%d elements, %d flows, %d trust boundaries)\n", args[0], len(m.Elements), len(m.Flows), len(m.Boundaries))
			return err
		},
	}
}

func newTMRenderCmd(s *streams) *cobra.Command {
	var (
		out, direction string
		noThreats      bool
		rules          rulesFlags
	)
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
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errors.New("-o FILE is required (.svg, .dot or .mmd)")
			}
			ext := strings.ToLower(filepath.Ext(out))
			if !slices.Contains([]string{".svg", ".dot", ".gv", ".mmd", ".mermaid"}, ext) {
				return fmt.Errorf("-o %s: unknown diagram format %q (use .svg, .dot or .mmd)", out, ext)
			}
			m, err := loadModel(s, args[0])
			if err != nil {
				return err
			}
			opts := threatmodel.DiagramOptions{Direction: strings.ToUpper(direction)}
			if !noThreats {
				lib, err := rules.library()
				if err != nil {
					return err
				}
				opts.Result = lib.Check(m)
			}
			var buf bytes.Buffer
			switch ext {
			case ".svg":
				svg, err := threatmodel.RenderSVG(cmd.Context(), m, opts)
				if err != nil {
					return err
				}
				buf.Write(svg)
			case ".mmd", ".mermaid":
				err = threatmodel.WriteMermaid(&buf, m, opts)
			default:
				err = threatmodel.WriteDOT(&buf, m, opts)
			}
			if err != nil {
				return err
			}
			return writeOutput(s, out, buf.Bytes())
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "output file: .svg, .dot or .mmd (required)")
	c.Flags().StringVar(&direction, "direction", "LR", "layout direction: LR or TB")
	c.Flags().BoolVar(&noThreats, "no-threats", false, "draw the model only, without threat counts")
	rules.add(c)
	return c
}

func newTMReportCmd(s *streams) *cobra.Command {
	var (
		format, out string
		rules       rulesFlags
	)
	c := &cobra.Command{
		Use:   "report MODEL --format markdown|html -o FILE",
		Short: "Write a review report: diagram, threats by severity and STRIDE, mitigations, open items",
		Example: `  rampart threatmodel report threatmodel.yaml --format html -o threatmodel.html
  rampart threatmodel report threatmodel.yaml --format markdown -o THREATS.md`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "markdown" && format != "html" && format != "md" {
				return fmt.Errorf("--format %q: use markdown or html", format)
			}
			m, err := loadModel(s, args[0])
			if err != nil {
				return err
			}
			lib, err := rules.library()
			if err != nil {
				return err
			}
			res := lib.Check(m)
			var buf bytes.Buffer
			if format == "html" {
				svg, err := threatmodel.RenderSVG(cmd.Context(), m, threatmodel.DiagramOptions{Result: res})
				if err != nil {
					return err
				}
				err = threatmodel.WriteHTML(&buf, m, res, svg)
				if err != nil {
					return err
				}
			} else if err := threatmodel.WriteMarkdown(&buf, m, res); err != nil {
				return err
			}
			return writeOutput(s, out, buf.Bytes())
		},
	}
	c.Flags().StringVar(&format, "format", "markdown", "report format: markdown or html")
	c.Flags().StringVarP(&out, "output", "o", "", "output file (default stdout)")
	rules.add(c)
	return c
}

func newTMImportCmd(s *streams) *cobra.Command {
	var from, out string
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
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			if len(data) > threatmodel.MaxModelSize {
				return failuref("%s: larger than %d bytes", args[0], threatmodel.MaxModelSize)
			}
			dir := filepath.Dir(args[0])
			im, err := imports.Import(data, args[0], from, imports.Options{ReadInclude: func(name string) ([]byte, error) {
				if filepath.IsAbs(name) || strings.Contains(filepath.ToSlash(filepath.Clean(name)), "../") {
					return nil, fmt.Errorf("include %q leaves the model's folder", name)
				}
				return os.ReadFile(filepath.Join(dir, name))
			}})
			if err != nil {
				if strings.HasPrefix(err.Error(), "unknown import format") {
					return err
				}
				return failure(err)
			}
			for _, w := range im.Warnings {
				fmt.Fprintf(s.err, "warning: %s\n", w)
			}
			yml, err := threatmodel.Marshal(im.Model)
			if err != nil {
				return err
			}
			if _, err := threatmodel.Parse(yml, "converted model"); err != nil {
				return fmt.Errorf("converted model does not validate (a bug, please report): %w", err)
			}
			if err := writeOutput(s, out, yml); err != nil {
				return err
			}
			if out != "" && out != "-" {
				fmt.Fprintf(s.err, "imported %s model %q: %d elements, %d flows, %d trust boundaries, %d recorded threats → %s\n",
					im.Format, im.Model.Title, len(im.Model.Elements), len(im.Model.Flows), len(im.Model.Boundaries), len(im.Model.Threats), out)
			}
			return nil
		},
	}
	c.Flags().StringVar(&from, "from", "", "input format: threagile, threat-dragon, otm, pytm (default: detect)")
	c.Flags().StringVarP(&out, "output", "o", "", "output model file (default stdout)")
	return c
}

func newTMExportCmd(s *streams) *cobra.Command {
	var to, out string
	var rules rulesFlags
	c := &cobra.Command{
		Use:     "export MODEL --to otm -o FILE",
		Short:   "Export a model and its threats to Open Threat Model JSON",
		Example: "  rampart threatmodel export threatmodel.yaml --to otm -o model.otm.json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if to != "otm" {
				return fmt.Errorf("--to %q: only otm is supported", to)
			}
			m, err := loadModel(s, args[0])
			if err != nil {
				return err
			}
			lib, err := rules.library()
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := otm.Export(&buf, m, lib.Check(m)); err != nil {
				return err
			}
			return writeOutput(s, out, buf.Bytes())
		},
	}
	c.Flags().StringVar(&to, "to", "otm", "export format: otm")
	c.Flags().StringVarP(&out, "output", "o", "", "output file (default stdout)")
	rules.add(c)
	return c
}

func newTMRulesCmd(s *streams) *cobra.Command {
	var format string
	var rules rulesFlags
	c := &cobra.Command{
		Use:   "rules [--format table|json]",
		Short: "List the rule library with STRIDE category, severity and CWE, CAPEC and ETSI EN 303 645 mappings",
		Example: `  rampart threatmodel rules
  rampart threatmodel rules --format json
  rampart threatmodel rules --rules ./our-rules`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			lib, err := rules.library()
			if err != nil {
				return err
			}
			list := lib.Rules()
			switch format {
			case "json":
				enc := json.NewEncoder(s.out)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(map[string]any{"rules": list, "count": len(list)})
			case "table":
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSTRIDE\tSEVERITY\tAPPLIES TO\tCWE\tCAPEC\tETSI EN 303 645\tTITLE")
				for _, r := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.STRIDE, r.Severity, strings.Join(r.AppliesTo, ","),
						ints(r.CWE), ints(r.CAPEC), orDashCLI(strings.Join(r.ETSI, ",")), r.Title)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				_, err := fmt.Fprintf(s.out, "\n%d rules\n", len(list))
				return err
			}
			return fmt.Errorf("--format %q: use table or json", format)
		},
	}
	c.Flags().StringVar(&format, "format", "table", "output format: table or json")
	rules.add(c)
	return c
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

func orDashCLI(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newTMSchemaCmd(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:     "schema",
		Short:   "Print the JSON Schema of the model format (for editors and CI)",
		Example: "  rampart threatmodel schema > threatmodel.schema.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := threatmodel.JSONSchema()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(s.out, "%s\n", b)
			return err
		},
	}
}

func newTMInitCmd(s *streams) *cobra.Command {
	var tmpl, out string
	var force bool
	c := &cobra.Command{
		Use:   "init --template smart-home|industrial-gateway|medical-wearable [-o FILE]",
		Short: "Start a model from a template for a common connected product",
		Example: `  rampart threatmodel init --template smart-home -o threatmodel.yaml
  rampart threatmodel init --template industrial-gateway
  rampart threatmodel init --template medical-wearable -o wearable.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if tmpl == "" {
				return fmt.Errorf("--template is required (%s)", strings.Join(threatmodel.Templates(), ", "))
			}
			data, err := threatmodel.Template(tmpl)
			if err != nil {
				return err
			}
			if out != "" && out != "-" && !force {
				if _, err := os.Stat(out); err == nil {
					return fmt.Errorf("%s exists; use --force to overwrite", out)
				}
			}
			if err := writeOutput(s, out, data); err != nil {
				return err
			}
			if out != "" && out != "-" {
				fmt.Fprintf(s.err, "wrote %s; next: rampart threatmodel check %s\n", out, out)
			}
			return nil
		},
	}
	c.Flags().StringVar(&tmpl, "template", "", "template: "+strings.Join(threatmodel.Templates(), ", "))
	c.Flags().StringVarP(&out, "output", "o", "", "output file (default stdout)")
	c.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return c
}

func newTMDiffCmd(s *streams) *cobra.Command {
	var format string
	var rules rulesFlags
	c := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Compare two versions of a model: elements, flows and threats added, removed or changed",
		Example: `  rampart threatmodel diff v1.yaml v2.yaml
  rampart threatmodel diff v1.yaml v2.yaml --format json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := loadModel(s, args[0])
			if err != nil {
				return err
			}
			b, err := loadModel(s, args[1])
			if err != nil {
				return err
			}
			lib, err := rules.library()
			if err != nil {
				return err
			}
			d := threatmodel.Compare(a, lib.Check(a), b, lib.Check(b))
			switch format {
			case "json":
				enc := json.NewEncoder(s.out)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(d)
			case "text":
				return threatmodel.WriteDiff(s.out, d)
			}
			return fmt.Errorf("--format %q: use text or json", format)
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	rules.add(c)
	return c
}
