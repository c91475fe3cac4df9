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

// validator is implemented by the options of commands that check their
// flags and arguments: validate runs before anything is opened, and may
// fill the fields it derives (a parsed time zone, a loaded key pair).
type validator interface {
	validate() error
}

// runE is the RunE of every command: it validates the parsed options (when
// they implement validator), then calls runF when the caller gave one
// (tests capture the options that way, without opening anything), else
// the command's own run with the process streams. See docs/development.md,
// "Adding a CLI command".
func runE[O any](s *streams, opts *O, runF func(context.Context, *O) error, run func(context.Context, *streams, *O) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if v, ok := any(opts).(validator); ok {
			if err := v.validate(); err != nil {
				return err
			}
		}
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return run(cmd.Context(), s, opts)
	}
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
		newVersionCmd(s, nil),
		newServeCmd(s, nil),
		newUserCmd(s),
		newTokenCmd(s),
		newSBOMCmd(s),
		newAuditCmd(s),
		newScanCmd(s),
		newThreatmodelCmd(s),
		newVulnDBCmd(s),
		newMatchCmd(s, nil),
		newUpdatesCmd(s, nil),
		newIncidentCmd(s),
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

// versionOptions are the parsed options of `rampart version` (it has none).
type versionOptions struct{}

func newVersionCmd(s *streams, runF func(context.Context, *versionOptions) error) *cobra.Command {
	opts := &versionOptions{}
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the rampart version",
		Example: "  rampart version",
		Args:    cobra.NoArgs,
		RunE:    runE(s, opts, runF, runVersion),
	}
}

func runVersion(_ context.Context, s *streams, _ *versionOptions) error {
	_, err := fmt.Fprintf(s.out, "rampart %s\n", Version)
	return err
}
