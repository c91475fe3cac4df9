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
	cmd.AddCommand(newTokenCreateCmd(s))
	return cmd
}

func newTokenCreateCmd(s *streams) *cobra.Command {
	var sf storeFlags
	var user, name, scopes string
	var product int64
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "create --user NAME --name LABEL [--expires 720h]",
		Short: "Create an API token and print it (only the token, on stdout)",
		Long: `Create an API token for a user. Only the token is printed on standard output,
so it can be captured by scripts; it is stored hashed and cannot be shown again.
Use it as 'Authorization: Bearer TOKEN'.`,
		Example: `  TOKEN=$(rampart token create --user alice --name ci --expires 720h --data ./rampart-data)
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/v1/products`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if expires <= 0 || expires > identity.DefaultMaxTokenLifetime {
				return fmt.Errorf("--expires %s: must be positive and at most %s (every token expires)", expires, identity.DefaultMaxTokenLifetime)
			}
			st, err := sf.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := st.UserByName(cmd.Context(), user)
			if err != nil {
				return fmt.Errorf("%w; create the user first with 'rampart user add'", err)
			}
			sc, err := identity.ParseScopes(scopes)
			if err != nil {
				return fmt.Errorf("--scopes: %w", err)
			}
			var plain string
			if err := audit.Change(cmd.Context(), st, func(ctx context.Context) (audit.Event, error) {
				var tok store.APIToken
				var err error
				plain, tok, err = st.CreateScopedToken(ctx, u.ID, name, expires, sc, product)
				return audit.Event{Action: audit.ActionTokenCreate, Actor: "cli", ProductID: product,
					Object: fmt.Sprintf("token %d %s (%s…) of user %s", tok.ID, tok.Name, tok.Prefix, u.Name), Detail: "scopes " + identity.JoinScopes(sc)}, err
			}); err != nil {
				return err
			}
			_, err = fmt.Fprintln(s.out, plain)
			return err
		},
	}
	sf.register(cmd)
	cmd.Flags().StringVar(&user, "user", "", "user the token acts as (required)")
	cmd.Flags().StringVar(&name, "name", "", "label of the token (required)")
	cmd.Flags().DurationVar(&expires, "expires", 90*24*time.Hour, "lifetime, at most 8760h (one year)")
	cmd.Flags().StringVar(&scopes, "scopes", "", "space- or comma-separated scopes, e.g. 'sbom:write products:read' (empty: all the user's rights)")
	cmd.Flags().Int64Var(&product, "product", 0, "restrict the token to one product id (0: any)")
	_ = cmd.MarkFlagRequired("user")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}
