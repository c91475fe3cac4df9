package threatmodel

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Enumerations of the model format (also published in the JSON Schema).
var (
	ElementTypes       = []string{TypeExternalEntity, TypeProcess, TypeDataStore, TypeDevice}
	Ratings            = []string{"low", "medium", "high", "critical"}
	Severities         = []string{"critical", "high", "medium", "low", "info"}
	STRIDECategories   = []string{"spoofing", "tampering", "repudiation", "information_disclosure", "denial_of_service", "elevation_of_privilege"}
	ThreatStatuses     = []string{StatusOpen, StatusMitigated, StatusAccepted, StatusNotApplicable}
	MitigationStatuses = []string{MitigationPlanned, MitigationInProgress, MitigationImplemented, MitigationVerified}
	Authentications    = []string{"none", "password", "token", "api_key", "session", "certificate", "mutual_tls", "mfa", "pre_shared_key"}
	Authorizations     = []string{"none", "technical_user", "end_user", "role_based", "per_object"}
	Networks           = []string{"internet", "lan", "local", "radio", "bus", "vpn"}
	UpdateMechanisms   = []string{"ota", "local", "manual", "none"}
	DebugPortTypes     = []string{"uart", "jtag", "swd", "usb", "test_points", "other"}
	DebugPortStates    = []string{"open", "authenticated", "disabled", "removed"}
	RadioTypes         = []string{"ble", "bluetooth", "wifi", "zigbee", "thread", "zwave", "lora", "cellular", "nfc", "sub_ghz", "matter", "other"}
	PairingMethods     = []string{"none", "just_works", "passkey", "numeric_comparison", "oob", "install_code", "button", "qr_code"}
	DefaultCredentials = []string{"none", "unique_per_device", "set_on_first_use", "universal"}
	PhysicalExposures  = []string{"public", "customer_premises", "restricted", "secured"}
	BoundaryTypes      = []string{"network", "physical", "cloud", "device", "process", "organisation", "execution_environment", "other"}
)

var idRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$`)

func validate(m *Model, loc *locator) []Problem {
	var probs []Problem
	add := func(list string, i int, field, format string, args ...any) {
		probs = append(probs, loc.at(list, i, field, fmt.Sprintf(format, args...)))
	}
	oneOf := func(list string, i int, field, v string, allowed []string) {
		if v != "" && !slices.Contains(allowed, v) {
			hint := ""
			if c := closest(v, allowed); c != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", c)
			}
			add(list, i, field, "%q is not one of %s%s", v, strings.Join(allowed, ", "), hint)
		}
	}
	if m.Rampart != "" && m.Rampart != Version {
		add("", 0, "rampart", "unsupported model version %q (this Rampart reads %q)", m.Rampart, Version)
	}
	if strings.TrimSpace(m.Title) == "" && strings.TrimSpace(m.ID) == "" {
		add("", 0, "title", "the model needs a title")
	}
	// ids: one namespace for everything a threat can target.
	seen := map[string]string{}
	checkID := func(list string, i int, id, kind string) {
		switch {
		case id == "":
			add(list, i, "id", "%s has no id", kind)
		case !idRE.MatchString(id):
			add(list, i, "id", "id %q must start with a letter or digit and contain only letters, digits and . _ : / - (at most 128)", id)
		default:
			if prev, dup := seen[id]; dup {
				add(list, i, "id", "duplicate id %q (already used by %s)", id, prev)
				return
			}
			seen[id] = fmt.Sprintf("%s[%d]", list, i)
		}
	}
	for i, a := range m.Assets {
		checkID("assets", i, a.ID, "asset")
		oneOf("assets", i, "confidentiality", a.Confidentiality, Ratings)
		oneOf("assets", i, "integrity", a.Integrity, Ratings)
		oneOf("assets", i, "availability", a.Availability, Ratings)
	}
	for i, b := range m.Boundaries {
		checkID("boundaries", i, b.ID, "trust boundary")
		oneOf("boundaries", i, "type", b.Type, BoundaryTypes)
	}
	for i, e := range m.Elements {
		checkID("elements", i, e.ID, "element")
		if e.Type == "" {
			add("elements", i, "type", "element %q has no type (one of %s)", e.ID, strings.Join(ElementTypes, ", "))
		}
		oneOf("elements", i, "type", e.Type, ElementTypes)
		oneOf("elements", i, "authentication", e.Authentication, Authentications)
		oneOf("elements", i, "authorization", e.Authorization, Authorizations)
		if e.Device != nil && e.Type != TypeDevice {
			add("elements", i, "device", "device attributes on element %q of type %q (set type: device)", e.ID, e.Type)
		}
		if d := e.Device; d != nil {
			oneOf("elements", i, "device.update.mechanism", d.Update.Mechanism, UpdateMechanisms)
			oneOf("elements", i, "device.default_credentials", d.DefaultCredentials, DefaultCredentials)
			oneOf("elements", i, "device.physical_exposure", d.PhysicalExposure, PhysicalExposures)
			for j, p := range d.DebugPorts {
				oneOf("elements", i, fmt.Sprintf("device.debug_ports[%d].type", j), p.Type, DebugPortTypes)
				oneOf("elements", i, fmt.Sprintf("device.debug_ports[%d].state", j), p.State, DebugPortStates)
				if p.Type == "" {
					add("elements", i, fmt.Sprintf("device.debug_ports[%d]", j), "debug port has no type")
				}
			}
			for j, r := range d.Radios {
				oneOf("elements", i, fmt.Sprintf("device.radios[%d].type", j), r.Type, RadioTypes)
				oneOf("elements", i, fmt.Sprintf("device.radios[%d].pairing", j), r.Pairing, PairingMethods)
				if r.Type == "" {
					add("elements", i, fmt.Sprintf("device.radios[%d]", j), "radio has no type")
				}
			}
		}
	}
	for i, f := range m.Flows {
		checkID("flows", i, f.ID, "flow")
		oneOf("flows", i, "authentication", f.Authentication, Authentications)
		oneOf("flows", i, "authorization", f.Authorization, Authorizations)
		oneOf("flows", i, "network", f.Network, Networks)
	}
	for i, mt := range m.Mitigations {
		checkID("mitigations", i, mt.ID, "mitigation")
		oneOf("mitigations", i, "status", mt.Status, MitigationStatuses)
		if mt.Title == "" {
			add("mitigations", i, "title", "mitigation %q has no title", mt.ID)
		}
	}
	for i, a := range m.Assumptions {
		if a.ID == "" {
			add("assumptions", i, "id", "assumption has no id")
		}
	}
	m.Reindex()
	// references
	for i, b := range m.Boundaries {
		if b.Parent != "" && m.Boundary(b.Parent) == nil {
			add("boundaries", i, "parent", "boundary %q: parent %q is not a trust boundary", b.ID, b.Parent)
		}
		// cycles
		seenB := map[string]bool{b.ID: true}
		for p := b.Parent; p != ""; {
			if seenB[p] {
				add("boundaries", i, "parent", "boundary %q is nested in itself", b.ID)
				break
			}
			seenB[p] = true
			pb := m.Boundary(p)
			if pb == nil {
				break
			}
			p = pb.Parent
		}
	}
	// assetRefs checks that each of the assets field of list[i] (a kind
	// with id) names a data asset.
	assetRefs := func(list string, i int, field, kind, id string, assets []string) {
		for j, a := range assets {
			if m.Asset(a) == nil {
				add(list, i, fmt.Sprintf("%s[%d]", field, j), "%s %q: data asset %q is not defined in assets", kind, id, a)
			}
		}
	}
	for i, e := range m.Elements {
		if e.Boundary != "" && m.Boundary(e.Boundary) == nil {
			add("elements", i, "boundary", "element %q: boundary %q is not a trust boundary", e.ID, e.Boundary)
		}
		assetRefs("elements", i, "stores", "element", e.ID, e.Stores)
		assetRefs("elements", i, "processes", "element", e.ID, e.Processes)
	}
	for i, f := range m.Flows {
		if f.From == "" {
			add("flows", i, "from", "flow %q has no source (from)", f.ID)
		} else if m.Element(f.From) == nil {
			add("flows", i, "from", "flow %q: source %q is not an element", f.ID, f.From)
		}
		if f.To == "" {
			add("flows", i, "to", "flow %q has no destination (to)", f.ID)
		} else if m.Element(f.To) == nil {
			add("flows", i, "to", "flow %q: destination %q is not an element", f.ID, f.To)
		}
		assetRefs("flows", i, "data", "flow", f.ID, f.Data)
	}
	for i, t := range m.Threats {
		if t.ID == "" {
			add("threats", i, "id", "threat decision has no id")
		}
		if t.Title != "" && t.STRIDE == "" {
			add("threats", i, "stride", "threat %q has a title (a threat found by hand) but no stride category (%s)", t.ID, strings.Join(STRIDECategories, ", "))
		}
		oneOf("threats", i, "status", t.Status, ThreatStatuses)
		oneOf("threats", i, "stride", t.STRIDE, STRIDECategories)
		oneOf("threats", i, "severity", t.Severity, Severities)
		if NeedsReason(t.Status) && strings.TrimSpace(t.Reason) == "" {
			add("threats", i, "reason", "threat %q is %s without a reason", t.ID, t.Status)
		}
		for j, mid := range t.Mitigations {
			if !slices.ContainsFunc(m.Mitigations, func(x Mitigation) bool { return x.ID == mid }) {
				add("threats", i, fmt.Sprintf("mitigations[%d]", j), "threat %q: mitigation %q is not defined", t.ID, mid)
			}
		}
		if t.Title != "" && t.Target != "" && m.Element(t.Target) == nil && m.Flow(t.Target) == nil && m.Boundary(t.Target) == nil {
			add("threats", i, "target", "threat %q: target %q is not an element, flow or boundary", t.ID, t.Target)
		}
	}
	return probs
}
