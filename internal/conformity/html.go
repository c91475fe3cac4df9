package conformity

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html/template"
	"io"
	"strings"
)

//go:embed report.html.tmpl
var reportTmpl string

// reportCSS is inlined in the exported report, so the file stands alone
// (printed, archived in the technical documentation, or sent to a notified
// body). Servers allow it with StyleHash in their Content-Security-Policy.
const reportCSS = `body{font:14px/1.45 system-ui,sans-serif;color:#1b1f24;margin:2rem auto;max-width:72rem;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
.meta,.note{color:#57606a}.summary .s{margin-right:.8rem;font-weight:600}
table{border-collapse:collapse;width:100%;margin:.3rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .45rem;vertical-align:top;text-align:left}
th{background:#f6f8fa}td.id{white-space:nowrap;font-weight:600}.q{color:#57606a;font-size:.9em}.src{color:#57606a;font-size:.85em}
.badge{display:inline-block;padding:0 .4rem;border-radius:.6rem;font-size:.85em;white-space:nowrap}
.met{background:#dafbe1;color:#116329}.not_met{background:#ffebe9;color:#a40e26}.needs_evidence{background:#fff8c5;color:#7d4e00}.not_applicable{background:#eaeef2;color:#424a53}
.score{float:right;color:#57606a;font-weight:400}.ev{white-space:nowrap}.gaps li{margin:.25rem 0}.why{color:#57606a}.lvl{color:#57606a;font-size:.85em}
@media print{body{margin:0;max-width:none}a{color:inherit;text-decoration:none}h2{break-after:avoid}tr{break-inside:avoid}}`

// StyleHash is the CSP source that allows the report's inline style.
func StyleHash() string {
	sum := sha256.Sum256([]byte(reportCSS))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"label": func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"level": func(s string) string {
		if s == "mandatory" {
			return "M"
		}
		return "R"
	},
}).Parse(reportTmpl))

type groupItems struct {
	G     GroupSummary
	Items []Result
}

// HTMLOptions tune the exported report.
type HTMLOptions struct {
	// Base is prefixed to evidence links (e.g. https://rampart.example.com),
	// so links work from a saved file.
	Base string
	// Changes, when set, are listed as the changes since Previous.
	Changes  []Change
	Previous string
}

// WriteHTML writes the report as one self-contained, printable HTML page:
// gaps first, then every group's items with status, detail and evidence.
func WriteHTML(w io.Writer, r *Report, opt HTMLOptions) error {
	var groups []groupItems
	for _, g := range r.Groups {
		gi := groupItems{G: g}
		for _, it := range r.Items {
			if it.Group == g.ID {
				gi.Items = append(gi.Items, it)
			}
		}
		groups = append(groups, gi)
	}
	return reportPage.Execute(w, map[string]any{"R": r, "Groups": groups, "CSS": template.CSS(reportCSS),
		"Base": strings.TrimRight(opt.Base, "/"), "Changes": opt.Changes, "Previous": opt.Previous})
}
