package policy

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rampart-security/rampart/internal/yamlsafe"
)

// Match scopes an exception: every field given must match the violation
// (omitted fields match anything). Globs (*) are allowed in each.
//
//   - id: a vulnerability id or alias, a finding's rule id, fingerprint or
//     vulnerability id, a threat id (RULE@TARGET) or rule, a firmware issue
//     kind, a binary's path, a component's purl or name.
//   - component: a purl (without version it matches every version) or name@version.
//   - path: a finding's file or URL, a firmware issue's or binary's path,
//     a threat's target.
type Match struct {
	ID        string `json:"id,omitempty" yaml:"id"`
	Component string `json:"component,omitempty" yaml:"component"`
	Path      string `json:"path,omitempty" yaml:"path"`
}

// Exception excepts a rule's violations that its match selects, until the
// end of the expiry day (UTC).
type Exception struct {
	Rule     string `json:"rule" yaml:"rule"`
	Match    Match  `json:"match" yaml:"match"`
	Reason   string `json:"reason" yaml:"reason"`
	Approver string `json:"approver" yaml:"approver"`
	Expires  string `json:"expires" yaml:"expires"` // YYYY-MM-DD
	// Source is "file:line" of the exception.
	Source string `json:"-" yaml:"-"`
}

// ParseExceptions reads `exceptions: [{rule, match: {id, component, path},
// reason, approver, expires}]`. Every exception needs a rule, a reason, an
// approver and an expiry date; errors name the file and line.
func ParseExceptions(data []byte, name string) ([]Exception, error) {
	root, err := decodeYAML(data, name)
	if err != nil {
		return nil, err
	}
	if len(root.Content) == 0 {
		return nil, nil
	}
	if err := checkKeys(root.Content[0], name, "exceptions"); err != nil {
		return nil, err
	}
	var doc struct {
		Exceptions []yaml.Node `yaml:"exceptions"`
	}
	if err := root.Content[0].Decode(&doc); err != nil {
		return nil, &LoadError{File: name, Line: root.Content[0].Line, Msg: "`exceptions:` must be a list: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	out := make([]Exception, 0, len(doc.Exceptions))
	for i := range doc.Exceptions {
		n := &doc.Exceptions[i]
		var e Exception
		if err := n.Decode(&e); err != nil {
			return nil, &LoadError{File: name, Line: n.Line, Column: n.Column, Msg: "exception: " + strings.TrimPrefix(err.Error(), "yaml: ")}
		}
		if err := checkKeys(n, name, "rule", "match", "reason", "approver", "expires"); err != nil {
			return nil, err
		}
		if m := yamlsafe.Value(n, "match"); m != nil {
			if err := checkKeys(m, name, "id", "component", "path"); err != nil {
				return nil, err
			}
		}
		e.Source = fmt.Sprintf("%s:%d", name, n.Line)
		bad := func(msg string) error { return &LoadError{File: name, Line: n.Line, Column: n.Column, Msg: msg} }
		switch {
		case e.Rule == "":
			return nil, bad("exception without `rule`: name the policy rule id it excepts (or * for every rule)")
		case strings.TrimSpace(e.Reason) == "":
			return nil, bad(fmt.Sprintf("exception for %s has no `reason`: say why the risk is accepted", e.Rule))
		case strings.TrimSpace(e.Approver) == "":
			return nil, bad(fmt.Sprintf("exception for %s has no `approver`: name who approved it", e.Rule))
		case e.Expires == "":
			return nil, bad(fmt.Sprintf("exception for %s has no `expires: YYYY-MM-DD`: every exception must expire", e.Rule))
		case e.Match == Match{}:
			return nil, bad(fmt.Sprintf("exception for %s has an empty `match`: scope it with id, component or path", e.Rule))
		}
		if _, err := time.Parse(time.DateOnly, e.Expires); err != nil {
			return nil, bad(fmt.Sprintf("exception for %s: expires %q is not a date YYYY-MM-DD", e.Rule, e.Expires))
		}
		out = append(out, e)
	}
	return out, nil
}

func checkKeys(n *yaml.Node, file string, keys ...string) error {
	if n.Kind != yaml.MappingNode {
		return &LoadError{File: file, Line: n.Line, Column: n.Column, Msg: "want a mapping with " + strings.Join(keys, ", ")}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		ok := false
		for _, want := range keys {
			ok = ok || k.Value == want
		}
		if !ok {
			return &LoadError{File: file, Line: k.Line, Column: k.Column, Msg: fmt.Sprintf("unknown key %q: want %s", k.Value, strings.Join(keys, ", "))}
		}
	}
	return nil
}

// Expired reports whether the exception is past its expiry day at now.
func (e *Exception) Expired(now time.Time) bool {
	return e.Expires < now.UTC().Format(time.DateOnly)
}

func (e *Exception) covers(v *Violation) bool {
	if e.Rule != "*" && !Glob(e.Rule, v.Rule) {
		return false
	}
	m := e.Match
	if m.ID != "" {
		ok := false
		for _, id := range v.ids {
			if id != "" && Glob(m.ID, id) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if m.Component != "" && !componentMatches(m.Component, v.component) {
		return false
	}
	if m.Path != "" && (v.path == "" || !Glob(m.Path, v.path)) {
		return false
	}
	return true
}

// componentMatches: a pattern without a version ("pkg:npm/lodash", or a
// name) matches every version of the component.
func componentMatches(pattern, id string) bool {
	if id == "" {
		return false
	}
	if Glob(pattern, id) {
		return true
	}
	base := id
	if i := strings.LastIndexByte(base, '@'); i > strings.LastIndexByte(base, '/') {
		base = base[:i]
	}
	if j := strings.IndexAny(base, "?#"); j >= 0 {
		base = base[:j]
	}
	return Glob(pattern, base)
}
