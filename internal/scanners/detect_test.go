package scanners_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners"
)

// TestEmptyInputWithTool: an empty (or blank, or BOM-only) file given with
// --tool is an empty report of every format; without --tool it is an error
// that says to give the tool.
func TestEmptyInputWithTool(t *testing.T) {
	for _, in := range []string{"", "  \n\t\r\n", "\xef\xbb\xbf", "\xef\xbb\xbf\n"} {
		for _, f := range scanners.Formats() {
			format, list, err := scanners.Parse(strings.NewReader(in), "empty.txt", f.Name)
			if err != nil || len(list) != 0 || format != f.Name {
				t.Errorf("%s on %q: %s, %d findings, %v; want an empty report", f.Name, in, format, len(list), err)
			}
		}
		_, _, err := scanners.Parse(strings.NewReader(in), "empty.txt", "")
		if err == nil || !strings.Contains(err.Error(), "empty file") || !strings.Contains(err.Error(), "--tool") {
			t.Errorf("no tool on %q: %v, want an error asking for --tool", in, err)
		}
	}
}

// corpusFiles returns every file of the supported corpus folders with the
// format it must be detected as ("" for the undetectable ones).
func corpusFiles(t *testing.T) map[string]string {
	root := corpustest.Dir(t, "scans")
	out := map[string]string{}
	for folder, want := range folderFormat {
		ents, err := os.ReadDir(filepath.Join(root, folder))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			rel := folder + "/" + e.Name()
			name := want.xmlOrJSON
			if folder == "cyclonedx" && strings.HasSuffix(rel, ".xml") {
				name = "cyclonedx-xml"
			}
			if rel == "snyk/snykcode_issue_9270.json" {
				name = "sarif"
			}
			if strings.HasSuffix(e.Name(), ".csv") {
				name = want.csv
			}
			if _, ok := undetectable[rel]; ok {
				name = ""
			}
			out[filepath.Join(root, rel)] = name
		}
	}
	return out
}

// reports returns the corpus files that are detectable reports of a
// supported format and parse (not failing), with their format.
func reports(t *testing.T) map[string]string {
	out := map[string]string{}
	for path, want := range corpusFiles(t) {
		if _, bad := failing[rel(path)]; want != "" && !bad {
			out[path] = want
		}
	}
	return out
}

// readReport reads the corpus report path and parses it as tool (detected
// when ""), failing the test on error and when it is not read as partial
// exactly when it is listed incomplete.
func readReport(t *testing.T, path, tool string) ([]byte, []findings.Finding) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, list, partial, err := parseBytes(data, path, tool)
	if err != nil {
		t.Fatalf("%s: %v", rel(path), err)
	}
	if why, ok := incomplete[rel(path)]; ok != (partial != nil) || ok && !strings.Contains(partial.Error(), why) {
		t.Fatalf("%s: read as partial: %v; want it partial (about %q): %v", rel(path), partial, why, ok)
	}
	return data, list
}

// parseBytes parses b as tool (detected when "") and takes it as read, as
// the import does, when the report says its scan did not complete after
// listing findings (findings.TakenAsPartial): that error is then partial,
// not err.
func parseBytes(b []byte, name, tool string) (format string, list []findings.Finding, partial, err error) {
	format, list, err = scanners.Parse(bytes.NewReader(b), name, tool)
	if findings.TakenAsPartial(err, len(list)) {
		return format, list, err, nil
	}
	return format, list, nil, err
}

// wantPartial reports whether the corpus report path is read as a partial
// scan (listed in incomplete).
func wantPartial(path string) bool {
	_, ok := incomplete[rel(path)]
	return ok
}

// TestEncodingVariants: a UTF-8 byte-order mark, or UTF-16 with its BOM
// (as PowerShell's redirection writes), changes neither detection nor the
// findings of any corpus report.
func TestEncodingVariants(t *testing.T) {
	for path, want := range reports(t) {
		data, base := readReport(t, path, "")
		variants := map[string][]byte{"utf-8 BOM": append([]byte("\xef\xbb\xbf"), data...)}
		if len(data) < 400<<10 {
			variants["utf-16le BOM"] = utf16LE(data)
		}
		for v, b := range variants {
			got, list, partial, err := parseBytes(b, path, "")
			if err != nil || got != want || len(list) != len(base) || (partial != nil) != wantPartial(path) {
				t.Errorf("%s with %s: %s, %d findings, %v (partial: %v); want %s, %d findings (partial %v)", rel(path), v, got, len(list), err, partial, want, len(base), wantPartial(path))
			}
		}
	}
}

func utf16LE(b []byte) []byte {
	out := []byte{0xff, 0xfe}
	for _, r := range string(b) {
		if r >= 0x10000 {
			r -= 0x10000
			hi, lo := 0xD800+(r>>10), 0xDC00+(r&0x3ff)
			out = append(out, byte(hi), byte(hi>>8), byte(lo), byte(lo>>8))
			continue
		}
		out = append(out, byte(r), byte(r>>8))
	}
	return out
}

func rel(path string) string {
	return filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path)
}

// TestXML11 reads XML 1.1 reports (Burp writes them when base64 encoding
// of requests is off), including the control characters XML 1.1 allows
// as character references.
func TestXML11(t *testing.T) {
	for path, want := range reports(t) {
		if !strings.HasSuffix(path, ".xml") {
			continue
		}
		data, base := readReport(t, path, "")
		b := data
		if i := bytes.Index(b, []byte("<?xml")); i >= 0 && i < 8 {
			b = bytes.Replace(b, []byte(`version="1.0"`), []byte(`version="1.1"`), 1)
		} else {
			b = append([]byte(`<?xml version="1.1" encoding="UTF-8"?>`+"\n"), b...)
		}
		// A control character reference and a raw one inside the first
		// element's text, as XML 1.1 writers produce.
		if i := bytes.Index(b, []byte("?>")); i >= 0 {
			b = append(b[:i+2:i+2], append([]byte("<!-- \x01 -->"), b[i+2:]...)...)
		}
		got, list, partial, err := parseBytes(b, path, "")
		if err != nil || got != want || len(list) != len(base) || (partial != nil) != wantPartial(path) {
			t.Errorf("%s as XML 1.1: %s, %d findings, %v (partial: %v); want %s, %d (partial %v)", rel(path), got, len(list), err, partial, want, len(base), wantPartial(path))
		}
	}
}

// writeOrdered writes v as JSON with object keys sorted ascending or
// descending at every level (gosec's SARIF sorts them; other writers put
// long sections first).
func writeOrdered(buf *bytes.Buffer, v any, desc bool) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if desc {
			sort.Sort(sort.Reverse(sort.StringSlice(keys)))
		}
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			buf.Write(kb)
			buf.WriteByte(':')
			writeOrdered(buf, x[k], desc)
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeOrdered(buf, e, desc)
		}
		buf.WriteByte(']')
	default:
		b, _ := json.Marshal(x)
		buf.Write(b)
	}
}

// TestDetectKeyOrder: every JSON corpus report, rewritten with its keys
// sorted ascending and descending at every level, is detected as the same
// format and gives the same findings count.
func TestDetectKeyOrder(t *testing.T) {
	for path, want := range reports(t) {
		if !strings.HasSuffix(path, ".json") && !strings.HasSuffix(path, ".sarif") {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > 512<<10 {
			continue // bounded time; the large leading sections have their own test
		}
		_, base, _, err := parseBytes(data, path, "")
		if err != nil {
			t.Fatalf("%s: %v", rel(path), err)
		}
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatalf("%s: %v", rel(path), err)
		}
		for _, desc := range []bool{false, true} {
			var buf bytes.Buffer
			writeOrdered(&buf, v, desc)
			got, list, partial, err := parseBytes(buf.Bytes(), path, "")
			if err != nil || got != want || len(list) != len(base) || (partial != nil) != wantPartial(path) {
				t.Errorf("%s keys sorted (descending %v): %s, %d findings, %v (partial: %v); want %s, %d (partial %v)", rel(path), desc, got, len(list), err, partial, want, len(base), wantPartial(path))
			}
		}
	}
}

// TestDetectLargeLeadingSections builds reports whose identifying keys
// come after sections larger than the detection window.
func TestDetectLargeLeadingSections(t *testing.T) {
	big := func(n int, item string) string {
		var sb strings.Builder
		for i := 0; sb.Len() < n; i++ {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(fmt.Sprintf(item, i))
		}
		return sb.String()
	}
	result := `{"ruleId":"G%d","level":"warning","message":{"text":"Weak crypto"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"main.go"},"region":{"startLine":1}}}]}`
	snykVuln := `{"id":"SNYK-JS-X-%d","title":"Prototype Pollution","severity":"high","packageName":"lodash","version":"4.17.4","from":["app@1.0.0","lodash@4.17.4"],"upgradePath":[],"identifiers":{"CVE":[]}}`
	semgrepErr := `{"code":3,"level":"warn","type":"Syntax error","message":"could not parse file %d","path":"x.js"}`
	semgrepRes := `{"check_id":"js.xss","path":"a.js","start":{"line":1,"col":1},"end":{"line":1,"col":2},"extra":{"message":"XSS","severity":"ERROR","metadata":{}}}`
	// GitLab's analyzers write "scan" after "vulnerabilities" (security
	// report schema 15, as gemnasium, semgrep and DAST write it).
	gitlabSAST := `{"id":"%d","name":"SQL injection","severity":"High","identifiers":[{"type":"semgrep_id","name":"bandit.B608","value":"bandit.B608"}],"location":{"file":"app/views.py","start_line":42}}`
	gitlabDS := `{"id":"%d","name":"Command Injection in lodash","severity":"High","identifiers":[{"type":"cve","name":"CVE-2021-23337","value":"CVE-2021-23337"}],"location":{"file":"package-lock.json","dependency":{"package":{"name":"lodash"},"version":"4.17.20"}}}`
	gitlabDAST := `{"id":"%d","name":"Missing header","severity":"Low","identifiers":[{"type":"ZAProxy_PluginId","name":"X","value":"10021"}],"location":{"hostname":"https://app.example.com","method":"GET","path":"/"}}`
	cases := []struct {
		name, tool, doc string
	}{
		{"GitLab SAST, scan last", "gitlab-sast",
			`{"version":"15.0.7","vulnerabilities":[` + big(5<<20, gitlabSAST) + `],"scan":{"type":"sast","scanner":{"id":"semgrep","name":"Semgrep"}}}`},
		{"GitLab dependency scanning, scan last", "gitlab-sast",
			`{"version":"15.0.6","vulnerabilities":[` + big(5<<20, gitlabDS) + `],"dependency_files":[],"scan":{"type":"dependency_scanning","scanner":{"id":"gemnasium","name":"Gemnasium"}}}`},
		{"GitLab DAST, scan last", "gitlab-dast",
			`{"version":"15.0.6","vulnerabilities":[` + big(5<<20, gitlabDAST) + `],"scan":{"type":"dast","scanner":{"id":"zaproxy","name":"OWASP Zed Attack Proxy (ZAP)"}}}`},
		{"gosec SARIF, sorted keys, results before tool, version last", "sarif",
			`{"runs":[{"results":[` + big(5<<20, result) + `],"tool":{"driver":{"name":"gosec","rules":[]}}}],"version":"2.1.0"}`},
		{"Snyk, long vulnerabilities array first", "snyk",
			`{"vulnerabilities":[` + big(5<<20, snykVuln) + `],"ok":false,"dependencyCount":3,"packageManager":"npm"}`},
		{"Semgrep, errors before results", "semgrep",
			`{"errors":[` + big(3<<20, semgrepErr) + `],"results":[` + semgrepRes + `],"version":"1.50.0"}`},
	}
	for _, tc := range cases {
		got, list, partial, err := parseBytes([]byte(tc.doc), "big.json", "")
		if err != nil || partial != nil || got != tc.tool || len(list) == 0 {
			t.Errorf("%s: %s, %d findings, %v (partial: %v); want %s", tc.name, got, len(list), err, partial, tc.tool)
		}
	}
}
