package incident

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzIntakeText: the intake sanitiser never panics, keeps its limits and
// leaves no control characters but newline and tab.
func FuzzIntakeText(f *testing.F) {
	for _, s := range []string{"", "RCE in /cgi-bin", "<script>alert(1)</script>", "a\r\nb\x00c\x1b[31m", "\xff\xfe", strings.Repeat("é", 150)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1<<16 {
			return
		}
		out, err := cleanText("title", s, MaxIntakeTitle, true)
		if err != nil {
			return
		}
		if len(out) > MaxIntakeTitle || out == "" || !utf8.ValidString(out) {
			t.Fatalf("cleanText(%q) = %q", s, out)
		}
		for _, r := range out {
			if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
				t.Fatalf("control character %U left in %q", r, out)
			}
		}
	})
}

// FuzzMarkdownReport: a report built from arbitrary reporter text renders
// without raw HTML and without injected headings.
func FuzzMarkdownReport(f *testing.F) {
	f.Add("title", "nature", "<img src=x onerror=alert(1)>")
	f.Add("# heading", "line\n# injected", "[link](javascript:alert(1))")
	f.Fuzz(func(t *testing.T, title, nature, exp string) {
		if len(title)+len(nature)+len(exp) > 1<<14 {
			return
		}
		inc := &Incident{ID: 1, Kind: KindIncident, Title: title, Severity: "high", AwareAt: time.Unix(1e9, 0).UTC(),
			Details: Details{Nature: nature, Exploitation: exp}, Submissions: map[ReportKind]Submission{}}
		var b bytes.Buffer
		if err := WriteMarkdown(&b, BuildReport(inc, FinalReport, nil, nil, time.Unix(1e9, 0))); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if strings.ContainsAny(title+nature+exp, "<") && strings.Contains(out, "<") {
			t.Fatalf("raw < in markdown:\n%s", out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "# Final report") && !strings.HasPrefix(line, "## ") {
				t.Fatalf("injected heading %q", line)
			}
		}
	})
}
