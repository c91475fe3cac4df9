package sbom_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/sbom"
	"github.com/rampart-security/rampart/internal/vuln"
)

const yoctoBundle = "testdata/yocto/core-image-minimal-qemux86-64.spdx.tar.zst"

func yoctoComponent(t *testing.T, doc *sbom.Document, name string) inventory.Component {
	t.Helper()
	for _, c := range doc.Components {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no component %q in %v", name, doc.Components)
	return inventory.Component{}
}

// TestYoctoBundle: create-spdx's IMAGE.spdx.tar.zst (testdata/yocto, built
// by make-bundle.py as the bbclass writes it) imports as the image and the
// binary packages it CONTAINS, each document resolved through
// externalDocumentRefs: versions and licences of the package documents,
// CPEs of the recipe documents they are GENERATED_FROM, the runtime
// documents' RUNTIME_DEPENDENCY_OF as edges. Recipes, libssl3 (built but
// not installed) and the packaged files are not components.
func TestYoctoBundle(t *testing.T) {
	data, err := os.ReadFile(yoctoBundle)
	if err != nil {
		t.Fatal(err)
	}
	f, err := sbom.Detect(data)
	if err != nil || f.Name != sbom.FormatSPDX || f.Encoding != sbom.EncodingTar {
		t.Fatalf("Detect: %+v %v", f, err)
	}
	doc, err := sbom.DecodeBytes(data, "img.spdx.tar.zst")
	if err != nil {
		t.Fatal(err)
	}
	if doc.SpecVersion != "2.2" || doc.Metadata == nil || doc.Metadata.Name != "core-image-minimal" || !strings.HasPrefix(doc.Name, "core-image-minimal-qemux86-64") {
		t.Fatalf("document %q %s, metadata %+v", doc.Name, doc.SpecVersion, doc.Metadata)
	}
	var names []string
	for _, c := range doc.Components {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	if want := []string{"base-files", "busybox", "libcrypto3", "libz1"}; !slices.Equal(names, want) {
		t.Fatalf("components %v, want %v", names, want)
	}
	want := map[string]struct{ version, cpe, licence, deps string }{
		"busybox":    {"1.36.1", "cpe:2.3:*:busybox:busybox:1.36.1:*:*:*:*:*:*:*", "GPL-2.0-only AND bzip2-1.0.6", ""},
		"libcrypto3": {"3.2.1", "cpe:2.3:*:openssl:openssl:3.2.1:*:*:*:*:*:*:*", "Apache-2.0", "DocumentRef-libz1:SPDXRef-Package-libz1"},
		"libz1":      {"1.3.1", "cpe:2.3:*:zlib:zlib:1.3.1:*:*:*:*:*:*:*", "Zlib", ""},
		"base-files": {"3.0.14", "cpe:2.3:*:*:base-files:3.0.14:*:*:*:*:*:*:*", "GPL-2.0-only", ""},
	}
	for name, w := range want {
		c := yoctoComponent(t, doc, name)
		got := fmt.Sprint(c.Version, " ", c.CPEs, " ", c.Licenses, " ", c.Supplier, " ", strings.Join(c.DependsOn, ","))
		if exp := fmt.Sprint(w.version, " ", []string{w.cpe}, " ", []string{w.licence}, " OpenEmbedded ", w.deps); got != exp {
			t.Errorf("%s: %s\nwant %s", name, got, exp)
		}
		if c.Ref != "DocumentRef-"+name+":SPDXRef-Package-"+name {
			t.Errorf("%s: ref %q", name, c.Ref)
		}
	}
	if len(doc.Metadata.DependsOn) != 4 || doc.Edges() != 5 {
		t.Errorf("image depends on %v; %d edges, want 4 CONTAINS and 1 runtime", doc.Metadata.DependsOn, doc.Edges())
	}
	if len(doc.Warnings) != 0 {
		t.Errorf("warnings: %v", doc.Warnings)
	}

	// The CPE matcher finds busybox 1.36.1's CVE-2023-42363 (NVD:
	// cpe:2.3:a:busybox:busybox:1.36.1) through the recipe's CPE.
	adv := vuln.Advisory{ID: "CVE-2023-42363", Sources: []vuln.Source{vuln.SourceNVD},
		Configurations: []vuln.Configuration{{Nodes: []vuln.Node{{Operator: "OR", Matches: []vuln.CPEMatch{{Vulnerable: true, Criteria: "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"}}}}}}}
	var hit []string
	for _, m := range vuln.NewMatcher([]vuln.Advisory{adv}, vuln.MatcherOptions{}).Match(doc.Components, nil) {
		hit = append(hit, m.Advisory.ID+" "+m.Component.Name)
	}
	if !slices.Equal(hit, []string{"CVE-2023-42363 busybox"}) {
		t.Errorf("matches %v", hit)
	}
}

// TestYoctoBundleStreamed: an import over sbom.StreamThreshold goes
// through Prepare, which must detect the bundle from its 64 KiB head and
// give what Decode gives, warnings included.
func TestYoctoBundleStreamed(t *testing.T) {
	for _, p := range []string{yoctoBundle, "testdata/yocto/missing-base-files.spdx.tar.gz"} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !checkSame(t, data, p) {
			t.Errorf("%s: rejected", p)
		}
		res, _, err := streamDecode(data, p)
		if err != nil || res.Encoding != sbom.EncodingTar || len(res.Warnings) != strings.Count(p, "missing") {
			t.Errorf("%s: streamed %+v, %v", p, res, err)
		}
	}
}

// plainBundle is the fixture bundle's tar, decompressed.
func plainBundle(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(yoctoBundle)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zstd.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// TestYoctoBundleLargeWindow: a streaming compressor at a high level (zstd
// -19 on a pipe: 8 MiB) declares a window larger than a small bundle's
// decompression budget (200 × 3 KB + 1 MiB); detection and decoding allow
// the 8 MiB every zstd decoder should.
func TestYoctoBundleLargeWindow(t *testing.T) {
	plain := plainBundle(t)
	// Copy the tar and add 1 MiB of zeros (not JSON: skipped), so the
	// frame spans several blocks and states its window, while the bundle
	// stays a few KB compressed.
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tr := tar.NewReader(bytes.NewReader(plain))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		body, _ := io.ReadAll(tr)
		tw.WriteHeader(h)
		tw.Write(body)
	}
	tw.WriteHeader(&tar.Header{Name: "padding.bin", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1 << 20})
	tw.Write(make([]byte, 1<<20))
	tw.Close()
	plain = tb.Bytes()
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf, zstd.WithWindowSize(8<<20), zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		zw.Write(plain[i*len(plain)/4 : (i+1)*len(plain)/4])
	}
	zw.Close()
	doc, err := sbom.DecodeBytes(buf.Bytes(), "w.spdx.tar.zst")
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Components) != 4 {
		t.Errorf("%d components", len(doc.Components))
	}
}

// TestYoctoBundleMissingDocument: a bundle without base-files.spdx.json
// (gzip-compressed) imports the rest and warns about the reference.
func TestYoctoBundleMissingDocument(t *testing.T) {
	data, err := os.ReadFile("testdata/yocto/missing-base-files.spdx.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := sbom.DecodeBytes(data, "m.spdx.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Components) != 3 || len(doc.Warnings) != 1 || !strings.Contains(doc.Warnings[0], "DocumentRef-base-files") {
		t.Errorf("%d components, warnings %q", len(doc.Components), doc.Warnings)
	}
}

func tarOf(t *testing.T, entries ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range entries {
		body := []byte(`{"spdxVersion":"SPDX-2.2"}`)
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(body)
		}
	}
	tw.Close()
	return buf.Bytes()
}

// TestYoctoBundleRejects: links, paths outside the archive, a claimed size
// past the ratio bound and documents that are not SPDX are refused, naming
// the entry.
func TestYoctoBundleRejects(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
		is   error
	}{
		{"symlink", tarOf(t, &tar.Header{Name: "a.spdx.json", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}), "a.spdx.json: SPDX bundle: links are not accepted", sbom.ErrInvalid},
		{"outside", tarOf(t, &tar.Header{Name: "../a.spdx.json", Typeflag: tar.TypeReg, Mode: 0o644}), "../a.spdx.json: SPDX bundle: entry path leaves the archive", sbom.ErrInvalid},
		{"absolute", tarOf(t, &tar.Header{Name: "/a.spdx.json", Typeflag: tar.TypeReg, Mode: 0o644}), "entry path leaves the archive", sbom.ErrInvalid},
		{"not spdx", tarOf(t, &tar.Header{Name: "x.spdx.json", Typeflag: tar.TypeReg, Mode: 0o644}), "x.spdx.json: ", sbom.ErrInvalid},
		{"empty", tarOf(t, &tar.Header{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755}), "holds no JSON documents", sbom.ErrInvalid},
		{"truncated", tarOf(t, &tar.Header{Name: "t.spdx.json", Typeflag: tar.TypeReg, Mode: 0o644})[:520], "t.spdx.json: SPDX bundle: entry is truncated", sbom.ErrInvalid},
		{"device", tarOf(t, &tar.Header{Name: "dev", Typeflag: tar.TypeChar, Mode: 0o644}), "dev: SPDX bundle: entry of type", sbom.ErrInvalid},
	}
	huge := tarOf(t, &tar.Header{Name: "big.spdx.json", Typeflag: tar.TypeReg, Mode: 0o644})
	// Claim 2 GiB in the header (octal size field at offset 124).
	copy(huge[124:136], fmt.Appendf(nil, "%011o\x00", int64(2<<30)))
	var sum int64
	for i, b := range huge[:512] {
		if i >= 148 && i < 156 {
			b = ' '
		}
		sum += int64(b)
	}
	copy(huge[148:156], fmt.Appendf(nil, "%06o\x00 ", sum))
	tests = append(tests, struct {
		name string
		data []byte
		want string
		is   error
	}{"too large", huge, "big.spdx.json: decompresses past the limit", sbom.ErrTooLarge})
	for _, tt := range tests {
		_, err := sbom.DecodeBytes(tt.data, "b.tar")
		if err == nil || !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "b.tar") {
			t.Errorf("%s: %v, want %q (%v)", tt.name, err, tt.want, tt.is)
		}
	}
}

// FuzzDecodeBundle: the SPDX bundle reader (archive, then documents
// resolved across) never panics, its errors wrap a sentinel, and what it
// accepts has unique refs and edges only between them. The seeds are the
// fixtures and the fixture's plain tar, whose documents the fuzzer can
// change.
func FuzzDecodeBundle(f *testing.F) {
	for _, p := range []string{yoctoBundle, "testdata/yocto/missing-base-files.spdx.tar.gz"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add(plainBundle(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := sbom.DecodeBytes(data, "fuzz.spdx.tar")
		if err != nil {
			if !errors.Is(err, sbom.ErrUnknownFormat) && !errors.Is(err, sbom.ErrUnsupportedVersion) && !errors.Is(err, sbom.ErrInvalid) && !errors.Is(err, sbom.ErrTooLarge) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		refs := map[string]bool{}
		all := doc.Components
		if doc.Metadata != nil {
			all = append([]inventory.Component{*doc.Metadata}, all...)
		}
		for _, c := range all {
			if refs[c.Ref] {
				t.Fatalf("ref %q twice", c.Ref)
			}
			refs[c.Ref] = true
		}
		for _, c := range all {
			for _, d := range c.DependsOn {
				if !refs[d] {
					t.Fatalf("%s depends on unknown %q", c.Ref, d)
				}
			}
		}
	})
}
