// Package cli builds the rampart command tree. Each file holds one command
// group; commands parse flags, call a package and print. No logic lives here.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/fault"
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
	root.SetFlagErrorFunc(usageError)
	root.AddCommand(
		newVersionCmd(s, nil),
		newServeCmd(s, nil),
		newUserCmd(s),
		newProductCmd(s),
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
	checkUsage(root)
	return root
}

// usageError is the error of a command line that does not parse (a flag,
// the arguments, an unknown subcommand): exit 2, with where to read how
// the command is used.
func usageError(c *cobra.Command, err error) error {
	return fmt.Errorf("%w\nRun '%s --help' for usage", err, c.CommandPath())
}

// checkUsage makes every usage error of c and the commands under it a
// usageError: an argument error names the command's --help, and a group
// command (one that only holds subcommands, such as `rampart incident`)
// given an unknown subcommand fails with exit 2 instead of printing its
// help and exiting 0, as cobra does for a group that is not the root (the
// root's unknown commands are cobra's own usage error, exit 2).
func checkUsage(c *cobra.Command) {
	if c.HasParent() && c.HasSubCommands() && c.Run == nil && c.RunE == nil {
		c.Args = cobra.ArbitraryArgs
		c.RunE = runGroup
	}
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usageError(cmd, err)
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		checkUsage(sub)
	}
}

// runGroup is the RunE of a group command: without arguments it prints its
// help; an argument is an unknown subcommand.
func runGroup(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return c.Help()
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2 // cobra's own default
	}
	if near := c.SuggestionsFor(args[0]); len(near) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", near[0])
	}
	return usageError(c, errors.New(msg))
}

// Execute runs the CLI and returns the process exit code.
func Execute(ctx context.Context, args []string, in io.Reader, out, errw io.Writer) int {
	s := &streams{in: in, out: out, err: errw}
	root := NewRoot(s)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(errw, "rampart:", err)
	if hint := notFoundHint(cmd, err); hint != "" {
		fmt.Fprintln(errw, "rampart:", hint)
	}
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

// listHints name, for the command groups whose objects a "not found"
// error is about, the command that lists them; "" for a group whose
// messages say themselves what to do (a product's update repository:
// "create it with 'rampart updates init …'").
var listHints = map[string]string{
	"incident": "list incidents with 'rampart incident list'",
	"user":     "list users with 'rampart user list'",
	"token":    "list users with 'rampart user list'",
	"updates":  "",
}

// productsHint is the hint of any other command that names a product or
// release (--product, --release).
const productsHint = "list products and their releases with 'rampart product list'"

// notFoundHint is the next step printed under a not-found error
// (fault.ErrNotFound) of cmd: the listing command of the objects its group
// works on, or "" when err is of another kind or cmd names no such
// objects. It is chosen by the command, not by the error's message, which
// the API shares and which stays as it is.
func notFoundHint(cmd *cobra.Command, err error) string {
	if cmd == nil || !errors.Is(err, fault.ErrNotFound) {
		return ""
	}
	group := cmd
	for group.HasParent() && group.Parent().HasParent() {
		group = group.Parent()
	}
	if hint, ok := listHints[group.Name()]; ok {
		return hint
	}
	if cmd.Flags().Lookup("product") != nil || cmd.Flags().Lookup("release") != nil {
		return productsHint
	}
	return ""
}
