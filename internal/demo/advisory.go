package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/advisory/csaf"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/store"
)

// The demo vendor as CSAF publisher.
const (
	Vendor          = "Northwind Devices GmbH"
	VendorNamespace = "https://northwind-devices.example"
)

// advisoryScenario is one demo advisory: a vulnerability of a component,
// the component versions it affects, and how each release is assessed.
type advisoryScenario struct {
	product   string
	component string
	affected  string // version range of the component (inventory.ParseVersionRange syntax)
	vuln      advisory.VulnInput
	category  string
	title     string
	summary   string
	// notAffected is the VEX justification for releases whose component
	// version is outside the range (empty: those releases are "fixed").
	notAffected, impact string
	workaround          string
}

func advisoryScenarios() []advisoryScenario {
	return []advisoryScenario{
		{product: "Industrial Gateway IG-400", component: "busybox", affected: "<1.36.0",
			title:   "BusyBox stack overflow in Industrial Gateway IG-400 firmware",
			summary: "IG-400 firmware 3.1.0 ships BusyBox 1.35.0, whose ash shell has a stack overflow (CVE-2022-48174). Later firmware ships a fixed BusyBox.",
			vuln: advisory.VulnInput{CVE: "CVE-2022-48174", Title: "BusyBox ash stack overflow",
				Description: "A stack overflow in the BusyBox ash shell (through 1.35.0) lets a local or network attacker who can feed input to a shell script execute code.",
				CWE:         &csaf.CWE{ID: "CWE-787", Name: "Out-of-bounds Write"},
				CVSSv3:      []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
				References:  []csaf.Reference{{Category: "external", Summary: "CVE-2022-48174", URL: "https://www.cve.org/CVERecord?id=CVE-2022-48174"}}},
			workaround: "Restrict the maintenance shell to the local service port until the update is installed."},
		{product: "Industrial Gateway IG-400", component: "dropbear", affected: "<2024.84",
			title:   "Terrapin SSH prefix truncation in Industrial Gateway IG-400",
			summary: "The Dropbear SSH server of IG-400 firmware before 3.3.0-rc1 is vulnerable to the Terrapin attack (CVE-2023-48795).",
			vuln: advisory.VulnInput{CVE: "CVE-2023-48795", Title: "SSH prefix truncation (Terrapin)",
				Description: "A man-in-the-middle attacker can truncate the SSH handshake and downgrade connection security when ChaCha20-Poly1305 or CBC-EtM are used.",
				CWE:         &csaf.CWE{ID: "CWE-354", Name: "Improper Validation of Integrity Check Value"},
				CVSSv3:      []string{"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N"},
				References:  []csaf.Reference{{Category: "external", Summary: "Terrapin attack", URL: "https://terrapin-attack.com/"}}},
			workaround: "Disable the chacha20-poly1305 cipher and EtM MACs in the SSH configuration."},
		{product: "Smart Thermostat T5", component: "mbedtls", affected: "<2.28.5",
			title:   "Mbed TLS buffer overflow in Smart Thermostat T5",
			summary: "Smart Thermostat T5 firmware 1.8.2 ships Mbed TLS 2.28.3 with a buffer overflow in TLS handshake handling (CVE-2023-43615).",
			vuln: advisory.VulnInput{CVE: "CVE-2023-43615", Title: "Mbed TLS buffer overflow",
				Description: "Mbed TLS 2.x before 2.28.5 and 3.x before 3.5.0 has a buffer overflow when a TLS handshake uses certain cipher suites.",
				CWE:         &csaf.CWE{ID: "CWE-120", Name: "Buffer Copy without Checking Size of Input ('Classic Buffer Overflow')"},
				CVSSv3:      []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
				References:  []csaf.Reference{{Category: "external", Summary: "Mbed TLS security advisory 2023-10-1", URL: "https://mbed-tls.readthedocs.io/en/latest/security-advisories/mbedtls-security-advisory-2023-10-1/"}}}},
		{product: "Industrial Gateway IG-400", component: "openssl", affected: ">=3.0.0, <3.0.8", category: "csaf_vex",
			title:       "Industrial Gateway IG-400 is not affected by the OpenSSL X.400 type confusion",
			summary:     "VEX statement: no IG-400 release ships a vulnerable OpenSSL (CVE-2023-0286).",
			notAffected: "vulnerable_code_not_present", impact: "The OpenSSL version in this release already contains the fix for CVE-2023-0286.",
			vuln: advisory.VulnInput{CVE: "CVE-2023-0286", Title: "OpenSSL X.400 address type confusion",
				Description: "A type confusion in X.400 address processing in X.509 GeneralName lets an attacker read memory or cause a denial of service.",
				CWE:         &csaf.CWE{ID: "CWE-843", Name: "Access of Resource Using Incompatible Type ('Type Confusion')"}}},
	}
}

// SeedAdvisories authors and publishes the demo's TLP:WHITE advisories from
// the demo inventory (the component versions of every release), unless
// advisories exist already. It returns the number published.
func SeedAdvisories(ctx context.Context, st *store.Store, cfg advisory.Config) (int, error) {
	existing, err := st.CSAFAdvisories(ctx, advisory.Filter{})
	if err != nil || len(existing) > 0 {
		return 0, err
	}
	clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	svc := advisory.NewService(st, cfg, func() time.Time { return clock })
	n := 0
	for _, sc := range advisoryScenarios() {
		prod, err := st.ProductByName(ctx, sc.product)
		if err != nil {
			return n, fmt.Errorf("demo advisory: product %s: %w", sc.product, err)
		}
		in, err := scenarioInput(ctx, st, prod, sc, cfg.Publisher.Name)
		if err != nil {
			return n, err
		}
		doc, err := advisory.Build(in)
		if err != nil {
			return n, err
		}
		a, err := svc.Create(ctx, User, advisory.Draft{ProductID: prod.ID, TLP: "WHITE", RequireReview: true, Document: doc})
		if err != nil {
			return n, err
		}
		if _, err := svc.Submit(ctx, User, a.ID); err != nil {
			return n, fmt.Errorf("demo advisory %s: %w", a.TrackingID, err)
		}
		clock = clock.Add(26 * time.Hour)
		if _, err := svc.Publish(ctx, "psirt-reviewer", a.ID, ""); err != nil {
			return n, fmt.Errorf("demo advisory %s: %w", a.TrackingID, err)
		}
		n++
	}
	return n, nil
}

// scenarioInput assesses every release of the product: affected when its
// component version is in the range (fixed in the first later release that
// is not), else fixed (or not affected with the scenario's justification).
func scenarioInput(ctx context.Context, st *store.Store, prod inventory.Product, sc advisoryScenario, vendor string) (advisory.Input, error) {
	rng, err := inventory.ParseVersionRange(sc.affected)
	if err != nil {
		return advisory.Input{}, err
	}
	rels, _, err := st.Releases(ctx, prod.ID, "", 100)
	if err != nil {
		return advisory.Input{}, err
	}
	type assessed struct {
		version  string
		affected bool
	}
	var list []assessed
	for _, r := range rels {
		comps, err := st.AllComponents(ctx, r.ID)
		if err != nil {
			return advisory.Input{}, err
		}
		for _, c := range comps {
			if c.Name == sc.component {
				list = append(list, assessed{r.Version, rng.Contains(c.Version)})
				break
			}
		}
	}
	v := sc.vuln
	for i, a := range list {
		rs := advisory.ReleaseStatus{Product: prod.Name, Version: a.version}
		switch {
		case a.affected:
			rs.Status, rs.Workaround = advisory.Affected, sc.workaround
			for _, later := range list[i+1:] {
				if !later.affected {
					rs.FixedIn = later.version
					break
				}
			}
		case sc.notAffected != "":
			rs.Status, rs.Justification, rs.Impact = advisory.NotAffected, sc.notAffected, sc.impact
		default:
			rs.Status = advisory.Fixed
		}
		v.Releases = append(v.Releases, rs)
	}
	if len(v.Releases) == 0 {
		return advisory.Input{}, fmt.Errorf("demo advisory: no release of %s ships %s", prod.Name, sc.component)
	}
	return advisory.Input{Category: sc.category, Title: sc.title, Summary: sc.summary, Vendor: vendor,
		References:      []csaf.Reference{{Category: "external", Summary: "Northwind Devices PSIRT", URL: VendorNamespace + "/psirt"}},
		Vulnerabilities: []advisory.VulnInput{v}}, nil
}
