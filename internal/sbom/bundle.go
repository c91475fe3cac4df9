package sbom

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1" //nolint:gosec // SPDX 2.x names documents by SHA1 (externalDocumentRefs); not a security check
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"

	"github.com/rampart-security/rampart/internal/inventory"
)

// An SPDX bundle is a tar archive (optionally zstd- or gzip-compressed) of
// SPDX 2.x JSON documents that refer to each other through
// externalDocumentRefs. Yocto/OpenEmbedded's create-spdx (SPDX 2.2, the
// default of kirkstone and scarthgap) writes an image's SBOM this way,
// IMAGE-MACHINE.spdx.tar.zst: one document per image, binary package,
// recipe and package runtime, flat in the archive as NAME.spdx.json, plus an
// index.json listing them ({"documents":[{filename, documentNamespace,
// sha1}]}). archive/tar, compress/gzip and klauspost's zstd (already used by
// the firmware unpacker) read the archive; what is SPDX-specific is the
// resolution across documents (resolveBundle).

// EncodingTar is the encoding of an SPDX bundle (Format.Encoding).
const EncodingTar = "tar"

// Bounds of a bundle: what it decompresses to is at most
// bundleRatio × its size + 1 MiB (the firmware unpacker's ratio), and at
// most DefaultMaxBytes; it holds at most bundleMaxEntries entries.
const (
	bundleRatio      = 200
	bundleMaxEntries = 100_000
)

// bundleBudget is how much an archive of n bytes may decompress to.
func bundleBudget(n int) int64 {
	return min(bundleRatio*int64(n)+1<<20, DefaultMaxBytes)
}

// zstdWindow bounds the zstd window (the decoder allocates it) for an
// archive of n bytes: its budget, but at least the 8 MiB the zstd format
// (RFC 8878 §3.1.1.1.2) recommends every decoder to support, which zstd's
// levels up to 19 stay within when the input size is unknown, as when
// create-spdx pipes the tar through zstd.
func zstdWindow(n int) uint64 {
	return uint64(max(bundleBudget(n), 8<<20))
}

var (
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	gzipMagic = []byte{0x1f, 0x8b}
)

// detectBundle reports whether head starts a tar archive, plain or
// compressed with zstd or gzip (the first tar header is decompressed from
// head to tell a compressed tar from any other compressed file, when head
// holds the first compressed block).
func detectBundle(head []byte) (Format, bool) {
	f := Format{Name: FormatSPDX, Encoding: EncodingTar}
	if isTarHeader(head) {
		return f, true
	}
	if !bytes.HasPrefix(head, zstdMagic) && !bytes.HasPrefix(head, gzipMagic) {
		return Format{}, false
	}
	r, err := decompressor(bytes.NewReader(head), zstdWindow(len(head)))
	if err != nil {
		return Format{}, false
	}
	defer r.Close()
	block := make([]byte, 512)
	n, err := io.ReadFull(r, block)
	if err != nil && n < 263 {
		// The head ends inside the first compressed block (up to 128 KiB):
		// what it holds cannot be told from the head; decoding tells.
		return f, len(head) < 128<<10
	}
	return f, isTarHeader(block[:n])
}

// isTarHeader reports whether b starts with a ustar (POSIX or GNU) header.
func isTarHeader(b []byte) bool {
	return len(b) >= 263 && bytes.Equal(b[257:262], []byte("ustar"))
}

// decompressor returns a reader of data decompressed by its magic (zstd,
// gzip), or data itself; maxMem bounds the zstd decoder's window (in a
// streaming decode, WithDecoderMaxMemory bounds the window; the output is
// bounded by the caller).
func decompressor(r io.Reader, maxMem uint64) (io.ReadCloser, error) {
	br := &peekReader{r: r}
	magic, _ := br.peek(4)
	switch {
	case bytes.HasPrefix(magic, zstdMagic):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxMem))
		if err != nil {
			return nil, err
		}
		return zr.IOReadCloser(), nil
	case bytes.HasPrefix(magic, gzipMagic):
		gr, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		return gr, nil
	}
	return io.NopCloser(br), nil
}

// peekReader lets decompressor look at the magic without losing it.
type peekReader struct {
	r   io.Reader
	buf []byte
}

func (p *peekReader) peek(n int) ([]byte, error) {
	for len(p.buf) < n {
		b := make([]byte, n-len(p.buf))
		k, err := p.r.Read(b)
		p.buf = append(p.buf, b[:k]...)
		if err != nil {
			return p.buf, err
		}
	}
	return p.buf, nil
}

func (p *peekReader) Read(b []byte) (int, error) {
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// bundleEntry is one regular file of a bundle.
type bundleEntry struct {
	name string
	data []byte
}

// readBundle unpacks the archive in data, bounded as the constants above
// say: never more than the budget is read. Links, devices and paths that
// leave the archive's root are refused.
func readBundle(data []byte, name string) ([]bundleEntry, error) {
	budget := bundleBudget(len(data))
	zr, err := decompressor(bytes.NewReader(data), zstdWindow(len(data)))
	if err != nil {
		return nil, invalid(name, "", "SPDX bundle: cannot decompress: %v", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var out []bundleEntry
	total := int64(0)
	for n := 0; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, invalid(name, fmt.Sprintf("entry %d", n+1), "SPDX bundle: not a readable tar archive: %v", err)
		}
		if n >= bundleMaxEntries {
			return nil, invalid(name, "", "SPDX bundle: more than %d entries", bundleMaxEntries)
		}
		clean := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if strings.HasPrefix(h.Name, "/") || clean == ".." || strings.HasPrefix(clean, "../") {
			return nil, invalid(name, h.Name, "SPDX bundle: entry path leaves the archive")
		}
		switch h.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		case tar.TypeSymlink, tar.TypeLink:
			return nil, invalid(name, h.Name, "SPDX bundle: links are not accepted (link to %q)", h.Linkname)
		default:
			return nil, invalid(name, h.Name, "SPDX bundle: entry of type %q is not a regular file", h.Typeflag)
		}
		if h.Size < 0 || h.Size > budget-total {
			return nil, fmt.Errorf("%s: %w: SPDX bundle entry %s: decompresses past the limit of %d bytes (%d× the file + 1 MiB)", name, ErrTooLarge, h.Name, budget, bundleRatio)
		}
		total += h.Size
		if path.Ext(clean) != ".json" { // not an SPDX JSON document
			if _, err := io.Copy(io.Discard, tr); err != nil {
				return nil, invalid(name, h.Name, "SPDX bundle: entry is truncated: %v", err)
			}
			continue
		}
		// Read as the data arrives: a header's size is a claim, allocated
		// only as far as the archive holds it.
		b, err := io.ReadAll(io.LimitReader(tr, h.Size))
		if err == nil && int64(len(b)) < h.Size {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, invalid(name, h.Name, "SPDX bundle: entry is truncated: %v", err)
		}
		out = append(out, bundleEntry{name: clean, data: b})
	}
	if len(out) == 0 {
		return nil, invalid(name, "", "SPDX bundle: the archive holds no JSON documents")
	}
	return out, nil
}

// bundleDoc is one SPDX document of a bundle.
type bundleDoc struct {
	file      string // entry name
	sha1      string
	sd        *spdx.Document
	version   string
	extRefs   map[string]bundleExtRef // DocumentRef id (without prefix) → target
	comps     map[string]*inventory.Component
	order     []string                       // package refs in document order
	describes []string                       // DESCRIBES targets
	generated map[string]common.DocElementID // package ref → GENERATED_FROM target
}

type bundleExtRef struct {
	namespace, sha1 string
}

type bundleExtRefJSON struct {
	ExternalDocumentRefs []struct {
		ID        string `json:"externalDocumentId"`
		Namespace string `json:"spdxDocument"`
		Checksum  struct {
			Algorithm string `json:"algorithm"`
			Value     string `json:"checksumValue"`
		} `json:"checksum"`
	} `json:"externalDocumentRefs"`
}

// decodeSPDXBundle decodes an SPDX bundle: every document is validated
// against its SPDX schema, then resolveBundle joins them.
func decodeSPDXBundle(data []byte, name string) (*Document, error) {
	entries, err := readBundle(data, name)
	if err != nil {
		return nil, err
	}
	docs := map[string]*bundleDoc{}
	var files []string
	for _, e := range entries {
		where := name + "!" + e.name
		if e.name == "index.json" {
			continue // the list of documents; the documents themselves say the same
		}
		f, err := Detect(e.data)
		if err != nil || f.Name != FormatSPDX || f.Encoding != EncodingJSON {
			if err == nil {
				err = fmt.Errorf("%w: %s", ErrUnsupportedVersion, f)
			}
			return nil, fmt.Errorf("%s: not an SPDX 2.x JSON document: %w", where, err)
		}
		d, err := decodeBundleDoc(e, where, f)
		if err != nil {
			return nil, err
		}
		ns := d.sd.DocumentNamespace
		if prev, dup := docs[ns]; dup {
			return nil, invalid(where, "/documentNamespace", "namespace %q is also the namespace of %s", ns, prev.file)
		}
		docs[ns] = d
		files = append(files, ns)
	}
	if len(docs) == 0 {
		return nil, invalid(name, "", "SPDX bundle: the archive holds no SPDX documents")
	}
	return resolveBundle(docs, files, name)
}

func decodeBundleDoc(e bundleEntry, where string, f Format) (*bundleDoc, error) {
	if err := validateStream(e.data, FormatSPDX+"/"+f.SpecVersion, where); err != nil {
		return nil, err
	}
	var lean spdxJSONDoc
	if err := json.Unmarshal(e.data, &lean); err != nil {
		return nil, spdxFieldError(e.data, where, err)
	}
	var ext bundleExtRefJSON
	if err := json.Unmarshal(e.data, &ext); err != nil {
		return nil, spdxFieldError(e.data, where, err)
	}
	sum := sha1.Sum(e.data) //nolint:gosec // see import
	d := &bundleDoc{file: e.name, sha1: hex.EncodeToString(sum[:]), sd: lean.toSPDX(), version: f.SpecVersion,
		extRefs: map[string]bundleExtRef{}, comps: map[string]*inventory.Component{}, generated: map[string]common.DocElementID{}}
	for _, r := range ext.ExternalDocumentRefs {
		sha := ""
		if strings.EqualFold(r.Checksum.Algorithm, "SHA1") {
			sha = strings.ToLower(strings.TrimSpace(r.Checksum.Value))
		}
		d.extRefs[strings.TrimPrefix(r.ID, "DocumentRef-")] = bundleExtRef{namespace: r.Namespace, sha1: sha}
	}
	otherNames := map[string]string{}
	for _, ol := range d.sd.OtherLicenses {
		if ol != nil && ol.LicenseName != "" && !noAssertion(ol.LicenseName) {
			otherNames[ol.LicenseIdentifier] = ol.LicenseName
		}
	}
	for i, p := range d.sd.Packages {
		ref := "SPDXRef-" + string(p.PackageSPDXIdentifier)
		if _, dup := d.comps[ref]; dup {
			return nil, invalid(where, fmt.Sprintf("/packages/%d/SPDXID", i), "SPDXID %q is not unique", ref)
		}
		c := spdxToComponent(p, ref, otherNames)
		d.comps[ref] = &c
		d.order = append(d.order, ref)
	}
	for _, r := range d.sd.Relationships {
		if r == nil {
			continue
		}
		if ref, ok := describedBy(r, d.sd.SPDXIdentifier); ok {
			d.describes = append(d.describes, ref)
			continue
		}
		if strings.EqualFold(r.Relationship, "GENERATED_FROM") && r.RefA.DocumentRefID == "" {
			d.generated["SPDXRef-"+string(r.RefA.ElementRefID)] = r.RefB
		}
	}
	return d, nil
}

// bundleNode is a package of a bundle: its document and its ref there.
type bundleNode struct {
	doc *bundleDoc
	ref string
}

// bundleResolver resolves element ids across the documents of a bundle.
type bundleResolver struct {
	docs     map[string]*bundleDoc
	warnings uniqueList
}

// resolve returns the package id names in document d (an element of d, or
// DocumentRef-X:SPDXRef-Y of another document of the bundle); ok is false
// when it names no package of the bundle (a missing document is warned
// about).
func (br *bundleResolver) resolve(d *bundleDoc, id common.DocElementID) (bundleNode, bool) {
	if id.SpecialID != "" {
		return bundleNode{}, false
	}
	ref := "SPDXRef-" + string(id.ElementRefID)
	if id.DocumentRefID == "" {
		_, ok := d.comps[ref]
		return bundleNode{d, ref}, ok
	}
	ext, ok := d.extRefs[string(id.DocumentRefID)]
	if !ok {
		br.warnings.add(fmt.Sprintf("%s: DocumentRef-%s is not declared in externalDocumentRefs", d.file, id.DocumentRefID))
		return bundleNode{}, false
	}
	t, ok := br.docs[ext.namespace]
	if !ok {
		br.warnings.add(fmt.Sprintf("%s: DocumentRef-%s (%s) is not in the bundle", d.file, id.DocumentRefID, ext.namespace))
		return bundleNode{}, false
	}
	if ext.sha1 != "" && ext.sha1 != t.sha1 {
		br.warnings.add(fmt.Sprintf("%s: DocumentRef-%s: %s has SHA1 %s, not the %s the reference states", d.file, id.DocumentRefID, t.file, t.sha1, ext.sha1))
	}
	_, ok = t.comps[ref]
	return bundleNode{t, ref}, ok
}

// resolveBundle joins the documents of a bundle into one Document. The
// root is the document no other document refers to (create-spdx's image
// document; the bundle holds what it refers to, transitively). Its
// described package (else its only package) is the metadata component; the
// components are the packages reachable from the root's packages through
// dependency relationships (CONTAINS, DEPENDS_ON, …, as spdxEdge reads
// them) in any document, and the edges are those relationships between
// them wherever they are stated (the runtime documents'
// RUNTIME_DEPENDENCY_OF). A package without a version, licence, supplier
// or CPE takes its recipe's: the package it is GENERATED_FROM.
func resolveBundle(docs map[string]*bundleDoc, order []string, name string) (*Document, error) {
	br := &bundleResolver{docs: docs}
	referred := map[string]bool{}
	for _, d := range docs {
		for _, e := range d.extRefs {
			if e.namespace != d.sd.DocumentNamespace {
				referred[e.namespace] = true
			}
		}
	}
	root, err := bundleRoot(docs, order, referred)
	if err != nil {
		return nil, invalid(name, "", "SPDX bundle: %v", err)
	}
	// Every dependency edge of the bundle, resolved.
	type edge struct{ from, to bundleNode }
	adj := map[bundleNode][]bundleNode{}
	var edges []edge
	for _, ns := range order {
		d := docs[ns]
		for _, r := range d.sd.Relationships {
			if r == nil {
				continue
			}
			forward, ok := spdxEdgeForward(r.Relationship)
			if !ok {
				continue
			}
			a, b := r.RefA, r.RefB
			if !forward {
				a, b = b, a // B *_DEPENDENCY_OF A: A depends on B
			}
			na, ok1 := br.resolve(d, a)
			nb, ok2 := br.resolve(d, b)
			if ok1 && ok2 && na != nb {
				edges = append(edges, edge{na, nb})
				adj[na] = append(adj[na], nb)
			}
		}
	}
	// The metadata component and the reachable packages, breadth first.
	var meta *bundleNode
	if ds := uniqueDescribed(root); len(ds) == 1 {
		meta = &bundleNode{root, ds[0]}
	} else if len(root.order) == 1 {
		meta = &bundleNode{root, root.order[0]}
	}
	seen := map[bundleNode]bool{}
	var queue []bundleNode
	for _, ref := range root.order {
		n := bundleNode{root, ref}
		seen[n] = true
		queue = append(queue, n)
	}
	var reached []bundleNode
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		reached = append(reached, n)
		for _, m := range adj[n] {
			if !seen[m] {
				seen[m] = true
				queue = append(queue, m)
			}
		}
	}
	refs := bundleRefs(reached, root)
	out := &Document{Format: FormatSPDX, SpecVersion: root.version, Encoding: EncodingTar, Name: root.sd.DocumentName, SerialNumber: root.sd.DocumentNamespace}
	if ci := root.sd.CreationInfo; ci != nil {
		if t, err := time.Parse(time.RFC3339, ci.Created); err == nil {
			out.Created = t.UTC()
		}
	}
	comps := make([]inventory.Component, 0, len(reached))
	index := map[bundleNode]int{}
	for _, n := range reached {
		c := *n.doc.comps[n.ref]
		c.Ref = refs[n]
		c.DependsOn = nil
		br.inherit(&c, n)
		index[n] = len(comps)
		comps = append(comps, c)
	}
	added := edgeSet{}
	for _, e := range edges {
		i, ok1 := index[e.from]
		_, ok2 := index[e.to]
		if ok1 && ok2 {
			added.add(&comps[i].DependsOn, refs[e.from], refs[e.to])
		}
	}
	if meta != nil {
		mi := index[*meta]
		m := comps[mi]
		out.Metadata = &m
		comps = append(comps[:mi], comps[mi+1:]...)
	}
	out.Components = comps
	out.Warnings = br.warnings.list
	return out, nil
}

// bundleRoot is the image document of the bundle: of the documents no
// other refers to, the one that refers, transitively, to the most
// documents of the bundle (a recipe document can be left unreferred when
// the package document that referred to it is missing from the bundle).
func bundleRoot(docs map[string]*bundleDoc, order []string, referred map[string]bool) (*bundleDoc, error) {
	var best []*bundleDoc
	most := -1
	for _, ns := range order {
		if referred[ns] {
			continue
		}
		n := reachableDocs(docs, docs[ns])
		switch {
		case n > most:
			best, most = []*bundleDoc{docs[ns]}, n
		case n == most:
			best = append(best, docs[ns])
		}
	}
	if len(best) == 1 {
		return best[0], nil
	}
	var names []string
	for _, d := range best {
		names = append(names, d.file)
	}
	if len(names) == 0 {
		return nil, errors.New("cannot tell the image document: every document is referred to by another")
	}
	return nil, fmt.Errorf("cannot tell the image document: %s are referred to by no other document and refer to as many", strings.Join(names, ", "))
}

// reachableDocs counts the documents of the bundle that d refers to,
// directly or through others.
func reachableDocs(docs map[string]*bundleDoc, d *bundleDoc) int {
	seen := map[*bundleDoc]bool{d: true}
	stack := []*bundleDoc{d}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, e := range cur.extRefs {
			if t, ok := docs[e.namespace]; ok && !seen[t] {
				seen[t] = true
				stack = append(stack, t)
			}
		}
	}
	return len(seen) - 1
}

// uniqueDescribed is the packages of d that d DESCRIBES, each once.
func uniqueDescribed(d *bundleDoc) []string {
	var u uniqueList
	for _, r := range d.describes {
		if _, ok := d.comps[r]; ok {
			u.add(r)
		}
	}
	return u.list
}

// inherit fills what package n does not state from its recipe, the package
// it is GENERATED_FROM (create-spdx writes the CPEs, from CVE_PRODUCT, only
// on the recipe).
func (br *bundleResolver) inherit(c *inventory.Component, n bundleNode) {
	id, ok := n.doc.generated[n.ref]
	if !ok {
		return
	}
	src, ok := br.resolve(n.doc, id)
	if !ok {
		return
	}
	r := src.doc.comps[src.ref]
	if len(c.CPEs) == 0 {
		c.CPEs = append([]string(nil), r.CPEs...)
	}
	if len(c.Licenses) == 0 {
		c.Licenses = append([]string(nil), r.Licenses...)
	}
	if c.Supplier == "" {
		c.Supplier = r.Supplier
	}
	if c.Version == "" {
		c.Version = r.Version
	}
	if c.PURL == "" {
		c.PURL = r.PURL
	}
}

// bundleRefs gives every reached package a ref unique in the import: its
// SPDXID in the root document, else DocumentRef-<document name>:<SPDXID>,
// as create-spdx's image document names it.
func bundleRefs(nodes []bundleNode, root *bundleDoc) map[bundleNode]string {
	out := make(map[bundleNode]string, len(nodes))
	taken := map[string]bool{}
	sorted := append([]bundleNode(nil), nodes...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].doc == root && sorted[j].doc != root })
	for _, n := range sorted {
		ref := n.ref
		if n.doc != root {
			ref = "DocumentRef-" + n.doc.sd.DocumentName + ":" + n.ref
		}
		if taken[ref] {
			ref = n.doc.sd.DocumentNamespace + "#" + n.ref
		}
		taken[ref] = true
		out[n] = ref
	}
	return out
}
