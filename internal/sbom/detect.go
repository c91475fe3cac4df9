package sbom

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Supported specification versions per format.
var (
	cycloneDXVersions = map[string]bool{"1.2": true, "1.3": true, "1.4": true, "1.5": true, "1.6": true, "1.7": true}
	// cycloneDXXMLVersions: CycloneDX 1.0 and 1.1 were XML only (JSON
	// came with 1.2).
	cycloneDXXMLVersions = map[string]bool{"1.0": true, "1.1": true, "1.2": true, "1.3": true, "1.4": true, "1.5": true, "1.6": true, "1.7": true}
	spdxVersions         = map[string]bool{"2.2": true, "2.3": true}
	// spdxTagValueVersions: SPDX 2.1 was written only as tag-value and
	// RDF (JSON and YAML came with SPDX 2.2); tools-golang reads its
	// tag-value and converts it to the 2.3 model.
	spdxTagValueVersions = map[string]bool{"2.1": true, "2.2": true, "2.3": true}
)

const cdxXMLNamespacePrefix = "http://cyclonedx.org/schema/bom/"

// Detect identifies the SBOM format of a document from its first bytes
// (pass the whole document when it is in memory; a prefix of a few KiB is
// enough for documents that start with their format keys, as generators
// write them). It never decodes the document.
//
// The result distinguishes three cases, following the identify-then-decode
// pattern: a supported format (nil error); a known format in a version or
// encoding Rampart does not read (Format filled in as far as known, error
// wrapping ErrUnsupportedVersion); and anything else (ErrUnknownFormat).
// A CycloneDX JSON document whose specVersion is not in head yields a Format
// with an empty SpecVersion and a nil error: Decode reads it from the full
// document.
func Detect(head []byte) (f Format, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = Format{}, fmt.Errorf("%w: format detection failed (recovered panic: %v)", ErrUnknownFormat, p)
		}
	}()
	if f, ok := detectBundle(head); ok {
		return f, nil // a tar archive of SPDX documents (bundle.go)
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return Format{}, fmt.Errorf("%w: empty input", ErrUnknownFormat)
	}
	switch trimmed[0] {
	case '{':
		return detectJSON(trimmed)
	case '<':
		return detectXML(trimmed)
	}
	return detectText(trimmed)
}

// jsonHead holds the top-level keys that identify a JSON SBOM.
type jsonHead struct {
	bomFormat, specVersion, spdxVersion, schema, context string
	hasBOMFormat, hasSpecVersion, hasSPDXVersion         bool
	hasGraph                                             bool
}

// scanJSONHead walks the top-level object's keys, skipping nested values,
// until it has seen what it needs or the input ends (a truncated head is
// fine). It returns an error only when the input is not a JSON object.
func scanJSONHead(data []byte) (jsonHead, error) {
	var h jsonHead
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return h, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return h, errors.New("not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return h, nil // truncated head
		}
		key, ok := tok.(string)
		if !ok {
			return h, nil
		}
		var val any
		switch key {
		case "bomFormat", "specVersion", "spdxVersion", "$schema", "@context":
			if err := dec.Decode(&val); err != nil {
				return h, nil
			}
		default:
			if key == "@graph" {
				h.hasGraph = true
				if h.context != "" {
					return h, nil // SPDX 3: the rest is the graph
				}
			}
			if err := skipJSONValue(dec); err != nil {
				return h, nil
			}
			continue
		}
		s, _ := val.(string)
		switch key {
		case "bomFormat":
			h.bomFormat, h.hasBOMFormat = s, true
		case "specVersion":
			h.specVersion, h.hasSpecVersion = s, true
			if _, isString := val.(string); !isString {
				h.specVersion = fmt.Sprint(val) // e.g. a number: the schema reports it
			}
		case "spdxVersion":
			h.spdxVersion, h.hasSPDXVersion = s, true
		case "$schema":
			h.schema = s
		case "@context":
			h.context = contextString(val)
		}
		if (h.hasBOMFormat && h.hasSpecVersion) || h.hasSPDXVersion {
			return h, nil
		}
	}
	return h, nil
}

// skipJSONValue consumes one complete value from dec.
func skipJSONValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

func contextString(v any) string {
	switch c := v.(type) {
	case string:
		return c
	case []any:
		var parts []string
		for _, e := range c {
			if s, ok := e.(string); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, " ")
	}
	return ""
}

var spdx3Context = regexp.MustCompile(`spdx\.org/rdf/(3[0-9.]*)/`)

func detectJSON(data []byte) (Format, error) {
	h, err := scanJSONHead(data)
	if err != nil {
		return Format{}, fmt.Errorf("%w: JSON input is not an object: %v", ErrUnknownFormat, err)
	}
	switch {
	case h.hasBOMFormat || strings.Contains(h.schema, "cyclonedx.org/schema/bom"):
		f := Format{Name: FormatCycloneDX, SpecVersion: h.specVersion, Encoding: EncodingJSON}
		if h.hasBOMFormat && h.bomFormat != "CycloneDX" && !h.hasSpecVersion {
			return Format{}, fmt.Errorf("%w: bomFormat %q is not CycloneDX", ErrUnknownFormat, h.bomFormat)
		}
		if h.hasSpecVersion && !cycloneDXVersions[f.SpecVersion] {
			return f, fmt.Errorf("%w: CycloneDX specVersion %q (supported in JSON: 1.2 to 1.7; 1.0 and 1.1 are XML only)", ErrUnsupportedVersion, f.SpecVersion)
		}
		return f, nil
	case h.hasSPDXVersion:
		v := strings.TrimPrefix(h.spdxVersion, "SPDX-")
		f := Format{Name: FormatSPDX, SpecVersion: v, Encoding: EncodingJSON}
		if !spdxVersions[v] {
			return f, fmt.Errorf("%w: SPDX JSON spdxVersion %q (supported: SPDX-2.2, SPDX-2.3; SPDX 2.1 defines no JSON encoding, its documents are tag-value or RDF)", ErrUnsupportedVersion, h.spdxVersion)
		}
		return f, nil
	case strings.Contains(h.context, "spdx.org/rdf/3") || (h.hasGraph && strings.Contains(h.context, "spdx")):
		v := "3"
		if m := spdx3Context.FindStringSubmatch(h.context); m != nil {
			v = m[1]
		}
		f := Format{Name: FormatSPDX, SpecVersion: v, Encoding: EncodingJSONLD}
		if !spdx3Versions[v] {
			return f, fmt.Errorf("%w: SPDX %s JSON-LD (supported: SPDX 3.0.0 and 3.0.1 JSON-LD, SPDX 2.2 and 2.3)", ErrUnsupportedVersion, v)
		}
		return f, nil
	}
	return Format{}, fmt.Errorf("%w: JSON document has neither bomFormat (CycloneDX) nor spdxVersion (SPDX)", ErrUnknownFormat)
}

func detectXML(data []byte) (Format, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	for {
		tok, err := dec.Token()
		if err != nil {
			return Format{}, fmt.Errorf("%w: XML input has no root element: %v", ErrUnknownFormat, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		ns := se.Name.Space
		switch {
		case se.Name.Local == "bom" && strings.HasPrefix(ns, cdxXMLNamespacePrefix):
			v := strings.TrimPrefix(ns, cdxXMLNamespacePrefix)
			f := Format{Name: FormatCycloneDX, SpecVersion: v, Encoding: EncodingXML}
			if !cycloneDXXMLVersions[v] {
				return f, fmt.Errorf("%w: CycloneDX %s XML (supported: 1.0 to 1.7)", ErrUnsupportedVersion, v)
			}
			return f, nil
		case se.Name.Local == "bom":
			return Format{Name: FormatCycloneDX, Encoding: EncodingXML},
				fmt.Errorf("%w: XML <bom> element without a CycloneDX namespace (got %q)", ErrUnknownFormat, ns)
		case (se.Name.Local == "Document" || se.Name.Local == "SpdxDocument") && bytes.Contains(data, []byte("<spdxVersion>SPDX-")),
			strings.Contains(ns, "spdx.org") || strings.Contains(strings.ToLower(se.Name.Local), "spdx") || se.Name.Local == "RDF" && bytes.Contains(data, []byte("spdx.org/rdf")):
			return Format{Name: FormatSPDX, Encoding: EncodingXML},
				fmt.Errorf("%w: SPDX XML/RDF encoding (supported SPDX encodings: JSON, YAML, tag-value)", ErrUnsupportedVersion)
		}
		return Format{}, fmt.Errorf("%w: XML root element <%s> is not a CycloneDX <bom>", ErrUnknownFormat, se.Name.Local)
	}
}

var tagLine = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*:`)

func detectText(data []byte) (Format, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	firstTag := true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || line == "---" {
			continue
		}
		if v, ok := strings.CutPrefix(line, "SPDXVersion:"); ok {
			ver := strings.TrimPrefix(strings.TrimSpace(v), "SPDX-")
			f := Format{Name: FormatSPDX, SpecVersion: ver, Encoding: EncodingTagValue}
			if !spdxTagValueVersions[ver] {
				return f, fmt.Errorf("%w: SPDX tag-value version %q (supported: SPDX-2.1, SPDX-2.2, SPDX-2.3)", ErrUnsupportedVersion, strings.TrimSpace(v))
			}
			return f, nil
		}
		if v, ok := strings.CutPrefix(line, "spdxVersion:"); ok {
			ver := strings.Trim(strings.TrimSpace(v), `"'`)
			f := Format{Name: FormatSPDX, SpecVersion: strings.TrimPrefix(ver, "SPDX-"), Encoding: EncodingYAML}
			if !spdxVersions[f.SpecVersion] {
				return f, fmt.Errorf("%w: SPDX YAML spdxVersion %q (supported: SPDX-2.2, SPDX-2.3)", ErrUnsupportedVersion, ver)
			}
			return f, nil
		}
		if firstTag && !tagLine.MatchString(line) {
			break // not tag-value, not YAML
		}
		firstTag = false
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return Format{}, fmt.Errorf("%w: %v", ErrUnknownFormat, err)
	}
	return Format{}, fmt.Errorf("%w: not CycloneDX (JSON, XML) or SPDX (JSON, YAML, tag-value)", ErrUnknownFormat)
}
