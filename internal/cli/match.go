package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/sbom"
	"github.com/rampart-security/rampart/internal/vuln"
	"github.com/rampart-security/rampart/internal/vuln/feeds"
	"github.com/rampart-security/rampart/internal/vuln/vex"
)

// matchOptions are the parsed flags of `rampart match`.
type matchOptions struct {
	SBOM           string
	Data           string
	VulnDB         []string
	Format         string
	FailOn         string
	VEX            []string
	AssumePlatform bool
}

var matchFormats = []string{"table", "json", "sarif", "cyclonedx-vex", "openvex"}

func newMatchCmd(s *streams, runF func(context.Context, *matchOptions) error) *cobra.Command {
	opts := &matchOptions{}
	cmd := &cobra.Command{
		Use:   "match SBOM",
		Short: "Match an SBOM's components against vulnerability data",
		Long: `Match every component of an SBOM against vulnerability advisories, offline.

Components with a package URL are matched by ecosystem, name and version range
(OSV semantics per ecosystem). Components without one are matched by CPE against
NVD configurations; well-known embedded components (busybox, openssl, dropbear,
linux, u-boot, …) get a CPE from their name when they have none. Every match
says why it matched. VEX statements (OpenVEX, CycloneDX VEX, CSAF) marked
not_affected or fixed remove matches from the report. Of the statements about
one match, from every --vex document, the latest holds (statement time, else
its document's; on a tie the later given), whatever the order of the flags.

--vulndb reads OSV (JSON, YAML, folders, all.zip), NVD API 2.0 and 1.1, CVE 5,
CISA KEV and EPSS files directly.`,
		Example: `  rampart match bom.cdx.json --vulndb osv/all.zip --vulndb nvd/ --vulndb kev.json
  rampart match bom.cdx.json --vulndb vulns/ --format json --fail-on high
  rampart match bom.cdx.json --vulndb vulns/ --vex triage.openvex.json --format sarif > rampart.sarif`,
		Args: exactArgs(&opts.SBOM),
		RunE: runE(s, opts, runF, runMatch),
	}
	f := cmd.Flags()
	f.StringVar(&opts.Data, "data", "", "rampart data directory holding the local vulnerability database")
	f.StringArrayVar(&opts.VulnDB, "vulndb", nil, "vulnerability data file, folder or zip to load directly (repeatable)")
	f.StringVarP(&opts.Format, "format", "f", "table", "output format: "+strings.Join(matchFormats, ", "))
	f.StringVar(&opts.FailOn, "fail-on", "", "exit 1 when an open match is at or above: critical, high, medium, low; or kev (in CISA KEV), exploited (known exploited: KEV, EUVD, CSAF, CVE 5 SSVC)")
	f.StringArrayVar(&opts.VEX, "vex", nil, "VEX document (OpenVEX, CycloneDX VEX, CSAF) to apply (repeatable)")
	f.BoolVar(&opts.AssumePlatform, "assume-platform", false, "treat NVD 'running on/with' conditions as met even when the SBOM lacks the platform")
	return cmd
}

func (o *matchOptions) validate() error {
	if err := checkOneOf("format", o.Format, matchFormats...); err != nil {
		return err
	}
	if o.FailOn != "" {
		if _, ok := failLevel(o.FailOn); !ok {
			return fmt.Errorf("--fail-on %q: want critical, high, medium, low, kev or exploited", o.FailOn)
		}
	}
	if len(o.VulnDB) == 0 && o.Data == "" {
		return errors.New("no vulnerability data: give --vulndb PATH (files, folders, zips) or --data DIR")
	}
	return nil
}

func runMatch(ctx context.Context, s *streams, opts *matchOptions) error {
	comps, err := readSBOMComponents(opts.SBOM)
	if err != nil {
		return err
	}
	advisories, err := loadAdvisories(ctx, opts, comps)
	if err != nil {
		return err
	}
	var statements []vuln.VEXStatement
	for _, p := range opts.VEX {
		st, err := vex.ReadFile(p)
		if err != nil {
			return err
		}
		statements = append(statements, st...)
	}
	matches := MatchComponents(advisories, comps, statements, vuln.MatcherOptions{AssumePlatform: opts.AssumePlatform})
	if err := writeMatches(s.out, opts, matches, time.Now().UTC()); err != nil {
		return err
	}
	return failOn(opts.FailOn, matches)
}

// MatchComponents is the core of `rampart match`: components × advisories
// → matches, VEX applied, worst first.
func MatchComponents(advs []vuln.Advisory, comps []inventory.Component, statements []vuln.VEXStatement, opts vuln.MatcherOptions) []vuln.Match {
	return vuln.NewMatcher(advs, opts).Match(comps, statements)
}

func failLevel(s string) (vuln.Level, bool) {
	switch s {
	case "critical":
		return vuln.LevelCritical, true
	case "high":
		return vuln.LevelHigh, true
	case "medium":
		return vuln.LevelMedium, true
	case "low":
		return vuln.LevelLow, true
	case "kev", "exploited":
		return vuln.LevelUnknown, true
	}
	return 0, false
}

// failOn returns an exit-1 failure when an open (not VEX-suppressed) match
// is at or above the level, in KEV for "kev", or known exploited for
// "exploited" (vuln.ExploitationSignals, the server's rule).
func failOn(level string, matches []vuln.Match) error {
	if level == "" {
		return nil
	}
	min, _ := failLevel(level)
	n := 0
	for i := range matches {
		m := &matches[i]
		if m.Suppressed != nil {
			continue
		}
		switch {
		case level == "kev":
			if m.KEV {
				n++
			}
		case level == "exploited":
			if len(m.ExploitationSignals()) > 0 {
				n++
			}
		case m.Severity >= min:
			n++
		}
	}
	if n > 0 {
		return failuref("%d open vulnerability match(es) at or above --fail-on %s", n, level)
	}
	return nil
}

func writeMatches(w io.Writer, opts *matchOptions, matches []vuln.Match, now time.Time) error {
	switch opts.Format {
	case "json":
		return writeMatchJSON(w, matches)
	case "sarif":
		return vuln.WriteSARIF(w, opts.SBOM, Version, matches)
	case "openvex":
		return vex.WriteOpenVEX(w, matches, "rampart", now)
	case "cyclonedx-vex":
		return vex.WriteCycloneDX(w, matches, now)
	}
	return writeMatchTable(w, matches)
}

type jsonComponent struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	PURL    string `json:"purl"`
	CPE     string `json:"cpe"`
}

type jsonVuln struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases"`
}

type jsonMatch struct {
	Component     jsonComponent `json:"component"`
	Vulnerability jsonVuln      `json:"vulnerability"`
	Severity      string        `json:"severity"`
	CVSSScore     float64       `json:"cvss_score"`
	EPSS          float64       `json:"epss"`
	KEV           bool          `json:"kev"`
	// Exploitation is one signal per source that the vulnerability is
	// actively exploited (CISA KEV, EUVD, CSAF, CVE 5 SSVC), as the
	// server decides it; empty when none.
	Exploitation  []vuln.ExploitationSignal `json:"exploitation"`
	FixedVersions []string                  `json:"fixed_versions"`
	Reason        string                    `json:"reason"`
}

func componentCPE(m *vuln.Match) string {
	if m.CPE != "" {
		return m.CPE
	}
	if len(m.Component.CPEs) > 0 {
		return m.Component.CPEs[0]
	}
	return ""
}

// openMatches drops VEX-suppressed matches.
func openMatches(ms []vuln.Match) []vuln.Match {
	out := make([]vuln.Match, 0, len(ms))
	for _, m := range ms {
		if m.Suppressed == nil {
			out = append(out, m)
		}
	}
	return out
}

// writeMatchJSON streams {"matches":[…]} one match at a time, so memory
// does not grow with the report.
func writeMatchJSON(w io.Writer, matches []vuln.Match) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("{\n  \"matches\": [")
	n := 0
	for i := range matches {
		m := &matches[i]
		if m.Suppressed != nil {
			continue
		}
		jm := jsonMatch{
			Component:     jsonComponent{Name: m.Component.Name, Version: m.Component.Version, PURL: m.Component.PURL, CPE: componentCPE(m)},
			Vulnerability: jsonVuln{ID: m.Advisory.ID, Aliases: m.Advisory.Aliases},
			Severity:      m.Severity.String(),
			CVSSScore:     m.CVSSScore,
			EPSS:          m.EPSS,
			KEV:           m.KEV,
			Exploitation:  m.ExploitationSignals(),
			FixedVersions: m.FixedVersions,
			Reason:        m.Reason,
		}
		if jm.Vulnerability.Aliases == nil {
			jm.Vulnerability.Aliases = []string{}
		}
		if jm.Exploitation == nil {
			jm.Exploitation = []vuln.ExploitationSignal{}
		}
		if jm.FixedVersions == nil {
			jm.FixedVersions = []string{}
		}
		b, err := json.Marshal(jm) // one match per line
		if err != nil {
			return fmt.Errorf("match json: %w", err)
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(b)
		n++
	}
	if n > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	return bw.Flush()
}

// writeMatchTable prints matches grouped by component, the component with
// the worst match first, and within a component worst first.
func writeMatchTable(w io.Writer, matches []vuln.Match) error {
	open := openMatches(matches)
	type group struct {
		key     string
		title   string
		matches []vuln.Match
	}
	var groups []*group
	idx := map[string]*group{}
	for _, m := range open { // already worst first
		key := m.Component.Ref + "\x00" + m.Component.Name + "\x00" + m.Component.Version
		g, ok := idx[key]
		if !ok {
			title := m.Component.Name + " " + m.Component.Version
			if id := m.Component.PURL; id != "" {
				title += "  (" + id + ")"
			} else if c := componentCPE(&m); c != "" {
				title += "  (" + c + ")"
			}
			g = &group{key: key, title: title}
			idx[key] = g
			groups = append(groups, g)
		}
		g.matches = append(g.matches, m)
	}
	var b bytes.Buffer
	if len(open) == 0 {
		fmt.Fprintln(&b, "No open vulnerability matches.")
	}
	for _, g := range groups {
		fmt.Fprintln(&b, g.title)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  VULNERABILITY\tSEVERITY\tCVSS\tEPSS\tKEV\tEXPLOITED\tFIXED IN\tWHY")
		for _, m := range g.matches {
			kev := ""
			if m.KEV {
				kev = "KEV"
			}
			srcs := []string{"-"}
			if sigs := m.ExploitationSignals(); len(sigs) > 0 {
				srcs = srcs[:0]
				for _, sig := range sigs {
					srcs = append(srcs, strings.ToUpper(string(sig.Source)))
				}
			}
			epss := "-"
			if m.Advisory.EPSS != nil {
				epss = fmt.Sprintf("%.1f%%", m.EPSS*100)
			}
			cvss := "-"
			if m.CVSSScore > 0 {
				cvss = fmt.Sprintf("%.1f", m.CVSSScore)
			}
			fixed := strings.Join(m.FixedVersions, ", ")
			if fixed == "" {
				fixed = "-"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Advisory.ID, m.Severity, cvss, epss, kev, strings.Join(srcs, ","), fixed, shorten(m.Reason, 110))
		}
		tw.Flush()
		fmt.Fprintln(&b)
	}
	counts := map[vuln.Level]int{}
	kev, exploited := 0, 0
	for _, m := range open {
		counts[m.Severity]++
		if m.KEV {
			kev++
		}
		if len(m.ExploitationSignals()) > 0 {
			exploited++
		}
	}
	fmt.Fprintf(&b, "%d open matches in %d components: %d critical, %d high, %d medium, %d low, %d unrated; %d in CISA KEV; %d known exploited; %d suppressed by VEX\n",
		len(open), len(groups), counts[vuln.LevelCritical], counts[vuln.LevelHigh], counts[vuln.LevelMedium], counts[vuln.LevelLow],
		counts[vuln.LevelUnknown]+counts[vuln.LevelNone], kev, exploited, len(matches)-len(open))
	_, err := w.Write(b.Bytes())
	return err
}

// readSBOMComponents decodes any supported SBOM (CycloneDX, SPDX; validated)
// and returns its matchable components.
func readSBOMComponents(path string) ([]inventory.Component, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	defer f.Close()
	doc, err := sbom.Decode(f, path, sbom.Options{})
	if err != nil {
		return nil, failure(err)
	}
	return matchable(doc), nil
}

// matchable returns the components of doc to match against vulnerability
// data: its components and, when it names one by purl or CPE, the product
// itself (it may be a vulnerable firmware or OS).
func matchable(doc *sbom.Document) []inventory.Component {
	comps := doc.Components
	if m := doc.Metadata; m != nil && (m.PURL != "" || len(m.CPEs) > 0) {
		comps = append(comps, *m)
	}
	return comps
}

// loadAdvisories reads --vulndb files directly, and the local database of
// --data (imported with 'rampart vulndb import'); both may be combined.
func loadAdvisories(ctx context.Context, opts *matchOptions, comps []inventory.Component) ([]vuln.Advisory, error) {
	var advs []vuln.Advisory
	epss, kev := map[string]vuln.EPSS{}, map[string]vuln.KEV{}
	// The exploitation reports (EUVD, CSAF) of the --data database; those
	// of --vulndb files are already on their advisories (feeds.Load).
	exploited := map[string][]vuln.Exploitation{}
	if len(opts.VulnDB) > 0 {
		data, err := feeds.Load(ctx, opts.VulnDB...)
		if err != nil {
			return nil, err
		}
		advs, epss, kev = data.Advisories, data.EPSS, data.KEV
	}
	if opts.Data != "" {
		sf := storeFlags{data: opts.Data}
		st, err := sf.open(ctx)
		if err != nil {
			return nil, err
		}
		defer st.Close()
		status, err := st.VulnDBStatus(ctx)
		if err != nil {
			return nil, err
		}
		if status.Advisories == 0 && len(opts.VulnDB) == 0 {
			return nil, fmt.Errorf("--data %s: the vulnerability database is empty; load data with 'rampart vulndb import PATH --data %s'", opts.Data, opts.Data)
		}
		// Only the advisories indexed under the SBOM's packages and CPEs.
		stored, err := st.AdvisoriesByKeys(ctx, vuln.ComponentKeys(comps))
		if err != nil {
			return nil, err
		}
		advs = append(advs, stored...)
		var cves []string
		for i := range stored {
			cves = append(cves, stored[i].CVEs()...)
		}
		e, k, err := st.Enrichment(ctx, cves)
		if err != nil {
			return nil, err
		}
		for c, x := range e {
			epss[c] = x
		}
		for c, x := range k {
			kev[c] = x
		}
		if exploited, err = st.Exploitations(ctx, cves); err != nil {
			return nil, err
		}
	}
	advs = vuln.Merge(advs)
	vuln.Enrich(advs, epss, kev)
	vuln.EnrichExploited(advs, exploited)
	return advs, nil
}
