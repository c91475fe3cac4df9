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
		if err := c.AddResource(rid, doc); err != nil {
			return nil, fmt.Errorf("add embedded schema %s: %w", file, err)
		}
	}
	return c, nil
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
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		return invalid(name, "/"+strings.ReplaceAll(te.Field, ".", "/"), "got JSON %s, want %s", te.Value, te.Type)
	}
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return invalid(name, fmt.Sprintf("line %d", lineOf(data, int64(len(data)))), "truncated JSON: unexpected end of input")
	}
	return invalid(name, fmt.Sprintf("line %d", lineOf(data, off)), "malformed JSON: %v", err)
}

// validateStream validates a JSON SBOM without building its whole generic
// tree: it walks the top-level object with a streaming decoder, validates
// each item of the large arrays (see splitArrays) on its own as soon as it
// is decoded, on all cores, checks those arrays' uniqueness by content hash
// where the schema requires it, and validates the rest of the document with
// the arrays emptied. This is the same check as validating the whole
// document, at a fraction of the memory. The reported error is the
// top-level one if any, else the one for the lowest failing array index.
func validateStream(data []byte, key, name string) error {
	cs, err := compiledFor(key)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	syntax := func(err error) error { return jsonSyntaxError(data, name, err, dec.InputOffset()) }
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
		if sa, split := cs.split[k]; split && peekArray(data, dec.InputOffset()) {
			if _, err := dec.Token(); err != nil { // [
				stop()
				return syntax(err)
			}
			seen := map[[32]byte]int{}
			for i := 0; dec.More(); i++ {
				var v any
				if err := dec.Decode(&v); err != nil {
					stop()
					return syntax(err)
				}
				if sa.unique && dupErr == nil {
					canon = appendCanonical(canon[:0], v)
					h := sha256.Sum256(canon)
					if j, dup := seen[h]; dup {
						dupErr = invalid(name, "/"+k, "items at %d and %d are equal", j, i)
					}
					seen[h] = i
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
		shallow[k] = v
	}
	stop()
	if _, err := dec.Token(); err != nil { // }
		return syntax(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid(name, fmt.Sprintf("line %d", lineOf(data, dec.InputOffset())), "unexpected data after the top-level JSON value")
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

// peekArray reports whether the next non-space byte at off opens an array
// (skipping the ':' after a key).
func peekArray(data []byte, off int64) bool {
	for i := int(off); i < len(data); i++ {
		switch data[i] {
		case ' ', '\t', '\r', '\n', ':':
			continue
		case '[':
			return true
		}
		return false
	}
	return false
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
func deepestLeaf(e *jsonschema.ValidationError) *jsonschema.ValidationError {
	best := e
	var walk func(*jsonschema.ValidationError)
	walk = func(x *jsonschema.ValidationError) {
		if len(x.Causes) == 0 {
			if len(x.InstanceLocation) > len(best.InstanceLocation) || len(best.Causes) > 0 {
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
