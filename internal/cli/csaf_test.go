package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCSAFValidate(t *testing.T) {
	const good = "../advisory/csaf/testdata/rampart-sa-2026-001.json"
	const bad = "../advisory/csaf/testdata/invalid-contradictions.json"
	if code, out, errOut := run(t, "", "csaf", "validate", good); code != ExitOK || !strings.Contains(out, ": valid (") || strings.Contains(out, "failures") {
		t.Fatalf("valid file: exit %d\n%s%s", code, out, errOut)
	}
	if _, out, _ := run(t, "", "csaf", "validate", bad); !strings.Contains(out, ": INVALID (") || !strings.Contains(out, " mandatory tests failed") {
		t.Fatalf("invalid file's summary line:\n%s", out)
	}
	code, out, _ := run(t, "", "csaf", "validate", "--format", "json", good, bad)
	if code != ExitFailure {
		t.Fatalf("invalid file: exit %d, want 1\n%s", code, out)
	}
	var got struct {
		Documents []struct {
			File     string `json:"file"`
			Valid    bool   `json:"valid"`
			Failures []struct {
				Test, Kind, Path, Message string
			} `json:"failures"`
		} `json:"documents"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(got.Documents) != 2 || !got.Documents[0].Valid || got.Documents[1].Valid {
		t.Fatalf("documents: %+v", got.Documents)
	}
	tests := map[string]string{}
	for _, f := range got.Documents[1].Failures {
		tests[f.Test] = f.Kind
	}
	for _, id := range []string{"schema", "6.1.1", "6.1.6", "6.1.9"} {
		if tests[id] != "mandatory" {
			t.Errorf("want mandatory failure %s, got %v", id, tests)
		}
	}
	if code, _, _ := run(t, "", "csaf", "validate", "testdata/does-not-exist.json"); code != ExitError {
		t.Errorf("missing file: exit %d, want 2", code)
	}
	if code, _, _ := run(t, "", "csaf", "validate", "--format", "xml", good); code != ExitError {
		t.Errorf("bad format: exit %d, want 2", code)
	}
	if code, _, _ := run(t, "", "csaf", "validate"); code != ExitError {
		t.Errorf("no file: exit %d, want 2", code)
	}
}
