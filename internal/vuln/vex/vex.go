// Package vex reads and writes VEX documents — OpenVEX (openvex/go-vex) and
// CycloneDX VEX (cyclonedx-go) — as vuln.VEXStatement values, and renders
// matcher results as VEX for customers.
package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	openvex "github.com/openvex/go-vex/pkg/vex"
	"github.com/package-url/packageurl-go"

	"github.com/rampart-security/rampart/internal/vuln"
)

// maxDocument bounds a VEX document read into memory.
const maxDocument = 256 << 20

// MaxStatements bounds the statements one document stands for. A
// statement stands for its vulnerability ids times its products, so a
// 600 KB OpenVEX statement naming 10 000 aliases and 10 000 products was
// 10^8 statements (about 15 GB).
const MaxStatements = 1 << 20

// tooMany is the error for a document past MaxStatements at field.
func tooMany(name, field string) error {
	return vuln.Errorf(name, field, "the document stands for more than %d statements (vulnerability ids × products): split it", MaxStatements)
}

// ErrUnknownFormat is returned for a document that is neither OpenVEX,
// CycloneDX nor CSAF.
var ErrUnknownFormat = errors.New("not an OpenVEX, CycloneDX or CSAF VEX document")

// ReadFile reads a VEX document from path: OpenVEX JSON (any version go-vex
// knows, including legacy v0.0.1) or YAML, CSAF VEX, or CycloneDX JSON (a
// standalone VEX or a BOM with vulnerabilities).
func ReadFile(path string) ([]vuln.VEXStatement, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vex: %w", err)
	}
	if len(data) > maxDocument {
		return nil, &vuln.ParseError{File: path, Err: fmt.Errorf("document larger than %d bytes", maxDocument)}
	}
	ext := strings.ToLower(filepath.Ext(path))
	switch {
	case ext == ".yaml" || ext == ".yml":
		doc, err := openvex.OpenYAML(path)
		if err != nil {
			return nil, &vuln.ParseError{File: path, Err: fmt.Errorf("openvex yaml: %w", err)}
		}
		return fromOpenVEX(doc, path)
	case bytes.Contains(data, []byte(`"csaf_version"`)) && !bytes.Contains(data, []byte(`"@context"`)):
		// Own CSAF reader: exact components (purl with version, or the
		// component of a relationship product), no go-vex log output.
		return ParseCSAF(data, path)
	case bytes.Contains(data, []byte(`"@context"`)):
		doc, err := openvex.Open(path)
		if err != nil {
			return nil, &vuln.ParseError{File: path, Err: fmt.Errorf("openvex: %w", err)}
		}
		return fromOpenVEX(doc, path)
	}
	return Parse(data, path)
}

// Parse reads a VEX document held in memory: current OpenVEX (v0.2.x) or
// CycloneDX JSON. name identifies it in errors and in statements' Source.
func Parse(data []byte, name string) ([]vuln.VEXStatement, error) {
	var probe struct {
		Context   string `json:"@context"`
		BOMFormat string `json:"bomFormat"`
		Document  struct {
			CSAFVersion string `json:"csaf_version"`
		} `json:"document"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, &vuln.ParseError{File: name, Err: fmt.Errorf("JSON: %w", err)}
	}
	switch {
	case probe.Document.CSAFVersion != "":
		return ParseCSAF(data, name)
	case strings.HasPrefix(probe.Context, openvex.Context):
		doc, err := openvex.Parse(data)
		if err != nil {
			return nil, &vuln.ParseError{File: name, Err: fmt.Errorf("openvex: %w", err)}
		}
		return fromOpenVEX(doc, name)
	case probe.BOMFormat == "CycloneDX":
		var bom cdx.BOM
		if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
			return nil, &vuln.ParseError{File: name, Err: fmt.Errorf("cyclonedx: %w", err)}
		}
		return FromCycloneDX(&bom, name)
	}
	return nil, &vuln.ParseError{File: name, Err: ErrUnknownFormat}
}

// Read is Parse from a reader.
func Read(r io.Reader, name string) ([]vuln.VEXStatement, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("vex %s: %w", name, err)
	}
	if len(data) > maxDocument {
		return nil, &vuln.ParseError{File: name, Err: fmt.Errorf("document larger than %d bytes", maxDocument)}
	}
	return Parse(data, name)
}

// fromOpenVEX reads the document's statements. OpenVEX orders statements
// about the same vulnerability and product by their timestamp (a statement
// without one has the document's): the latest is the one in effect, the
// later in the document when two share a time. Only that statement is
// returned for each vulnerability id and product, in the place of the
// first statement about them, so a later "affected" revokes an earlier
// "not_affected" instead of being shadowed by it. Each statement carries
// its time (Timestamp), by which the matcher orders the statements of
// several documents (vuln.VEXStatement.Supersedes). The statement's
// last_updated is not read: go-vex orders statements by timestamp.
func fromOpenVEX(doc *openvex.VEX, source string) ([]vuln.VEXStatement, error) {
	// First the ids and products of every statement, so that the bound
	// counts every statement the document stands for (duplicates too: each
	// costs a look-up) and the output is allocated once.
	type expanded struct{ ids, products []string }
	exp := make([]expanded, len(doc.Statements))
	total := 0
	for i, st := range doc.Statements {
		vulnIDs := []string{string(st.Vulnerability.Name)}
		if st.Vulnerability.Name == "" && st.Vulnerability.ID != "" {
			vulnIDs = []string{st.Vulnerability.ID}
		}
		for _, a := range st.Vulnerability.Aliases {
			vulnIDs = append(vulnIDs, string(a))
		}
		var products []string
		for _, p := range st.Products {
			if len(p.Subcomponents) > 0 {
				for _, sc := range p.Subcomponents {
					products = append(products, componentIDs(sc.Component)...)
				}
				continue
			}
			products = append(products, componentIDs(p.Component)...)
		}
		ids := slices.DeleteFunc(vulnIDs, func(id string) bool { return id == "" })
		if total += len(ids) * len(products); total > MaxStatements {
			return nil, tooMany(source, fmt.Sprintf("statements[%d]", i))
		}
		exp[i] = expanded{ids, products}
	}
	out := make([]vuln.VEXStatement, 0, total)
	at := make(map[[2]string]int32, total) // vulnerability id and product → index in out
	for i, st := range doc.Statements {
		var when time.Time
		switch {
		case st.Timestamp != nil:
			when = st.Timestamp.UTC()
		case doc.Timestamp != nil:
			when = doc.Timestamp.UTC()
		}
		for _, id := range exp[i].ids {
			for _, p := range exp[i].products {
				s := vuln.VEXStatement{
					VulnID: id, Product: p, Status: vuln.VEXStatus(st.Status), Justification: string(st.Justification),
					ImpactStatement: st.ImpactStatement, ActionStatement: st.ActionStatement, Source: source, Timestamp: when,
				}
				k := [2]string{id, p}
				if j, seen := at[k]; seen {
					if s.Supersedes(&out[j]) {
						out[j] = s
					}
					continue
				}
				at[k] = int32(len(out))
				out = append(out, s)
			}
		}
	}
	return out, nil
}

func componentIDs(c openvex.Component) []string {
	var out []string
	if c.ID != "" {
		out = append(out, c.ID)
	}
	for _, t := range []openvex.IdentifierType{openvex.PURL, openvex.CPE23, openvex.CPE22} {
		if v := c.Identifiers[t]; v != "" && v != c.ID {
			out = append(out, v)
		}
	}
	return out
}

// affectsRefs is the bom-ref an affects[].ref names: the ref itself, or
// the fragment of a BOM-Link (urn:cdx:serial/version#bom-ref). A fragment
// is an RFC 3986 f-component, so a producer may percent-encode the bom-ref
// in it (a purl bom-ref "pkg:npm/%40scope/name@1.0" then reads
// "pkg%3Anpm%2F%2540scope…"): when decoding changes it, both spellings are
// returned, as a purl bom-ref may itself hold percent signs.
func affectsRefs(ref string) []string {
	k := strings.LastIndexByte(ref, '#')
	if k < 0 || !strings.HasPrefix(ref, "urn:cdx:") {
		return []string{ref}
	}
	ref = ref[k+1:]
	if dec, err := url.PathUnescape(ref); err == nil && dec != ref {
		return []string{ref, dec}
	}
	return []string{ref}
}

var cdxStates = map[cdx.ImpactAnalysisState]vuln.VEXStatus{
	cdx.IASNotAffected:          vuln.VEXNotAffected,
	cdx.IASFalsePositive:        vuln.VEXNotAffected,
	cdx.IASResolved:             vuln.VEXFixed,
	cdx.IASResolvedWithPedigree: vuln.VEXFixed,
	cdx.IASExploitable:          vuln.VEXAffected,
	cdx.IASInTriage:             vuln.VEXUnderInvestigation,
}

// cdxJustifications maps CycloneDX justifications onto the OpenVEX ones.
var cdxJustifications = map[cdx.ImpactAnalysisJustification]string{
	cdx.IAJCodeNotPresent:               string(openvex.VulnerableCodeNotPresent),
	cdx.IAJCodeNotReachable:             string(openvex.VulnerableCodeNotInExecutePath),
	cdx.IAJRequiresConfiguration:        string(openvex.VulnerableCodeCannotBeControlledByAdversary),
	cdx.IAJRequiresDependency:           string(openvex.ComponentNotPresent),
	cdx.IAJRequiresEnvironment:          string(openvex.VulnerableCodeCannotBeControlledByAdversary),
	cdx.IAJProtectedByCompiler:          string(openvex.InlineMitigationsAlreadyExist),
	cdx.IAJProtectedAtRuntime:           string(openvex.InlineMitigationsAlreadyExist),
	cdx.IAJProtectedAtPerimeter:         string(openvex.InlineMitigationsAlreadyExist),
	cdx.IAJProtectedByMitigatingControl: string(openvex.InlineMitigationsAlreadyExist),
}

// FromCycloneDX extracts VEX statements from a CycloneDX BOM's
// vulnerabilities. A vulnerability without analysis says nothing about
// exploitability and yields no statement, except for the versions its
// affects[].versions says are unaffected. affects[].ref may be a bom-ref or
// a BOM-Link (urn:cdx:…#ref); when the BOM lists the referenced component,
// its purl is emitted as a second product so statements apply across SBOMs.
// A statement's Timestamp is its analysis's lastUpdated, else firstIssued
// (CycloneDX 1.5), else the BOM's metadata.timestamp.
//
// affects[].versions (CycloneDX 1.4–1.6) is weighed against the version of
// the referenced component (vuln.AffectsVersion, as the scanner import
// does): a version it says is unaffected, or that is not among the
// affected versions it lists, is not_affected (its impact statement names
// the versions) unless the analysis already suppresses it (a not_affected
// analysis of an affected version, as the specification's own example
// has, stays the analysis). Anything the versions leave undecided keeps
// the analysis's state.
func FromCycloneDX(bom *cdx.BOM, name string) ([]vuln.VEXStatement, error) {
	comps := map[string]cdx.Component{}
	var walk func([]cdx.Component)
	walk = func(cs []cdx.Component) {
		for _, c := range cs {
			if c.BOMRef != "" {
				comps[c.BOMRef] = c
			}
			if c.Components != nil {
				walk(*c.Components)
			}
		}
	}
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		walk([]cdx.Component{*bom.Metadata.Component})
	}
	if bom.Components != nil {
		walk(*bom.Components)
	}
	if bom.Vulnerabilities == nil {
		return nil, nil
	}
	var docTime time.Time
	if bom.Metadata != nil && bom.Metadata.Timestamp != "" {
		t, ok := statementTime(bom.Metadata.Timestamp)
		if !ok {
			return nil, vuln.Errorf(name, "metadata.timestamp", "%q is not an RFC 3339 date-time", bom.Metadata.Timestamp)
		}
		docTime = t
	}
	var out []vuln.VEXStatement
	for i, v := range *bom.Vulnerabilities {
		analysed := v.Analysis != nil && v.Analysis.State != ""
		if !analysed && (v.Affects == nil || !anyVersions(*v.Affects)) {
			continue
		}
		when := docTime
		var tmpl vuln.VEXStatement // the analysis's statement; Status "" when there is none
		if analysed {
			for _, f := range []struct{ field, value string }{{"firstIssued", v.Analysis.FirstIssued}, {"lastUpdated", v.Analysis.LastUpdated}} {
				if f.value == "" {
					continue
				}
				t, ok := statementTime(f.value)
				if !ok {
					return nil, vuln.Errorf(name, fmt.Sprintf("vulnerabilities[%d].analysis.%s", i, f.field), "%q is not an RFC 3339 date-time", f.value)
				}
				when = t // lastUpdated, read last, over firstIssued
			}
			status, ok := cdxStates[v.Analysis.State]
			if !ok {
				return nil, vuln.Errorf(name, fmt.Sprintf("vulnerabilities[%d].analysis.state", i), "unknown state %q", v.Analysis.State)
			}
			just := cdxJustifications[v.Analysis.Justification]
			if v.Analysis.State == cdx.IASFalsePositive && just == "" {
				just = "false_positive"
			}
			var action string
			if v.Analysis.Response != nil {
				var rs []string
				for _, r := range *v.Analysis.Response {
					rs = append(rs, string(r))
				}
				action = strings.Join(rs, ", ")
			}
			if v.Recommendation != "" {
				action = strings.TrimSpace(v.Recommendation + " " + action)
			}
			tmpl = vuln.VEXStatement{Status: status, Justification: just, ImpactStatement: v.Analysis.Detail, ActionStatement: action}
		}
		switch {
		case v.ID == "" && analysed:
			return nil, vuln.Errorf(name, fmt.Sprintf("vulnerabilities[%d].id", i), "missing")
		case v.ID == "" || v.Affects == nil:
			continue
		}
		for _, af := range *v.Affects {
			refs := affectsRefs(af.Ref)
			products := refs
			for _, ref := range refs {
				if p := comps[ref].PackageURL; p != "" && !slices.Contains(products, p) {
					products = append(products, p)
				}
			}
			for _, st := range affectsStatements(tmpl, af, refs, comps) {
				for _, p := range products {
					if p == "" {
						continue
					}
					s := st
					s.VulnID, s.Product, s.Source, s.Timestamp = v.ID, p, name, when
					out = append(out, s)
				}
			}
		}
	}
	return out, nil
}

// anyVersions reports whether an affects entry lists versions.
func anyVersions(as []cdx.Affects) bool {
	return slices.ContainsFunc(as, func(a cdx.Affects) bool { return a.Range != nil && len(*a.Range) > 0 })
}

// affectsStatements are the statements one affects entry makes, from the
// analysis's statement tmpl (Status "" when there is none) and the
// entry's versions. Without versions it is tmpl. For a component whose
// version is known, the versions are weighed now: unaffected (or not
// among the affected versions listed) is not_affected unless tmpl already
// suppresses. For a package without a version (a versionless purl ref),
// they are left to the matcher, which knows each component's version: a
// not_affected statement for the versions they clear, and tmpl for the
// others.
func affectsStatements(tmpl vuln.VEXStatement, af cdx.Affects, refs []string, comps map[string]cdx.Component) []vuln.VEXStatement {
	var list []vuln.AffectedVersion
	if af.Range != nil {
		for _, a := range *af.Range {
			list = append(list, vuln.AffectedVersion{Version: a.Version, Range: a.Range, Status: string(a.Status)})
		}
	}
	purl, version := affectedComponent(refs, comps)
	var out []vuln.VEXStatement
	switch {
	case len(list) == 0:
		out = append(out, tmpl)
	case version == "" && purl != "":
		listed := make([]string, len(list))
		for i, a := range list {
			listed[i] = a.String()
		}
		out = append(out, vuln.VEXStatement{Status: vuln.VEXNotAffected, ImpactStatement: "affects versions: unaffected by " + strings.Join(listed, "; "),
			ActionStatement: tmpl.ActionStatement, Versions: list, ForUnaffected: true})
		if tmpl.Status != "" {
			tmpl.Versions = list
			out = append(out, tmpl)
		}
	default:
		st := tmpl
		if verdict, note := vuln.AffectsVersion(purl, version, list); verdict == vuln.VersionUnaffected && !st.Status.Suppresses() {
			st = vuln.VEXStatement{Status: vuln.VEXNotAffected, ImpactStatement: "affects versions: " + note, ActionStatement: tmpl.ActionStatement}
		}
		out = append(out, st)
	}
	return slices.DeleteFunc(out, func(s vuln.VEXStatement) bool { return s.Status == "" })
}

// affectedComponent is the package URL and version of the component the
// refs of an affects entry name: the listed component's, else the ref's
// own purl (the version then the purl's, "" when it has none).
func affectedComponent(refs []string, comps map[string]cdx.Component) (purl, version string) {
	for _, ref := range refs {
		if c, ok := comps[ref]; ok {
			purl, version = c.PackageURL, c.Version
			break
		}
		if strings.HasPrefix(ref, "pkg:") {
			purl = ref
		}
	}
	if version == "" && purl != "" {
		if p, err := packageurl.FromString(purl); err == nil {
			version = p.Version
		}
	}
	return purl, version
}
