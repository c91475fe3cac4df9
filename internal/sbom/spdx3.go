package sbom

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/inventory"
)

// SPDX 3.0 (3.0.0 and 3.0.1) JSON-LD.
//
// Why a reader of our own: tools-golang reads SPDX 2.x only, and the SPDX
// project's generated Go bindings (spdx-go-model, shacl2code output) are
// not served by the module proxy and decode the whole graph into objects
// at once, while a Yocto image SBOM (create-spdx-3.0, the default since
// Styhead) is tens of MB, most of it software_File elements. So the
// document is read element by element with encoding/json, as the other
// streaming readers are (stream.go), in three passes over the @graph
// array of its compact JSON-LD form (the serialisation the SPDX 3 spec
// defines, with the context https://spdx.org/rdf/3.0.1/spdx-context.jsonld:
// compact property names such as software_packageVersion, enumerations by
// their short names, references by spdxId or blank node id):
//
//  1. prepareSPDX3 (before the import transaction): every element is
//     decoded, so a malformed one is reported before anything is written;
//     it keeps what the conversion looks up by id: the package ids, the
//     agents' names (suppliedBy), the licences (LicenseExpression and
//     licence elements, and the hasDeclaredLicense / hasConcludedLicense
//     relationships, by a 64-bit hash of their from), the CreationInfo
//     times, the rootElement of the Sbom (or SpdxDocument), and the
//     offsets of the packages and of the relationships that may be edges;
//  2. the packages, read again at their offsets, are converted and handed
//     over in graph order;
//  3. the relationships at their offsets become DependsOn edges between
//     packages.
//
// The whole-document Decode runs the same passes over the bytes in memory.
// Memory follows the number of packages and relationships, not the number
// of files (whose hashes are not even decoded, see spdx3Element.lazy). Element types and properties that are not read
// (other profiles: security, build, AI and dataset details, annotations,
// extensions) are skipped, not errors.

// EncodingJSONLD is the encoding of SPDX 3 documents.
const EncodingJSONLD = "json-ld"

// spdx3Versions are the SPDX 3 versions read (from the @context URL).
var spdx3Versions = map[string]bool{"3.0.0": true, "3.0.1": true}

// spdx3Prefix is how full IRIs of SPDX 3 terms start
// (https://spdx.org/rdf/3.0.1/terms/Software/Package).
const spdx3Prefix = "spdx.org/rdf/3."

// idList is a list of element references. JSON-LD compaction writes a
// one-item list as the item itself, and an element may be embedded where a
// reference is expected, so each item is an id string or an object with
// an spdxId or @id (whose name is kept, for agents).
type idList []spdx3Ref

type spdx3Ref struct {
	ID   string
	Name string
}

func (r *spdx3Ref) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '{' {
		var o struct {
			SPDXID string `json:"spdxId"`
			AtID   string `json:"@id"`
			Name   string `json:"name"`
		}
		if err := json.Unmarshal(data, &o); err != nil {
			return err
		}
		r.ID, r.Name = cmp.Or(o.SPDXID, o.AtID), o.Name
		return nil
	}
	return json.Unmarshal(data, &r.ID)
}

func (l *idList) UnmarshalJSON(data []byte) error {
	return unmarshalOneOrMany(data, (*[]spdx3Ref)(l))
}

// many is a list that JSON-LD compaction may write as its single item.
type many[T any] []T

func (m *many[T]) UnmarshalJSON(data []byte) error { return unmarshalOneOrMany(data, (*[]T)(m)) }

func unmarshalOneOrMany[T any](data []byte, out *[]T) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		return json.Unmarshal(data, out)
	}
	if string(data) == "null" {
		*out = nil
		return nil
	}
	var one T
	if err := json.Unmarshal(data, &one); err != nil {
		return err
	}
	*out = []T{one}
	return nil
}

// spdx3CreationInfo is a CreationInfo, referenced by id (usually a blank
// node, "_:creationinfo") or embedded in the element.
type spdx3CreationInfo struct {
	Ref     string
	Created string
}

func (c *spdx3CreationInfo) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '{' {
		var o struct {
			Created string `json:"created"`
		}
		err := json.Unmarshal(data, &o)
		c.Created = o.Created
		return err
	}
	return json.Unmarshal(data, &c.Ref)
}

// spdx3Element holds the properties import reads of any element of the
// graph (one type for all, so every element is decoded once per pass).
type spdx3Element struct {
	Type   string `json:"type"`
	AtType string `json:"@type"`
	SPDXID string `json:"spdxId"`
	AtID   string `json:"@id"`
	Name   string `json:"name"`

	// The lists most elements have (software_File: hashes) are kept as
	// they are written and decoded (lazy) only for the types import reads.
	RawCreationInfo       json.RawMessage    `json:"creationInfo"`
	RawExternalIdentifier json.RawMessage    `json:"externalIdentifier"`
	RawVerifiedUsing      json.RawMessage    `json:"verifiedUsing"`
	CreationInfo          *spdx3CreationInfo `json:"-"`
	Created               string             `json:"created"` // of a CreationInfo

	// Software/Package and its subclasses (AI, Dataset).
	PackageVersion     string `json:"software_packageVersion"`
	PackageURL         string `json:"software_packageUrl"`
	PrimaryPurpose     string `json:"software_primaryPurpose"`
	ExternalIdentifier many[struct {
		Type       string `json:"externalIdentifierType"`
		Identifier string `json:"identifier"`
	}] `json:"-"`
	VerifiedUsing many[struct {
		Type      string `json:"type"`
		Algorithm string `json:"algorithm"`
		HashValue string `json:"hashValue"`
	}] `json:"-"`
	SuppliedBy   *spdx3Ref `json:"suppliedBy"`
	OriginatedBy idList    `json:"originatedBy"`

	// Relationship and LifecycleScopedRelationship.
	From             *spdx3Ref `json:"from"`
	To               idList    `json:"to"`
	RelationshipType string    `json:"relationshipType"`

	// SpdxDocument, software_Sbom, Bom, Bundle.
	RootElement idList `json:"rootElement"`

	// Licences.
	LicenseExpression string `json:"simplelicensing_licenseExpression"`
	LicenseID         string `json:"expandedlicensing_licenseId"` // not in 3.0.1; older drafts
}

// lazy decodes the lists kept as written; an error names the property.
func (e *spdx3Element) lazy() (field string, err error) {
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		v    any
	}{{"creationInfo", e.RawCreationInfo, &e.CreationInfo}, {"externalIdentifier", e.RawExternalIdentifier, &e.ExternalIdentifier},
		{"verifiedUsing", e.RawVerifiedUsing, &e.VerifiedUsing}} {
		if len(f.raw) == 0 {
			continue
		}
		if err := json.Unmarshal(f.raw, f.v); err != nil {
			return f.name, err
		}
	}
	return "", nil
}

// id is the element's identifier (Elements have spdxId, other nodes @id).
func (e *spdx3Element) id() string { return cmp.Or(e.SPDXID, e.AtID) }

// kind is the element's type in its compact form ("software_Package"),
// also when written as a full IRI (…/terms/Software/Package).
func (e *spdx3Element) kind() string { return spdx3Term(cmp.Or(e.Type, e.AtType), true) }

// spdx3Term turns the full IRI of an SPDX 3 term into its compact name:
// types are Profile/Name (profile_Name, Core terms without a prefix),
// enumeration values …/RelationshipType/contains (contains). Compact
// names are returned as they are.
func spdx3Term(s string, isType bool) string {
	i := strings.Index(s, spdx3Prefix)
	if i < 0 {
		return s
	}
	rest := s[i+len(spdx3Prefix):]
	j := strings.Index(rest, "/terms/")
	if j < 0 {
		return s
	}
	rest = rest[j+len("/terms/"):]
	if !isType {
		return rest[strings.LastIndexByte(rest, '/')+1:]
	}
	profile, name, ok := strings.Cut(rest, "/")
	switch {
	case !ok:
		return rest
	case profile == "Core":
		return name
	}
	return strings.ToLower(profile) + "_" + name
}

// spdx3PackageTypes are the element types imported as components: Package
// and its subclasses.
var spdx3PackageTypes = map[string]inventory.ComponentType{
	"software_Package":       inventory.TypeLibrary,
	"ai_AIPackage":           inventory.TypeMLModel,
	"dataset_DatasetPackage": inventory.TypeData,
}

// spdx3Read reports whether import reads elements of type kind (the
// others are skipped undecoded).
func spdx3Read(kind string) bool {
	_, pkg := spdx3PackageTypes[kind]
	return pkg || spdx3LicenceTypes[kind] || spdx3Agents[kind] || spdx3Collections[kind] ||
		kind == "CreationInfo" || kind == "Relationship" || kind == "LifecycleScopedRelationship"
}

// spdx3Shipped reports whether a package element is software rather than
// a plan for building it: a package whose primary purpose is
// specification is not imported. Yocto's create-spdx-3.0 writes each
// recipe as such a package and, in an image SBOM, every recipe the image's
// recipes depend on at build time, native and cross tools included
// (quilt-native, gcc-cross), each with the recipe's CPEs: imported, they
// would be components the device does not ship, matched against
// vulnerabilities of build tools. The installed packages (purpose install)
// carry the same purls and CPEs. The SPDX 2 class wrote recipes in
// documents of their own, which an image SBOM only referenced.
func spdx3Shipped(e *spdx3Element) bool {
	return spdx3Term(e.PrimaryPurpose, false) != "specification"
}

// spdx3Agents are the types whose name suppliedBy and originatedBy name.
var spdx3Agents = map[string]bool{"Agent": true, "Person": true, "Organization": true, "SoftwareAgent": true, "Tool": true}

// spdx3Collections are the types whose rootElement says what the document
// is about.
var spdx3Collections = map[string]bool{"SpdxDocument": true, "software_Sbom": true, "Bom": true, "Bundle": true}

// spdx3Purpose maps software_primaryPurpose (Software/SoftwarePurpose) to a
// component type, as spdxPurpose does for SPDX 2 (unlisted: library).
var spdx3Purpose = map[string]inventory.ComponentType{
	"application": inventory.TypeApplication, "executable": inventory.TypeApplication, "install": inventory.TypeApplication,
	"framework": inventory.TypeFramework, "library": inventory.TypeLibrary, "module": inventory.TypeLibrary,
	"container": inventory.TypeContainer, "operatingSystem": inventory.TypeOperatingSystem, "platform": inventory.TypePlatform,
	"device": inventory.TypeDevice, "deviceDriver": inventory.TypeDeviceDriver, "firmware": inventory.TypeFirmware,
	"file": inventory.TypeFile, "source": inventory.TypeFile, "archive": inventory.TypeFile,
	"data": inventory.TypeData, "model": inventory.TypeMLModel,
}

// spdx3Hash maps Core/HashAlgorithm values to the CycloneDX spelling
// import uses; those CycloneDX lacks keep the SPDX 2 spelling, as
// spdxToCDXHash does. Signature algorithms (falcon, crystals…) and other
// are not digests of the artefact and are left out.
var spdx3Hash = map[string]string{
	"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512",
	"sha3_256": "SHA3-256", "sha3_384": "SHA3-384", "sha3_512": "SHA3-512",
	"blake2b256": "BLAKE2b-256", "blake2b384": "BLAKE2b-384", "blake2b512": "BLAKE2b-512", "blake3": "BLAKE3",
	"sha224": "SHA224", "md2": "MD2", "md4": "MD4", "md6": "MD6", "adler32": "ADLER32",
}

// spdx3Edges are the relationship types that mean "from depends on to",
// the SPDX 3 names of those spdxEdge reads in SPDX 2 (SPDX 3 dropped the
// reverse types; DEV_DEPENDENCY_OF and the like are dependsOn with a
// LifecycleScopedRelationship scope).
var spdx3Edges = map[string]bool{
	"dependsOn": true, "contains": true, "hasStaticLink": true, "hasDynamicLink": true, "hasPrerequisite": true,
	"hasOptionalComponent": true, "hasOptionalDependency": true, "hasProvidedDependency": true,
}

// spdx3LicenceTypes are the licence elements a hasDeclaredLicense or
// hasConcludedLicense relationship may point to (SimpleLicensing and
// ExpandedLicensing).
var spdx3LicenceTypes = map[string]bool{
	"simplelicensing_LicenseExpression": true, "expandedlicensing_ListedLicense": true, "expandedlicensing_CustomLicense": true,
	"expandedlicensing_OrLaterOperator": true, "expandedlicensing_WithAdditionOperator": true,
	"expandedlicensing_ConjunctiveLicenseSet": true, "expandedlicensing_DisjunctiveLicenseSet": true,
}

// spdx3LicenceText is the licence a licence element names: the expression,
// else the licence's SPDX list id, else its name.
func spdx3LicenceText(e *spdx3Element, kind string) (string, bool) {
	switch {
	case !spdx3LicenceTypes[kind]:
		return "", false
	case kind == "simplelicensing_LicenseExpression":
		return e.LicenseExpression, true
	case e.LicenseID != "":
		return e.LicenseID, true
	}
	if s, ok := spdxListedLicence(e.id()); ok {
		return s, true
	}
	return e.Name, e.Name != ""
}

// spdxListedLicence reads a reference to a licence of the SPDX licence
// list (https://spdx.org/licenses/MIT), which a document need not define.
func spdxListedLicence(id string) (string, bool) {
	for _, p := range []string{"https://spdx.org/licenses/", "http://spdx.org/licenses/"} {
		if s, ok := strings.CutPrefix(id, p); ok && s != "" && !strings.Contains(s, "/") {
			return strings.TrimSuffix(s, ".html"), true
		}
	}
	return "", false
}

// spdx3NoLicence reports the individuals that state no licence
// (expandedlicensing_NoAssertionLicense, _NoneLicense, Core
// NoAssertionElement, NoneElement), written compact or as IRIs.
func spdx3NoLicence(id string) bool {
	switch spdx3Term(id, false) {
	case "expandedlicensing_NoAssertionLicense", "expandedlicensing_NoneLicense", "NoAssertionLicense", "NoneLicense",
		"NoAssertionElement", "NoneElement":
		return true
	}
	return false
}

// spdx3Licences are a package's licence relationships' targets, as
// indexes into spdx3Prepared.licTargets.
type spdx3Licences struct{ declared, concluded []int32 }

// spdx3Prepared is what pass 1 keeps of an SPDX 3 document.
type spdx3Prepared struct {
	seed       maphash.Seed
	pkgs       map[string]int32 // package spdxId → graph index
	agents     map[string]string
	licText    map[string]string // licence element id → expression
	licTargets []string
	targetIdx  map[string]int32
	lics       map[uint64]*spdx3Licences // hash of from → licences
	pkgsAt     []int64                   // offsets of the packages imported
	edgesAt    []int64                   // offsets of the relationships that may be edges
	meta       string
	docName    string
	serial     string
	created    time.Time
}

func (p *spdx3Prepared) key(id string) uint64 { return maphash.String(p.seed, id) }

// spdx3Reader walks the @graph of a document.
type spdx3Reader struct {
	ra   io.ReaderAt
	size int64
	name string
}

// each decodes the elements of @graph one at a time and calls fn with
// each (index, offset of the element in the document, element). Errors
// name the file and the line, or the JSON pointer of the element's field.
// An element is decoded once, straight from the stream; a type import does
// not read (most elements: software_File) may hold any property values.
func (r *spdx3Reader) each(fn func(i int, off int64, e *spdx3Element) error) error {
	dec := json.NewDecoder(io.NewSectionReader(r.ra, 0, r.size))
	fail := func(err error) error {
		return jsonSyntaxErrorAt(r.ra, r.size, r.name, err, dec.InputOffset())
	}
	if _, err := dec.Token(); err != nil { // { (Detect saw it)
		return fail(err)
	}
	graph := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		if k, _ := tok.(string); k != "@graph" || graph {
			if err := skipJSONValue(dec); err != nil {
				return fail(err)
			}
			continue
		}
		graph = true
		if tok, err := dec.Token(); err != nil {
			return fail(err)
		} else if tok != json.Delim('[') {
			return invalid(r.name, "/@graph", "must be an array of elements")
		}
		for i := 0; dec.More(); i++ {
			off := dec.InputOffset() // at the ',' before the element, or the element
			var e spdx3Element
			if err := dec.Decode(&e); err != nil {
				var se *json.SyntaxError
				if errors.As(err, &se) || err == io.EOF || err == io.ErrUnexpectedEOF {
					return fail(err)
				}
				if err := r.elementError(i, off, &e, err); err != nil {
					return err
				}
			}
			if spdx3Read(e.kind()) {
				if field, err := e.lazy(); err != nil {
					return r.lazyError(graphPath(i)+"/"+field, err)
				}
			}
			if err := fn(i, off, &e); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // ]
			return fail(err)
		}
	}
	if _, err := dec.Token(); err != nil { // }
		return fail(err)
	}
	if !graph {
		return invalid(r.name, "/@graph", "missing: an SPDX 3 JSON-LD document lists its elements in @graph")
	}
	return nil
}

// elementError is the error of element i (at off), which did not decode
// into e with err, or nil when the element is of a type import does not
// read (its properties are not import's business).
func (r *spdx3Reader) elementError(i int, off int64, e *spdx3Element, err error) error {
	at := graphPath(i)
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return invalid(r.name, at, "does not match the SPDX 3 model: %v", err)
	}
	if te.Field == "" {
		return invalid(r.name, at, "must be an object (an SPDX element), got JSON %s", te.Value)
	}
	if e.Type == "" && e.AtType == "" && te.Field != "type" && te.Field != "@type" {
		// Decoding stopped before the type: read it alone.
		var head struct {
			Type   string `json:"type"`
			AtType string `json:"@type"`
		}
		if r.decodeAt(off, &head) == nil {
			e.Type, e.AtType = head.Type, head.AtType
		}
	}
	if k := e.kind(); k != "" && !spdx3Read(k) {
		return nil
	}
	return invalid(r.name, at+"/"+strings.ReplaceAll(te.Field, ".", "/"), "got JSON %s, want %s", te.Value, spdx3JSONType(te.Type.String()))
}

// lazyError is the error of decoding the property at (a JSON pointer).
func (r *spdx3Reader) lazyError(at string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			at += "/" + strings.ReplaceAll(te.Field, ".", "/")
		}
		return invalid(r.name, at, "got JSON %s, want %s", te.Value, spdx3JSONType(te.Type.String()))
	}
	return invalid(r.name, at, "does not match the SPDX 3 model: %v", err)
}

// graphPath is the JSON pointer of element i.
func graphPath(i int) string { return "/@graph/" + strconv.Itoa(i) }

// decodeAt decodes the element at off (an offset each gave) into v.
func (r *spdx3Reader) decodeAt(off int64, v any) error {
	var b [64]byte // the ',' and white space before the element
skip:
	for off < r.size {
		n, err := r.ra.ReadAt(b[:min(int64(len(b)), r.size-off)], off)
		for _, c := range b[:n] {
			if c != ',' && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				break skip
			}
			off++
		}
		if err != nil {
			return err
		}
	}
	return json.NewDecoder(io.NewSectionReader(r.ra, off, r.size-off)).Decode(v)
}

// spdx3JSONType names the JSON type a Go field type stands for.
func spdx3JSONType(goType string) string {
	switch {
	case goType == "string", strings.HasSuffix(goType, "spdx3Ref"), strings.HasSuffix(goType, "spdx3CreationInfo"):
		return "a string"
	case strings.HasPrefix(goType, "[]"), strings.HasPrefix(goType, "sbom.many"), strings.HasSuffix(goType, "idList"):
		return "an array"
	}
	return "an object"
}

// prepareSPDX3 is pass 1: it decodes every element and keeps what the
// conversion looks up by id (see the comment at the top of the file).
func prepareSPDX3(ra io.ReaderAt, size int64, name string) (*spdx3Prepared, error) {
	p := &spdx3Prepared{seed: maphash.MakeSeed(), pkgs: map[string]int32{}, agents: map[string]string{}, licText: map[string]string{},
		targetIdx: map[string]int32{}, lics: map[uint64]*spdx3Licences{}}
	r := &spdx3Reader{ra: ra, size: size, name: name}
	created := map[string]string{} // CreationInfo @id → created
	roots := map[string]idList{}   // collection → rootElement
	var sbomRoots, docRoots idList
	docCreated := spdx3CreationInfo{}
	err := r.each(func(i int, off int64, e *spdx3Element) error {
		kind := e.kind()
		if kind == "" {
			return invalid(name, graphPath(i)+"/type", "missing: every SPDX 3 element states its type")
		}
		id := e.id()
		switch {
		case kind == "CreationInfo":
			if id != "" {
				created[id] = e.Created
			}
			return nil
		case kind == "Relationship" || kind == "LifecycleScopedRelationship":
			if err := p.relationship(e, name, i); err != nil {
				return err
			}
			if spdx3Edges[spdx3Term(e.RelationshipType, false)] {
				p.edgesAt = append(p.edgesAt, off)
			}
			return nil
		}
		if _, ok := spdx3PackageTypes[kind]; ok {
			switch {
			case id == "":
				return invalid(name, graphPath(i)+"/spdxId", "missing: a %s must have an spdxId", kind)
			case strings.TrimSpace(e.Name) == "":
				return invalid(name, graphPath(i)+"/name", "missing: a %s must have a name (SPDX 3.0.1 Software/Package)", kind)
			}
			if prev, dup := p.pkgs[id]; dup {
				return invalid(name, graphPath(i)+"/spdxId", "spdxId %q is not unique (also /@graph/%d)", id, prev)
			}
			if !spdx3Shipped(e) {
				return nil
			}
			p.pkgs[id] = int32(i)
			p.pkgsAt = append(p.pkgsAt, off)
		}
		if spdx3Agents[kind] && id != "" && e.Name != "" {
			p.agents[id] = e.Name
		}
		if text, ok := spdx3LicenceText(e, kind); ok && id != "" {
			p.licText[id] = text
		}
		if spdx3Collections[kind] && id != "" {
			roots[id] = e.RootElement
		}
		switch kind {
		case "software_Sbom":
			sbomRoots = append(sbomRoots, e.RootElement...)
			if p.docName == "" {
				p.docName = e.Name
			}
		case "SpdxDocument":
			if p.serial == "" {
				docRoots = e.RootElement
				p.serial = id
				if e.Name != "" {
					p.docName = e.Name
				}
				if e.CreationInfo != nil {
					docCreated = *e.CreationInfo
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ts := docCreated.Created
	if docCreated.Ref != "" {
		ts = created[docCreated.Ref]
	}
	if t, err := time.Parse(time.RFC3339, ts); err == nil {
		p.created = t.UTC()
	}
	// The root component, as the DESCRIBES target of an SPDX 2 document:
	// the Sbom's rootElement (else the document's), a collection standing
	// for its own roots, when exactly one of them is a package.
	if len(sbomRoots) == 0 {
		sbomRoots = docRoots
	}
	var pkgRoots uniqueList
	seen := map[string]bool{}
	for len(sbomRoots) > 0 {
		r := sbomRoots[0].ID
		sbomRoots = sbomRoots[1:]
		if seen[r] {
			continue
		}
		seen[r] = true
		if _, ok := p.pkgs[r]; ok {
			pkgRoots.add(r)
		} else if sub, ok := roots[r]; ok {
			sbomRoots = append(append(idList{}, sub...), sbomRoots...)
		}
	}
	if len(pkgRoots.list) == 1 {
		p.meta = pkgRoots.list[0]
	}
	return p, nil
}

// relationship checks a relationship and keeps it when it states a licence.
func (p *spdx3Prepared) relationship(e *spdx3Element, name string, i int) error {
	switch {
	case e.From == nil || e.From.ID == "":
		return invalid(name, graphPath(i)+"/from", "missing: a relationship must name the element it is from")
	case e.RelationshipType == "":
		return invalid(name, graphPath(i)+"/relationshipType", "missing: a relationship must state its type")
	}
	var declared bool
	switch spdx3Term(e.RelationshipType, false) {
	case "hasDeclaredLicense":
		declared = true
	case "hasConcludedLicense":
	default:
		return nil
	}
	k := p.key(e.From.ID)
	l := p.lics[k]
	if l == nil {
		l = &spdx3Licences{}
		p.lics[k] = l
	}
	for _, t := range e.To {
		if t.ID == "" || spdx3NoLicence(t.ID) {
			continue
		}
		idx, ok := p.targetIdx[t.ID]
		if !ok {
			idx = int32(len(p.licTargets))
			p.targetIdx[t.ID] = idx
			p.licTargets = append(p.licTargets, t.ID)
		}
		if declared {
			l.declared = append(l.declared, idx)
		} else {
			l.concluded = append(l.concluded, idx)
		}
	}
	return nil
}

// licences returns the licences the targets name: expressions, licence
// elements, or licences of the SPDX list the document does not define.
func (p *spdx3Prepared) licences(targets []int32) []string {
	var out []string
	for _, t := range targets {
		id := p.licTargets[t]
		text, ok := p.licText[id]
		if !ok {
			text, ok = spdxListedLicence(id)
		}
		if text = strings.TrimSpace(text); ok && !noAssertion(text) {
			out = appendUnique(out, text)
		}
	}
	return out
}

// component converts a package element, as spdxToComponent converts an
// SPDX 2 package.
func (p *spdx3Prepared) component(e *spdx3Element, kind string) inventory.Component {
	c := inventory.Component{Ref: e.id(), Type: spdx3PackageTypes[kind], Name: strings.TrimSpace(e.Name), Version: strings.TrimSpace(e.PackageVersion)}
	if t, ok := spdx3Purpose[spdx3Term(e.PrimaryPurpose, false)]; ok && kind == "software_Package" {
		c.Type = t
	}
	agent := func(r *spdx3Ref) string {
		if r == nil {
			return ""
		}
		return strings.TrimSpace(cmp.Or(p.agents[r.ID], r.Name))
	}
	c.Supplier = agent(e.SuppliedBy)
	if c.Supplier == "" && len(e.OriginatedBy) > 0 {
		c.Supplier = agent(&e.OriginatedBy[0]) // as SPDX 2's originator
	}
	if noAssertion(c.Supplier) {
		c.Supplier = ""
	}
	c.PURL = strings.TrimSpace(e.PackageURL)
	for _, x := range e.ExternalIdentifier {
		v := strings.TrimSpace(x.Identifier)
		switch spdx3Term(x.Type, false) {
		case "packageUrl":
			if c.PURL == "" {
				c.PURL = v
			}
		case "cpe23", "cpe22":
			if v != "" {
				c.CPEs = appendUnique(c.CPEs, v)
			}
		}
	}
	for _, h := range e.VerifiedUsing {
		alg, ok := spdx3Hash[spdx3Term(h.Algorithm, false)]
		if h.Type != "" && spdx3Term(h.Type, true) != "Hash" || !ok || strings.TrimSpace(h.HashValue) == "" {
			continue
		}
		c.Hashes = append(c.Hashes, inventory.Hash{Algorithm: alg, Value: strings.ToLower(strings.TrimSpace(h.HashValue))})
	}
	if l := p.lics[p.key(c.Ref)]; l != nil {
		// Concluded, else declared, as for SPDX 2.
		if c.Licenses = p.licences(l.concluded); len(c.Licenses) == 0 {
			c.Licenses = p.licences(l.declared)
		}
	}
	return c
}

// emitSPDX3 is passes 2 and 3: the packages in graph order (the root one
// as the metadata component), then the relationships between them as
// DependsOn edges, consecutive edges from one package linked together.
// Both read only the elements pass 1 found at their offsets.
func emitSPDX3(p *Prepared, sink Sink) (*Streamed, error) {
	sp := p.spdx3
	e := &spdxEmitter{name: p.name, batcher: batcher{sink: sink, res: &Streamed{Document: Document{Format: p.f.Name, SpecVersion: p.f.SpecVersion, Encoding: p.f.Encoding,
		Name: sp.docName, SerialNumber: sp.serial, Created: sp.created}}}}
	r := &spdx3Reader{ra: p.ra, size: p.size, name: p.name}
	reread := func(off int64, el *spdx3Element) error {
		err := r.decodeAt(off, el)
		if err == nil {
			_, err = el.lazy()
		}
		if err != nil {
			return invalid(p.name, fmt.Sprintf("line %d", lineAt(p.ra, p.size, off)), "changed since it was validated: %v", err)
		}
		return nil
	}
	for _, off := range sp.pkgsAt {
		var el spdx3Element
		if err := reread(off, &el); err != nil {
			return nil, err
		}
		if err := e.component(sp.component(&el, el.kind()), sp.meta); err != nil {
			return nil, err
		}
	}
	if err := e.flush(); err != nil {
		return nil, err
	}
	for _, off := range sp.edgesAt {
		var el spdx3Element
		if err := reread(off, &el); err != nil {
			return nil, err
		}
		if el.From == nil {
			continue
		}
		from := el.From.ID
		if _, ok := sp.pkgs[from]; !ok {
			continue
		}
		for _, t := range el.To {
			if _, ok := sp.pkgs[t.ID]; !ok || t.ID == from {
				continue
			}
			if err := e.edge(from, t.ID, sp.meta); err != nil {
				return nil, err
			}
		}
	}
	if err := e.flushLinks(); err != nil {
		return nil, err
	}
	return e.res, nil
}

// decodeSPDX3 decodes a whole SPDX 3 document: the streamed passes into a
// Document.
func decodeSPDX3(data []byte, name string, f Format) (*Document, error) {
	ra := bytes.NewReader(data)
	sp, err := prepareSPDX3(ra, int64(len(data)), name)
	if err != nil {
		return nil, err
	}
	var sink docSink
	res, err := emitSPDX3(&Prepared{ra: ra, size: int64(len(data)), name: name, f: f, spdx3: sp}, &sink)
	if err != nil {
		return nil, err
	}
	doc := res.Document
	doc.Components = sink.comps
	return &doc, nil
}

// docSink collects streamed components into a Document's list.
type docSink struct {
	comps []inventory.Component
	index map[string]int
	edges edgeSet
}

func (s *docSink) Add(batch []inventory.Component) error {
	if s.index == nil {
		s.index, s.edges = map[string]int{}, edgeSet{}
	}
	for _, c := range batch {
		c.DependsOn = nil
		s.index[c.Ref] = len(s.comps)
		s.comps = append(s.comps, c)
	}
	return nil
}

func (s *docSink) Link(from string, to []string) error {
	i, ok := s.index[from]
	if !ok {
		return fmt.Errorf("link from %q, which is not a component", from)
	}
	for _, r := range to {
		s.edges.add(&s.comps[i].DependsOn, from, r)
	}
	return nil
}
