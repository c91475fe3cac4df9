package policy

// The subjects a rule's `when` expression is evaluated on. Field names in
// CEL are the `cel` tags; every field is always set (zero values, never
// null), so expressions need no has() checks.

// Subject kinds, the values of a rule's `on`.
const (
	OnVuln      = "vuln"
	OnFinding   = "finding"
	OnComponent = "component"
	OnThreat    = "threat"
	OnFirmware  = "firmware"
	OnBinary    = "binary"
	// OnRelease judges the release once (its checklist, product,
	// version): a rule such as "no shipping without a security code
	// review" fails once, not once per component.
	OnRelease = "release"
)

// Subjects lists the valid `on` values in documentation order.
var Subjects = []string{OnVuln, OnFinding, OnComponent, OnThreat, OnFirmware, OnBinary, OnRelease}

// Component is one SBOM component (subject `component`, and `vuln.component`).
type Component struct {
	Name     string   `cel:"name" json:"name"`
	Version  string   `cel:"version" json:"version"`
	Group    string   `cel:"group" json:"group"`
	PURL     string   `cel:"purl" json:"purl"`
	Type     string   `cel:"type" json:"type"`
	Licenses []string `cel:"licenses" json:"licenses"`
	// License is the component's licences as one SPDX expression (several
	// declared licences joined with AND); "" when none is declared.
	License string `cel:"license" json:"license"`
	// LicenseValid is false when License is not a valid SPDX expression
	// (a free-text licence name, an unknown identifier).
	LicenseValid bool   `cel:"license_valid" json:"license_valid"`
	Supplier     string `cel:"supplier" json:"supplier"`
	// Approved is true when the component matches the approved-component
	// list (--approved): a purl pattern with a version range.
	Approved bool `cel:"approved" json:"approved"`
	// LicenseApproved is true when License is satisfied by the approved
	// licences of the approved list.
	LicenseApproved bool `cel:"license_approved" json:"license_approved"`
	// New is true when the baseline lacks the component (by purl, or
	// name@version); true for everything when there is no baseline.
	New bool `cel:"new" json:"new"`
}

// Vuln is one SBOM component × matched vulnerability (subject `vuln`).
type Vuln struct {
	ID       string   `cel:"id" json:"id"`
	Aliases  []string `cel:"aliases" json:"aliases"`
	Severity string   `cel:"severity" json:"severity"` // critical, high, medium, low, none, unknown
	CVSS     float64  `cel:"cvss" json:"cvss"`         // best base score, 0 when none
	EPSS     float64  `cel:"epss" json:"epss"`         // probability 0–1, 0 when unknown
	KEV      bool     `cel:"kev" json:"kev"`
	// Exploited is true when the vulnerability is known exploited by the
	// rule incidents and `rampart match` use (vuln.ExploitationSignals:
	// CISA KEV, EUVD, CSAF exploit_status, CVE 5 SSVC); Exploitation names
	// those sources ("kev", "euvd", "csaf", "cve5").
	Exploited    bool     `cel:"exploited" json:"exploited"`
	Exploitation []string `cel:"exploitation" json:"exploitation"`
	// Fixed lists the versions that fix the vulnerability (empty: no fix known).
	Fixed     []string  `cel:"fixed" json:"fixed"`
	Summary   string    `cel:"summary" json:"summary"`
	Component Component `cel:"component" json:"component"`
	// New is true when the baseline lacks this vulnerability on this
	// package (by id and purl without version).
	New bool `cel:"new" json:"new"`
}

// Finding is one scanner finding (subject `finding`).
type Finding struct {
	Title            string   `cel:"title" json:"title"`
	Severity         string   `cel:"severity" json:"severity"` // critical, high, medium, low, info
	Tool             string   `cel:"tool" json:"tool"`
	RuleID           string   `cel:"rule_id" json:"rule_id"`
	CWEs             []int64  `cel:"cwes" json:"cwes"`
	VulnerabilityIDs []string `cel:"vulnerability_ids" json:"vulnerability_ids"`
	KEV              bool     `cel:"kev" json:"kev"`
	EPSS             float64  `cel:"epss" json:"epss"`
	CVSS             float64  `cel:"cvss" json:"cvss"`
	File             string   `cel:"file" json:"file"`
	Line             int64    `cel:"line" json:"line"`
	URL              string   `cel:"url" json:"url"`
	Component        string   `cel:"component" json:"component"` // purl, or name@version
	Fingerprint      string   `cel:"fingerprint" json:"fingerprint"`
	// Kind is "static" (a source location, no vulnerability id), "dependency"
	// (vulnerability ids or a component) or "dynamic" (a URL or host).
	Kind string `cel:"kind" json:"kind"`
	// New is true when the baseline lacks the finding's fingerprint.
	New bool `cel:"new" json:"new"`
}

// Threat is one threat of a threat-model check (subject `threat`).
type Threat struct {
	ID       string   `cel:"id" json:"id"` // RULE@TARGET
	Rule     string   `cel:"rule" json:"rule"`
	Title    string   `cel:"title" json:"title"`
	STRIDE   string   `cel:"stride" json:"stride"`
	Severity string   `cel:"severity" json:"severity"`
	Status   string   `cel:"status" json:"status"` // open, mitigated, accepted, not_applicable
	Target   string   `cel:"target" json:"target"`
	CWEs     []string `cel:"cwes" json:"cwes"`
	New      bool     `cel:"new" json:"new"`
}

// FirmwareIssue is one issue of `rampart firmware analyze` (subject `firmware`).
type FirmwareIssue struct {
	Kind     string `cel:"kind" json:"kind"`
	Severity string `cel:"severity" json:"severity"`
	Path     string `cel:"path" json:"path"`
	Detail   string `cel:"detail" json:"detail"`
	Account  string `cel:"account" json:"account"` // the account of an account issue
	Port     int64  `cel:"port" json:"port"`       // the port of a service issue
	New      bool   `cel:"new" json:"new"`
}

// Binary is one analysed ELF binary of a firmware image (subject `binary`).
type Binary struct {
	Path     string `cel:"path" json:"path"`
	NX       bool   `cel:"nx" json:"nx"`
	PIE      bool   `cel:"pie" json:"pie"`
	RELRO    string `cel:"relro" json:"relro"` // none, partial, full
	Canary   bool   `cel:"canary" json:"canary"`
	Fortify  bool   `cel:"fortify" json:"fortify"`
	Stripped bool   `cel:"stripped" json:"stripped"`
	New      bool   `cel:"new" json:"new"`
}

// Release is release-wide context, available in every rule as `release`.
type Release struct {
	Product   string          `cel:"product" json:"product"`
	Version   string          `cel:"version" json:"version"`
	Checklist map[string]bool `cel:"checklist" json:"checklist"` // SDL activities done, e.g. code_review
	// ApprovedLicenses are the licences of the approved list.
	ApprovedLicenses []string `cel:"approved_licenses" json:"approved_licenses"`
}
