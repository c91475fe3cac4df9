package cli

import (
	"context"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/conformity"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/vuln/mirror"
)

// The tests in this file parse argument lines with each command's
// constructor and a capturing runF: they see exactly the options the run
// would get, and the validation errors, without opening a database or a
// file.

// parseCase is one argument line and what parsing it must give.
type parseCase[O any] struct {
	args    []string
	want    *O     // the options the run receives (when wantErr is "")
	wantErr string // part of the error refusing the line; the run is not called
}

// parseArgs builds a command with a capturing runF and runs it on args.
// The returned options are nil when the run was not reached.
func parseArgs[O any](newCmd func(*streams, func(context.Context, *O) error) *cobra.Command, args ...string) (*O, error) {
	var got *O
	cmd := newCmd(&streams{in: strings.NewReader(""), out: io.Discard, err: io.Discard}, func(_ context.Context, o *O) error {
		got = o
		return nil
	})
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	return got, err
}

// testParse runs the cases; normalize (optional) clears what DeepEqual
// cannot compare, such as functions.
func testParse[O any](t *testing.T, newCmd func(*streams, func(context.Context, *O) error) *cobra.Command, cases []parseCase[O], normalize ...func(*O)) {
	t.Helper()
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got, err := parseArgs(newCmd, tc.args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				if got != nil {
					t.Fatalf("the run was called after a validation error, with %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range normalize {
				n(got)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("options\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// defaultStore is the --data/--database default of every stateful command.
var defaultStore = storeFlags{data: "rampart-data"}

const head64 = "5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0c"

func TestVersionOptions(t *testing.T) {
	testParse(t, newVersionCmd, []parseCase[versionOptions]{
		{args: nil, want: &versionOptions{}},
		{args: []string{"extra"}, wantErr: "unknown command"},
	})
}

func TestAuditOptions(t *testing.T) {
	testParse(t, newAuditVerifyCmd, []parseCase[auditVerifyOptions]{
		{args: nil, want: &auditVerifyOptions{Store: defaultStore}},
		{args: []string{"--data", "/d", "--head", "12:" + head64},
			want: &auditVerifyOptions{Store: storeFlags{data: "/d"}, Head: "12:" + head64, headSeq: 12, headHash: head64}},
		{args: []string{"--database", "postgres://db/r"}, want: &auditVerifyOptions{Store: storeFlags{data: "rampart-data", database: "postgres://db/r"}}},
		{args: []string{"--head", "12"}, wantErr: "--head"},
		{args: []string{"--head", "0:" + head64}, wantErr: "--head"},
		{args: []string{"--head", "3:abc"}, wantErr: "--head"},
	})
}

func TestUserOptions(t *testing.T) {
	testParse(t, newUserAddCmd, []parseCase[userAddOptions]{
		{args: []string{"--name", "alice", "--password-stdin"},
			want: &userAddOptions{Store: defaultStore, Name: "alice", Role: "viewer", PasswordStdin: true, role: identity.RoleViewer}},
		{args: []string{"--name", "bob", "--role", "admin", "--password-stdin", "--data", "/d"},
			want: &userAddOptions{Store: storeFlags{data: "/d"}, Name: "bob", Role: "admin", PasswordStdin: true, role: identity.RoleAdmin}},
		{args: []string{"--name", "alice", "--role", "root", "--password-stdin"}, wantErr: `role "root"`},
		{args: []string{"--name", "alice"}, wantErr: "--password-stdin is required"},
		{args: []string{"--password-stdin"}, wantErr: `required flag(s) "name" not set`},
		{args: []string{"--name", "a", "--password", "x"}, wantErr: "unknown flag: --password"},
	})
	testParse(t, newUserListCmd, []parseCase[userListOptions]{
		{args: nil, want: &userListOptions{Store: defaultStore}},
		{args: []string{"--database", "postgres://db/r"}, want: &userListOptions{Store: storeFlags{data: "rampart-data", database: "postgres://db/r"}}},
		{args: []string{"alice"}, wantErr: "unknown command"},
	})
}

func TestTokenOptions(t *testing.T) {
	testParse(t, newTokenCreateCmd, []parseCase[tokenCreateOptions]{
		{args: []string{"--user", "alice", "--name", "ci"},
			want: &tokenCreateOptions{Store: defaultStore, User: "alice", Name: "ci", Expires: 90 * 24 * time.Hour, scopes: []identity.Scope{identity.ScopeAll}}},
		{args: []string{"--user", "alice", "--name", "ci", "--expires", "720h", "--scopes", "sbom:write products:read", "--product", "3"},
			want: &tokenCreateOptions{Store: defaultStore, User: "alice", Name: "ci", Expires: 720 * time.Hour, Scopes: "sbom:write products:read", Product: 3,
				scopes: []identity.Scope{identity.ScopeProductsRead, identity.ScopeSBOMWrite}}}, // sorted
		{args: []string{"--user", "alice", "--name", "ci", "--expires", "0s"}, wantErr: "--expires"},
		{args: []string{"--user", "alice", "--name", "ci", "--expires", "9000h"}, wantErr: "--expires"},
		{args: []string{"--user", "alice", "--name", "ci", "--scopes", "root"}, wantErr: "--scopes"},
		{args: []string{"--user", "alice"}, wantErr: `required flag(s) "name" not set`},
	})
}

// defaultFeeds are the feed flags' defaults: the official sources.
func defaultFeeds() feedFlags {
	return feedFlags{src: mirror.Defaults(), osvBase: mirror.DefaultOSVBase, ecosystems: mirror.DefaultOSVEcosystems}
}

func TestVulnDBOptions(t *testing.T) {
	testParse(t, newVulnDBImportCmd, []parseCase[vulndbImportOptions]{
		{args: []string{"osv/all.zip", "nvd/"}, want: &vulndbImportOptions{Store: defaultStore, Paths: []string{"osv/all.zip", "nvd/"}}},
		{args: []string{"kev.json", "--no-rematch", "--data", "/d"}, want: &vulndbImportOptions{Store: storeFlags{data: "/d"}, Paths: []string{"kev.json"}, NoRematch: true}},
		{args: nil, wantErr: "requires at least 1 arg"},
	})
	testParse(t, newVulnDBStatusCmd, []parseCase[vulndbStatusOptions]{
		{args: nil, want: &vulndbStatusOptions{Store: defaultStore}},
		{args: []string{"now"}, wantErr: "unknown command"},
	})
	mirrored := defaultFeeds()
	mirrored.osvBase, mirrored.ecosystems = "https://mirror.internal/osv", []string{"Go", "PyPI"}
	mirrored.src.NVD, mirrored.src.KEV, mirrored.src.EPSS = "https://mirror.internal/nvd", "https://mirror.internal/kev.json", ""
	mirrored.src.EUVD, mirrored.src.CSAF = "https://mirror.internal/euvd.json", []string{"https://a.example/1.json", "https://a.example/2.json"}
	testParse(t, newVulnDBUpdateCmd, []parseCase[vulndbUpdateOptions]{
		{args: nil, want: &vulndbUpdateOptions{Store: defaultStore, Feeds: defaultFeeds()}},
		{args: []string{"--osv-base", "https://mirror.internal/osv", "--osv-ecosystem", "Go", "--osv-ecosystem", "PyPI", "--nvd-url", "https://mirror.internal/nvd",
			"--kev-url", "https://mirror.internal/kev.json", "--epss-url", "", "--euvd-url", "https://mirror.internal/euvd.json",
			"--csaf-url", "https://a.example/1.json", "--csaf-url", "https://a.example/2.json"},
			want: &vulndbUpdateOptions{Store: defaultStore, Feeds: mirrored}},
		{args: []string{"--nvd-url", "ftp://mirror/nvd"}, wantErr: "--nvd-url"},
		{args: []string{"--osv-base", "mirror.internal/osv"}, wantErr: "--osv-base"},
		{args: []string{"--kev-url", "://"}, wantErr: "--kev-url"},
		{args: []string{"--csaf-url", "file:///a.json"}, wantErr: "--csaf-url"},
	})
}

func TestScanOptions(t *testing.T) {
	testParse(t, newScanParseCmd, []parseCase[scanParseOptions]{
		{args: []string{"zap.xml"}, want: &scanParseOptions{File: "zap.xml", Format: "json"}},
		{args: []string{"-", "--tool", "nessus-csv", "--format", "ndjson"}, want: &scanParseOptions{File: "-", Tool: "nessus-csv", Format: "ndjson"}},
		{args: []string{"r.sarif", "--format", "table"}, want: &scanParseOptions{File: "r.sarif", Format: "table"}},
		{args: []string{"r.sarif", "--format", "xml"}, wantErr: "--format"},
		{args: []string{"r.sarif", "--tool", "nope"}, wantErr: `--tool: unknown tool "nope"`},
		{args: nil, wantErr: "accepts 1 arg"},
	})
	testParse(t, newScanFormatsCmd, []parseCase[scanFormatsOptions]{
		{args: nil, want: &scanFormatsOptions{}},
	})
	testParse(t, newScanImportCmd, []parseCase[scanImportOptions]{
		{args: []string{"zap.xml", "--product", "Fleet Portal", "--release", "2026.05"},
			want: &scanImportOptions{Store: defaultStore, File: "zap.xml", Product: "Fleet Portal", Release: "2026.05"}},
		{args: []string{"r.sarif", "--tool", "sarif", "--scope", "zap:portal", "--product", "G", "--release", "1", "--data", "/d"},
			want: &scanImportOptions{Store: storeFlags{data: "/d"}, File: "r.sarif", Product: "G", Release: "1", Tool: "sarif", Scope: "zap:portal"}},
		{args: []string{"stopped.xml", "--partial", "--product", "G", "--release", "1"},
			want: &scanImportOptions{Store: defaultStore, File: "stopped.xml", Product: "G", Release: "1", Partial: true}},
		{args: []string{"zap.xml", "--product", "G"}, wantErr: `required flag(s) "release" not set`},
		{args: []string{"zap.xml", "--tool", "nope", "--product", "G", "--release", "1"}, wantErr: `--tool: unknown tool "nope"`},
		{args: []string{"--product", "G", "--release", "1"}, wantErr: "accepts 1 arg"},
	})
	testParse(t, newScanImportDefectDojoCmd, []parseCase[importDefectDojoOptions]{
		{args: []string{"dojo.json", "--product", "G", "--release", "1"},
			want: &importDefectDojoOptions{Store: defaultStore, File: "dojo.json", Product: "G", Release: "1", Scope: portfolio.DefectDojoScope}},
		{args: []string{"dojo.json", "--product", "Gateway", "--release", "2.4.1"},
			want: &importDefectDojoOptions{Store: defaultStore, File: "dojo.json", Product: "Gateway", Release: "2.4.1", Scope: "defectdojo"}},
		{args: []string{"dojo.json", "--release", "1"}, wantErr: `required flag(s) "product" not set`},
	})
	testParse(t, newScanListCmd, []parseCase[scanListOptions]{
		{args: []string{"--product", "Gateway", "--release", "2.4.1"},
			want: &scanListOptions{Store: defaultStore, Product: "Gateway", Release: "2.4.1", Format: "table"}},
		{args: []string{"--product", "G", "--release", "1", "--format", "json", "--data", "/d"},
			want: &scanListOptions{Store: storeFlags{data: "/d"}, Product: "G", Release: "1", Format: "json"}},
		{args: []string{"--product", "G", "--release", "1", "--format", "csv"}, wantErr: `--format must be one of table, json, got "csv"`},
		{args: []string{"--product", "G", "--release", "1", "--data", ""}, wantErr: "--data"},
		{args: []string{"--product", "G"}, wantErr: `required flag(s) "release" not set`},
		{args: []string{"extra", "--product", "G", "--release", "1"}, wantErr: "unknown command"},
	})
}

func TestSBOMOptions(t *testing.T) {
	testParse(t, newSBOMInspectCmd, []parseCase[sbomInspectOptions]{
		{args: []string{"bom.json"}, want: &sbomInspectOptions{File: "bom.json", Format: "table"}},
		{args: []string{"-", "--format", "json"}, want: &sbomInspectOptions{File: "-", Format: "json"}},
		{args: []string{"--format", "json", "bom.json"}, want: &sbomInspectOptions{File: "bom.json", Format: "json"}},
		{args: []string{"bom.json", "--format", "yaml"}, wantErr: "--format must be"},
	})
	testParse(t, newSBOMConvertCmd, []parseCase[sbomConvertOptions]{
		{args: []string{"s.spdx", "--to", "cyclonedx-json", "-o", "bom.cdx.json"}, want: &sbomConvertOptions{File: "s.spdx", To: "cyclonedx-json", Output: "bom.cdx.json"}},
		{args: []string{"bom.xml", "--to", "spdx-json"}, want: &sbomConvertOptions{File: "bom.xml", To: "spdx-json"}},
		{args: []string{"bom.xml"}, wantErr: "--to is required"},
		{args: []string{"bom.xml", "--to", "cyclonedx-xml"}, wantErr: "--to must be"},
	})
	testParse(t, newSBOMImportCmd, []parseCase[sbomImportOptions]{
		{args: []string{"fw.cdx.json", "--product", "Industrial Gateway", "--release", "2.4.1"},
			want: &sbomImportOptions{Store: defaultStore, File: "fw.cdx.json", Product: "Industrial Gateway", Release: "2.4.1"}},
		{args: []string{"huge.cdx.json", "--product", "G", "--release", "2.5.0", "--no-rematch", "--database", "postgres://db/r"},
			want: &sbomImportOptions{Store: storeFlags{data: "rampart-data", database: "postgres://db/r"}, File: "huge.cdx.json", Product: "G", Release: "2.5.0", NoRematch: true}},
		{args: []string{"fw.cdx.json"}, wantErr: "required flag(s)"},
	})
}

func TestThreatmodelOptions(t *testing.T) {
	testParse(t, newTMCheckCmd, []parseCase[tmCheckOptions]{
		{args: []string{"tm.yaml"}, want: &tmCheckOptions{Model: "tm.yaml", Format: "table", FailOn: "none", Top: 10}},
		{args: []string{"-", "--format", "sarif", "-o", "t.sarif", "--fail-on", "high", "--top", "0", "--rules", "r1", "--rules", "r2", "--disable", "PROD-004,EL-*"},
			want: &tmCheckOptions{Model: "-", Format: "sarif", FailOn: "high", Output: "t.sarif", Rules: rulesFlags{dirs: []string{"r1", "r2"}, disable: []string{"PROD-004", "EL-*"}}}},
		{args: []string{"tm.yaml", "--format", "pdf"}, wantErr: "--format"},
		{args: []string{"tm.yaml", "--fail-on", "severe"}, wantErr: "--fail-on"},
		{args: nil, wantErr: "accepts 1 arg"},
	})
	testParse(t, newTMValidateCmd, []parseCase[tmValidateOptions]{
		{args: []string{"tm.yaml"}, want: &tmValidateOptions{Model: "tm.yaml"}},
		{args: []string{"a", "b"}, wantErr: "accepts 1 arg"},
	})
	testParse(t, newTMRenderCmd, []parseCase[tmRenderOptions]{
		{args: []string{"tm.yaml", "-o", "dfd.svg"}, want: &tmRenderOptions{Model: "tm.yaml", Output: "dfd.svg", Direction: "LR"}},
		{args: []string{"tm.yaml", "-o", "dfd.DOT", "--direction", "TB", "--no-threats"}, want: &tmRenderOptions{Model: "tm.yaml", Output: "dfd.DOT", Direction: "TB", NoThreats: true}},
		{args: []string{"tm.yaml"}, wantErr: "-o FILE is required"},
		{args: []string{"tm.yaml", "-o", "dfd.png"}, wantErr: "unknown diagram format"},
	})
	testParse(t, newTMReportCmd, []parseCase[tmReportOptions]{
		{args: []string{"tm.yaml"}, want: &tmReportOptions{Model: "tm.yaml", Format: "markdown"}},
		{args: []string{"tm.yaml", "--format", "html", "-o", "r.html"}, want: &tmReportOptions{Model: "tm.yaml", Format: "html", Output: "r.html"}},
		{args: []string{"tm.yaml", "--format", "pdf"}, wantErr: "--format"},
	})
	testParse(t, newTMImportCmd, []parseCase[tmImportOptions]{
		{args: []string{"threagile.yaml", "-o", "tm.yaml"}, want: &tmImportOptions{File: "threagile.yaml", Output: "tm.yaml"}},
		{args: []string{"d.json", "--from", "threat-dragon"}, want: &tmImportOptions{File: "d.json", From: "threat-dragon"}},
		{args: nil, wantErr: "accepts 1 arg"},
	})
	testParse(t, newTMExportCmd, []parseCase[tmExportOptions]{
		{args: []string{"tm.yaml", "-o", "m.otm.json"}, want: &tmExportOptions{Model: "tm.yaml", To: "otm", Output: "m.otm.json"}},
		{args: []string{"tm.yaml", "--to", "threagile"}, wantErr: "--to"},
	})
	testParse(t, newTMRulesCmd, []parseCase[tmRulesOptions]{
		{args: nil, want: &tmRulesOptions{Format: "table"}},
		{args: []string{"--format", "json", "--rules", "ours"}, want: &tmRulesOptions{Format: "json", Rules: rulesFlags{dirs: []string{"ours"}}}},
		{args: []string{"--format", "yaml"}, wantErr: "--format"},
	})
	testParse(t, newTMSchemaCmd, []parseCase[tmSchemaOptions]{
		{args: nil, want: &tmSchemaOptions{}},
	})
	testParse(t, newTMInitCmd, []parseCase[tmInitOptions]{
		{args: []string{"--template", "smart-home"}, want: &tmInitOptions{Template: "smart-home"}},
		{args: []string{"--template", "medical-wearable", "-o", "w.yaml", "--force"}, want: &tmInitOptions{Template: "medical-wearable", Output: "w.yaml", Force: true}},
		{args: nil, wantErr: "--template is required"},
		{args: []string{"--template", "toaster"}, wantErr: `unknown template "toaster"`},
	})
	testParse(t, newTMDiffCmd, []parseCase[tmDiffOptions]{
		{args: []string{"v1.yaml", "v2.yaml"}, want: &tmDiffOptions{Old: "v1.yaml", New: "v2.yaml", Format: "text"}},
		{args: []string{"v1.yaml", "v2.yaml", "--format", "json"}, want: &tmDiffOptions{Old: "v1.yaml", New: "v2.yaml", Format: "json"}},
		{args: []string{"v1.yaml", "v2.yaml", "--format", "html"}, wantErr: "--format"},
		{args: []string{"v1.yaml"}, wantErr: "accepts 2 arg"},
	})
	testParse(t, newTMRenderDOTCmd, []parseCase[tmRenderDOTOptions]{
		{args: nil, want: &tmRenderDOTOptions{}},
	})
}

func TestConformityOptions(t *testing.T) {
	testParse(t, newConformityReportCmd, []parseCase[conformityReportOptions]{
		{args: []string{"--release", "3"}, want: &conformityReportOptions{Store: defaultStore, Catalog: conformity.ETSI, Release: 3, Format: "json"}},
		{args: []string{"--release", "3", "--catalog", "cra-annex-i", "--compare", "2", "--format", "text"},
			want: &conformityReportOptions{Store: defaultStore, Catalog: conformity.CRA, Release: 3, Compare: 2, Format: "text"}},
		{args: []string{"--catalog", "cra-annex-i", "--release", "4", "--compare", "3", "--format", "html", "--data", "/tmp/x", "--base-url", "https://r.example"},
			want: &conformityReportOptions{Store: storeFlags{data: "/tmp/x"}, Catalog: conformity.CRA, Release: 4, Compare: 3, Format: "html", Base: "https://r.example"}},
		{args: nil, wantErr: "--release"},
		{args: []string{"--release", "0"}, wantErr: "--release"},
		{args: []string{"--release", "3", "--format", "pdf"}, wantErr: "--format"},
		{args: []string{"--release", "3", "--catalog", "iso-27001"}, wantErr: "--catalog"},
	})
}

func TestFirmwareOptions(t *testing.T) {
	testParse(t, newFirmwareAnalyzeCmd, []parseCase[firmwareAnalyzeOptions]{
		{args: []string{"router.bin"}, want: &firmwareAnalyzeOptions{Image: "router.bin", Format: "table"}},
		{args: []string{"fw.bin", "--format", "cyclonedx", "--fail-on", "high"}, want: &firmwareAnalyzeOptions{Image: "fw.bin", Format: "cyclonedx", FailOn: "high", failOn: findings.High}},
		{args: []string{"fw.bin", "--format", "xml"}, wantErr: "--format"},
		{args: []string{"fw.bin", "--fail-on", "severe"}, wantErr: "--fail-on"},
	})
	testParse(t, newFirmwareDiffCmd, []parseCase[firmwareDiffOptions]{
		{args: []string{"v1.bin", "v2.bin"}, want: &firmwareDiffOptions{Old: "v1.bin", New: "v2.bin", Format: "table"}},
		{args: []string{"v1.bin", "v2.bin", "--format", "json", "--fail-on", "medium"}, want: &firmwareDiffOptions{Old: "v1.bin", New: "v2.bin", Format: "json", FailOn: "medium", failOn: findings.Medium}},
		{args: []string{"v1.bin", "v2.bin", "--format", "sarif"}, wantErr: "--format"},
		{args: []string{"v1.bin"}, wantErr: "accepts 2 arg"},
	})
	testParse(t, newFirmwareInventoryCmd, []parseCase[firmwareInventoryOptions]{
		{args: []string{"router.bin"}, want: &firmwareInventoryOptions{Image: "router.bin"}},
		{args: nil, wantErr: "accepts 1 arg"},
	})
}

func TestCSAFOptions(t *testing.T) {
	testParse(t, newCSAFValidateCmd, []parseCase[csafValidateOptions]{
		{args: []string{"a.json"}, want: &csafValidateOptions{Files: []string{"a.json"}, Format: "text"}},
		{args: []string{"-f", "json", "a.json", "b.json"}, want: &csafValidateOptions{Files: []string{"a.json", "b.json"}, Format: "json"}},
		{args: []string{"--format", "xml", "a.json"}, wantErr: "--format"},
		{args: nil, wantErr: "requires at least 1 arg"},
	})
}

func TestMatchOptions(t *testing.T) {
	testParse(t, newMatchCmd, []parseCase[matchOptions]{
		{args: []string{"bom.json", "--vulndb", "osv/"}, want: &matchOptions{SBOM: "bom.json", VulnDB: []string{"osv/"}, Format: "table"}},
		{args: []string{"bom.json", "--data", "d", "--assume-platform", "-f", "sarif"}, want: &matchOptions{SBOM: "bom.json", Data: "d", Format: "sarif", AssumePlatform: true}},
		{args: []string{"bom.json", "--vulndb", "a", "--vulndb", "b.zip", "--format", "openvex", "--fail-on", "kev", "--vex", "v.json", "--data", "d"},
			want: &matchOptions{SBOM: "bom.json", Data: "d", VulnDB: []string{"a", "b.zip"}, Format: "openvex", FailOn: "kev", VEX: []string{"v.json"}}},
		{args: []string{"bom.json"}, wantErr: "no vulnerability data"},
		{args: []string{"bom.json", "--data", "d", "--format", "xml"}, wantErr: "--format"},
		{args: []string{"bom.json", "--data", "d", "--fail-on", "severe"}, wantErr: "--fail-on"},
	})
}

func TestGateOptions(t *testing.T) {
	noClock := func(o *gateOptions) { o.Now = nil }
	testParse(t, newGateCmd, []parseCase[gateOptions]{
		{args: []string{"--sbom", "bom.json"}, want: &gateOptions{SBOM: "bom.json", Format: "text"}},
		{args: []string{"--threatmodel", "tm.yaml", "-f", "junit", "-o", "gate.xml"}, want: &gateOptions{ThreatModel: "tm.yaml", Format: "junit", Output: "gate.xml"}},
		{args: []string{"--policy", "p/", "--sbom", "b.json", "--scan", "a.sarif", "--scan", "b.xml", "--threatmodel", "tm.yaml",
			"--firmware", "fw.json", "--data", "d", "--baseline", "old.json", "--exceptions", "e.yaml", "--approved", "a.yaml", "--format", "junit"},
			want: &gateOptions{Policy: "p/", SBOM: "b.json", Scans: []string{"a.sarif", "b.xml"}, ThreatModel: "tm.yaml", Firmware: "fw.json",
				Data: "d", Baselines: []string{"old.json"}, Exceptions: "e.yaml", Approved: "a.yaml", Format: "junit"}},
		{args: nil, wantErr: "nothing to judge"},
		{args: []string{"--sbom", "b", "--vulndb", "osv/", "--data", "d"}, wantErr: "--vulndb and --data"},
		{args: []string{"--sbom", "b", "--format", "xml"}, wantErr: "--format"},
	}, noClock)
}

func TestIncidentOptions(t *testing.T) {
	utc := incidentFlags{Store: defaultStore, TimeZone: "UTC", loc: time.UTC}
	testParse(t, newIncidentListCmd, []parseCase[incidentListOptions]{
		{args: nil, want: &incidentListOptions{incidentFlags: utc}},
		{args: []string{"--product", "3", "--phase", "detection", "--drill", "--json", "--fail-on-late"},
			want: &incidentListOptions{incidentFlags: utc, Product: 3, Phase: "detection", Drill: true, JSON: true, FailLate: true}},
		{args: []string{"--phase", "panic"}, wantErr: "--phase"},
		{args: []string{"--timezone", "Mars/Olympus"}, wantErr: "--timezone"},
	})
	testParse(t, newIncidentShowCmd, []parseCase[incidentShowOptions]{
		{args: []string{"7"}, want: &incidentShowOptions{incidentFlags: utc, ID: 7, idArg: "7"}},
		{args: []string{"7", "--json"}, want: &incidentShowOptions{incidentFlags: utc, ID: 7, JSON: true, idArg: "7"}},
		{args: []string{"seven"}, wantErr: "incident id"},
		{args: []string{"0"}, wantErr: "incident id"},
	})
	testParse(t, newIncidentReportCmd, []parseCase[incidentReportOptions]{
		{args: []string{"7", "early_warning"}, want: &incidentReportOptions{incidentFlags: utc, ID: 7, Kind: "early_warning", Format: "markdown", idArg: "7"}},
		{args: []string{"7", "final_report", "--format", "json"}, want: &incidentReportOptions{incidentFlags: utc, ID: 7, Kind: "final_report", Format: "json", idArg: "7"}},
		{args: []string{"7", "late_warning"}, wantErr: "late_warning"},
		{args: []string{"7", "notification", "--format", "pdf"}, wantErr: "--format"},
	})
	got, err := parseArgs(newIncidentShowCmd, "7", "--timezone", "Europe/Berlin")
	if err != nil || got.loc == nil || got.loc.String() != "Europe/Berlin" {
		t.Errorf("--timezone Europe/Berlin: %v, %+v", err, got)
	}
}

func TestUpdatesOptions(t *testing.T) {
	testParse(t, newUpdatesCmd, []parseCase[updatesOptions]{
		{args: []string{"init", "--product", "acme", "--keys", "k"}, want: &updatesOptions{Command: "init", Store: defaultStore, Product: "acme", Keys: "k", Threshold: 1}},
		{args: []string{"init", "--product", "acme", "--keys", "k", "--threshold", "2", "--product-name", "Acme"},
			want: &updatesOptions{Command: "init", Store: defaultStore, Product: "acme", Keys: "k", Threshold: 2, ProductName: "Acme"}},
		{args: []string{"rotate-root", "--product", "acme", "--keys", "k", "--rotate-online-keys"},
			want: &updatesOptions{Command: "rotate-root", Store: defaultStore, Product: "acme", Keys: "k", RotateOnline: true}},
		{args: []string{"publish", "--product", "acme", "--file", "fw.img", "--name", "fw-1.img", "--hardware", "IG-400", "--version", "3.2.1"},
			want: &updatesOptions{Command: "publish", Store: defaultStore, Product: "acme", File: "fw.img", Name: "fw-1.img", Hardware: "IG-400", Version: "3.2.1"}},
		{args: []string{"root", "--product", "acme"}, want: &updatesOptions{Command: "root", Store: defaultStore, Product: "acme"}},
		{args: []string{"targets", "--product", "acme"}, want: &updatesOptions{Command: "targets", Store: defaultStore, Product: "acme"}},
		{args: []string{"status", "--product", "acme"}, want: &updatesOptions{Command: "status", Store: defaultStore, Product: "acme"}},
		{args: []string{"resign", "--data", "/var/lib/rampart"}, want: &updatesOptions{Command: "resign", Store: storeFlags{data: "/var/lib/rampart"}}},
		{args: []string{"root"}, wantErr: "--product SLUG is required"},
		{args: []string{"init", "--product", "acme"}, wantErr: "--keys DIR is required"},
		{args: []string{"rotate-root", "--product", "acme"}, wantErr: "--keys DIR is required"},
		{args: []string{"publish", "--product", "acme", "--file", "fw.img"}, wantErr: "--file IMAGE and --name NAME are required"},
		{args: []string{"resign", "--product", "acme"}, wantErr: "unknown flag: --product"},
		{args: []string{"root", "--product", "acme", "--keys", "k"}, wantErr: "unknown flag: --keys"},
	})
}

func TestProductOptions(t *testing.T) {
	testParse(t, newProductListCmd, []parseCase[productListOptions]{
		{args: nil, want: &productListOptions{Store: defaultStore, Format: "table"}},
		{args: []string{"--format", "json", "--data", "/d"}, want: &productListOptions{Store: storeFlags{data: "/d"}, Format: "json"}},
		{args: []string{"--format", "xml"}, wantErr: "--format"},
		{args: []string{"Gateway"}, wantErr: "unknown command"},
	})
}
