// Package sbom reads and writes software bills of materials.
//
// Decode identifies a document from its content (never its file name),
// validates it and converts it to canonical inventory types:
//
//   - CycloneDX 1.2–1.7, JSON and XML
//   - SPDX 2.2 and 2.3, JSON and tag-value, and bundles of linked SPDX
//     2.x JSON documents in a tar archive (Yocto's IMAGE.spdx.tar.zst,
//     bundle.go)
//   - SPDX 3.0.0 and 3.0.1, JSON-LD (spdx3.go)
//
// JSON documents are validated against the official JSON schemas, embedded in
// the binary, before anything is imported; XML CycloneDX documents get the
// structural and semantic checks described on decodeCycloneDXXML. Every error names
// the input and, for validation failures, the JSON pointer (or element path)
// of the offending field, and wraps one of the package's sentinel errors so
// callers can tell "not an SBOM" from "an SBOM version we do not read" from
// "a broken SBOM".
//
// EncodeCycloneDX and EncodeSPDX write CycloneDX 1.6 JSON and SPDX 2.3 JSON
// from an Export, deterministically, so the server can publish a release's
// SBOM and the CLI can convert between formats.
package sbom

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rampart-security/rampart/internal/inventory"
)

// Sentinel errors wrapped by every error Decode and Detect return.
var (
	// ErrUnknownFormat: the input is not an SBOM format this package knows
	// (for example a README, an image, or JSON that is neither CycloneDX nor SPDX).
	ErrUnknownFormat = errors.New("unknown SBOM format")
	// ErrUnsupportedVersion: the format is known but this version or encoding
	// is not read (CycloneDX 1.0/1.1, SPDX 2.1 or 3.1+, SPDX YAML/RDF/XML).
	ErrUnsupportedVersion = errors.New("unsupported SBOM version")
	// ErrInvalid: the document claims a supported format and version but does
	// not conform to it. The error chain holds a *ValidationError.
	ErrInvalid = errors.New("invalid SBOM")
	// ErrTooLarge: the input exceeds Options.MaxBytes (or, for SPDX YAML,
	// which is decoded whole, StreamThreshold).
	ErrTooLarge = errors.New("SBOM too large")
)

// Format names.
const (
	FormatCycloneDX = "cyclonedx"
	FormatSPDX      = "spdx"
)

// Encodings.
const (
	EncodingJSON     = "json"
	EncodingXML      = "xml"
	EncodingTagValue = "tag-value"
	EncodingYAML     = "yaml"
)

// DefaultMaxBytes is the size limit Decode applies when Options.MaxBytes is 0.
const DefaultMaxBytes int64 = 512 << 20

// Options tune Decode.
type Options struct {
	// MaxBytes is the largest input accepted; 0 means DefaultMaxBytes.
	MaxBytes int64
}

// Format identifies an SBOM document: its family, specification version and
// encoding, e.g. {"cyclonedx", "1.6", "json"}.
type Format struct {
	Name        string `json:"format"`
	SpecVersion string `json:"spec_version"`
	Encoding    string `json:"encoding"`
}

// String renders f as e.g. "CycloneDX 1.6 (json)".
func (f Format) String() string {
	name := f.Name
	switch f.Name {
	case FormatCycloneDX:
		name = "CycloneDX"
	case FormatSPDX:
		name = "SPDX"
	}
	if f.SpecVersion == "" {
		return fmt.Sprintf("%s (%s)", name, f.Encoding)
	}
	return fmt.Sprintf("%s %s (%s)", name, f.SpecVersion, f.Encoding)
}

// Document is a decoded SBOM in canonical form.
type Document struct {
	Format      string // FormatCycloneDX or FormatSPDX
	SpecVersion string // "1.6", "2.3", …
	Encoding    string // EncodingJSON, EncodingXML, EncodingTagValue, EncodingYAML, EncodingJSONLD or EncodingTar
	// Name is the document's name: the SPDX document name, or for CycloneDX
	// the metadata component's name (CycloneDX documents have no name).
	Name string
	// SerialNumber is the CycloneDX serialNumber or the SPDX documentNamespace.
	SerialNumber string
	// Created is the document's creation time (metadata.timestamp,
	// creationInfo.created); zero when absent or unparsable.
	Created time.Time
	// Metadata is the component the SBOM describes (CycloneDX
	// metadata.component; for SPDX the single package the document DESCRIBES),
	// or nil. It is not repeated in Components.
	Metadata *inventory.Component
	// Components are all other components, nested CycloneDX components
	// flattened, in document order. Refs are bom-refs or SPDX identifiers
	// (with the "SPDXRef-" prefix); DependsOn edges refer to Refs.
	Components []inventory.Component
	// Warnings are what the import could not resolve but did not refuse
	// the document for (an SPDX bundle's reference to a document it does
	// not hold), one sentence each.
	Warnings []string
}

// Edges counts the dependency edges of the document, metadata included.
func (d *Document) Edges() int {
	n := 0
	if d.Metadata != nil {
		n += len(d.Metadata.DependsOn)
	}
	for i := range d.Components {
		n += len(d.Components[i].DependsOn)
	}
	return n
}

// ValidationError describes why a document is invalid: which file, where in
// it (a JSON pointer such as /components/3/hashes/0/alg, an XML element path,
// or a line for tag-value and syntax errors) and what is wrong. It wraps
// ErrInvalid.
type ValidationError struct {
	File    string
	Path    string
	Message string
}

func (e *ValidationError) Error() string {
	file := e.File
	if file == "" {
		file = "<input>"
	}
	if e.Path == "" {
		return fmt.Sprintf("%s: %s", file, e.Message)
	}
	return fmt.Sprintf("%s: %s: %s", file, e.Path, e.Message)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func invalid(file, path, format string, args ...any) *ValidationError {
	return &ValidationError{File: file, Path: path, Message: fmt.Sprintf(format, args...)}
}

// Decode reads one SBOM from r, identifies its format from the content,
// validates it and returns it in canonical form. name names the input in
// errors (usually the file name). Errors wrap ErrUnknownFormat,
// ErrUnsupportedVersion, ErrInvalid (with a *ValidationError) or ErrTooLarge.
//
// Decode never panics: the underlying decoders can panic on hostile input,
// so panics are recovered here and reported as ErrInvalid naming the file.
func Decode(r io.Reader, name string, opts Options) (doc *Document, err error) {
	if name == "" {
		name = "<input>"
	}
	limit := opts.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: read SBOM: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w: larger than the limit of %d bytes (%s)", name, ErrTooLarge, limit, humanBytes(limit))
	}
	return decodeBytes(data, name)
}

// DecodeBytes is Decode for an input already in memory. data is not
// retained; the caller must enforce any size limit.
func DecodeBytes(data []byte, name string) (*Document, error) {
	if name == "" {
		name = "<input>"
	}
	return decodeBytes(data, name)
}

func decodeBytes(data []byte, name string) (doc *Document, err error) {
	defer func() {
		if p := recover(); p != nil {
			doc = nil
			err = &ValidationError{File: name, Message: fmt.Sprintf("decoder failed on malformed input (recovered panic: %v)", p)}
		}
	}()
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark is not JSON/XML content
	f, err := Detect(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case f.Name == FormatCycloneDX && f.Encoding == EncodingJSON:
		return decodeCycloneDXJSON(data, name, f)
	case f.Name == FormatCycloneDX && f.Encoding == EncodingXML:
		return decodeCycloneDXXML(data, name, f)
	case f.Name == FormatSPDX && f.Encoding == EncodingJSON:
		return decodeSPDXJSON(data, name, f)
	case f.Name == FormatSPDX && f.Encoding == EncodingTagValue:
		return decodeSPDXTagValue(data, name, f)
	case f.Name == FormatSPDX && f.Encoding == EncodingYAML:
		return decodeSPDXYAML(data, name, f)
	case f.Name == FormatSPDX && f.Encoding == EncodingJSONLD:
		return decodeSPDX3(data, name, f)
	case f.Name == FormatSPDX && f.Encoding == EncodingTar:
		return decodeSPDXBundle(data, name)
	}
	return nil, fmt.Errorf("%s: %w: %s", name, ErrUnsupportedVersion, f)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// lineOf returns the 1-based line of byte offset off in data.
func lineOf(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}
