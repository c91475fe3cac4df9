package sbom

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/xmlsafe"
)

func decodeCycloneDXJSON(data []byte, name string, f Format) (*Document, error) {
	switch {
	case f.SpecVersion == "":
		if err := validateStream(data, FormatCycloneDX+"/1.6", name); err != nil {
			return nil, err // a syntax error, most likely
		}
		return nil, invalid(name, "/specVersion", "missing required property specVersion")
	case !cycloneDXVersions[f.SpecVersion]:
		return nil, fmt.Errorf("%s: %w: CycloneDX specVersion %q (supported in JSON: 1.2 to 1.7; 1.0 and 1.1 are XML only)", name, ErrUnsupportedVersion, f.SpecVersion)
	}
	if err := validateStream(data, FormatCycloneDX+"/"+f.SpecVersion, name); err != nil {
		return nil, err
	}
	// Decoded after validation, not alongside it, so the validator's
	// garbage and the typed model never peak together.
	res := unmarshalBOM(data)
	if res.panic != nil {
		return nil, invalid(name, "", "decoder failed on malformed input (recovered panic: %v)", res.panic)
	}
	if res.err != nil {
		return nil, jsonSyntaxError(data, name, res.err, 0)
	}
	if err := checkCycloneDX(res.bom, f, name); err != nil {
		return nil, err
	}
	return fromBOM(res.bom, f)
}

type typedResult struct {
	bom   *cdx.BOM
	err   error
	panic any
}

// unmarshalBOM decodes CycloneDX JSON with cyclonedx-go. When cyclonedx-go
// rejects a document the schema accepts (v0.12.0 rejects e.g. a string
// declarations…classification and a string patentAssertions…asserter,
// both allowed by the 1.6/1.7 schemas), it falls back to decoding only what
// import uses. It runs in its own goroutine, so it recovers its own panics.
func unmarshalBOM(data []byte) (res typedResult) {
	defer func() {
		if p := recover(); p != nil {
			res = typedResult{panic: p}
		}
	}()
	var bom cdx.BOM
	if err := json.Unmarshal(data, &bom); err != nil {
		var lean leanBOM
		if lerr := json.Unmarshal(data, &lean); lerr != nil {
			return typedResult{err: err}
		}
		bom = lean.toBOM()
	}
	return typedResult{bom: &bom}
}

// decodeCycloneDXXML decodes CycloneDX XML.
//
// The official XML Schemas (bom-1.x.xsd) are not used: Go has no pure-Go XSD
// 1.0 validator of production quality (the candidates wrap libxml2 through
// cgo, which would break the static CGO_ENABLED=0 build). Instead the XML is
// decoded strictly by encoding/xml into cyclonedx-go's model (well-formedness,
// root element and namespace, attribute and element types), and checkCycloneDX
// then enforces what the XSD enforces and matters for import: required
// component type and name, enumerated component types, hash algorithms and
// hex digests, licence choices (id or name, SPDX ids from the official list),
// serial number and timestamp syntax, unique and non-empty bom-refs, and
// non-empty dependency refs. Unknown elements are ignored, as the XSD's
// extension points (##other) allow.
// tooDeep is the error for XML nested deeper than xmlsafe.MaxDepth: dec
// stopped where the element past the bound opens.
func tooDeep(name string, dec *xml.Decoder) error {
	line, _ := dec.InputPos()
	return invalid(name, fmt.Sprintf("line %d", line), "elements nested deeper than %d levels", xmlsafe.MaxDepth)
}

func decodeCycloneDXXML(data []byte, name string, f Format) (*Document, error) {
	var bom cdx.BOM
	dec := xml.NewDecoder(xmlsafe.NewReader(bytes.NewReader(data), xmlsafe.MaxDepth))
	if err := dec.Decode(&bom); err != nil {
		if errors.Is(err, xmlsafe.ErrTooDeep) {
			return nil, tooDeep(name, dec)
		}
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, invalid(name, fmt.Sprintf("line %d", se.Line), "malformed XML: %s", se.Msg)
		}
		line, _ := dec.InputPos()
		return nil, invalid(name, fmt.Sprintf("line %d", line), "XML does not match CycloneDX %s: %v", f.SpecVersion, err)
	}
	if contentAfterRoot(dec.Token) {
		line, _ := dec.InputPos()
		return nil, invalid(name, fmt.Sprintf("line %d", line), "unexpected content after </bom>")
	}
	if bom.XMLNS != cdxXMLNamespacePrefix+f.SpecVersion {
		return nil, invalid(name, "/bom/@xmlns", "namespace %q is not CycloneDX %s", bom.XMLNS, f.SpecVersion)
	}
	if err := checkCycloneDX(&bom, f, name); err != nil {
		return nil, err
	}
	if err := addNestedXMLDependencies(data, &bom, name); err != nil {
		return nil, err
	}
	return fromBOM(&bom, f)
}

// xmlDependency is a CycloneDX XML <dependency> with the <dependency>
// elements nested in it at any depth. bom-1.2.xsd to bom-1.7.xsd define
// dependencyType recursively ("the component or service that is a
// dependency of this dependency object"), so <dependency ref="A"><dependency
// ref="B"><dependency ref="C"/></dependency></dependency> says A depends on
// B and B on C (cyclonedx-python-lib writes such documents);
// cyclonedx-go's Dependency reads the first level only.
type xmlDependency struct {
	Ref  string          `xml:"ref,attr"`
	Deps []xmlDependency `xml:"dependency"`
}

// refs is the refs of d's direct dependencies, nil when it has none (as
// cyclonedx-go decodes them).
func (d *xmlDependency) refs() *[]string {
	if len(d.Deps) == 0 {
		return nil
	}
	refs := make([]string, len(d.Deps))
	for i := range d.Deps {
		refs[i] = d.Deps[i].Ref
	}
	return &refs
}

// nested appends to out, in document order, an entry for every dependency
// nested below d that lists dependencies of its own.
func (d *xmlDependency) nested(out []cdx.Dependency) []cdx.Dependency {
	for i := range d.Deps {
		if c := &d.Deps[i]; len(c.Deps) > 0 {
			out = append(out, cdx.Dependency{Ref: c.Ref, Dependencies: c.refs()})
			out = c.nested(out)
		}
	}
	return out
}

// addNestedXMLDependencies adds to bom, after each of its dependencies,
// the entries of the dependencies nested in it (see xmlDependency). The
// document is read a second time only when it holds more <dependency>
// elements than bom has entries and direct dependencies.
func addNestedXMLDependencies(data []byte, bom *cdx.BOM, name string) error {
	if bom.Dependencies == nil {
		return nil
	}
	read := 0
	for _, d := range *bom.Dependencies {
		read++
		if d.Dependencies != nil {
			read += len(*d.Dependencies)
		}
	}
	if countXMLStartTags(data, "dependency") <= read {
		return nil
	}
	var doc struct {
		Deps []xmlDependency `xml:"dependencies>dependency"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil || len(doc.Deps) != len(*bom.Dependencies) {
		return invalid(name, "/bom/dependencies", "nested dependencies could not be read: %v", err)
	}
	all := make([]cdx.Dependency, 0, len(doc.Deps))
	for i := range doc.Deps {
		all = append(all, (*bom.Dependencies)[i])
		all = doc.Deps[i].nested(all)
	}
	bom.Dependencies = &all
	return nil
}

// countXMLStartTags counts the start and empty-element tags of local name
// local (with or without a namespace prefix) in data, or a few more (the
// text is not parsed).
func countXMLStartTags(data []byte, local string) int {
	n := 0
	for i := 0; i < len(data); {
		j := bytes.Index(data[i:], []byte(local))
		if j < 0 {
			break
		}
		j += i
		end := j + len(local)
		if j > 0 && (data[j-1] == '<' || data[j-1] == ':') && end < len(data) {
			switch data[end] {
			case ' ', '\t', '\n', '\r', '>', '/':
				n++
			}
		}
		i = end
	}
	return n
}

// loc builds error locations: JSON pointers for JSON, element paths for XML.
type loc struct {
	xml  bool
	path string
}

func (l loc) field(jsonName, xmlName string) loc {
	if l.xml {
		return loc{true, l.path + "/" + xmlName}
	}
	return loc{false, l.path + "/" + jsonName}
}

func (l loc) index(i int, xmlElem string) loc {
	if l.xml {
		return loc{true, l.path + "/" + xmlElem + "[" + strconv.Itoa(i+1) + "]"}
	}
	return loc{false, l.path + "/" + strconv.Itoa(i)}
}

var componentTypesSince = map[cdx.ComponentType]string{
	cdx.ComponentTypeApplication: "1.0", cdx.ComponentTypeFramework: "1.0", cdx.ComponentTypeLibrary: "1.0",
	cdx.ComponentTypeContainer: "1.2", cdx.ComponentTypeOS: "1.0", cdx.ComponentTypeDevice: "1.0",
	cdx.ComponentTypeFirmware: "1.2", cdx.ComponentTypeFile: "1.1",
	cdx.ComponentTypePlatform: "1.5", cdx.ComponentTypeDeviceDriver: "1.5",
	cdx.ComponentTypeMachineLearningModel: "1.5", cdx.ComponentTypeData: "1.5",
	cdx.ComponentTypeCryptographicAsset: "1.6",
}

var hashAlgsSince = map[string]string{
	"MD5": "1.0", "SHA-1": "1.0", "SHA-256": "1.0", "SHA-384": "1.0", "SHA-512": "1.0",
	"SHA3-256": "1.0", "SHA3-384": "1.2", "SHA3-512": "1.0",
	"BLAKE2b-256": "1.0", "BLAKE2b-384": "1.0", "BLAKE2b-512": "1.0", "BLAKE3": "1.0",
	"Streebog-256": "1.7", "Streebog-512": "1.7",
}

var scopes = map[cdx.Scope]bool{"": true, cdx.ScopeRequired: true, cdx.ScopeOptional: true, cdx.ScopeExcluded: true}

// versionAtLeast compares "1.x" minor versions.
func versionAtLeast(v, min string) bool {
	minor := func(s string) int {
		_, m, _ := strings.Cut(s, ".")
		n, _ := strconv.Atoi(m)
		return n
	}
	return minor(v) >= minor(min)
}

func isHexDigest(s string) bool {
	switch len(s) {
	case 32, 40, 64, 96, 128:
	default:
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func isSerialNumber(s string) bool {
	rest, ok := strings.CutPrefix(s, "urn:uuid:")
	if !ok || len(rest) != 36 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// checkCycloneDX enforces the rules import relies on. For JSON the schema
// has already checked types, enums and patterns; what remains for both
// encodings are the rules no schema expresses: bom-refs unique and
// non-empty, dependency refs non-empty. For XML it also checks what the XSD
// would (see decodeCycloneDXXML).
func checkCycloneDX(bom *cdx.BOM, f Format, name string) error {
	root := loc{xml: f.Encoding == EncodingXML}
	if root.xml {
		root.path = "/bom"
		if bom.SerialNumber != "" && !isSerialNumber(bom.SerialNumber) {
			return invalid(name, "/bom/@serialNumber", "%q is not a urn:uuid: serial number", bom.SerialNumber)
		}
		if bom.Version < 1 && bom.Version != 0 {
			return invalid(name, "/bom/@version", "must be 1 or more, got %d", bom.Version)
		}
		if bom.Metadata != nil && bom.Metadata.Timestamp != "" {
			if _, err := time.Parse(time.RFC3339, bom.Metadata.Timestamp); err != nil {
				return invalid(name, "/bom/metadata/timestamp", "%q is not an xs:dateTime", bom.Metadata.Timestamp)
			}
		}
		if bom.Metadata != nil && bom.Metadata.Licenses != nil {
			if err := checkLicenses(*bom.Metadata.Licenses, root.field("metadata", "metadata").field("licenses", "licenses"), name); err != nil {
				return err
			}
		}
	}
	refs := map[string]string{}
	var walk func(c *cdx.Component, at loc) error
	walk = func(c *cdx.Component, at loc) error {
		if c.BOMRef != "" {
			if prev, dup := refs[c.BOMRef]; dup {
				return invalid(name, at.field("bom-ref", "@bom-ref").path, "bom-ref %q is not unique (also at %s)", c.BOMRef, prev)
			}
			refs[c.BOMRef] = at.path
		}
		if root.xml {
			if err := checkXMLComponent(c, f, at, name); err != nil {
				return err
			}
		}
		if c.Components != nil {
			for i := range *c.Components {
				if err := walk(&(*c.Components)[i], at.field("components", "components").index(i, "component")); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		if err := walk(bom.Metadata.Component, root.field("metadata", "metadata").field("component", "component")); err != nil {
			return err
		}
	}
	if bom.Components != nil {
		for i := range *bom.Components {
			if err := walk(&(*bom.Components)[i], root.field("components", "components").index(i, "component")); err != nil {
				return err
			}
		}
	}
	if bom.Dependencies != nil {
		for i := range *bom.Dependencies {
			if err := checkDependency(&(*bom.Dependencies)[i], i, root, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkDependency is checkCycloneDX's rule for dependency i of the document
// whose root is root: its ref and every dependsOn ref non-empty.
func checkDependency(d *cdx.Dependency, i int, root loc, name string) error {
	at := root.field("dependencies", "dependencies").index(i, "dependency")
	if strings.TrimSpace(d.Ref) == "" {
		return invalid(name, at.field("ref", "@ref").path, "dependency ref must not be empty")
	}
	if d.Dependencies != nil {
		for j, r := range *d.Dependencies {
			if strings.TrimSpace(r) == "" {
				p := at.field("dependsOn", "").index(j, "").path
				if root.xml {
					p = fmt.Sprintf("%s/dependency[%d]/@ref", at.path, j+1)
				}
				return invalid(name, p, "dependsOn ref must not be empty")
			}
		}
	}
	return nil
}

func checkXMLComponent(c *cdx.Component, f Format, at loc, name string) error {
	if c.Type == "" {
		return invalid(name, at.path+"/@type", "missing required component type")
	}
	since, ok := componentTypesSince[c.Type]
	if !ok || !versionAtLeast(f.SpecVersion, since) {
		return invalid(name, at.path+"/@type", "component type %q is not defined in CycloneDX %s", c.Type, f.SpecVersion)
	}
	if strings.TrimSpace(c.Name) == "" {
		return invalid(name, at.path+"/name", "missing required component name")
	}
	if !versionAtLeast(f.SpecVersion, "1.2") && strings.TrimSpace(c.Version) == "" {
		// bom-1.0.xsd and bom-1.1.xsd: version minOccurs="1".
		return invalid(name, at.path+"/version", "missing required component version (CycloneDX %s)", f.SpecVersion)
	}
	if !scopes[c.Scope] {
		return invalid(name, at.path+"/scope", "scope %q is not one of required, optional, excluded", c.Scope)
	}
	if c.Hashes != nil {
		for i, h := range *c.Hashes {
			hl := at.field("hashes", "hashes").index(i, "hash")
			since, ok := hashAlgsSince[string(h.Algorithm)]
			if !ok || !versionAtLeast(f.SpecVersion, since) {
				return invalid(name, hl.path+"/@alg", "hash algorithm %q is not defined in CycloneDX %s", h.Algorithm, f.SpecVersion)
			}
			if !isHexDigest(strings.TrimSpace(h.Value)) {
				return invalid(name, hl.path, "hash content %q is not a hex digest", h.Value)
			}
		}
	}
	if c.Licenses != nil {
		if err := checkLicenses(*c.Licenses, at.field("licenses", "licenses"), name); err != nil {
			return err
		}
	}
	return nil
}

func checkLicenses(ls cdx.Licenses, at loc, name string) error {
	for i, l := range ls {
		ll := at.index(i, "license")
		switch {
		case l.License != nil:
			id, lname := strings.TrimSpace(l.License.ID), strings.TrimSpace(l.License.Name)
			if id == "" && lname == "" {
				return invalid(name, ll.path, "license needs an id or a name")
			}
			if id != "" && lname != "" {
				return invalid(name, ll.path, "license has both an id and a name; use one")
			}
			if id != "" && !isSPDXLicenseID(id) {
				return invalid(name, ll.path+"/id", "%q is not an SPDX licence identifier", id)
			}
		case strings.TrimSpace(l.Expression) != "":
			if len(ls) > 1 {
				return invalid(name, ll.path, "a licence expression must be the only licence choice")
			}
		default:
			return invalid(name, ll.path, "licence choice has neither a license nor an expression")
		}
	}
	return nil
}

// fromBOM converts a decoded, checked CycloneDX BOM to a Document.
func fromBOM(bom *cdx.BOM, f Format) (*Document, error) {
	doc := &Document{Format: f.Name, SpecVersion: f.SpecVersion, Encoding: f.Encoding, SerialNumber: bom.SerialNumber}
	n := 0
	if bom.Components != nil {
		n = len(*bom.Components)
	}
	doc.Components = make([]inventory.Component, 0, n)
	index := map[string]*inventory.Component{}
	auto := 0
	autoRef := func() string {
		for {
			auto++
			r := "rampart-auto-" + strconv.Itoa(auto)
			if _, taken := index[r]; !taken {
				return r
			}
		}
	}
	var flatten func(c *cdx.Component)
	flatten = func(c *cdx.Component) {
		doc.Components = append(doc.Components, cdxToComponent(c))
		if c.Components != nil {
			for i := range *c.Components {
				flatten(&(*c.Components)[i])
			}
		}
	}
	if bom.Metadata != nil {
		if t, err := time.Parse(time.RFC3339, bom.Metadata.Timestamp); err == nil {
			doc.Created = t.UTC()
		}
		if mc := bom.Metadata.Component; mc != nil {
			m := cdxToComponent(mc)
			doc.Metadata = &m
			doc.Name = mc.Name
			if mc.Components != nil {
				for i := range *mc.Components {
					flatten(&(*mc.Components)[i])
				}
			}
		}
	}
	if bom.Components != nil {
		for i := range *bom.Components {
			flatten(&(*bom.Components)[i])
		}
	}
	if doc.Metadata != nil && doc.Metadata.Ref != "" {
		index[doc.Metadata.Ref] = doc.Metadata
	}
	for i := range doc.Components {
		if c := &doc.Components[i]; c.Ref != "" {
			index[c.Ref] = c
		}
	}
	if doc.Metadata != nil && doc.Metadata.Ref == "" {
		doc.Metadata.Ref = autoRef()
		index[doc.Metadata.Ref] = doc.Metadata
	}
	for i := range doc.Components {
		if c := &doc.Components[i]; c.Ref == "" {
			c.Ref = autoRef()
			index[c.Ref] = c
		}
	}
	if bom.Dependencies != nil {
		edges := edgeSet{}
		for _, d := range *bom.Dependencies {
			from, ok := index[d.Ref]
			if !ok || d.Dependencies == nil {
				continue // edges of services or unknown refs are not component edges
			}
			for _, to := range *d.Dependencies {
				if _, ok := index[to]; ok {
					edges.add(&from.DependsOn, d.Ref, to)
				}
			}
		}
	}
	return doc, nil
}

func cdxToComponent(c *cdx.Component) inventory.Component {
	out := inventory.Component{
		Ref:     c.BOMRef,
		Type:    inventory.ComponentType(c.Type),
		Group:   c.Group,
		Name:    c.Name,
		Version: c.Version,
		PURL:    strings.TrimSpace(c.PackageURL),
	}
	if c.CPE != "" {
		out.CPEs = []string{strings.TrimSpace(c.CPE)}
	}
	if c.Properties != nil {
		// syft writes its first CPE to cpe and every other one as a
		// "syft:cpe23" property (its SPDX output lists them all as
		// cpe23Type refs); grype matches them all.
		for _, p := range *c.Properties {
			if v := strings.TrimSpace(p.Value); p.Name == "syft:cpe23" && v != "" {
				out.CPEs = appendUnique(out.CPEs, v)
			}
		}
	}
	if c.Hashes != nil {
		for _, h := range *c.Hashes {
			out.Hashes = append(out.Hashes, inventory.Hash{Algorithm: string(h.Algorithm), Value: strings.ToLower(strings.TrimSpace(h.Value))})
		}
	}
	if c.Licenses != nil {
		for _, l := range *c.Licenses {
			if s := licenseChoiceString(l); s != "" {
				out.Licenses = appendUnique(out.Licenses, s)
			}
		}
	}
	out.Supplier = cdxSupplier(c)
	if name, version := cdxSource(c.Properties); name != "" {
		out.PURL = withUpstream(out.PURL, name, version)
	}
	return out
}

// cdxSupplier is the component's supplier.name; without one, the
// manufacturer's name (CycloneDX 1.6: "the supplier may often be the
// manufacturer"), else the publisher, which syft writes for every OS
// package (the maintainer, the same person its SPDX output names as the
// package supplier). SPDX's NOASSERTION and NONE name no one.
func cdxSupplier(c *cdx.Component) string {
	if c.Supplier != nil && !noAssertion(c.Supplier.Name) {
		return strings.TrimSpace(c.Supplier.Name)
	}
	if c.Manufacturer != nil && !noAssertion(c.Manufacturer.Name) {
		return strings.TrimSpace(c.Manufacturer.Name)
	}
	if noAssertion(c.Publisher) {
		return ""
	}
	return strings.TrimSpace(c.Publisher)
}

// licenseChoiceString is a licence choice's expression, id or name. SPDX's
// "no information" values NOASSERTION and NONE, which SBOMs converted from
// SPDX carry as licence names, are no licence, as on SPDX import.
func licenseChoiceString(l cdx.LicenseChoice) string {
	var s string
	switch {
	case strings.TrimSpace(l.Expression) != "":
		s = strings.TrimSpace(l.Expression)
	case l.License == nil:
	case strings.TrimSpace(l.License.ID) != "":
		s = strings.TrimSpace(l.License.ID)
	default:
		s = strings.TrimSpace(l.License.Name)
	}
	if noAssertion(s) {
		return ""
	}
	return s
}

// appendUnique appends s to a short list (a component's licenses or
// CPEs) unless it holds it. Lists as long as a document (dependency
// edges, described elements) use uniqueList or edgeSet: scanning them made
// a 3 MB SBOM whose one component depends on 50 000 others take minutes.
func appendUnique(list []string, s string) []string {
	for _, e := range list {
		if e == s {
			return list
		}
	}
	return append(list, s)
}

// uniqueList is a list of distinct strings in the order first added, each
// added in constant time.
type uniqueList struct {
	list []string
	seen map[string]struct{}
}

func (u *uniqueList) add(s string) {
	if _, ok := u.seen[s]; ok {
		return
	}
	if u.seen == nil {
		u.seen = map[string]struct{}{}
	}
	u.seen[s] = struct{}{}
	u.list = append(u.list, s)
}

// reset empties the list, keeping its storage.
func (u *uniqueList) reset() {
	u.list = u.list[:0]
	clear(u.seen)
}

// edgeSet is the dependency edges added so far, from ref → to ref.
type edgeSet map[[2]string]struct{}

// add appends to to *deps, the DependsOn of the component from, unless the
// edge was added.
func (s edgeSet) add(deps *[]string, from, to string) {
	k := [2]string{from, to}
	if _, ok := s[k]; ok {
		return
	}
	s[k] = struct{}{}
	*deps = append(*deps, to)
}

// leanBOM is the subset of a CycloneDX JSON BOM that import uses; see
// decodeCycloneDXJSON.
type leanBOM struct {
	SerialNumber string `json:"serialNumber"`
	Metadata     *struct {
		Timestamp string         `json:"timestamp"`
		Component *leanComponent `json:"component"`
	} `json:"metadata"`
	Components   []leanComponent   `json:"components"`
	Dependencies *[]cdx.Dependency `json:"dependencies"`
}

type leanComponent struct {
	BOMRef   string            `json:"bom-ref"`
	Type     cdx.ComponentType `json:"type"`
	Supplier *struct {
		Name string `json:"name"`
	} `json:"supplier"`
	Manufacturer *struct {
		Name string `json:"name"`
	} `json:"manufacturer"`
	Publisher  string          `json:"publisher"`
	Properties *[]cdx.Property `json:"properties"`
	Group      string          `json:"group"`
	Name       string          `json:"name"`
	Version    string          `json:"version"`
	Hashes     *[]cdx.Hash     `json:"hashes"`
	Licenses   *cdx.Licenses   `json:"licenses"`
	CPE        string          `json:"cpe"`
	PackageURL string          `json:"purl"`
	Components []leanComponent `json:"components"`
}

func (l *leanBOM) toBOM() cdx.BOM {
	bom := cdx.BOM{SerialNumber: l.SerialNumber, Dependencies: l.Dependencies}
	if l.Metadata != nil {
		bom.Metadata = &cdx.Metadata{Timestamp: l.Metadata.Timestamp}
		if l.Metadata.Component != nil {
			c := l.Metadata.Component.toComponent()
			bom.Metadata.Component = &c
		}
	}
	bom.Components = toComponents(l.Components)
	return bom
}

func (l *leanComponent) toComponent() cdx.Component {
	c := cdx.Component{
		BOMRef: l.BOMRef, Type: l.Type, Group: l.Group, Name: l.Name, Version: l.Version,
		Hashes: l.Hashes, Licenses: l.Licenses, CPE: l.CPE, PackageURL: l.PackageURL, Publisher: l.Publisher,
		Properties: l.Properties,
	}
	if l.Supplier != nil {
		c.Supplier = &cdx.OrganizationalEntity{Name: l.Supplier.Name}
	}
	if l.Manufacturer != nil {
		c.Manufacturer = &cdx.OrganizationalEntity{Name: l.Manufacturer.Name}
	}
	c.Components = toComponents(l.Components)
	return c
}

// toComponents converts a component list; nil (no list in the document)
// stays nil.
func toComponents(ls []leanComponent) *[]cdx.Component {
	if ls == nil {
		return nil
	}
	cs := make([]cdx.Component, len(ls))
	for i := range ls {
		cs[i] = ls[i].toComponent()
	}
	return &cs
}

// contentAfterRoot reads the tokens that follow the document element with
// next and reports whether any is more than white space, a comment or a
// processing instruction (an error in the document); it stops right after
// that token, so the decoder's position is the offending line.
func contentAfterRoot(next func() (xml.Token, error)) bool {
	for {
		tok, err := next()
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) == 0 {
				continue
			}
		case xml.Comment, xml.ProcInst:
			continue
		}
		return true
	}
}
