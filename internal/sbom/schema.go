package sbom

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	err  error
}

var schemaCache = func() map[string]*compiledSchema {
	m := make(map[string]*compiledSchema, len(schemaIDs))
	for k := range schemaIDs {
		m[k] = &compiledSchema{}
	}
	return m
}()

// schemaFor returns the compiled schema for format/version, e.g. "cyclonedx/1.6".
func schemaFor(key string) (*jsonschema.Schema, error) {
	cs, ok := schemaCache[key]
	if !ok {
		return nil, fmt.Errorf("no JSON schema for %s", key)
	}
	cs.once.Do(func() { cs.sch, cs.err = compileSchema(schemaIDs[key]) })
	return cs.sch, cs.err
}

func compileSchema(id string) (*jsonschema.Schema, error) {
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
	sch, err := c.Compile(id)
	if err != nil {
		return nil, fmt.Errorf("compile schema %s: %w", id, err)
	}
	return sch, nil
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

// validateJSON validates doc against the schema for key and turns the
// first, most specific violation into a ValidationError.
func validateJSON(key string, doc any, name string) error {
	sch, err := schemaFor(key)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	err = sch.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("%s: validate: %w", name, err)
	}
	leaf := deepestLeaf(ve)
	path := "/" + strings.Join(escapeTokens(leaf.InstanceLocation), "/")
	msg := leaf.ErrorKind.LocalizedString(schemaPrinter)
	if got, ok := scalarAt(doc, leaf.InstanceLocation); ok {
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
