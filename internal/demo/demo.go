// Package demo seeds a realistic device-maker portfolio for `rampart serve
// --demo`: an industrial gateway running embedded Linux, a smart thermostat
// on an RTOS, a Go cloud backend and a Python mobile-app backend, each with
// several releases. The SBOMs are written by Rampart's own CycloneDX encoder
// and imported through the normal, validating import path.
package demo

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/sbom"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// User is the demo administrator's name. Its password is generated at
// every start; there is no fixed demo password.
const User = "demo"

type product struct {
	inventory.Product
	releases    []release
	threatModel string // template to start the threat model from
}

type release struct {
	version    string
	date       string
	supportEnd string
	status     inventory.ReleaseStatus
	components []inventory.Component
}

// Seed creates the demo portfolio when the store has no products yet and
// returns the number of releases it imported.
func Seed(ctx context.Context, st *store.Store) (int, error) {
	existing, _, err := st.Products(ctx, "", 1)
	if err != nil {
		return 0, err
	}
	if len(existing) > 0 {
		return 0, nil
	}
	n := 0
	for _, p := range Portfolio() {
		prod := p.Product
		if err := st.CreateProduct(ctx, &prod); err != nil {
			return n, err
		}
		for _, r := range p.releases {
			rel := inventory.Release{ProductID: prod.ID, Version: r.version, Status: r.status}
			rel.ReleaseDate, rel.SupportEnd = day(r.date), day(r.supportEnd)
			if err := st.CreateRelease(ctx, &rel); err != nil {
				return n, err
			}
			var buf bytes.Buffer
			created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			if rel.ReleaseDate != nil {
				created = *rel.ReleaseDate
			}
			exp := sbom.Export{Name: prod.Name, Version: r.version, Supplier: "Northwind Devices GmbH", Components: r.components,
				Created: created, DependsOn: sbom.Roots(r.components)}
			if err := sbom.EncodeCycloneDX(&buf, exp); err != nil {
				return n, fmt.Errorf("write demo SBOM for %s %s: %w", prod.Name, r.version, err)
			}
			name := strings.ToLower(strings.ReplaceAll(prod.Name, " ", "-")) + "-" + r.version + ".cdx.json"
			if _, err := portfolio.ImportSBOM(ctx, st, rel.ID, name, buf.Bytes()); err != nil {
				return n, fmt.Errorf("import demo SBOM %s: %w", name, err)
			}
			n++
		}
		if p.threatModel != "" {
			tpl, err := threatmodel.Template(p.threatModel)
			if err != nil {
				return n, err
			}
			if _, err := portfolio.SaveThreatModel(ctx, st, prod.ID, tpl, p.threatModel+".yaml", "demo: started from the "+p.threatModel+" template", User); err != nil {
				return n, fmt.Errorf("demo threat model: %w", err)
			}
		}
	}
	// Scans at past dates: weeks of trend, findings past their SLA.
	if err := seedHistory(ctx, st, time.Now()); err != nil {
		return n, err
	}
	if _, err := seedVulnData(ctx, st); err != nil {
		return n, err
	}
	if err := seedVEX(ctx, st); err != nil {
		return n, err
	}
	if err := seedIncidents(ctx, st); err != nil {
		return n, fmt.Errorf("demo incidents: %w", err)
	}
	if err := seedConformity(ctx, st); err != nil {
		return n, err
	}
	return n, seedPolicy(ctx, st)
}

func day(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic("demo: bad date " + s)
	}
	return &t
}

// Portfolio returns the demo products with their releases.
func Portfolio() []product {
	return []product{
		{
			Product: inventory.Product{Name: "Industrial Gateway IG-400", Owner: "Edge Platform team", Criticality: 5, Exposure: inventory.ExposureInternet,
				Description: "Embedded Linux gateway bridging Modbus/PROFINET field buses to the cloud over LTE and Ethernet."},
			releases: []release{
				{"3.1.0", "2025-04-14", "2030-04-14", inventory.StatusEndOfLife, gateway("5.10.180", "1.35.0", "1.1.1t", "2022.83", "1.4.69", "2.89", "2022.04", "7.88.1", "1.2.13")},
				{"3.2.0", "2025-11-03", "2030-11-03", inventory.StatusShipped, gateway("5.15.120", "1.36.0", "3.0.11", "2022.83", "1.4.71", "2.89", "2023.04", "8.4.0", "1.3")},
				{"3.3.0-rc1", "", "", inventory.StatusDevelopment, gateway("6.1.70", "1.36.1", "3.0.13", "2024.84", "1.4.73", "2.90", "2024.01", "8.6.0", "1.3.1")},
			},
			threatModel: "industrial-gateway",
		},
		{
			Product: inventory.Product{Name: "Smart Thermostat T5", Owner: "Home Devices team", Criticality: 3, Exposure: inventory.ExposureLocal,
				Description: "Wi-Fi and BLE room thermostat on ESP32 with FreeRTOS; paired through the mobile app."},
			releases: []release{
				{"1.8.2", "2025-06-02", "2029-06-02", inventory.StatusShipped, thermostat("10.4.3", "2.28.3", "4.4.4", "2.1.3")},
				{"1.9.0", "2026-02-16", "2030-02-16", inventory.StatusShipped, thermostat("10.5.1", "3.5.2", "5.1.2", "2.2.0")},
			},
			threatModel: "smart-home",
		},
		{
			Product: inventory.Product{Name: "Fleet Cloud Backend", Owner: "Cloud team", Criticality: 4, Exposure: inventory.ExposureInternet,
				Description: "Go service that receives device telemetry over MQTT and serves the fleet-management API."},
			releases: []release{
				{"2026.03.1", "2026-03-09", "", inventory.StatusShipped, goBackend("v0.17.0", "v1.59.0", "v0.21.0", "v5.4.1")},
				{"2026.05.0", "2026-05-18", "", inventory.StatusShipped, goBackend("v0.23.0", "v1.64.0", "v0.27.0", "v5.7.1")},
			},
		},
		{
			Product: inventory.Product{Name: "Companion App API", Owner: "Mobile team", Criticality: 3, Exposure: inventory.ExposureInternet,
				Description: "Python backend of the iOS/Android companion app: accounts, device pairing, push notifications."},
			releases: []release{
				{"4.2.0", "2025-09-22", "", inventory.StatusShipped, pyBackend("2.3.2", "2.31.0", "41.0.3", "3.1.2")},
				{"4.3.0", "2026-04-06", "", inventory.StatusShipped, pyBackend("3.0.3", "2.32.3", "43.0.1", "3.1.4")},
			},
		},
	}
}

// backendFindings are static-analysis results for the demo's Go backend,
// in the shape gosec reports them.
func backendFindings() []findings.Finding {
	f := func(rule, title string, sev findings.Severity, cwe int, file string, line int, fix string) findings.Finding {
		x := findings.Finding{Title: title, Severity: sev, RuleID: rule, CWEs: []int{cwe}, Mitigation: fix, Tool: "gosec",
			Locations: []findings.Location{{File: file, Line: line}}}
		x.Normalize()
		return x
	}
	return []findings.Finding{
		f("G201", "SQL string formatting", findings.High, 89, "internal/fleet/query.go", 88, "Use parameterised queries (pgx placeholders) instead of fmt.Sprintf."),
		f("G402", "TLS InsecureSkipVerify set true", findings.High, 295, "internal/mqtt/client.go", 41, "Verify the broker certificate; pin the fleet CA."),
		f("G107", "Url provided to HTTP request as taint input", findings.Medium, 88, "internal/ota/fetch.go", 57, "Only fetch firmware from the configured update origin."),
		f("G404", "Use of weak random number generator (math/rand)", findings.Medium, 338, "internal/pairing/code.go", 23, "Use crypto/rand for pairing codes."),
		f("G114", "Use of net/http serve function that has no support for setting timeouts", findings.Low, 676, "cmd/fleet-api/main.go", 112, "Use an http.Server with ReadHeaderTimeout."),
	}
}

func cpe(vendor, product, version string) []string {
	return []string{fmt.Sprintf("cpe:2.3:a:%s:%s:%s:*:*:*:*:*:*:*", vendor, product, version)}
}

func lib(ref, name, version, purl, license string, cpes []string, deps ...string) inventory.Component {
	c := inventory.Component{Ref: ref, Type: inventory.TypeLibrary, Name: name, Version: version, PURL: purl, CPEs: cpes, DependsOn: deps}
	if license != "" {
		c.Licenses = []string{license}
	}
	return c
}

func gateway(kernel, busybox, openssl, dropbear, lighttpd, dnsmasq, uboot, curl, zlib string) []inventory.Component {
	app := func(ref, name, version, license string, cpes []string, deps ...string) inventory.Component {
		c := lib(ref, name, version, "", license, cpes, deps...)
		c.Type = inventory.TypeApplication
		return c
	}
	kernelC := inventory.Component{Ref: "linux", Type: inventory.TypeOperatingSystem, Name: "linux", Version: kernel, Licenses: []string{"GPL-2.0-only"},
		CPEs: []string{fmt.Sprintf("cpe:2.3:o:linux:linux_kernel:%s:*:*:*:*:*:*:*", kernel)}, Supplier: "kernel.org"}
	ubootC := inventory.Component{Ref: "u-boot", Type: inventory.TypeFirmware, Name: "u-boot", Version: uboot, Licenses: []string{"GPL-2.0-or-later"},
		CPEs: cpe("denx", "u-boot", uboot), Supplier: "DENX Software Engineering"}
	comps := []inventory.Component{
		ubootC, kernelC,
		app("busybox", "busybox", busybox, "GPL-2.0-only", cpe("busybox", "busybox", busybox), "musl"),
		lib("musl", "musl", "1.2.4", "", "MIT", cpe("musl-libc", "musl", "1.2.4")),
		lib("openssl", "openssl", openssl, "pkg:generic/openssl@"+openssl, "Apache-2.0", cpe("openssl", "openssl", openssl), "musl", "zlib"),
		lib("zlib", "zlib", zlib, "pkg:generic/zlib@"+zlib, "Zlib", cpe("zlib", "zlib", zlib), "musl"),
		app("dropbear", "dropbear", dropbear, "MIT", cpe("dropbear_ssh_project", "dropbear_ssh", dropbear), "zlib", "musl"),
		app("lighttpd", "lighttpd", lighttpd, "BSD-3-Clause", cpe("lighttpd", "lighttpd", lighttpd), "openssl", "musl"),
		app("dnsmasq", "dnsmasq", dnsmasq, "GPL-2.0-only", cpe("thekelleys", "dnsmasq", dnsmasq), "musl"),
		lib("curl", "curl", curl, "pkg:generic/curl@"+curl, "curl", cpe("haxx", "curl", curl), "openssl", "zlib", "musl"),
		app("mosquitto", "mosquitto", "2.0.18", "EPL-2.0", cpe("eclipse", "mosquitto", "2.0.18"), "openssl", "musl"),
		app("gateway-agent", "gateway-agent", "3.2.0", "LicenseRef-Proprietary", nil, "curl", "mosquitto", "openssl"),
		lib("libmodbus", "libmodbus", "3.1.10", "", "LGPL-2.1-or-later", cpe("libmodbus", "libmodbus", "3.1.10"), "musl"),
	}
	comps[11].Supplier = "Northwind Devices GmbH"
	comps[11].Hashes = []inventory.Hash{{Algorithm: "SHA-256", Value: "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9"}}
	for i := 0; i < 40; i++ { // the rest of a typical buildroot image: small support libraries
		name := fmt.Sprintf("lib%s", []string{"ubox", "uci", "json-c", "nl-tiny", "blobmsg", "usb", "ftdi", "pcap", "ncurses", "readline"}[i%10])
		comps = append(comps, lib(fmt.Sprintf("%s-%d", name, i/10), name, fmt.Sprintf("%d.%d.%d", 1+i%3, i%10, i), "", "LGPL-2.1-only", nil, "musl"))
	}
	return comps
}

func thermostat(freertos, mbedtls, espidf, lwip string) []inventory.Component {
	fw := inventory.Component{Ref: "esp-idf", Type: inventory.TypeFramework, Name: "esp-idf", Version: espidf, PURL: "pkg:github/espressif/esp-idf@v" + espidf,
		Licenses: []string{"Apache-2.0"}, Supplier: "Espressif Systems", DependsOn: []string{"freertos", "mbedtls", "lwip"}}
	return []inventory.Component{
		fw,
		{Ref: "freertos", Type: inventory.TypeOperatingSystem, Name: "freertos-kernel", Version: freertos, PURL: "pkg:github/freertos/freertos-kernel@V" + freertos,
			CPEs: []string{"cpe:2.3:o:amazon:freertos:" + freertos + ":*:*:*:*:*:*:*"}, Licenses: []string{"MIT"}},
		lib("mbedtls", "mbedtls", mbedtls, "pkg:github/mbed-tls/mbedtls@v"+mbedtls, "Apache-2.0", cpe("arm", "mbed_tls", mbedtls)),
		lib("lwip", "lwip", lwip, "", "BSD-3-Clause", cpe("lwip_project", "lwip", lwip)),
		lib("nimble", "nimble", "1.6.0", "pkg:github/apache/mynewt-nimble@nimble_1_6_0_tag", "Apache-2.0", nil),
		lib("cjson", "cjson", "1.7.17", "pkg:github/davegamble/cjson@v1.7.17", "MIT", cpe("cjson_project", "cjson", "1.7.17")),
		lib("esp-mqtt", "esp-mqtt", "1.0.0", "", "Apache-2.0", nil, "mbedtls", "lwip"),
		{Ref: "thermostat-app", Type: inventory.TypeApplication, Name: "thermostat-app", Version: "1.9.0", Licenses: []string{"LicenseRef-Proprietary"},
			Supplier: "Northwind Devices GmbH", DependsOn: []string{"esp-idf", "esp-mqtt", "cjson", "nimble"}},
	}
}

func goBackend(xnet, grpc, xtext, jwt string) []inventory.Component {
	gomod := func(path, version, license string, deps ...string) inventory.Component {
		return lib("pkg:golang/"+path+"@"+version, path, version, "pkg:golang/"+path+"@"+version, license, nil, deps...)
	}
	netRef := "pkg:golang/golang.org/x/net@" + xnet
	textRef := "pkg:golang/golang.org/x/text@" + xtext
	return []inventory.Component{
		{Ref: "fleet-api", Type: inventory.TypeApplication, Name: "fleet-api", Version: "2026.05.0", PURL: "pkg:golang/example.com/northwind/fleet-api",
			Licenses: []string{"LicenseRef-Proprietary"}, DependsOn: []string{netRef, "pkg:golang/google.golang.org/grpc@" + grpc, "pkg:golang/github.com/golang-jwt/jwt/v5@" + jwt, "pkg:golang/github.com/eclipse/paho.mqtt.golang@v1.4.3", "pkg:golang/github.com/jackc/pgx/v5@v5.5.4"}},
		gomod("golang.org/x/net", xnet, "BSD-3-Clause", textRef),
		gomod("golang.org/x/text", xtext, "BSD-3-Clause"),
		gomod("google.golang.org/grpc", grpc, "Apache-2.0", netRef, "pkg:golang/google.golang.org/protobuf@v1.33.0"),
		gomod("google.golang.org/protobuf", "v1.33.0", "BSD-3-Clause"),
		gomod("github.com/golang-jwt/jwt/v5", jwt, "MIT"),
		gomod("github.com/eclipse/paho.mqtt.golang", "v1.4.3", "EPL-2.0", netRef),
		gomod("github.com/jackc/pgx/v5", "v5.5.4", "MIT", textRef),
		gomod("golang.org/x/crypto", "v0.21.0", "BSD-3-Clause"),
		gomod("github.com/prometheus/client_golang", "v1.19.0", "Apache-2.0"),
	}
}

func pyBackend(flask, requests, cryptography, jinja string) []inventory.Component {
	py := func(name, version, license string, deps ...string) inventory.Component {
		return lib("pkg:pypi/"+name+"@"+version, name, version, "pkg:pypi/"+name+"@"+version, license, nil, deps...)
	}
	flaskRef := "pkg:pypi/flask@" + flask
	return []inventory.Component{
		{Ref: "companion-api", Type: inventory.TypeApplication, Name: "companion-api", Version: "4.3.0", Licenses: []string{"LicenseRef-Proprietary"},
			DependsOn: []string{flaskRef, "pkg:pypi/requests@" + requests, "pkg:pypi/cryptography@" + cryptography, "pkg:pypi/sqlalchemy@2.0.29", "pkg:pypi/pyjwt@2.8.0"}},
		py("flask", flask, "BSD-3-Clause", "pkg:pypi/jinja2@"+jinja, "pkg:pypi/werkzeug@3.0.1"),
		py("jinja2", jinja, "BSD-3-Clause"),
		py("werkzeug", "3.0.1", "BSD-3-Clause"),
		py("requests", requests, "Apache-2.0", "pkg:pypi/urllib3@2.0.7", "pkg:pypi/certifi@2024.2.2"),
		py("urllib3", "2.0.7", "MIT"),
		py("certifi", "2024.2.2", "MPL-2.0"),
		py("cryptography", cryptography, "Apache-2.0 OR BSD-3-Clause"),
		py("sqlalchemy", "2.0.29", "MIT"),
		py("pyjwt", "2.8.0", "MIT"),
	}
}
