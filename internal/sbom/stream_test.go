package sbom_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/sbom"
	"github.com/rampart-security/rampart/internal/sbom/sbomgen"
)

// memSink collects a streamed document as the store would.
type memSink struct {
	comps []inventory.Component
	index map[string]int
	edges map[[2]string]bool // from, to: each linked once
}

func (s *memSink) Add(batch []inventory.Component) error {
	if s.index == nil {
		s.index, s.edges = map[string]int{}, map[[2]string]bool{}
	}
	for _, c := range batch {
		c.DependsOn = append([]string(nil), c.DependsOn...)
		for _, r := range c.DependsOn {
			s.edges[[2]string{c.Ref, r}] = true
		}
		s.index[c.Ref] = len(s.comps)
		s.comps = append(s.comps, c)
	}
	return nil
}

func (s *memSink) Link(from string, to []string) error {
	i, ok := s.index[from]
	if !ok {
		return errors.New("link from an unknown component " + from)
	}
	for _, r := range to {
		if !s.edges[[2]string{from, r}] {
			s.edges[[2]string{from, r}] = true
			s.comps[i].DependsOn = append(s.comps[i].DependsOn, r)
		}
	}
	return nil
}

func streamDecode(data []byte, name string) (*sbom.Streamed, []inventory.Component, error) {
	var sink memSink
	res, err := sbom.DecodeStream(bytes.NewReader(data), int64(len(data)), name, &sink)
	return res, sink.comps, err
}

// checkSame decodes data both ways and reports any difference in outcome
// or content.
func checkSame(t *testing.T, data []byte, name string) (accepted bool) {
	t.Helper()
	whole, werr := sbom.DecodeBytes(data, name)
	res, comps, serr := streamDecode(data, name)
	if classify(werr) != classify(serr) {
		t.Errorf("%s: Decode: %v; DecodeStream: %v", name, werr, serr)
		return false
	}
	if werr != nil {
		if werr.Error() != serr.Error() {
			// XML and SPDX JSON are checked by the same rules in the same
			// order both ways, so the messages are the same (an SPDX
			// model error names the value when streamed; decoded whole it
			// names none).
			f, _ := sbom.Detect(data)
			var wv *sbom.ValidationError
			switch {
			case f.Encoding == sbom.EncodingXML,
				f.Name == sbom.FormatSPDX && f.Encoding == sbom.EncodingJSON && !(errors.As(werr, &wv) && wv.Path == ""):
				t.Errorf("%s: Decode: %v\n\tDecodeStream: %v", name, werr, serr)
			case os.Getenv("SBOM_STREAM_DEBUG") != "":
				t.Logf("%s: Decode: %v\n\tDecodeStream: %v", name, werr, serr)
			}
		}
		if !strings.Contains(serr.Error(), name) {
			t.Errorf("%s: DecodeStream error does not name the file: %v", name, serr)
		}
		var wv, sv *sbom.ValidationError
		if errors.As(werr, &wv) && (!errors.As(serr, &sv) || sv.Path == "") {
			t.Errorf("%s: DecodeStream error names no field: %v (Decode: %v)", name, serr, werr)
		}
		return false
	}
	if res.Components != len(comps) || len(comps) != len(whole.Components) {
		t.Errorf("%s: %d components streamed (%d counted), %d decoded", name, len(comps), res.Components, len(whole.Components))
		return true
	}
	for i := range comps {
		w, s := whole.Components[i], comps[i]
		if len(w.DependsOn) == 0 {
			w.DependsOn = nil
		}
		if len(s.DependsOn) == 0 {
			s.DependsOn = nil
		}
		if !reflect.DeepEqual(w, s) {
			ws, _ := json.Marshal(w)
			ss, _ := json.Marshal(s)
			t.Errorf("%s: component %d differs:\n decoded  %s\n streamed %s", name, i, ws, ss)
			return true
		}
	}
	if !reflect.DeepEqual(whole.Metadata, res.Metadata) || whole.Name != res.Name || whole.SerialNumber != res.SerialNumber ||
		!whole.Created.Equal(res.Created) || whole.SpecVersion != res.SpecVersion {
		t.Errorf("%s: header differs: decoded %+v %v, streamed %+v %v", name, whole.Metadata, whole.Created, res.Metadata, res.Created)
	}
	return true
}

// TestDecodeStreamEquivalent: on every corpus SBOM and every fixture,
// DecodeStream accepts and rejects what Decode does and hands over the
// same components, edges and header.
func TestDecodeStreamEquivalent(t *testing.T) {
	n := 0
	streamed := map[string]int{}
	walk := func(root string) {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			n++
			if checkSame(t, data, rel) {
				if f, err := sbom.Detect(data); err == nil && f.Encoding != sbom.EncodingTagValue {
					streamed[f.Name+" "+f.Encoding]++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	walk("testdata")
	if root := corpustest.Root(); root != "" {
		walk(filepath.Join(root, "sbom"))
	} else if os.Getenv("CI") == "true" {
		t.Fatal("corpus not found; CI=true makes it mandatory")
	}
	t.Logf("%d files decoded both ways; accepted documents streamed: %v", n, streamed)
	for _, f := range []string{"cyclonedx json", "cyclonedx xml", "spdx json"} {
		if streamed[f] == 0 {
			t.Errorf("no %s document was streamed", f)
		}
	}
}

// TestDecodeStreamRules: the rules checked outside the schema while
// streaming, and what is kept of a large generated document.
func TestDecodeStreamRules(t *testing.T) {
	tests := []struct {
		name, doc, path string
	}{
		{"dup-top", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","bom-ref":"x"},{"type":"library","name":"b","bom-ref":"x"}]}`, "/components/1/bom-ref"},
		{"dup-nested", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","bom-ref":"x","components":[{"type":"library","name":"b","bom-ref":"y"}]},{"type":"library","name":"c","bom-ref":"y"}]}`, "/components/1/bom-ref"},
		{"dup-metadata", `{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"component":{"type":"firmware","name":"fw","bom-ref":"x"}},"components":[{"type":"library","name":"a","bom-ref":"x"}]}`, "/components/0/bom-ref"},
		{"dup-items", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a"},{"name":"a","type":"library"}]}`, "/components"},
		{"empty-dep-ref", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","bom-ref":"x"}],"dependencies":[{"ref":" "}]}`, "/dependencies/0/ref"},
		{"empty-depends-on", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","bom-ref":"x"}],"dependencies":[{"ref":"x","dependsOn":[""]}]}`, "/dependencies/0/dependsOn/0"},
		{"schema", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a"},{"type":"gadget","name":"b"}]}`, "/components/1/type"},
		{"truncated", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a"},{"type":"libr`, "line 1"},
	}
	for _, tt := range tests {
		_, _, err := streamDecode([]byte(tt.doc), tt.name+".json")
		var ve *sbom.ValidationError
		if !errors.As(err, &ve) || ve.Path != tt.path || !strings.Contains(err.Error(), tt.name+".json") {
			t.Errorf("%s: err = %v, want a validation error at %s", tt.name, err, tt.path)
		}
		checkSame(t, []byte(tt.doc), tt.name+".json")
	}
	// Dependencies before components, metadata after: edges still land.
	doc := `{"dependencies":[{"ref":"a","dependsOn":["b","fw","nope"]},{"ref":"fw","dependsOn":["a"]}],"bomFormat":"CycloneDX","specVersion":"1.5",
	  "components":[{"type":"library","name":"a","bom-ref":"a"},{"type":"library","name":"b","bom-ref":"b"},{"type":"library","name":"c"}],
	  "metadata":{"component":{"type":"firmware","name":"fw","bom-ref":"fw"}}}`
	res, comps, err := streamDecode([]byte(doc), "order.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(comps) != 3 || !reflect.DeepEqual(comps[0].DependsOn, []string{"b", "fw"}) || comps[2].Ref != "rampart-auto-1" ||
		res.Metadata == nil || !reflect.DeepEqual(res.Metadata.DependsOn, []string{"a"}) {
		t.Errorf("got %+v, metadata %+v", comps, res.Metadata)
	}
	checkSame(t, []byte(doc), "order.json")

	var buf bytes.Buffer
	if err := sbomgen.Write(&buf, 3000); err != nil {
		t.Fatal(err)
	}
	if !checkSame(t, buf.Bytes(), "gen-3000.json") {
		t.Error("the generated document is rejected")
	}
}

// TestLongDependencyLists: edges were added by scanning the list they went
// into, so a 3 MB CycloneDX (or 8 MB SPDX) document whose one component
// depends on 50 000 others took 14 s to decode and the SPDX one 17 s
// (quadratic: a 512 MiB upload could hold the server for days). Both
// decoders, whole and streamed, add each edge once, in the order first
// stated, in constant time.
func TestLongDependencyLists(t *testing.T) {
	const n = 50000
	var cdx, spdxDoc bytes.Buffer
	cdx.WriteString(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[`)
	spdxDoc.WriteString(`{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"d","documentNamespace":"https://x/y","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: t"]},"packages":[`)
	for i := range n {
		sep := map[bool]string{true: "", false: ","}[i == 0]
		fmt.Fprintf(&cdx, `%s{"type":"library","name":"c%d","bom-ref":"r%d"}`, sep, i, i)
		fmt.Fprintf(&spdxDoc, `%s{"SPDXID":"SPDXRef-p%d","name":"p%d","downloadLocation":"NONE"}`, sep, i, i)
	}
	cdx.WriteString(`],"dependencies":[{"ref":"r0","dependsOn":[`)
	spdxDoc.WriteString(`],"relationships":[{"spdxElementId":"SPDXRef-DOCUMENT","relationshipType":"DESCRIBES","relatedSpdxElement":"SPDXRef-p0"}`)
	for i := 1; i < n; i++ {
		fmt.Fprintf(&cdx, `%s"r%d"`, map[bool]string{true: "", false: ","}[i == 1], i)
		fmt.Fprintf(&spdxDoc, `,{"spdxElementId":"SPDXRef-p%d","relationshipType":"DEPENDENCY_OF","relatedSpdxElement":"SPDXRef-p0"}`, i)
	}
	cdx.WriteString(`]},{"ref":"r0","dependsOn":["r1","r3"]}]}`) // edges stated again: once in the result
	spdxDoc.WriteString(`,{"spdxElementId":"SPDXRef-p0","relationshipType":"DEPENDS_ON","relatedSpdxElement":"SPDXRef-p1"}]}`)
	for _, c := range []struct {
		name string
		data []byte
		pfx  string
	}{{"long.cdx.json", cdx.Bytes(), "r"}, {"long.spdx.json", spdxDoc.Bytes(), "SPDXRef-p"}} {
		whole, err := sbom.DecodeBytes(c.data, c.name)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		res, streamed, err := streamDecode(c.data, c.name)
		if err != nil {
			t.Fatalf("%s streamed: %v", c.name, err)
		}
		for how, d := range map[string]*sbom.Document{"decoded": whole, "streamed": {Metadata: res.Metadata, Components: streamed}} {
			var deps []string
			for _, comp := range append(d.Components, *cmp.Or(d.Metadata, &inventory.Component{})) {
				if comp.Ref == c.pfx+"0" {
					deps = comp.DependsOn
				}
			}
			if len(deps) != n-1 || deps[0] != c.pfx+"1" || deps[n-2] != fmt.Sprintf("%s%d", c.pfx, n-1) {
				t.Errorf("%s %s: %d edges from %s0 (first %v), want %d, in document order", c.name, how, len(deps), c.pfx, deps[:min(3, len(deps))], n-1)
			}
		}
	}
}
