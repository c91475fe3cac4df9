package sbom

import (
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"

	"github.com/rampart-security/rampart/internal/inventory"
)

// Streaming of SPDX JSON (see StreamThreshold).
//
// decodeSPDXJSON validates the document against the SPDX schema, decodes
// it whole into spdxJSONDoc and converts it with fromSPDX. The streaming
// path is the same in two passes. Pass 1 (Prepare) is validateReader, the
// streamed schema validation that checks each package and relationship on
// its own, with hooks that keep what the conversion needs before any
// package is handed over: the package SPDXIDs (refSet, for uniqueness and
// for resolving relationships), the DESCRIBES relationships (to find the
// described package, which becomes the metadata component) and the small
// header values. Pass 2 (Emit) decodes one package and one relationship at
// a time with the same tools-golang field types.

// spdxPrepared is what pass 1 keeps of an SPDX JSON document.
type spdxPrepared struct {
	refs       *refSet
	meta       string // ref of the package that becomes the metadata component
	docName    string
	namespace  string
	created    time.Time
	otherNames map[string]string
}

// spdxHeaderKeys are the top-level values the conversion reads.
var spdxHeaderKeys = map[string]bool{"SPDXID": true, "name": true, "documentNamespace": true, "creationInfo": true,
	"documentDescribes": true, "hasExtractedLicensingInfos": true}

type spdxCollector struct {
	ra       io.ReaderAt
	size     int64
	name     string
	refs     *refSet
	pkgsAt   int64
	header   map[string]any
	describe []spdx.Relationship // DESCRIBES and DESCRIBED_BY relationships
	err      error
}

func (c *spdxCollector) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

func spdxModelError(name, at string, err error) error {
	return invalid(name, at, "does not match the SPDX model: %v", err)
}

// decodeSPDXItem decodes the next item of an array into v. A syntax error
// or a truncated document is returned as it is; a value the model cannot
// hold is a validation error of the item at path at.
func decodeSPDXItem(dec *json.Decoder, name, at string, v any) error {
	err := dec.Decode(v)
	var se *json.SyntaxError
	if err == nil || errors.As(err, &se) || err == io.EOF || err == io.ErrUnexpectedEOF {
		return err
	}
	return spdxModelError(name, at, err)
}

func (c *spdxCollector) hooks() *streamHooks {
	return &streamHooks{
		value: func(key string, v any) {
			if spdxHeaderKeys[key] {
				c.header[key] = v
			}
		},
		item: func(prop string, idx int, arrayAt int64, v any) {
			m, _ := v.(map[string]any)
			switch prop {
			case "packages":
				if idx == 0 {
					c.pkgsAt = arrayAt
				}
				id, ok := m["SPDXID"].(string)
				if !ok {
					return // the schema reports it
				}
				k := c.refs.key(id)
				if prev, hit := c.refs.m[k]; hit {
					var p struct {
						ID string `json:"SPDXID"`
					}
					if decodeItemAt(c.ra, c.size, c.pkgsAt, int(prev), &p) == nil && p.ID == id {
						c.fail(invalid(c.name, "packages", "SPDXID %q is not unique", id)) // as fromSPDX says
					}
					return
				}
				c.refs.m[k] = int32(idx)
			case "relationships":
				t, _ := m["relationshipType"].(string)
				if t = strings.ToUpper(t); t != "DESCRIBES" && t != "DESCRIBED_BY" {
					return
				}
				raw, err := json.Marshal(v)
				var r spdx.Relationship
				if err == nil {
					err = json.Unmarshal(raw, &r)
				}
				if err != nil {
					c.fail(spdxModelError(c.name, "/relationships/"+strconv.Itoa(idx), err))
					return
				}
				c.describe = append(c.describe, r)
			}
		},
	}
}

// prepareSPDXJSON is pass 1 for SPDX JSON.
func prepareSPDXJSON(ra io.ReaderAt, size int64, name string, f Format) (*spdxPrepared, error) {
	c := &spdxCollector{ra: ra, size: size, name: name, refs: newRefSet(), header: map[string]any{}}
	if err := validateReader(ra, size, FormatSPDX+"/"+f.SpecVersion, name, c.hooks()); err != nil {
		return nil, err
	}
	// The header, decoded value by value into spdxJSONDoc's field types
	// (so an error names the value).
	var d spdxJSONDoc
	for key, target := range map[string]any{"SPDXID": &d.SPDXIdentifier, "name": &d.DocumentName, "documentNamespace": &d.DocumentNamespace,
		"creationInfo": &d.CreationInfo, "documentDescribes": &d.DocumentDescribes, "hasExtractedLicensingInfos": &d.OtherLicenses} {
		v, ok := c.header[key]
		if !ok {
			continue
		}
		raw, err := json.Marshal(v)
		if err == nil {
			err = json.Unmarshal(raw, target)
		}
		if err != nil {
			return nil, spdxModelError(name, "/"+key, err)
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	p := &spdxPrepared{refs: c.refs, docName: d.DocumentName, namespace: d.DocumentNamespace, otherNames: map[string]string{}}
	if d.CreationInfo != nil {
		if t, err := time.Parse(time.RFC3339, d.CreationInfo.Created); err == nil {
			p.created = t.UTC()
		}
	}
	for _, ol := range d.OtherLicenses {
		if ol != nil && ol.LicenseName != "" && !noAssertion(ol.LicenseName) {
			p.otherNames[ol.LicenseIdentifier] = ol.LicenseName
		}
	}
	// The described packages, as fromSPDX finds them: DESCRIBES
	// relationships in document order, then documentDescribes.
	rels := c.describe
	for _, id := range d.DocumentDescribes {
		rels = append(rels, spdx.Relationship{RefA: common.DocElementID{ElementRefID: d.SPDXIdentifier}, RefB: id, Relationship: common.TypeRelationshipDescribe})
	}
	p.meta = p.refs.described(describedIn(rels, d.SPDXIdentifier))
	return p, nil
}

// spdxEmitter is pass 2 for SPDX JSON.
type spdxEmitter struct {
	batcher
	p    *spdxPrepared
	name string
	// Consecutive edges from one package are linked together.
	from string
	to   uniqueList
	// metaEdges are the metadata component's edges added so far.
	metaEdges edgeSet
}

func (e *spdxEmitter) flushLinks() error {
	if len(e.to.list) == 0 {
		return nil
	}
	err := e.sink.Link(e.from, e.to.list)
	e.from = ""
	e.to.reset()
	return err
}

// pkg takes one package, as fromSPDX converts it: the described one is the
// metadata component (the first time it is seen), the others are queued for
// the sink.
func (e *spdxEmitter) pkg(pk *spdx.Package) error {
	ref := "SPDXRef-" + string(pk.PackageSPDXIdentifier)
	return e.component(spdxToComponent(pk, ref, e.p.otherNames), e.p.meta)
}

// component takes a converted package: the one whose ref is meta (the
// described one) is the metadata component the first time it is seen,
// the others are queued for the sink.
func (e *spdxEmitter) component(comp inventory.Component, meta string) error {
	if comp.Ref == meta && e.res.Metadata == nil {
		e.res.Metadata = &comp
		return nil
	}
	return e.add(comp)
}

func (e *spdxEmitter) packages(dec *json.Decoder) error {
	if _, err := dec.Token(); err != nil { // [
		return err
	}
	for i := 0; dec.More(); i++ {
		var jp *spdxJSONPackage
		if err := decodeSPDXItem(dec, e.name, "/packages/"+strconv.Itoa(i), &jp); err != nil {
			return err
		}
		if jp == nil {
			continue
		}
		if err := e.pkg(jp.toPackage()); err != nil {
			return sinkError{err}
		}
	}
	_, err := dec.Token() // ]
	return err
}

func (e *spdxEmitter) relationships(dec *json.Decoder) error {
	if _, err := dec.Token(); err != nil { // [
		return err
	}
	for i := 0; dec.More(); i++ {
		var r *spdx.Relationship
		if err := decodeSPDXItem(dec, e.name, "/relationships/"+strconv.Itoa(i), &r); err != nil {
			return err
		}
		if err := e.relationship(r); err != nil {
			return sinkError{err}
		}
	}
	if err := e.flushLinks(); err != nil {
		return sinkError{err}
	}
	_, err := dec.Token() // ]
	return err
}

// relationship turns one relationship between packages into a DependsOn
// edge, as fromSPDX does; consecutive edges from one package are linked
// together. Errors are the sink's.
func (e *spdxEmitter) relationship(r *spdx.Relationship) error {
	if r == nil || r.RefA.DocumentRefID != "" || r.RefB.DocumentRefID != "" {
		return nil // external documents are not resolved
	}
	from, to, ok := spdxEdge(r)
	if !ok || from == to || !e.p.refs.has(from) || !e.p.refs.has(to) {
		return nil
	}
	return e.edge(from, to, e.p.meta)
}

// edge adds the DependsOn edge from → to between two packages of the
// document: to the metadata component's edges when from is meta (the
// described package), else to the links of from. Errors are the sink's.
func (e *spdxEmitter) edge(from, to, meta string) error {
	if from == meta && e.res.Metadata != nil {
		if e.metaEdges == nil {
			e.metaEdges = edgeSet{}
		}
		e.metaEdges.add(&e.res.Metadata.DependsOn, from, to)
		return nil
	}
	if from != e.from {
		if err := e.flushLinks(); err != nil {
			return err
		}
		e.from = from
	}
	e.to.add(to)
	return nil
}

// emitSPDXJSON is pass 2 for SPDX JSON: the packages in document order
// (the described one as the metadata component), then the relationships
// between them as DependsOn edges, as fromSPDX converts them.
func emitSPDXJSON(p *Prepared, sink Sink) (*Streamed, error) {
	e := &spdxEmitter{p: p.spdx, name: p.name, batcher: batcher{sink: sink, res: &Streamed{Document: Document{Format: p.f.Name, SpecVersion: p.f.SpecVersion, Encoding: p.f.Encoding,
		Name: p.spdx.docName, SerialNumber: p.spdx.namespace, Created: p.spdx.created}}}}
	ra, size := p.ra, p.size
	dec := json.NewDecoder(io.NewSectionReader(ra, 0, size))
	fail := func(err error) error {
		if raised := raisedInDecoding(err); raised != nil {
			return raised
		}
		return jsonSyntaxErrorAt(ra, size, p.name, err, dec.InputOffset())
	}
	if _, err := dec.Token(); err != nil { // {
		return nil, fail(err)
	}
	relsAt := int64(-1)
	packagesDone := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fail(err)
		}
		switch k, _ := tok.(string); k {
		case "packages":
			if err := e.packages(dec); err != nil {
				return nil, fail(err)
			}
			if err := e.flush(); err != nil {
				return nil, err
			}
			packagesDone = true
		case "relationships":
			if !packagesDone {
				relsAt = dec.InputOffset() // after every package
				if err := skipJSONValue(dec); err != nil {
					return nil, fail(err)
				}
				continue
			}
			if err := e.relationships(dec); err != nil {
				return nil, fail(err)
			}
		default:
			if err := skipJSONValue(dec); err != nil {
				return nil, fail(err)
			}
		}
	}
	if err := e.flush(); err != nil {
		return nil, err
	}
	if relsAt >= 0 {
		if err := skipToValue(ra, size, &relsAt); err != nil {
			return nil, fail(err)
		}
		d := json.NewDecoder(io.NewSectionReader(ra, relsAt, size-relsAt))
		if err := e.relationships(d); err != nil {
			return nil, fail(err)
		}
	}
	return e.res, nil
}
