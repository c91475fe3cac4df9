package sbom

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
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
	// items holds the item schemas of the large top-level arrays
	// (CycloneDX components and dependencies), for split validation.
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

// splitArrays are the CycloneDX top-level arrays whose items are validated
// separately (and in parallel) for large documents. In every CycloneDX
// 1.2–1.7 schema both are exactly {type: array, items: {$ref: X},
// uniqueItems: true}, so validating the document with the arrays emptied,
// each item against X, and the arrays' uniqueness, is the same check.
var splitArrays = map[string]string{
	"components":   "#/definitions/component",
	"dependencies": "#/definitions/dependency",
}

// schemaFor returns the compiled schema for format/version, e.g. "cyclonedx/1.6".
func schemaFor(key string) (*jsonschema.Schema, error) {
	cs, err := compiledFor(key)
	if err != nil {
		return nil, err
	}
	return cs.sch, nil
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
		if strings.HasPrefix(key, FormatCycloneDX+"/") {
			cs.items = map[string]*jsonschema.Schema{}
			for prop, ptr := range splitArrays {
				if cs.items[prop], cs.err = c.Compile(id + ptr); cs.err != nil {
					cs.err = fmt.Errorf("compile schema %s%s: %w", id, ptr, cs.err)
					return
				}
			}
			if cs.items["unique"], cs.err = c.Compile(uniqueItemsID); cs.err != nil {
				return
			}
		}
	})
	return cs, cs.err
}

const uniqueItemsID = "urn:rampart:unique-items.schema.json"

func compileSchema(id string) (*jsonschema.Schema, error) {
	c, err := newCompiler()
	if err != nil {
		return nil, err
	}
	sch, err := c.Compile(id)
	if err != nil {
		return nil, fmt.Errorf("compile schema %s: %w", id, err)
	}
	return sch, nil
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
	unique := map[string]any{"$schema": "http://json-schema.org/draft-07/schema#", "type": "array", "uniqueItems": true}
	if err := c.AddResource(uniqueItemsID, unique); err != nil {
		return nil, err
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

// parseJSON decodes data into the generic form the validator expects
// (numbers as json.Number). Syntax errors become ValidationErrors with a line.
func parseJSON(data []byte, name string) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonSyntaxError(data, name, err, dec.InputOffset())
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalid(name, fmt.Sprintf("line %d", lineOf(data, dec.InputOffset())), "unexpected data after the top-level JSON value")
	}
	return v, nil
}

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

// splitThreshold is the number of array items above which a CycloneDX
// document is validated piecewise and in parallel.
var splitThreshold = 2000

// validateJSON validates doc against the schema for key and turns the
// first, most specific violation into a ValidationError.
func validateJSON(key string, doc any, name string) error {
	cs, err := compiledFor(key)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if obj, ok := doc.(map[string]any); ok && cs.items != nil {
		n := 0
		for prop := range splitArrays {
			if arr, ok := obj[prop].([]any); ok {
				n += len(arr)
			}
		}
		if n > splitThreshold {
			return validateSplit(cs, obj, name)
		}
	}
	return schemaError(cs.sch.Validate(doc), doc, nil, name)
}

// validateSplit validates a large CycloneDX document: the document with its
// components and dependencies emptied, the uniqueness of those arrays, and
// their items in parallel (see splitArrays). The reported error is the one
// for the lowest failing index.
func validateSplit(cs *compiledSchema, obj map[string]any, name string) error {
	shallow := make(map[string]any, len(obj))
	for k, v := range obj {
		shallow[k] = v
	}
	type job struct {
		prop string
		arr  []any
	}
	var jobs []job
	for _, prop := range sortedKeys(splitArrays) {
		if arr, ok := obj[prop].([]any); ok {
			shallow[prop] = []any{}
			jobs = append(jobs, job{prop, arr})
		}
	}
	if err := schemaError(cs.sch.Validate(shallow), shallow, nil, name); err != nil {
		return err
	}
	for _, j := range jobs {
		if err := schemaError(cs.items["unique"].Validate(j.arr), j.arr, []string{j.prop}, name); err != nil {
			return err
		}
	}
	workers := runtime.GOMAXPROCS(0)
	for _, j := range jobs {
		item := cs.items[j.prop]
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				defer func() {
					if p := recover(); p != nil {
						errs[w] = invalid(name, "/"+j.prop, "validator failed (recovered panic: %v)", p)
					}
				}()
				for i := w; i < len(j.arr); i += workers {
					if errs[w] != nil {
						return // this worker already found its first error
					}
					if err := item.Validate(j.arr[i]); err != nil {
						errs[w] = schemaError(err, j.arr[i], []string{j.prop, strconv.Itoa(i)}, name)
					}
				}
			}(w)
		}
		wg.Wait()
		var first *ValidationError
		firstIdx := -1
		for _, err := range errs {
			ve, ok := err.(*ValidationError)
			if !ok {
				if err != nil {
					return err
				}
				continue
			}
			idx := indexInPath(ve.Path, j.prop)
			if first == nil || idx < firstIdx {
				first, firstIdx = ve, idx
			}
		}
		if first != nil {
			return first
		}
	}
	return nil
}

func indexInPath(path, prop string) int {
	rest := strings.TrimPrefix(path, "/"+prop+"/")
	n, _ := strconv.Atoi(strings.SplitN(rest, "/", 2)[0])
	return n
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
