package csaf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	gocsaf "github.com/gocsaf/csaf/v3/csaf"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Kind is the class of a test: a mandatory failure makes a document invalid;
// optional and informative failures are reported but never do.
type Kind string

// The three kinds of test of CSAF 2.0 section 6.
const (
	Mandatory   Kind = "mandatory"
	Optional    Kind = "optional"
	Informative Kind = "informative"
)

// SchemaTest is the test id reported for JSON schema failures.
const SchemaTest = "schema"

// Failure is one failed test at one place of the document.
type Failure struct {
	Test    string `json:"test"`    // "schema", "6.1.7", "6.1.27.9", "6.2.1", ...
	Kind    Kind   `json:"kind"`    // mandatory, optional or informative (schema failures are mandatory)
	Path    string `json:"path"`    // JSON pointer into the document ("" is the whole document)
	Message string `json:"message"` // what is wrong and what to do
}

// Result is the outcome of validating one document.
type Result struct {
	// Valid is true when the document passes the schema and every mandatory test.
	Valid    bool      `json:"valid"`
	Failures []Failure `json:"failures"`
}

// MaxDocumentSize bounds the documents Validate accepts (the largest real
// advisories are a few MB).
const MaxDocumentSize = 64 << 20

// ErrNotJSON is returned when the input is not a JSON object.
var ErrNotJSON = errors.New("not a JSON object")

// Validate checks one CSAF 2.0 document: the JSON schema and all tests of
// section 6. The error is non-nil only when data is not a JSON object (or is
// larger than MaxDocumentSize); every other problem is a Failure.
func Validate(data []byte) (Result, error) {
	if len(data) > MaxDocumentSize {
		return Result{}, fmt.Errorf("document is %d bytes, over the %d-byte limit", len(data), MaxDocumentSize)
	}
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	if _, ok := raw.(map[string]any); !ok {
		return Result{}, ErrNotJSON
	}
	var doc Document
	// Type mismatches are schema failures, reported below; Unmarshal keeps
	// decoding the rest, so the tests still run on what could be read.
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal(data, &doc); err != nil && !errors.As(err, &typeErr) {
		return Result{}, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	var fs []Failure
	schemaFailures, err := schemaCheck(raw)
	if err != nil {
		return Result{}, err
	}
	fs = append(fs, schemaFailures...)
	fs = append(fs, Check(&doc)...)
	return newResult(fs), nil
}

// ValidateDocument checks a document built in memory (authoring): it is
// encoded and validated exactly as a file would be.
func ValidateDocument(doc *Document) (Result, error) {
	data, err := json.Marshal(doc)
	if err != nil {
		return Result{}, err
	}
	return Validate(data)
}

func newResult(fs []Failure) Result {
	sort.SliceStable(fs, func(i, j int) bool { return testOrder(fs[i].Test) < testOrder(fs[j].Test) })
	r := Result{Valid: true, Failures: fs}
	if r.Failures == nil {
		r.Failures = []Failure{}
	}
	for _, f := range fs {
		if f.Kind == Mandatory {
			r.Valid = false
		}
	}
	return r
}

// testOrder sorts "schema" first, then test ids numerically.
func testOrder(id string) string {
	if id == SchemaTest {
		return ""
	}
	var b strings.Builder
	for _, p := range strings.Split(id, ".") {
		fmt.Fprintf(&b, "%04s.", p)
	}
	return b.String()
}

// schemaCheck runs the CSAF 2.0 JSON schema (embedded in gocsaf, with the
// FIRST CVSS schemas it references). Failures under a CVSS object are also
// reported as test 6.1.8 (invalid CVSS).
func schemaCheck(raw any) ([]Failure, error) {
	msgs, err := gocsaf.ValidateCSAF(raw)
	if err != nil {
		return nil, fmt.Errorf("CSAF JSON schema: %w", err)
	}
	type message struct{ path, msg string }
	ms := make([]message, len(msgs))
	for i, m := range msgs {
		path, msg := m, m
		if i := strings.Index(m, ": "); i >= 0 {
			path, msg = m[:i], m[i+2:]
		}
		if strings.HasPrefix(path, "file:") || strings.HasPrefix(path, "http") {
			path = "" // keyword location: failure of the whole document
		}
		ms[i] = message{path, sortedProperties(msg)}
	}
	// The schema library walks the document's objects as Go maps, so the
	// order of its messages (and of the names in one) varies from run to
	// run: list them by path, then text, so one document always gets the
	// same result.
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].path != ms[j].path {
			return ms[i].path < ms[j].path
		}
		return ms[i].msg < ms[j].msg
	})
	var fs failureList
	seen8 := map[string]bool{}
	for _, m := range ms {
		path, msg := m.path, m.msg
		fs.add(Failure{Test: SchemaTest, Kind: Mandatory, Path: path, Message: msg})
		for _, key := range []string{"/cvss_v2", "/cvss_v3"} {
			if i := strings.Index(path, key); i >= 0 && strings.HasPrefix(path, "/vulnerabilities/") {
				p := path[:i+len(key)]
				if !seen8[p] {
					seen8[p] = true
					fs.add(Failure{Test: "6.1.8", Kind: Mandatory, Path: p,
						Message: "CVSS object does not match the FIRST CVSS " + strings.TrimPrefix(key, "/cvss_") + " JSON schema: " + msg})
				}
			}
		}
	}
	return fs.done(), nil
}

// sortedProperties sorts the quoted names of the schema library's
// "additional properties 'b', 'a' not allowed" (listed in map order); any
// other message is returned as it is. Names are quoted with ' and an inner
// ' is escaped as \', as the library's quote writes them.
func sortedProperties(msg string) string {
	const prefix, suffix = "additional properties ", " not allowed"
	if !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, suffix) || len(msg) < len(prefix)+len(suffix) {
		return msg
	}
	list := msg[len(prefix) : len(msg)-len(suffix)]
	var names []string
	for len(list) > 0 {
		if list[0] != '\'' {
			return msg
		}
		end := 1
		for end < len(list) && list[end] != '\'' {
			if list[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(list) {
			return msg
		}
		names = append(names, list[:end+1])
		list = list[end+1:]
		if rest, ok := strings.CutPrefix(list, ", "); ok {
			list = rest
		} else if list != "" {
			return msg
		}
	}
	sort.Strings(names)
	return prefix + strings.Join(names, ", ") + suffix
}

// MaxFailuresPerTest bounds the failures listed for one test. A hostile
// document can fail one test millions of times (2,000 justification flags
// naming a group of 2,000 products fail 6.1.33 four million times); past
// the bound, the test's failures are counted in one last failure of that
// test, at the document's root, that says how many were not listed.
const MaxFailuresPerTest = 1000

// failureList collects failures, at most MaxFailuresPerTest per test.
type failureList struct {
	list    []Failure
	listed  map[string]int
	dropped map[string]int
	kind    map[string]Kind
}

// full reports whether test already has MaxFailuresPerTest failures listed;
// it then counts one more failure of kind for it.
func (l *failureList) full(test string, kind Kind) bool {
	if l.listed[test] < MaxFailuresPerTest {
		return false
	}
	if l.dropped == nil {
		l.dropped, l.kind = map[string]int{}, map[string]Kind{}
	}
	l.dropped[test]++
	l.kind[test] = kind
	return true
}

func (l *failureList) add(f Failure) {
	if l.full(f.Test, f.Kind) {
		return
	}
	if l.listed == nil {
		l.listed = map[string]int{}
	}
	l.listed[f.Test]++
	l.list = append(l.list, f)
}

// done returns the failures, with one more per test that had more than
// MaxFailuresPerTest (in the order the tests were first cut).
func (l *failureList) done() []Failure {
	tests := make([]string, 0, len(l.dropped))
	for t := range l.dropped {
		tests = append(tests, t)
	}
	sort.Slice(tests, func(i, j int) bool { return testOrder(tests[i]) < testOrder(tests[j]) })
	for _, t := range tests {
		l.list = append(l.list, Failure{Test: t, Kind: l.kind[t], Path: "",
			Message: fmt.Sprintf("%d more failures of test %s are not listed (at most %d per test are)", l.dropped[t], t, MaxFailuresPerTest)})
	}
	return l.list
}

// Check runs the tests of section 6 (without the JSON schema) on a decoded
// document.
func Check(doc *Document) []Failure {
	c := &checker{doc: doc}
	c.index()
	for _, t := range tests {
		t.run(c)
	}
	return c.fs.done()
}

type test struct {
	id   string
	kind Kind
	run  func(*checker)
}

// newTest makes test id of the given kind; its run first makes it the
// checker's current test, so that the failures it records carry both.
func newTest(kind Kind, id string, run func(*checker)) test {
	t := test{id: id, kind: kind}
	t.run = func(c *checker) { c.cur = t; run(c) }
	return t
}

type checker struct {
	doc *Document
	fs  failureList
	cur test

	defined  map[string]bool     // product ids defined in the product tree
	groups   map[string][]string // group id → product ids
	products []productDef        // every full product name with its path
}

type productDef struct {
	path string
	p    *FullProductName
}

func (c *checker) fail(path, format string, args ...any) {
	if c.fs.full(c.cur.id, c.cur.kind) {
		return // counted, not formatted
	}
	c.fs.add(Failure{Test: c.cur.id, Kind: c.cur.kind, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) index() {
	c.defined = map[string]bool{}
	c.groups = map[string][]string{}
	pt := c.doc.ProductTree
	if pt == nil {
		return
	}
	pt.WalkBranches(func(path string, b *Branch) {
		if b.Product != nil {
			c.products = append(c.products, productDef{path + "/product", b.Product})
		}
	})
	for i := range pt.FullProductNames {
		c.products = append(c.products, productDef{fmt.Sprintf("/product_tree/full_product_names/%d", i), &pt.FullProductNames[i]})
	}
	for i := range pt.Relationships {
		c.products = append(c.products, productDef{fmt.Sprintf("/product_tree/relationships/%d/full_product_name", i), &pt.Relationships[i].FullProductName})
	}
	for _, d := range c.products {
		c.defined[d.p.ProductID] = true
	}
	for _, g := range pt.ProductGroups {
		c.groups[g.GroupID] = append(c.groups[g.GroupID], g.ProductIDs...)
	}
}

// eachHashes calls fn with each hashes entry of every defined product's
// product_identification_helper and its path.
func (c *checker) eachHashes(fn func(path string, hs *Hashes)) {
	for _, d := range c.products {
		h := d.p.ProductIdentificationHelper
		if h == nil {
			continue
		}
		for hi := range h.Hashes {
			fn(fmt.Sprintf("%s/product_identification_helper/hashes/%d", d.path, hi), &h.Hashes[hi])
		}
	}
}

// ref is a product or group id used at a path.
type ref struct {
	path string
	id   string
}

func refs(path string, ids []string) []ref {
	out := make([]ref, 0, len(ids))
	for i, id := range ids {
		out = append(out, ref{fmt.Sprintf("%s/%d", path, i), id})
	}
	return out
}

// productRefs lists every place that references a product id.
func (c *checker) productRefs() []ref {
	var out []ref
	if pt := c.doc.ProductTree; pt != nil {
		for i, g := range pt.ProductGroups {
			out = append(out, refs(fmt.Sprintf("/product_tree/product_groups/%d/product_ids", i), g.ProductIDs)...)
		}
		for i, r := range pt.Relationships {
			p := fmt.Sprintf("/product_tree/relationships/%d", i)
			out = append(out, ref{p + "/product_reference", r.ProductReference}, ref{p + "/relates_to_product_reference", r.RelatesToProductReference})
		}
	}
	for vi := range c.doc.Vulnerabilities {
		v := &c.doc.Vulnerabilities[vi]
		vp := fmt.Sprintf("/vulnerabilities/%d", vi)
		if ps := v.ProductStatus; ps != nil {
			for _, s := range statusLists(ps) {
				out = append(out, refs(vp+"/product_status/"+s.name, s.ids)...)
			}
		}
		for _, s := range scopes(vp, v) {
			out = append(out, refs(s.path+"/"+s.productList, s.products)...)
		}
	}
	return out
}

// groupRefs lists every place that references a product group id.
func (c *checker) groupRefs() []ref {
	var out []ref
	for vi := range c.doc.Vulnerabilities {
		for _, s := range scopes(fmt.Sprintf("/vulnerabilities/%d", vi), &c.doc.Vulnerabilities[vi]) {
			out = append(out, refs(s.path+"/group_ids", s.groups)...)
		}
	}
	return out
}

// scope is a part of a vulnerability that names the products it is about:
// a remediation, score, threat or flag at path, naming products in its list
// productList and product groups in group_ids (scores name no groups).
type scope struct {
	path        string
	productList string
	products    []string
	groups      []string
}

// scopes lists v's remediations, scores, threats and flags, in that order;
// vp is v's path.
func scopes(vp string, v *Vulnerability) []scope {
	var out []scope
	for i, r := range v.Remediations {
		out = append(out, scope{fmt.Sprintf("%s/remediations/%d", vp, i), "product_ids", r.ProductIDs, r.GroupIDs})
	}
	for i, s := range v.Scores {
		out = append(out, scope{fmt.Sprintf("%s/scores/%d", vp, i), "products", s.Products, nil})
	}
	for i, t := range v.Threats {
		out = append(out, scope{fmt.Sprintf("%s/threats/%d", vp, i), "product_ids", t.ProductIDs, t.GroupIDs})
	}
	for i, f := range v.Flags {
		out = append(out, scope{fmt.Sprintf("%s/flags/%d", vp, i), "product_ids", f.ProductIDs, f.GroupIDs})
	}
	return out
}

type statusList struct {
	name string
	ids  []string
}

func statusLists(ps *ProductStatus) []statusList {
	return []statusList{
		{"first_affected", ps.FirstAffected},
		{"first_fixed", ps.FirstFixed},
		{"fixed", ps.Fixed},
		{"known_affected", ps.KnownAffected},
		{"known_not_affected", ps.KnownNotAffected},
		{"last_affected", ps.LastAffected},
		{"recommended", ps.Recommended},
		{"under_investigation", ps.UnderInvestigation},
	}
}

// statusGroup is the product status group (6.1.6) of a product status list.
func statusGroup(name string) string {
	switch name {
	case "first_affected", "known_affected", "last_affected":
		return "affected"
	case "known_not_affected":
		return "not affected"
	case "first_fixed", "fixed":
		return "fixed"
	case "under_investigation":
		return "under investigation"
	}
	return ""
}

// expand returns product ids plus the members of the groups, a group named
// twice once (its second copy adds only ids already there).
func (c *checker) expand(productIDs, groupIDs []string) []string {
	out := append([]string(nil), productIDs...)
	seen := map[string]bool{}
	for _, g := range groupIDs {
		if !seen[g] {
			seen[g] = true
			out = append(out, c.groups[g]...)
		}
	}
	return out
}
