package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sbomTestdata = "../sbom/testdata/"

func TestSBOMInspect(t *testing.T) {
	testCLI(t, []cliCase{
		{name: "table", args: []string{"sbom", "inspect", sbomTestdata + "gateway-fw-1.6.cdx.json"}, code: ExitOK,
			outHas: []string{"CycloneDX 1.6 (json)", "Components", "acme-gateway-firmware 2.4.1 (firmware)"}},
		{name: "json", args: []string{"sbom", "inspect", "--format", "json", sbomTestdata + "router-fw-1.4.cdx.xml"}, code: ExitOK,
			jsonWant: map[string]any{"format": "cyclonedx", "spec_version": "1.4", "encoding": "xml", "components": 3.0, "purls": 3.0, "cpes": 1.0, "edges": 3.0}},
		{name: "json spdx", args: []string{"sbom", "inspect", "--format=json", sbomTestdata + "camera-fw-2.3.spdx.json"}, code: ExitOK,
			jsonWant: map[string]any{"format": "spdx", "spec_version": "2.3", "encoding": "json", "components": 3.0, "licenses": 3.0, "edges": 4.0}},
		{name: "stdin", args: []string{"sbom", "inspect", "--format", "json", "-"}, stdin: mustRead(t, sbomTestdata+"sensor-fw-2.2.spdx"), code: ExitOK,
			jsonWant: map[string]any{"format": "spdx", "spec_version": "2.2", "encoding": "tag-value", "file": "-"}},
		{name: "yocto bundle", args: []string{"sbom", "inspect", "--format=json", sbomTestdata + "yocto/core-image-minimal-qemux86-64.spdx.tar.zst"}, code: ExitOK,
			jsonWant: map[string]any{"format": "spdx", "spec_version": "2.2", "encoding": "tar", "components": 4.0, "cpes": 4.0, "edges": 5.0}},
		{name: "yocto bundle missing a document", args: []string{"sbom", "inspect", sbomTestdata + "yocto/missing-base-files.spdx.tar.gz"}, code: ExitOK,
			outHas: []string{"SPDX 2.2 (tar)", "Warning", "DocumentRef-base-files"}},
		{name: "invalid", args: []string{"sbom", "inspect", sbomTestdata + "invalid-hash-alg.cdx.json"}, code: ExitFailure,
			errHas: []string{"invalid-hash-alg.cdx.json: /components/1/hashes/0/alg", "SHA-257"}},
		{name: "not an sbom", args: []string{"sbom", "inspect", sbomTestdata + "not-an-sbom.txt"}, code: ExitFailure,
			errHas: []string{"not-an-sbom.txt", "unknown SBOM format"}},
		{name: "spdx 3", args: []string{"sbom", "inspect", "--format", "json", sbomTestdata + "yocto-core-image-minimal.rootfs.spdx.json"}, code: ExitOK,
			jsonWant: map[string]any{"format": "spdx", "spec_version": "3.0.1", "encoding": "json-ld", "components": 9.0, "purls": 7.0, "cpes": 6.0, "licenses": 9.0, "suppliers": 2.0, "hashes": 2.0, "edges": 6.0}},
		{name: "spdx 3.1", args: []string{"sbom", "inspect", "-"}, stdin: `{"@context": "https://spdx.org/rdf/3.1/spdx-context.jsonld", "@graph": []}`, code: ExitFailure,
			errHas: []string{"unsupported SBOM version", "SPDX 3.1"}},
		{name: "missing file", args: []string{"sbom", "inspect", "no-such-file.json"}, code: ExitError, errHas: []string{"no-such-file.json"}},
		{name: "bad format flag", args: []string{"sbom", "inspect", "--format", "xml", sbomTestdata + "gateway-fw-1.6.cdx.json"}, code: ExitError, errHas: []string{"--format"}},
		{name: "no args", args: []string{"sbom", "inspect"}, code: ExitError, errHas: []string{"accepts 1 arg"}},
	})
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSBOMConvert(t *testing.T) {
	dir := t.TempDir()
	cdxOut := filepath.Join(dir, "out.cdx.json")
	code, _, errOut := run(t, "", "sbom", "convert", sbomTestdata+"sensor-fw-2.2.spdx", "--to", "cyclonedx-json", "-o", cdxOut)
	if code != ExitOK {
		t.Fatalf("convert to CycloneDX: exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "wrote "+cdxOut) {
		t.Errorf("stderr = %q", errOut)
	}
	// The converted file inspects as valid CycloneDX 1.6 with the same counts.
	code, out, errOut := run(t, "", "sbom", "inspect", "--format", "json", cdxOut)
	if code != ExitOK {
		t.Fatalf("inspect converted: exit %d: %s", code, errOut)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	if sum["format"] != "cyclonedx" || sum["spec_version"] != "1.6" || sum["components"] != 2.0 || sum["edges"] != 3.0 {
		t.Errorf("converted summary = %v", sum)
	}

	// To SPDX on stdout, from CycloneDX XML.
	code, out, errOut = run(t, "", "sbom", "convert", sbomTestdata+"router-fw-1.4.cdx.xml", "--to", "spdx-json")
	if code != ExitOK {
		t.Fatalf("convert to SPDX: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"spdxVersion": "SPDX-2.3"`) {
		t.Errorf("stdout is not SPDX 2.3:\n%.300s", out)
	}
	spdxOut := filepath.Join(dir, "out.spdx.json")
	if err := os.WriteFile(spdxOut, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "", "sbom", "inspect", spdxOut); code != ExitOK {
		t.Errorf("converted SPDX does not inspect: %s", errOut)
	}

	testCLI(t, []cliCase{
		{args: []string{"sbom", "convert", sbomTestdata + "gateway-fw-1.6.cdx.json"}, code: ExitError, errHas: []string{"--to is required"}},
		{args: []string{"sbom", "convert", sbomTestdata + "gateway-fw-1.6.cdx.json", "--to", "cyclonedx-xml"}, code: ExitError, errHas: []string{"--to must be"}},
		{args: []string{"sbom", "convert", sbomTestdata + "truncated.cdx.json", "--to", "spdx-json"}, code: ExitFailure, errHas: []string{"truncated JSON"}},
	})
}
