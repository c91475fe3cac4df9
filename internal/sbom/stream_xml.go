package sbom

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/rampart-security/rampart/internal/xmlsafe"
)

// Streaming of CycloneDX XML (see StreamThreshold).
//
// decodeCycloneDXXML decodes the whole document into cyclonedx-go's
// cdx.BOM. The streaming path decodes the same document through
// xmlSplitter: the root's <components> and <dependencies> elements are
// taken out of the token stream, and each <component> and <dependency> in
// them is decoded on its own (the same cdx.Component and cdx.Dependency
// decoding, so the same strictness); everything else (attributes,
// metadata, services, …) is decoded into a cdx.BOM as before, which is
// small once those two arrays are gone. Pass 1 (Prepare) runs
// checkCycloneDX's rules over each component as it is decoded and keeps
// only the bom-refs (refSet) and that skeleton; pass 2 (Emit) decodes the
// components again and hands them to the sink in batches.

// xmlSplitter is an xml.TokenReader over a CycloneDX XML document that
// removes the root's <components> and <dependencies> elements from the
// token stream, calling component and dependency for each item instead.
// The callbacks must consume the element from raw (DecodeElement or Skip).
type xmlSplitter struct {
	raw        *xml.Decoder
	depth      int
	component  func(i int, start *xml.StartElement) error
	dependency func(i int, start *xml.StartElement) error
	nComp      int
	nDep       int
	// depsFirst: a <dependency> came before the first <component>.
	depsFirst bool
}

func (s *xmlSplitter) Token() (xml.Token, error) {
	for {
		tok, err := s.raw.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			s.depth++
			// encoding/xml matches the model's "components>component" and
			// "dependencies>dependency" paths by local name.
			if s.depth == 2 && (t.Name.Local == "components" || t.Name.Local == "dependencies") {
				if err := s.list(t.Name.Local); err != nil {
					return nil, err
				}
				s.depth--
				continue
			}
		case xml.EndElement:
			s.depth--
		}
		return tok, nil
	}
}

// list consumes the children of a <components> or <dependencies> element
// up to its end tag.
func (s *xmlSplitter) list(kind string) error {
	for {
		tok, err := s.raw.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case kind == "components" && t.Name.Local == "component":
				err = s.component(s.nComp, &t)
				s.nComp++
			case kind == "dependencies" && t.Name.Local == "dependency":
				if s.nComp == 0 && s.nDep == 0 {
					s.depsFirst = true
				}
				err = s.dependency(s.nDep, &t)
				s.nDep++
			default:
				err = s.raw.Skip() // not part of the model
			}
			if err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// decodeSplit decodes the document at r through s into bom and checks
// that nothing but white space, comments and processing instructions
// follow </bom>, with decodeCycloneDXXML's errors.
func decodeSplit(r io.Reader, name string, f Format, s *xmlSplitter, bom *cdx.BOM) error {
	s.raw = xml.NewDecoder(xmlsafe.NewReader(r, xmlsafe.MaxDepth))
	dec := xml.NewTokenDecoder(s)
	if err := dec.Decode(bom); err != nil {
		if raised := raisedInDecoding(err); raised != nil {
			return raised
		}
		if errors.Is(err, xmlsafe.ErrTooDeep) {
			return tooDeep(name, s.raw)
		}
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return invalid(name, fmt.Sprintf("line %d", se.Line), "malformed XML: %s", se.Msg)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			line, _ := s.raw.InputPos()
			return invalid(name, fmt.Sprintf("line %d", line), "malformed XML: unexpected EOF")
		}
		line, _ := s.raw.InputPos()
		return invalid(name, fmt.Sprintf("line %d", line), "XML does not match CycloneDX %s: %v", f.SpecVersion, err)
	}
	if contentAfterRoot(dec.Token) {
		line, _ := s.raw.InputPos()
		return invalid(name, fmt.Sprintf("line %d", line), "unexpected content after </bom>")
	}
	return nil
}

// xmlPrepared is what pass 1 keeps of a CycloneDX XML document.
type xmlPrepared struct {
	bom       cdx.BOM // without components and dependencies
	refs      *refSet
	depsFirst bool
}

// xmlChecker runs checkCycloneDX's rules over a document streamed
// through xmlSplitter. The first failure of each group is kept and
// reported in checkCycloneDX's order (metadata, components,
// dependencies).
type xmlChecker struct {
	ra       io.ReaderAt
	size     int64
	name     string
	f        Format
	bom      *cdx.BOM
	refs     *refSet
	metaDone bool
	cur      *cdx.Component // the top-level component being checked
	curIdx   int32
	metaErr  error
	compErr  error
	depErr   error
}

var xmlRoot = loc{xml: true, path: "/bom"}

func (x *xmlChecker) metadata() {
	if x.metaDone || x.bom.Metadata == nil {
		return // not yet decoded (metadata may follow the components)
	}
	x.metaDone = true
	if x.bom.Metadata.Component != nil {
		x.metaErr = x.walk(x.bom.Metadata.Component, xmlRoot.field("metadata", "metadata").field("component", "component"), -1)
	}
}

func (x *xmlChecker) walk(c *cdx.Component, at loc, top int32) error {
	if c.BOMRef != "" {
		k := x.refs.key(c.BOMRef)
		if prev, hit := x.refs.m[k]; hit {
			if where, dup := x.confirm(prev, c.BOMRef); dup {
				return invalid(x.name, at.field("bom-ref", "@bom-ref").path, "bom-ref %q is not unique (also at %s)", c.BOMRef, where)
			}
		} else {
			x.refs.m[k] = top
		}
	}
	if err := checkXMLComponent(c, x.f, at, x.name); err != nil {
		return err
	}
	if c.Components != nil {
		for i := range *c.Components {
			if err := x.walk(&(*c.Components)[i], at.field("components", "components").index(i, "component"), top); err != nil {
				return err
			}
		}
	}
	return nil
}

// confirm finds the component holding ref in the top-level component prev
// (-1: the metadata component), reading it again from the document unless
// it is the one being checked, and returns its path.
func (x *xmlChecker) confirm(prev int32, ref string) (string, bool) {
	var c *cdx.Component
	at := xmlRoot.field("metadata", "metadata").field("component", "component")
	switch {
	case prev < 0:
		if x.bom.Metadata == nil {
			return "", false
		}
		c = x.bom.Metadata.Component
	case prev == x.curIdx && x.cur != nil:
		c = x.cur
		at = xmlRoot.field("components", "components").index(int(prev), "component")
	default:
		var found cdx.Component
		ok := false
		s := &xmlSplitter{}
		s.component = func(i int, start *xml.StartElement) error {
			if i != int(prev) {
				return s.raw.Skip()
			}
			ok = true
			if err := s.raw.DecodeElement(&found, start); err != nil {
				return err
			}
			return io.EOF // stop reading
		}
		s.dependency = func(int, *xml.StartElement) error { return s.raw.Skip() }
		_ = decodeSplit(io.NewSectionReader(x.ra, 0, x.size), x.name, x.f, s, &cdx.BOM{})
		if !ok {
			return "", false
		}
		c = &found
		at = xmlRoot.field("components", "components").index(int(prev), "component")
	}
	if c == nil {
		return "", false
	}
	return findRef(c, at, ref)
}

// findRef returns the path of the component holding ref in c's tree.
func findRef(c *cdx.Component, at loc, ref string) (string, bool) {
	if c.BOMRef == ref {
		return at.path, true
	}
	if c.Components != nil {
		for i := range *c.Components {
			if p, ok := findRef(&(*c.Components)[i], at.field("components", "components").index(i, "component"), ref); ok {
				return p, true
			}
		}
	}
	return "", false
}

// prepareCycloneDXXML is pass 1 for CycloneDX XML.
func prepareCycloneDXXML(ra io.ReaderAt, size int64, name string, f Format) (*xmlPrepared, error) {
	p := &xmlPrepared{refs: newRefSet()}
	x := &xmlChecker{ra: ra, size: size, name: name, f: f, bom: &p.bom, refs: p.refs, curIdx: -1}
	s := &xmlSplitter{}
	s.component = func(i int, start *xml.StartElement) error {
		var c cdx.Component
		if err := s.raw.DecodeElement(&c, start); err != nil {
			return err
		}
		x.metadata()
		if x.compErr == nil {
			x.cur, x.curIdx = &c, int32(i)
			x.compErr = x.walk(&c, xmlRoot.field("components", "components").index(i, "component"), int32(i))
			x.cur, x.curIdx = nil, -1
		}
		return nil
	}
	s.dependency = func(i int, start *xml.StartElement) error {
		var d cdx.Dependency
		if err := s.raw.DecodeElement(&d, start); err != nil {
			return err
		}
		x.metadata()
		if x.depErr == nil {
			x.depErr = checkDependency(&d, i, xmlRoot, name)
		}
		return nil
	}
	if err := decodeSplit(io.NewSectionReader(ra, 0, size), name, f, s, &p.bom); err != nil {
		return nil, err
	}
	x.metadata()
	p.depsFirst = s.depsFirst && s.nComp > 0
	bom := &p.bom
	if bom.XMLNS != cdxXMLNamespacePrefix+f.SpecVersion {
		return nil, invalid(name, "/bom/@xmlns", "namespace %q is not CycloneDX %s", bom.XMLNS, f.SpecVersion)
	}
	// checkCycloneDX on the skeleton: the root rules (there are no
	// components or dependencies left in it, so the metadata component
	// is checked again, harmlessly).
	if err := checkCycloneDX(bom, f, name); err != nil {
		return nil, err
	}
	for _, err := range []error{x.metaErr, x.compErr, x.depErr} {
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

// emitCycloneDXXML is pass 2 for CycloneDX XML: the metadata component
// (kept from pass 1) and its nested components first, then the
// components in document order, then the dependency edges, as fromBOM
// orders them.
func emitCycloneDXXML(p *Prepared, sink Sink) (*Streamed, error) {
	xp := p.xml
	e := &cdxEmitter{name: p.name, refs: xp.refs, auto: map[uint64]struct{}{},
		batcher: batcher{sink: sink, res: &Streamed{Document: Document{Format: p.f.Name, SpecVersion: p.f.SpecVersion, Encoding: p.f.Encoding, SerialNumber: xp.bom.SerialNumber}}}}
	if md := xp.bom.Metadata; md != nil {
		if t, err := time.Parse(time.RFC3339, md.Timestamp); err == nil {
			e.res.Created = t.UTC()
		}
		if md.Component != nil {
			if err := e.metaComponent(md.Component); err != nil {
				return nil, err
			}
		}
	}
	read := func(comps, deps bool) error {
		s := &xmlSplitter{}
		s.component = func(_ int, start *xml.StartElement) error {
			if !comps {
				return s.raw.Skip()
			}
			var c cdx.Component
			if err := s.raw.DecodeElement(&c, start); err != nil {
				return err
			}
			if err := e.emit(&c); err != nil {
				return sinkError{err}
			}
			return nil
		}
		s.dependency = func(_ int, start *xml.StartElement) error {
			if !deps {
				return s.raw.Skip()
			}
			var d xmlDependency // with the nested ones, as addNestedXMLDependencies
			if err := s.raw.DecodeElement(&d, start); err != nil {
				return err
			}
			if err := e.flush(); err != nil {
				return sinkError{err}
			}
			for _, dep := range d.nested([]cdx.Dependency{{Ref: d.Ref, Dependencies: d.refs()}}) {
				if err := e.dependency(&dep); err != nil {
					return err
				}
			}
			return nil
		}
		return decodeSplit(io.NewSectionReader(p.ra, 0, p.size), p.name, p.f, s, &cdx.BOM{})
	}
	if err := read(true, !xp.depsFirst); err != nil {
		return nil, err
	}
	if err := e.flush(); err != nil {
		return nil, err
	}
	if xp.depsFirst {
		// Edges listed before the components: a second read, once every
		// component is in the sink.
		if err := read(false, true); err != nil {
			return nil, err
		}
	}
	return e.res, nil
}
