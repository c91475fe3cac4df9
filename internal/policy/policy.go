// Package policy evaluates CI policy gates written in CEL over a release's
// SBOM components, matched vulnerabilities, scanner findings, threats and
// firmware analysis, with baselines, expiring exceptions and an approved
// component list.
//
// A policy is YAML (`rampart: policy/v1`) with rules; each rule selects a
// subject with `on` and fires when its `when` expression is true. Every
// expression is parsed and type-checked at load time, and errors name the
// file, line and column of the offending YAML. Evaluation (Evaluate) is a
// pure function of the loaded policy and the inputs.
package policy

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"cel.dev/cel-go/cel"
	"github.com/rampart-security/rampart/internal/yamlsafe"
	"gopkg.in/yaml.v3"
)

// APIVersion is the value of a policy file's `rampart:` key.
const APIVersion = "policy/v1"

// MaxPolicySize bounds one policy file.
const MaxPolicySize = 1 << 20

// ErrInvalid wraps every policy load error.
var ErrInvalid = errors.New("invalid policy")

// Severities of a rule, worst first.
var Severities = []string{"critical", "high", "medium", "low", "info"}

// Rule is one compiled policy rule.
type Rule struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	Severity    string `json:"severity"`
	On          string `json:"on"`
	When        string `json:"when"`
	Message     string `json:"message"`
	// Source is "file:line" of the rule, for reports.
	Source string `json:"source"`

	prg cel.Program
	msg []msgPart
}

type msgPart struct {
	text string
	prg  cel.Program // nil for literal text
}

// Policy is a set of compiled rules from one or more files.
type Policy struct {
	Rules []*Rule
	// Files are the policy files read, in load order.
	Files []string
}

// LoadError is a policy problem at a position in a file.
type LoadError struct {
	File   string
	Line   int // 1-based; 0 when unknown
	Column int // 1-based; 0 when unknown
	Msg    string
}

func (e *LoadError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

func (e *LoadError) Unwrap() error { return ErrInvalid }

//go:embed default.yaml
var defaultFS embed.FS

// DefaultSource is the text of the shipped default policy.
func DefaultSource() []byte {
	b, _ := defaultFS.ReadFile("default.yaml")
	return b
}

// Default returns the shipped default policy (see docs/policy.md).
func Default() *Policy {
	p, err := Parse(DefaultSource(), "default.yaml")
	if err != nil {
		panic("policy: default policy does not compile: " + err.Error())
	}
	return p
}

// Load reads a policy file, or every *.yaml / *.yml file of a folder (in
// name order; rule ids must be unique across them).
func Load(path string) (*Policy, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	var files []string
	if st.IsDir() {
		err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		sort.Strings(files)
		if len(files) == 0 {
			return nil, fmt.Errorf("policy: %s: no .yaml or .yml files in the folder: %w", path, ErrInvalid)
		}
	} else {
		files = []string{path}
	}
	out := &Policy{}
	for _, f := range files {
		data, err := readLimited(f)
		if err != nil {
			return nil, err
		}
		p, err := Parse(data, f)
		if err != nil {
			return nil, err
		}
		if err := out.merge(p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxPolicySize+1))
	if err != nil {
		return nil, fmt.Errorf("policy: %s: %w", path, err)
	}
	if len(b) > MaxPolicySize {
		return nil, tooLarge(path)
	}
	return b, nil
}

// tooLarge is the error for a file of more than MaxPolicySize bytes.
func tooLarge(name string) error {
	return &LoadError{File: name, Msg: fmt.Sprintf("larger than %d bytes", MaxPolicySize)}
}

// decodeYAML decodes a policy, exception list or approved list of at most
// MaxPolicySize bytes into its YAML document node, refusing a repeated
// key (yamlsafe); errors name the file and the line.
func decodeYAML(data []byte, name string) (*yaml.Node, error) {
	if len(data) > MaxPolicySize {
		return nil, tooLarge(name)
	}
	var doc yaml.Node
	if err := yamlsafe.Unmarshal(data, &doc); err != nil {
		return nil, &LoadError{File: name, Line: yamlErrLine(err), Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	return &doc, nil
}

func (p *Policy) merge(q *Policy) error {
	seen := map[string]*Rule{}
	for _, r := range p.Rules {
		seen[r.ID] = r
	}
	for _, r := range q.Rules {
		if prev, ok := seen[r.ID]; ok {
			file, line := splitSource(r.Source)
			return &LoadError{File: file, Line: line, Msg: fmt.Sprintf("rule id %q is already defined at %s: rule ids must be unique", r.ID, prev.Source)}
		}
		p.Rules = append(p.Rules, r)
	}
	p.Files = append(p.Files, q.Files...)
	return nil
}

func splitSource(s string) (string, int) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, 0
	}
	n := 0
	for _, c := range s[i+1:] {
		if c < '0' || c > '9' {
			return s, 0
		}
		n = n*10 + int(c-'0')
	}
	return s[:i], n
}

var ruleIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// Parse compiles one policy document; name is used in error messages.
func Parse(data []byte, name string) (*Policy, error) {
	doc, err := decodeYAML(data, name)
	if err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &LoadError{File: name, Msg: "empty policy: want `rampart: " + APIVersion + "` and `rules:`"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &LoadError{File: name, Line: root.Line, Column: root.Column, Msg: "a policy is a mapping with `rampart: " + APIVersion + "` and `rules:`"}
	}
	lines := bytes.Split(data, []byte("\n"))
	var version, rules *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "rampart":
			version = v
		case "rules":
			rules = v
		case "description", "name":
		default:
			return nil, &LoadError{File: name, Line: k.Line, Column: k.Column, Msg: fmt.Sprintf("unknown key %q: a policy has rampart, name, description and rules", k.Value)}
		}
	}
	if version == nil {
		return nil, &LoadError{File: name, Line: root.Line, Column: root.Column, Msg: "missing `rampart: " + APIVersion + "`"}
	}
	if version.Value != APIVersion {
		return nil, &LoadError{File: name, Line: version.Line, Column: version.Column, Msg: fmt.Sprintf("rampart: %q is not supported: want %q", version.Value, APIVersion)}
	}
	if rules == nil || rules.Kind != yaml.SequenceNode {
		line, col := root.Line, root.Column
		if rules != nil {
			line, col = rules.Line, rules.Column
		}
		return nil, &LoadError{File: name, Line: line, Column: col, Msg: "`rules:` must be a list of rules"}
	}
	p := &Policy{Files: []string{name}}
	seen := map[string]int{}
	for _, rn := range rules.Content {
		r, err := parseRule(rn, name, lines)
		if err != nil {
			return nil, err
		}
		if prev, ok := seen[r.ID]; ok {
			return nil, &LoadError{File: name, Line: rn.Line, Column: rn.Column, Msg: fmt.Sprintf("rule id %q is already defined on line %d: rule ids must be unique", r.ID, prev)}
		}
		seen[r.ID] = rn.Line
		p.Rules = append(p.Rules, r)
	}
	return p, nil
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func yamlErrLine(err error) int {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n := 0
	fmt.Sscan(m[1], &n)
	return n
}

func parseRule(n *yaml.Node, file string, lines [][]byte) (*Rule, error) {
	if n.Kind != yaml.MappingNode {
		return nil, &LoadError{File: file, Line: n.Line, Column: n.Column, Msg: "a rule is a mapping with id, description, severity, on, when and message"}
	}
	r := &Rule{Source: fmt.Sprintf("%s:%d", file, n.Line)}
	nodes := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "id", "description", "severity", "on", "when", "message":
		default:
			return nil, &LoadError{File: file, Line: k.Line, Column: k.Column, Msg: fmt.Sprintf("unknown rule key %q: a rule has id, description, severity, on, when and message", k.Value)}
		}
		if v.Kind != yaml.ScalarNode {
			return nil, &LoadError{File: file, Line: v.Line, Column: v.Column, Msg: fmt.Sprintf("rule %s must be a string", k.Value)}
		}
		nodes[k.Value] = v
	}
	get := func(key string) string {
		if v := nodes[key]; v != nil {
			return v.Value
		}
		return ""
	}
	at := func(key string) (int, int) {
		if v := nodes[key]; v != nil {
			return v.Line, v.Column
		}
		return n.Line, n.Column
	}
	r.ID, r.Description, r.Severity, r.On, r.When, r.Message = get("id"), get("description"), get("severity"), get("on"), get("when"), get("message")
	if !ruleIDPattern.MatchString(r.ID) {
		l, c := at("id")
		return nil, &LoadError{File: file, Line: l, Column: c, Msg: fmt.Sprintf("rule id %q: want letters, digits, '.', '_' or '-' (at most 100)", r.ID)}
	}
	if r.Severity == "" {
		r.Severity = "high"
	}
	if !slices.Contains(Severities, r.Severity) {
		l, c := at("severity")
		return nil, &LoadError{File: file, Line: l, Column: c, Msg: fmt.Sprintf("rule %s: severity %q: want one of %s", r.ID, r.Severity, strings.Join(Severities, ", "))}
	}
	if !slices.Contains(Subjects, r.On) {
		l, c := at("on")
		return nil, &LoadError{File: file, Line: l, Column: c, Msg: fmt.Sprintf("rule %s: on %q: want one of %s", r.ID, r.On, strings.Join(Subjects, ", "))}
	}
	if strings.TrimSpace(r.When) == "" {
		l, c := at("when")
		return nil, &LoadError{File: file, Line: l, Column: c, Msg: fmt.Sprintf("rule %s: missing `when` (a CEL expression over %s)", r.ID, r.On)}
	}
	env := envFor(r.On)
	ast, iss := env.Compile(r.When)
	if iss != nil && iss.Err() != nil {
		return nil, celError(file, nodes["when"], lines, r, iss)
	}
	if ast.OutputType() != cel.BoolType {
		l, c := at("when")
		return nil, &LoadError{File: file, Line: l, Column: c, Msg: fmt.Sprintf("rule %s: `when` must be a boolean expression, it is %s", r.ID, ast.OutputType())}
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(1_000_000))
	if err != nil {
		l, c := at("when")
		return nil, &LoadError{File: file, Line: l, Column: c, Msg: fmt.Sprintf("rule %s: %v", r.ID, err)}
	}
	r.prg = prg
	if r.Message == "" {
		r.Message = r.Description
	}
	if r.Message == "" {
		r.Message = r.ID
	}
	parts, err := compileMessage(env, r.Message)
	if err != nil {
		l, c := at("message")
		return nil, &LoadError{File: file, Line: l, Column: c, Msg: fmt.Sprintf("rule %s: message: %v", r.ID, err)}
	}
	r.msg = parts
	return r, nil
}

// celError maps the first CEL issue's position inside the expression back
// to the YAML file: plain and quoted scalars start at the node's column;
// block scalars (| and >) start on the next line at the block's indentation.
func celError(file string, n *yaml.Node, lines [][]byte, r *Rule, iss *cel.Issues) error {
	errs := iss.Errors()
	msg := strings.TrimSpace(iss.Err().Error())
	line, col := n.Line, n.Column
	if len(errs) > 0 {
		e := errs[0]
		msg = e.Message
		el, ec := e.Location.Line(), e.Location.Column() // 1-based line, 0-based column
		if el < 1 {
			el = 1
		}
		if ec < 0 {
			ec = 0
		}
		switch n.Style {
		case yaml.LiteralStyle, yaml.FoldedStyle:
			l := n.Line + el // content starts on the line after the indicator
			indent := 0      // the block's indentation is the first content line's
			if n.Line < len(lines) {
				s := lines[n.Line]
				for indent < len(s) && (s[indent] == ' ' || s[indent] == '\t') {
					indent++
				}
			}
			line, col = l, indent+ec+1
			if n.Style == yaml.FoldedStyle {
				line = n.Line + 1 // folded lines join: only the first line is exact
			}
		case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
			line = n.Line + el - 1
			if el == 1 {
				col = n.Column + 1 + ec
			} else {
				col = ec + 1
			}
		default:
			line = n.Line + el - 1
			if el == 1 {
				col = n.Column + ec
			} else {
				col = ec + 1
			}
		}
		if len(errs) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(errs)-1)
		}
	}
	return &LoadError{File: file, Line: line, Column: col, Msg: fmt.Sprintf("rule %s: when: %s", r.ID, msg)}
}

// compileMessage splits text with {{ CEL expression }} placeholders.
func compileMessage(env *cel.Env, s string) ([]msgPart, error) {
	var parts []msgPart
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			if s != "" {
				parts = append(parts, msgPart{text: s})
			}
			return parts, nil
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return nil, errors.New("unclosed {{")
		}
		if i > 0 {
			parts = append(parts, msgPart{text: s[:i]})
		}
		expr := strings.TrimSpace(s[i+2 : i+j])
		ast, iss := env.Compile(expr)
		if iss != nil && iss.Err() != nil {
			return nil, fmt.Errorf("{{ %s }}: %s", expr, strings.TrimSpace(iss.Err().Error()))
		}
		prg, err := env.Program(ast, cel.CostLimit(100_000))
		if err != nil {
			return nil, fmt.Errorf("{{ %s }}: %w", expr, err)
		}
		parts = append(parts, msgPart{prg: prg})
		s = s[i+j+2:]
	}
}
