package threatmodel

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"gopkg.in/yaml.v3"

	"github.com/rampart-security/rampart/internal/yamlsafe"
)

//go:embed rules/*.yaml
var builtinRules embed.FS

// Targets a rule can apply to (besides the element types).
const (
	TargetElement = "element" // every element
	TargetFlow    = "flow"
	TargetModel   = "model"
)

// Rule is one entry of the threat library, loaded from a YAML data file.
type Rule struct {
	ID          string   `yaml:"id" json:"id"`
	Title       string   `yaml:"title" json:"title"`
	STRIDE      string   `yaml:"stride" json:"stride"`
	AppliesTo   []string `yaml:"applies_to" json:"applies_to"`
	Condition   string   `yaml:"condition" json:"condition"`
	Severity    string   `yaml:"severity" json:"severity"`
	Likelihood  string   `yaml:"likelihood,omitempty" json:"likelihood,omitempty"`
	Impact      string   `yaml:"impact,omitempty" json:"impact,omitempty"`
	Why         string   `yaml:"why" json:"why"`
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
	Mitigations []string `yaml:"mitigations" json:"mitigations"`
	CWE         []int    `yaml:"cwe,omitempty" json:"cwe,omitempty"`
	CAPEC       []int    `yaml:"capec,omitempty" json:"capec,omitempty"`
	ETSI        []string `yaml:"etsi,omitempty" json:"etsi,omitempty"`
	References  []string `yaml:"references,omitempty" json:"references,omitempty"`
	Tags        []string `yaml:"tags,omitempty" json:"tags,omitempty"`
	// Source is where the rule was loaded from ("builtin:rules/x.yaml" or a path).
	Source string `yaml:"-" json:"source"`

	program     cel.Program
	refs        []ruleRef // facts the condition reads (assume.go)
	why         []whyPart
	mitigations [][]whyPart
	cweIDs      []string // "CWE-n", computed once
	capecIDs    []string
}

type whyPart struct {
	text string
	prg  cel.Program // nil for literal text
	expr string
}

// Library is a compiled set of rules. It is safe for concurrent use.
type Library struct {
	rules []*Rule
	byID  map[string]*Rule
	cache checkCache
}

// LibraryOptions configures NewLibrary.
type LibraryOptions struct {
	// Dirs are extra rule folders; a rule whose id matches a built-in rule
	// replaces it.
	Dirs []string
	// Disable lists rule ids to leave out; a trailing "*" matches a prefix.
	Disable []string
	// NoBuiltin leaves out the embedded rules.
	NoBuiltin bool
}

// DefaultLibrary compiles the embedded rule library.
func DefaultLibrary() (*Library, error) { return NewLibrary(LibraryOptions{}) }

// NewLibrary compiles the embedded rules plus the rules in opts.Dirs.
func NewLibrary(opts LibraryOptions) (*Library, error) {
	env, err := newEnv()
	if err != nil {
		return nil, err
	}
	lib := &Library{byID: map[string]*Rule{}}
	var errs []error
	addAll := func(rules []*Rule) {
		for _, r := range rules {
			if err := r.compile(env); err != nil {
				errs = append(errs, err)
				continue
			}
			if old, ok := lib.byID[r.ID]; ok {
				if strings.HasPrefix(old.Source, "builtin:") && !strings.HasPrefix(r.Source, "builtin:") {
					*old = *r // user rule replaces the built-in one
					continue
				}
				errs = append(errs, fmt.Errorf("%s: duplicate rule id %q (also in %s)", r.Source, r.ID, old.Source))
				continue
			}
			lib.byID[r.ID] = r
			lib.rules = append(lib.rules, r)
		}
	}
	if !opts.NoBuiltin {
		rules, err := loadRulesFS(builtinRules, "rules", "builtin:")
		if err != nil {
			return nil, err
		}
		addAll(rules)
	}
	for _, d := range opts.Dirs {
		if err := checkRulesDir(d); err != nil {
			return nil, err
		}
		rules, err := loadRulesFS(os.DirFS(d), ".", d+string(filepath.Separator))
		if err != nil {
			return nil, fmt.Errorf("rules folder %s: %w", d, err)
		}
		addAll(rules)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(opts.Disable) > 0 {
		lib.rules = slices.DeleteFunc(lib.rules, func(r *Rule) bool {
			if disabled(opts.Disable, r.ID) {
				delete(lib.byID, r.ID)
				return true
			}
			return false
		})
	}
	sort.Slice(lib.rules, func(i, j int) bool { return lib.rules[i].ID < lib.rules[j].ID })
	return lib, nil
}

// checkRulesDir says what to do when a rules folder cannot be read: os.DirFS
// would report a missing folder as "stat .", which names neither it nor a fix.
func checkRulesDir(d string) error {
	fi, err := os.Stat(d)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("rules folder %s does not exist: create it with your rule YAML files, or name the folder that holds them", d)
	case err != nil:
		return fmt.Errorf("rules folder %s: %w", d, err)
	case !fi.IsDir():
		return fmt.Errorf("rules folder %s is a file: give the folder that holds the rule YAML files", d)
	}
	return nil
}

func disabled(list []string, id string) bool {
	for _, d := range list {
		if d == id || (strings.HasSuffix(d, "*") && strings.HasPrefix(id, strings.TrimSuffix(d, "*"))) {
			return true
		}
	}
	return false
}

// Rules returns the library's rules ordered by id.
func (l *Library) Rules() []*Rule { return slices.Clone(l.rules) }

// Rule returns the rule with id, or nil.
func (l *Library) Rule(id string) *Rule { return l.byID[id] }

// ParseRules decodes rules from one YAML file: a single rule, several rules
// as YAML documents separated by "---", or a mapping with a `rules:` list.
// source names the file in errors. The rules are not compiled yet.
func ParseRules(data []byte, source string) ([]*Rule, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []*Rule
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			p := yamlProblem(source, err)
			return nil, errors.New(p.String())
		}
		root := &doc
		if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
			root = root.Content[0]
		}
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue
		}
		if err := checkAliases(root, 0); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		if err := yamlsafe.Check(root); err != nil {
			p := yamlProblem(source, err)
			return nil, errors.New(p.String())
		}
		items := []*yaml.Node{root}
		if v := yamlsafe.Value(root, "rules"); v != nil && v.Kind == yaml.SequenceNode {
			items = v.Content
		}
		for _, n := range items {
			var probs []Problem
			checkKeys(n, reflect.TypeFor[Rule](), "", source, &probs)
			if len(probs) > 0 {
				return nil, &ValidationError{Problems: probs}
			}
			r := &Rule{}
			if err := n.Decode(r); err != nil {
				p := yamlProblem(source, err)
				return nil, errors.New(p.String())
			}
			r.Source = fmt.Sprintf("%s:%d", source, n.Line)
			out = append(out, r)
		}
	}
	return out, nil
}

func loadRulesFS(fsys fs.FS, dir, prefix string) ([]*Rule, error) {
	var out []*Rule
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || (path.Ext(p) != ".yaml" && path.Ext(p) != ".yml") {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		rules, err := ParseRules(data, prefix+p)
		if err != nil {
			return err
		}
		out = append(out, rules...)
		return nil
	})
	return out, err
}

// Valid rule targets.
var RuleTargets = []string{TargetElement, TypeExternalEntity, TypeProcess, TypeDataStore, TypeDevice, TargetFlow, TargetModel}

func (r *Rule) compile(env *cel.Env) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("rule %q (%s): %s", r.ID, r.Source, fmt.Sprintf(format, args...))
	}
	switch {
	case r.ID == "":
		return bad("no id")
	case r.Title == "":
		return bad("no title")
	case !slices.Contains(STRIDECategories, r.STRIDE):
		return bad("stride %q is not one of %s", r.STRIDE, strings.Join(STRIDECategories, ", "))
	case !slices.Contains(Severities, r.Severity):
		return bad("severity %q is not one of %s", r.Severity, strings.Join(Severities, ", "))
	case len(r.AppliesTo) == 0:
		return bad("applies_to is empty (use %s)", strings.Join(RuleTargets, ", "))
	case strings.TrimSpace(r.Condition) == "":
		return bad("no condition")
	case strings.TrimSpace(r.Why) == "":
		return bad("no why")
	case len(r.Mitigations) == 0:
		return bad("no mitigations")
	}
	flowRule := false
	for _, t := range r.AppliesTo {
		if !slices.Contains(RuleTargets, t) {
			return bad("applies_to %q is not one of %s", t, strings.Join(RuleTargets, ", "))
		}
		if t == TargetFlow {
			flowRule = true
		}
	}
	if flowRule && len(r.AppliesTo) > 1 {
		return bad("a flow rule applies to flows only")
	}
	prg, err := compileExpr(env, r.Condition, true)
	if err != nil {
		return bad("condition: %v", err)
	}
	r.program = prg
	r.refs = conditionRefs(r.Condition)
	r.cweIDs, r.capecIDs = prefixed("CWE-", r.CWE), prefixed("CAPEC-", r.CAPEC)
	if r.why, err = compileTemplate(env, r.Why); err != nil {
		return bad("why: %v", err)
	}
	r.mitigations = make([][]whyPart, len(r.Mitigations))
	for i, m := range r.Mitigations {
		if r.mitigations[i], err = compileTemplate(env, m); err != nil {
			return bad("mitigations[%d]: %v", i, err)
		}
	}
	return nil
}

// compileTemplate splits text with {{ CEL expression }} placeholders.
func compileTemplate(env *cel.Env, s string) ([]whyPart, error) {
	var parts []whyPart
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			return append(parts, whyPart{text: s}), nil
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return nil, errors.New("unclosed {{")
		}
		parts = append(parts, whyPart{text: s[:i]})
		expr := strings.TrimSpace(s[i+2 : i+j])
		p, err := compileExpr(env, expr, false)
		if err != nil {
			return nil, fmt.Errorf("{{%s}}: %w", expr, err)
		}
		parts = append(parts, whyPart{prg: p, expr: expr})
		s = s[i+j+2:]
	}
}

func compileExpr(env *cel.Env, expr string, wantBool bool) (cel.Program, error) {
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		return nil, iss.Err()
	}
	if wantBool && ast.OutputType() != cel.BoolType && ast.OutputType() != cel.DynType {
		return nil, fmt.Errorf("must be a boolean expression, is %s", ast.OutputType())
	}
	return env.Program(ast, cel.EvalOptions(cel.OptOptimize))
}

func newEnv() (*cel.Env, error) {
	m := cel.MapType(cel.StringType, cel.DynType)
	return cel.NewEnv(
		cel.Variable("e", m),     // the element (element rules)
		cel.Variable("flow", m),  // the flow (flow rules)
		cel.Variable("src", m),   // the flow's source element
		cel.Variable("dst", m),   // the flow's destination element
		cel.Variable("model", m), // model-wide facts
	)
}

func (r *Rule) matches(act any) (bool, error) {
	v, _, err := r.program.Eval(act)
	if err != nil {
		return false, err
	}
	b, ok := v.(types.Bool)
	if !ok {
		return false, fmt.Errorf("condition returned %s, not a bool", v.Type())
	}
	return bool(b), nil
}

func (r *Rule) explain(act any) string { return expand(r.why, act) }

func (r *Rule) mitigationTexts(act any) []string {
	out := make([]string, len(r.mitigations))
	for i, m := range r.mitigations {
		out[i] = expand(m, act)
	}
	return out
}

func expand(parts []whyPart, act any) string {
	if len(parts) == 1 && parts[0].prg == nil {
		return strings.TrimSpace(parts[0].text)
	}
	var b strings.Builder
	for _, p := range parts {
		if p.prg == nil {
			b.WriteString(p.text)
			continue
		}
		v, _, err := p.prg.Eval(act)
		if err != nil {
			b.WriteString("?")
			continue
		}
		b.WriteString(celString(v))
	}
	return strings.TrimSpace(b.String())
}

func celString(v ref.Val) string {
	switch x := v.Value().(type) {
	case string:
		return x
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, fmt.Sprint(e))
		}
		return strings.Join(parts, ", ")
	case []string:
		return strings.Join(x, ", ")
	}
	if l, ok := v.(interface {
		Size() ref.Val
		Get(ref.Val) ref.Val
	}); ok && v.Type() == types.ListType {
		n, _ := l.Size().(types.Int)
		parts := make([]string, 0, int(n))
		for i := types.Int(0); i < n; i++ {
			parts = append(parts, celString(l.Get(i)))
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v.Value())
}
