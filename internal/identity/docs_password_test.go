package identity

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocumentedPasswordsPassThePolicy: every password the docs show as
// an example (piped into --password-stdin, or a "password" JSON member)
// passes the policy, so a reader who copies one is not refused.
func TestDocumentedPasswordsPassThePolicy(t *testing.T) {
	files, _ := filepath.Glob("../../docs/*.md")
	files = append(files, "../../README.md")
	piped := regexp.MustCompile(`(?:printf '%s\\n'|printf "%s\\n"|echo(?: -n)?) '([^']+)'[^|\n]*\|[^\n]*--password-stdin`)
	nameIn := regexp.MustCompile(`--name[ =](\S+)`)
	member := regexp.MustCompile(`"(?:password|new_password)"\s*:\s*"([^"]+)"`)
	found := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			var pw, user string
			if m := piped.FindStringSubmatch(line); m != nil {
				pw = m[1]
				if n := nameIn.FindStringSubmatch(line); n != nil {
					user = n[1]
				}
			} else if m := member.FindStringSubmatch(line); m != nil {
				pw = m[1]
			} else {
				continue
			}
			found++
			if err := CheckPassword(pw, user); err != nil {
				t.Errorf("%s: example password %q (user %q): %v", filepath.Base(f), pw, user, err)
			}
		}
	}
	if found == 0 {
		t.Fatal("no example password found in the docs: the extraction is broken")
	}
}
