package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/store"
)

func newProductCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "product",
		Short:   "List products and their releases",
		Example: "  rampart product list --data ./rampart-data",
	}
	cmd.AddCommand(newProductListCmd(s, nil))
	return cmd
}

// productListOptions are the parsed options of `rampart product list`.
type productListOptions struct {
	Store  storeFlags
	Format string
}

func newProductListCmd(s *streams, runF func(context.Context, *productListOptions) error) *cobra.Command {
	opts := &productListOptions{}
	cmd := &cobra.Command{
		Use:   "list [--format table|json]",
		Short: "List products and their releases (names, versions and the release IDs other commands take)",
		Long: `List every product by name with its releases, newest first: the names that
--product and the versions that --release take, and the release ID that
'rampart conformity report --release ID' takes.`,
		Example: "  rampart product list --data ./rampart-data\n  rampart product list --format json",
		Args:    cobra.NoArgs,
		RunE:    runE(s, opts, runF, runProductList),
	}
	opts.Store.register(cmd)
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table or json")
	return cmd
}

func (o *productListOptions) validate() error {
	if err := checkOneOf("format", o.Format, "table", "json"); err != nil {
		return err
	}
	return o.Store.validate()
}

// productReleases is a product with its releases, as `product list
// --format json` prints it.
type productReleases struct {
	inventory.Product
	ReleaseList []inventory.Release `json:"release_list"`
}

func runProductList(ctx context.Context, s *streams, opts *productListOptions) error {
	return opts.Store.withExisting(ctx, func(st *store.Store) error {
		list, err := listProducts(ctx, st)
		if err != nil {
			return err
		}
		if opts.Format == "json" {
			return writeJSON(s.out, list)
		}
		tw := newTable(s.out, "PRODUCT\tRELEASE\tRELEASE ID\tSTATUS\tCOMPONENTS", len(list),
			"no products in "+opts.Store.where()+" yet: import an SBOM with 'rampart sbom import FILE --product NAME --release VERSION'")
		for _, p := range list {
			if len(p.ReleaseList) == 0 {
				fmt.Fprintf(tw, "%s\t-\t-\t-\t-\n", p.Name)
			}
			for _, r := range p.ReleaseList {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\n", p.Name, r.Version, r.ID, r.Status, r.Components)
			}
		}
		return tw.Flush()
	})
}

// listProducts reads every product with every release, page by page.
func listProducts(ctx context.Context, st *store.Store) ([]productReleases, error) {
	list := []productReleases{}
	for after := ""; ; {
		ps, next, err := st.Products(ctx, after, 200)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			pr := productReleases{Product: p, ReleaseList: []inventory.Release{}}
			for rafter := ""; ; {
				rs, rnext, err := st.Releases(ctx, p.ID, rafter, 200)
				if err != nil {
					return nil, err
				}
				pr.ReleaseList = append(pr.ReleaseList, rs...)
				if rnext == "" {
					break
				}
				rafter = rnext
			}
			list = append(list, pr)
		}
		if next == "" {
			return list, nil
		}
		after = next
	}
}
