package sbom

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"
	tvreader "github.com/spdx/tools-golang/tagvalue/reader"
)

// Streaming of SPDX tag-value (see StreamThreshold).
//
// tools-golang reads a tag-value document whole: ReadTagValues returns
// every (tag, value) pair and ParseTagValues builds the whole Document, so
// decodeSPDXTagValue holds the file several times over. tools-golang has no
// incremental reader (its parser's state is unexported), so the streamed
// path cuts the document into pieces the same parser can read alone and
// gives each piece to tools-golang as it is:
//
//   - the header: every line before the first PackageName (document
//     creation information, unpackaged files);
//   - groups: a package section and the file sections that follow it (the
//     parser puts those files in that package), up to the next PackageName
//     that starts a new package.
//
// A chunk is the header, the last group of the previous chunk (so the
// parser is in the state it would be in there: the previous package and
// file are checked for their SPDXID exactly as in one pass) and the next
// groups, up to tvChunkBytes. The packages, files and relationships that
// the context contributes are known from parsing the header and the context
// alone, and are skipped. The line splitter below is hand-written only to
// find the cut points: it follows tools-golang's line reader (comments,
// <text>…</text> values over several lines, the tag before the first ':'),
// and every line is still read by tools-golang itself.
//
// The parser keeps three pointers across sections that a chunk cannot
// restore (the last Relationship, Annotation and Review, which a later
// RelationshipComment, Annotation… or Review… line amends). A chunk in
// which such a line comes before its opener is not streamed: the document
// is decoded whole instead (errTVWhole), so the outcome is always
// decodeSPDXTagValue's.

// tvChunkBytes is the size of the groups a chunk holds (tests lower it).
var tvChunkBytes int64 = 256 << 10

// errTVWhole: the document must be decoded whole (see above).
var errTVWhole = errors.New("tag-value document decoded whole")

// tvSpan is a byte range of the document.
type tvSpan struct{ from, to int64 }

// tvChunk is one chunk: ctx is the context group (empty for the first).
type tvChunk struct{ ctx, groups tvSpan }

// tvPrepared is what pass 1 keeps of a tag-value document.
type tvPrepared struct {
	f          Format
	header     []byte
	chunks     []tvChunk
	refs       *refSet // package SPDXIDs → chunk index
	meta       string
	docName    string
	namespace  string
	created    string
	otherNames map[string]string
}

// tvSplit cuts the document in ra into the header and groups, calling
// group with each group's span. It reports whether the document has a
// package at all.
func tvSplit(ra io.ReaderAt, size int64, group func(tvSpan) error) (header tvSpan, any bool, err error) {
	br := bufio.NewReaderSize(io.NewSectionReader(ra, 0, size), 64<<10)
	var off int64
	midtext := false
	start := int64(-1) // start of the current group
	name := ""         // the current group's package name
	for {
		line, rerr := br.ReadSlice('\n')
		if rerr == bufio.ErrBufferFull {
			// A line over 64 KiB: tools-golang's scanner rejects it; keep
			// reading it in pieces (none can start a group).
			var long []byte
			long = append(long, line...)
			for rerr == bufio.ErrBufferFull {
				line, rerr = br.ReadSlice('\n')
				long = append(long, line...)
			}
			off += int64(len(long))
			midtext = midtext && !bytes.Contains(long, []byte("</text>"))
			if rerr != nil && rerr != io.EOF {
				return header, any, rerr
			}
			if rerr == io.EOF {
				break
			}
			continue
		}
		if rerr != nil && rerr != io.EOF {
			return header, any, rerr
		}
		lineAt := off
		off += int64(len(line))
		text := strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r")
		if midtext {
			if strings.Contains(text, "</text>") {
				midtext = false
			}
		} else if tag, value, mid, ok := tvLine(text); ok {
			midtext = mid
			if tag == "PackageName" && (start < 0 || name != "") {
				if start < 0 {
					header = tvSpan{0, lineAt}
				} else if err := group(tvSpan{start, lineAt}); err != nil {
					return header, any, err
				}
				start, any = lineAt, true
			}
			if tag == "PackageName" {
				name = value
			}
		}
		if rerr == io.EOF {
			break
		}
	}
	if start >= 0 {
		if err := group(tvSpan{start, off}); err != nil {
			return header, any, err
		}
	}
	return header, any, nil
}

// tvLine reads one line as tools-golang's reader does outside a text
// value: its tag and value, whether it opens a multi-line <text> value,
// and whether it is a tag line at all (blank lines, comments and lines
// without a colon are not).
func tvLine(line string) (tag, value string, midtext, ok bool) {
	line = strings.TrimLeftFunc(line, unicode.IsSpace)
	if line == "" || strings.HasPrefix(line, "#") {
		return "", "", false, false
	}
	tag, rest, found := strings.Cut(line, ":")
	if !found {
		return "", "", false, false
	}
	tag = strings.TrimSpace(tag)
	_, after, isText := strings.Cut(rest, "<text>")
	if !isText {
		return tag, strings.TrimSpace(rest), false, true
	}
	if v, _, closed := strings.Cut(after, "</text>"); closed {
		return tag, v, false, true
	}
	return tag, after + "\n", true, true
}

// tvPiece is what parsing one chunk (or its context alone) yields.
type tvPiece struct {
	doc      *spdx.Document
	snippets []string
}

// parseTV parses data as decodeSPDXTagValue does, without its whole-document
// checks. whole reports whether a line amends an item the data does not
// hold (see errTVWhole).
func parseTV(data []byte, name string, f Format) (*tvPiece, error) {
	pairs, err := tvreader.ReadTagValues(bytes.NewReader(data))
	if err != nil {
		return nil, tagValueError(data, name, f, err)
	}
	kept, snippets := dropSnippets(pairs)
	p := &tvPiece{snippets: snippets}
	rel, ann, rev := false, false, false
	for _, pr := range kept {
		switch pr.Tag {
		case "Relationship":
			rel = true
		case "Annotator":
			ann = true
		case "Reviewer":
			rev = true
		case "RelationshipComment":
			if !rel {
				return nil, errTVWhole
			}
		case "AnnotationDate", "AnnotationType", "SPDXREF", "AnnotationComment":
			if !ann {
				return nil, errTVWhole
			}
		case "ReviewDate", "ReviewComment":
			if !rev {
				return nil, errTVWhole
			}
		}
	}
	doc, err := parseTagValues(kept, f.SpecVersion)
	if err != nil {
		return nil, tagValueError(data, name, f, err)
	}
	p.doc = doc
	return p, nil
}

func readSpan(ra io.ReaderAt, s tvSpan) ([]byte, error) {
	b := make([]byte, s.to-s.from)
	if _, err := ra.ReadAt(b, s.from); err != nil && !(err == io.EOF && len(b) > 0) {
		return nil, err
	}
	return b, nil
}

// tvChunkItems parses chunk c and returns what its groups (not its header
// or context) contribute: packages, relationships, other licences, snippet
// ids.
type tvItems struct {
	packages []*spdx.Package
	rels     []*spdx.Relationship
	others   []*spdx.OtherLicense
	snippets []string
	doc      *spdx.Document
}

func (p *tvPrepared) items(ra io.ReaderAt, c tvChunk, name string) (*tvItems, error) {
	groups, err := readSpan(ra, c.groups)
	if err != nil {
		return nil, fmt.Errorf("%s: read SBOM: %w", name, err)
	}
	skipP, skipR, skipO, skipS := 0, 0, 0, 0
	var data []byte
	if c.ctx.to > c.ctx.from {
		ctx, err := readSpan(ra, c.ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: read SBOM: %w", name, err)
		}
		base := append(append([]byte{}, p.header...), ctx...)
		alone, err := parseTV(base, name, p.f)
		if err != nil {
			return nil, err
		}
		skipP, skipR, skipO, skipS = len(alone.doc.Packages), len(alone.doc.Relationships), len(alone.doc.OtherLicenses), len(alone.snippets)
		data = append(base, groups...)
	} else {
		data = append(append([]byte{}, p.header...), groups...)
	}
	piece, err := parseTV(data, name, p.f)
	if err != nil {
		return nil, err
	}
	d := piece.doc
	it := &tvItems{doc: d}
	if len(d.Packages) >= skipP {
		it.packages = d.Packages[skipP:]
	}
	if len(d.Relationships) >= skipR {
		it.rels = d.Relationships[skipR:]
	}
	if len(d.OtherLicenses) >= skipO {
		it.others = d.OtherLicenses[skipO:]
	}
	if len(piece.snippets) >= skipS {
		it.snippets = piece.snippets[skipS:]
	}
	return it, nil
}

// prepareSPDXTagValue is pass 1 for SPDX tag-value: every chunk parsed by
// tools-golang and checked as decodeSPDXTagValue checks the whole document
// (checkSPDXTagValue, checkSPDXComplete, fromSPDX's unique SPDXIDs), with
// the identifiers kept as hashes. It returns errTVWhole when the document
// must be decoded whole.
func prepareSPDXTagValue(ra io.ReaderAt, size int64, name string, f Format) (*tvPrepared, error) {
	// A tag-value document has no closing marker; a last line without a
	// line break is a cut file (as decodeSPDXTagValue says).
	if size > 0 {
		tail := make([]byte, min(size, 4096))
		if _, err := ra.ReadAt(tail, size-int64(len(tail))); err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s: read SBOM: %w", name, err)
		}
		t := bytes.TrimRight(tail, " \t")
		if len(t) == 0 {
			return nil, errTVWhole // only blanks at the end: rare, and the whole path judges it
		}
		if t[len(t)-1] != '\n' {
			lines, err := countLines(ra, size)
			if err != nil {
				return nil, fmt.Errorf("%s: read SBOM: %w", name, err)
			}
			return nil, invalid(name, fmt.Sprintf("line %d", lines), "SPDX tag-value: the last line has no line break: the file is truncated")
		}
	}
	p := &tvPrepared{f: f, refs: newRefSet(), otherNames: map[string]string{}}
	var groups []tvSpan
	header, anyPkg, err := tvSplit(ra, size, func(s tvSpan) error { groups = append(groups, s); return nil })
	if err != nil {
		return nil, fmt.Errorf("%s: read SBOM: %w", name, err)
	}
	if !anyPkg || header.to > 1<<20 {
		return nil, errTVWhole // nothing to stream, or a header too large to repeat
	}
	if p.header, err = readSpan(ra, header); err != nil {
		return nil, fmt.Errorf("%s: read SBOM: %w", name, err)
	}
	// Chunks of whole groups.
	for i := 0; i < len(groups); {
		c := tvChunk{groups: tvSpan{groups[i].from, groups[i].from}}
		if i > 0 {
			c.ctx = groups[i-1]
		}
		for i < len(groups) && (c.groups.to == c.groups.from || groups[i].to-c.groups.from <= tvChunkBytes) {
			c.groups.to = groups[i].to
			i++
		}
		p.chunks = append(p.chunks, c)
	}
	defined := map[uint64]struct{}{}
	def := func(id string) { defined[p.refs.key(id)] = struct{}{} }
	def("DOCUMENT")
	type pending struct {
		ref   uint64
		chunk int32
		rel   int32
	}
	var forward []pending
	var describeRels []spdx.Relationship
	var headerDoc *spdx.Document
	npkg := 0
	for ci, c := range p.chunks {
		it, err := p.items(ra, c, name)
		if err != nil {
			return nil, err
		}
		if ci == 0 {
			headerDoc = it.doc
			if err := checkSPDXHeader(headerDoc, name); err != nil {
				return nil, err
			}
			for _, fl := range headerDoc.Files {
				if err := checkSPDXFile(fl, "", name, f.SpecVersion, def); err != nil {
					return nil, err
				}
			}
		}
		for _, s := range it.snippets {
			def(s)
		}
		for _, pk := range it.packages {
			if err := checkSPDXPackage(pk, npkg, name); err != nil {
				return nil, err
			}
			npkg++
		}
		for _, pk := range it.packages {
			if err := checkSPDXPackageComplete(pk, name, f.SpecVersion, def); err != nil {
				return nil, err
			}
			ref := "SPDXRef-" + string(pk.PackageSPDXIdentifier)
			k := p.refs.key(ref)
			if prev, hit := p.refs.m[k]; hit {
				if dup, err := p.hasPackage(ra, int(prev), ref, name, int(prev) == ci); err != nil {
					return nil, err
				} else if dup {
					return nil, invalid(name, "packages", "SPDXID %q is not unique", ref)
				}
				continue
			}
			p.refs.m[k] = int32(ci)
		}
		for ri, r := range it.rels {
			if r == nil {
				continue
			}
			// A streamed document has packages, so it describes something
			// (checkSPDXComplete's last rule).
			if rel := strings.ToUpper(r.Relationship); rel == "DESCRIBES" || rel == "DESCRIBED_BY" {
				describeRels = append(describeRels, *r)
			}
			for _, ref := range []common.DocElementID{r.RefA, r.RefB} {
				if ref.DocumentRefID != "" || ref.SpecialID != "" || ref.ElementRefID == "" {
					continue
				}
				if _, ok := defined[p.refs.key(string(ref.ElementRefID))]; !ok {
					forward = append(forward, pending{p.refs.key(string(ref.ElementRefID)), int32(ci), int32(ri)})
				}
			}
		}
		for _, ol := range it.others {
			if ol != nil && ol.LicenseName != "" && !noAssertion(ol.LicenseName) {
				p.otherNames[ol.LicenseIdentifier] = ol.LicenseName
			}
		}
	}
	for _, fw := range forward {
		if _, ok := defined[fw.ref]; ok {
			continue
		}
		it, err := p.items(ra, p.chunks[fw.chunk], name)
		if err != nil {
			return nil, err
		}
		r := it.rels[fw.rel]
		for _, ref := range []common.DocElementID{r.RefA, r.RefB} {
			if p.refs.key(string(ref.ElementRefID)) == fw.ref {
				return nil, invalid(name, "Relationship", "%s %s %s: element SPDXRef-%s is not defined in the document: the document is incomplete (truncated?)",
					r.RefA, r.Relationship, r.RefB, ref.ElementRefID)
			}
		}
	}
	p.docName, p.namespace = headerDoc.DocumentName, headerDoc.DocumentNamespace
	if headerDoc.CreationInfo != nil {
		p.created = headerDoc.CreationInfo.Created
	}
	// The described package, as fromSPDX finds it.
	p.meta = p.refs.described(describedIn(describeRels, headerDoc.SPDXIdentifier))
	return p, nil
}

// hasPackage reports whether chunk ci holds a package with SPDXID ref (a
// hash hit confirmed on the text); self: the package being checked is in
// that chunk too, so it must be there twice.
func (p *tvPrepared) hasPackage(ra io.ReaderAt, ci int, ref, name string, self bool) (bool, error) {
	it, err := p.items(ra, p.chunks[ci], name)
	if err != nil {
		return false, err
	}
	n := 0
	for _, pk := range it.packages {
		if pk != nil && "SPDXRef-"+string(pk.PackageSPDXIdentifier) == ref {
			n++
		}
	}
	if self {
		return n >= 2, nil
	}
	return n >= 1, nil
}

// emitSPDXTagValue is pass 2 for SPDX tag-value: the packages chunk by
// chunk (the described one as the metadata component), then the
// relationships between them, as fromSPDX converts them.
func emitSPDXTagValue(p *Prepared, sink Sink) (*Streamed, error) {
	tp := p.tv
	res := &Streamed{Document: Document{Format: p.f.Name, SpecVersion: p.f.SpecVersion, Encoding: p.f.Encoding, Name: tp.docName, SerialNumber: tp.namespace}}
	if t, err := time.Parse(time.RFC3339, tp.created); err == nil {
		res.Created = t.UTC()
	}
	e := &spdxEmitter{p: &spdxPrepared{refs: tp.refs, meta: tp.meta, otherNames: tp.otherNames}, name: p.name}
	e.sink, e.res = sink, res
	for _, c := range tp.chunks {
		it, err := tp.items(p.ra, c, p.name)
		if err != nil {
			return nil, err
		}
		for _, pk := range it.packages {
			if pk == nil {
				continue
			}
			if err := e.pkg(pk); err != nil {
				return nil, err
			}
		}
	}
	if err := e.flush(); err != nil {
		return nil, err
	}
	for _, c := range tp.chunks {
		it, err := tp.items(p.ra, c, p.name)
		if err != nil {
			return nil, err
		}
		for _, r := range it.rels {
			if err := e.relationship(r); err != nil {
				return nil, err
			}
		}
	}
	if err := e.flushLinks(); err != nil {
		return nil, err
	}
	return res, nil
}

// countLines is the 1-based number of the last line of the document.
func countLines(ra io.ReaderAt, size int64) (int, error) {
	n := 1
	buf := make([]byte, 64<<10)
	for off := int64(0); off < size; {
		k, err := ra.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		n += bytes.Count(buf[:k], []byte{'\n'})
		off += int64(k)
		if err != nil && err != io.EOF {
			return 0, err
		}
		if k == 0 {
			break
		}
	}
	return n, nil
}
