package conformity

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// outcome is one check's answer.
type outcome struct {
	state    state
	why      string
	evidence []Link
}

type state int

const (
	skip    state = iota // the check does not apply to this item
	unknown              // the evidence it needs is missing
	pass
	fail
)

type checkFunc func(it Item, e *Evidence, now time.Time) outcome

type check struct {
	doc string
	run checkFunc
}

// checks is the library of automatic checks, by name.
var checks = map[string]check{
	"sbom.present":                          {"the release has an SBOM with at least one component", sbomPresent},
	"vulns.monitored":                       {"the release has an SBOM and the vulnerability database changed within 7 days", vulnsMonitored},
	"vulns.no_exploited":                    {"no open vulnerability of the release is known exploited (CISA KEV, EUVD, CSAF, CVE 5 SSVC)", noExploited},
	"vulns.no_open_critical":                {"no open critical vulnerability of the release", noOpenCritical},
	"vulns.sla_compliance":                  {"no scanner finding is past its SLA and ≥90% of closed findings were closed within it", slaCompliance},
	"release.support_period":                {"the release states the end of its support period", supportPeriod},
	"release.identified":                    {"the release has a product name and a version", releaseIdentified},
	"threats.etsi":                          {"no open threat from a rule mapped to this ETSI provision in the checked threat model", threatsETSI},
	"threats.model_checked":                 {"a threat model exists and has no open critical or high threat", modelChecked},
	"threats.stride_spoofing":               {"no open Spoofing threat of high or critical severity", strideCheck("Spoofing")},
	"threats.stride_tampering":              {"no open Tampering threat of high or critical severity", strideCheck("Tampering")},
	"threats.stride_information_disclosure": {"no open Information disclosure threat of high or critical severity", strideCheck("Information disclosure")},
	"threats.stride_denial_of_service":      {"no open Denial of service threat of high or critical severity", strideCheck("Denial of service")},
	"firmware.no_default_password":          {"the firmware analysis found no default, empty or weak password", firmwareKinds("no default, empty or weak password", "default_password", "empty_password")},
	"firmware.accounts":                     {"the firmware analysis found no default or empty password and no extra uid-0 account", firmwareKinds("no default or empty password and no extra uid-0 account", "default_password", "empty_password", "uid0_account")},
	"firmware.no_embedded_secrets":          {"the firmware analysis found no private key, hard-coded credential or API token", firmwareKinds("no private key, hard-coded credential or API token", "private_key", "hardcoded_credential", "hardcoded_api_token")},
	"firmware.no_cleartext_service":         {"the firmware analysis found no cleartext service (telnet, ftp, …) started at boot", firmwareKinds("no cleartext service started at boot", "cleartext_service")},
	"firmware.no_debug_interface":           {"the firmware analysis found no enabled debug interface or root serial console", firmwareKinds("no enabled debug interface", "debug_interface")},
	"firmware.secure_config":                {"the firmware analysis found no insecure configuration", firmwareKinds("no insecure configuration", "insecure_config")},
	"firmware.least_privilege":              {"the firmware analysis found no setuid-root binary and no world-writable file or directory", firmwareKinds("no setuid-root binary and no world-writable path", "setuid_root", "world_writable_file", "world_writable_dir")},
	"firmware.hardening":                    {"every analysed ELF binary has NX, and ≥90% have PIE, full RELRO and a stack canary", firmwareHardening},
	"updates.signed":                        {"the product has a TUF-signed update repository with at least one published image", updatesSigned},
	"advisories.published":                  {"at least one security advisory is published for the product", advisoriesPublished},
	"disclosure.published":                  {"a vulnerability disclosure policy and report contact are published (security.txt)", disclosurePublished},
	"development.evidence":                  {"security testing is on record: scanner reports imported for the release and a threat model", developmentEvidence},
}

func releaseLink(e *Evidence) Link {
	return Link{Kind: "release", ID: strconv.FormatInt(e.ReleaseID, 10), URL: fmt.Sprintf("/releases/%d", e.ReleaseID)}
}

func sbomPresent(_ Item, e *Evidence, _ time.Time) outcome {
	link := Link{Kind: "sbom", ID: strconv.FormatInt(e.ReleaseID, 10), URL: fmt.Sprintf("/releases/%d/sbom", e.ReleaseID)}
	if e.SBOM == nil || e.SBOM.Components == 0 {
		return outcome{state: fail, why: "release " + e.Version + " has no SBOM: upload one (CycloneDX or SPDX)", evidence: []Link{releaseLink(e)}}
	}
	return outcome{state: pass, why: fmt.Sprintf("SBOM of release %s lists %d components", e.Version, e.SBOM.Components), evidence: []Link{link}}
}

func vulnsMonitored(it Item, e *Evidence, now time.Time) outcome {
	if o := sbomPresent(it, e, now); o.state != pass {
		return o
	}
	if e.Vulns.FeedsUpdated == nil {
		return outcome{state: fail, why: "the vulnerability database has never been updated: run `rampart vulndb update` or enable feed sync"}
	}
	if age := now.Sub(*e.Vulns.FeedsUpdated); age > 7*24*time.Hour {
		return outcome{state: fail, why: fmt.Sprintf("the vulnerability database was last updated %d days ago", int(age.Hours()/24))}
	}
	return outcome{state: pass, why: "the SBOM is matched continuously against a vulnerability database updated " + e.Vulns.FeedsUpdated.UTC().Format("2006-01-02"),
		evidence: []Link{releaseLink(e)}}
}

func vulnLinks(vs []VulnRef) []Link {
	var out []Link
	for _, v := range vs {
		out = append(out, Link{Kind: "vulnerability", ID: v.ID, URL: "/vulnerabilities/" + v.ID})
	}
	return out
}

func noExploited(_ Item, e *Evidence, _ time.Time) outcome {
	if e.SBOM == nil {
		return outcome{state: unknown, why: "no SBOM: Rampart cannot tell which known-exploited vulnerabilities affect the release"}
	}
	var exploited []VulnRef
	var sources []string
	for _, v := range e.Vulns.Open {
		if v.KEV || len(v.Exploited) > 0 {
			exploited = append(exploited, v)
			sources = append(sources, v.Exploited...)
			if v.KEV {
				sources = append(sources, "kev")
			}
		}
	}
	if len(exploited) > 0 {
		slices.Sort(sources)
		return outcome{state: fail, why: fmt.Sprintf("%d open known-exploited vulnerabilities (%s): %s", len(exploited), strings.ToUpper(strings.Join(slices.Compact(sources), ", ")), vulnIDs(exploited)), evidence: vulnLinks(exploited)}
	}
	return outcome{state: pass, why: "no open vulnerability of the release is known exploited (CISA KEV, EUVD, CSAF, CVE 5 SSVC)", evidence: []Link{releaseLink(e)}}
}

func noOpenCritical(_ Item, e *Evidence, _ time.Time) outcome {
	if e.SBOM == nil {
		return outcome{state: unknown, why: "no SBOM: Rampart cannot tell which vulnerabilities affect the release"}
	}
	var crit []VulnRef
	for _, v := range e.Vulns.Open {
		if strings.EqualFold(v.Severity, "critical") {
			crit = append(crit, v)
		}
	}
	if len(crit) > 0 {
		return outcome{state: fail, why: fmt.Sprintf("%d open critical vulnerabilities: %s", len(crit), vulnIDs(crit)), evidence: vulnLinks(crit)}
	}
	return outcome{state: pass, why: "no open critical vulnerability", evidence: []Link{releaseLink(e)}}
}

func vulnIDs(vs []VulnRef) string {
	var ids []string
	for i, v := range vs {
		if i == 5 {
			ids = append(ids, fmt.Sprintf("and %d more", len(vs)-5))
			break
		}
		ids = append(ids, v.ID)
	}
	return strings.Join(ids, ", ")
}

func slaCompliance(_ Item, e *Evidence, _ time.Time) outcome {
	s := e.SLA
	if len(s.Overdue) > 0 {
		var links []Link
		for i, id := range s.Overdue {
			if i == 20 {
				break
			}
			links = append(links, Link{Kind: "finding", ID: strconv.FormatInt(id, 10), URL: fmt.Sprintf("/findings/%d", id)})
		}
		return outcome{state: fail, why: fmt.Sprintf("%d findings are past their SLA", len(s.Overdue)), evidence: links}
	}
	if s.Closed == 0 {
		return outcome{state: unknown, why: "no closed scanner finding yet: SLA compliance cannot be shown"}
	}
	pct := 100 * s.ClosedInSLA / s.Closed
	link := Link{Kind: "findings", ID: strconv.FormatInt(e.ProductID, 10), URL: fmt.Sprintf("/findings?product=%d", e.ProductID)}
	if pct < 90 {
		return outcome{state: fail, why: fmt.Sprintf("only %d%% of %d closed findings were closed within their SLA (target 90%%)", pct, s.Closed), evidence: []Link{link}}
	}
	return outcome{state: pass, why: fmt.Sprintf("%d%% of %d closed findings were closed within their SLA; none is overdue", pct, s.Closed), evidence: []Link{link}}
}

func supportPeriod(_ Item, e *Evidence, now time.Time) outcome {
	if e.SupportEnd == nil {
		return outcome{state: fail, why: "release " + e.Version + " states no end of support: set its support period", evidence: []Link{releaseLink(e)}}
	}
	why := "supported until " + e.SupportEnd.UTC().Format("2006-01-02")
	if e.SupportEnd.Before(now) {
		why += " (ended)"
	} else {
		why += fmt.Sprintf(" (%d days left)", int(e.SupportEnd.Sub(now).Hours()/24))
	}
	return outcome{state: pass, why: why, evidence: []Link{releaseLink(e)}}
}

func releaseIdentified(_ Item, e *Evidence, _ time.Time) outcome {
	if e.Product == "" || e.Version == "" {
		return outcome{state: fail, why: "the release has no product name or version"}
	}
	return outcome{state: pass, why: "recorded as " + e.Product + " " + e.Version, evidence: []Link{releaseLink(e)}}
}

func threatModelLink(e *Evidence) Link {
	return Link{Kind: "threat_model", ID: strconv.Itoa(e.Threats.Version), URL: fmt.Sprintf("/products/%d/threatmodel", e.ProductID)}
}

func threatLink(e *Evidence, t ThreatRef) Link {
	return Link{Kind: "threat", ID: t.ID, URL: fmt.Sprintf("/products/%d/threatmodel#%s", e.ProductID, t.ID)}
}

func openThreat(t ThreatRef) bool { return t.Status == "" || t.Status == "open" }

func threatsETSI(it Item, e *Evidence, _ time.Time) outcome {
	if e.Threats == nil {
		// Only relevant when some rule maps to the provision; without a
		// model we cannot know the rule set, so say what is missing.
		return outcome{state: unknown, why: "no threat model for the product: its rules mapped to " + it.ID + " cannot be checked"}
	}
	var rules []string
	for r, ids := range e.Threats.RuleETSI {
		if slices.Contains(ids, it.ID) {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		return outcome{state: skip}
	}
	sort.Strings(rules)
	var open []ThreatRef
	for _, t := range e.Threats.Threats {
		if openThreat(t) && slices.Contains(rules, t.Rule) {
			open = append(open, t)
		}
	}
	if len(open) > 0 {
		var links []Link
		var ids []string
		for _, t := range open {
			links = append(links, threatLink(e, t))
			ids = append(ids, t.ID+" ("+t.Title+")")
		}
		return outcome{state: fail, why: fmt.Sprintf("%d open threats from rules %s: %s", len(open), strings.Join(rules, ", "), strings.Join(ids, "; ")), evidence: links}
	}
	return outcome{state: pass, why: fmt.Sprintf("threat model v%d checked with rules %s: no open threat", e.Threats.Version, strings.Join(rules, ", ")),
		evidence: []Link{threatModelLink(e)}}
}

func modelChecked(_ Item, e *Evidence, _ time.Time) outcome {
	if e.Threats == nil {
		return outcome{state: fail, why: "no threat model (risk assessment) for the product: add one"}
	}
	var bad []Link
	for _, t := range e.Threats.Threats {
		if openThreat(t) && (t.Severity == "critical" || t.Severity == "high") {
			bad = append(bad, threatLink(e, t))
		}
	}
	if len(bad) > 0 {
		return outcome{state: fail, why: fmt.Sprintf("threat model v%d has %d open critical or high threats", e.Threats.Version, len(bad)), evidence: bad}
	}
	return outcome{state: pass, why: fmt.Sprintf("threat model v%d: %d threats, none critical or high still open", e.Threats.Version, len(e.Threats.Threats)), evidence: []Link{threatModelLink(e)}}
}

func strideCheck(category string) checkFunc {
	return func(_ Item, e *Evidence, _ time.Time) outcome {
		if e.Threats == nil {
			return outcome{state: unknown, why: "no threat model for the product"}
		}
		var bad []Link
		for _, t := range e.Threats.Threats {
			if openThreat(t) && strings.EqualFold(t.STRIDE, category) && (t.Severity == "critical" || t.Severity == "high") {
				bad = append(bad, threatLink(e, t))
			}
		}
		if len(bad) > 0 {
			return outcome{state: fail, why: fmt.Sprintf("%d open %s threats of high or critical severity", len(bad), category), evidence: bad}
		}
		return outcome{state: pass, why: fmt.Sprintf("threat model v%d: no open high or critical %s threat", e.Threats.Version, category), evidence: []Link{threatModelLink(e)}}
	}
}

func firmwareLink(e *Evidence) Link {
	return Link{Kind: "firmware", ID: e.Firmware.Image, URL: fmt.Sprintf("/releases/%d/firmware", e.ReleaseID)}
}

func firmwareKinds(what string, kinds ...string) checkFunc {
	return func(_ Item, e *Evidence, _ time.Time) outcome {
		if e.Firmware == nil {
			return outcome{state: unknown, why: "no firmware analysis for release " + e.Version + ": upload its image"}
		}
		var bad []Link
		var paths []string
		for _, is := range e.Firmware.Issues {
			if slices.Contains(kinds, is.Kind) {
				bad = append(bad, Link{Kind: "firmware_issue", ID: is.ID, URL: "/findings/" + is.ID})
				if len(paths) < 5 {
					paths = append(paths, is.Kind+" "+is.Path)
				}
			}
		}
		if len(bad) > 0 {
			return outcome{state: fail, why: fmt.Sprintf("firmware analysis of %s: %d issues (%s)", e.Firmware.Image, len(bad), strings.Join(paths, "; ")), evidence: bad}
		}
		return outcome{state: pass, why: "firmware analysis of " + e.Firmware.Image + ": " + what, evidence: []Link{firmwareLink(e)}}
	}
}

func firmwareHardening(_ Item, e *Evidence, _ time.Time) outcome {
	if e.Firmware == nil {
		return outcome{state: unknown, why: "no firmware analysis for release " + e.Version + ": upload its image"}
	}
	n := len(e.Firmware.Binaries)
	if n == 0 {
		return outcome{state: unknown, why: "the firmware analysis found no ELF binaries"}
	}
	var noNX []string
	strong := 0
	for _, b := range e.Firmware.Binaries {
		if !b.NX {
			noNX = append(noNX, b.Path)
		}
		if b.PIE && b.RELRO == "full" && b.Canary {
			strong++
		}
	}
	pct := 100 * strong / n
	if len(noNX) > 0 || pct < 90 {
		why := fmt.Sprintf("%d of %d binaries have PIE, full RELRO and a canary (%d%%, target 90%%)", strong, n, pct)
		if len(noNX) > 0 {
			why += fmt.Sprintf("; %d without NX (e.g. %s)", len(noNX), noNX[0])
		}
		return outcome{state: fail, why: why, evidence: []Link{firmwareLink(e)}}
	}
	return outcome{state: pass, why: fmt.Sprintf("all %d binaries have NX; %d%% have PIE, full RELRO and a canary", n, pct), evidence: []Link{firmwareLink(e)}}
}

func updatesSigned(_ Item, e *Evidence, _ time.Time) outcome {
	if e.Updates == nil || e.Updates.Targets == 0 {
		return outcome{state: unknown, why: "no signed update published for the product: set up its TUF repository (`rampart updates init`) and publish an image"}
	}
	return outcome{state: pass, why: fmt.Sprintf("TUF-signed update repository with %d published images", e.Updates.Targets),
		evidence: []Link{{Kind: "updates", ID: strconv.FormatInt(e.ProductID, 10), URL: e.Updates.URL}}}
}

func advisoriesPublished(_ Item, e *Evidence, _ time.Time) outcome {
	if len(e.Advisories) == 0 {
		return outcome{state: unknown, why: "no security advisory published for the product yet"}
	}
	return outcome{state: pass, why: fmt.Sprintf("%d published security advisories", len(e.Advisories)), evidence: e.Advisories}
}

func disclosurePublished(_ Item, e *Evidence, _ time.Time) outcome {
	if e.Disclosure == nil || e.Disclosure.PolicyURL == "" {
		return outcome{state: fail, why: "no vulnerability disclosure policy published: configure the disclosure contact and policy"}
	}
	return outcome{state: pass, why: "disclosure policy " + e.Disclosure.PolicyURL + ", reports to " + e.Disclosure.ContactURL,
		evidence: []Link{{Kind: "disclosure", ID: "security.txt", URL: e.Disclosure.PolicyURL}}}
}

func developmentEvidence(_ Item, e *Evidence, _ time.Time) outcome {
	d := e.Development
	if d == nil || d.Scans == 0 {
		return outcome{state: unknown, why: "no scanner report imported for release " + e.Version}
	}
	if e.Threats == nil {
		return outcome{state: unknown, why: fmt.Sprintf("%d scanner reports on record but no threat model", d.Scans)}
	}
	return outcome{state: pass, why: fmt.Sprintf("%d scanner reports (%s) and threat model v%d on record", d.Scans, strings.Join(d.Tools, ", "), e.Threats.Version),
		evidence: []Link{{Kind: "scan", ID: strconv.FormatInt(e.ReleaseID, 10), URL: fmt.Sprintf("/api/v1/releases/%d/scans", e.ReleaseID)}, threatModelLink(e)}}
}
