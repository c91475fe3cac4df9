package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/firmware"
)

// The defects of a user's first hour with the CLI that a QA pass found.

// TestOutputFileSaysWhatItWrote: every command that writes its output to
// -o FILE says so on stderr in the same words ("wrote FILE"), and leaves
// stdout empty. Before, threatmodel render, report, export and check and
// gate printed nothing, and threatmodel import said it in other words.
func TestOutputFileSaysWhatItWrote(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model.yaml")
	td := filepath.Join("..", "threatmodel", "threatdragon", "testdata", "v2-door.json")
	out := func(name string) string { return filepath.Join(dir, name) }
	cases := []struct {
		args []string
		file string
		code int
	}{
		{[]string{"threatmodel", "init", "--template", "smart-home"}, model, 0},
		{[]string{"threatmodel", "import", td}, out("door.yaml"), 0},
		{[]string{"threatmodel", "render", model}, out("model.mmd"), 0},
		{[]string{"threatmodel", "render", model}, out("model.dot"), 0},
		{[]string{"threatmodel", "report", model, "--format", "markdown"}, out("model.md"), 0},
		{[]string{"threatmodel", "export", model, "--to", "otm"}, out("model.otm.json"), 0},
		{[]string{"threatmodel", "check", model, "--format", "json"}, out("check.json"), 0},
		{[]string{"sbom", "convert", sbomTestdata + "sensor-fw-2.2.spdx", "--to", "cyclonedx-json"}, out("bom.cdx.json"), 0},
		{[]string{"gate", "--threatmodel", model, "--format", "json"}, out("gate.json"), -1},
	}
	for _, tc := range cases {
		args := append(tc.args, "-o", tc.file)
		t.Run(strings.Join(args[:2], " ")+" "+filepath.Ext(tc.file), func(t *testing.T) {
			code, stdout, stderr := run(t, "", args...)
			if tc.code >= 0 && code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, "wrote "+tc.file) {
				t.Errorf("stderr does not say %q:\n%s", "wrote "+tc.file, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout is not empty:\n%s", stdout)
			}
		})
	}
	// To stdout, no "wrote" line: stderr stays quiet.
	if code, stdout, stderr := run(t, "", "threatmodel", "export", model, "--to", "otm"); code != 0 || stdout == "" || strings.Contains(stderr, "wrote") {
		t.Errorf("export to stdout: exit %d, stderr %q", code, stderr)
	}
}

// TestEmptyTablesSayNone: a table without rows prints a line saying there
// is none, never a bare header. Before, firmware analyze printed the
// headers of its issue, component and binary sections with nothing under
// them, and so did scan parse, scan list and incident list.
func TestEmptyTablesSayNone(t *testing.T) {
	var fw bytes.Buffer
	printFirmwareTable(&fw, &firmware.Result{Image: "empty.bin"})
	for _, want := range []string{"no layers", "no issues", "no components", "no ELF binaries", "empty.bin: 0 files"} {
		if !strings.Contains(fw.String(), want) {
			t.Errorf("firmware table lacks %q:\n%s", want, fw.String())
		}
	}
	var scans, list, incidents bytes.Buffer
	if err := printScans(&scans, nil); err != nil {
		t.Fatal(err)
	}
	if err := printFindingsTable(&list, "zap", nil); err != nil {
		t.Fatal(err)
	}
	printIncidents(&incidents, nil)
	tables := map[string]string{"firmware analyze": fw.String(), "scan list": scans.String(), "scan parse": list.String(), "incident list": incidents.String()}
	for name, got := range tables {
		for _, header := range []string{"SEVERITY", "LAYER", "COMPONENT", "BINARY", "ID  "} {
			if strings.Contains(got, header) {
				t.Errorf("%s prints the header %q of an empty table:\n%s", name, header, got)
			}
		}
	}
	for name, want := range map[string]string{"scan list": "no scans", "scan parse": "no findings", "incident list": "no incidents"} {
		if !strings.Contains(tables[name], want) {
			t.Errorf("%s lacks %q:\n%s", name, want, tables[name])
		}
	}
}

// TestNotFoundNamesListingCommand: a not-found error is followed by the
// command that lists that kind of object, and keeps its own message.
// Before, "incident 7 does not exist" and "release 99: not found" ended
// there. Looking a product or release up by name is a usage error (exit
// 2) everywhere; scan list exited 1.
func TestNotFoundNamesListingCommand(t *testing.T) {
	dir, st := dataDir(t)
	st.Close()
	products := "list products and their releases with 'rampart product list'"
	testCLI(t, []cliCase{
		{name: "incident", args: []string{"incident", "show", "7", "--data", dir}, code: ExitError,
			errHas: []string{"incident 7 does not exist", "list incidents with 'rampart incident list'"}},
		{name: "release id", args: []string{"conformity", "report", "--release", "99", "--data", dir}, code: ExitError,
			errHas: []string{"release 99", products}},
		{name: "product", args: []string{"scan", "list", "--product", "Router", "--release", "1", "--data", dir}, code: ExitError,
			errHas: []string{`product "Router"`, products}},
		{name: "user", args: []string{"token", "create", "--user", "nobody", "--name", "ci", "--data", dir}, code: ExitError,
			errHas: []string{`user "nobody"`, "list users with 'rampart user list'"}},
		{name: "update repository", args: []string{"updates", "targets", "--product", "Router", "--data", dir}, code: ExitError,
			errHas: []string{"create it with 'rampart updates init --product Router'"}},
		{name: "listing", args: []string{"product", "list", "--data", dir}, code: ExitOK,
			outHas: []string{"no products in", "rampart sbom import"}, outLacks: []string{"PRODUCT"}},
	})
	root := NewRoot(&streams{})
	userAdd, _, err := root.Find([]string{"user", "add"})
	if err != nil {
		t.Fatal(err)
	}
	if h := notFoundHint(userAdd, fault.Conflict("user %q exists", "nobody")); h != "" {
		t.Errorf("hint for an error of another kind: %q", h)
	}
	// A group whose messages say what to do themselves gets no second hint.
	targets, _, err := root.Find([]string{"updates", "targets"})
	if err != nil {
		t.Fatal(err)
	}
	if h := notFoundHint(targets, fault.NotFound("no update repository for product %q: create it with 'rampart updates init --product %s'", "R", "R")); h != "" {
		t.Errorf("hint for a missing update repository: %q", h)
	}
}

// TestUsageErrorsNameHelp: a group command given an unknown subcommand is
// a usage error (exit 2, with a suggestion), and an argument error names
// the command's --help. Before, `rampart incident bogus` printed the help
// and exited 0, and "accepts 1 arg(s), received 0" said nothing more.
func TestUsageErrorsNameHelp(t *testing.T) {
	testCLI(t, []cliCase{
		{args: []string{"incident", "bogus"}, code: ExitError, noOut: true,
			errHas: []string{`unknown command "bogus" for "rampart incident"`, "Run 'rampart incident --help' for usage"}},
		{args: []string{"updates", "tragets"}, code: ExitError, errHas: []string{`did you mean "targets"?`}},
		{args: []string{"incident", "show"}, code: ExitError, errHas: []string{"accepts 1 arg(s), received 0", "Run 'rampart incident show --help' for usage"}},
		{args: []string{"version", "extra"}, code: ExitError, errHas: []string{"Run 'rampart version --help' for usage"}},
		{args: []string{"incident"}, code: ExitOK, outHas: []string{"Available Commands:"}},
	})
}

// TestProductList: `rampart product list`, which the not-found hints name,
// shows each product with its releases and their IDs.
func TestProductList(t *testing.T) {
	dir, st := dataDir(t)
	st.Close()
	if code, _, errOut := run(t, "", "sbom", "import", sbomTestdata+"sensor-fw-2.2.spdx", "--product", "Sensor", "--release", "2.2", "--data", dir); code != 0 {
		t.Fatalf("sbom import: exit %d: %s", code, errOut)
	}
	testCLI(t, []cliCase{
		{args: []string{"product", "list", "--data", dir}, outHas: []string{"PRODUCT", "RELEASE ID", "Sensor", "2.2"}},
		{args: []string{"product", "list", "--format", "json", "--data", dir}, outHas: []string{`"name": "Sensor"`, `"version": "2.2"`, `"release_list"`}},
	})
}

// TestScanImportUnknownToolWritesNothing: an unknown --tool is refused
// before the release is created (exit 2). Before, scan import created the
// product and release, then failed with exit 1.
func TestScanImportUnknownToolWritesNothing(t *testing.T) {
	dir, st := dataDir(t)
	st.Close()
	testCLI(t, []cliCase{
		{name: "import", args: []string{"scan", "import", "testdata/zap.xml", "--tool", "nope", "--product", "Router", "--release", "1", "--data", dir}, code: ExitError,
			errHas: []string{`unknown tool "nope"`, "rampart scan formats"}},
		{name: "nothing created", args: []string{"product", "list", "--data", dir}, outHas: []string{"no products"}},
	})
}

// TestFailedImportCreatesNoRelease: `sbom import` and `scan import` create
// a missing product release in the import's own transaction, so a file
// the import refuses (not an SBOM, a truncated report) leaves no empty
// product or release behind, and a good one still creates both.
func TestFailedImportCreatesNoRelease(t *testing.T) {
	dir, st := dataDir(t)
	st.Close()
	tmp := t.TempDir()
	notSBOM := filepath.Join(tmp, "package.json")
	if err := os.WriteFile(notSBOM, []byte(`{"name":"x","version":"1.0.0"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	zap, err := os.ReadFile("testdata/zap.xml")
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(tmp, "zap-cut.xml")
	if err := os.WriteFile(truncated, zap[:len(zap)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	testCLI(t, []cliCase{
		{name: "not an SBOM", args: []string{"sbom", "import", notSBOM, "--product", "Router", "--release", "1", "--data", dir}, code: ExitFailure},
		{name: "truncated report", args: []string{"scan", "import", truncated, "--product", "Router", "--release", "2", "--data", dir}, code: ExitFailure},
		{name: "nothing created", args: []string{"product", "list", "--data", dir}, outHas: []string{"no products"}},
		{name: "good report", args: []string{"scan", "import", "testdata/zap.xml", "--product", "Router", "--release", "2", "--data", dir}, outHas: []string{"into Router 2"}},
		{name: "created", args: []string{"product", "list", "--data", dir}, outHas: []string{"Router"}},
	})
}
