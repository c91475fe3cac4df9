package reportio

import (
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rampart-security/rampart/internal/findings"
)

var (
	blockTagRE = regexp.MustCompile(`(?i)<\s*/?\s*(p|br|li|div|ul|ol|tr|h[1-6])\b[^>]*>`)
	anyTagRE   = regexp.MustCompile(`<[^>]{0,500}>`)
	blankRE    = regexp.MustCompile(`\n\n\n+`)
	urlRE      = regexp.MustCompile(`https?://[^\s<>"']+`)
)

// PlainText turns the HTML fragments some tools put in descriptions
// ("<p>…</p>") into plain text: block tags become line breaks, other tags
// are dropped, entities are decoded, spaces within a line and runs of
// blank lines collapsed.
func PlainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return strings.TrimSpace(s)
	}
	s = blockTagRE.ReplaceAllString(s, "\n")
	s = anyTagRE.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	// Indentation from the XML around the fragment is not content.
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	s = strings.Join(lines, "\n")
	s = blankRE.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s)
}

// URLs returns the http(s) URLs in s, in order. URLs written back to back
// with no separator (as some reports do) are split; trailing punctuation
// and an unbalanced closing parenthesis are dropped.
func URLs(s string) []string {
	s = html.UnescapeString(s)
	s = strings.ReplaceAll(s, "http://", " http://")
	s = strings.ReplaceAll(s, "https://", " https://")
	out := urlRE.FindAllString(s, -1)
	for i, u := range out {
		u = strings.TrimRight(u, ".,;")
		for strings.HasSuffix(u, ")") && strings.Count(u, "(") < strings.Count(u, ")") {
			u = strings.TrimSuffix(u, ")")
		}
		out[i] = u
	}
	return out
}

// Paragraphs joins the parts of a description that are not blank, each
// trimmed, with a blank line between them.
func Paragraphs(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n\n")
}

// Clip bounds s to n bytes without splitting a UTF-8 sequence, ending in
// "…" when it was cut: for details a report may repeat at any length.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// FirstLine is the first line of a message, trimmed, as a title: cut to
// 200 characters (197 and "...") when longer.
func FirstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if r := []rune(s); len(r) > 200 {
		s = string(r[:197]) + "..."
	}
	return s
}

// Section is s (trimmed) under the heading label ("Impact:\n…"), or ""
// when s is blank, so that Paragraphs leaves it out.
func Section(label, s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return ""
	}
	return label + ":\n" + s
}

// Upgrade is the mitigation of a package that later versions fix:
// "Upgrade pkg to 1.2.4 or 2.0.1."; "" when versions is empty.
func Upgrade(pkg string, versions ...string) string {
	if len(versions) == 0 {
		return ""
	}
	return "Upgrade " + pkg + " to " + strings.Join(versions, " or ") + "."
}

// HostName is name, trimmed, as the DNS name of a location whose host is
// host (findings.Location.HostName): "" when it is blank or the host itself.
func HostName(name, host string) string {
	if name = strings.TrimSpace(name); name != "" && name != host {
		return name
	}
	return ""
}

// URLPort is the port of u: the one it names (0 when that is not a
// number), else the default of its scheme, 443 for https and 80 for http.
// ok is false when u names no port and has another scheme.
func URLPort(u *url.URL) (port int, ok bool) {
	switch p := u.Port(); {
	case p != "":
		port, _ = strconv.Atoi(p)
		return port, true
	case u.Scheme == "https":
		return 443, true
	case u.Scheme == "http":
		return 80, true
	}
	return 0, false
}

// AddTypedRef files a reference that a report types by its source, as
// Nexpose's <reference source="CVE"> and Greenbone's <ref type="url"> do:
// a CVE among f's vulnerability ids, a URL among its references, a CWE
// (findings.ParseCWE) among its CWEs. typ is matched in any case; other
// types are passed over.
func AddTypedRef(f *findings.Finding, typ, id string) {
	switch strings.ToLower(typ) {
	case "cve":
		f.VulnerabilityIDs = append(f.VulnerabilityIDs, id)
	case "url":
		f.References = append(f.References, id)
	case "cwe":
		if n, ok := findings.ParseCWE(id); ok {
			f.CWEs = append(f.CWEs, n)
		}
	}
}

// CWEs returns the CWE numbers of the entries of list that name one
// ("CWE-79", "79"; findings.ParseCWE), in order; the others are passed over.
func CWEs(list []string) []int {
	var out []int
	for _, s := range list {
		if n, ok := findings.ParseCWE(s); ok {
			out = append(out, n)
		}
	}
	return out
}

// CWEsIn returns every CWE number written in the entries of list
// (findings.CWEsIn of each: "CWE-79: Cross-site Scripting",
// "external/cwe/cwe-079"), in order.
func CWEsIn(list []string) []int {
	var out []int
	for _, s := range list {
		out = append(out, findings.CWEsIn(s)...)
	}
	return out
}
