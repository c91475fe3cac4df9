package vex

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	openvex "github.com/openvex/go-vex/pkg/vex"

	"github.com/rampart-security/rampart/internal/vuln"
)

// statusOf returns the VEX status a match stands in: the applied VEX
// statement's, or affected for an open match.
func statusOf(m *vuln.Match) (vuln.VEXStatus, string, string) {
	if m.Suppressed != nil {
		return m.Suppressed.Status, m.Suppressed.Justification, m.Suppressed.ImpactStatement
	}
	return vuln.VEXAffected, "", ""
}

// appliedNote names the statement that suppressed a match (nil: none):
// its document, by base name (a local path is not written into a
// customer's VEX), and its time, as OpenVEX status_notes ("how status was
// determined").
func appliedNote(s *vuln.VEXStatement) string {
	if s == nil {
		return ""
	}
	note := "status from a VEX statement"
	if s.Source != "" {
		note = "status from " + filepath.Base(s.Source)
	}
	if !s.Timestamp.IsZero() {
		note += " of " + s.Timestamp.UTC().Format(time.RFC3339)
	}
	return note
}

func actionOf(m *vuln.Match) string {
	if len(m.FixedVersions) > 0 {
		return "Update " + m.Component.Name + " to " + strings.Join(m.FixedVersions, " or ") + " or later."
	}
	return "No fixed version is known; mitigate or remove " + m.Component.Name + "."
}

func productID(m *vuln.Match) string {
	switch {
	case m.Component.PURL != "":
		return m.Component.PURL
	case len(m.Component.CPEs) > 0:
		return m.Component.CPEs[0]
	case m.CPE != "":
		return m.CPE
	}
	return m.Component.Ref
}

// WriteOpenVEX writes matches as an OpenVEX v0.2.0 document: one statement
// per match, affected with an action statement for open matches, and the
// applied status and justification for matches a VEX statement suppressed.
func WriteOpenVEX(w io.Writer, matches []vuln.Match, author string, now time.Time) error {
	doc := openvex.New()
	doc.Author = author
	doc.Tooling = "rampart"
	doc.Timestamp = &now
	doc.Version = 1
	for i := range matches {
		m := &matches[i]
		status, just, impact := statusOf(m)
		st := openvex.Statement{
			Vulnerability:   openvex.Vulnerability{Name: openvex.VulnerabilityID(m.Advisory.ID), Description: m.Advisory.Summary},
			Products:        []openvex.Product{{Component: openvex.Component{ID: productID(m)}}},
			Status:          openvex.Status(status),
			Justification:   openvex.Justification(just),
			ImpactStatement: impact,
			Timestamp:       &now,
		}
		if m.Component.PURL != "" {
			st.Products[0].Identifiers = map[openvex.IdentifierType]string{openvex.PURL: m.Component.PURL}
		}
		for _, a := range m.Advisory.Aliases {
			st.Vulnerability.Aliases = append(st.Vulnerability.Aliases, openvex.VulnerabilityID(a))
		}
		if status == vuln.VEXAffected {
			st.ActionStatement = actionOf(m)
		}
		st.StatusNotes = appliedNote(m.Suppressed)
		if status == vuln.VEXNotAffected && just == "" && impact == "" {
			st.ImpactStatement = "not affected (no justification given in the source VEX)"
		}
		doc.Statements = append(doc.Statements, st)
	}
	id, err := doc.GenerateCanonicalID()
	if err != nil {
		return fmt.Errorf("openvex: %w", err)
	}
	doc.ID = id
	return doc.ToJSON(w)
}

var toCDXState = map[vuln.VEXStatus]cdx.ImpactAnalysisState{
	vuln.VEXNotAffected:        cdx.IASNotAffected,
	vuln.VEXFixed:              cdx.IASResolved,
	vuln.VEXAffected:           cdx.IASExploitable,
	vuln.VEXUnderInvestigation: cdx.IASInTriage,
}

var toCDXJustification = map[string]cdx.ImpactAnalysisJustification{
	string(openvex.ComponentNotPresent):                         cdx.IAJRequiresDependency,
	string(openvex.VulnerableCodeNotPresent):                    cdx.IAJCodeNotPresent,
	string(openvex.VulnerableCodeNotInExecutePath):              cdx.IAJCodeNotReachable,
	string(openvex.VulnerableCodeCannotBeControlledByAdversary): cdx.IAJRequiresEnvironment,
	string(openvex.InlineMitigationsAlreadyExist):               cdx.IAJProtectedByMitigatingControl,
}

// WriteCycloneDX writes matches as a CycloneDX 1.6 VEX: the matched
// components and one vulnerability per advisory with ratings, affects and
// analysis.
func WriteCycloneDX(w io.Writer, matches []vuln.Match, now time.Time) error {
	bom := cdx.NewBOM()
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.Metadata = &cdx.Metadata{Timestamp: now.UTC().Format(time.RFC3339), Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: "rampart"}}}}
	var comps []cdx.Component
	refs := map[string]string{}
	byID := map[string]int{}
	var vulns []cdx.Vulnerability
	for i := range matches {
		m := &matches[i]
		key := m.Component.Ref + "|" + m.Component.Name + "@" + m.Component.Version + "|" + m.Component.PURL
		ref, ok := refs[key]
		if !ok {
			ref = m.Component.Ref
			if ref == "" {
				ref = fmt.Sprintf("component-%d", len(refs)+1)
			}
			refs[key] = ref
			c := cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: m.Component.Name, Version: m.Component.Version, PackageURL: m.Component.PURL}
			if len(m.Component.CPEs) > 0 {
				c.CPE = m.Component.CPEs[0]
			} else if m.CPE != "" {
				c.CPE = m.CPE
			}
			comps = append(comps, c)
		}
		status, just, impact := statusOf(m)
		vkey := m.Advisory.ID + "|" + string(status) + "|" + just
		j, ok := byID[vkey]
		if !ok {
			v := cdx.Vulnerability{BOMRef: fmt.Sprintf("vuln-%d", len(vulns)+1), ID: m.Advisory.ID, Description: m.Advisory.Summary,
				Analysis: &cdx.VulnerabilityAnalysis{State: toCDXState[status], Justification: toCDXJustification[just], Detail: impact},
				Affects:  &[]cdx.Affects{}}
			if len(m.Advisory.Aliases) > 0 {
				var refs []cdx.VulnerabilityReference
				for _, a := range m.Advisory.Aliases {
					refs = append(refs, cdx.VulnerabilityReference{ID: a})
				}
				v.References = &refs
			}
			var ratings []cdx.VulnerabilityRating
			for _, c := range m.Advisory.Severity {
				score := c.Score
				method := map[string]cdx.ScoringMethod{"2.0": cdx.ScoringMethodCVSSv2, "3.0": cdx.ScoringMethodCVSSv3, "3.1": cdx.ScoringMethodCVSSv31, "4.0": cdx.ScoringMethodCVSSv4}[c.Version]
				ratings = append(ratings, cdx.VulnerabilityRating{Score: &score, Method: method, Vector: c.Vector, Severity: cdx.Severity(vuln.LevelForScore(c.Score).String())})
			}
			if len(ratings) > 0 {
				v.Ratings = &ratings
			}
			if status == vuln.VEXAffected {
				v.Recommendation = actionOf(m)
			}
			vulns = append(vulns, v)
			j = len(vulns) - 1
			byID[vkey] = j
		}
		*vulns[j].Affects = append(*vulns[j].Affects, cdx.Affects{Ref: ref})
	}
	bom.Components = &comps
	bom.Vulnerabilities = &vulns
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return fmt.Errorf("cyclonedx vex: %w", err)
	}
	return nil
}
