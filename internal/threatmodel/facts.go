package threatmodel

import (
	"strings"

	"cel.dev/cel-go/cel"
)

// Facts are what rule conditions see. Each element, flow and the model become
// a CEL map; every documented key is always present (false, "", 0 or []) so
// conditions never fail on a missing attribute. docs/threat-modeling.md lists
// the keys.

type facts struct {
	modelAct cel.Activation
	elemActs []cel.Activation
	flowActs []cel.Activation
	// What the rules assume where the model is silent (assume.go).
	elemMaps  []map[string]any
	flowMaps  []map[string]any
	modelMap  map[string]any
	elemUnk   [][]attrSpec
	flowUnk   [][]attrSpec
	inUnauth  [][]int // inbound flows (indexes) whose authentication is unstated, when that alone makes inbound_unauthenticated true
	outUnauth [][]int
	elemIndex map[string]int
}

func rating(s string) int64 {
	switch s {
	case "low":
		return 1
	case "medium":
		return 2
	case "high":
		return 3
	case "critical":
		return 4
	}
	return 0
}

func strList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = strings.ToLower(v)
	}
	return out
}

type dataFacts struct {
	assets            []any
	names             []any
	maxC, maxI, maxA  int64
	personal, secrets bool
}

func assetFacts(m *Model, ids ...[]string) dataFacts {
	var d dataFacts
	seen := map[string]bool{}
	for _, list := range ids {
		for _, id := range list {
			a := m.Asset(id)
			if a == nil || seen[id] {
				continue
			}
			seen[id] = true
			c, i, av := rating(a.Confidentiality), rating(a.Integrity), rating(a.Availability)
			d.maxC, d.maxI, d.maxA = max(d.maxC, c), max(d.maxI, i), max(d.maxA, av)
			d.personal = d.personal || a.Personal
			d.secrets = d.secrets || a.Secret
			d.names = append(d.names, a.Name)
			d.assets = append(d.assets, map[string]any{
				"id": a.ID, "name": a.Name, "confidentiality": c, "integrity": i, "availability": av,
				"personal": a.Personal, "secret": a.Secret,
			})
		}
	}
	if d.assets == nil {
		d.assets, d.names = []any{}, []any{}
	}
	return d
}

// assumeSensitive is the reading of data whose classification the model
// does not state: high confidentiality and integrity, medium availability.
func (d *dataFacts) assumeSensitive() {
	d.maxC, d.maxI, d.maxA = max(d.maxC, 3), max(d.maxI, 3), max(d.maxA, 2)
	if len(d.names) == 0 {
		d.names = []any{"data of unstated classification"}
	}
}

var insecureServices = map[string]bool{"telnet": true, "ftp": true, "tftp": true, "rlogin": true, "rsh": true, "http": true, "upnp": true, "snmp": true, "snmpv1": true, "snmpv2": true, "snmpv2c": true}

func deviceFacts(d *Device) map[string]any {
	if d == nil {
		d = &Device{}
	}
	var ports, openPorts []any
	for _, p := range d.DebugPorts {
		ports = append(ports, map[string]any{"type": p.Type, "state": p.State})
		if p.State == "" || p.State == "open" {
			openPorts = append(openPorts, strings.ToUpper(p.Type))
		}
	}
	var radios, weakRadios, radioTypes []any
	for _, r := range d.Radios {
		radios = append(radios, map[string]any{"type": r.Type, "encrypted": r.Encrypted, "pairing": r.Pairing, "authenticated": r.Authenticated})
		radioTypes = append(radioTypes, r.Type)
		if !r.Encrypted {
			weakRadios = append(weakRadios, r.Type)
		}
	}
	var insecure []any
	for _, s := range d.NetworkServices {
		if insecureServices[strings.ToLower(s)] {
			insecure = append(insecure, strings.ToLower(s))
		}
	}
	orEmpty := func(l []any) []any {
		if l == nil {
			return []any{}
		}
		return l
	}
	return map[string]any{
		"firmware": d.Firmware,
		"update": map[string]any{
			"mechanism": d.Update.Mechanism, "signed": d.Update.Signed, "encrypted": d.Update.Encrypted,
			"rollback_protection": d.Update.RollbackProtection, "automatic": d.Update.Automatic,
		},
		"secure_boot":             d.SecureBoot,
		"debug_ports":             orEmpty(ports),
		"open_debug_ports":        orEmpty(openPorts),
		"storage_encryption":      d.StorageEncryption,
		"secure_element":          d.SecureElement,
		"default_credentials":     d.DefaultCredentials,
		"credentials_in_firmware": d.CredentialsInFirmware,
		"unique_identity":         d.UniqueIdentity,
		"radios":                  orEmpty(radios),
		"radio_types":             orEmpty(radioTypes),
		"unencrypted_radios":      orEmpty(weakRadios),
		"network_services":        strList(d.NetworkServices),
		"insecure_services":       orEmpty(insecure),
		"physical_exposure":       d.PhysicalExposure,
		"tamper_detection":        d.TamperDetection,
		"factory_reset":           d.FactoryReset,
		"local_operation":         d.LocalOperation,
		"memory_protection":       d.MemoryProtection,
		"safety_critical":         d.SafetyCritical,
		"telemetry":               d.Telemetry,
	}
}

func buildFacts(m *Model) *facts {
	m.ensureIndex()
	type flowAgg struct {
		in, out                         int64
		inInternet, inUnauth, inUnenc   bool
		inFromExternal, outToExternal   bool
		inCross, outUnauth, writesStore bool
		// unauthenticated by statement, and flows unauthenticated only by assumption
		inUnauthStated, outUnauthStated bool
		inUnauthUnk, outUnauthUnk       []int
	}
	aggs := make(map[string]*flowAgg, len(m.Elements))
	for i := range m.Elements {
		aggs[m.Elements[i].ID] = &flowAgg{}
	}
	for i := range m.Flows {
		f := &m.Flows[i]
		src, dst := m.Element(f.From), m.Element(f.To)
		if src == nil || dst == nil {
			continue
		}
		a, b := aggs[f.From], aggs[f.To]
		a.out++
		b.in++
		if f.Network == "internet" || src.InternetFacing && src.Type == TypeExternalEntity {
			b.inInternet = true
		}
		if f.Authentication == "" || f.Authentication == "none" {
			b.inUnauth = true
			if f.Stated("authentication") {
				b.inUnauthStated = true
			} else {
				b.inUnauthUnk = append(b.inUnauthUnk, i)
			}
		}
		if !f.Encrypted {
			b.inUnenc = true
		}
		if src.Type == TypeExternalEntity {
			b.inFromExternal = true
		}
		if dst.Type == TypeExternalEntity {
			a.outToExternal = true
		}
		if src.Boundary != dst.Boundary {
			b.inCross = true
		}
		if (f.Authentication == "" || f.Authentication == "none") && f.Network != "local" {
			a.outUnauth = true // a local UI needs physical presence: not counted
			if f.Stated("authentication") {
				a.outUnauthStated = true
			} else {
				a.outUnauthUnk = append(a.outUnauthUnk, i)
			}
		}
		if dst.Type == TypeDataStore {
			a.writesStore = true
		}
	}
	// model facts
	var devices int64
	var deviceNames, cloudNames []any
	hasMobile := false
	for i := range m.Elements {
		e := &m.Elements[i]
		if e.Type == TypeDevice {
			devices++
			deviceNames = append(deviceNames, e.Name)
		}
		k := strings.ToLower(e.Kind)
		if k == "cloud_service" || k == "cloud" {
			cloudNames = append(cloudNames, e.Name)
		}
		if k == "mobile_app" {
			hasMobile = true
		}
	}
	if deviceNames == nil {
		deviceNames = []any{}
	}
	if cloudNames == nil {
		cloudNames = []any{}
	}
	var personalAssets, secretAssets int64
	for _, a := range m.Assets {
		if a.Personal {
			personalAssets++
		}
		if a.Secret {
			secretAssets++
		}
	}
	var assumptions []any
	for _, a := range m.Assumptions {
		assumptions = append(assumptions, a.ID)
	}
	if assumptions == nil {
		assumptions = []any{}
	}
	modelMap := map[string]any{
		"id": modelTarget(m), "title": modelName(m),
		"product": map[string]any{
			"name": m.Product.Name, "vendor": m.Product.Vendor, "version": m.Product.Version,
			"vulnerability_disclosure": m.Product.VulnerabilityDisclosure,
			"support_period":           m.Product.SupportPeriod,
			"security_updates":         m.Product.SecurityUpdates,
		},
		"devices": devices, "device_names": deviceNames, "cloud_services": cloudNames,
		"has_mobile_app":  hasMobile,
		"elements":        int64(len(m.Elements)),
		"flows":           int64(len(m.Flows)),
		"boundaries":      int64(len(m.Boundaries)),
		"personal_assets": personalAssets, "secret_assets": secretAssets,
		"assumptions": assumptions,
	}
	f := &facts{
		elemActs:  make([]cel.Activation, len(m.Elements)),
		flowActs:  make([]cel.Activation, len(m.Flows)),
		elemMaps:  make([]map[string]any, len(m.Elements)),
		flowMaps:  make([]map[string]any, len(m.Flows)),
		elemUnk:   make([][]attrSpec, len(m.Elements)),
		flowUnk:   make([][]attrSpec, len(m.Flows)),
		inUnauth:  make([][]int, len(m.Elements)),
		outUnauth: make([][]int, len(m.Elements)),
		elemIndex: make(map[string]int, len(m.Elements)),
		modelMap:  modelMap,
	}
	// A model without data assets says nothing about the data it handles:
	// the rules assume data of high confidentiality and integrity.
	unclassified := len(m.Assets) == 0
	f.modelAct, _ = cel.NewActivation(map[string]any{"model": modelMap})
	elemMaps := make(map[string]map[string]any, len(m.Elements))
	for i := range m.Elements {
		e := &m.Elements[i]
		ag := aggs[e.ID]
		data := assetFacts(m, e.Stores, e.Processes)
		stored := assetFacts(m, e.Stores)
		if unclassified && e.Type != TypeExternalEntity {
			data.assumeSensitive()
			if e.Type == TypeDataStore {
				stored.assumeSensitive()
			}
		}
		path := m.BoundaryPath(e.ID)
		var bnames []any
		for _, b := range path {
			if bb := m.Boundary(b); bb != nil {
				bnames = append(bnames, bb.Name)
			}
		}
		if bnames == nil {
			bnames = []any{}
		}
		boundaryName := ""
		if len(bnames) > 0 {
			boundaryName = bnames[0].(string)
		}
		em := map[string]any{
			"id": e.ID, "name": e.Name, "type": e.Type, "kind": strings.ToLower(e.Kind),
			"technology": strings.ToLower(e.Technology), "tags": strList(e.Tags),
			"boundary": e.Boundary, "boundary_name": boundaryName, "boundaries": strList(path), "boundary_names": bnames,
			"internet_facing": e.InternetFacing, "authentication": e.Authentication, "authorization": e.Authorization,
			"input_validation": e.InputValidation, "logging": e.Logging, "privileged": e.Privileged,
			"sandboxed": e.Sandboxed, "rate_limited": e.RateLimited, "redundant": e.Redundant,
			"encrypted_at_rest": e.EncryptedAtRest, "backup": e.Backup, "multi_tenant": e.MultiTenant,
			"stores": stored.assets, "stored_names": stored.names, "data": data.assets, "data_names": data.names,
			"max_confidentiality": data.maxC, "max_integrity": data.maxI, "max_availability": data.maxA,
			"stored_confidentiality": stored.maxC,
			"personal_data":          data.personal, "secrets": data.secrets, "stores_secrets": stored.secrets, "stores_personal_data": stored.personal,
			"inbound": ag.in, "outbound": ag.out,
			"inbound_from_internet": ag.inInternet, "inbound_unauthenticated": ag.inUnauth, "inbound_unencrypted": ag.inUnenc,
			"inbound_from_external": ag.inFromExternal, "outbound_unauthenticated": ag.outUnauth, "writes_to_store": ag.writesStore, "outbound_to_external": ag.outToExternal, "inbound_crosses_boundary": ag.inCross,
			"exposed":   e.InternetFacing || ag.inInternet,
			"is_device": e.Type == TypeDevice,
			"device":    deviceFacts(e.Device),
		}
		elemMaps[e.ID] = em
		f.elemMaps[i] = em
		f.elemUnk[i] = unstatedElementAttrs(m, e)
		if ag.inUnauth && !ag.inUnauthStated {
			f.inUnauth[i] = ag.inUnauthUnk
		}
		if ag.outUnauth && !ag.outUnauthStated {
			f.outUnauth[i] = ag.outUnauthUnk
		}
		if _, dup := f.elemIndex[e.ID]; !dup {
			f.elemIndex[e.ID] = i
		}
		f.elemActs[i], _ = cel.NewActivation(map[string]any{"e": em, "model": modelMap})
	}
	for i := range m.Flows {
		fl := &m.Flows[i]
		src, dst := elemMaps[fl.From], elemMaps[fl.To]
		if src == nil || dst == nil {
			continue
		}
		data := assetFacts(m, fl.Data)
		if unclassified {
			data.assumeSensitive()
		}
		auth := fl.Authentication
		fm := map[string]any{
			"id": fl.ID, "name": flowName(m, fl), "protocol": strings.ToLower(fl.Protocol),
			"encrypted": fl.Encrypted, "authentication": auth, "authenticated": auth != "" && auth != "none",
			"authorization": fl.Authorization, "network": fl.Network, "integrity": fl.Integrity,
			"replay_protection": fl.ReplayProtection,
			"data":              data.assets, "data_names": data.names,
			"max_confidentiality": data.maxC, "max_integrity": data.maxI, "max_availability": data.maxA,
			"personal_data": data.personal, "secrets": data.secrets,
			"crosses_boundary": m.CrossesBoundary(fl.From, fl.To),
			"internet":         fl.Network == "internet",
		}
		f.flowMaps[i] = fm
		f.flowUnk[i] = unstatedFlowAttrs(m, fl)
		f.flowActs[i], _ = cel.NewActivation(map[string]any{"flow": fm, "src": src, "dst": dst, "model": modelMap})
	}
	return f
}
