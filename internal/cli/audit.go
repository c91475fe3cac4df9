package cli

import (
	"errors"
	"fmt"

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
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit log's hash chain",
		Long: `Check the audit log's hash chain from the first entry to the last. Each
entry's SHA-256 covers its content and the previous entry's hash, and entry
numbers have no gaps, so a row that was altered, inserted or deleted in the
database breaks the chain there.

Exit status: 0 the log is intact, 1 it is broken (the message names the first
broken entry), 2 the database could not be read. The last line printed on
success is the head hash: record it elsewhere to detect later truncation.`,
		Example: `  rampart audit verify --data ./rampart-data`,
		Args:    cobra.NoArgs,
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
			fmt.Fprintf(s.out, "audit log intact: %d entries\nhead %s\n", n, head)
			return nil
		},
	}
	sf.register(cmd)
	return cmd
}
