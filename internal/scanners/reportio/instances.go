package reportio

import (
	"fmt"
	"strings"
)

// MaxInstanceLines bounds the instance lines a web finding's description
// lists; the rest are counted.
const MaxInstanceLines = 100

// maxInstanceDetail bounds the detail (evidence, data) of one line.
const maxInstanceDetail = 300

// Instances lists where a web scanner found one check (ZAP's alert
// instances, GitLab DAST's vulnerabilities of one check, Qualys WAS's
// detections of one QID) as description lines: "- GET https://…/search
// (parameter q): evidence", at most MaxInstanceLines, each detail cut at
// 300 bytes, so a finding's description stays small however many URLs
// the report lists.
type Instances struct {
	lines []string
	more  int
}

// Add records one instance; a blank one (no method, URL, parameter or
// detail) is not listed.
func (in *Instances) Add(method, url, param, detail string) {
	line := strings.TrimSpace(strings.TrimSpace(method) + " " + strings.TrimSpace(url))
	if p := strings.TrimSpace(param); p != "" {
		line = strings.TrimSpace(line + " (parameter " + p + ")")
	}
	if d := strings.TrimSpace(detail); d != "" {
		line += ": " + Clip(d, maxInstanceDetail)
	}
	if line == "" {
		return
	}
	if len(in.lines) < MaxInstanceLines {
		in.lines = append(in.lines, "- "+line)
	} else {
		in.more++
	}
}

// Section is the lines under the heading label ("Instances:\n- …"), with
// "… and N more" for those not listed; "" when none was added.
func (in *Instances) Section(label string) string {
	if len(in.lines) == 0 {
		return ""
	}
	s := label + ":\n" + strings.Join(in.lines, "\n")
	if in.more > 0 {
		s += fmt.Sprintf("\n… and %d more", in.more)
	}
	return s
}
