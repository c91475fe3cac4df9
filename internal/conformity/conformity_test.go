package conformity

import (
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func ptime(t time.Time) *time.Time { return &t }

// good is a release whose evidence meets every automatic check.
func good() *Evidence {
	return &Evidence{
		ProductID: 1, Product: "Acme Gateway", ReleaseID: 7, Version: "2.1.0", Status: "shipped",
		SupportEnd: ptime(now.AddDate(3, 0, 0)),
		SBOM:       &SBOMEvidence{Components: 42, SHA256: "ab"},
		Vulns:      VulnEvidence{FeedsUpdated: ptime(now.Add(-6 * time.Hour)), Open: []VulnRef{{ID: "CVE-2024-1", Severity: "medium"}}},
		SLA:        SLAEvidence{Closed: 20, ClosedInSLA: 19},
		Threats: &ThreatEvidence{Version: 3, RuleETSI: map[string][]string{"DEV-001": {"5.1-1", "5.1-2"}, "PROC-007": {"5.1-5"}},
			Threats: []ThreatRef{{ID: "T-1", Rule: "DEV-001", STRIDE: "Spoofing", Severity: "high", Status: "mitigated", ETSI: []string{"5.1-1"}}}},
		Firmware:    &FirmwareEvidence{Image: "gw.img", Binaries: []BinaryRef{{Path: "/bin/busybox", NX: true, PIE: true, RELRO: "full", Canary: true}}},
		Updates:     &UpdatesEvidence{URL: "/tuf/acme-gateway/", Targets: 2},
		Disclosure:  &DisclosureEvidence{PolicyURL: "https://psirt.example/.well-known/security.txt", ContactURL: "https://psirt.example/report"},
		Advisories:  []Link{{Kind: "advisory", ID: "ACME-2026-001", URL: "/advisories/1"}},
		Development: &DevelopmentEvidence{Scans: 3, Tools: []string{"trivy"}},
	}
}

func TestCatalogsLoad(t *testing.T) {
	cs, err := Catalogs()
	if err != nil {
		t.Fatal(err)
	}
	etsi, cra := cs[0], cs[1]
	if len(etsi.Groups) != 14 || len(etsi.Items) != 67 {
		t.Errorf("ETSI: %d groups, %d items", len(etsi.Groups), len(etsi.Items))
	}
	if it, ok := etsi.Item("5.1-1"); !ok || it.Level != "mandatory" {
		t.Errorf("5.1-1 = %+v", it)
	}
	if len(cra.Items) != 22 {
		t.Errorf("CRA Annex I: %d items, want 13 in Part I and 8 in Part II plus I.1", len(cra.Items))
	}
	if _, err := LoadCatalog("iso-27001"); err == nil {
		t.Error("unknown catalogue accepted")
	}
}

func TestCatalogValidate(t *testing.T) {
	base := func() *Catalog {
		return &Catalog{ID: "x", Groups: []Group{{ID: "1"}}, Items: []Item{{ID: "1-1", Group: "1", Level: "mandatory", Title: "t", Question: "q"}}}
	}
	cases := map[string]func(*Catalog){
		"duplicate id":  func(c *Catalog) { c.Items = append(c.Items, c.Items[0]) },
		"unknown group": func(c *Catalog) { c.Items[0].Group = "9" },
		"bad level":     func(c *Catalog) { c.Items[0].Level = "optional" },
		"unknown check": func(c *Catalog) { c.Items[0].Checks = []string{"magic.check"} },
		"no question":   func(c *Catalog) { c.Items[0].Question = "" },
	}
	if err := base().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range cases {
		c := base()
		mut(c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestChecks runs every automatic check on evidence that meets it and on
// evidence that fails it (and, where it applies, evidence that is missing).
func TestChecks(t *testing.T) {
	cases := []struct {
		check   string
		item    string
		mutate  func(*Evidence)
		want    state
		wantWhy string
	}{
		{"sbom.present", "", nil, pass, "42 components"},
		{"sbom.present", "", func(e *Evidence) { e.SBOM = nil }, fail, "no SBOM"},
		{"vulns.monitored", "", nil, pass, "updated"},
		{"vulns.monitored", "", func(e *Evidence) { e.Vulns.FeedsUpdated = ptime(now.AddDate(0, 0, -30)) }, fail, "30 days ago"},
		{"vulns.monitored", "", func(e *Evidence) { e.Vulns.FeedsUpdated = nil }, fail, "never"},
		{"vulns.no_exploited", "", nil, pass, "KEV"},
		{"vulns.no_exploited", "", func(e *Evidence) { e.Vulns.Open = append(e.Vulns.Open, VulnRef{ID: "CVE-2023-44487", KEV: true}) }, fail, "CVE-2023-44487"},
		{"vulns.no_exploited", "", func(e *Evidence) { e.SBOM = nil }, unknown, "no SBOM"},
		{"vulns.no_exploited", "", func(e *Evidence) {
			e.Vulns.Open = append(e.Vulns.Open, VulnRef{ID: "GHSA-35jh-r3h4-6jhm", Exploited: []string{"euvd"}})
		}, fail, "(EUVD): GHSA-35jh-r3h4-6jhm"},
		{"vulns.no_open_critical", "", nil, pass, "no open critical"},
		{"vulns.no_open_critical", "", func(e *Evidence) { e.Vulns.Open = append(e.Vulns.Open, VulnRef{ID: "CVE-9", Severity: "critical"}) }, fail, "CVE-9"},
		{"vulns.sla_compliance", "", nil, pass, "95%"},
		{"vulns.sla_compliance", "", func(e *Evidence) { e.SLA.Overdue = []int64{5, 6} }, fail, "2 findings are past"},
		{"vulns.sla_compliance", "", func(e *Evidence) { e.SLA.ClosedInSLA = 10 }, fail, "only 50%"},
		{"vulns.sla_compliance", "", func(e *Evidence) { e.SLA = SLAEvidence{} }, unknown, "no closed"},
		{"release.support_period", "", nil, pass, "days left"},
		{"release.support_period", "", func(e *Evidence) { e.SupportEnd = nil }, fail, "no end of support"},
		{"release.identified", "", nil, pass, "Acme Gateway 2.1.0"},
		{"release.identified", "", func(e *Evidence) { e.Version = "" }, fail, "no product name or version"},
		{"threats.etsi", "5.1-1", nil, pass, "DEV-001"},
		{"threats.etsi", "5.1-1", func(e *Evidence) { e.Threats.Threats[0].Status = "open" }, fail, "T-1"},
		{"threats.etsi", "5.9-1", nil, skip, ""},
		{"threats.etsi", "5.1-1", func(e *Evidence) { e.Threats = nil }, unknown, "no threat model"},
		{"threats.model_checked", "", nil, pass, "none critical or high"},
		{"threats.model_checked", "", func(e *Evidence) { e.Threats.Threats[0].Status = "open" }, fail, "1 open critical or high"},
		{"threats.model_checked", "", func(e *Evidence) { e.Threats = nil }, fail, "no threat model"},
		{"threats.stride_spoofing", "", nil, pass, "Spoofing"},
		{"threats.stride_spoofing", "", func(e *Evidence) { e.Threats.Threats[0].Status = "" }, fail, "Spoofing"},
		{"threats.stride_tampering", "", func(e *Evidence) { e.Threats.Threats[0].Status = "open" }, pass, "Tampering"},
		{"firmware.no_default_password", "", nil, pass, "gw.img"},
		{"firmware.no_default_password", "", func(e *Evidence) {
			e.Firmware.Issues = []FirmwareIssue{{ID: "F1", Kind: "default_password", Path: "/etc/shadow"}}
		}, fail, "/etc/shadow"},
		{"firmware.no_default_password", "", func(e *Evidence) {
			e.Firmware.Issues = []FirmwareIssue{{ID: "F1", Kind: "cleartext_service", Path: "/etc/inittab"}}
		}, pass, "no default"},
		{"firmware.no_default_password", "", func(e *Evidence) { e.Firmware = nil }, unknown, "upload its image"},
		{"firmware.accounts", "", func(e *Evidence) { e.Firmware.Issues = []FirmwareIssue{{Kind: "uid0_account", Path: "/etc/passwd"}} }, fail, "uid0_account"},
		{"firmware.no_embedded_secrets", "", func(e *Evidence) {
			e.Firmware.Issues = []FirmwareIssue{{Kind: "private_key", Path: "/etc/ssl/key.pem"}}
		}, fail, "key.pem"},
		{"firmware.no_cleartext_service", "", func(e *Evidence) {
			e.Firmware.Issues = []FirmwareIssue{{Kind: "cleartext_service", Path: "/etc/inittab"}}
		}, fail, "inittab"},
		{"firmware.no_debug_interface", "", func(e *Evidence) {
			e.Firmware.Issues = []FirmwareIssue{{Kind: "debug_interface", Path: "/etc/inittab"}}
		}, fail, "debug_interface"},
		{"firmware.secure_config", "", func(e *Evidence) {
			e.Firmware.Issues = []FirmwareIssue{{Kind: "insecure_config", Path: "/etc/ssh/sshd_config"}}
		}, fail, "sshd_config"},
		{"firmware.least_privilege", "", func(e *Evidence) { e.Firmware.Issues = []FirmwareIssue{{Kind: "setuid_root", Path: "/bin/x"}} }, fail, "setuid_root"},
		{"firmware.hardening", "", nil, pass, "all 1 binaries"},
		{"firmware.hardening", "", func(e *Evidence) {
			e.Firmware.Binaries = append(e.Firmware.Binaries, BinaryRef{Path: "/usr/sbin/httpd", NX: false, RELRO: "partial"})
		}, fail, "/usr/sbin/httpd"},
		{"firmware.hardening", "", func(e *Evidence) { e.Firmware.Binaries = nil }, unknown, "no ELF"},
		{"updates.signed", "", nil, pass, "2 published images"},
		{"updates.signed", "", func(e *Evidence) { e.Updates = nil }, unknown, "rampart updates init"},
		{"advisories.published", "", nil, pass, "1 published"},
		{"advisories.published", "", func(e *Evidence) { e.Advisories = nil }, unknown, "no security advisory"},
		{"disclosure.published", "", nil, pass, "security.txt"},
		{"disclosure.published", "", func(e *Evidence) { e.Disclosure = nil }, fail, "no vulnerability disclosure policy"},
		{"development.evidence", "", nil, pass, "3 scanner reports"},
		{"development.evidence", "", func(e *Evidence) { e.Development = nil }, unknown, "no scanner report"},
		{"development.evidence", "", func(e *Evidence) { e.Threats = nil }, unknown, "no threat model"},
	}
	tested := map[string]bool{}
	for _, c := range cases {
		e := good()
		if c.mutate != nil {
			c.mutate(e)
		}
		o := checks[c.check].run(Item{ID: c.item}, e, now)
		if o.state != c.want || !strings.Contains(o.why, c.wantWhy) {
			t.Errorf("%s on %s: state %d why %q; want %d containing %q", c.check, c.item, o.state, o.why, c.want, c.wantWhy)
		}
		if o.state == fail && len(o.evidence) == 0 && c.check != "vulns.monitored" && c.check != "disclosure.published" && c.check != "release.identified" && c.check != "threats.model_checked" {
			t.Errorf("%s fails without evidence links", c.check)
		}
		tested[c.check] = true
	}
	for _, name := range CheckNames() {
		if !tested[name] && !strings.HasPrefix(name, "threats.stride_") {
			t.Errorf("check %s has no test", name)
		}
	}
}

func TestAssess(t *testing.T) {
	etsi, err := LoadCatalog(ETSI)
	if err != nil {
		t.Fatal(err)
	}
	e := good()
	e.Firmware.Issues = []FirmwareIssue{{ID: "F1", Kind: "default_password", Path: "/etc/shadow", Severity: "critical"}}
	answers := []Answer{
		{Catalog: ETSI, Item: "5.8-3", Status: NotApplicable, Justification: "the device has no sensors", Version: 1},
		{Catalog: ETSI, Item: "5.11-1", Status: NotMet, Justification: "no factory reset yet", Version: 1},
		{Catalog: ETSI, Item: "5.11-1", Status: Met, Justification: "factory reset in 2.1", Version: 2, EvidenceURL: "https://docs.example/reset"},
		{Catalog: CRA, Item: "5.6-3", Status: Met, Justification: "other catalogue", Version: 1},
	}
	r := Assess(etsi, e, answers, now)
	get := func(id string) Result {
		for _, it := range r.Items {
			if it.ID == id {
				return it
			}
		}
		t.Fatalf("no item %s", id)
		return Result{}
	}
	if it := get("5.1-1"); it.Status != NotMet || !strings.Contains(it.Justification, "/etc/shadow") || it.Evidence[0].Kind != "firmware_issue" {
		t.Errorf("5.1-1 = %+v", it)
	}
	if it := get("5.3-13"); it.Status != Met || it.Source != "automatic" {
		t.Errorf("5.3-13 = %+v", it)
	}
	if it := get("5.8-3"); it.Status != NotApplicable || it.Source != "manual" {
		t.Errorf("5.8-3 = %+v", it)
	}
	if it := get("5.11-1"); it.Status != Met || it.Answer.Version != 2 || it.Evidence[len(it.Evidence)-1].URL != "https://docs.example/reset" {
		t.Errorf("5.11-1 uses an old answer: %+v", it)
	}
	if it := get("5.6-3"); it.Status != NeedsEvidence || !strings.Contains(it.Justification, "no automatic check") {
		t.Errorf("5.6-3 = %+v", it)
	}
	s := r.Summary
	if s.Met+s.NotMet+s.NotApplicable+s.NeedsEvidence != len(etsi.Items) || s.NotMet == 0 || s.Met == 0 || s.NotApplicable != 1 {
		t.Errorf("summary %+v", s)
	}
	if gaps := r.Gaps(); len(gaps) == 0 || gaps[0].Level != "mandatory" || gaps[0].ID != "5.1-1" {
		t.Errorf("gaps start with %+v", gaps[0])
	}
	// Fixing the firmware moves 5.1-1 to met; Compare names it.
	e2 := good()
	r2 := Assess(etsi, e2, answers, now)
	changes := Compare(r, r2)
	found := false
	for _, c := range changes {
		if c.ID == "5.1-1" && c.Before == NotMet && c.After == Met {
			found = true
		}
	}
	if !found {
		t.Errorf("Compare = %+v", changes)
	}
	// A manual answer that contradicts the checks keeps them visible.
	r3 := Assess(etsi, e, []Answer{{Catalog: ETSI, Item: "5.1-1", Status: Met, Justification: "passwords are per device", Version: 1}}, now)
	for _, it := range r3.Items {
		if it.ID == "5.1-1" && (it.AutoStatus != NotMet || !strings.Contains(it.Justification, "automatic checks say not met")) {
			t.Errorf("override hides the checks: %+v", it)
		}
	}
}

func TestAnswerValidate(t *testing.T) {
	etsi, _ := LoadCatalog(ETSI)
	ok := Answer{Item: "5.1-4", Status: Met, Justification: "web UI lets the user change it"}
	if err := ok.Validate(etsi); err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]Answer{
		"unknown item":     {Item: "9.9-9", Status: Met, Justification: "x"},
		"bad status":       {Item: "5.1-4", Status: "done", Justification: "x"},
		"no justification": {Item: "5.1-4", Status: NotApplicable, Justification: "  "},
		"javascript url":   {Item: "5.1-4", Status: Met, Justification: "x", EvidenceURL: "javascript:alert(1)"},
	} {
		if err := a.Validate(etsi); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestWriteHTML(t *testing.T) {
	cra, _ := LoadCatalog(CRA)
	e := good()
	e.Firmware.Issues = []FirmwareIssue{{ID: "9", Kind: "debug_interface", Path: "/etc/inittab"}}
	r := Assess(cra, e, []Answer{{Catalog: CRA, Item: "I.2g", Status: Met, Justification: "only <b>telemetry</b> needed", Author: "alice", Reviewer: "bob", Version: 1}}, now)
	var b strings.Builder
	if err := WriteHTML(&b, r, HTMLOptions{Base: "https://rampart.example/", Changes: []Change{{ID: "I.2j", Title: "Limited attack surfaces", Before: Met, After: NotMet}}, Previous: "2.0.0"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"Technical documentation: essential requirements", "Annex VII", "I.2j", "https://rampart.example/findings/9",
		"only &lt;b&gt;telemetry&lt;/b&gt; needed", "reviewed by bob", "Changes since 2.0.0", "Part II: vulnerability handling requirements"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Index(out, "<h2>Gaps</h2>") > strings.Index(out, "<h2>I Part I") {
		t.Error("gaps are not first")
	}
	if !strings.HasPrefix(StyleHash(), "'sha256-") {
		t.Error(StyleHash())
	}
}
