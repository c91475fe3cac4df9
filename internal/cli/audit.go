package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/store"
)

func newAuditCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Work with the tamper-evident audit log",
		Example: `  rampart audit verify --data ./rampart-data
  rampart audit verify --database postgres://rampart@db/rampart`,
	}
	cmd.AddCommand(newAuditVerifyCmd(s, nil))
	return cmd
}

// auditVerifyOptions are the parsed options of `rampart audit verify`.
type auditVerifyOptions struct {
	Store storeFlags
	Head  string

	headSeq  int64 // Head parsed by validation (0 without --head)
	headHash string
}

func newAuditVerifyCmd(s *streams, runF func(context.Context, *auditVerifyOptions) error) *cobra.Command {
	opts := &auditVerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify [--head SEQ:HASH]",
		Short: "Check the audit log's hash chain",
		Long: `Check the audit log's hash chain from the first entry to the last. Each
entry's SHA-256 covers its content and the previous entry's hash, and entry
numbers have no gaps, so a row that was altered, inserted or deleted in the
database breaks the chain there.

Exit status: 0 the log is intact, 1 it is broken (the message names the first
broken entry), 2 the database could not be read. The last line printed on
success is the head (entry number and hash): record it elsewhere and pass
it back with --head to also detect a truncated tail or a rewritten chain.`,
		Example: `  rampart audit verify --data ./rampart-data
  rampart audit verify --data ./rampart-data --head 1234:5f0c…`,
		Args: cobra.NoArgs,
		RunE: runE(s, opts, runF, runAuditVerify),
	}
	opts.Store.register(cmd)
	cmd.Flags().StringVar(&opts.Head, "head", "", "a head SEQ:HASH recorded from an earlier verify, to detect truncation")
	return cmd
}

func (o *auditVerifyOptions) validate() error {
	if o.Head != "" {
		seqStr, hash, ok := strings.Cut(o.Head, ":")
		seq, perr := strconv.ParseInt(seqStr, 10, 64)
		if !ok || perr != nil || seq < 1 || len(hash) != 64 {
			return fmt.Errorf("--head %q: want SEQ:HASH as printed by a previous verify", o.Head)
		}
		o.headSeq, o.headHash = seq, hash
	}
	return nil
}

func runAuditVerify(ctx context.Context, s *streams, opts *auditVerifyOptions) error {
	return opts.Store.withExisting(ctx, func(st *store.Store) error {
		n, head, err := st.VerifyAudit(ctx)
		var be *audit.BrokenError
		if errors.As(err, &be) {
			return failure(fmt.Errorf("%w (%d entries before it are intact)", be, n))
		}
		if err != nil {
			return err
		}
		if opts.headSeq > 0 {
			if err := st.CheckAuditHead(ctx, opts.headSeq, opts.headHash); err != nil {
				if errors.As(err, &be) {
					return failure(err)
				}
				return err
			}
		}
		fmt.Fprintf(s.out, "audit log intact: %d entries\nhead %d:%s\n", n, n, head)
		return nil
	})
}
