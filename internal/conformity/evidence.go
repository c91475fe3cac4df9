package conformity

import "time"

// Evidence is what Rampart knows about one release. A nil pointer means the
// kind of evidence does not exist (no threat model, no firmware analysis, no
// update repository): checks that need it answer "needs evidence".
type Evidence struct {
	ProductID   int64      `json:"product_id"`
	Product     string     `json:"product"`
	ReleaseID   int64      `json:"release_id"`
	Version     string     `json:"version"`
	Status      string     `json:"status"` // development, shipped, end-of-life
	SupportEnd  *time.Time `json:"support_end,omitempty"`
	ReleaseDate *time.Time `json:"release_date,omitempty"`

	SBOM        *SBOMEvidence        `json:"sbom,omitempty"`
	Vulns       VulnEvidence         `json:"vulns"`
	SLA         SLAEvidence          `json:"sla"`
	Threats     *ThreatEvidence      `json:"threats,omitempty"`
	Firmware    *FirmwareEvidence    `json:"firmware,omitempty"`
	Updates     *UpdatesEvidence     `json:"updates,omitempty"`
	Disclosure  *DisclosureEvidence  `json:"disclosure,omitempty"`
	Advisories  []Link               `json:"advisories,omitempty"`
	Development *DevelopmentEvidence `json:"development,omitempty"`
}

// SBOMEvidence: the release's SBOM.
type SBOMEvidence struct {
	Components int    `json:"components"`
	SHA256     string `json:"sha256"`
}

// VulnEvidence: the release's matched vulnerabilities that are not
// resolved by a VEX decision (not_affected, false_positive, resolved).
type VulnEvidence struct {
	// FeedsUpdated is when the vulnerability database last changed (nil: never).
	FeedsUpdated *time.Time `json:"feeds_updated,omitempty"`
	Open         []VulnRef  `json:"open,omitempty"`
}

// VulnRef is one open vulnerability of the release.
type VulnRef struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	KEV      bool   `json:"kev"`
	// Exploited names the sources that report the vulnerability known
	// exploited by Rampart's one rule (vuln.ExploitationSignals: "kev",
	// "euvd", "csaf", "cve5"); empty when none does.
	Exploited []string `json:"exploited,omitempty"`
}

// SLAEvidence: scanner findings of the product and their SLAs.
type SLAEvidence struct {
	Closed      int     `json:"closed"`
	ClosedInSLA int     `json:"closed_in_sla"`
	Overdue     []int64 `json:"overdue,omitempty"` // active findings past their SLA
}

// ThreatEvidence: the product's latest threat-model version, checked.
type ThreatEvidence struct {
	Version int         `json:"version"`
	Threats []ThreatRef `json:"threats"`
	// RuleETSI maps every rule of the library to the ETSI provisions it
	// evidences, so a rule that raised nothing still counts as checked.
	RuleETSI map[string][]string `json:"-"`
}

// ThreatRef is one threat of the checked model.
type ThreatRef struct {
	ID       string   `json:"id"`
	Rule     string   `json:"rule"`
	Title    string   `json:"title"`
	STRIDE   string   `json:"stride"`
	Severity string   `json:"severity"`
	Status   string   `json:"status"` // open, mitigated, accepted, …
	ETSI     []string `json:"etsi,omitempty"`
}

// FirmwareEvidence: the release's latest firmware analysis.
type FirmwareEvidence struct {
	Image    string          `json:"image"`
	Issues   []FirmwareIssue `json:"issues"`
	Binaries []BinaryRef     `json:"binaries"`
}

// FirmwareIssue is one issue of a firmware analysis (kinds as
// `rampart firmware analyze` reports them).
type FirmwareIssue struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Severity string `json:"severity"`
	Path     string `json:"path"`
}

// BinaryRef is one analysed ELF file's hardening.
type BinaryRef struct {
	Path   string `json:"path"`
	NX     bool   `json:"nx"`
	PIE    bool   `json:"pie"`
	RELRO  string `json:"relro"`
	Canary bool   `json:"canary"`
}

// UpdatesEvidence: the product's signed-update repository.
type UpdatesEvidence struct {
	URL     string `json:"url"`
	Targets int    `json:"targets"`
}

// DisclosureEvidence: where the vulnerability disclosure policy and
// contact are published.
type DisclosureEvidence struct {
	PolicyURL  string `json:"policy_url"`
	ContactURL string `json:"contact_url"`
}

// DevelopmentEvidence: security testing of the release.
type DevelopmentEvidence struct {
	Scans    int        `json:"scans"` // scanner reports imported for the release
	LastScan *time.Time `json:"last_scan,omitempty"`
	Tools    []string   `json:"tools,omitempty"`
}

// Link points at a piece of evidence in Rampart.
type Link struct {
	Kind string `json:"kind"` // release, sbom, finding, threat, threat_model, firmware, firmware_issue, vulnerability, advisory, updates, disclosure, scan, manual
	ID   string `json:"id"`
	URL  string `json:"url"`
}
