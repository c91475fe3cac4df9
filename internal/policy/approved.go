package policy

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/yamlsafe"
)

// Approved is the list of pre-approved components and licences:
//
//	approved:
//	  - purl: pkg:generic/linux          # purl without version; * globs
//	    versions: ">=5.10 <6.0"           # optional range (natural version order)
//	    reason: kernel, GPL accepted by legal
//	licenses: [MIT, Apache-2.0, BSD-3-Clause]
//
// A component matching an entry has `component.approved`; its licence
// expression satisfied by `licenses` has `component.license_approved`
// (also available as `release.approved_licenses`).
type Approved struct {
	Components []ApprovedComponent `yaml:"approved,omitempty"`
	Licenses   []string            `yaml:"licenses,omitempty"`
}

// ApprovedComponent is one purl pattern with an optional version range.
type ApprovedComponent struct {
	PURL     string `yaml:"purl,omitempty" json:"purl,omitempty"`
	Name     string `yaml:"name,omitempty" json:"name,omitempty"`
	Versions string `yaml:"versions,omitempty" json:"versions,omitempty"`
	Reason   string `yaml:"reason,omitempty" json:"reason,omitempty"`

	rng inventory.VersionRange
}

// ParseApproved reads an approved-component list.
func ParseApproved(data []byte, name string) (*Approved, error) {
	doc, err := decodeYAML(data, name)
	if err != nil {
		return nil, err
	}
	a := &Approved{}
	if len(doc.Content) == 0 {
		return a, nil
	}
	root := doc.Content[0]
	if err := checkKeys(root, name, "approved", "licenses"); err != nil {
		return nil, err
	}
	if err := root.Decode(a); err != nil {
		return nil, &LoadError{File: name, Line: root.Line, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	list := yamlsafe.Value(root, "approved")
	for i := range a.Components {
		c := &a.Components[i]
		line := 0
		if list != nil && i < len(list.Content) {
			line = list.Content[i].Line
			if err := checkKeys(list.Content[i], name, "purl", "name", "versions", "reason"); err != nil {
				return nil, err
			}
		}
		if c.PURL == "" && c.Name == "" {
			return nil, &LoadError{File: name, Line: line, Msg: "approved component needs a `purl` pattern (or a `name`)"}
		}
		if purlBase(c.PURL) != c.PURL {
			return nil, &LoadError{File: name, Line: line, Msg: fmt.Sprintf("approved purl %q carries a version: give the purl without @version and put the range in `versions`", c.PURL)}
		}
		r, err := inventory.ParseVersionRange(c.Versions)
		if err != nil {
			return nil, &LoadError{File: name, Line: line, Msg: err.Error()}
		}
		c.rng = r
	}
	for _, l := range a.Licenses {
		if !LicenseValid(l) {
			return nil, &LoadError{File: name, Line: yamlsafe.Value(root, "licenses").Line, Msg: fmt.Sprintf("licence %q is not an SPDX licence identifier", l)}
		}
	}
	return a, nil
}

// MergeApproved combines approved lists (e.g. the platform's global list
// and a product's): every component entry of each, in order, and the
// union of their licences. Nil lists are skipped; the result is never nil.
func MergeApproved(lists ...*Approved) *Approved {
	out := &Approved{}
	seen := map[string]bool{}
	for _, a := range lists {
		if a == nil {
			continue
		}
		out.Components = append(out.Components, a.Components...)
		for _, l := range a.Licenses {
			if !seen[l] {
				seen[l] = true
				out.Licenses = append(out.Licenses, l)
			}
		}
	}
	return out
}

// YAML renders the list in the format ParseApproved reads (and `rampart
// gate --approved` accepts).
func (a *Approved) YAML() ([]byte, error) {
	if a == nil || (len(a.Components) == 0 && len(a.Licenses) == 0) {
		return []byte("approved: []\nlicenses: []\n"), nil
	}
	return yaml.Marshal(a)
}

// Approves reports whether the component matches an approved entry.
func (a *Approved) Approves(c *inventory.Component) bool {
	if a == nil {
		return false
	}
	base := purlBase(c.PURL)
	for i := range a.Components {
		e := &a.Components[i]
		switch {
		case e.PURL != "":
			if base == "" || !Glob(e.PURL, base) {
				continue
			}
		case e.Name != "":
			if !Glob(e.Name, c.Name) {
				continue
			}
		}
		if !e.rng.Empty() && (c.Version == "" || !e.rng.Contains(c.Version)) {
			continue
		}
		return true
	}
	return false
}

// purlBase strips version, qualifiers and subpath.
func purlBase(p string) string {
	if j := strings.IndexAny(p, "?#"); j >= 0 {
		p = p[:j]
	}
	if i := strings.LastIndexByte(p, '@'); i > strings.LastIndexByte(p, '/') {
		p = p[:i]
	}
	return p
}
