package firmware

import (
	"reflect"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/firmware/issue"
)

// Removed issues come from a map: issues alike in kind, severity and path
// (three accounts with empty passwords in /etc/shadow) must still come out
// in one order, run after run.
func TestDiffOrderIsTotal(t *testing.T) {
	old := &Result{Image: "old.bin"}
	for _, acct := range []string{"root", "admin", "guest", "ftp", "support", "user"} {
		old.Issues = append(old.Issues, Issue{Kind: issue.EmptyPassword, Severity: findings.High, Path: "/etc/shadow", Account: acct, Detail: "account " + acct + " has no password"})
	}
	cur := &Result{Image: "new.bin"}
	first := Diff(old, cur)
	if len(first.Changes) != len(old.Issues) {
		t.Fatalf("%d changes, want %d removed issues: %+v", len(first.Changes), len(old.Issues), first.Changes)
	}
	for i := 1; i < len(first.Changes); i++ {
		if first.Changes[i-1].Detail > first.Changes[i].Detail {
			t.Errorf("changes not in order of detail: %q before %q", first.Changes[i-1].Detail, first.Changes[i].Detail)
		}
	}
	for i := 0; i < 20; i++ {
		if d := Diff(old, cur); !reflect.DeepEqual(d, first) {
			t.Fatalf("run %d: %+v, first %+v", i, d.Changes, first.Changes)
		}
	}
}
