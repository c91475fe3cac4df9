package threatmodel

import (
	"encoding/json"
	"reflect"
	"strings"
)

// enumFields gives the allowed values of string fields by YAML path
// (type name + "." + field).
var enumFields = map[string][]string{
	"Element.type":               ElementTypes,
	"Element.authentication":     Authentications,
	"Element.authorization":      Authorizations,
	"Flow.authentication":        Authentications,
	"Flow.authorization":         Authorizations,
	"Flow.network":               Networks,
	"Asset.confidentiality":      Ratings,
	"Asset.integrity":            Ratings,
	"Asset.availability":         Ratings,
	"Boundary.type":              BoundaryTypes,
	"FirmwareUpdate.mechanism":   UpdateMechanisms,
	"DebugPort.type":             DebugPortTypes,
	"DebugPort.state":            DebugPortStates,
	"Radio.type":                 RadioTypes,
	"Radio.pairing":              PairingMethods,
	"Device.default_credentials": DefaultCredentials,
	"Device.physical_exposure":   PhysicalExposures,
	"Mitigation.status":          MitigationStatuses,
	"ThreatDecision.status":      ThreatStatuses,
	"ThreatDecision.stride":      STRIDECategories,
	"ThreatDecision.severity":    Severities,
	"Model.rampart":              {Version},
}

// optional lists fields without omitempty that Parse nevertheless accepts
// when absent.
var optional = map[string]bool{
	"Model.rampart": true, "Model.id": true, "Model.title": true,
	"Element.name": true, "Asset.name": true, "Boundary.name": true,
	"Flow.id": false, "DebugPort.state": true, "Radio.type": false,
}

// JSONSchema returns the published JSON Schema (draft 2020-12) of the model
// format, generated from the Go types so that it never drifts from Parse.
func JSONSchema() ([]byte, error) {
	defs := map[string]any{}
	root := schemaOf(reflect.TypeFor[Model](), defs)
	doc := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         "https://rampart-security.github.io/schemas/threatmodel-v1.json",
		"title":       "Rampart threat model",
		"description": "A threat model of a connected product: elements (external entities, processes, data stores, devices), data assets, flows, trust boundaries, mitigations and threat decisions. See docs/threat-modeling.md.",
		"$defs":       defs,
	}
	delete(defs, "Model")
	for k, v := range root.(map[string]any) {
		doc[k] = v
	}
	return json.MarshalIndent(doc, "", "  ")
}

func schemaOf(t reflect.Type, defs map[string]any) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), defs)}
	case reflect.Struct:
		name := t.Name()
		ref := map[string]any{"$ref": "#/$defs/" + name}
		if _, done := defs[name]; done {
			return ref
		}
		defs[name] = true // placeholder against recursion
		props := map[string]any{}
		var required []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("yaml")
			fname, opts, _ := strings.Cut(tag, ",")
			if fname == "-" || fname == "" {
				continue
			}
			s := schemaOf(f.Type, defs)
			if enum, ok := enumFields[name+"."+fname]; ok {
				s = map[string]any{"type": "string", "enum": enum}
			}
			props[fname] = s
			if !strings.Contains(opts, "omitempty") && !optional[name+"."+fname] {
				required = append(required, fname)
			}
		}
		def := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			def["required"] = required
		}
		if name == "Model" {
			return def
		}
		defs[name] = def
		return ref
	}
	return map[string]any{}
}
