package cli

import (
	"strings"
	"testing"
)

// Defect 11: --demo on a real database added an administrator with a
// printed password.
func TestDemoRefusesDatabaseWithData(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run(t, "a long enough passphrase here\n", "user", "add", "--data", dir, "--name", "olga", "--role", "admin", "--password-stdin"); code != 0 {
		t.Fatalf("user add: %d %s", code, errs)
	}
	code, out, errs := run(t, "", "serve", "--demo", "--vulndb-offline", "--data", dir, "--listen", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errs, "already holds data") || strings.Contains(out, "Demo credentials") {
		t.Errorf("serve --demo on a database with users: %d %q %q", code, out, errs)
	}
}

func TestTokenLifetimeBounded(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run(t, "a long enough passphrase here\n", "user", "add", "--data", dir, "--name", "olga", "--role", "admin", "--password-stdin"); code != 0 {
		t.Fatalf("user add: %d %s", code, errs)
	}
	for _, exp := range []string{"0", "87600h"} {
		if code, _, errs := run(t, "", "token", "create", "--data", dir, "--user", "olga", "--name", "x", "--expires", exp); code == 0 {
			t.Errorf("--expires %s accepted: %s", exp, errs)
		}
	}
}
