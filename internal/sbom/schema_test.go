package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/sbom/sbomgen"
)

// TestStreamValidationEquivalent checks that streaming, per-item validation
// accepts and rejects exactly what whole-document
// validation does, on every CycloneDX and SPDX JSON file of the corpus.
func TestStreamValidationEquivalent(t *testing.T) {
	root := corpustest.Dir(t, "sbom")
	n := 0
	for _, file := range corpustest.Files(t, root, func(rel string) bool {
		return strings.HasSuffix(rel, ".json") && !strings.Contains("/"+rel, "/schema")
	}) {
		data, err := os.ReadFile(file.Path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Detect(data)
		if err != nil || f.Encoding != EncodingJSON {
			continue
		}
		key := f.Name + "/" + f.SpecVersion
		base := filepath.Base(file.Path)
		v, err := parseJSON(data, base)
		if err != nil {
			continue
		}
		cs, err := compiledFor(key)
		if err != nil {
			t.Fatal(err)
		}
		whole := schemaError(cs.sch.Validate(v), v, nil, base)
		split := validateStream(data, key, base)
		if (whole == nil) != (split == nil) {
			t.Errorf("%s: whole-document validation says %v, streaming validation says %v", file.Path, whole, split)
		}
		n++
	}
	t.Logf("%d CycloneDX and SPDX JSON files validated both ways", n)
}

func TestStreamValidationReportsFirstError(t *testing.T) {
	var buf bytes.Buffer
	if err := sbomgen.Write(&buf, 3000); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	comps := doc["components"].([]any)
	comps[2500].(map[string]any)["hashes"].([]any)[0].(map[string]any)["alg"] = "SHA-257"
	comps[2700].(map[string]any)["type"] = "gadget"
	bad, _ := json.Marshal(doc)
	_, err := Decode(bytes.NewReader(bad), "big.json", Options{})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	if ve.Path != "/components/2500/hashes/0/alg" || !strings.Contains(ve.Message, "SHA-257") {
		t.Errorf("got %s: %s", ve.Path, ve.Message)
	}
	// The generated document itself is valid and fully imported.
	d, err := Decode(&buf, "big.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Components) != 3000 || d.Metadata == nil || d.Edges() == 0 {
		t.Errorf("%d components, %d edges", len(d.Components), d.Edges())
	}
}

func TestStreamValidationUniqueItems(t *testing.T) {
	tests := []struct {
		doc  string
		path string
	}{
		{`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","version":"1"},{"version":"1","name":"a","type":"library"}]}`, "/components"},
		{`{"bomFormat":"CycloneDX","specVersion":"1.6","dependencies":[{"ref":"x"},{"ref":"y"},{"ref":"x"}]}`, "/dependencies"},
		{`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"library","name":"a","properties":[{"name":"n","value":"1"}]},{"type":"library","name":"a","properties":[{"name":"n","value":"1.0"}]}]}`, ""},
	}
	for _, tt := range tests {
		err := validateStream([]byte(tt.doc), "cyclonedx/1.6", "u.json")
		if tt.path == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.doc, err)
			}
			continue
		}
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Path != tt.path || !strings.Contains(ve.Message, "equal") {
			t.Errorf("%s: err = %v, want duplicate items at %s", tt.doc, err, tt.path)
		}
	}
}

// Test helpers: the whole-document path that validateStream replaced, kept
// for the equivalence test and the phase benchmarks.

// schemaFor returns the compiled schema for format/version, e.g. "cyclonedx/1.6".
func schemaFor(key string) (*jsonschema.Schema, error) {
	cs, err := compiledFor(key)
	if err != nil {
		return nil, err
	}
	return cs.sch, nil
}

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
