package sbom_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/sbom"
)

// TestExternalSBOMs decodes real SBOMs written by other tools
// (testdata/external, provenance in its README), whole and streamed, and
// checks what each once lost.
func TestExternalSBOMs(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, doc *sbom.Document)
	}{
		{"trivy-os-purpose.spdx.json", func(t *testing.T, doc *sbom.Document) {
			// SPDX 2.3 clause 7.24 spells the purpose OPERATING-SYSTEM;
			// the JSON schema only OPERATING_SYSTEM.
			if doc.Metadata == nil || doc.Metadata.Name != "debian" || doc.Metadata.Version != "12.9" ||
				doc.Metadata.Type != inventory.TypeOperatingSystem {
				t.Errorf("metadata = %+v, want the debian 12.9 operating system", doc.Metadata)
			}
			if len(doc.Components) != 1 {
				t.Fatalf("%d components, want 1", len(doc.Components))
			}
			c := doc.Components[0]
			if c.PURL != "pkg:deb/debian/ca-certificates@20230311?arch=all&distro=debian-12.9" ||
				c.Supplier != "Julien Cristau <jcristau@debian.org>" ||
				!reflect.DeepEqual(c.Licenses, []string{"GPL-2.0-or-later AND GPL-2.0-only AND MPL-2.0"}) {
				t.Errorf("component = %+v", c)
			}
			if !reflect.DeepEqual(doc.Metadata.DependsOn, []string{c.Ref}) {
				t.Errorf("OS CONTAINS edge lost: %v", doc.Metadata.DependsOn)
			}
		}},
		{"sbom-tool-supplier.spdx.json", func(t *testing.T, doc *sbom.Document) {
			// A supplier without the clause 7.5 "Organization:" prefix
			// (the schema allows any string) made tools-golang fail the
			// whole document.
			if doc.Metadata == nil || doc.Metadata.Name != "SBOMTool" || doc.Metadata.Supplier != "Microsoft" {
				t.Errorf("metadata = %+v, want SBOMTool supplied by Microsoft", doc.Metadata)
			}
			if len(doc.Components) != 87 {
				t.Errorf("%d components, want 87", len(doc.Components))
			}
			found := false
			for _, c := range doc.Components {
				if c.Name == "Azure Pipelines Hosted Image ubuntu22" {
					found = c.Supplier == "Microsoft/GitHub"
				}
			}
			if !found {
				t.Error(`supplier "Microsoft/GitHub" not kept`)
			}
		}},
		{"python-lib-nested-dependencies-1.6.cdx.xml", func(t *testing.T, doc *sbom.Document) {
			// A <dependency> nested in a <dependency> lists the nested
			// one's own dependencies (bom-1.x.xsd dependencyType is
			// recursive); the JSON snapshot of the same BOM has them flat.
			got := map[string][]string{}
			if doc.Metadata != nil {
				got[doc.Metadata.Ref] = doc.Metadata.DependsOn
			}
			for _, c := range doc.Components {
				if len(c.DependsOn) > 0 {
					got[c.Ref] = c.DependsOn
				}
			}
			want := map[string][]string{
				"myApp":         {"some-library1", "some-library2"},
				"some-library1": {"some-library2"},
				"some-library2": {"some-library3", "some-library4"},
				"some-library3": {"some-library4"},
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("edges = %v, want %v", got, want)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "external", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := sbom.DecodeBytes(data, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, doc)
			res, comps, err := streamDecode(data, tt.file)
			if err != nil {
				t.Fatalf("streamed: %v", err)
			}
			tt.check(t, &sbom.Document{Metadata: res.Metadata, Components: comps})
		})
	}
}

// TestExternalSBOMsStillStrict: the leniency added for real documents is
// no wider than the specification's text.
func TestExternalSBOMsStillStrict(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "external", "trivy-os-purpose.spdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(data, []byte(`"OPERATING-SYSTEM"`), []byte(`"OPERATING SYSTEM"`), 1)
	for _, decode := range []func() error{
		func() error { _, err := sbom.DecodeBytes(bad, "os.spdx.json"); return err },
		func() error { _, _, err := streamDecode(bad, "os.spdx.json"); return err },
	} {
		err := decode()
		var ve *sbom.ValidationError
		if !errors.As(err, &ve) || ve.File != "os.spdx.json" || ve.Path != "/packages/1/primaryPackagePurpose" {
			t.Errorf("err = %v, want a validation error at /packages/1/primaryPackagePurpose", err)
		}
	}
}
