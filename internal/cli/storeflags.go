package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/store"
)

// storeFlags are the --data and --database flags every stateful command takes.
type storeFlags struct {
	data     string
	database string
}

func (f *storeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.data, "data", "rampart-data", "data directory for the embedded SQLite database")
	cmd.Flags().StringVar(&f.database, "database", "", "PostgreSQL URL (postgres://…); overrides --data")
}

func (f *storeFlags) open(ctx context.Context) (*store.Store, error) {
	return store.Open(ctx, store.Config{DataDir: f.data, DatabaseURL: f.database})
}
