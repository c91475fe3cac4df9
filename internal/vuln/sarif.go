package vuln

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/rampart-security/rampart/internal/sarif"
)

// sarifLevel maps a match severity to a SARIF result level.
func sarifLevel(l Level) sarif.Level {
	switch l {
	case LevelCritical, LevelHigh:
		return sarif.Error
	case LevelMedium:
		return sarif.Warning
	}
	return sarif.Note
}

// WriteSARIF writes the open (not VEX-suppressed) matches as a SARIF 2.1.0
// log of the tool "rampart": one rule per advisory, sorted by id, and one
// result per match, located at the SBOM file (GitHub code scanning requires
// a location) and fingerprinted by advisory and component.
func WriteSARIF(w io.Writer, sbomPath, toolVersion string, matches []Match) error {
	run := sarif.Run{Tool: sarif.Tool{Name: "rampart", Version: toolVersion}, Rules: []sarif.Rule{}, Results: []sarif.Result{}}
	seen := map[string]bool{}
	for i := range matches {
		m := &matches[i]
		if m.Suppressed != nil {
			continue
		}
		if !seen[m.Advisory.ID] {
			seen[m.Advisory.ID] = true
			run.Rules = append(run.Rules, sarifRule(m))
		}
		run.Results = append(run.Results, sarifResult(m, sbomPath))
	}
	slices.SortStableFunc(run.Rules, func(a, b sarif.Rule) int { return strings.Compare(a.ID, b.ID) })
	return sarif.Write(w, run)
}

// sarifRule is the rule of an advisory, from its first match.
func sarifRule(m *Match) sarif.Rule {
	a := m.Advisory
	desc := a.Summary
	if desc == "" {
		desc = firstLine(a.Details)
	}
	if desc == "" {
		desc = a.ID
	}
	help := a.ID
	if len(a.Aliases) > 0 {
		help += " (" + strings.Join(a.Aliases, ", ") + ")"
	}
	if a.Details != "" {
		help += "\n\n" + a.Details
	}
	r := sarif.Rule{ID: a.ID, Name: strings.ReplaceAll(a.ID, "-", ""), ShortDescription: shorten(desc, 200), FullDescription: desc,
		Help: help, Tags: []string{"security", "vulnerability"}}
	if m.CVSSScore > 0 {
		r.Properties = map[string]any{"security-severity": fmt.Sprintf("%.1f", m.CVSSScore)}
	}
	for _, ref := range a.References {
		if ref.Type == "ADVISORY" || r.HelpURI == "" {
			r.HelpURI = ref.URL
		}
	}
	return r
}

func sarifResult(m *Match, sbomPath string) sarif.Result {
	a := m.Advisory
	msg := fmt.Sprintf("%s %s is affected by %s (%s", m.Component.Name, m.Component.Version, a.ID, m.Severity)
	if len(m.ExploitationSignals()) > 0 {
		msg += ", known exploited"
	}
	msg += "). " + m.Reason
	if len(m.FixedVersions) > 0 {
		msg += ". Fixed in " + strings.Join(m.FixedVersions, ", ") + "."
	}
	id := m.Component.PURL
	if id == "" {
		id = m.Component.Name + "@" + m.Component.Version
	}
	return sarif.Result{
		RuleID:              a.ID,
		Level:               sarifLevel(m.Severity),
		Message:             msg,
		Locations:           []sarif.Location{{URI: sbomPath, StartLine: 1}},
		PartialFingerprints: map[string]string{"rampart/v1": a.ID + "|" + id},
		Properties:          map[string]any{"component": id, "kev": m.KEV, "epss": m.EPSS},
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// shorten cuts s to at most n runes, ending in an ellipsis when cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
