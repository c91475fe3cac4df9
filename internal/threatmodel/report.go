package threatmodel

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"

	"github.com/rampart-security/rampart/internal/sarif"
)

// WriteJSON writes the check result as indented JSON.
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// sarifLevel maps a threat severity to a SARIF result level.
func sarifLevel(sev string) sarif.Level {
	switch sev {
	case "critical", "high":
		return sarif.Error
	case "medium":
		return sarif.Warning
	}
	return sarif.Note
}

// WriteSARIF writes the result as SARIF 2.1.0 for code-scanning dashboards:
// one rule per threat rule in the order the threats first name them, one
// result per threat, located at the element or flow in the model file.
// Threats that are mitigated, accepted or not applicable are reported as
// suppressed results.
func WriteSARIF(w io.Writer, m *Model, lib *Library, r *Result, toolVersion string) error {
	uri := m.File()
	if uri == "" {
		uri = "threatmodel.yaml"
	}
	uri = strings.TrimPrefix(strings.ReplaceAll(uri, "\\", "/"), "./")
	run := sarif.Run{Tool: sarif.Tool{Name: "rampart-threatmodel", Version: toolVersion}, Rules: []sarif.Rule{}, Results: make([]sarif.Result, 0, len(r.Threats))}
	seen := map[string]bool{}
	for i := range r.Threats {
		t := &r.Threats[i]
		if !seen[t.Rule] {
			seen[t.Rule] = true
			run.Rules = append(run.Rules, sarifRule(t, lib.Rule(t.Rule)))
		}
		run.Results = append(run.Results, sarifResult(m, t, uri))
	}
	return sarif.Write(w, run)
}

// sarifRule is the SARIF rule of a threat's rule (rule may be nil for a
// threat from an imported model whose rule is not in the library).
func sarifRule(t *Threat, rule *Rule) sarif.Rule {
	sr := sarif.Rule{ID: t.Rule, Name: t.Title, ShortDescription: t.Title, FullDescription: t.Title, DefaultLevel: sarifLevel(t.Severity),
		Tags: append([]string{"security", "threat-model", t.STRIDE}, t.CWE...)}
	help := strings.Join(t.Mitigations, "\n")
	if rule != nil {
		if rule.Description != "" {
			sr.FullDescription = rule.Description
		}
		help = "- " + strings.Join(rule.Mitigations, "\n- ")
	}
	if help == "" {
		help = t.Title
	}
	sr.Help = help
	return sr
}

func sarifResult(m *Model, t *Threat, uri string) sarif.Result {
	loc := sarif.Location{URI: uri, StartLine: 1,
		Logical: &sarif.LogicalLocation{Name: t.Target, Kind: "object", FullyQualifiedName: t.TargetKind + ":" + t.Target}}
	var p Pos
	if e := m.Element(t.Target); e != nil {
		p = e.pos
	} else if f := m.Flow(t.Target); f != nil {
		p = f.pos
	}
	if p.Line > 0 {
		loc.StartLine, loc.StartColumn = p.Line, p.Column
	}
	res := sarif.Result{
		RuleID: t.Rule, Level: sarifLevel(t.Severity),
		Message:             t.Title + ": " + t.Why,
		Locations:           []sarif.Location{loc},
		PartialFingerprints: map[string]string{"rampartThreatId/v1": t.ID},
		Properties: map[string]any{"threatId": t.ID, "stride": t.STRIDE, "severity": t.Severity, "status": t.Status,
			"cwe": t.CWE, "capec": t.CAPEC, "etsi": t.ETSI, "security-severity": securitySeverity(t.Severity)},
	}
	if !t.Open() {
		res.Suppression = &sarif.Suppression{Kind: "external", Status: "accepted", Justification: strings.TrimSpace(t.Status + " " + t.Reason)}
	}
	return res
}

func securitySeverity(sev string) string {
	switch sev {
	case "critical":
		return "9.5"
	case "high":
		return "8.0"
	case "medium":
		return "5.5"
	case "low":
		return "3.0"
	}
	return "0.0"
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	return s
}

// WriteTable writes a plain-text table of the threats for terminals.
func WriteTable(w io.Writer, r *Result) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s: %d elements, %d flows, %d threats\n\n", r.Model, r.Elements, r.Flows, len(r.Threats))
	if len(r.Threats) > 0 {
		idW := 2
		for _, t := range r.Threats {
			idW = max(idW, len(t.ID))
		}
		fmt.Fprintf(&b, "%-8s  %-14s  %-*s  %-22s  %s\n", "SEVERITY", "STATUS", idW, "ID", "STRIDE", "TITLE")
		for _, t := range r.Threats {
			fmt.Fprintf(&b, "%-8s  %-14s  %-*s  %-22s  %s\n", t.Severity, t.Status, idW, t.ID, t.STRIDE, t.Title)
		}
		b.WriteByte('\n')
	}
	s := r.Summarize()
	fmt.Fprintf(&b, "open: %d (critical %d, high %d, medium %d, low %d, info %d); mitigated %d, accepted %d, not applicable %d\n",
		s.Open, s.BySeverity["critical"], s.BySeverity["high"], s.BySeverity["medium"], s.BySeverity["low"], s.BySeverity["info"],
		s.ByStatus[StatusMitigated], s.ByStatus[StatusAccepted], s.ByStatus[StatusNotApplicable])
	writeCompleteness(&b, r.Completeness)
	for _, wn := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", wn)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteMarkdown writes a review report: summary, diagram (Mermaid), elements,
// flows, threats by severity with explanations and mitigations, controls,
// assumptions and open items.
func WriteMarkdown(w io.Writer, m *Model, r *Result) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Threat model: %s\n\n", modelName(m))
	if m.Description != "" {
		fmt.Fprintf(&b, "%s\n\n", strings.TrimSpace(m.Description))
	}
	if m.Product.Name != "" || m.Owner != "" {
		fmt.Fprintf(&b, "| | |\n|---|---|\n")
		for _, kv := range [][2]string{{"Product", strings.TrimSpace(m.Product.Name + " " + m.Product.Version)}, {"Vendor", m.Product.Vendor}, {"Owner", m.Owner},
			{"Vulnerability disclosure", m.Product.VulnerabilityDisclosure}, {"Support period", m.Product.SupportPeriod}} {
			if kv[1] != "" {
				fmt.Fprintf(&b, "| %s | %s |\n", kv[0], mdEscape(kv[1]))
			}
		}
		b.WriteString("\n")
	}
	s := r.Summarize()
	b.WriteString("## Summary\n\n")
	fmt.Fprintf(&b, "%d elements, %d flows, %d trust boundaries. %d threats: **%d open**, %d mitigated, %d accepted, %d not applicable.\n\n",
		len(m.Elements), len(m.Flows), len(m.Boundaries), s.Total, s.Open, s.ByStatus[StatusMitigated], s.ByStatus[StatusAccepted], s.ByStatus[StatusNotApplicable])
	b.WriteString("| Open by severity | critical | high | medium | low | info |\n|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| | %d | %d | %d | %d | %d |\n\n", s.BySeverity["critical"], s.BySeverity["high"], s.BySeverity["medium"], s.BySeverity["low"], s.BySeverity["info"])
	b.WriteString("| STRIDE | threats |\n|---|---|\n")
	for _, c := range STRIDECategories {
		fmt.Fprintf(&b, "| %s | %d |\n", strideLabel(c), s.BySTRIDE[c])
	}
	b.WriteString("\n## Data-flow diagram\n\n```mermaid\n")
	if err := WriteMermaid(&b, m, DiagramOptions{Result: r}); err != nil {
		return err
	}
	b.WriteString("```\n\n## Elements\n\n| id | name | type | trust boundary | open threats |\n|---|---|---|---|---|\n")
	counts := r.CountByTarget()
	for _, e := range m.Elements {
		bn := ""
		if bd := m.Boundary(e.Boundary); bd != nil {
			bn = bd.Name
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %d |\n", e.ID, mdEscape(e.Name), e.Type, mdEscape(bn), counts[e.ID])
	}
	if len(m.Flows) > 0 {
		b.WriteString("\n## Data flows\n\n| id | from | to | protocol | encrypted | authentication | data |\n|---|---|---|---|---|---|---|\n")
		for _, f := range m.Flows {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", f.ID, mdEscape(elemName(m, f.From)), mdEscape(elemName(m, f.To)),
				mdEscape(f.Protocol), yesNo(f.Encrypted), mdEscape(orDash(f.Authentication)), mdEscape(assetNames(m, f.Data)))
		}
	}
	b.WriteString("\n## Threats\n")
	for _, sev := range Severities {
		var ts []Threat
		for _, t := range r.Threats {
			if t.Severity == sev {
				ts = append(ts, t)
			}
		}
		if len(ts) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n### %s (%d)\n", strings.ToUpper(sev[:1])+sev[1:], len(ts))
		for _, t := range ts {
			fmt.Fprintf(&b, "\n#### %s — %s\n\n", t.Title, mdEscape(orDash(t.TargetName)))
			fmt.Fprintf(&b, "- **Id:** `%s` · **STRIDE:** %s · **Status:** %s", t.ID, strideLabel(t.STRIDE), t.Status)
			if t.Reason != "" {
				fmt.Fprintf(&b, " (%s)", mdEscape(t.Reason))
			}
			b.WriteString("\n")
			fmt.Fprintf(&b, "- **Why:** %s\n", t.Why)
			if refs := slices.Concat(t.CWE, t.CAPEC, etsiRefs(t.ETSI)); len(refs) > 0 {
				fmt.Fprintf(&b, "- **References:** %s\n", strings.Join(refs, ", "))
			}
			if len(t.Controls) > 0 {
				fmt.Fprintf(&b, "- **Controls:** %s\n", strings.Join(t.Controls, ", "))
			}
			for _, mt := range t.Mitigations {
				fmt.Fprintf(&b, "- [ ] %s\n", mt)
			}
		}
	}
	if etsi := r.ETSI(); len(etsi) > 0 {
		b.WriteString("\n## ETSI EN 303 645 provisions\n\n| provision | open threats | closed |\n|---|---|---|\n")
		for _, p := range etsi {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", p.Provision, orDash(strings.Join(p.Open, ", ")), orDash(strings.Join(p.Closed, ", ")))
		}
	}
	if len(m.Mitigations) > 0 {
		b.WriteString("\n## Mitigations\n\n| id | title | status | owner | threats |\n|---|---|---|---|---|\n")
		for _, mt := range m.Mitigations {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", mt.ID, mdEscape(mt.Title), orDash(mt.Status), mdEscape(orDash(mt.Owner)), mdEscape(strings.Join(mt.Threats, ", ")))
		}
	}
	if len(m.Assumptions) > 0 {
		b.WriteString("\n## Assumptions\n\n")
		for _, a := range m.Assumptions {
			fmt.Fprintf(&b, "- `%s`: %s\n", a.ID, strings.TrimSpace(a.Description))
		}
	}
	if c := r.Completeness; c != nil && c.Total > 0 {
		fmt.Fprintf(&b, "\n## Model completeness\n\n%d%% (%d of %d attributes the rules read are stated). Where the model is silent the rules assume the unsafe answer.\n", c.Percent(), c.Stated, c.Total)
		if top := c.Top(10); len(top) > 0 {
			b.WriteString("\n| unstated attribute | assumed | threats depending on it |\n|---|---|---|\n")
			for _, a := range top {
				what := a.Path()
				if a.TargetName != "" {
					what += " (" + oneLine(a.TargetName) + ")"
				}
				fmt.Fprintf(&b, "| %s | %s | %d |\n", mdEscape(what), mdEscape(a.Assumed), len(a.Threats))
			}
		}
	}
	b.WriteString("\n## Open items\n\n")
	open := r.OpenAtOrAbove("high")
	if len(open) == 0 {
		b.WriteString("No open threats of high or critical severity.\n")
	}
	for _, t := range open {
		fmt.Fprintf(&b, "- [ ] **%s** `%s` %s — %s\n", t.Severity, t.ID, t.Title, mdEscape(orDash(t.TargetName)))
	}
	_, err := w.Write(b.Bytes())
	return err
}

func etsiRefs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "ETSI EN 303 645 " + id
	}
	return out
}

func strideLabel(s string) string {
	switch s {
	case "spoofing":
		return "Spoofing"
	case "tampering":
		return "Tampering"
	case "repudiation":
		return "Repudiation"
	case "information_disclosure":
		return "Information disclosure"
	case "denial_of_service":
		return "Denial of service"
	case "elevation_of_privilege":
		return "Elevation of privilege"
	}
	return s
}

func elemName(m *Model, id string) string {
	if e := m.Element(id); e != nil && e.Name != "" {
		return e.Name
	}
	return id
}

func assetNames(m *Model, ids []string) string {
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		if a := m.Asset(id); a != nil && a.Name != "" {
			names = append(names, a.Name)
		} else {
			names = append(names, id)
		}
	}
	return strings.Join(names, ", ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

//go:embed report.html.tmpl
var reportFS embed.FS

var reportTmpl = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"stride": strideLabel, "upper": strings.ToUpper, "join": strings.Join,
	"elemName": func(m *Model, id string) string { return elemName(m, id) },
	"assets":   func(m *Model, ids []string) string { return assetNames(m, ids) },
	"etsi":     etsiRefs,
}).ParseFS(reportFS, "report.html.tmpl"))

// WriteHTML writes a self-contained HTML report; svg is the diagram from
// Renderer.SVG (may be nil). The SVG is produced by Graphviz from escaped
// labels and embedded as is.
func WriteHTML(w io.Writer, m *Model, r *Result, svg []byte) error {
	bySev := map[string][]Threat{}
	for _, t := range r.Threats {
		bySev[t.Severity] = append(bySev[t.Severity], t)
	}
	type group struct {
		Severity string
		Threats  []Threat
	}
	var groups []group
	for _, s := range Severities {
		if len(bySev[s]) > 0 {
			groups = append(groups, group{s, bySev[s]})
		}
	}
	// Drop the XML prolog and DOCTYPE so the SVG can be inlined.
	if i := bytes.Index(svg, []byte("<svg")); i > 0 {
		svg = svg[i:]
	}
	data := map[string]any{
		"M": m, "R": r, "S": r.Summarize(), "Groups": groups, "STRIDE": STRIDECategories,
		"SVG":    template.HTML(svg), // #nosec: generated by Graphviz from escaped DOT
		"Open":   r.OpenAtOrAbove("high"),
		"ETSI":   r.ETSI(),
		"Counts": r.CountByTarget(),
		"Title":  modelName(m),
	}
	return reportTmpl.Execute(w, data)
}

// writeCompleteness writes the completeness score and the unstated
// attributes that the most threats depend on.
func writeCompleteness(b *bytes.Buffer, c *Completeness) {
	if c == nil || c.Total == 0 {
		return
	}
	fmt.Fprintf(b, "completeness: %.0f%% (%d of %d attributes the rules read are stated)\n", c.Score*100, c.Stated, c.Total)
	if len(c.Attributes) == 0 {
		return
	}
	b.WriteString("unstated attributes that the most threats depend on (state them to refine the threats):\n")
	for _, a := range c.Attributes {
		what := a.Path()
		if a.TargetName != "" {
			what += " (" + oneLine(a.TargetName) + ")"
		}
		fmt.Fprintf(b, "  %3d threat%s  %s: assumed %s\n", len(a.Threats), plural(len(a.Threats)), what, a.Assumed)
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
