package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestMain lets tests run the CLI as a separate process: when
// RAMPART_TEST_MAIN is set, the test binary behaves as `rampart`.
func TestMain(m *testing.M) {
	if os.Getenv("RAMPART_TEST_MAIN") == "1" {
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		os.Exit(Execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	_, before := os.Stat("rampart-data")
	code := m.Run()
	// A command run without --data writes the default ./rampart-data (with
	// --database too: the update signing key lives there) into the source
	// tree, where it gets committed; every test passes its own folder.
	if _, err := os.Stat("rampart-data"); err == nil && before != nil && code == 0 {
		fmt.Fprintln(os.Stderr, "a test wrote ./rampart-data in the package folder: give the command --data t.TempDir()")
		code = 1
	}
	os.Exit(code)
}

// run executes the CLI in-process with the given standard input.
func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCtx(context.Background(), stdin, args...)
}

// runCtx is run under ctx.
func runCtx(ctx context.Context, stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Execute(ctx, args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// cliCase is one command line run through Execute and what it must give.
type cliCase struct {
	name     string // the subtest's name (default: the arguments)
	args     []string
	stdin    string
	code     int
	outHas   []string       // parts of stdout
	errHas   []string       // parts of stderr
	outLacks []string       // strings stdout must not hold
	noOut    bool           // stdout must be empty
	jsonWant map[string]any // top-level values of stdout, a JSON object
}

// testCLI runs each case as a subtest.
func testCLI(t *testing.T, cases []cliCase) {
	t.Helper()
	for _, tc := range cases {
		name := tc.name
		if name == "" {
			name = strings.Join(tc.args, " ")
		}
		t.Run(name, func(t *testing.T) {
			code, out, errOut := run(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			for _, s := range tc.outHas {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.outLacks {
				if strings.Contains(out, s) {
					t.Errorf("stdout holds %q:\n%s", s, out)
				}
			}
			for _, s := range tc.errHas {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			if tc.noOut && out != "" {
				t.Errorf("stdout is not empty:\n%s", out)
			}
			if tc.jsonWant != nil {
				var got map[string]any
				if err := json.Unmarshal([]byte(out), &got); err != nil {
					t.Fatalf("stdout is not JSON: %v\n%s", err, out)
				}
				for k, v := range tc.jsonWant {
					if got[k] != v {
						t.Errorf("%s = %v, want %v", k, got[k], v)
					}
				}
			}
		})
	}
}

// dataDir returns a fresh data directory and its opened store, for a test
// to seed; close the store before running commands on the directory.
func dataDir(t *testing.T) (string, *store.Store) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return dir, st
}

// TestEveryCommandHasHelpAndExample walks the whole command tree: every
// command has a short description and an example, which its --help shows.
func TestEveryCommandHasHelpAndExample(t *testing.T) {
	root := NewRoot(&streams{in: strings.NewReader(""), out: io.Discard, err: io.Discard})
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		n++
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%q has no example in --help", c.CommandPath())
		}
		if c.Short == "" {
			t.Errorf("%q has no short description", c.CommandPath())
		}
		args := append(strings.Fields(c.CommandPath())[1:], "--help")
		if code, out, _ := run(t, "", args...); code != 0 || !strings.Contains(out, "Examples:") {
			t.Errorf("%s --help: exit %d, no examples", c.CommandPath(), code)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if n < 8 {
		t.Errorf("only %d commands found", n)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	testCLI(t, []cliCase{
		{name: "unknown command", args: []string{"no-such-command"}, code: ExitError, errHas: []string{"unknown command"}},
		{name: "unknown flag", args: []string{"serve", "--no-such-flag"}, code: ExitError, errHas: []string{"--help"}},
	})
	if code, out, _ := run(t, "", "version"); code != 0 || !strings.HasPrefix(out, "rampart ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestUserTokenAndImport(t *testing.T) {
	dir := t.TempDir()
	const pw = "plinth ribbon otter granite\n"
	userAdd := func(role string) []string {
		return []string{"user", "add", "--data", dir, "--name", "alice", "--role", role, "--password-stdin"}
	}
	testCLI(t, []cliCase{
		{name: "short password", stdin: "short\n", args: userAdd("admin"), code: ExitFailure, errHas: []string{"at least 15"}},
		{name: "name-based password", stdin: "alicealicealice!\n", args: userAdd("admin"), code: ExitFailure, errHas: []string{"alice"}},
		{name: "bad role", stdin: pw, args: userAdd("root"), code: ExitError},
		{name: "user add", stdin: pw, args: userAdd("admin")},
	})
	code, out, errs := run(t, "", "token", "create", "--data", dir, "--user", "alice", "--name", "ci", "--expires", "720h")
	if code != 0 || !regexp.MustCompile(`^rmp_[A-Za-z0-9_-]{43}\n$`).MatchString(out) {
		t.Fatalf("token create printed %q (exit %d, %q); want only the token", out, code, errs)
	}

	bom := filepath.Join(dir, "fw.cdx.json")
	os.WriteFile(bom, []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[
		{"type":"application","name":"busybox","version":"1.36.1","bom-ref":"bb","cpe":"cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"},
		{"type":"library","name":"zlib","version":"1.3.1","purl":"pkg:generic/zlib@1.3.1","bom-ref":"z"}],
		"dependencies":[{"ref":"bb","dependsOn":["z"]}]}`), 0o644)
	bad := filepath.Join(dir, "bad.cdx.json")
	os.WriteFile(bad, []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"gadget","name":"x"}]}`), 0o644)
	testCLI(t, []cliCase{
		{name: "token for unknown user", args: []string{"token", "create", "--data", dir, "--user", "nobody", "--name", "ci"}, code: ExitError},
		{name: "sbom import", args: []string{"sbom", "import", bom, "--product", "Gateway", "--release", "2.4.1", "--data", dir}, outHas: []string{"imported 2 components"}},
		{name: "invalid SBOM import", args: []string{"sbom", "import", bad, "--product", "Gateway", "--release", "2.4.1", "--data", dir}, code: ExitFailure,
			errHas: []string{"bad.cdx.json", "/components/0/type"}},
		// SPDX 3.0.1 JSON-LD, as Yocto's create-spdx-3.0 writes an image (internal/sbom/testdata/README-spdx3.md).
		{name: "sbom import spdx 3", args: []string{"sbom", "import", sbomTestdata + "yocto-core-image-minimal.rootfs.spdx.json", "--product", "Gateway", "--release", "5.1", "--data", dir, "--no-rematch"},
			outHas: []string{"imported 9 components", "(spdx 3.0.1)"}},
		{name: "yocto bundle import", args: []string{"sbom", "import", sbomTestdata + "yocto/missing-base-files.spdx.tar.gz", "--product", "Gateway", "--release", "2.5", "--data", dir, "--no-rematch"},
			outHas: []string{"imported 3 components", "(spdx 2.2)"}, errHas: []string{"warning: ", "missing-base-files.spdx.tar.gz: ", "DocumentRef-base-files"}},
	})
}

// TestTwoServersOnOnePostgres starts two `rampart serve` processes on one
// PostgreSQL database at once: both migrate safely (advisory lock), both
// serve, and data written through one is read through the other.
func TestTwoServersOnOnePostgres(t *testing.T) {
	base := os.Getenv("RAMPART_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("RAMPART_TEST_POSTGRES not set under CI")
		}
		t.Skip("RAMPART_TEST_POSTGRES not set")
	}
	dbURL := storetest.FreshSchema(t, base)
	data := t.TempDir() // shared by both servers: the update signing key
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	type proc struct {
		cmd *exec.Cmd
		url string
	}
	// start runs one server and returns its URL; it must not call t.Fatal
	// (it runs in its own goroutine).
	start := func() (proc, error) {
		cmd := exec.Command(exe, "serve", "--database", dbURL, "--data", data, "--listen", "127.0.0.1:0", "--vulndb-offline")
		cmd.Env = append(os.Environ(), "RAMPART_TEST_MAIN=1")
		stdout, _ := cmd.StdoutPipe()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			return proc{}, err
		}
		t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
		urls := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if u, ok := strings.CutPrefix(sc.Text(), "Rampart listening on "); ok {
					urls <- u
				}
			}
			close(urls)
		}()
		select {
		case u, ok := <-urls:
			if !ok {
				return proc{}, fmt.Errorf("server exited before listening: %s", stderr.String())
			}
			return proc{cmd, u}, nil
		case <-time.After(60 * time.Second):
			return proc{}, fmt.Errorf("server did not start in 60 s: %s", stderr.String())
		}
	}
	// Start both at the same time so that they race on the migrations.
	type started struct {
		p   proc
		err error
	}
	procs := make(chan started, 2)
	for range 2 {
		go func() { p, err := start(); procs <- started{p, err} }()
	}
	var ps []proc
	for range 2 {
		s := <-procs
		if s.err != nil {
			t.Fatal(s.err)
		}
		ps = append(ps, s.p)
	}
	a, b := ps[0], ps[1]

	// A user and a token, created with the CLI against the same database.
	var out bytes.Buffer
	if code := Execute(context.Background(), []string{"user", "add", "--database", dbURL, "--name", "ops", "--role", "editor", "--password-stdin"},
		strings.NewReader("plinth ribbon otter granite\n"), &out, &out); code != 0 {
		t.Fatalf("user add: %s", out.String())
	}
	out.Reset()
	if code := Execute(context.Background(), []string{"token", "create", "--database", dbURL, "--user", "ops", "--name", "t"}, nil, &out, io.Discard); code != 0 {
		t.Fatal("token create failed")
	}
	tok := strings.TrimSpace(out.String())
	do := func(method, url, body string) (int, string) {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for i := range 10 { // writes alternate between the two servers
		srv := a
		if i%2 == 1 {
			srv = b
		}
		if code, body := do("POST", srv.url+"/api/v1/products", fmt.Sprintf(`{"name":"Product %d"}`, i)); code != 201 {
			t.Fatalf("create via server %d: %d %s", i%2, code, body)
		}
	}
	for _, srv := range []proc{a, b} {
		code, body := do("GET", srv.url+"/api/v1/products?limit=100", "")
		var page struct {
			Items []json.RawMessage `json:"items"`
		}
		json.Unmarshal([]byte(body), &page)
		if code != 200 || len(page.Items) != 10 {
			t.Errorf("%s sees %d products (status %d)", srv.url, len(page.Items), code)
		}
		if code, _ := do("GET", srv.url+"/readyz", ""); code != 200 {
			t.Errorf("%s not ready", srv.url)
		}
	}
}

// TestAuditVerify: `rampart audit verify` exits 0 on an intact log and 1
// naming the first broken entry after a row is altered, deleted or
// inserted directly in the database, on SQLite (--data) and PostgreSQL
// (--database).
func TestAuditVerify(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			loc := []string{"--data", eng.Config.DataDir}
			if eng.Config.DatabaseURL != "" {
				loc = []string{"--database", eng.Config.DatabaseURL}
			}
			args := func(a ...string) []string { return append(a, loc...) }
			// Blocklisted and short passwords are refused with a reason.
			if code, _, errs := run(t, "1qaz2wsx3edc4rfv\n", args("user", "add", "--name", "bob", "--role", "viewer", "--password-stdin")...); code != ExitFailure || !strings.Contains(errs, "breached") {
				t.Errorf("blocklisted password: exit %d %q", code, errs)
			}
			for _, name := range []string{"alice", "bob", "carol", "dave"} {
				if code, _, errs := run(t, "plinth ribbon otter granite\n", args("user", "add", "--name", name, "--role", "viewer", "--password-stdin")...); code != 0 {
					t.Fatalf("user add %s: %d %q", name, code, errs)
				}
			}
			code, out, errs := run(t, "", args("audit", "verify")...)
			if code != 0 || !strings.Contains(out, "intact: 4 entries") {
				t.Fatalf("intact: exit %d %q %q", code, out, errs)
			}
			recorded := strings.TrimPrefix(strings.TrimSpace(out[strings.Index(out, "head "):]), "head ")
			if code, _, errs := run(t, "", args("audit", "verify", "--head", recorded)...); code != 0 {
				t.Fatalf("verify against its own head: %d %q", code, errs)
			}
			st, err := store.Open(context.Background(), eng.Config)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			tamper := func(q string) {
				t.Helper()
				if _, err := st.DB().Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			// Truncating the tail leaves a valid chain; the recorded head catches it.
			tamper(`DELETE FROM audit_log WHERE seq = 4`)
			if code, _, _ := run(t, "", args("audit", "verify")...); code != 0 {
				t.Errorf("truncated chain alone: exit %d, want 0 (undetectable without a head)", code)
			}
			code, _, errs = run(t, "", args("audit", "verify", "--head", recorded)...)
			if code != ExitFailure || !strings.Contains(errs, "entry 4") || !strings.Contains(errs, "truncated") {
				t.Errorf("truncated against recorded head: exit %d %q", code, errs)
			}
			tamper(`UPDATE audit_log SET detail = 'role admin' WHERE seq = 2`)
			code, _, errs = run(t, "", args("audit", "verify")...)
			if code != ExitFailure || !strings.Contains(errs, "entry 2") || !strings.Contains(errs, "altered") {
				t.Errorf("altered: exit %d %q", code, errs)
			}
			tamper(`DELETE FROM audit_log WHERE seq = 2`)
			code, _, errs = run(t, "", args("audit", "verify")...)
			if code != ExitFailure || !strings.Contains(errs, "entry 2") || !strings.Contains(errs, "deleted") {
				t.Errorf("deleted: exit %d %q", code, errs)
			}
			tamper(`INSERT INTO audit_log (seq, at, actor, source, action, object, product_id, outcome, detail, prev_hash, hash)
				VALUES (2, '2026-01-01T00:00:00.000000Z', 'mallory', '', 'user.create', 'user mallory', NULL, 'ok', '', 'forged', 'forged')`)
			code, _, errs = run(t, "", args("audit", "verify")...)
			if code != ExitFailure || !strings.Contains(errs, "entry 2") {
				t.Errorf("inserted: exit %d %q", code, errs)
			}
		})
	}
}

// TestHelpNamesOnlyExistingCommands: every "rampart …" command line in
// an Example, and every 'rampart …' quoted in a help text, names commands
// that exist (a subcommand that was renamed or never built fails here).
func TestHelpNamesOnlyExistingCommands(t *testing.T) {
	root := NewRoot(&streams{in: strings.NewReader(""), out: io.Discard, err: io.Discard})
	quoted := regexp.MustCompile(`'rampart((?: [a-z][a-z0-9-]*)+)`)
	check := func(where, line string, words []string) {
		t.Helper()
		c, rest, err := root.Find(words)
		if err != nil {
			t.Errorf("%s: %q: %v", where, line, err)
			return
		}
		if c == root {
			t.Errorf("%s: %q: %q is not a command", where, line, words[0])
			return
		}
		if c.Runnable() {
			return
		}
		next := ""
		if len(rest) > 0 {
			next = rest[0]
		}
		t.Errorf("%s: %q: %s has no subcommand %q", where, line, c.CommandPath(), next)
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		where := c.CommandPath()
		for _, line := range strings.Split(c.Example, "\n") {
			f := strings.Fields(line)
			if len(f) < 2 || f[0] != "rampart" {
				continue
			}
			check(where+" example", line, f[1:])
		}
		for _, m := range quoted.FindAllStringSubmatch(c.Short+"\n"+c.Long+"\n"+c.Example, -1) {
			check(where+" help", m[0], strings.Fields(m[1]))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// TestUserListEmpty: with no users, 'user list' keeps stdout empty (the
// list) and says on stderr which data folder it read and how to add one.
func TestUserListEmpty(t *testing.T) {
	dir, st := dataDir(t)
	st.Close()
	testCLI(t, []cliCase{
		{name: "empty", args: []string{"user", "list", "--data", dir}, noOut: true, errHas: []string{"no users in " + dir, "rampart user add --name NAME"}},
	})
	in := "plinth ribbon otter granite\n"
	if code, _, errOut := run(t, in, "user", "add", "--data", dir, "--name", "alice", "--role", "admin", "--password-stdin"); code != 0 {
		t.Fatalf("user add: %s", errOut)
	}
	testCLI(t, []cliCase{
		{name: "one user", args: []string{"user", "list", "--data", dir}, outHas: []string{"alice"}},
	})
}

// TestReadOnlyCommandsNeedADatabase: a command that only reads, given a
// --data folder without a database (a typo), says so and creates nothing;
// before, 'audit verify' reported "audit log intact: 0 entries" and
// 'user list' printed nothing, each over a new empty database.
func TestReadOnlyCommandsNeedADatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rampart-dta")
	want := []string{"--data " + dir + ": no Rampart database there", "'rampart serve --data " + dir + "' creates one"}
	var cases []cliCase
	for _, args := range [][]string{
		{"audit", "verify"}, {"user", "list"}, {"vulndb", "status"}, {"incident", "list"},
		{"incident", "show", "1"}, {"conformity", "report", "--catalog", "cra-annex-i", "--release", "1"},
		{"scan", "list", "--product", "Gateway", "--release", "1.0"},
	} {
		cases = append(cases, cliCase{args: append(args, "--data", dir), code: ExitError, noOut: true, errHas: want})
	}
	testCLI(t, cases)
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("%s was created", dir)
	}
}
