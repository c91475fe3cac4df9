package sbom_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/sbom"
)

func ExampleDecode() {
	f, err := os.Open("testdata/gateway-fw-1.6.cdx.json")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	doc, err := sbom.Decode(f, "gateway-fw-1.6.cdx.json", sbom.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(doc.Format, doc.SpecVersion, doc.Encoding, doc.Metadata.Name, doc.Metadata.Version)
	for _, c := range doc.Components {
		fmt.Println(c.Name, c.Version, c.PURL, c.DependsOn)
	}
	// Output:
	// cyclonedx 1.6 json acme-gateway-firmware 2.4.1
	// busybox 1.36.1 pkg:generic/busybox@1.36.1 [pkg:generic/openssl@3.0.13]
	// openssl 3.0.13 pkg:generic/openssl@3.0.13 [pkg:generic/openssl@3.0.13#libcrypto]
	// libcrypto 3.0.13 pkg:generic/openssl@3.0.13#libcrypto []
	// dropbear 2022.83 pkg:generic/dropbear@2022.83 [pkg:generic/zlib@1.3.1 pkg:generic/openssl@3.0.13#libcrypto]
	// zlib 1.3.1 pkg:generic/zlib@1.3.1 []
}

func ExampleDecode_invalid() {
	bom := `{"bomFormat": "CycloneDX", "specVersion": "1.6",
	  "components": [{"type": "library", "name": "openssl", "hashes": [{"alg": "SHA-257", "content": "88525753f79d3bec27d2fa7c66aa0b92b3aa9498dafd93d7cfa4b3780cdae313"}]}]}`
	_, err := sbom.Decode(strings.NewReader(bom), "bom.json", sbom.Options{})
	var ve *sbom.ValidationError
	if errors.As(err, &ve) {
		fmt.Println(errors.Is(err, sbom.ErrInvalid), ve.File, ve.Path)
	}
	// Output:
	// true bom.json /components/0/hashes/0/alg
}

func ExampleDetect() {
	for _, head := range []string{
		`{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [`,
		"SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n",
		`{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}`,
		"# README\n",
	} {
		f, err := sbom.Detect([]byte(head))
		switch {
		case errors.Is(err, sbom.ErrUnsupportedVersion):
			fmt.Println("unsupported:", f)
		case errors.Is(err, sbom.ErrUnknownFormat):
			fmt.Println("not an SBOM")
		default:
			fmt.Println(f)
		}
	}
	// Output:
	// CycloneDX 1.5 (json)
	// SPDX 2.3 (tag-value)
	// SPDX 3.0.1 (json-ld)
	// not an SBOM
}

func ExampleEncodeCycloneDX() {
	e := sbom.Export{
		Name: "thermostat-firmware", Version: "4.2.0", Supplier: "ACME Devices GmbH",
		Created:   time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
		DependsOn: []string{"lwip"},
		Components: []inventory.Component{
			{Ref: "lwip", Name: "lwip", Version: "2.2.0", PURL: "pkg:generic/lwip@2.2.0", Licenses: []string{"BSD-3-Clause"}},
		},
	}
	var out strings.Builder
	if err := sbom.EncodeCycloneDX(&out, e); err != nil {
		panic(err)
	}
	doc, err := sbom.Decode(strings.NewReader(out.String()), "export.cdx.json", sbom.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(doc.SpecVersion, doc.Metadata.Name, len(doc.Components), doc.Metadata.DependsOn)
	// Output:
	// 1.6 thermostat-firmware 1 [lwip]
}
