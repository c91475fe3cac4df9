package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/advisory/csaf"
)

// csafValidateOptions are the parsed flags of `rampart csaf validate`.
type csafValidateOptions struct {
	Files  []string
	Format string
}

func newCSAFCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "csaf",
		Short:   "Work with CSAF 2.0 security advisories",
		Example: "  rampart csaf validate advisory.json",
	}
	cmd.AddCommand(newCSAFValidateCmd(s, nil))
	return cmd
}

func newCSAFValidateCmd(s *streams, runF func(context.Context, *csafValidateOptions) error) *cobra.Command {
	opts := &csafValidateOptions{}
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Validate CSAF 2.0 documents (schema and the tests of section 6)",
		Long: `Validate CSAF 2.0 documents in-process: the CSAF JSON schema (with the FIRST
CVSS schemas) and the mandatory tests 6.1.1-6.1.33, plus the optional (6.2.x)
and informative (6.3.x) tests. A document is valid when it passes the schema
and every mandatory test; optional and informative failures are reported but
never make it invalid.

Exit status: 0 when every file is valid, 1 when any is not, 2 on a usage or
I/O error (unreadable file, not JSON).`,
		Example: `  rampart csaf validate advisory.json
  rampart csaf validate --format json white/2026/*.json`,
		Args: minArgs(&opts.Files),
		RunE: runE(s, opts, runF, runCSAFValidate),
	}
	cmd.Flags().StringVarP(&opts.Format, "format", "f", "text", "output format: text or json")
	return cmd
}

func (o *csafValidateOptions) validate() error {
	return checkOneOf("format", o.Format, "text", "json")
}

type csafFileResult struct {
	File     string         `json:"file"`
	Valid    bool           `json:"valid"`
	Failures []csaf.Failure `json:"failures"`
}

func runCSAFValidate(_ context.Context, s *streams, opts *csafValidateOptions) error {
	var docs []csafFileResult
	for _, f := range opts.Files {
		data, err := readInput(f, csaf.MaxDocumentSize)
		if err != nil {
			return err
		}
		res, err := csaf.Validate(data)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		docs = append(docs, csafFileResult{File: f, Valid: res.Valid, Failures: res.Failures})
	}
	allValid := true
	for _, d := range docs {
		allValid = allValid && d.Valid
	}
	if opts.Format == "json" {
		if err := writeJSON(s.out, map[string]any{"documents": docs}); err != nil {
			return err
		}
	} else {
		for _, d := range docs {
			state := "valid"
			if !d.Valid {
				state = "INVALID"
			}
			fmt.Fprintf(s.out, "%s: %s (%s)\n", d.File, state, failureCounts(d.Failures))
			for _, f := range d.Failures {
				fmt.Fprintf(s.out, "  %-9s %-11s %s: %s\n", f.Test, f.Kind, pointerOrRoot(f.Path), f.Message)
			}
		}
	}
	if !allValid {
		return failure(errors.New("CSAF validation failed"))
	}
	return nil
}

func pointerOrRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// failureCounts says how many tests of each kind failed: "no test failed",
// "1 mandatory test failed, 2 optional tests failed".
func failureCounts(fs []csaf.Failure) string {
	var parts []string
	for _, k := range []csaf.Kind{csaf.Mandatory, csaf.Optional, csaf.Informative} {
		n := 0
		for _, f := range fs {
			if f.Kind == k {
				n++
			}
		}
		switch {
		case n == 1:
			parts = append(parts, fmt.Sprintf("1 %s test failed", k))
		case n > 1:
			parts = append(parts, fmt.Sprintf("%d %s tests failed", n, k))
		}
	}
	if len(parts) == 0 {
		return "no test failed"
	}
	return strings.Join(parts, ", ")
}
