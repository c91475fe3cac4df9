package policy

import (
	"reflect"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
)

// Copyleft is the list of SPDX licence identifiers the default policy and
// the CEL constant `copyleft` treat as copyleft (strong and weak: GPL,
// LGPL, AGPL, EUPL, OSL, SSPL, CC-BY-SA, MPL, EPL, CDDL).
var Copyleft = []string{
	"GPL-1.0-only", "GPL-1.0-or-later", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later",
	"LGPL-2.0-only", "LGPL-2.0-or-later", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later",
	"AGPL-1.0-only", "AGPL-1.0-or-later", "AGPL-3.0-only", "AGPL-3.0-or-later",
	"GPL-1.0", "GPL-1.0+", "GPL-2.0", "GPL-2.0+", "GPL-3.0", "GPL-3.0+", "LGPL-2.0", "LGPL-2.0+", "LGPL-2.1", "LGPL-2.1+",
	"LGPL-3.0", "LGPL-3.0+", "AGPL-1.0", "AGPL-3.0",
	"EUPL-1.0", "EUPL-1.1", "EUPL-1.2", "OSL-1.0", "OSL-2.0", "OSL-2.1", "OSL-3.0", "SSPL-1.0",
	"CC-BY-SA-3.0", "CC-BY-SA-4.0", "MPL-1.1", "MPL-2.0", "EPL-1.0", "EPL-2.0", "CDDL-1.0", "CDDL-1.1",
}

var (
	envOnce sync.Once
	envs    map[string]*cel.Env
	envErr  error
)

var subjectTypes = map[string]reflect.Type{
	OnVuln:      reflect.TypeFor[Vuln](),
	OnFinding:   reflect.TypeFor[Finding](),
	OnComponent: reflect.TypeFor[Component](),
	OnThreat:    reflect.TypeFor[Threat](),
	OnFirmware:  reflect.TypeFor[FirmwareIssue](),
	OnBinary:    reflect.TypeFor[Binary](),
	OnRelease:   reflect.TypeFor[Release](),
}

// envFor returns the CEL environment of a subject: the subject variable
// (named after it: vuln, finding, …), `release`, the constant `copyleft`
// and the policy functions.
func envFor(on string) *cel.Env {
	envOnce.Do(func() {
		envs = map[string]*cel.Env{}
		for _, s := range Subjects {
			e, err := newEnv(s)
			if err != nil {
				envErr = err
				return
			}
			envs[s] = e
		}
	})
	if envErr != nil {
		panic("policy: CEL environment: " + envErr.Error())
	}
	return envs[on]
}

func newEnv(on string) (*cel.Env, error) {
	t := subjectTypes[on]
	opts := []cel.EnvOption{
		ext.NativeTypes(reflect.TypeFor[Vuln](), reflect.TypeFor[Finding](), reflect.TypeFor[Component](), reflect.TypeFor[Threat](),
			reflect.TypeFor[FirmwareIssue](), reflect.TypeFor[Binary](), reflect.TypeFor[Release](), ext.ParseStructTags(true)),
		cel.Variable("release", cel.ObjectType("policy.Release")),
		cel.Constant("copyleft", cel.ListType(cel.StringType), types.NewStringList(types.DefaultTypeAdapter, Copyleft)),
		ext.Strings(),
	}
	if on != OnRelease { // the release is every rule's `release`
		opts = append(opts, cel.Variable(on, cel.ObjectType("policy."+t.Name())))
	}
	opts = append(opts,
		cel.Function("severity_at_least",
			cel.Overload("severity_at_least_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.BoolType,
				cel.BinaryBinding(func(a, b ref.Val) ref.Val {
					sa, _ := a.Value().(string)
					sb, _ := b.Value().(string)
					return types.Bool(SeverityRank(sa) >= SeverityRank(sb) && SeverityRank(sb) >= 0)
				}))),
		licenseFunction("license_allowed", "allowed", LicenseAllowed),
		licenseFunction("license_requires_any", "requires", LicenseRequiresAny),
		cel.Function("glob",
			cel.MemberOverload("string_glob_string", []*cel.Type{cel.StringType, cel.StringType}, cel.BoolType,
				cel.BinaryBinding(func(a, b ref.Val) ref.Val {
					s, _ := a.Value().(string)
					p, _ := b.Value().(string)
					return types.Bool(Glob(p, s))
				}))),
	)
	return cel.NewEnv(opts...)
}

// licenseFunction declares the CEL function name(expression, licences):
// the verdict of check, cached under kind.
func licenseFunction(name, kind string, check func(expr string, licenses []string) bool) cel.EnvOption {
	return cel.Function(name,
		cel.Overload(name+"_string_list", []*cel.Type{cel.StringType, cel.ListType(cel.StringType)}, cel.BoolType,
			cel.BinaryBinding(func(a, b ref.Val) ref.Val {
				expr, _ := a.Value().(string)
				return types.Bool(licenseVerdicts.get(kind, expr, stringList(b), check))
			})))
}

func stringList(v ref.Val) []string {
	l, ok := v.(traits.Lister)
	if !ok {
		return nil
	}
	n, _ := l.Size().Value().(int64)
	out := make([]string, 0, n)
	for i := int64(0); i < n; i++ {
		if s, ok := l.Get(types.Int(i)).Value().(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// SeverityRank orders severities: critical 4, high 3, medium 2, low 1,
// info/none 0; -1 for anything else (unknown never reaches a threshold).
func SeverityRank(s string) int {
	switch strings.ToLower(s) {
	case "critical":
		return 4
	case "high":
		return 3
	case "medium", "moderate":
		return 2
	case "low":
		return 1
	case "info", "none", "informational":
		return 0
	}
	return -1
}

// Glob matches s against a pattern where * matches any run of characters
// (including '/') and every other character matches itself.
func Glob(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == s
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last)
}

// activation binds a subject and the release without allocating a map.
type activation struct {
	name    string
	subject any
	release *Release
}

func (a *activation) ResolveName(n string) (any, bool) {
	if n == a.name {
		return a.subject, true
	}
	if n == "release" {
		return a.release, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// licenseCache memoises licence verdicts: SBOMs repeat a few dozen
// expressions over thousands of components, and SPDX parsing dominates.
type licenseCache struct {
	mu sync.Mutex
	m  map[string]bool
}

var licenseVerdicts = &licenseCache{m: map[string]bool{}}

const maxLicenseCache = 50000

func (c *licenseCache) get(kind, expr string, list []string, f func(string, []string) bool) bool {
	key := kind + "\x00" + expr + "\x00" + strings.Join(list, "\x00")
	c.mu.Lock()
	v, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return v
	}
	v = f(expr, list)
	c.mu.Lock()
	if len(c.m) >= maxLicenseCache {
		clear(c.m)
	}
	c.m[key] = v
	c.mu.Unlock()
	return v
}
