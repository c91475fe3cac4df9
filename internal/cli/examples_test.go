package cli

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// exampleCommands returns the rampart command lines of an Example text:
// continuation lines ("\" at the end) are joined, each line is split
// into words as a POSIX shell would (single and double quotes; variables
// are left as written) and cut at the shell operators (|, >, <, ;, &,
// "$(" and ")"); a segment whose first word is "rampart" is a command.
func exampleCommands(example string) [][]string {
	var cmds [][]string
	for _, line := range strings.Split(strings.ReplaceAll(example, "\\\n", " "), "\n") {
		var segment []string
		var word strings.Builder
		inWord := false
		var quote rune
		endWord := func() {
			if inWord {
				segment = append(segment, word.String())
			}
			word.Reset()
			inWord = false
		}
		endSegment := func() {
			endWord()
			if len(segment) > 0 && segment[0] == "rampart" {
				cmds = append(cmds, segment[1:])
			}
			segment = nil
		}
		for _, r := range line {
			switch {
			case quote != 0 && r == quote:
				quote = 0
			case quote != 0:
				word.WriteRune(r)
			case r == '\'' || r == '"':
				quote, inWord = r, true
			case r == ' ' || r == '\t':
				endWord()
			case r == '(' && strings.HasSuffix(word.String(), "$"):
				word.Reset() // "$(" (after an assignment): a command follows
				inWord = false
				endSegment()
			case strings.ContainsRune("|><;&)", r):
				endSegment()
			default:
				word.WriteRune(r)
				inWord = true
			}
		}
		endSegment()
	}
	return cmds
}

func TestExampleCommands(t *testing.T) {
	got := exampleCommands(`  TOKEN=$(rampart token create --user alice --data ./d)
  printf '%s\n' 'a b' | rampart user add --name "Al Ice" --password-stdin
  rampart scan parse huge.nessus --format ndjson | jq -c 'select(.severity=="critical")'
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/v1/products
  rampart vulndb update --osv-base https://m/osv \
      --epss-url "" > out.txt`)
	want := [][]string{
		{"token", "create", "--user", "alice", "--data", "./d"},
		{"user", "add", "--name", "Al Ice", "--password-stdin"},
		{"scan", "parse", "huge.nessus", "--format", "ndjson"},
		{"vulndb", "update", "--osv-base", "https://m/osv", "--epss-url", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d commands %q, want %d", len(got), got, len(want))
	}
	for i := range want {
		if strings.Join(got[i], "\x00") != strings.Join(want[i], "\x00") {
			t.Errorf("command %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

// TestEveryExampleParses: every "rampart …" line of every command's
// --help examples names a command, and its flags and arguments parse
// against that command as the run would see them: no unknown flag, no
// flag given a value it cannot hold, the right number of arguments,
// required flags present and no two flags of an exclusive group. A
// renamed flag or a changed argument count fails here, not in a new
// user's first hour.
func TestEveryExampleParses(t *testing.T) {
	newRoot := func() *cobra.Command {
		return NewRoot(&streams{in: strings.NewReader(""), out: io.Discard, err: io.Discard})
	}
	n := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, words := range exampleCommands(c.Example) {
			n++
			line := "rampart " + strings.Join(words, " ")
			// A fresh tree for each line: flags keep their values once parsed.
			cmd, rest, err := newRoot().Find(words)
			if err != nil {
				t.Errorf("%s example %q: %v", c.CommandPath(), line, err)
				continue
			}
			if !cmd.Runnable() {
				t.Errorf("%s example %q: %s is not a command that runs", c.CommandPath(), line, cmd.CommandPath())
				continue
			}
			if err := cmd.ParseFlags(rest); err != nil {
				t.Errorf("%s example %q: %v", c.CommandPath(), line, err)
				continue
			}
			if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
				t.Errorf("%s example %q: %v", c.CommandPath(), line, err)
			}
			if err := cmd.ValidateRequiredFlags(); err != nil {
				t.Errorf("%s example %q: %v", c.CommandPath(), line, err)
			}
			if err := cmd.ValidateFlagGroups(); err != nil {
				t.Errorf("%s example %q: %v", c.CommandPath(), line, err)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot())
	if n < 50 {
		t.Errorf("only %d example lines found", n)
	}
}
