package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/store"
)

func newUserCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage user accounts",
		Example: `  printf '%s\n' 'plinth ribbon otter granite' | rampart user add --name alice --role editor --password-stdin
  rampart user list`,
	}
	cmd.AddCommand(newUserAddCmd(s, nil), newUserListCmd(s, nil))
	return cmd
}

// userAddOptions are the parsed options of `rampart user add`.
type userAddOptions struct {
	Store         storeFlags
	Name          string
	Role          string
	PasswordStdin bool

	role identity.Role // Role parsed by validation
}

func newUserAddCmd(s *streams, runF func(context.Context, *userAddOptions) error) *cobra.Command {
	opts := &userAddOptions{}
	cmd := &cobra.Command{
		Use:   "add --name NAME --role admin|editor|viewer --password-stdin",
		Short: "Create a user; the password is read from standard input",
		Long: `Create a user account. The password is read from standard input (never
from a flag, which would leak into shell history and process lists). It must
have at least 15 characters and must not be on the embedded list of common
and breached passwords or be built from the user name; there are no
composition rules. A refused password exits with status 1 and the reason.`,
		Example: `  printf '%s\n' 'plinth ribbon otter granite' | rampart user add --name alice --role editor --password-stdin --data ./rampart-data`,
		Args:    cobra.NoArgs,
		RunE:    runE(s, opts, runF, runUserAdd),
	}
	opts.Store.register(cmd)
	cmd.Flags().StringVar(&opts.Name, "name", "", "user name (required)")
	cmd.Flags().StringVar(&opts.Role, "role", "viewer", "role: admin, editor or viewer")
	cmd.Flags().BoolVar(&opts.PasswordStdin, "password-stdin", false, "read the password from standard input")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func (o *userAddOptions) validate() error {
	r, err := identity.ParseRole(o.Role)
	if err != nil {
		return err
	}
	o.role = r
	if !o.PasswordStdin {
		return errors.New("--password-stdin is required: pipe the password on standard input")
	}
	return nil
}

func runUserAdd(ctx context.Context, s *streams, opts *userAddOptions) error {
	line, err := bufio.NewReader(s.in).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("read password from standard input: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if err := identity.CheckPassword(pw, opts.Name); err != nil {
		return failure(err)
	}
	hash, err := identity.HashPassword(pw)
	if err != nil {
		return err
	}
	return opts.Store.with(ctx, func(st *store.Store) error {
		u := identity.User{Name: opts.Name, Role: opts.role, PasswordHash: hash}
		if err := audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
			return audit.Event{Action: audit.ActionUserCreate, Actor: "cli", Object: "user " + u.Name, Detail: "role " + string(u.Role)}, st.CreateUser(ctx, &u)
		}); err != nil {
			return err
		}
		fmt.Fprintf(s.out, "created user %s (%s)\n", u.Name, u.Role)
		return nil
	})
}

// userListOptions are the parsed options of `rampart user list`.
type userListOptions struct {
	Store storeFlags
}

func newUserListCmd(s *streams, runF func(context.Context, *userListOptions) error) *cobra.Command {
	opts := &userListOptions{}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List user accounts",
		Example: "  rampart user list --data ./rampart-data",
		Args:    cobra.NoArgs,
		RunE:    runE(s, opts, runF, runUserList),
	}
	opts.Store.register(cmd)
	return cmd
}

func runUserList(ctx context.Context, s *streams, opts *userListOptions) error {
	return opts.Store.withExisting(ctx, func(st *store.Store) error {
		users, err := st.Users(ctx)
		if err != nil {
			return err
		}
		if len(users) == 0 {
			// On stderr: stdout stays the (empty) list for scripts. Naming
			// the data folder shows a mistyped --data, which opens a new,
			// empty database.
			fmt.Fprintf(s.err, "no users in %s yet: add one with 'rampart user add --name NAME --role admin --password-stdin', or open the setup link 'rampart serve' prints on its first start\n", opts.Store.where())
		}
		for _, u := range users {
			state := ""
			if u.Disabled {
				state = " (disabled)"
			}
			fmt.Fprintf(s.out, "%-24s %s%s\n", u.Name, u.Role, state)
		}
		return nil
	})
}
