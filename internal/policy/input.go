package policy

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/threatmodel"
	"github.com/rampart-security/rampart/internal/vuln"
)

// FromComponents converts SBOM components; approved may be nil.
func FromComponents(comps []inventory.Component, approved *Approved) []Component {
	out := make([]Component, len(comps))
	for i := range comps {
		out[i] = FromComponent(&comps[i], approved)
	}
	return out
}

// FromComponent converts one SBOM component; approved may be nil.
func FromComponent(c *inventory.Component, approved *Approved) Component {
	lic := LicenseExpression(c.Licenses)
	pc := Component{
		Name: c.Name, Version: c.Version, Group: c.Group, PURL: c.PURL, Type: string(c.Type),
		Licenses: nonNil(c.Licenses), License: lic, LicenseValid: lic != "" && licenseVerdicts.get("valid", lic, nil, func(e string, _ []string) bool { return LicenseValid(e) }),
		Supplier: c.Supplier, Approved: approved.Approves(c), New: true,
	}
	if approved != nil && len(approved.Licenses) > 0 && pc.LicenseValid {
		pc.LicenseApproved = licenseVerdicts.get("allowed", lic, approved.Licenses, LicenseAllowed)
	}
	return pc
}

// FromMatches converts vulnerability matches; VEX-suppressed matches are
// left out. Components are converted once per distinct component.
func FromMatches(ms []vuln.Match, approved *Approved) []Vuln {
	out := make([]Vuln, 0, len(ms))
	conv := map[*inventory.Component]Component{}
	for i := range ms {
		m := &ms[i]
		if m.Suppressed != nil || m.Advisory == nil || m.Component == nil {
			continue
		}
		c, ok := conv[m.Component]
		if !ok {
			c = FromComponent(m.Component, approved)
			conv[m.Component] = c
		}
		exploitation := []string{}
		for _, sig := range m.ExploitationSignals() {
			exploitation = append(exploitation, string(sig.Source))
		}
		out = append(out, Vuln{
			ID: m.Advisory.ID, Aliases: nonNil(m.Advisory.Aliases), Severity: m.Severity.String(), CVSS: m.CVSSScore,
			EPSS: m.EPSS, KEV: m.KEV, Exploited: len(exploitation) > 0, Exploitation: exploitation,
			Fixed: nonNil(m.FixedVersions), Summary: m.Advisory.Summary, Component: c, New: true,
		})
	}
	return out
}

// FromFindings converts scanner findings; tool names the report format
// when a finding carries no tool of its own.
func FromFindings(fs []findings.Finding, tool string) []Finding {
	out := make([]Finding, len(fs))
	for i := range fs {
		out[i] = FromFinding(&fs[i], tool)
	}
	return out
}

// FromFinding converts one scanner finding.
func FromFinding(f *findings.Finding, tool string) Finding {
	pf := Finding{
		Title: f.Title, Severity: string(f.Severity), Tool: f.Tool, RuleID: f.RuleID,
		VulnerabilityIDs: nonNil(f.VulnerabilityIDs), KEV: f.KEV, Fingerprint: f.Fingerprint, New: true,
		CWEs: make([]int64, len(f.CWEs)),
	}
	if pf.Tool == "" {
		pf.Tool = tool
	}
	if pf.Fingerprint == "" {
		pf.Fingerprint = findings.Fingerprint(*f)
	}
	for i, c := range f.CWEs {
		pf.CWEs[i] = int64(c)
	}
	if f.EPSS.Score != nil {
		pf.EPSS = *f.EPSS.Score
	}
	if s := f.CVSS.BestScore(); s != nil {
		pf.CVSS = *s
	}
	network := false
	for _, l := range f.Locations {
		if l.URL != "" || l.Host != "" {
			network = true
			if pf.URL == "" {
				pf.URL = l.URL
				if pf.URL == "" {
					pf.URL = l.Host
				}
			}
		}
		if l.File != "" && pf.File == "" {
			pf.File, pf.Line = l.File, int64(l.Line)
		}
	}
	switch {
	case f.Component.PURL != "":
		pf.Component = f.Component.PURL
	case f.Component.Name != "":
		pf.Component = f.Component.Name
		if f.Component.Version != "" {
			pf.Component += "@" + f.Component.Version
		}
	}
	switch {
	case len(f.VulnerabilityIDs) > 0 || pf.Component != "":
		pf.Kind = "dependency"
	case network:
		pf.Kind = "dynamic"
	case pf.File != "":
		pf.Kind = "static"
	default:
		pf.Kind = "other"
	}
	return pf
}

// FromThreats converts a threat-model check result.
func FromThreats(res *threatmodel.Result) []Threat {
	if res == nil {
		return nil
	}
	out := make([]Threat, len(res.Threats))
	for i := range res.Threats {
		t := &res.Threats[i]
		out[i] = Threat{ID: t.ID, Rule: t.Rule, Title: t.Title, STRIDE: t.STRIDE, Severity: t.Severity,
			Status: t.Status, Target: t.Target, CWEs: nonNil(t.CWE), New: true}
	}
	return out
}

// MaxFirmwareReport bounds a firmware analysis JSON document.
const MaxFirmwareReport = 256 << 20

// firmwareReport is the part of `rampart firmware analyze --format json`
// the gate reads.
type firmwareReport struct {
	Issues []struct {
		Kind     string `json:"kind"`
		Severity string `json:"severity"`
		Path     string `json:"path"`
		Detail   string `json:"detail"`
		Account  string `json:"account"`
		Port     int64  `json:"port"`
		Message  string `json:"message"`
		Title    string `json:"title"`
	} `json:"issues"`
	Binaries []struct {
		Path     string `json:"path"`
		NX       bool   `json:"nx"`
		PIE      bool   `json:"pie"`
		RELRO    string `json:"relro"`
		Canary   bool   `json:"canary"`
		Fortify  bool   `json:"fortify"`
		Stripped bool   `json:"stripped"`
	} `json:"binaries"`
}

// ParseFirmware reads the JSON output of `rampart firmware analyze`:
// {"issues":[{"kind","severity","path",…}],"binaries":[{"path","nx","pie",
// "relro","canary","fortify","stripped"}]}.
func ParseFirmware(r io.Reader, name string) ([]FirmwareIssue, []Binary, error) {
	var rep firmwareReport
	dec := json.NewDecoder(io.LimitReader(r, MaxFirmwareReport))
	if err := dec.Decode(&rep); err != nil {
		return nil, nil, fmt.Errorf("%s: not a firmware analysis report (JSON with issues and binaries): %w", name, err)
	}
	issues := make([]FirmwareIssue, 0, len(rep.Issues))
	for i, is := range rep.Issues {
		if is.Kind == "" {
			return nil, nil, fmt.Errorf("%s: issues[%d] has no kind", name, i)
		}
		d := firstNonEmpty(is.Detail, is.Message, is.Title)
		issues = append(issues, FirmwareIssue{Kind: is.Kind, Severity: strings.ToLower(is.Severity), Path: is.Path, Detail: d, Account: is.Account, Port: is.Port, New: true})
	}
	bins := make([]Binary, 0, len(rep.Binaries))
	for i, b := range rep.Binaries {
		relro := strings.ToLower(b.RELRO)
		switch relro {
		case "none", "partial", "full":
		case "":
			relro = "none"
		default:
			return nil, nil, fmt.Errorf("%s: binaries[%d] (%s): relro %q: want none, partial or full", name, i, b.Path, b.RELRO)
		}
		bins = append(bins, Binary{Path: b.Path, NX: b.NX, PIE: b.PIE, RELRO: relro, Canary: b.Canary, Fortify: b.Fortify, Stripped: b.Stripped, New: true})
	}
	return issues, bins, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Fingerprints of each subject kind, used for baselines.

// ComponentKey is the component's purl, or type/name@version.
func ComponentKey(c *Component) string {
	if c.PURL != "" {
		return "component|" + c.PURL
	}
	return "component|" + c.Type + "/" + c.Group + "/" + c.Name + "@" + c.Version
}

// VulnKey is the vulnerability on the package, regardless of the package's
// version: an upgrade that stays vulnerable is not new.
func VulnKey(v *Vuln) string {
	pkg := purlBase(v.Component.PURL)
	if pkg == "" {
		pkg = v.Component.Group + "/" + v.Component.Name
	}
	return "vuln|" + v.ID + "|" + pkg
}

// FirmwareKey is the issue's kind, path, account and port.
func FirmwareKey(f *FirmwareIssue) string {
	return fmt.Sprintf("firmware|%s|%s|%s|%d", f.Kind, f.Path, f.Account, f.Port)
}

// Baseline is the set of fingerprints of an earlier state. It keeps a
// 128-bit SHA-256 prefix of each fingerprint, not the text, so the
// baseline of a release of a million components costs tens of MB.
type Baseline struct {
	keys map[baselineKey]struct{}
}

type baselineKey [16]byte

func keyOf(k string) baselineKey {
	sum := sha256.Sum256([]byte(k))
	return baselineKey(sum[:16])
}

// NewBaseline collects the fingerprints of every subject of in.
func NewBaseline(ins ...*Input) *Baseline {
	b := &Baseline{keys: map[baselineKey]struct{}{}}
	for _, in := range ins {
		b.AddComponents(in.Components)
		for i := range in.Vulns {
			b.add(VulnKey(&in.Vulns[i]))
		}
		for i := range in.Findings {
			b.add("finding|" + in.Findings[i].Fingerprint)
		}
		for i := range in.Threats {
			b.add("threat|" + in.Threats[i].ID)
		}
		for i := range in.Firmware {
			b.add(FirmwareKey(&in.Firmware[i]))
		}
		for i := range in.Binaries {
			b.add("binary|" + in.Binaries[i].Path)
		}
	}
	return b
}

// AddComponents adds the fingerprints of a batch of components (a release
// read from the store page by page).
func (b *Baseline) AddComponents(cs []Component) {
	for i := range cs {
		b.add(ComponentKey(&cs[i]))
	}
}

func (b *Baseline) add(k string) { b.keys[keyOf(k)] = struct{}{} }

// Len is the number of fingerprints in the baseline.
func (b *Baseline) Len() int { return len(b.keys) }

func (b *Baseline) has(k string) bool {
	_, ok := b.keys[keyOf(k)]
	return ok
}

// ApplyComponents sets `new` on a batch of components as Apply does.
func (b *Baseline) ApplyComponents(cs []Component) {
	if b == nil {
		return
	}
	for i := range cs {
		cs[i].New = !b.has(ComponentKey(&cs[i]))
	}
}

// Apply sets `new` on every subject of in: true only when the baseline
// lacks its fingerprint. A nil baseline makes everything new.
func (b *Baseline) Apply(in *Input) {
	if b == nil {
		return
	}
	b.ApplyComponents(in.Components)
	for i := range in.Vulns {
		v := &in.Vulns[i]
		v.New = !b.has(VulnKey(v))
		v.Component.New = !b.has(ComponentKey(&v.Component))
	}
	for i := range in.Findings {
		in.Findings[i].New = !b.has("finding|" + in.Findings[i].Fingerprint)
	}
	for i := range in.Threats {
		in.Threats[i].New = !b.has("threat|" + in.Threats[i].ID)
	}
	for i := range in.Firmware {
		in.Firmware[i].New = !b.has(FirmwareKey(&in.Firmware[i]))
	}
	for i := range in.Binaries {
		in.Binaries[i].New = !b.has("binary|" + in.Binaries[i].Path)
	}
}
