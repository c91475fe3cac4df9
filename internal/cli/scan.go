package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners"
)

func newScanCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Read scanner reports (ZAP, Nessus, SARIF, Trivy, …)",
		Long: `Read security scanner reports into Rampart's canonical findings.
The report format is detected from the file's content; --tool overrides it.`,
		Example: "  rampart scan formats\n  rampart scan parse zap-report.xml --format table\n  rampart scan list --product Gateway --release 2.4.1",
	}
	cmd.AddCommand(newScanParseCmd(s, nil), newScanFormatsCmd(s, nil), newScanImportCmd(s, nil), newScanImportDefectDojoCmd(s, nil), newScanListCmd(s, nil))
	return cmd
}

// scanParseOptions are the flags of `rampart scan parse`.
type scanParseOptions struct {
	File   string
	Tool   string
	Format string
}

func newScanParseCmd(s *streams, runF func(context.Context, *scanParseOptions) error) *cobra.Command {
	opts := &scanParseOptions{}
	cmd := &cobra.Command{
		Use:   "parse FILE",
		Short: "Parse a scanner report and print its findings",
		Long: `Parse a scanner report and print its findings as JSON
({"tool":"zap","findings":[…]}), as NDJSON (one finding per line, streamed in
constant memory, each with its "tool") or as a table. "-" reads standard input.
Exits 1 when the file is not a valid report of the (detected or given) tool.`,
		Example: "  rampart scan parse zap-report.xml\n" +
			"  rampart scan parse results.sarif --format table\n" +
			"  rampart scan parse export.csv --tool nessus-csv\n" +
			"  rampart scan parse huge.nessus --format ndjson | jq -c 'select(.severity==\"critical\")'",
		Args: exactArgs(&opts.File),
		RunE: runE(s, opts, runF, runScanParse),
	}
	cmd.Flags().StringVar(&opts.Tool, "tool", "", "report format (see 'rampart scan formats'); default: detect from content")
	cmd.Flags().StringVar(&opts.Format, "format", "json", "output format: json, ndjson or table")
	return cmd
}

func (o *scanParseOptions) validate() error {
	if err := checkTool(o.Tool); err != nil {
		return err
	}
	return checkOneOf("format", o.Format, "json", "ndjson", "table")
}

// checkTool checks a --tool name before anything is read or opened: an
// unknown one is a usage error (exit 2), and an import creates no release
// for it.
func checkTool(tool string) error {
	if _, ok := scanners.Lookup(tool); tool != "" && !ok {
		return fmt.Errorf("--tool: unknown tool %q: list the formats with 'rampart scan formats'", tool)
	}
	return nil
}

func runScanParse(_ context.Context, s *streams, opts *scanParseOptions) error {
	in, name, done, err := openArg(s, opts.File, "standard input")
	if err != nil {
		return fmt.Errorf("scan parse: %w", err)
	}
	defer done()
	br := bufio.NewReaderSize(in, scanners.HeadSize)
	format, err := scanners.Choose(br, name, opts.Tool)
	if err != nil {
		return failure(err)
	}
	if opts.Format == "ndjson" {
		return streamNDJSON(s, br, name, format)
	}
	if opts.Format == "table" {
		var list []findings.Finding
		if err := parseEnd(s, format, format.Parse(br, name, func(f findings.Finding) error {
			list = append(list, f)
			return nil
		}), len(list)); err != nil {
			return err
		}
		return printFindingsTable(s.out, format.Name, list)
	}
	// The JSON document is encoded finding by finding into memory and
	// written only when the whole report parsed, so a bad report never
	// leaves half a document on stdout. (--format ndjson streams instead.)
	var buf bytes.Buffer
	tool, err := json.Marshal(format.Name)
	if err != nil {
		return err
	}
	buf.WriteString(`{"tool":`)
	buf.Write(tool)
	buf.WriteString(`,"findings":[`)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	n := 0
	if err := parseEnd(s, format, format.Parse(br, name, func(f findings.Finding) error {
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		if err := enc.Encode(f); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		return nil
	}), n); err != nil {
		return err
	}
	buf.WriteString("]}\n")
	_, err = s.out.Write(buf.Bytes())
	return err
}

func streamNDJSON(s *streams, r io.Reader, name string, format scanners.Format) error {
	bw := bufio.NewWriterSize(s.out, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	n := 0
	err := format.Parse(r, name, func(f findings.Finding) error {
		if f.Tool == "" {
			f.Tool = format.Name
		}
		n++
		return enc.Encode(f)
	})
	if ferr := bw.Flush(); err == nil && ferr != nil {
		return ferr
	}
	return parseEnd(s, format, err, n)
}

// parseEnd is how a parse of n findings that ended in err ends. A report
// that says its scan did not complete but lists findings is printed with a
// warning, as an import takes it as a partial scan; any other error fails.
func parseEnd(s *streams, format scanners.Format, err error, n int) error {
	switch {
	case err == nil:
		return nil
	case findings.TakenAsPartial(err, n):
		fmt.Fprintf(s.err, "warning: %s report: %v (an import takes it as a partial scan, which closes nothing)\n", format.Name, err)
		return nil
	}
	return failure(fmt.Errorf("%s report: %w", format.Name, err))
}

func printFindingsTable(w io.Writer, tool string, list []findings.Finding) error {
	tw := newTable(w, "SEVERITY\tTITLE\tRULE\tIDS\tLOCATION", len(list), "no findings")
	for _, f := range list {
		loc := ""
		if len(f.Locations) > 0 {
			loc = locationString(f.Locations[0])
			if n := len(f.Locations) - 1; n > 0 {
				loc += fmt.Sprintf(" (+%d)", n)
			}
		} else if f.Component.Name != "" {
			loc = f.Component.Name + "@" + f.Component.Version
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Severity, truncate(f.Title, 60), truncate(f.RuleID, 30), strings.Join(f.VulnerabilityIDs, ","), loc)
	}
	counts := map[findings.Severity]int{}
	for _, f := range list {
		counts[f.Severity]++
	}
	fmt.Fprintf(tw, "\n%s: %d findings (critical %d, high %d, medium %d, low %d, info %d)\n", tool, len(list),
		counts[findings.Critical], counts[findings.High], counts[findings.Medium], counts[findings.Low], counts[findings.Info])
	return tw.Flush()
}

func locationString(l findings.Location) string {
	switch {
	case l.URL != "":
		return l.URL
	case l.File != "" && l.Line > 0:
		return fmt.Sprintf("%s:%d", l.File, l.Line)
	case l.File != "":
		return l.File
	case l.Host != "" && l.Port > 0:
		return fmt.Sprintf("%s:%d/%s", l.Host, l.Port, l.Protocol)
	}
	return l.Host
}

// scanFormatsOptions are the parsed options of `rampart scan formats` (it has none).
type scanFormatsOptions struct{}

func newScanFormatsCmd(s *streams, runF func(context.Context, *scanFormatsOptions) error) *cobra.Command {
	opts := &scanFormatsOptions{}
	return &cobra.Command{
		Use:     "formats",
		Short:   "List supported report formats and how each is detected",
		Example: "  rampart scan formats",
		Args:    cobra.NoArgs,
		RunE:    runE(s, opts, runF, runScanFormats),
	}
}

// runScanFormats prints one block per format: its --tool name, then its
// description and detection rule wrapped to a terminal's width (a table
// of three columns ran to 700 characters a line).
func runScanFormats(_ context.Context, s *streams, _ *scanFormatsOptions) error {
	var b strings.Builder
	for i, f := range scanners.Formats() {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(f.Name + "\n")
		writeWrapped(&b, "    ", f.Description, formatsWidth)
		writeWrapped(&b, "    detected: ", f.DetectRule, formatsWidth)
	}
	_, err := io.WriteString(s.out, b.String())
	return err
}

// formatsWidth is the widest line of 'rampart scan formats'.
const formatsWidth = 100

// writeWrapped writes text after prefix, broken between words so that no
// line is wider than width (a longer word stands alone); continuation
// lines are indented by as much as prefix.
func writeWrapped(b *strings.Builder, prefix, text string, width int) {
	indent := strings.Repeat(" ", utf8.RuneCountInString(prefix))
	line, started := prefix, false
	for _, w := range strings.Fields(text) {
		if started && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width {
			b.WriteString(line + "\n")
			line, started = indent, false
		}
		if started {
			line += " "
		}
		line += w
		started = true
	}
	b.WriteString(line + "\n")
}
