package sbom

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// schemaFS holds the official schemas; see schemas/README.md for provenance.
//
//go:embed schemas/*.json
var schemaFS embed.FS

// schemaFiles maps a schema's $id to its embedded file.
var schemaFiles = map[string]string{
	"http://cyclonedx.org/schema/bom-1.2b.schema.json":          "bom-1.2.schema.json",
	"http://cyclonedx.org/schema/bom-1.3a.schema.json":          "bom-1.3.schema.json",
	"http://cyclonedx.org/schema/bom-1.4.schema.json":           "bom-1.4.schema.json",
	"http://cyclonedx.org/schema/bom-1.5.schema.json":           "bom-1.5.schema.json",
	"http://cyclonedx.org/schema/bom-1.6.schema.json":           "bom-1.6.schema.json",
	"http://cyclonedx.org/schema/bom-1.7.schema.json":           "bom-1.7.schema.json",
	"http://cyclonedx.org/schema/spdx.schema.json":              "spdx.schema.json",
	"http://cyclonedx.org/schema/jsf-0.82.schema.json":          "jsf-0.82.schema.json",
	"http://cyclonedx.org/schema/cryptography-defs.schema.json": "cryptography-defs.schema.json",
	"http://spdx.org/rdf/terms":                                 "spdx-2.2.schema.json",
	"http://spdx.org/rdf/terms/2.3":                             "spdx-2.3.schema.json",
}

// schemaIDs maps "format/version" to the $id of the document schema.
var schemaIDs = map[string]string{
	"cyclonedx/1.2": "http://cyclonedx.org/schema/bom-1.2b.schema.json",
	"cyclonedx/1.3": "http://cyclonedx.org/schema/bom-1.3a.schema.json",
	"cyclonedx/1.4": "http://cyclonedx.org/schema/bom-1.4.schema.json",
	"cyclonedx/1.5": "http://cyclonedx.org/schema/bom-1.5.schema.json",
	"cyclonedx/1.6": "http://cyclonedx.org/schema/bom-1.6.schema.json",
	"cyclonedx/1.7": "http://cyclonedx.org/schema/bom-1.7.schema.json",
	"spdx/2.2":      "http://spdx.org/rdf/terms",
	"spdx/2.3":      "http://spdx.org/rdf/terms/2.3",
}

// compiledSchema is compiled on first use: compiling the CycloneDX 1.6/1.7
// schemas takes tens of milliseconds, so it is done once per process and
// per schema, and only for schemas actually needed. The cache is immutable
// once filled, so sharing it between goroutines is safe.
type compiledSchema struct {
	once sync.Once
	sch  *jsonschema.Schema
	// split and items describe the large top-level arrays and hold their
	// compiled item schemas, for validateStream.
	split map[string]splitArray
	items map[string]*jsonschema.Schema
	err   error
}

var schemaCache = func() map[string]*compiledSchema {
	m := make(map[string]*compiledSchema, len(schemaIDs))
	for k := range schemaIDs {
		m[k] = &compiledSchema{}
	}
	return m
}()

// splitArray describes a top-level array whose items are validated one by
// one while streaming (see validateStream).
type splitArray struct {
	items  string // JSON pointer of the item schema within the document schema
	unique bool   // the array has uniqueItems: true
}

// splitArrays lists, per format, the large top-level arrays. In every
// CycloneDX 1.2–1.7 schema components and dependencies are exactly {type:
// array, items: {$ref: X}, uniqueItems: true}; in the SPDX 2.2 and 2.3
// schemas packages, files and relationships are exactly {type: array,
// items: X}. So validating the document with those arrays emptied, each
// item against X and, where required, the arrays' uniqueness, is the same
// check as validating the whole document (TestStreamValidationEquivalent
// verifies it on the corpus).
var splitArrays = map[string]map[string]splitArray{
	FormatCycloneDX: {
		"components":   {"#/definitions/component", true},
		"dependencies": {"#/definitions/dependency", true},
	},
	FormatSPDX: {
		"packages":      {"#/properties/packages/items", false},
		"files":         {"#/properties/files/items", false},
		"relationships": {"#/properties/relationships/items", false},
	},
}

func compiledFor(key string) (*compiledSchema, error) {
	cs, ok := schemaCache[key]
	if !ok {
		return nil, fmt.Errorf("no JSON schema for %s", key)
	}
	cs.once.Do(func() {
		var c *jsonschema.Compiler
		c, cs.err = newCompiler()
		if cs.err != nil {
			return
		}
		id := schemaIDs[key]
		if cs.sch, cs.err = c.Compile(id); cs.err != nil {
			cs.err = fmt.Errorf("compile schema %s: %w", id, cs.err)
			return
		}
		format, _, _ := strings.Cut(key, "/")
		cs.split = splitArrays[format]
		cs.items = map[string]*jsonschema.Schema{}
		for prop, sa := range cs.split {
			if cs.items[prop], cs.err = c.Compile(id + sa.items); cs.err != nil {
				cs.err = fmt.Errorf("compile schema %s%s: %w", id, sa.items, cs.err)
				return
			}
		}
	})
	return cs, cs.err
}

func newCompiler() (*jsonschema.Compiler, error) {
	c := jsonschema.NewCompiler()
	// Formats (date-time, uri, email, …) are assertions in draft-07 and are
	// part of what the CycloneDX test suite checks (e.g. invalid timestamps).
	c.AssertFormat()
	for rid, file := range schemaFiles {
		raw, err := schemaFS.ReadFile("schemas/" + file)
		if err != nil {
			return nil, fmt.Errorf("read embedded schema %s: %w", file, err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("parse embedded schema %s: %w", file, err)
		}
		stripPointerIDs(doc, true)
		amendSPDX23Purpose(doc, file)
		if err := c.AddResource(rid, doc); err != nil {
			return nil, fmt.Errorf("add embedded schema %s: %w", file, err)
		}
	}
	return c, nil
}

// amendSPDX23Purpose adds "OPERATING-SYSTEM" to the primaryPackagePurpose
// enum of the SPDX 2.3 schema. The specification (clause 7.24, Primary
// Package Purpose field) spells the value with a hyphen, the schema with
// an underscore only; Trivy writes the spec's spelling for every image's
// operating system, and SPDX's own tools-java schema accepts both since
// 2025 (as the upstream schema already does for referenceCategory
// PACKAGE-MANAGER / PACKAGE_MANAGER). The embedded file stays unmodified.
func amendSPDX23Purpose(doc any, file string) {
	if file != "spdx-2.3.schema.json" {
		return
	}
	p, _ := dig(doc, "properties", "packages", "items", "properties", "primaryPackagePurpose").(map[string]any)
	enum, _ := p["enum"].([]any)
	for _, v := range enum {
		if v == "OPERATING-SYSTEM" {
			return
		}
	}
	if enum != nil {
		p["enum"] = append(enum, "OPERATING-SYSTEM")
	}
}

// dig follows keys through nested JSON objects; nil when one is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// stripPointerIDs removes "$id": "#/properties/…" members. The CycloneDX
// 1.2 and 1.3 schemas use them as labels; they are not valid draft-07
// identifiers (a fragment-only $id must be a plain-name anchor) and
// strict compilers reject them. They carry no validation meaning.
func stripPointerIDs(v any, root bool) {
	switch t := v.(type) {
	case map[string]any:
		if id, ok := t["$id"].(string); ok && !root && strings.HasPrefix(id, "#/") {
			delete(t, "$id")
		}
		for _, e := range t {
			stripPointerIDs(e, false)
		}
	case []any:
		for _, e := range t {
			stripPointerIDs(e, false)
		}
	}
}

var schemaPrinter = message.NewPrinter(language.English)

func jsonSyntaxError(data []byte, name string, err error, off int64) error {
	return jsonSyntaxErrorAt(bytes.NewReader(data), int64(len(data)), name, err, off)
}

// jsonSyntaxErrorAt is jsonSyntaxError for a document read from ra (size
// bytes): the line is counted by reading ra up to the offset.
func jsonSyntaxErrorAt(ra io.ReaderAt, size int64, name string, err error, off int64) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		return invalid(name, "/"+strings.ReplaceAll(te.Field, ".", "/"), "got JSON %s, want %s", te.Value, te.Type)
	}
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return invalid(name, fmt.Sprintf("line %d", lineAt(ra, size, size)), "truncated JSON: unexpected end of input")
	}
	return invalid(name, fmt.Sprintf("line %d", lineAt(ra, size, off)), "malformed JSON: %v", err)
}

// lineAt returns the 1-based line of byte offset off in the size bytes of ra.
func lineAt(ra io.ReaderAt, size, off int64) int {
	off = max(0, min(off, size))
	buf := make([]byte, 64<<10)
	line := 1
	for pos := int64(0); pos < off; {
		n, err := ra.ReadAt(buf[:min(int64(len(buf)), off-pos)], pos)
		line += bytes.Count(buf[:n], []byte{'\n'})
		pos += int64(n)
		if err != nil || n == 0 {
			break
		}
	}
	return line
}

// validateStream is validateReader over a document in memory.
func validateStream(data []byte, key, name string) error {
	return validateReader(bytes.NewReader(data), int64(len(data)), key, name, nil)
}

// streamHooks let a caller of validateReader look at the document while it
// is validated, so a streaming import collects what it needs (bom-refs,
// dependency refs) in the same pass. Each hook runs in the decoding
// goroutine, in document order; v must not be modified.
type streamHooks struct {
	// item sees each item of a split array, with the byte offset of the
	// array's '[' (see decodeItemAt).
	item func(prop string, idx int, arrayAt int64, v any)
	// value sees each other top-level value.
	value func(key string, v any)
	// skipUnique reports whether an item of a uniqueItems array need not
	// be hashed because its uniqueness follows from another check (a
	// CycloneDX component with a bom-ref: bom-refs are unique, so two
	// equal components are rejected as a duplicate bom-ref). It keeps the
	// uniqueness index of a million-component document small.
	skipUnique func(prop string, v any) bool
}

// validateReader validates a JSON SBOM without building its whole generic
// tree: it walks the top-level object with a streaming decoder, validates
// each item of the large arrays (see splitArrays) on its own as soon as it
// is decoded, on all cores, checks those arrays' uniqueness by content hash
// where the schema requires it, and validates the rest of the document with
// the arrays emptied. This is the same check as validating the whole
// document, at a fraction of the memory. The reported error is the
// top-level one if any, else the one for the lowest failing array index.
func validateReader(ra io.ReaderAt, size int64, key, name string, hooks *streamHooks) error {
	cs, err := compiledFor(key)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if hooks == nil {
		hooks = &streamHooks{}
	}
	dec := json.NewDecoder(io.NewSectionReader(ra, 0, size))
	dec.UseNumber()
	syntax := func(err error) error { return jsonSyntaxErrorAt(ra, size, name, err, dec.InputOffset()) }
	tok, err := dec.Token()
	if err != nil {
		return syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return invalid(name, "", "top-level JSON value is not an object")
	}

	type item struct {
		prop string
		idx  int
		v    any
	}
	workers := runtime.GOMAXPROCS(0)
	items := make(chan item, 4*workers)
	var mu sync.Mutex
	var firstErr *ValidationError
	firstProp, firstIdx := "", -1
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range items {
				verr := func() (verr error) {
					defer func() {
						if p := recover(); p != nil {
							verr = invalid(name, "/"+it.prop, "validator failed (recovered panic: %v)", p)
						}
					}()
					return schemaError(cs.items[it.prop].Validate(it.v), it.v, []string{it.prop, strconv.Itoa(it.idx)}, name)
				}()
				if verr == nil {
					continue
				}
				ve, ok := verr.(*ValidationError)
				if !ok {
					ve = invalid(name, "/"+it.prop, "%v", verr)
				}
				mu.Lock()
				if firstErr == nil || it.prop < firstProp || it.prop == firstProp && it.idx < firstIdx {
					firstErr, firstProp, firstIdx = ve, it.prop, it.idx
				}
				mu.Unlock()
			}
		}()
	}
	var stopOnce sync.Once
	stop := func() { stopOnce.Do(func() { close(items); wg.Wait() }) }
	defer stop() // also on a panic, so no worker is left blocked

	shallow := map[string]any{}
	var dupErr *ValidationError
	var canon []byte
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			stop()
			return syntax(err)
		}
		k, _ := tok.(string)
		if sa, split := cs.split[k]; split && peekArrayAt(ra, dec.InputOffset()) {
			if _, err := dec.Token(); err != nil { // [
				stop()
				return syntax(err)
			}
			// The uniqueness index holds 8 bytes of each item's SHA-256
			// and its index (~16 bytes an item); a hit is confirmed by
			// reading the earlier item again from the document, so a hash
			// collision never rejects.
			seen := map[uint64]int32{}
			arrayAt := dec.InputOffset() - 1 // the '['
			for i := 0; dec.More(); i++ {
				var v any
				if err := dec.Decode(&v); err != nil {
					stop()
					return syntax(err)
				}
				if hooks.item != nil {
					hooks.item(k, i, arrayAt, v)
				}
				if sa.unique && dupErr == nil && (hooks.skipUnique == nil || !hooks.skipUnique(k, v)) {
					canon = appendCanonical(canon[:0], v)
					sum := sha256.Sum256(canon)
					h := binary.LittleEndian.Uint64(sum[:8])
					if prev, hit := seen[h]; hit {
						if equalItemAt(ra, size, arrayAt, int(prev), canon) {
							dupErr = invalid(name, "/"+k, "items at %d and %d are equal", prev, i)
						}
					} else {
						seen[h] = int32(i)
					}
				}
				items <- item{k, i, v}
			}
			if _, err := dec.Token(); err != nil { // ]
				stop()
				return syntax(err)
			}
			shallow[k] = []any{}
			continue
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			stop()
			return syntax(err)
		}
		if hooks.value != nil {
			hooks.value(k, v)
		}
		shallow[k] = v
	}
	stop()
	if _, err := dec.Token(); err != nil { // }
		return syntax(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid(name, fmt.Sprintf("line %d", lineAt(ra, size, dec.InputOffset())), "unexpected data after the top-level JSON value")
	}
	if err := schemaError(cs.sch.Validate(shallow), shallow, nil, name); err != nil {
		return err
	}
	if dupErr != nil {
		return dupErr
	}
	if firstErr != nil {
		return firstErr
	}
	return nil
}

// peekArrayAt reports whether the next non-space byte at off opens an
// array (skipping the ':' after a key).
func peekArrayAt(ra io.ReaderAt, off int64) bool {
	buf := make([]byte, 256)
	for {
		n, err := ra.ReadAt(buf, off)
		for _, c := range buf[:n] {
			switch c {
			case ' ', '\t', '\r', '\n', ':':
				continue
			case '[':
				return true
			}
			return false
		}
		if err != nil || n == 0 {
			return false
		}
		off += int64(n)
	}
}

// decodeItemAt decodes item n of the JSON array whose '[' is at offset
// arrayAt in the size bytes of ra (reading the items before it again).
func decodeItemAt(ra io.ReaderAt, size, arrayAt int64, n int, v any) error {
	dec := json.NewDecoder(io.NewSectionReader(ra, arrayAt, size-arrayAt))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return fmt.Errorf("no array at offset %d", arrayAt)
	}
	for i := 0; i < n; i++ {
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return dec.Decode(v)
}

// equalItemAt reports whether item n of the array at arrayAt has the
// canonical encoding canon.
func equalItemAt(ra io.ReaderAt, size, arrayAt int64, n int, canon []byte) bool {
	var v any
	if err := decodeItemAt(ra, size, arrayAt, n, &v); err != nil {
		return false
	}
	return bytes.Equal(appendCanonical(nil, v), canon)
}

// schemaError converts a validator error for the value v, found at the
// JSON location prefix of the document, into a ValidationError.
func schemaError(err error, v any, prefix []string, name string) error {
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("%s: validate: %w", name, err)
	}
	leaf := deepestLeaf(ve)
	loc := leaf.InstanceLocation
	path := "/" + strings.Join(escapeTokens(append(append([]string{}, prefix...), loc...)), "/")
	msg := leaf.ErrorKind.LocalizedString(schemaPrinter)
	if got, ok := scalarAt(v, loc); ok {
		msg += fmt.Sprintf(" (got %s)", got)
	}
	if n := countLeaves(ve); n > 1 {
		msg = fmt.Sprintf("%s (and %d more schema violations)", msg, n-1)
	}
	return &ValidationError{File: name, Path: path, Message: msg}
}

// deepestLeaf picks the violation deepest in the instance: with oneOf/anyOf
// the schema reports every branch, and the deepest one names the field.
// The validator lists an object's properties in map order, so ties go to
// the smallest location and then message: the same document always gets
// the same error.
func deepestLeaf(e *jsonschema.ValidationError) *jsonschema.ValidationError {
	best := e
	var walk func(*jsonschema.ValidationError)
	walk = func(x *jsonschema.ValidationError) {
		if len(x.Causes) == 0 {
			if len(best.Causes) > 0 || len(x.InstanceLocation) > len(best.InstanceLocation) ||
				len(x.InstanceLocation) == len(best.InstanceLocation) && leafBefore(x, best) {
				best = x
			}
			return
		}
		for _, c := range x.Causes {
			walk(c)
		}
	}
	walk(e)
	return best
}

// leafBefore orders violations at the same depth by location, then message.
func leafBefore(a, b *jsonschema.ValidationError) bool {
	if c := slices.Compare(a.InstanceLocation, b.InstanceLocation); c != 0 {
		return c < 0
	}
	return a.ErrorKind.LocalizedString(schemaPrinter) < b.ErrorKind.LocalizedString(schemaPrinter)
}

func countLeaves(e *jsonschema.ValidationError) int {
	if len(e.Causes) == 0 {
		return 1
	}
	n := 0
	for _, c := range e.Causes {
		n += countLeaves(c)
	}
	return n
}

func escapeTokens(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
	}
	return out
}

// scalarAt renders the string, number or boolean at a JSON location, to show
// the offending value in messages; long values are shortened.
func scalarAt(doc any, at []string) (string, bool) {
	v := doc
	for _, tok := range at {
		switch t := v.(type) {
		case map[string]any:
			v = t[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(t) {
				return "", false
			}
			v = t[i]
		default:
			return "", false
		}
	}
	var s string
	switch t := v.(type) {
	case string:
		if len(t) > 80 {
			t = t[:77] + "..."
		}
		s = strconv.Quote(t)
	case json.Number:
		s = t.String()
	case bool:
		s = strconv.FormatBool(t)
	default:
		return "", false
	}
	return s, true
}

// appendCanonical appends a canonical encoding of a generic JSON value to
// buf (object keys sorted, every value tagged and length-prefixed), so equal
// values, in the sense of JSON Schema's uniqueItems, encode equally.
func appendCanonical(buf []byte, v any) []byte {
	str := func(buf []byte, tag byte, s string) []byte {
		buf = append(buf, tag)
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		return append(buf, s...)
	}
	switch t := v.(type) {
	case nil:
		return append(buf, 'n')
	case bool:
		if t {
			return append(buf, 't')
		}
		return append(buf, 'f')
	case string:
		return str(buf, 's', t)
	case json.Number:
		// Numerically equal numbers are equal (1 and 1.0): normalise.
		if f, err := t.Float64(); err == nil {
			return str(buf, 'd', strconv.FormatFloat(f, 'g', -1, 64))
		}
		return str(buf, 'd', t.String())
	case []any:
		buf = append(buf, '[')
		buf = binary.AppendUvarint(buf, uint64(len(t)))
		for _, e := range t {
			buf = appendCanonical(buf, e)
		}
		return buf
	case map[string]any:
		buf = append(buf, '{')
		buf = binary.AppendUvarint(buf, uint64(len(t)))
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			buf = str(buf, 'k', k)
			buf = appendCanonical(buf, t[k])
		}
		return buf
	}
	return str(buf, '?', fmt.Sprint(v))
}
