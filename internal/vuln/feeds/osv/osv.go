// Package osv reads OSV vulnerability records (https://ossf.github.io/osv-schema/)
// in JSON or YAML form, one file, a folder tree or an osv.dev-style all.zip,
// into canonical vuln.Advisory values.
package osv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/vuln"
)

// record is the OSV JSON schema (the fields Rampart uses).
type record struct {
	SchemaVersion    string          `json:"schema_version"`
	ID               string          `json:"id"`
	Modified         string          `json:"modified"`
	Published        string          `json:"published"`
	Withdrawn        string          `json:"withdrawn"`
	Aliases          []string        `json:"aliases"`
	Related          []string        `json:"related"`
	Upstream         []string        `json:"upstream"`
	Summary          string          `json:"summary"`
	Details          string          `json:"details"`
	Severity         []severity      `json:"severity"`
	Affected         []affected      `json:"affected"`
	References       []reference     `json:"references"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

type severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type affected struct {
	Package           *pkg            `json:"package"`
	Severity          []severity      `json:"severity"`
	Ranges            []rng           `json:"ranges"`
	Versions          []string        `json:"versions"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific"`
	DatabaseSpecific  json.RawMessage `json:"database_specific"`
}

type pkg struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl"`
}

type rng struct {
	Type   string  `json:"type"`
	Repo   string  `json:"repo"`
	Events []event `json:"events"`
}

type event struct {
	Introduced   string `json:"introduced"`
	Fixed        string `json:"fixed"`
	LastAffected string `json:"last_affected"`
	Limit        string `json:"limit"`
}

type reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type specific struct {
	CWEIDs   []string        `json:"cwe_ids"`
	CWEs     json.RawMessage `json:"cwes"`
	Severity any             `json:"severity"`
}

// cwes returns the CWE ids a database_specific object names: cwe_ids
// (osv.dev's GHSA records), or cwes, a list of ids or of objects with
// cweId (osv-schema's GHSA converter writes them per affected package).
func (s *specific) cwes() []string {
	ids := slices.Clone(s.CWEIDs)
	var list []json.RawMessage
	if json.Unmarshal(s.CWEs, &list) != nil {
		return ids
	}
	var more []string
	for _, raw := range list {
		var id string
		var obj struct {
			CWEID string `json:"cweId"`
		}
		switch {
		case json.Unmarshal(raw, &id) == nil:
		case json.Unmarshal(raw, &obj) == nil:
			id = obj.CWEID
		}
		if id = strings.TrimSpace(id); strings.HasPrefix(id, "CWE-") {
			more = append(more, id)
		}
	}
	return vuln.AppendDistinct(ids, more...)
}

// Parse decodes one OSV JSON record from r; name identifies the input in
// errors (a path, or "all.zip!GO-2024-0001.json").
func Parse(r io.Reader, name string) (*vuln.Advisory, error) {
	dec := json.NewDecoder(r)
	var rec record
	if err := dec.Decode(&rec); err != nil {
		return nil, jsonError(name, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, vuln.Errorf(name, "", "trailing data after the OSV record")
	}
	return convert(&rec, name)
}

// jsonError names the field or offset of a JSON decoding failure.
func jsonError(name string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &vuln.ParseError{File: name, Field: te.Field, Err: fmt.Errorf("%s is not a %s (offset %d): %w", te.Value, te.Type, te.Offset, err)}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &vuln.ParseError{File: name, Err: fmt.Errorf("JSON syntax error at offset %d: %w", se.Offset, err)}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &vuln.ParseError{File: name, Err: fmt.Errorf("truncated JSON: %w", err)}
	}
	return &vuln.ParseError{File: name, Err: err}
}

func parseTime(name, field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// Some feeds omit the zone; OSV requires UTC, so read it as UTC.
		if t2, err2 := time.Parse("2006-01-02T15:04:05.999999999", s); err2 == nil {
			return t2.UTC(), nil
		}
		return time.Time{}, vuln.Errorf(name, field, "%q is not an RFC 3339 timestamp: %w", s, err)
	}
	return t.UTC(), nil
}

func convert(rec *record, name string) (*vuln.Advisory, error) {
	if strings.TrimSpace(rec.ID) == "" {
		return nil, vuln.Errorf(name, "id", "missing")
	}
	if rec.Modified == "" {
		return nil, vuln.Errorf(name, "modified", "missing (required by the OSV schema)")
	}
	// upstream names the vulnerabilities a record is derived from (OSV
	// 1.6): one is the same vulnerability seen by a distribution
	// (UBUNTU-CVE-2024-1 → CVE-2024-1), an alias; several (a DSA, USN or
	// RHSA fixing many CVEs) are distinct vulnerabilities, related: as
	// aliases they merged every CVE of the advisory into one.
	aliases, related := rec.Aliases, rec.Related
	if up := dedupe(rec.Upstream, rec.ID); len(up) == 1 {
		aliases = append(slices.Clip(aliases), up...)
	} else {
		related = append(slices.Clip(related), up...)
	}
	a := &vuln.Advisory{
		ID:      rec.ID,
		Aliases: dedupe(aliases, rec.ID),
		Related: nonEmpty(dedupe(related, rec.ID)),
		Sources: []vuln.Source{vuln.SourceOSV},
		Summary: rec.Summary,
		Details: rec.Details,
	}
	var err error
	if a.Modified, err = parseTime(name, "modified", rec.Modified); err != nil {
		return nil, err
	}
	if a.Published, err = parseTime(name, "published", rec.Published); err != nil {
		return nil, err
	}
	if a.Withdrawn, err = parseTime(name, "withdrawn", rec.Withdrawn); err != nil {
		return nil, err
	}
	var rating string
	if a.Severity, rating, err = severities(name, "severity", rec.Severity); err != nil {
		return nil, err
	}
	if len(rec.DatabaseSpecific) > 0 {
		var ds specific
		if json.Unmarshal(rec.DatabaseSpecific, &ds) == nil {
			a.CWEs = nonEmpty(ds.cwes())
			if s, ok := ds.Severity.(string); ok {
				a.DatabaseSeverity = s
			}
		}
	}
	if a.DatabaseSeverity == "" {
		a.DatabaseSeverity = rating
	}
	for i, af := range rec.Affected {
		field := fmt.Sprintf("affected[%d]", i)
		out := vuln.Affected{Versions: nonEmpty(af.Versions), Source: vuln.SourceOSV}
		if af.Package != nil {
			out.Ecosystem, out.Name, out.PURL = af.Package.Ecosystem, af.Package.Name, af.Package.PURL
			if out.Name == "" {
				return nil, vuln.Errorf(name, field+".package.name", "missing")
			}
			if out.Ecosystem == "" {
				return nil, vuln.Errorf(name, field+".package.ecosystem", "missing")
			}
		} else if len(af.Ranges) == 0 && len(af.Versions) == 0 {
			return nil, vuln.Errorf(name, field, "has neither package, ranges nor versions")
		}
		ps, prating, err := severities(name, field+".severity", af.Severity)
		if err != nil {
			return nil, err
		}
		a.Severity = append(a.Severity, ps...)
		for _, raw := range []json.RawMessage{af.EcosystemSpecific, af.DatabaseSpecific} {
			if len(raw) > 0 && out.Severity == "" {
				var es specific
				if json.Unmarshal(raw, &es) == nil {
					if s, ok := es.Severity.(string); ok {
						out.Severity = s
					}
				}
			}
		}
		var ds specific
		if len(af.DatabaseSpecific) > 0 && json.Unmarshal(af.DatabaseSpecific, &ds) == nil {
			if c := ds.cwes(); len(c) > 0 {
				a.CWEs = vuln.AppendDistinct(a.CWEs, c...)
			}
		}
		if out.Severity == "" {
			out.Severity = prating
		}
		for j, r := range af.Ranges {
			rf := fmt.Sprintf("%s.ranges[%d]", field, j)
			vr, err := convertRange(name, rf, r)
			if err != nil {
				return nil, err
			}
			out.Ranges = append(out.Ranges, vr)
		}
		a.Affected = append(a.Affected, out)
	}
	for i, r := range rec.References {
		if r.URL == "" {
			return nil, vuln.Errorf(name, fmt.Sprintf("references[%d].url", i), "missing")
		}
		a.References = append(a.References, vuln.Reference{Type: r.Type, URL: r.URL})
	}
	return a, nil
}

func convertRange(name, field string, r rng) (vuln.Range, error) {
	out := vuln.Range{Type: vuln.RangeType(r.Type), Repo: r.Repo}
	switch out.Type {
	case vuln.RangeSemver, vuln.RangeEcosystem:
	case vuln.RangeGit:
		if r.Repo == "" {
			return out, vuln.Errorf(name, field+".repo", "missing (required for GIT ranges)")
		}
	case "":
		return out, vuln.Errorf(name, field+".type", "missing")
	default:
		return out, vuln.Errorf(name, field+".type", "%q is not SEMVER, ECOSYSTEM or GIT", r.Type)
	}
	if len(r.Events) == 0 {
		return out, vuln.Errorf(name, field+".events", "empty")
	}
	introduced := false
	for k, e := range r.Events {
		ef := fmt.Sprintf("%s.events[%d]", field, k)
		n := 0
		for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
			if s != "" {
				n++
			}
		}
		if n != 1 {
			return out, vuln.Errorf(name, ef, "must have exactly one of introduced, fixed, last_affected, limit (has %d)", n)
		}
		if e.Introduced != "" {
			introduced = true
		}
		out.Events = append(out.Events, vuln.Event{Introduced: e.Introduced, Fixed: e.Fixed, LastAffected: e.LastAffected, Limit: e.Limit})
	}
	if !introduced {
		return out, vuln.Errorf(name, field+".events", "no introduced event (a range must say where it starts)")
	}
	return out, nil
}

// severities reads a severity list: the CVSS vectors, and the textual
// rating of an "Ubuntu" entry (OSV 1.6: Ubuntu's priority, "negligible" to
// "critical"), which has no vector. Other types are ignored.
func severities(name, field string, in []severity) (out []vuln.CVSS, rating string, err error) {
	for i, s := range in {
		switch s.Type {
		case "CVSS_V2", "CVSS_V3", "CVSS_V4":
			c, err := vuln.ParseCVSS(s.Score, "osv")
			if err != nil {
				return nil, "", &vuln.ParseError{File: name, Field: fmt.Sprintf("%s[%d].score", field, i), Err: err}
			}
			out = append(out, c)
		case "Ubuntu":
			if rating == "" {
				rating = strings.TrimSpace(s.Score)
			}
		case "":
			return nil, "", vuln.Errorf(name, fmt.Sprintf("%s[%d].type", field, i), "missing")
		default:
			// A type of a later schema: not a CVSS vector; ignored.
		}
	}
	return out, rating, nil
}

func dedupe(ids []string, self string) []string {
	var out []string
	for _, id := range ids {
		if id == "" || id == self {
			continue
		}
		dup := false
		for _, o := range out {
			if o == id {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, id)
		}
	}
	return out
}

// Lint runs the OSV linter's data-quality checks that Parse does not enforce
// because real feeds violate them (Bitnami and OSS-Fuzz publish ranges whose
// introduced and fixed events name the same version, i.e. empty ranges).
// Each problem is a *vuln.ParseError naming the file and field. Use it to
// vet records you publish, not to reject feeds you consume.
func Lint(a *vuln.Advisory, name string) []error {
	var errs []error
	for i, af := range a.Affected {
		for j, r := range af.Ranges {
			seen := map[string]int{}
			for k, e := range r.Events {
				v := e.Introduced + e.Fixed + e.LastAffected + e.Limit
				if prev, dup := seen[v]; dup {
					errs = append(errs, vuln.Errorf(name, fmt.Sprintf("affected[%d].ranges[%d].events[%d]", i, j, k),
						"version %q already used by events[%d]: events of a range must be distinct", v, prev))
					continue
				}
				seen[v] = k
			}
		}
	}
	return errs
}

// nonEmpty returns nil for an empty slice, so advisories survive a JSON
// round trip (omitempty) unchanged.
func nonEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
