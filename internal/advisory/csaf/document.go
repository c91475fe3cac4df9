// Package csaf holds the CSAF 2.0 document model and its validator: the JSON
// schema plus the mandatory (6.1.x), optional (6.2.x) and informative (6.3.x)
// tests of the OASIS CSAF 2.0 specification, section 6.
//
// The same Go types are used to author documents (encoding with omitempty
// yields schema-valid JSON) and to run the tests on documents read from files.
package csaf

import "fmt"

// Document is a CSAF 2.0 document.
type Document struct {
	Document        DocumentMeta    `json:"document"`
	ProductTree     *ProductTree    `json:"product_tree,omitempty"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities,omitempty"`
}

// DocumentMeta is /document.
type DocumentMeta struct {
	Acknowledgments   []Acknowledgment   `json:"acknowledgments,omitempty"`
	AggregateSeverity *AggregateSeverity `json:"aggregate_severity,omitempty"`
	Category          string             `json:"category"`
	CSAFVersion       string             `json:"csaf_version"`
	Distribution      *Distribution      `json:"distribution,omitempty"`
	Lang              string             `json:"lang,omitempty"`
	Notes             []Note             `json:"notes,omitempty"`
	Publisher         Publisher          `json:"publisher"`
	References        []Reference        `json:"references,omitempty"`
	SourceLang        string             `json:"source_lang,omitempty"`
	Title             string             `json:"title"`
	Tracking          Tracking           `json:"tracking"`
}

// Acknowledgment credits people or organisations.
type Acknowledgment struct {
	Names        []string `json:"names,omitempty"`
	Organization string   `json:"organization,omitempty"`
	Summary      string   `json:"summary,omitempty"`
	URLs         []string `json:"urls,omitempty"`
}

// AggregateSeverity is the vendor's overall rating.
type AggregateSeverity struct {
	Namespace string `json:"namespace,omitempty"`
	Text      string `json:"text"`
}

// Distribution carries the TLP label.
type Distribution struct {
	Text string `json:"text,omitempty"`
	TLP  *TLP   `json:"tlp,omitempty"`
}

// TLP is a Traffic Light Protocol label (CSAF 2.0 uses TLP 1.0: WHITE, GREEN, AMBER, RED).
type TLP struct {
	Label string `json:"label"`
	URL   string `json:"url,omitempty"`
}

// Note is a note of the document or of a vulnerability.
type Note struct {
	Audience string `json:"audience,omitempty"`
	Category string `json:"category"`
	Text     string `json:"text"`
	Title    string `json:"title,omitempty"`
}

// Publisher is /document/publisher.
type Publisher struct {
	Category         string `json:"category"`
	ContactDetails   string `json:"contact_details,omitempty"`
	IssuingAuthority string `json:"issuing_authority,omitempty"`
	Name             string `json:"name"`
	Namespace        string `json:"namespace"`
}

// Reference is a link to related material.
type Reference struct {
	Category string `json:"category,omitempty"`
	Summary  string `json:"summary"`
	URL      string `json:"url"`
}

// Tracking is /document/tracking.
type Tracking struct {
	Aliases            []string   `json:"aliases,omitempty"`
	CurrentReleaseDate string     `json:"current_release_date"`
	Generator          *Generator `json:"generator,omitempty"`
	ID                 string     `json:"id"`
	InitialReleaseDate string     `json:"initial_release_date"`
	RevisionHistory    []Revision `json:"revision_history"`
	Status             string     `json:"status"`
	Version            string     `json:"version"`
}

// Generator names the tool that wrote the document.
type Generator struct {
	Date   string `json:"date,omitempty"`
	Engine Engine `json:"engine"`
}

// Engine is the generator's engine.
type Engine struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// Revision is one item of the revision history.
type Revision struct {
	Date          string `json:"date"`
	LegacyVersion string `json:"legacy_version,omitempty"`
	Number        string `json:"number"`
	Summary       string `json:"summary"`
}

// ProductTree is /product_tree.
type ProductTree struct {
	Branches         []Branch          `json:"branches,omitempty"`
	FullProductNames []FullProductName `json:"full_product_names,omitempty"`
	ProductGroups    []ProductGroup    `json:"product_groups,omitempty"`
	Relationships    []Relationship    `json:"relationships,omitempty"`
}

// Branch is one node of the product tree (vendor, product_name, product_version, ...).
type Branch struct {
	Branches []Branch         `json:"branches,omitempty"`
	Category string           `json:"category"`
	Name     string           `json:"name"`
	Product  *FullProductName `json:"product,omitempty"`
}

// WalkBranches calls fn for every branch of the tree, parents before their
// children, with its JSON pointer (/product_tree/branches/0/branches/1). A
// nil tree has none.
func (pt *ProductTree) WalkBranches(fn func(path string, b *Branch)) {
	if pt == nil {
		return
	}
	var walk func(path string, bs []Branch)
	walk = func(path string, bs []Branch) {
		for i := range bs {
			p := fmt.Sprintf("%s/branches/%d", path, i)
			fn(p, &bs[i])
			walk(p, bs[i].Branches)
		}
	}
	walk("/product_tree", pt.Branches)
}

// FullProductName defines a product ID.
type FullProductName struct {
	Name                        string                       `json:"name"`
	ProductID                   string                       `json:"product_id"`
	ProductIdentificationHelper *ProductIdentificationHelper `json:"product_identification_helper,omitempty"`
}

// ProductIdentificationHelper identifies a product by CPE, purl, hashes, ...
type ProductIdentificationHelper struct {
	CPE           string       `json:"cpe,omitempty"`
	Hashes        []Hashes     `json:"hashes,omitempty"`
	ModelNumbers  []string     `json:"model_numbers,omitempty"`
	PURL          string       `json:"purl,omitempty"`
	PURLs         []string     `json:"purls,omitempty"` // CSAF 2.1: purl became a list
	SBOMURLs      []string     `json:"sbom_urls,omitempty"`
	SerialNumbers []string     `json:"serial_numbers,omitempty"`
	SKUs          []string     `json:"skus,omitempty"`
	XGenericURIs  []GenericURI `json:"x_generic_uris,omitempty"`
}

// Hashes are the cryptographic hashes of one file.
type Hashes struct {
	FileHashes []FileHash `json:"file_hashes"`
	Filename   string     `json:"filename"`
}

// FileHash is one hash value.
type FileHash struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"value"`
}

// GenericURI is an x_generic_uris item.
type GenericURI struct {
	Namespace string `json:"namespace"`
	URI       string `json:"uri"`
}

// ProductGroup groups product IDs.
type ProductGroup struct {
	GroupID    string   `json:"group_id"`
	ProductIDs []string `json:"product_ids"`
	Summary    string   `json:"summary,omitempty"`
}

// Relationship combines two products into a new one.
type Relationship struct {
	Category                  string          `json:"category"`
	FullProductName           FullProductName `json:"full_product_name"`
	ProductReference          string          `json:"product_reference"`
	RelatesToProductReference string          `json:"relates_to_product_reference"`
}

// Vulnerability is one item of /vulnerabilities.
type Vulnerability struct {
	Acknowledgments []Acknowledgment `json:"acknowledgments,omitempty"`
	CVE             string           `json:"cve,omitempty"`
	CWE             *CWE             `json:"cwe,omitempty"`
	DiscoveryDate   string           `json:"discovery_date,omitempty"`
	Flags           []Flag           `json:"flags,omitempty"`
	IDs             []VulnID         `json:"ids,omitempty"`
	Involvements    []Involvement    `json:"involvements,omitempty"`
	Notes           []Note           `json:"notes,omitempty"`
	ProductStatus   *ProductStatus   `json:"product_status,omitempty"`
	References      []Reference      `json:"references,omitempty"`
	ReleaseDate     string           `json:"release_date,omitempty"`
	Remediations    []Remediation    `json:"remediations,omitempty"`
	Scores          []Score          `json:"scores,omitempty"`
	Threats         []Threat         `json:"threats,omitempty"`
	Title           string           `json:"title,omitempty"`
}

// CWE is a weakness.
type CWE struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Flag is a machine-readable VEX justification.
type Flag struct {
	Date       string   `json:"date,omitempty"`
	GroupIDs   []string `json:"group_ids,omitempty"`
	Label      string   `json:"label"`
	ProductIDs []string `json:"product_ids,omitempty"`
}

// VulnID is an id in another system.
type VulnID struct {
	SystemName string `json:"system_name"`
	Text       string `json:"text"`
}

// Involvement records a party's involvement.
type Involvement struct {
	Date    string `json:"date,omitempty"`
	Party   string `json:"party"`
	Status  string `json:"status"`
	Summary string `json:"summary,omitempty"`
}

// ProductStatus lists product IDs per status.
type ProductStatus struct {
	FirstAffected      []string `json:"first_affected,omitempty"`
	FirstFixed         []string `json:"first_fixed,omitempty"`
	Fixed              []string `json:"fixed,omitempty"`
	KnownAffected      []string `json:"known_affected,omitempty"`
	KnownNotAffected   []string `json:"known_not_affected,omitempty"`
	LastAffected       []string `json:"last_affected,omitempty"`
	Recommended        []string `json:"recommended,omitempty"`
	UnderInvestigation []string `json:"under_investigation,omitempty"`
}

// Remediation tells what to do.
type Remediation struct {
	Category        string           `json:"category"`
	Date            string           `json:"date,omitempty"`
	Details         string           `json:"details"`
	Entitlements    []string         `json:"entitlements,omitempty"`
	GroupIDs        []string         `json:"group_ids,omitempty"`
	ProductIDs      []string         `json:"product_ids,omitempty"`
	RestartRequired *RestartRequired `json:"restart_required,omitempty"`
	URL             string           `json:"url,omitempty"`
}

// RestartRequired says what must restart.
type RestartRequired struct {
	Category string `json:"category"`
	Details  string `json:"details,omitempty"`
}

// Score is a CVSS score for some products. CVSS objects are kept as maps so
// that every property the vector implies can be checked (6.1.9, 6.1.10).
type Score struct {
	CVSSv2   map[string]any `json:"cvss_v2,omitempty"`
	CVSSv3   map[string]any `json:"cvss_v3,omitempty"`
	Products []string       `json:"products"`
}

// Threat is a threat statement (impact, exploit_status, target_set).
type Threat struct {
	Category   string   `json:"category"`
	Date       string   `json:"date,omitempty"`
	Details    string   `json:"details"`
	GroupIDs   []string `json:"group_ids,omitempty"`
	ProductIDs []string `json:"product_ids,omitempty"`
}
