// Package imports identifies a threat model's format and converts it with the
// matching importer: Threagile YAML, OWASP Threat Dragon (v1, v2) JSON, Open
// Threat Model JSON/YAML, pytm JSON, or Rampart's own format. Identification is separate
// from decoding so that "not a threat model" and "a threat model we cannot
// read" give different, clear errors.
package imports

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/rampart-security/rampart/internal/yamlsafe"

	"github.com/rampart-security/rampart/internal/threatmodel"
	"github.com/rampart-security/rampart/internal/threatmodel/otm"
	"github.com/rampart-security/rampart/internal/threatmodel/pytm"
	"github.com/rampart-security/rampart/internal/threatmodel/threagile"
	"github.com/rampart-security/rampart/internal/threatmodel/threatdragon"
)

// Format names.
const (
	Rampart      = "rampart"
	Threagile    = "threagile"
	ThreatDragon = "threat-dragon"
	OTM          = "otm"
	Pytm         = "pytm"
)

// Formats lists the formats Import reads.
var Formats = []string{Threagile, ThreatDragon, OTM, Pytm, Rampart}

var (
	// ErrUnknownFormat: the input is not a threat model in any known format.
	ErrUnknownFormat = errors.New("not a threat model in a known format")
	// ErrUnsupported: a recognised threat-model format Rampart cannot import.
	ErrUnsupported = errors.New("unsupported threat model format")
	// ErrUnknownFormatName: the format asked for (Import's from, the
	// CLI's --from) is none of Formats; a usage error, not bad input.
	ErrUnknownFormatName = errors.New("unknown import format")
)

// Options configures Import.
type Options struct {
	// ReadInclude reads files a Threagile model includes (relative names).
	ReadInclude func(name string) ([]byte, error)
}

// Imported is a converted model with its source format and the things that
// could not be carried over.
type Imported struct {
	Model    *threatmodel.Model
	Format   string
	Warnings []string
}

// Detect names the format of data (one of Formats), or returns an error
// wrapping ErrUnknownFormat or ErrUnsupported that says what the input is.
func Detect(data []byte) (string, error) {
	var top map[string]any
	if err := yamlsafe.Unmarshal(data, &top); err != nil {
		var seq []any
		if yamlsafe.Unmarshal(data, &seq) == nil {
			return "", fmt.Errorf("%w: the top level is a list, not an object", ErrUnknownFormat)
		}
		return "", fmt.Errorf("%w: neither JSON nor YAML: %v", ErrUnknownFormat, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if top == nil {
		return "", fmt.Errorf("%w: empty document", ErrUnknownFormat)
	}
	has := func(k string) bool { _, ok := top[k]; return ok }
	switch {
	case has("rampart") && has("elements"):
		return Rampart, nil
	case has("otmVersion"):
		return OTM, nil
	case fmt.Sprint(top["bomFormat"]) == "CycloneDX":
		return "", fmt.Errorf("%w: CycloneDX BOM (threat-model BOM / TMBOM); export the model as OTM from the tool that made it", ErrUnsupported)
	case has("$schema") && has("data_flows"):
		return "", fmt.Errorf("%w: threat-model BOM (TMBOM) JSON; export the model as OTM from the tool that made it", ErrUnsupported)
	case (has("$schema") || has("$id")) && (has("properties") || has("definitions") || has("$defs")):
		return "", fmt.Errorf("%w: this is a JSON Schema, not a threat model", ErrUnknownFormat)
	case threagile.Sniff(top):
		return Threagile, nil
	case (has("summary") || has("summarize")) && (has("detail") || has("details")), has("detail") && has("version"):
		return ThreatDragon, nil
	case has("elements") && onlyRampartKeys(top):
		// The rampart: marker is optional: a mapping with elements and
		// nothing but Rampart's own keys is a Rampart model (pytm's have a
		// name, and onDuplicates or isOrdered).
		return Rampart, nil
	case has("elements") && has("flows") && (has("boundaries") || has("onDuplicates") || has("isOrdered")):
		return Pytm, nil
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) > 8 {
		keys = append(keys[:8], "…")
	}
	return "", fmt.Errorf("%w (Threagile, Threat Dragon, OTM, pytm or Rampart); top-level keys: %s", ErrUnknownFormat, strings.Join(keys, ", "))
}

// rampartKeys are the top-level keys of a Rampart model.
var rampartKeys = func() map[string]bool {
	keys := map[string]bool{}
	t := reflect.TypeFor[threatmodel.Model]()
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); name != "" && name != "-" {
			keys[name] = true
		}
	}
	return keys
}()

// onlyRampartKeys reports whether every top-level key is one of a Rampart
// model's.
func onlyRampartKeys(top map[string]any) bool {
	for k := range top {
		if !rampartKeys[k] {
			return false
		}
	}
	return true
}

// Import converts data (named name in errors) from format from, or from the
// detected format when from is "".
func Import(data []byte, name, from string, opts Options) (*Imported, error) {
	// A byte-order mark (Windows editors write one) is not part of the
	// model; the JSON decoders would stop at it.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if from == "" {
		f, err := Detect(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		from = f
	}
	var (
		m     *threatmodel.Model
		warns []string
		err   error
	)
	switch from {
	case Threagile:
		m, warns, err = threagile.Parse(data, name, threagile.Options{ReadInclude: opts.ReadInclude})
	case ThreatDragon, "threatdragon", "td":
		from = ThreatDragon
		m, warns, err = threatdragon.Parse(data, name)
	case OTM, "open-threat-model":
		from = OTM
		m, warns, err = otm.Parse(data, name)
	case Pytm:
		m, warns, err = pytm.Parse(data, name)
	case Rampart:
		m, err = threatmodel.Parse(data, name)
	default:
		return nil, fmt.Errorf("%w %q (use %s)", ErrUnknownFormatName, from, strings.Join(Formats, ", "))
	}
	if err != nil {
		return nil, err
	}
	return &Imported{Model: m, Format: from, Warnings: warns}, nil
}
