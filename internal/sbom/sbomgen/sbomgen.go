// Package sbomgen writes synthetic CycloneDX 1.6 JSON SBOMs of any size for
// benchmarks: realistic components (purl, CPE, hashes, licences, supplier)
// and a dependency DAG. The output is deterministic for a given size and is
// valid against the official CycloneDX 1.6 schema.
package sbomgen

import (
	"bufio"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
)

type hash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

type license struct {
	License struct {
		ID string `json:"id"`
	} `json:"license"`
}

type supplier struct {
	Name string `json:"name"`
}

type component struct {
	BOMRef   string    `json:"bom-ref"`
	Type     string    `json:"type"`
	Supplier *supplier `json:"supplier,omitempty"`
	Group    string    `json:"group,omitempty"`
	Name     string    `json:"name"`
	Version  string    `json:"version"`
	Hashes   []hash    `json:"hashes"`
	Licenses []license `json:"licenses,omitempty"`
	CPE      string    `json:"cpe,omitempty"`
	PURL     string    `json:"purl"`
}

type dependency struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn"`
}

var licenseIDs = []string{"MIT", "Apache-2.0", "BSD-3-Clause", "GPL-2.0-only", "LGPL-2.1-or-later", "ISC", "Zlib"}

func ref(i int) string {
	return fmt.Sprintf("pkg:generic/vendor%d/pkg-%06d@1.%d.%d", i%50, i, i%13, i%7)
}

// deps returns the components i depends on: a DAG where i points to
// higher indexes only (2i+1, 2i+2 and i+n/2), so the graph is acyclic.
func deps(i, n int) []string {
	var out []string
	seen := map[int]bool{}
	for _, j := range []int{2*i + 1, 2*i + 2, i + n/2} {
		if j < n && j > i && !seen[j] {
			seen[j] = true
			out = append(out, ref(j))
		}
	}
	return out
}

// Write writes an n-component CycloneDX 1.6 JSON SBOM to w.
func Write(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, `{
  "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
  "bomFormat": "CycloneDX",
  "specVersion": "1.6",
  "serialNumber": "urn:uuid:00000000-0000-4000-8000-%012d",
  "version": 1,
  "metadata": {
    "timestamp": "2026-01-01T00:00:00Z",
    "component": {"bom-ref": "firmware", "type": "firmware", "name": "synthetic-firmware", "version": "%d.0.0", "supplier": {"name": "ACME Devices GmbH"}}
  },
  "components": [
`, n, n)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("pkg-%06d", i)
		s256 := sha256.Sum256([]byte(name))
		s1 := sha1.Sum([]byte(name))
		c := component{
			BOMRef:  ref(i),
			Type:    "library",
			Group:   fmt.Sprintf("vendor%d", i%50),
			Name:    name,
			Version: fmt.Sprintf("1.%d.%d", i%13, i%7),
			Hashes:  []hash{{"SHA-256", hex.EncodeToString(s256[:])}, {"SHA-1", hex.EncodeToString(s1[:])}},
			PURL:    ref(i),
		}
		if i%3 == 0 {
			c.CPE = fmt.Sprintf("cpe:2.3:a:vendor%d:%s:%s:*:*:*:*:*:*:*", i%50, name, c.Version)
		}
		if i%4 != 3 {
			var l license
			l.License.ID = licenseIDs[i%len(licenseIDs)]
			c.Licenses = []license{l}
		}
		if i%5 == 0 {
			c.Supplier = &supplier{Name: fmt.Sprintf("Vendor %d Ltd", i%50)}
		}
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		bw.WriteString("    ")
		bw.Write(b)
		if i < n-1 {
			bw.WriteString(",")
		}
		bw.WriteString("\n")
	}
	bw.WriteString("  ],\n  \"dependencies\": [\n")
	top := []string{}
	for i := 0; i < n && i < 10; i++ {
		top = append(top, ref(i))
	}
	b, _ := json.Marshal(dependency{Ref: "firmware", DependsOn: top})
	bw.WriteString("    ")
	bw.Write(b)
	for i := 0; i < n; i++ {
		d := deps(i, n)
		if d == nil {
			d = []string{}
		}
		b, err := json.Marshal(dependency{Ref: ref(i), DependsOn: d})
		if err != nil {
			return err
		}
		bw.WriteString(",\n    ")
		bw.Write(b)
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}
