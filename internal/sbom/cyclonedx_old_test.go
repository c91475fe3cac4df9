package sbom_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/sbom"
)

// xmlLicenceGaps are upstream invalid-* cases for XSD rules that Rampart's
// XML checks do not enforce in any CycloneDX version (1.2–1.7 XML accept
// the same files): one <id> or <name> per <license>, and the licence
// text's encoding enumeration. The test fails when one becomes rejected.
var xmlLicenceGaps = map[string]bool{
	"invalid-license-encoding-1.1.xml":   true,
	"invalid-license-id-count-1.1.xml":   true,
	"invalid-license-name-count-1.1.xml": true,
}

// TestCycloneDX10And11XML: the CycloneDX specification's own 1.0 and 1.1
// XML test files (testdata/cyclonedx-1.0-1.1/README.md): valid-* import
// (whole and streamed alike), invalid-* are rejected naming the file and
// the element or line.
func TestCycloneDX10And11XML(t *testing.T) {
	paths, err := filepath.Glob("testdata/cyclonedx-1.0-1.1/*.xml")
	if err != nil || len(paths) < 30 {
		t.Fatalf("fixtures: %v, %d files", err, len(paths))
	}
	for _, p := range paths {
		base := filepath.Base(p)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := sbom.DecodeBytes(data, base)
		switch {
		case strings.HasPrefix(base, "valid-"):
			if err != nil {
				t.Errorf("%s: %v", base, err)
				continue
			}
			if doc.Format != sbom.FormatCycloneDX || doc.Encoding != sbom.EncodingXML || !strings.HasSuffix(base, "-"+doc.SpecVersion+".xml") {
				t.Errorf("%s: read as %s %s %s", base, doc.Format, doc.SpecVersion, doc.Encoding)
			}
		case xmlLicenceGaps[base]:
			if err == nil {
				continue
			}
			t.Errorf("%s: now rejected (%v): remove it from xmlLicenceGaps and docs/sbom.md", base, err)
		case base == "invalid-namespace-1.1.xml":
			if !errors.Is(err, sbom.ErrUnsupportedVersion) {
				t.Errorf("%s: %v, want an unsupported version (namespace …/bom/11)", base, err)
			}
		default:
			var ve *sbom.ValidationError
			if !errors.As(err, &ve) || ve.Path == "" || !strings.Contains(err.Error(), base) {
				t.Errorf("%s: %v, want a ValidationError naming the file and the element", base, err)
			}
		}
		checkSame(t, data, base)
	}
}

func TestCycloneDX10And11Content(t *testing.T) {
	doc := mustDecode(t, "cyclonedx-1.0-1.1/valid-component-ref-1.1.xml")
	if len(doc.Components) != 3 || doc.Components[1].Ref != "456" || doc.SerialNumber != "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79" {
		t.Errorf("components %s serial %q", js(doc.Components), doc.SerialNumber)
	}
	// CycloneDX 1.1 had no dependency graph in the core schema; the
	// dependency-graph extension (namespace
	// http://cyclonedx.org/schema/ext/dependency-graph/1.0, schema
	// ext/dependency-graph-1.0.xsd, as cyclonedx-maven-plugin wrote it
	// with 1.1) gives the edges, with the same nesting as 1.2's core one.
	dg := `<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.1" xmlns:dg="http://cyclonedx.org/schema/ext/dependency-graph/1.0" version="1">
  <components>
    <component type="library" bom-ref="pkg:maven/a/b@1"><group>a</group><name>b</name><version>1</version><purl>pkg:maven/a/b@1</purl></component>
    <component type="library" bom-ref="pkg:maven/c/d@2"><group>c</group><name>d</name><version>2</version><purl>pkg:maven/c/d@2</purl></component>
  </components>
  <dg:dependencies>
    <dg:dependency ref="pkg:maven/a/b@1"><dg:dependency ref="pkg:maven/c/d@2"/></dg:dependency>
    <dg:dependency ref="pkg:maven/c/d@2"/>
  </dg:dependencies>
</bom>
`
	d, err := sbom.DecodeBytes([]byte(dg), "maven-1.1.xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Components) != 2 || len(d.Components[0].DependsOn) != 1 || d.Components[0].DependsOn[0] != "pkg:maven/c/d@2" {
		t.Errorf("dependency-graph extension: %s", js(d.Components))
	}
	checkSame(t, []byte(dg), "maven-1.1.xml")
	// bom-1.0.xsd and bom-1.1.xsd require the component version.
	noVersion := strings.Replace(dg, "<version>2</version>", "", 1)
	_, err = sbom.DecodeBytes([]byte(noVersion), "noversion-1.1.xml")
	if err == nil || !strings.Contains(err.Error(), "noversion-1.1.xml: /bom/components/component[2]/version: missing required component version") {
		t.Errorf("no version: %v", err)
	}
	checkSame(t, []byte(noVersion), "noversion-1.1.xml")
	// Component type "file" came with 1.1.
	_, err = sbom.DecodeBytes([]byte(strings.NewReplacer("bom/1.1", "bom/1.0", `type="library" bom-ref="pkg:maven/c/d@2"`, `type="file"`).Replace(dg)), "file-1.0.xml")
	if err == nil || !strings.Contains(err.Error(), `component type "file" is not defined in CycloneDX 1.0`) {
		t.Errorf("file in 1.0: %v", err)
	}
}
