// Package importtest holds the checks the tests of the threat-model
// importers (otm, pytm, threagile, threatdragon, imports) share.
package importtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rampart-security/rampart/internal/threatmodel"
)

// Testdata returns the content of the importer's fixture testdata/name and
// fails the test when it cannot be read.
func Testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Reparse fails the test unless the imported model m marshals and the
// result parses again as a Rampart threat model: what an importer accepts,
// the store must be able to keep and read back.
func Reparse(t testing.TB, m *threatmodel.Model) {
	t.Helper()
	out, err := threatmodel.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := threatmodel.Parse(out, "re.yaml"); err != nil {
		t.Fatalf("re-parse of imported model: %v", err)
	}
}

// SameThreats compares two checks of a model (before and after a round
// trip): the same threat ids with the same status, severity and
// explanation. It returns "" when they agree, else what differs.
func SameThreats(a, b *threatmodel.Result) string {
	key := func(t threatmodel.Threat) string { return t.Status + "|" + t.Severity + "|" + t.Why }
	am := map[string]string{}
	for _, t := range a.Threats {
		am[t.ID] = key(t)
	}
	if len(a.Threats) != len(b.Threats) {
		return fmt.Sprintf("%d threats before, %d after", len(a.Threats), len(b.Threats))
	}
	for _, t := range b.Threats {
		k, ok := am[t.ID]
		if !ok {
			return "new threat " + t.ID
		}
		if k != key(t) {
			return fmt.Sprintf("%s changed: %q → %q", t.ID, k, key(t))
		}
	}
	return ""
}
