package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/store"

	"github.com/spf13/cobra"
)

func newTokenCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "token",
		Short:   "Manage API tokens",
		Example: "  rampart token create --user alice --name ci --expires 720h",
	}
	cmd.AddCommand(newTokenCreateCmd(s, nil))
	return cmd
}

// tokenCreateOptions are the parsed options of `rampart token create`.
type tokenCreateOptions struct {
	Store   storeFlags
	User    string
	Name    string
	Expires time.Duration
	Scopes  string
	Product int64

	scopes []identity.Scope // Scopes parsed by validation
}

func newTokenCreateCmd(s *streams, runF func(context.Context, *tokenCreateOptions) error) *cobra.Command {
	opts := &tokenCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create --user NAME --name LABEL [--expires 720h]",
		Short: "Create an API token and print it (only the token, on stdout)",
		Long: `Create an API token for a user. Only the token is printed on standard output,
so it can be captured by scripts; it is stored hashed and cannot be shown again.
Use it as 'Authorization: Bearer TOKEN'.`,
		Example: `  TOKEN=$(rampart token create --user alice --name ci --expires 720h --data ./rampart-data)
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/v1/products`,
		Args: cobra.NoArgs,
		RunE: runE(s, opts, runF, runTokenCreate),
	}
	opts.Store.register(cmd)
	cmd.Flags().StringVar(&opts.User, "user", "", "user the token acts as (required)")
	cmd.Flags().StringVar(&opts.Name, "name", "", "label of the token (required)")
	cmd.Flags().DurationVar(&opts.Expires, "expires", 90*24*time.Hour, "lifetime, at most 8760h (one year)")
	cmd.Flags().StringVar(&opts.Scopes, "scopes", "", "space- or comma-separated scopes, e.g. 'sbom:write products:read' (empty: all the user's rights)")
	cmd.Flags().Int64Var(&opts.Product, "product", 0, "restrict the token to one product id (0: any)")
	_ = cmd.MarkFlagRequired("user")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func (o *tokenCreateOptions) validate() error {
	if o.Expires <= 0 || o.Expires > identity.DefaultMaxTokenLifetime {
		return fmt.Errorf("--expires %s: must be positive and at most %s (every token expires)", o.Expires, identity.DefaultMaxTokenLifetime)
	}
	sc, err := identity.ParseScopes(o.Scopes)
	if err != nil {
		return fmt.Errorf("--scopes: %w", err)
	}
	o.scopes = sc
	return nil
}

func runTokenCreate(ctx context.Context, s *streams, opts *tokenCreateOptions) error {
	return opts.Store.with(ctx, func(st *store.Store) error {
		u, err := st.UserByName(ctx, opts.User)
		if err != nil {
			return fmt.Errorf("%w; create the user first with 'rampart user add'", err)
		}
		var plain string
		if err := audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
			var tok identity.APIToken
			var err error
			plain, tok, err = st.CreateScopedToken(ctx, u.ID, opts.Name, opts.Expires, opts.scopes, opts.Product)
			return audit.Event{Action: audit.ActionTokenCreate, Actor: "cli", ProductID: opts.Product,
				Object: fmt.Sprintf("token %d %s (%s…) of user %s", tok.ID, tok.Name, tok.Prefix, u.Name), Detail: "scopes " + identity.JoinScopes(opts.scopes)}, err
		}); err != nil {
			return err
		}
		_, err = fmt.Fprintln(s.out, plain)
		return err
	})
}
