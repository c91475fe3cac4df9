package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/store"
)

// storeFlags are the --data and --database flags every stateful command takes.
type storeFlags struct {
	data     string
	database string
}

func (f *storeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.data, "data", "rampart-data", "data directory: the embedded SQLite database and the update signing key (updates-signing.key)")
	cmd.Flags().StringVar(&f.database, "database", "", "PostgreSQL URL (postgres://…), used instead of the SQLite database in --data (which still holds updates-signing.key)")
}

func (f *storeFlags) config() store.Config {
	return store.Config{DataDir: f.data, DatabaseURL: f.database}
}

// where names the store for a message: the --data folder, or "the
// PostgreSQL database" (the URL may hold a password).
func (f *storeFlags) where() string {
	if f.database != "" {
		return "the PostgreSQL database"
	}
	return f.data
}

// validate checks the flags without opening anything.
func (f *storeFlags) validate() error {
	if f.database == "" && f.data == "" {
		return errors.New("--data: give a data directory (or --database)")
	}
	return f.config().Validate()
}

func (f *storeFlags) open(ctx context.Context) (*store.Store, error) {
	return store.Open(ctx, f.config())
}

// with opens the store, runs fn on it and closes it.
func (f *storeFlags) with(ctx context.Context, fn func(*store.Store) error) error {
	st, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

// withExisting is with for a command that only reads: an SQLite --data
// folder that holds no database is an error, not a new empty database (a
// mistyped --data made 'audit verify' report an intact log of 0 entries
// and 'user list' print nothing).
func (f *storeFlags) withExisting(ctx context.Context, fn func(*store.Store) error) error {
	if f.database == "" {
		if _, err := os.Stat(filepath.Join(f.data, store.DatabaseFile)); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("--data %s: no Rampart database there (no %s): give the --data folder your server uses ('rampart serve --data %s' creates one)", f.data, store.DatabaseFile, f.data)
		}
	}
	return f.with(ctx, fn)
}

// checkOneOf is the validation of an enumerated flag such as --format.
func checkOneOf(flag, value string, allowed ...string) error {
	if slices.Contains(allowed, value) {
		return nil
	}
	return fmt.Errorf("--%s must be one of %s, got %q", flag, strings.Join(allowed, ", "), value)
}

// checkHTTPURL is the validation of a flag holding an absolute http(s) URL.
func checkHTTPURL(flag, value string) error {
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("--%s %q: must be an http(s) URL", flag, value)
	}
	return nil
}

// loadTimeZone is the validation of --timezone: the IANA time zone it names.
func loadTimeZone(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("--timezone %q: %w", name, err)
	}
	return loc, nil
}

// exactArgs is the Args of a command taking len(dst) positional arguments:
// it checks their number and stores them in dst, in order.
func exactArgs(dst ...*string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(len(dst))(cmd, args); err != nil {
			return err
		}
		for i, a := range args {
			*dst[i] = a
		}
		return nil
	}
}

// minArgs is the Args of a command taking one or more positional
// arguments: it stores them in dst.
func minArgs(dst *[]string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.MinimumNArgs(1)(cmd, args); err != nil {
			return err
		}
		*dst = args
		return nil
	}
}
