package sbom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spdx/tools-golang/convert"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"
	v21tv "github.com/spdx/tools-golang/spdx/v2/v2_1/tagvalue/reader"
	v22tv "github.com/spdx/tools-golang/spdx/v2/v2_2/tagvalue/reader"
	v23tv "github.com/spdx/tools-golang/spdx/v2/v2_3/tagvalue/reader"
	tvreader "github.com/spdx/tools-golang/tagvalue/reader"

	"github.com/rampart-security/rampart/internal/inventory"
)

func decodeSPDXJSON(data []byte, name string, f Format) (*Document, error) {
	if err := validateStream(data, FormatSPDX+"/"+f.SpecVersion, name); err != nil {
		return nil, err
	}
	var lean spdxJSONDoc
	if err := json.Unmarshal(data, &lean); err != nil {
		return nil, spdxFieldError(data, name, err)
	}
	return fromSPDX(lean.toSPDX(), f, name)
}

// spdxJSONDoc is the part of an SPDX 2.2/2.3 JSON document that import
// uses, built from tools-golang's field types (so identifiers, suppliers and
// external references parse exactly as tools-golang parses them). It
// replaces tools-golang's Document.UnmarshalJSON, which parses the whole
// document twice and every package twice more: decoding a 10,000-package
// document took twice as long with it (docs/performance.md). The JSON field
// names are the same in SPDX 2.2 and 2.3.
type spdxJSONDoc struct {
	SPDXIdentifier    common.ElementID      `json:"SPDXID"`
	DocumentName      string                `json:"name"`
	DocumentNamespace string                `json:"documentNamespace"`
	CreationInfo      *spdx.CreationInfo    `json:"creationInfo"`
	DocumentDescribes []common.DocElementID `json:"documentDescribes"`
	Packages          []*spdxJSONPackage    `json:"packages"`
	Relationships     []*spdx.Relationship  `json:"relationships"`
	OtherLicenses     []*spdx.OtherLicense  `json:"hasExtractedLicensingInfos"`
}

type spdxJSONPackage struct {
	SPDXIdentifier        common.ElementID                 `json:"SPDXID"`
	Name                  string                           `json:"name"`
	VersionInfo           string                           `json:"versionInfo"`
	Supplier              *spdxSupplier                    `json:"supplier"`
	Originator            *spdxSupplier                    `json:"originator"`
	Checksums             []common.Checksum                `json:"checksums"`
	LicenseConcluded      string                           `json:"licenseConcluded"`
	LicenseDeclared       string                           `json:"licenseDeclared"`
	ExternalRefs          []*spdx.PackageExternalReference `json:"externalRefs"`
	PrimaryPackagePurpose string                           `json:"primaryPackagePurpose"`
	SourceInfo            string                           `json:"sourceInfo"`
}

func (d *spdxJSONDoc) toSPDX() *spdx.Document {
	doc := &spdx.Document{
		SPDXIdentifier:    d.SPDXIdentifier,
		DocumentName:      d.DocumentName,
		DocumentNamespace: d.DocumentNamespace,
		CreationInfo:      d.CreationInfo,
		Relationships:     d.Relationships,
		OtherLicenses:     d.OtherLicenses,
	}
	for _, id := range d.DocumentDescribes {
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA:         common.DocElementID{ElementRefID: d.SPDXIdentifier},
			RefB:         id,
			Relationship: common.TypeRelationshipDescribe,
		})
	}
	doc.Packages = make([]*spdx.Package, 0, len(d.Packages))
	for _, p := range d.Packages {
		if p == nil {
			continue
		}
		doc.Packages = append(doc.Packages, p.toPackage())
	}
	return doc
}

// spdxSupplier is a package supplier as tools-golang reads it
// ("Organization: Acme" is Acme), except that a value without the
// "Person:" or "Organization:" prefix of SPDX 2.x clause 7.5 is kept whole
// instead of failing the document: the JSON schema, which SPDX holds
// authoritative for JSON, allows any string, and Microsoft's sbom-tool
// wrote suppliers such as "Microsoft/GitHub".
type spdxSupplier struct{ common.Supplier }

func (s *spdxSupplier) UnmarshalJSON(data []byte) error {
	if err := s.Supplier.UnmarshalJSON(data); err == nil {
		return nil
	}
	var str string
	if err := json.Unmarshal(data, &str); err != nil {
		return err
	}
	s.Supplier = common.Supplier{Supplier: strings.TrimSpace(str)}
	return nil
}

func (p *spdxJSONPackage) toPackage() *spdx.Package {
	var supplier *common.Supplier
	if p.Supplier != nil {
		supplier = &p.Supplier.Supplier
	}
	var originator *common.Originator
	if p.Originator != nil {
		originator = &common.Originator{Originator: p.Originator.Supplier.Supplier, OriginatorType: p.Originator.SupplierType}
	}
	return &spdx.Package{
		PackageOriginator:         originator,
		PackageSPDXIdentifier:     p.SPDXIdentifier,
		PackageName:               p.Name,
		PackageVersion:            p.VersionInfo,
		PackageSupplier:           supplier,
		PackageChecksums:          p.Checksums,
		PackageLicenseConcluded:   p.LicenseConcluded,
		PackageLicenseDeclared:    p.LicenseDeclared,
		PackageExternalReferences: p.ExternalRefs,
		PrimaryPackagePurpose:     p.PrimaryPackagePurpose,
		PackageSourceInfo:         p.SourceInfo,
	}
}

// spdxFieldError reports a JSON error from the SPDX model. tools-golang's
// custom unmarshalers (identifiers, suppliers, checksums) reject values the
// schema's plain strings allow, e.g. an SPDXID without the SPDXRef- prefix.
func spdxFieldError(data []byte, name string, err error) error {
	if ve := jsonSyntaxError(data, name, err, 0); ve != nil {
		if v, ok := ve.(*ValidationError); ok && strings.HasPrefix(v.Message, "malformed JSON") {
			v.Message = "does not match the SPDX model: " + err.Error()
			v.Path = ""
		}
		return ve
	}
	return invalid(name, "", "%v", err)
}

func decodeSPDXTagValue(data []byte, name string, f Format) (*Document, error) {
	pairs, err := tvreader.ReadTagValues(bytes.NewReader(data))
	if err != nil {
		return nil, tagValueError(data, name, f, err)
	}
	// A tag-value document has no closing marker; its writers end every
	// line with a line break, so a last line without one is a cut file.
	if t := bytes.TrimRight(data, " \t"); len(t) > 0 && t[len(t)-1] != '\n' {
		return nil, invalid(name, fmt.Sprintf("line %d", bytes.Count(data, []byte("\n"))+1), "SPDX tag-value: the last line has no line break: the file is truncated")
	}
	kept, ids := dropSnippets(pairs)
	snippets := map[string]bool{}
	for _, id := range ids {
		snippets[id] = true
	}
	doc, err := parseTagValues(kept, f.SpecVersion)
	if err != nil {
		return nil, tagValueError(data, name, f, err)
	}
	if err := checkSPDXTagValue(doc, name); err != nil {
		return nil, err
	}
	if err := checkSPDXComplete(doc, name, f.SpecVersion, snippets); err != nil {
		return nil, err
	}
	return fromSPDX(doc, f, name)
}

// dropSnippets removes the lines of snippets from pairs (in place) and
// returns the snippets' ids. Snippets are not imported; tools-golang's
// parser also rejects a snippet that follows a package section (as in the
// official SPDX 2.2 and 2.3 examples), so their tags go before parsing.
func dropSnippets(pairs []tvreader.TagValuePair) (kept []tvreader.TagValuePair, snippets []string) {
	kept = pairs[:0]
	for _, p := range pairs {
		if p.Tag == "SnippetSPDXID" {
			snippets = append(snippets, strings.TrimPrefix(strings.TrimSpace(p.Value), "SPDXRef-"))
		}
		if strings.HasPrefix(p.Tag, "Snippet") || p.Tag == "LicenseInfoInSnippet" {
			continue
		}
		kept = append(kept, p)
	}
	return kept, snippets
}

// tagValueError is the error of tools-golang's tag-value reader or parser,
// naming the line it gives.
func tagValueError(data []byte, name string, f Format, err error) error {
	return invalid(name, tagValueLine(data, err), "SPDX %s tag-value: %v", f.SpecVersion, err)
}

var tvLineRE = regexp.MustCompile(`(?i)line (\d+)`)

// tvUnknownTagRE is tools-golang's error for a tag its parser does not
// know in the section it is in (it names no line).
var tvUnknownTagRE = regexp.MustCompile(`unknown tag ([A-Za-z0-9]+)`)

// tagValueLine is the line an error of tools-golang's tag-value reader or
// parser names, or for an unknown tag the first line that has that tag.
func tagValueLine(data []byte, err error) string {
	if m := tvLineRE.FindStringSubmatch(err.Error()); m != nil {
		return "line " + m[1]
	}
	if m := tvUnknownTagRE.FindStringSubmatch(err.Error()); m != nil {
		return firstLineWith(data, m[1]+":", true)
	}
	return ""
}

// firstLineWith returns "line N" for the first line of data that holds s
// (at its start when atStart, ignoring leading blanks), or "".
func firstLineWith(data []byte, s string, atStart bool) string {
	for i, line := range bytes.Split(data, []byte("\n")) {
		t := bytes.TrimLeft(line, " \t")
		if (atStart && bytes.HasPrefix(t, []byte(s))) || (!atStart && bytes.Contains(t, []byte(s))) {
			return fmt.Sprintf("line %d", i+1)
		}
	}
	return ""
}

// checkSPDXTagValue enforces the SPDX 2.x required fields the JSON schema
// checks for JSON documents; tools-golang's tag-value reader is lenient.
func checkSPDXTagValue(doc *spdx.Document, name string) error {
	if err := checkSPDXHeader(doc, name); err != nil {
		return err
	}
	for i, p := range doc.Packages {
		if err := checkSPDXPackage(p, i, name); err != nil {
			return err
		}
	}
	return nil
}

// checkSPDXHeader is checkSPDXTagValue for the document's own fields.
func checkSPDXHeader(doc *spdx.Document, name string) error {
	switch {
	case doc.DataLicense == "":
		return invalid(name, "DataLicense", "missing required tag")
	case doc.SPDXIdentifier == "":
		return invalid(name, "SPDXID", "missing required document SPDXID")
	case doc.DocumentName == "":
		return invalid(name, "DocumentName", "missing required tag")
	case doc.DocumentNamespace == "":
		return invalid(name, "DocumentNamespace", "missing required tag")
	case doc.CreationInfo == nil || len(doc.CreationInfo.Creators) == 0:
		return invalid(name, "Creator", "missing required tag")
	case doc.CreationInfo.Created == "":
		return invalid(name, "Created", "missing required tag")
	}
	return nil
}

// checkSPDXPackage is checkSPDXTagValue for the i-th package (0-based).
func checkSPDXPackage(p *spdx.Package, i int, name string) error {
	switch {
	case p == nil:
	case p.PackageName == "":
		return invalid(name, fmt.Sprintf("package %d PackageName", i+1), "missing required tag")
	case p.PackageSPDXIdentifier == "":
		return invalid(name, fmt.Sprintf("package %q SPDXID", p.PackageName), "missing required tag")
	case p.PackageDownloadLocation == "":
		return invalid(name, fmt.Sprintf("package %q PackageDownloadLocation", p.PackageName), "missing required tag")
	}
	return nil
}

// checkSPDXComplete validates a tag-value document as a whole, so that a
// file cut between two sections (where every line read is well formed) is
// not taken for a smaller SBOM: every file has its SHA1 checksum (SPDX
// 2.2 and 2.3 require it) and, in 2.2, its licence and copyright tags;
// every 2.2 package has its licence and copyright tags and, when its files
// were analysed, a verification code and at least one file; the document
// DESCRIBES something; and every relationship names elements the document
// defines (or another document's, DocumentRef-…).
func checkSPDXComplete(doc *spdx.Document, name, version string, snippets map[string]bool) error {
	defined := map[string]bool{"DOCUMENT": true}
	for k := range snippets {
		defined[k] = true
	}
	def := func(id string) { defined[id] = true }
	for _, f := range doc.Files {
		if err := checkSPDXFile(f, "", name, version, def); err != nil {
			return err
		}
	}
	for _, p := range doc.Packages {
		if err := checkSPDXPackageComplete(p, name, version, def); err != nil {
			return err
		}
	}
	describes := false
	for _, r := range doc.Relationships {
		if r == nil {
			continue
		}
		rel := strings.ToUpper(r.Relationship)
		if (rel == "DESCRIBES" && r.RefA.ElementRefID == "DOCUMENT") || (rel == "DESCRIBED_BY" && r.RefB.ElementRefID == "DOCUMENT") {
			describes = true
		}
		for _, ref := range []common.DocElementID{r.RefA, r.RefB} {
			if ref.DocumentRefID != "" || ref.SpecialID != "" || ref.ElementRefID == "" {
				continue
			}
			if !defined[string(ref.ElementRefID)] {
				return invalid(name, "Relationship", "%s %s %s: element SPDXRef-%s is not defined in the document: the document is incomplete (truncated?)",
					r.RefA, r.Relationship, r.RefB, ref.ElementRefID)
			}
		}
	}
	if !describes && len(doc.Packages) == 0 && len(doc.Files) == 0 {
		return invalid(name, "Relationship", "the document describes nothing (no DESCRIBES relationship, package or file): the document is incomplete (truncated?)")
	}
	return nil
}

// checkSPDXFile is checkSPDXComplete for one file (where names its
// package); def records the identifiers the document defines.
func checkSPDXFile(f *spdx.File, where, name, version string, def func(string)) error {
	if f == nil {
		return nil
	}
	def(string(f.FileSPDXIdentifier))
	has := false
	for _, c := range f.Checksums {
		if c.Algorithm == common.SHA1 && c.Value != "" {
			has = true
		}
	}
	field := fmt.Sprintf("%sfile %q", where, f.FileName)
	switch {
	case f.FileSPDXIdentifier == "":
		return invalid(name, field+" SPDXID", "missing required tag: the file section is incomplete (truncated?)")
	case !has:
		return invalid(name, field+" FileChecksum", "missing required SHA1 checksum: the file section is incomplete (truncated?)")
	case spdxStrictFields(version) && f.LicenseConcluded == "":
		return invalid(name, field+" LicenseConcluded", "missing required tag: the file section is incomplete (truncated?)")
	case spdxStrictFields(version) && len(f.LicenseInfoInFiles) == 0:
		return invalid(name, field+" LicenseInfoInFile", "missing required tag: the file section is incomplete (truncated?)")
	case spdxStrictFields(version) && f.FileCopyrightText == "":
		return invalid(name, field+" FileCopyrightText", "missing required tag: the file section is incomplete (truncated?)")
	}
	return nil
}

// checkSPDXPackageComplete is checkSPDXComplete for one package and its
// files.
func checkSPDXPackageComplete(p *spdx.Package, name, version string, def func(string)) error {
	if p == nil {
		return nil
	}
	def(string(p.PackageSPDXIdentifier))
	field := fmt.Sprintf("package %q ", p.PackageName)
	for _, f := range p.Files {
		if err := checkSPDXFile(f, field, name, version, def); err != nil {
			return err
		}
	}
	if !spdxStrictFields(version) {
		return nil
	}
	analyzed := p.FilesAnalyzed || !p.IsFilesAnalyzedTagPresent
	switch {
	case p.PackageLicenseConcluded == "":
		return invalid(name, field+"PackageLicenseConcluded", "missing required tag: the package section is incomplete (truncated?)")
	case p.PackageLicenseDeclared == "":
		return invalid(name, field+"PackageLicenseDeclared", "missing required tag: the package section is incomplete (truncated?)")
	case p.PackageCopyrightText == "":
		return invalid(name, field+"PackageCopyrightText", "missing required tag: the package section is incomplete (truncated?)")
	case analyzed && (p.PackageVerificationCode == nil || p.PackageVerificationCode.Value == ""):
		return invalid(name, field+"PackageVerificationCode", "required when FilesAnalyzed is true: the package section is incomplete (truncated?)")
	case analyzed && len(p.Files) == 0:
		return invalid(name, field+"FilesAnalyzed", "is true but the package has no files: the document is incomplete (truncated?)")
	}
	return nil
}

var spdxPurpose = map[string]inventory.ComponentType{
	"APPLICATION":      inventory.TypeApplication,
	"FRAMEWORK":        inventory.TypeFramework,
	"LIBRARY":          inventory.TypeLibrary,
	"CONTAINER":        inventory.TypeContainer,
	"OPERATING-SYSTEM": inventory.TypeOperatingSystem,
	"DEVICE":           inventory.TypeDevice,
	"FIRMWARE":         inventory.TypeFirmware,
	"FILE":             inventory.TypeFile,
	"SOURCE":           inventory.TypeFile,
	"ARCHIVE":          inventory.TypeFile,
	"INSTALL":          inventory.TypeApplication,
	"OTHER":            inventory.TypeLibrary,
}

// spdxToCDXHash maps SPDX checksum algorithms to CycloneDX names. SPDX
// algorithms with no CycloneDX equivalent (SHA224, MD2, MD4, MD6, ADLER32)
// keep their SPDX spelling; EncodeCycloneDX leaves them out.
var spdxToCDXHash = map[string]string{
	"MD5": "MD5", "SHA1": "SHA-1", "SHA256": "SHA-256", "SHA384": "SHA-384", "SHA512": "SHA-512",
	"SHA3-256": "SHA3-256", "SHA3-384": "SHA3-384", "SHA3-512": "SHA3-512",
	"BLAKE2b-256": "BLAKE2b-256", "BLAKE2b-384": "BLAKE2b-384", "BLAKE2b-512": "BLAKE2b-512", "BLAKE3": "BLAKE3",
}

// spdxAgentName returns the name of an SPDX 2.x supplier or originator
// without the optional e-mail address that clauses 7.5 and 7.6 put after
// it in parentheses ("Person: Jane Doe (jane.doe@example.com)" is Jane
// Doe); tools-golang has already taken off the "Person:" or
// "Organization:" prefix. Yocto's create-spdx writes every supplier as
// "Organization: OpenEmbedded ()" (SPDX_ORG's default), with the address
// left empty. Parentheses that hold no address stay part of the name.
func spdxAgentName(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasSuffix(s, ")") {
		return s
	}
	i := strings.LastIndexByte(s, '(')
	if i <= 0 {
		return s
	}
	if inner := strings.TrimSpace(s[i+1 : len(s)-1]); inner != "" && !strings.Contains(inner, "@") {
		return s
	}
	if name := strings.TrimSpace(s[:i]); name != "" {
		return name
	}
	return s
}

func noAssertion(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || s == "NOASSERTION" || s == "NONE"
}

// fromSPDX converts an SPDX 2.x document to a Document. Packages become
// components (files and snippets do not: they describe source trees, not
// shipped components). A package the document DESCRIBES, when it is the only
// one, becomes Metadata. Relationships between packages become DependsOn
// edges (spdxEdge).
func fromSPDX(sd *spdx.Document, f Format, name string) (*Document, error) {
	doc := &Document{Format: f.Name, SpecVersion: f.SpecVersion, Encoding: f.Encoding, Name: sd.DocumentName, SerialNumber: sd.DocumentNamespace}
	if sd.CreationInfo != nil {
		if t, err := time.Parse(time.RFC3339, sd.CreationInfo.Created); err == nil {
			doc.Created = t.UTC()
		}
	}
	otherNames := map[string]string{}
	for _, ol := range sd.OtherLicenses {
		if ol != nil && ol.LicenseName != "" && !noAssertion(ol.LicenseName) {
			otherNames[ol.LicenseIdentifier] = ol.LicenseName
		}
	}
	comps := make([]inventory.Component, 0, len(sd.Packages))
	index := map[string]int{}
	for _, p := range sd.Packages {
		if p == nil {
			continue
		}
		ref := "SPDXRef-" + string(p.PackageSPDXIdentifier)
		if _, dup := index[ref]; dup {
			return nil, invalid(name, "packages", "SPDXID %q is not unique", ref)
		}
		index[ref] = len(comps)
		comps = append(comps, spdxToComponent(p, ref, otherNames))
	}
	var describes uniqueList
	type edge struct{ from, to string }
	var edges []edge
	for _, r := range sd.Relationships {
		if r == nil || r.RefA.DocumentRefID != "" || r.RefB.DocumentRefID != "" {
			continue // external documents are not resolved
		}
		if ref, ok := describedBy(r, sd.SPDXIdentifier); ok {
			describes.add(ref)
			continue
		}
		if from, to, ok := spdxEdge(r); ok {
			edges = append(edges, edge{from, to})
		}
	}
	added := edgeSet{}
	for _, e := range edges {
		i, ok1 := index[e.from]
		_, ok2 := index[e.to]
		if ok1 && ok2 && e.from != e.to {
			added.add(&comps[i].DependsOn, e.from, e.to)
		}
	}
	var described []string
	for _, d := range describes.list {
		if _, ok := index[d]; ok {
			described = append(described, d)
		}
	}
	if len(described) == 1 {
		mi := index[described[0]]
		m := comps[mi]
		doc.Metadata = &m
		comps = append(comps[:mi], comps[mi+1:]...)
	}
	doc.Components = comps
	return doc, nil
}

// spdxEdge returns the DependsOn edge (from depends on to) a relationship
// between two elements of the document stands for, ok false when it stands
// for none. SPDX 2.3 clause 11.1: A DEPENDS_ON, CONTAINS, STATIC_LINK,
// DYNAMIC_LINK or HAS_PREREQUISITE B, and the reverse B *_DEPENDENCY_OF,
// CONTAINED_BY, PREREQUISITE_FOR or OPTIONAL_COMPONENT_OF A ("A library
// bar.dll has as a prerequisite a dependency to library foo.dll";
// Microsoft's sbom-tool writes PREREQUISITE_FOR) all mean "A depends on B".
func spdxEdge(r *spdx.Relationship) (from, to string, ok bool) {
	a, b := "SPDXRef-"+string(r.RefA.ElementRefID), "SPDXRef-"+string(r.RefB.ElementRefID)
	forward, ok := spdxEdgeForward(r.Relationship)
	switch {
	case !ok:
		return "", "", false
	case forward:
		return a, b, true
	}
	return b, a, true
}

// spdxEdgeForward reports whether relationship type rel is a dependency
// edge (ok) and whether it reads "A depends on B" (forward) or "B depends
// on A".
func spdxEdgeForward(rel string) (forward, ok bool) {
	switch strings.ToUpper(rel) {
	case "DEPENDS_ON", "CONTAINS", "STATIC_LINK", "DYNAMIC_LINK", "HAS_PREREQUISITE":
		return true, true
	case "DEPENDENCY_OF", "BUILD_DEPENDENCY_OF", "DEV_DEPENDENCY_OF", "OPTIONAL_DEPENDENCY_OF",
		"PROVIDED_DEPENDENCY_OF", "TEST_DEPENDENCY_OF", "RUNTIME_DEPENDENCY_OF", "CONTAINED_BY",
		"PREREQUISITE_FOR", "OPTIONAL_COMPONENT_OF":
		return false, true
	}
	return false, false
}

func spdxToComponent(p *spdx.Package, ref string, otherNames map[string]string) inventory.Component {
	c := inventory.Component{
		Ref:     ref,
		Type:    inventory.TypeLibrary,
		Name:    p.PackageName,
		Version: p.PackageVersion,
	}
	if t, ok := spdxPurpose[strings.ToUpper(strings.ReplaceAll(p.PrimaryPackagePurpose, "_", "-"))]; ok {
		c.Type = t
	}
	switch {
	case p.PackageSupplier != nil && !noAssertion(p.PackageSupplier.Supplier):
		c.Supplier = spdxAgentName(p.PackageSupplier.Supplier)
	case p.PackageOriginator != nil && !noAssertion(p.PackageOriginator.Originator):
		// No supplier: the originator, from whom the package originally
		// came (clause 7.6), as CycloneDX falls back to the manufacturer.
		c.Supplier = spdxAgentName(p.PackageOriginator.Originator)
	}
	for _, cs := range p.PackageChecksums {
		alg := string(cs.Algorithm)
		if m, ok := spdxToCDXHash[alg]; ok {
			alg = m
		}
		c.Hashes = append(c.Hashes, inventory.Hash{Algorithm: alg, Value: strings.ToLower(strings.TrimSpace(cs.Value))})
	}
	lic := p.PackageLicenseConcluded
	if noAssertion(lic) {
		lic = p.PackageLicenseDeclared
	}
	if !noAssertion(lic) {
		lic = strings.TrimSpace(lic)
		if n, ok := otherNames[lic]; ok {
			lic = n // a LicenseRef- standing for a named licence
		}
		c.Licenses = []string{lic}
	}
	for _, er := range p.PackageExternalReferences {
		if er == nil {
			continue
		}
		loc := strings.TrimSpace(er.Locator)
		switch strings.ToLower(er.RefType) {
		case "purl":
			if c.PURL == "" {
				c.PURL = loc
			}
		case "cpe22type", "cpe23type":
			c.CPEs = appendUnique(c.CPEs, loc)
		}
	}
	if name, version := spdxSource(p.PackageSourceInfo); name != "" {
		c.PURL = withUpstream(c.PURL, name, version)
	}
	return c
}

var (
	spdxIDsOnce sync.Once
	spdxIDs     map[string]bool
)

// isSPDXLicenseID reports whether id is on the SPDX licence list bundled
// with the CycloneDX schemas (spdx.schema.json).
func isSPDXLicenseID(id string) bool {
	spdxIDsOnce.Do(func() {
		spdxIDs = map[string]bool{}
		raw, err := schemaFS.ReadFile("schemas/spdx.schema.json")
		if err != nil {
			return
		}
		var s struct {
			Enum []string `json:"enum"`
		}
		if json.Unmarshal(raw, &s) == nil {
			for _, e := range s.Enum {
				spdxIDs[e] = true
			}
		}
	})
	return spdxIDs[id]
}

// spdxIDChars replaces characters an SPDX identifier may not hold.
var spdxIDChars = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// spdxElementID turns ref into a valid, unique SPDX element id (without the
// SPDXRef- prefix), keeping refs that already are SPDX ids.
func spdxElementID(ref string, taken map[string]bool) string {
	id, had := strings.CutPrefix(ref, "SPDXRef-")
	if !had || spdxIDChars.MatchString(id) || id == "" {
		id = strings.Trim(spdxIDChars.ReplaceAllString(ref, "-"), "-")
		if id == "" {
			id = "component"
		}
	}
	base := id
	for n := 2; taken[id]; n++ {
		id = fmt.Sprintf("%s-%d", base, n)
	}
	taken[id] = true
	return id
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// parseTagValues reads tag-value pairs with tools-golang's parser of the
// document's SPDX version (2.1 and 2.2 converted to 2.3 by tools-golang's
// convert package; 2.3 otherwise).
func parseTagValues(pairs []tvreader.TagValuePair, version string) (*spdx.Document, error) {
	var old any
	var err error
	switch version {
	case "2.1":
		old, err = v21tv.ParseTagValues(pairs)
	case "2.2":
		old, err = v22tv.ParseTagValues(pairs)
	default:
		return v23tv.ParseTagValues(pairs)
	}
	if err != nil {
		return nil, err
	}
	var doc spdx.Document
	if err := convert.Document(old, &doc); err != nil {
		return nil, err
	}
	return &doc, nil
}

// spdxStrictFields reports whether version makes the file and package
// licence and copyright fields mandatory (SPDX 2.1 and 2.2; 2.3 made
// them optional).
func spdxStrictFields(version string) bool { return version == "2.1" || version == "2.2" }

// describedIn lists, once each and in order, the elements that rels say
// the document doc describes (see describedBy).
func describedIn(rels []spdx.Relationship, doc common.ElementID) []string {
	var refs uniqueList
	for i := range rels {
		if ref, ok := describedBy(&rels[i], doc); ok {
			refs.add(ref)
		}
	}
	return refs.list
}

// describedBy returns the element ("SPDXRef-…") that relationship r says
// the document doc describes: r is doc DESCRIBES it or it DESCRIBED_BY doc.
// ok is false for any other relationship and for one naming an external
// document, which is not resolved.
func describedBy(r *spdx.Relationship, doc common.ElementID) (ref string, ok bool) {
	if r.RefA.DocumentRefID != "" || r.RefB.DocumentRefID != "" {
		return "", false
	}
	switch strings.ToUpper(r.Relationship) {
	case "DESCRIBES":
		if r.RefA.ElementRefID == doc {
			return "SPDXRef-" + string(r.RefB.ElementRefID), true
		}
	case "DESCRIBED_BY":
		if r.RefB.ElementRefID == doc {
			return "SPDXRef-" + string(r.RefA.ElementRefID), true
		}
	}
	return "", false
}
