// Package threatmodel holds Rampart's threat models as code: the model of a
// connected product (elements, devices, data assets, flows, trust
// boundaries, mitigations), its loader and validator, the rule engine that
// turns a model into STRIDE threats, and the diagram and report writers.
//
// Everything here is a pure function of its inputs: nothing touches a store.
// The CLI (internal/cli/threatmodel.go) and the server call:
//
//	m, err := threatmodel.Parse(data, "model.yaml") // load + validate
//	lib, err := threatmodel.DefaultLibrary()        // embedded rules (compiled once)
//	res := lib.Check(m)                             // threats with stable ids
//	svg, err := threatmodel.RenderSVG(ctx, m, res)  // data-flow diagram
package threatmodel

// Version is the model format marker written in the `rampart:` key.
const Version = "threatmodel/v1"

// Element types.
const (
	TypeExternalEntity = "external_entity"
	TypeProcess        = "process"
	TypeDataStore      = "data_store"
	TypeDevice         = "device"
)

// Model is one threat model of a connected product.
type Model struct {
	Rampart     string       `yaml:"rampart" json:"rampart"`
	ID          string       `yaml:"id" json:"id"`
	Title       string       `yaml:"title" json:"title"`
	Description string       `yaml:"description,omitempty" json:"description,omitempty"`
	Owner       string       `yaml:"owner,omitempty" json:"owner,omitempty"`
	Product     Product      `yaml:"product,omitempty" json:"product,omitempty"`
	Assets      []Asset      `yaml:"assets,omitempty" json:"assets,omitempty"`
	Boundaries  []Boundary   `yaml:"boundaries,omitempty" json:"boundaries,omitempty"`
	Elements    []Element    `yaml:"elements" json:"elements"`
	Flows       []Flow       `yaml:"flows,omitempty" json:"flows,omitempty"`
	Assumptions []Assumption `yaml:"assumptions,omitempty" json:"assumptions,omitempty"`
	Mitigations []Mitigation `yaml:"mitigations,omitempty" json:"mitigations,omitempty"`
	// Threats records decisions about threats the rules find (by threat id)
	// and threats identified by hand (with a title and target).
	Threats []ThreatDecision `yaml:"threats,omitempty" json:"threats,omitempty"`
	// Rules tunes the rule library for this model.
	Rules RuleSettings `yaml:"rules,omitempty" json:"rules,omitempty"`
	// Layout holds the diagram positions the visual editor draws elements
	// and trust boundaries at. It does not change the threats.
	Layout *Layout `yaml:"layout,omitempty" json:"layout,omitempty"`

	index *index
	file  string
}

// Product holds product-level facts that device rules look at.
type Product struct {
	Name    string `yaml:"name,omitempty" json:"name,omitempty"`
	Vendor  string `yaml:"vendor,omitempty" json:"vendor,omitempty"`
	Version string `yaml:"version,omitempty" json:"version,omitempty"`
	// VulnerabilityDisclosure is the public contact or policy URL for
	// reporting vulnerabilities (ETSI EN 303 645 5.2-1).
	VulnerabilityDisclosure string `yaml:"vulnerability_disclosure,omitempty" json:"vulnerability_disclosure,omitempty"`
	// SupportPeriod is the published end of security-update support (5.3-13).
	SupportPeriod string `yaml:"support_period,omitempty" json:"support_period,omitempty"`
	// SecurityUpdates is true when the maker ships security updates.
	SecurityUpdates bool `yaml:"security_updates,omitempty" json:"security_updates,omitempty"`
}

// Asset is a data asset with CIA ratings (low, medium, high, critical).
type Asset struct {
	ID              string `yaml:"id" json:"id"`
	Name            string `yaml:"name" json:"name"`
	Description     string `yaml:"description,omitempty" json:"description,omitempty"`
	Confidentiality string `yaml:"confidentiality,omitempty" json:"confidentiality,omitempty"`
	Integrity       string `yaml:"integrity,omitempty" json:"integrity,omitempty"`
	Availability    string `yaml:"availability,omitempty" json:"availability,omitempty"`
	// Personal marks personal data (GDPR; ETSI 5.8).
	Personal bool `yaml:"personal,omitempty" json:"personal,omitempty"`
	// Secret marks credentials, keys and tokens (ETSI 5.4).
	Secret bool `yaml:"secret,omitempty" json:"secret,omitempty"`
	pos    Pos
}

// Boundary is a trust boundary; Parent nests it inside another boundary.
type Boundary struct {
	ID          string `yaml:"id" json:"id"`
	Name        string `yaml:"name" json:"name"`
	Type        string `yaml:"type,omitempty" json:"type,omitempty"` // network, physical, cloud, device, process, organisation
	Parent      string `yaml:"parent,omitempty" json:"parent,omitempty"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// SourceID is the boundary's id in the tool it was imported from.
	SourceID string `yaml:"source_id,omitempty" json:"source_id,omitempty"`
	pos      Pos
}

// Element is an external entity, process, data store or device.
type Element struct {
	ID               string   `yaml:"id" json:"id"`
	Name             string   `yaml:"name" json:"name"`
	Type             string   `yaml:"type" json:"type"`
	Kind             string   `yaml:"kind,omitempty" json:"kind,omitempty"` // e.g. user, mobile_app, cloud_service, web_app, api, database, log
	Description      string   `yaml:"description,omitempty" json:"description,omitempty"`
	Boundary         string   `yaml:"boundary,omitempty" json:"boundary,omitempty"`
	Technology       string   `yaml:"technology,omitempty" json:"technology,omitempty"`
	Tags             []string `yaml:"tags,omitempty" json:"tags,omitempty"`
	OutOfScope       bool     `yaml:"out_of_scope,omitempty" json:"out_of_scope,omitempty"`
	OutOfScopeReason string   `yaml:"out_of_scope_reason,omitempty" json:"out_of_scope_reason,omitempty"`
	// SourceID is the element's id in the tool it was imported from.
	SourceID string `yaml:"source_id,omitempty" json:"source_id,omitempty"`
	// Security properties of processes, stores and services.
	InternetFacing  bool     `yaml:"internet_facing,omitempty" json:"internet_facing,omitempty"`
	Authentication  string   `yaml:"authentication,omitempty" json:"authentication,omitempty"` // how callers are authenticated: none, password, token, api_key, certificate, mutual_tls, mfa
	Authorization   string   `yaml:"authorization,omitempty" json:"authorization,omitempty"`   // none, role_based, per_object
	InputValidation bool     `yaml:"input_validation,omitempty" json:"input_validation,omitempty"`
	Logging         bool     `yaml:"logging,omitempty" json:"logging,omitempty"`       // security-relevant actions are logged
	Privileged      bool     `yaml:"privileged,omitempty" json:"privileged,omitempty"` // runs as root / with elevated privileges
	Sandboxed       bool     `yaml:"sandboxed,omitempty" json:"sandboxed,omitempty"`
	RateLimited     bool     `yaml:"rate_limited,omitempty" json:"rate_limited,omitempty"`
	Redundant       bool     `yaml:"redundant,omitempty" json:"redundant,omitempty"`
	EncryptedAtRest bool     `yaml:"encrypted_at_rest,omitempty" json:"encrypted_at_rest,omitempty"`
	Backup          bool     `yaml:"backup,omitempty" json:"backup,omitempty"`
	MultiTenant     bool     `yaml:"multi_tenant,omitempty" json:"multi_tenant,omitempty"`
	Stores          []string `yaml:"stores,omitempty" json:"stores,omitempty"`       // asset ids at rest here
	Processes       []string `yaml:"processes,omitempty" json:"processes,omitempty"` // asset ids handled here
	Device          *Device  `yaml:"device,omitempty" json:"device,omitempty"`
	pos             Pos
	stated          map[string]bool // keys written in the source, even when false (see stated.go)
}

// Device holds the attributes of a connected device.
type Device struct {
	Firmware              string         `yaml:"firmware,omitempty" json:"firmware,omitempty"` // OS / firmware, e.g. "FreeRTOS 10", "Yocto Linux"
	Update                FirmwareUpdate `yaml:"update,omitempty" json:"update,omitempty"`
	SecureBoot            bool           `yaml:"secure_boot,omitempty" json:"secure_boot,omitempty"`
	DebugPorts            []DebugPort    `yaml:"debug_ports,omitempty" json:"debug_ports,omitempty"`
	StorageEncryption     bool           `yaml:"storage_encryption,omitempty" json:"storage_encryption,omitempty"`
	SecureElement         bool           `yaml:"secure_element,omitempty" json:"secure_element,omitempty"`                   // keys in a secure element / TPM / TEE
	DefaultCredentials    string         `yaml:"default_credentials,omitempty" json:"default_credentials,omitempty"`         // none, unique_per_device, set_on_first_use, universal
	CredentialsInFirmware bool           `yaml:"credentials_in_firmware,omitempty" json:"credentials_in_firmware,omitempty"` // hard-coded secrets in the image
	UniqueIdentity        bool           `yaml:"unique_identity,omitempty" json:"unique_identity,omitempty"`                 // per-device certificate / key for cloud auth
	Radios                []Radio        `yaml:"radios,omitempty" json:"radios,omitempty"`
	NetworkServices       []string       `yaml:"network_services,omitempty" json:"network_services,omitempty"`   // listening services: telnet, ssh, http, upnp, mdns, ...
	PhysicalExposure      string         `yaml:"physical_exposure,omitempty" json:"physical_exposure,omitempty"` // public, customer_premises, restricted, secured
	TamperDetection       bool           `yaml:"tamper_detection,omitempty" json:"tamper_detection,omitempty"`
	FactoryReset          bool           `yaml:"factory_reset,omitempty" json:"factory_reset,omitempty"`         // user data can be erased (ETSI 5.11)
	LocalOperation        bool           `yaml:"local_operation,omitempty" json:"local_operation,omitempty"`     // keeps working when the cloud is down (ETSI 5.9)
	MemoryProtection      bool           `yaml:"memory_protection,omitempty" json:"memory_protection,omitempty"` // NX/ASLR/stack canaries / MPU
	SafetyCritical        bool           `yaml:"safety_critical,omitempty" json:"safety_critical,omitempty"`
	Telemetry             bool           `yaml:"telemetry,omitempty" json:"telemetry,omitempty"` // sends usage telemetry (ETSI 5.13/6)
}

// FirmwareUpdate describes how a device is updated.
type FirmwareUpdate struct {
	Mechanism          string `yaml:"mechanism,omitempty" json:"mechanism,omitempty"` // ota, local, manual, none
	Signed             bool   `yaml:"signed,omitempty" json:"signed,omitempty"`
	Encrypted          bool   `yaml:"encrypted,omitempty" json:"encrypted,omitempty"`
	RollbackProtection bool   `yaml:"rollback_protection,omitempty" json:"rollback_protection,omitempty"`
	Automatic          bool   `yaml:"automatic,omitempty" json:"automatic,omitempty"`
}

// DebugPort is a hardware debug interface.
type DebugPort struct {
	Type  string `yaml:"type" json:"type"`   // uart, jtag, swd, usb, test_points
	State string `yaml:"state" json:"state"` // open, authenticated, disabled, removed
}

// Radio is a wireless interface of a device.
type Radio struct {
	Type          string `yaml:"type" json:"type"` // ble, wifi, zigbee, thread, zwave, lora, cellular, nfc, sub_ghz
	Encrypted     bool   `yaml:"encrypted,omitempty" json:"encrypted,omitempty"`
	Pairing       string `yaml:"pairing,omitempty" json:"pairing,omitempty"`             // none, just_works, passkey, numeric_comparison, oob, install_code, button
	Authenticated bool   `yaml:"authenticated,omitempty" json:"authenticated,omitempty"` // peers are authenticated (e.g. WPA2/3, LE Secure Connections)
}

// Flow is a data flow from one element to another.
type Flow struct {
	ID               string   `yaml:"id" json:"id"`
	Name             string   `yaml:"name,omitempty" json:"name,omitempty"`
	From             string   `yaml:"from" json:"from"`
	To               string   `yaml:"to" json:"to"`
	Protocol         string   `yaml:"protocol,omitempty" json:"protocol,omitempty"`
	Encrypted        bool     `yaml:"encrypted,omitempty" json:"encrypted,omitempty"`
	Authentication   string   `yaml:"authentication,omitempty" json:"authentication,omitempty"` // none, password, token, api_key, certificate, mutual_tls, session, mfa
	Authorization    string   `yaml:"authorization,omitempty" json:"authorization,omitempty"`   // none, technical_user, end_user
	Network          string   `yaml:"network,omitempty" json:"network,omitempty"`               // internet, lan, local, radio, bus
	Integrity        bool     `yaml:"integrity,omitempty" json:"integrity,omitempty"`           // messages are signed / MACed end to end
	ReplayProtection bool     `yaml:"replay_protection,omitempty" json:"replay_protection,omitempty"`
	Data             []string `yaml:"data,omitempty" json:"data,omitempty"` // asset ids carried
	Description      string   `yaml:"description,omitempty" json:"description,omitempty"`
	OutOfScope       bool     `yaml:"out_of_scope,omitempty" json:"out_of_scope,omitempty"`
	// SourceID is the flow's id in the tool it was imported from.
	SourceID string `yaml:"source_id,omitempty" json:"source_id,omitempty"`
	pos      Pos
	stated   map[string]bool // keys written in the source, even when false (see stated.go)
}

// Assumption is a stated assumption of the model.
type Assumption struct {
	ID          string `yaml:"id" json:"id"`
	Description string `yaml:"description" json:"description"`
}

// Mitigation statuses.
const (
	MitigationPlanned     = "planned"
	MitigationInProgress  = "in_progress"
	MitigationImplemented = "implemented"
	MitigationVerified    = "verified"
)

// Mitigation is a control, with its status and the threats it addresses.
type Mitigation struct {
	ID          string   `yaml:"id" json:"id"`
	Title       string   `yaml:"title" json:"title"`
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
	Status      string   `yaml:"status,omitempty" json:"status,omitempty"`
	Owner       string   `yaml:"owner,omitempty" json:"owner,omitempty"`
	Ticket      string   `yaml:"ticket,omitempty" json:"ticket,omitempty"`
	Threats     []string `yaml:"threats,omitempty" json:"threats,omitempty"` // threat ids (wildcard "*" allowed after "@")
	pos         Pos
}

// InPlace reports whether the control is in place: implemented or verified.
func (mt *Mitigation) InPlace() bool {
	return mt.Status == MitigationImplemented || mt.Status == MitigationVerified
}

// Threat statuses.
const (
	StatusOpen          = "open"
	StatusMitigated     = "mitigated"
	StatusAccepted      = "accepted"
	StatusNotApplicable = "not_applicable"
)

// NeedsReason reports whether a threat status must be explained: accepting
// a threat or calling it not applicable takes a reason.
func NeedsReason(status string) bool {
	return status == StatusAccepted || status == StatusNotApplicable
}

// ThreatDecision marks a threat (by id) mitigated, accepted or not
// applicable with a reason, or adds a threat identified by hand when Title
// is set and the id matches no rule.
type ThreatDecision struct {
	ID          string   `yaml:"id" json:"id"`
	Status      string   `yaml:"status,omitempty" json:"status,omitempty"`
	Reason      string   `yaml:"reason,omitempty" json:"reason,omitempty"`
	Owner       string   `yaml:"owner,omitempty" json:"owner,omitempty"`
	Mitigations []string `yaml:"mitigations,omitempty" json:"mitigations,omitempty"`
	// Manual threats:
	Title       string `yaml:"title,omitempty" json:"title,omitempty"`
	Target      string `yaml:"target,omitempty" json:"target,omitempty"`
	STRIDE      string `yaml:"stride,omitempty" json:"stride,omitempty"`
	Severity    string `yaml:"severity,omitempty" json:"severity,omitempty"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	Mitigation  string `yaml:"mitigation,omitempty" json:"mitigation,omitempty"` // recommended mitigation (manual threats)
	CWE         []int  `yaml:"cwe,omitempty" json:"cwe,omitempty"`
	pos         Pos
}

// RuleSettings tunes the rule library for one model.
type RuleSettings struct {
	Disable []string `yaml:"disable,omitempty" json:"disable,omitempty"` // rule ids
}

// Pos is a position in the model's source file.
type Pos struct {
	Line, Column int
}

// File returns the name the model was loaded from ("" when built in code).
func (m *Model) File() string { return m.file }

// Element returns the element with id, or nil.
func (m *Model) Element(id string) *Element {
	m.ensureIndex()
	return m.index.elements[id]
}

// Flow returns the flow with id, or nil.
func (m *Model) Flow(id string) *Flow {
	m.ensureIndex()
	return m.index.flows[id]
}

// Boundary returns the boundary with id, or nil.
func (m *Model) Boundary(id string) *Boundary {
	m.ensureIndex()
	return m.index.boundaries[id]
}

// Asset returns the data asset with id, or nil.
func (m *Model) Asset(id string) *Asset {
	m.ensureIndex()
	return m.index.assets[id]
}

// BoundaryPath returns the boundary ids enclosing element id, innermost first.
func (m *Model) BoundaryPath(elementID string) []string {
	e := m.Element(elementID)
	if e == nil {
		return nil
	}
	var path []string
	seen := map[string]bool{}
	for b := e.Boundary; b != "" && !seen[b]; {
		seen[b] = true
		path = append(path, b)
		bb := m.Boundary(b)
		if bb == nil {
			break
		}
		b = bb.Parent
	}
	return path
}

// CrossesBoundary reports whether a flow between a and b crosses at least one
// trust boundary (their innermost boundaries differ).
func (m *Model) CrossesBoundary(a, b string) bool {
	ea, eb := m.Element(a), m.Element(b)
	if ea == nil || eb == nil {
		return false
	}
	return ea.Boundary != eb.Boundary
}

type index struct {
	elements   map[string]*Element
	flows      map[string]*Flow
	boundaries map[string]*Boundary
	assets     map[string]*Asset
}

// Reindex rebuilds the lookup tables after the model was changed in code.
func (m *Model) Reindex() { m.index = nil; m.ensureIndex() }

func (m *Model) ensureIndex() {
	if m.index != nil {
		return
	}
	m.index = &index{
		elements:   indexByID(m.Elements, func(e *Element) string { return e.ID }),
		flows:      indexByID(m.Flows, func(f *Flow) string { return f.ID }),
		boundaries: indexByID(m.Boundaries, func(b *Boundary) string { return b.ID }),
		assets:     indexByID(m.Assets, func(a *Asset) string { return a.ID }),
	}
}

// indexByID maps the id of each item to the item; the first of a repeated id
// wins (Validate reports the others).
func indexByID[T any](items []T, id func(*T) string) map[string]*T {
	out := make(map[string]*T, len(items))
	for i := range items {
		if _, dup := out[id(&items[i])]; !dup {
			out[id(&items[i])] = &items[i]
		}
	}
	return out
}
