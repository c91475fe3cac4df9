package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/audit"
)

func newAuditCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Work with the tamper-evident audit log",
		Example: `  rampart audit verify --data ./rampart-data
  rampart audit verify --database postgres://rampart@db/rampart`,
	}
	cmd.AddCommand(newAuditVerifyCmd(s))
	return cmd
}

func newAuditVerifyCmd(s *streams) *cobra.Command {
	var sf storeFlags
	var headFlag string
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := sf.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			n, head, err := st.VerifyAudit(cmd.Context())
			var be *audit.BrokenError
			if errors.As(err, &be) {
				return failure(fmt.Errorf("%w (%d entries before it are intact)", be, n))
			}
			if err != nil {
				return err
			}
			if headFlag != "" {
				seqStr, hash, ok := strings.Cut(headFlag, ":")
				seq, perr := strconv.ParseInt(seqStr, 10, 64)
				if !ok || perr != nil || seq < 1 || len(hash) != 64 {
					return fmt.Errorf("--head %q: want SEQ:HASH as printed by a previous verify", headFlag)
				}
				if err := st.CheckAuditHead(cmd.Context(), seq, hash); err != nil {
					if errors.As(err, &be) {
						return failure(err)
					}
					return err
				}
			}
			fmt.Fprintf(s.out, "audit log intact: %d entries\nhead %d:%s\n", n, n, head)
			return nil
		},
	}
	sf.register(cmd)
	cmd.Flags().StringVar(&headFlag, "head", "", "a head SEQ:HASH recorded from an earlier verify, to detect truncation")
	return cmd
}
