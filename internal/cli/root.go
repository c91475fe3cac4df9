// Package cli builds the rampart command tree. Each file holds one command
// group; commands parse flags, call a package and print. No logic lives here.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes shared by every command.
const (
	ExitOK      = 0 // success
	ExitFailure = 1 // findings, validation failure, policy violation
	ExitError   = 2 // usage or runtime error
)

// exitError carries an exit code through cobra's error return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// failure reports a validation failure or a finding: exit code 1.
func failure(err error) error { return &exitError{code: ExitFailure, err: err} }

// failuref is failure with a formatted message.
func failuref(format string, args ...any) error {
	return failure(fmt.Errorf(format, args...))
}

// streams holds the process's standard streams so tests can capture them.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// Version is set at build time with -ldflags "-X github.com/rampart-security/rampart/internal/cli.Version=…".
var Version = "dev"

// NewRoot builds the full command tree.
func NewRoot(s *streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "rampart",
		Short: "Product security for makers of connected devices",
		Long: `Rampart keeps connected products secure for their whole life: SBOMs and
vulnerability matching, scanner findings, threat models, policy gates,
incident response and signed updates, in one self-hosted binary.`,
		Example:       "  rampart serve --demo\n  rampart sbom inspect bom.cdx.json",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.err)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w\nRun '%s --help' for usage", err, c.CommandPath())
	})
	root.AddCommand(
		newVersionCmd(s),
		newServeCmd(s),
		newUserCmd(s),
		newTokenCmd(s),
		newSBOMCmd(s),
		newAuditCmd(s),
		newScanCmd(s),
		newThreatmodelCmd(s),
		newVulnDBCmd(s),
		newMatchCmd(s, nil),
		newUpdatesCmd(s, nil),
		newIncidentCmd(s, nil),
		newConformityCmd(s),
		newFirmwareCmd(s),
		newGateCmd(s, nil),
		newCSAFCmd(s),
	)
	return root
}

// Execute runs the CLI and returns the process exit code.
func Execute(ctx context.Context, args []string, in io.Reader, out, errw io.Writer) int {
	s := &streams{in: in, out: out, err: errw}
	root := NewRoot(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(errw, "rampart:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitError
}

func newVersionCmd(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the rampart version",
		Example: "  rampart version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(s.out, "rampart %s\n", Version)
			return err
		},
	}
}
