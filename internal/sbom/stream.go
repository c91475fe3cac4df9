package sbom

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/rampart-security/rampart/internal/inventory"
)

// StreamThreshold is the size above which an import streams the document
// (DecodeStream) instead of decoding it whole (Decode).
//
// Why two paths: Decode holds the document's bytes, the typed model and the
// canonical components at once, about 10× the file size at the peak; that is
// fine for the SBOMs of real products (a 10,000-component SBOM is ~5 MB) and
// it is the path the conformance suite pins down. Above the threshold
// DecodeStream validates the skeleton (everything but the large arrays)
// against the official schema and every component and dependency on its
// own against the schema's item definition (the same check, see
// splitArrays), then decodes one component object at a time into
// cyclonedx-go's cdx.Component and hands the converted components to the
// caller in batches: memory is bounded by the batch and a small per-ref
// index, not by the file (TestDecodeStreamEquivalent checks that both paths
// accept, reject and convert the corpus alike).
const StreamThreshold int64 = 32 << 20

// streamBatch is how many components DecodeStream hands over at a time.
const streamBatch = 500

// Sink receives the components of a streamed document: an
// inventory.ComponentSink, which the store's import transaction implements.
type Sink = inventory.ComponentSink

// Streamed describes a document DecodeStream has decoded.
type Streamed struct {
	// Document holds everything but Components (nil): format, name,
	// serial number, creation time and the metadata component.
	Document
	// Components is how many components were passed to the sink.
	Components int
}

// DecodeStream reads one SBOM of size bytes from ra (a spooled upload or an
// open file), validates it and passes its components to sink in batches:
// Prepare followed by Emit. name names the input in errors, which are those
// of Decode.
func DecodeStream(ra io.ReaderAt, size int64, name string, sink Sink) (*Streamed, error) {
	p, err := Prepare(ra, size, name)
	if err != nil {
		return nil, err
	}
	return p.Emit(sink)
}

// Prepared is a document that Prepare has validated and Emit can hand over.
type Prepared struct {
	ra    io.ReaderAt
	size  int64
	name  string
	f     Format
	refs  *refSet        // CycloneDX JSON: the bom-refs, for pass 2
	xml   *xmlPrepared   // CycloneDX XML
	spdx  *spdxPrepared  // SPDX JSON
	spdx3 *spdx3Prepared // SPDX 3 JSON-LD
	tv    *tvPrepared    // SPDX tag-value
	doc   *Document      // SPDX tag-value: the whole decoded document
}

// Prepare is the first pass of DecodeStream: it identifies and validates
// the document without handing anything over, so an import can run it
// before it opens its transaction (a write lock is not held while a large
// document is validated). ra must not change before Emit.
//
// CycloneDX JSON and XML and SPDX JSON are streamed (stream_xml.go,
// stream_spdx.go). SPDX tag-value is decoded whole here (its parser,
// tools-golang's, reads the whole document), so its memory still follows
// the file size; so does a JSON document whose version is not in its
// first 64 KiB.
func Prepare(ra io.ReaderAt, size int64, name string) (p *Prepared, err error) {
	if name == "" {
		name = "<input>"
	}
	defer func() {
		if r := recover(); r != nil {
			p = nil
			err = &ValidationError{File: name, Message: fmt.Sprintf("decoder failed on malformed input (recovered panic: %v)", r)}
		}
	}()
	head := make([]byte, min(size, 64<<10))
	if _, err := ra.ReadAt(head, 0); err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s: read SBOM: %w", name, err)
	}
	f, ferr := Detect(head)
	bom := int64(0)
	if strings.HasPrefix(string(head), "\xef\xbb\xbf") {
		bom = 3
	}
	sr := io.NewSectionReader(ra, bom, size-bom)
	q := &Prepared{ra: sr, size: size - bom, name: name, f: f}
	streamed := true // by one of the streaming preparers
	switch {
	case ferr == nil && f.Name == FormatCycloneDX && f.Encoding == EncodingJSON && cycloneDXVersions[f.SpecVersion]:
		q.refs, err = validateCycloneDXStream(sr, q.size, name, f)
	case ferr == nil && f.Name == FormatCycloneDX && f.Encoding == EncodingXML && cycloneDXXMLVersions[f.SpecVersion]:
		q.xml, err = prepareCycloneDXXML(sr, q.size, name, f)
	case ferr == nil && f.Name == FormatSPDX && f.Encoding == EncodingJSON && spdxVersions[f.SpecVersion]:
		q.spdx, err = prepareSPDXJSON(sr, q.size, name, f)
	case ferr == nil && f.Name == FormatSPDX && f.Encoding == EncodingJSONLD && spdx3Versions[f.SpecVersion]:
		q.spdx3, err = prepareSPDX3(sr, q.size, name)
	case ferr == nil && f.Name == FormatSPDX && f.Encoding == EncodingTagValue && spdxTagValueVersions[f.SpecVersion]:
		q.tv, err = prepareSPDXTagValue(sr, q.size, name, f)
		streamed = !errors.Is(err, errTVWhole) // else decoded whole below
	default:
		streamed = false
	}
	if streamed {
		if err != nil {
			return nil, err
		}
		return q, nil
	}
	data, err := io.ReadAll(io.NewSectionReader(ra, 0, size))
	if err != nil {
		return nil, fmt.Errorf("%s: read SBOM: %w", name, err)
	}
	doc, err := decodeBytes(data, name)
	if err != nil {
		return nil, err
	}
	return &Prepared{name: name, doc: doc}, nil
}

// Emit is the second pass of DecodeStream: it decodes the prepared document
// one component at a time and hands the components to sink in batches.
// Errors are the sink's, or (CycloneDX documents that cyclonedx-go cannot
// model) ValidationErrors; on an error the sink may already have received
// components: run it inside the transaction that the error rolls back.
// Emit may be called again (a retried transaction).
func (p *Prepared) Emit(sink Sink) (res *Streamed, err error) {
	defer func() {
		if r := recover(); r != nil {
			res = nil
			err = &ValidationError{File: p.name, Message: fmt.Sprintf("decoder failed on malformed input (recovered panic: %v)", r)}
		}
	}()
	if p.doc != nil {
		comps := p.doc.Components
		for start := 0; start < len(comps); start += streamBatch {
			if err := sink.Add(comps[start:min(start+streamBatch, len(comps))]); err != nil {
				return nil, err
			}
		}
		out := &Streamed{Document: *p.doc, Components: len(comps)}
		out.Document.Components = nil
		return out, nil
	}
	if p.tv != nil {
		return emitSPDXTagValue(p, sink)
	}
	if p.xml != nil {
		return emitCycloneDXXML(p, sink)
	}
	if p.spdx != nil {
		return emitSPDXJSON(p, sink)
	}
	if p.spdx3 != nil {
		return emitSPDX3(p, sink)
	}
	e := &cdxEmitter{name: p.name, refs: p.refs, auto: map[uint64]struct{}{}, batcher: batcher{sink: sink, res: &Streamed{Document: Document{Format: p.f.Name, SpecVersion: p.f.SpecVersion, Encoding: p.f.Encoding}}}}
	if err := e.run(p.ra, p.size); err != nil {
		return nil, err
	}
	return e.res, nil
}

// Format is the prepared document's format.
func (p *Prepared) Format() Format {
	if p.doc != nil {
		return Format{Name: p.doc.Format, SpecVersion: p.doc.SpecVersion, Encoding: p.doc.Encoding}
	}
	return p.f
}

// refSet is a set of bom-refs kept as 64-bit hashes (16 bytes a ref instead
// of the string): a million refs cost ~20 MB. A hit is only a candidate:
// duplicates are confirmed on the text (see cdxRefs.confirm); a false hit
// when resolving a dependency edge keeps an edge to a ref the document
// does not define, with a probability of about n/2^64.
type refSet struct {
	seed maphash.Seed
	m    map[uint64]int32 // hash → top-level component index (-1: metadata)
}

func newRefSet() *refSet { return &refSet{seed: maphash.MakeSeed(), m: map[uint64]int32{}} }

func (s *refSet) key(ref string) uint64 { return maphash.String(s.seed, ref) }

func (s *refSet) has(ref string) bool { _, ok := s.m[s.key(ref)]; return ok }

// described is the SPDX document's described package, which becomes the
// metadata component: the one ref of describes (the DESCRIBES targets)
// that is a package of the set, or "" when none or several are.
func (s *refSet) described(describes []string) string {
	var out []string
	for _, r := range describes {
		if s.has(r) {
			out = append(out, r)
		}
	}
	if len(out) == 1 {
		return out[0]
	}
	return ""
}

// cdxRefs collects, while the document is validated, what checkCycloneDX
// checks and what the import needs: bom-refs (unique, indexed) and
// non-empty dependency refs.
type cdxRefs struct {
	ra       io.ReaderAt
	size     int64
	name     string
	refs     *refSet
	compsAt  int64 // offset of the components array's '['
	metadata any   // the metadata component, generic
	err      error // the first rule broken
}

func (c *cdxRefs) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// walk visits a generic component and its nested components in the order
// checkCycloneDX does.
func walkRefs(v any, path string, visit func(ref, path string) bool) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return true
	}
	if ref, ok := m["bom-ref"].(string); ok && ref != "" {
		if !visit(ref, path) {
			return false
		}
	}
	if nested, ok := m["components"].([]any); ok {
		for i, n := range nested {
			if !walkRefs(n, path+"/components/"+strconv.Itoa(i), visit) {
				return false
			}
		}
	}
	return true
}

func (c *cdxRefs) add(v any, top int32, path string) {
	walkRefs(v, path, func(ref, at string) bool {
		k := c.refs.key(ref)
		if prev, hit := c.refs.m[k]; hit {
			if where, dup := c.confirm(prev, ref); dup {
				c.fail(invalid(c.name, at+"/bom-ref", "bom-ref %q is not unique (also at %s)", ref, where))
			}
			return true
		}
		c.refs.m[k] = top
		return true
	})
}

// confirm looks for ref in the component (top-level index prev, or the
// metadata component) that holds a ref with the same hash, reading it
// again from the document, and returns where it is.
func (c *cdxRefs) confirm(prev int32, ref string) (string, bool) {
	var v any
	path := "/metadata/component"
	if prev >= 0 {
		path = "/components/" + strconv.Itoa(int(prev))
		if err := decodeItemAt(c.ra, c.size, c.compsAt, int(prev), &v); err != nil {
			return "", false
		}
	} else {
		v = c.metadata
	}
	where := ""
	walkRefs(v, path, func(r, at string) bool {
		if r == ref {
			where = at
			return false
		}
		return true
	})
	return where, where != ""
}

func (c *cdxRefs) hooks() *streamHooks {
	return &streamHooks{
		value: func(key string, v any) {
			if key != "metadata" {
				return
			}
			if m, ok := v.(map[string]any); ok && m["component"] != nil {
				c.metadata = m["component"]
				c.add(c.metadata, -1, "/metadata/component")
			}
		},
		item: func(prop string, idx int, arrayAt int64, v any) {
			switch prop {
			case "components":
				if idx == 0 {
					c.compsAt = arrayAt
				}
				c.add(v, int32(idx), "/components/"+strconv.Itoa(idx))
			case "dependencies":
				d, _ := v.(map[string]any)
				at := "/dependencies/" + strconv.Itoa(idx)
				if r, ok := d["ref"].(string); ok && strings.TrimSpace(r) == "" {
					c.fail(invalid(c.name, at+"/ref", "dependency ref must not be empty"))
				}
				if list, ok := d["dependsOn"].([]any); ok {
					for j, e := range list {
						if r, ok := e.(string); ok && strings.TrimSpace(r) == "" {
							c.fail(invalid(c.name, at+"/dependsOn/"+strconv.Itoa(j), "dependsOn ref must not be empty"))
						}
					}
				}
			}
		},
		skipUnique: func(prop string, v any) bool {
			if prop != "components" {
				return false
			}
			m, _ := v.(map[string]any)
			ref, ok := m["bom-ref"].(string)
			return ok && ref != ""
		},
	}
}

// validateCycloneDXStream is pass 1 for CycloneDX JSON: schema validation
// of the skeleton and of each component and dependency, plus the rules
// checkCycloneDX adds; it returns the document's bom-refs.
func validateCycloneDXStream(ra io.ReaderAt, size int64, name string, f Format) (*refSet, error) {
	col := &cdxRefs{ra: ra, size: size, name: name, refs: newRefSet()}
	if err := validateReader(ra, size, FormatCycloneDX+"/"+f.SpecVersion, name, col.hooks()); err != nil {
		return nil, err
	}
	if col.err != nil {
		return nil, col.err
	}
	return col.refs, nil
}

// cdxEmitter is pass 2: components one at a time into cdx.Component,
// converted, numbered and handed over in batches; then the dependency
// edges.
type cdxEmitter struct {
	batcher
	name string
	refs *refSet
	auto map[uint64]struct{} // the refs given to components without one
	n    int
	meta string // the metadata component's ref
	// metaEdges are the metadata component's edges added so far.
	metaEdges edgeSet
}

// has reports whether ref is a component's (given or generated) ref.
func (e *cdxEmitter) has(ref string) bool {
	if e.refs.has(ref) {
		return true
	}
	_, ok := e.auto[e.refs.key(ref)]
	return ok
}

func (e *cdxEmitter) autoRef() string {
	for {
		e.n++
		r := "rampart-auto-" + strconv.Itoa(e.n)
		if !e.has(r) {
			e.auto[e.refs.key(r)] = struct{}{}
			return r
		}
	}
}

func (e *cdxEmitter) emit(c *cdx.Component) error {
	comp := cdxToComponent(c)
	if comp.Ref == "" {
		comp.Ref = e.autoRef()
	}
	if err := e.add(comp); err != nil {
		return err
	}
	if c.Components != nil {
		for i := range *c.Components {
			if err := e.emit(&(*c.Components)[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// batcher hands components to sink in batches of streamBatch, counting
// them in res.
type batcher struct {
	sink  Sink
	res   *Streamed
	batch []inventory.Component
}

// add queues c and hands the batch over when it is full.
func (b *batcher) add(c inventory.Component) error {
	b.batch = append(b.batch, c)
	if len(b.batch) >= streamBatch {
		return b.flush()
	}
	return nil
}

// flush hands over what is queued.
func (b *batcher) flush() error {
	if len(b.batch) == 0 {
		return nil
	}
	b.res.Components += len(b.batch)
	err := b.sink.Add(b.batch)
	b.batch = b.batch[:0]
	return err
}

// decodeComponent decodes one component as unmarshalBOM does: with
// cyclonedx-go, falling back to the fields import uses.
func decodeComponent(raw []byte) (cdx.Component, error) {
	var c cdx.Component
	if err := json.Unmarshal(raw, &c); err != nil {
		var lean leanComponent
		if lerr := json.Unmarshal(raw, &lean); lerr != nil {
			return c, err
		}
		c = lean.toComponent()
	}
	return c, nil
}

func (e *cdxEmitter) run(ra io.ReaderAt, size int64) error {
	dec := json.NewDecoder(io.NewSectionReader(ra, 0, size))
	fail := func(err error) error {
		var se sinkError
		if errors.As(err, &se) {
			return se.error
		}
		return jsonSyntaxErrorAt(ra, size, e.name, err, dec.InputOffset())
	}
	if _, err := dec.Token(); err != nil { // {
		return fail(err)
	}
	depsAt := int64(-1)
	componentsDone := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		switch k, _ := tok.(string); k {
		case "serialNumber":
			if err := dec.Decode(&e.res.SerialNumber); err != nil {
				return fail(err)
			}
		case "metadata":
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fail(err)
			}
			if err := e.metadata(raw); err != nil {
				return err
			}
		case "components":
			if _, err := dec.Token(); err != nil { // [ (the schema says an array)
				return fail(err)
			}
			for i := 0; dec.More(); i++ {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return fail(err)
				}
				c, err := decodeComponent(raw)
				if err != nil {
					return jsonFieldError(e.name, "/components/"+strconv.Itoa(i), err)
				}
				if err := e.emit(&c); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ]
				return fail(err)
			}
			componentsDone = true
		case "dependencies":
			if !componentsDone {
				depsAt = dec.InputOffset() // after every component
				if err := skipJSONValue(dec); err != nil {
					return fail(err)
				}
				continue
			}
			if err := e.flush(); err != nil {
				return err
			}
			if err := e.dependencies(dec); err != nil {
				return fail(err)
			}
		default:
			if err := skipJSONValue(dec); err != nil {
				return fail(err)
			}
		}
	}
	if err := e.flush(); err != nil {
		return err
	}
	if depsAt >= 0 {
		// Skip the ':' and white space the section starts with.
		if err := skipToValue(ra, size, &depsAt); err != nil {
			return fail(err)
		}
		d := json.NewDecoder(io.NewSectionReader(ra, depsAt, size-depsAt))
		if err := e.dependencies(d); err != nil {
			return fail(err)
		}
	}
	return nil
}

// skipToValue advances off past white space and a ':'.
func skipToValue(ra io.ReaderAt, size int64, off *int64) error {
	b := make([]byte, 1)
	for *off < size {
		if _, err := ra.ReadAt(b, *off); err != nil {
			return err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n', ':':
			*off++
			continue
		}
		return nil
	}
	return io.ErrUnexpectedEOF
}

// sinkError carries an error of the sink through the decoding code, so it
// is not taken for a syntax error.
type sinkError struct{ error }

func (e sinkError) Unwrap() error { return e.error }

// raisedInDecoding returns the error that the sink (a sinkError's) or a
// check (a *ValidationError) raised from inside a decoder, which is
// returned as it is; nil when err is the decoder's own.
func raisedInDecoding(err error) error {
	var se sinkError
	if errors.As(err, &se) {
		return se.error
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve
	}
	return nil
}

func jsonFieldError(name, at string, err error) error {
	return invalid(name, at, "does not match the CycloneDX model: %v", err)
}

func (e *cdxEmitter) metadata(raw []byte) error {
	var md struct {
		Timestamp string          `json:"timestamp"`
		Component json.RawMessage `json:"component"`
	}
	if err := json.Unmarshal(raw, &md); err != nil {
		return jsonFieldError(e.name, "/metadata", err)
	}
	if t, err := time.Parse(time.RFC3339, md.Timestamp); err == nil {
		e.res.Created = t.UTC()
	}
	if len(md.Component) == 0 || string(md.Component) == "null" {
		return nil
	}
	mc, err := decodeComponent(md.Component)
	if err != nil {
		return jsonFieldError(e.name, "/metadata/component", err)
	}
	return e.metaComponent(&mc)
}

// metaComponent takes the metadata component and emits its nested
// components, as fromBOM does.
func (e *cdxEmitter) metaComponent(mc *cdx.Component) error {
	m := cdxToComponent(mc)
	if m.Ref == "" {
		m.Ref = e.autoRef()
	}
	e.meta = m.Ref
	e.res.Metadata = &m
	e.res.Name = mc.Name
	if mc.Components != nil {
		for i := range *mc.Components {
			if err := e.emit(&(*mc.Components)[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// dependencies reads the dependencies array at dec and links the edges
// between known components, as fromBOM does.
func (e *cdxEmitter) dependencies(dec *json.Decoder) error {
	if _, err := dec.Token(); err != nil { // [
		return err
	}
	for dec.More() {
		var d cdx.Dependency
		if err := dec.Decode(&d); err != nil {
			return err
		}
		if err := e.dependency(&d); err != nil {
			return err
		}
	}
	_, err := dec.Token() // ]
	return err
}

// dependency links the edges of one dependency entry between known
// components, as fromBOM does.
func (e *cdxEmitter) dependency(d *cdx.Dependency) error {
	if d.Dependencies == nil || !e.has(d.Ref) {
		return nil // edges of services or unknown refs are not component edges
	}
	var to uniqueList
	for _, r := range *d.Dependencies {
		if e.has(r) {
			to.add(r)
		}
	}
	if len(to.list) == 0 {
		return nil
	}
	if d.Ref == e.meta && e.res.Metadata != nil {
		if e.metaEdges == nil {
			e.metaEdges = edgeSet{}
		}
		for _, r := range to.list {
			e.metaEdges.add(&e.res.Metadata.DependsOn, d.Ref, r)
		}
		return nil
	}
	if err := e.sink.Link(d.Ref, to.list); err != nil {
		return sinkError{err}
	}
	return nil
}
