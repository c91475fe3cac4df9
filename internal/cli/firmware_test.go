package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const firmwareFixture = "../firmware/testdata/rootfs.sqsh"

// writeTarImage writes a tar.gz firmware image holding files (path → mode, content).
func writeTarImage(t *testing.T, name string, files map[string]struct {
	mode int64
	data string
}) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for p, f := range files {
		tw.WriteHeader(&tar.Header{Name: p, Mode: f.mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg})
		tw.Write([]byte(f.data))
	}
	tw.Close()
	zw.Close()
	out := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFirmwareAnalyzeExitCodesAndFormats(t *testing.T) {
	code, out, errs := run(t, "", "firmware", "analyze", firmwareFixture, "--format", "json")
	if code != 0 {
		t.Fatalf("json: %d %s", code, errs)
	}
	var res struct {
		Image  string `json:"image"`
		Issues []struct {
			Kind, Severity string
		} `json:"issues"`
		Counts struct {
			Files    int `json:"files"`
			ELFFiles int `json:"elf_files"`
		} `json:"counts"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Counts.Files == 0 || res.Counts.ELFFiles != 6 || len(res.Issues) == 0 {
		t.Fatalf("json result: %v %+v", err, res)
	}
	// A clean image passes any gate.
	clean := writeTarImage(t, "clean.tar.gz", map[string]struct {
		mode int64
		data string
	}{"etc/hostname": {0o644, "router\n"}})
	junk := filepath.Join(t.TempDir(), "junk.bin")
	os.WriteFile(junk, bytes.Repeat([]byte("not firmware "), 100), 0o644)
	testCLI(t, []cliCase{
		{name: "--fail-on critical", args: []string{"firmware", "analyze", firmwareFixture, "--fail-on", "critical"}, code: ExitFailure, errHas: []string{"at or above critical"}},
		{name: "sarif", args: []string{"firmware", "analyze", firmwareFixture, "--format", "sarif"}, outHas: []string{`"version": "2.1.0"`}},
		{name: "cyclonedx", args: []string{"firmware", "analyze", firmwareFixture, "--format", "cyclonedx"}, outHas: []string{`"specVersion": "1.6"`, "busybox"}},
		{name: "table", args: []string{"firmware", "analyze", firmwareFixture}, outHas: []string{"default_password", "RELRO"}},
		{name: "clean image", args: []string{"firmware", "analyze", clean, "--fail-on", "info"}},
		// Unreadable input: exit 2.
		{name: "missing file", args: []string{"firmware", "analyze", filepath.Join(t.TempDir(), "missing.bin")}, code: ExitError},
		{name: "junk", args: []string{"firmware", "analyze", junk}, code: ExitError, errHas: []string{"no known filesystem"}},
		{name: "bad format", args: []string{"firmware", "analyze", firmwareFixture, "--format", "xml"}, code: ExitError},
		{name: "bad --fail-on", args: []string{"firmware", "analyze", firmwareFixture, "--fail-on", "severe"}, code: ExitError},
	})
}

func TestFirmwareDiffGate(t *testing.T) {
	type f = struct {
		mode int64
		data string
	}
	oldImg := writeTarImage(t, "v1.tar.gz", map[string]f{
		"etc/passwd":     {0o644, "root:x:0:0:root:/root:/bin/sh\n"},
		"etc/init.d/rcS": {0o755, "#!/bin/sh\ndropbear -p 22\n"},
		"usr/bin/tool":   {0o755, "tool"},
		"etc/app.conf":   {0o644, "user=admin\n"},
	})
	newImg := writeTarImage(t, "v2.tar.gz", map[string]f{
		"etc/passwd":     {0o644, "root:x:0:0:root:/root:/bin/sh\n"},
		"etc/init.d/rcS": {0o755, "#!/bin/sh\ndropbear -p 22\ntelnetd -l /bin/sh\n"},
		"usr/bin/tool":   {0o4755, "tool"},
		"etc/app.conf":   {0o644, "user=admin\npassword=Factory123\n"},
	})
	code, out, errs := run(t, "", "firmware", "diff", oldImg, newImg, "--format", "json", "--fail-on", "high")
	if code != ExitFailure {
		t.Errorf("diff gate: %d %s", code, errs)
	}
	var d struct {
		Changes []struct{ Change, Kind, Severity, Path string } `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, c := range d.Changes {
		got[c.Change+" "+c.Kind+" "+c.Path] = true
	}
	for _, w := range []string{"added_issue setuid_root /usr/bin/tool", "added_issue cleartext_service /etc/init.d/rcS", "added_issue hardcoded_credential /etc/app.conf"} {
		if !got[w] {
			t.Errorf("missing change %q in %v", w, got)
		}
	}
	// The same image twice: no changes, the gate passes.
	if code, out, _ := run(t, "", "firmware", "diff", oldImg, oldImg, "--fail-on", "info"); code != 0 || !strings.Contains(out, "0 changes") {
		t.Errorf("identical: %d %s", code, out)
	}
	if code, _, _ := run(t, "", "firmware", "diff", oldImg, filepath.Join(t.TempDir(), "nope")); code != ExitError {
		t.Errorf("unreadable NEW: %d", code)
	}
}

func TestFirmwareInventory(t *testing.T) {
	code, out, _ := run(t, "", "firmware", "inventory", firmwareFixture)
	if code != 0 {
		t.Fatal(code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var e struct {
		Path, Kind, Mode, SHA256 string
		UID                      int
		Size                     int64
	}
	found := false
	for _, l := range lines {
		json.Unmarshal([]byte(l), &e)
		if e.Path == "/usr/bin/suid-root" {
			found = e.Mode == "4755" && e.UID == 0 && len(e.SHA256) == 64 && e.Size > 0
		}
	}
	if !found {
		t.Errorf("inventory lacks /usr/bin/suid-root with mode 4755")
	}
}

// TestFirmwareAnalyzeFITKey: --fit-key verifies a signed FIT (JSON
// "fit" signatures verified), a tampered copy fails a high gate, a key
// file that is no key is exit 2, and without a key the warning says so.
func TestFirmwareAnalyzeFITKey(t *testing.T) {
	const dir = "../firmware/testdata/fitsig/"
	testCLI(t, []cliCase{
		{name: "verified", args: []string{"firmware", "analyze", dir + "rsa.itb", "--fit-key", dir + "control-rsa.dtb", "--format", "json", "--fail-on", "medium"},
			outHas: []string{`"fit": [`, `"node": "/configurations/conf-1/signature-1"`, `"result": "verified"`, `"key": "` + dir + `control-rsa.dtb /signature/key-dev"`}},
		{name: "pem and table", args: []string{"firmware", "analyze", dir + "ec.itb", "--fit-key", dir + "ec.pub.pem"}, outHas: []string{"(image)@0x0", "sha256,ecdsa256", "verified"}},
		{name: "tampered", args: []string{"firmware", "analyze", dir + "rsa-tampered.itb", "--fit-key", dir + "control-rsa.dtb", "--fail-on", "high"}, code: ExitFailure, outHas: []string{"bad_fit_signature"}},
		{name: "no key", args: []string{"firmware", "analyze", dir + "rsa.itb"}, errHas: []string{`not verified: no rsa2048 key named "dev"`}},
		{name: "not a key", args: []string{"firmware", "analyze", dir + "rsa.itb", "--fit-key", dir + "rsa.its"}, code: ExitError, errHas: []string{"--fit-key", "neither a device tree nor a PEM public key"}},
	})
}
