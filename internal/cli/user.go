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
)

func newUserCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage user accounts",
		Example: `  printf '%s\n' 'plinth ribbon otter granite' | rampart user add --name alice --role editor --password-stdin
  rampart user list`,
	}
	cmd.AddCommand(newUserAddCmd(s), newUserListCmd(s))
	return cmd
}

func newUserAddCmd(s *streams) *cobra.Command {
	var sf storeFlags
	var name, role string
	var pwStdin bool
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := identity.ParseRole(role)
			if err != nil {
				return err
			}
			if !pwStdin {
				return errors.New("--password-stdin is required: pipe the password on standard input")
			}
			line, err := bufio.NewReader(s.in).ReadString('\n')
			if err != nil && line == "" {
				return fmt.Errorf("read password from standard input: %w", err)
			}
			pw := strings.TrimRight(line, "\r\n")
			if err := identity.CheckPassword(pw, name); err != nil {
				return failure(err)
			}
			hash, err := identity.HashPassword(pw)
			if err != nil {
				return err
			}
			st, err := sf.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			u := identity.User{Name: name, Role: r, PasswordHash: hash}
			if err := audit.Change(cmd.Context(), st, func(ctx context.Context) (audit.Event, error) {
				return audit.Event{Action: audit.ActionUserCreate, Actor: "cli", Object: "user " + u.Name, Detail: "role " + string(u.Role)}, st.CreateUser(ctx, &u)
			}); err != nil {
				return err
			}
			fmt.Fprintf(s.out, "created user %s (%s)\n", u.Name, u.Role)
			return nil
		},
	}
	sf.register(cmd)
	cmd.Flags().StringVar(&name, "name", "", "user name (required)")
	cmd.Flags().StringVar(&role, "role", "viewer", "role: admin, editor or viewer")
	cmd.Flags().BoolVar(&pwStdin, "password-stdin", false, "read the password from standard input")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func newUserListCmd(s *streams) *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List user accounts",
		Example: "  rampart user list --data ./rampart-data",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := sf.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			users, err := st.Users(cmd.Context())
			if err != nil {
				return err
			}
			for _, u := range users {
				state := ""
				if u.Disabled {
					state = " (disabled)"
				}
				fmt.Fprintf(s.out, "%-24s %s%s\n", u.Name, u.Role, state)
			}
			return nil
		},
	}
	sf.register(cmd)
	return cmd
}
