// Package sarif parses SARIF 2.1.0 logs (OASIS Static Analysis Results
// Interchange Format) from any tool: CodeQL, Semgrep, gosec, Grype,
// Flawfinder, Gitleaks, SpotBugs, … Results are streamed one at a time
// with json.Decoder, so logs of any size parse in constant memory (beyond
// each run's rule table).
//
// Mapping (SARIF 2.1.0 §3.27 result, §3.49 reportingDescriptor):
//   - one finding per result; results whose kind is pass, notApplicable or
//     informational are skipped: they are not issues; a suppressed result
//     (§3.35) is imported not active (false positive), with the
//     suppression's kind and justification;
//   - results whose baselineState is "absent" (§3.27.24: in the baseline
//     run only) are skipped; a suppression makes a result not active only
//     when one is accepted and none is underReview or rejected (§3.27.23);
//   - rule: by ruleIndex/rule.index in the component rule.toolComponent
//     names (by index or by name), else by id, else by the nearest parent
//     of a hierarchical id; an index whose rule has another id gives way
//     to the rule of the result's id;
//   - severity: the numeric "security-severity" property (result, then
//     rule; GitHub code scanning's convention) on the CVSS scale, a word in
//     that property, else a result's "issue_severity" word (Bandit's
//     SARIF, which omits "warning" levels), else the level (result, rule
//     defaultConfiguration, default "warning"; "none" for a result of
//     kind review or open, §3.27.10): error → high, warning → medium,
//     note → low, none → info;
//   - title: the rule's shortDescription, else its name when it is not the
//     id, else the first line of the message;
//   - CWEs: from rule tags ("external/cwe/cwe-079", "CWE-89"), a "cwe"
//     property, relationships to the CWE taxonomy and the result's taxa;
//   - component: a "component" property; for Trivy, the package and
//     installed version its message states (with the fixed versions);
//   - vulnerability ids: CVE/GHSA ids in the rule id;
//   - locations: every physicalLocation (artifact URI, resolved against
//     the run's relative originalUriBaseIds, and start line);
//     a result with none that names a file is located at its
//     analysisTarget (§3.27.13);
//   - unique id: guid, else the first fingerprint, else the first partial
//     fingerprint (by key order).
package sarif

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Name is the format's registry name.
const Name = "sarif"

// Format describes SARIF 2.1.0 logs from any tool to the registry.
var Format = reportio.Format{
	Name:        Name,
	Description: "SARIF 2.1.0 log from any tool (CodeQL, Semgrep, gosec, Grype, Flawfinder, SpotBugs, …)",
	DetectRule:  "JSON object whose top-level \"runs\" is an array, with a \"driver\" key (runs[].tool.driver), a SARIF $schema, version \"2.1.0\" or results with a message or ruleId (keys in any order, anywhere in the first 4 MiB)",
	Detect:      Detect,
	Parse:       Parse,
}

// Detect reports whether head looks like a SARIF log (see Format.DetectRule).
func Detect(h *reportio.Head) bool {
	k := h.JSONObject()
	if k == nil || (k.TopKind("runs") != '[' && !(k.HasTop("runs") && k.TopKind("runs") == 'n')) {
		return false
	}
	return k.Has("driver") || strings.Contains(strings.ToLower(k.TopString("$schema")), "sarif") || k.TopString("version") == "2.1.0" ||
		k.HasPath("runs[].results[].message") || k.HasPath("runs[].results[].ruleId")
}

type text struct {
	Text      string   `json:"text"`
	Markdown  string   `json:"markdown"`
	ID        string   `json:"id"`
	Arguments []string `json:"arguments"`
}

type rule struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	ShortDescription     text            `json:"shortDescription"`
	FullDescription      text            `json:"fullDescription"`
	Help                 text            `json:"help"`
	HelpURI              string          `json:"helpUri"`
	MessageStrings       map[string]text `json:"messageStrings"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	Properties    properties `json:"properties"`
	Relationships []struct {
		Target reference `json:"target"`
	} `json:"relationships"`
}

// reference is a reportingDescriptorReference (§3.53): a rule's
// relationship target or a result's taxon (§3.27.8).
type reference struct {
	ID            string `json:"id"`
	ToolComponent struct {
		Name  string `json:"name"`
		Index *int   `json:"index"`
	} `json:"toolComponent"`
}

// cwe returns the CWE a reference names: a taxon of a taxonomy named CWE
// (by name, or by index into the run's taxonomies when they were read
// before it), or an id written "CWE-n" whatever the taxonomy is called.
func (ru *run) cwe(ref reference) (int, bool) {
	tc := ref.ToolComponent
	name := tc.Name
	if name == "" && tc.Index != nil && *tc.Index >= 0 && *tc.Index < len(ru.taxonomies) {
		name = ru.taxonomies[*tc.Index].Name
	}
	if strings.EqualFold(name, "CWE") || (len(ref.ID) > 4 && strings.EqualFold(ref.ID[:4], "CWE-")) {
		return findings.ParseCWE(ref.ID)
	}
	return 0, false
}

type properties map[string]any

func (p properties) str(key string) string {
	switch v := p[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case float64: // results buffered before the tool are decoded without UseNumber
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

func (p properties) strings(key string) []string {
	switch v := p[key].(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			switch s := e.(type) {
			case string:
				out = append(out, s)
			case json.Number:
				out = append(out, s.String())
			}
		}
		return out
	}
	return nil
}

type component struct {
	Name  string `json:"name"`
	Rules []rule `json:"rules"`
	// GlobalMessageStrings (§3.19.22) hold messages results cite by id
	// when their rule has no string of that id.
	GlobalMessageStrings map[string]text `json:"globalMessageStrings"`
}

type tool struct {
	Driver     component   `json:"driver"`
	Extensions []component `json:"extensions"`
}

type artifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId"`
	Index     *int   `json:"index"`
}

type location struct {
	PhysicalLocation *struct {
		ArtifactLocation artifactLocation `json:"artifactLocation"`
		Region           struct {
			StartLine int `json:"startLine"`
		} `json:"region"`
	} `json:"physicalLocation"`
	LogicalLocations []struct {
		FullyQualifiedName string `json:"fullyQualifiedName"`
		Name               string `json:"name"`
	} `json:"logicalLocations"`
}

type result struct {
	RuleID    string `json:"ruleId"`
	RuleIndex *int   `json:"ruleIndex"`
	Rule      *struct {
		ID            string `json:"id"`
		Index         *int   `json:"index"`
		ToolComponent *struct {
			Index *int   `json:"index"`
			Name  string `json:"name"`
		} `json:"toolComponent"`
	} `json:"rule"`
	Kind                string                     `json:"kind"`
	Level               string                     `json:"level"`
	BaselineState       string                     `json:"baselineState"`
	AnalysisTarget      artifactLocation           `json:"analysisTarget"`
	Taxa                []reference                `json:"taxa"`
	Message             text                       `json:"message"`
	Locations           []location                 `json:"locations"`
	GUID                string                     `json:"guid"`
	Fingerprints        map[string]json.RawMessage `json:"fingerprints"`
	PartialFingerprints map[string]json.RawMessage `json:"partialFingerprints"`
	Suppressions        []struct {
		Kind          string `json:"kind"`
		Status        string `json:"status"`
		Justification string `json:"justification"`
	} `json:"suppressions"`
	Properties properties `json:"properties"`
}

type artifact struct {
	Location artifactLocation `json:"location"`
}

// run holds what results of one run are resolved against.
type run struct {
	tool       tool
	haveTool   bool
	taxonomies []struct {
		Name string `json:"name"`
	}
	bases     map[string]artifactLocation // originalUriBaseIds
	byID      map[string]*rule
	artifacts []artifact
	derived   map[*rule]*ruleInfo // per-rule data computed once
	ids       map[string][]string // vulnerability ids by rule id
}

// ruleInfo is what a rule contributes to each of its results.
type ruleInfo struct {
	cwes       []int
	mitigation string
	references []string
	component  findings.Component
}

func (ru *run) info(rl *rule) *ruleInfo {
	if ri, ok := ru.derived[rl]; ok {
		return ri
	}
	ri := &ruleInfo{mitigation: rl.Help.Text}
	if ri.mitigation == "" {
		ri.mitigation = rl.Help.Markdown
	}
	if rl.HelpURI != "" {
		ri.references = []string{rl.HelpURI}
	}
	ri.cwes = append(ri.cwes, reportio.CWEsIn(rl.Properties.strings("tags"))...)
	for _, k := range []string{"cwe", "CWE", "cwe_id"} {
		ri.cwes = append(ri.cwes, reportio.CWEs(rl.Properties.strings(k))...)
	}
	for _, rel := range rl.Relationships {
		if n, ok := ru.cwe(rel.Target); ok {
			ri.cwes = append(ri.cwes, n)
		}
	}
	if c := rl.Properties.str("component"); c != "" {
		ri.component = findings.Component{Name: c, Version: rl.Properties.str("componentVersion")}
	}
	if ru.derived == nil {
		ru.derived = map[*rule]*ruleInfo{}
	}
	ru.derived[rl] = ri
	return ri
}

func (ru *run) vulnIDs(ruleID string) []string {
	if ids, ok := ru.ids[ruleID]; ok {
		return slices.Clone(ids)
	}
	ids := findings.VulnIDsIn(ruleID)
	if ru.ids == nil {
		ru.ids = map[string][]string{}
	}
	ru.ids[ruleID] = ids
	return slices.Clone(ids)
}

func (r *run) index() {
	r.byID = map[string]*rule{}
	for _, c := range append([]component{r.tool.Driver}, r.tool.Extensions...) {
		for i := range c.Rules {
			if _, dup := r.byID[c.Rules[i].ID]; !dup {
				r.byID[c.Rules[i].ID] = &c.Rules[i]
			}
		}
	}
}

// lookup finds a result's rule (§3.52.3): by index in the component its
// toolComponent names (an extension by index or by name, else the driver),
// else by id. An index whose rule has another id than the result's (the
// spec says they are equal; some converters number rules per file) gives
// way to the rule of that id when the run has one.
func (r *run) lookup(res *result) *rule {
	comp := &r.tool.Driver
	idx := res.RuleIndex
	id := res.RuleID
	if res.Rule != nil {
		if res.Rule.Index != nil {
			idx = res.Rule.Index
		}
		if id == "" {
			id = res.Rule.ID
		}
		if tc := res.Rule.ToolComponent; tc != nil {
			switch {
			case tc.Index != nil && *tc.Index >= 0 && *tc.Index < len(r.tool.Extensions):
				comp = &r.tool.Extensions[*tc.Index]
			case tc.Index == nil && tc.Name != "" && tc.Name != r.tool.Driver.Name:
				for i := range r.tool.Extensions {
					if r.tool.Extensions[i].Name == tc.Name {
						comp = &r.tool.Extensions[i]
						break
					}
				}
			}
		}
	}
	if idx != nil && *idx >= 0 && *idx < len(comp.Rules) {
		rl := &comp.Rules[*idx]
		if id == "" || rl.ID == id || strings.HasPrefix(id, rl.ID+"/") {
			return rl
		}
		if byID := r.byIDOrParent(id); byID != nil {
			return byID
		}
		return rl
	}
	return r.byIDOrParent(id)
}

// byIDOrParent finds the rule of id, else of its nearest parent: a
// hierarchical id "parent/child" (§3.27.5) names a violation of the rule
// "parent" more precisely.
func (r *run) byIDOrParent(id string) *rule {
	for id != "" {
		if ru, ok := r.byID[id]; ok {
			return ru
		}
		i := strings.LastIndexByte(id, '/')
		if i <= 0 {
			break
		}
		id = id[:i]
	}
	return nil
}

// Parse streams the findings of the SARIF log r (named name in errors) to
// emit. An empty log (no runs, or runs without results) gives no findings.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	if empty, err := dec.BeginObject("SARIF log must be a JSON object"); err != nil || empty {
		return err
	}
	sawRuns, runs, scans := false, 0, 0
	var runsAt int64
	var failedRun error // the first run that says it failed; the others are still read
	err := dec.Object(func(key string) error {
		switch key {
		case "version":
			var v string
			if err := dec.Decode(&v, "version"); err != nil {
				return err
			}
			if v != "2.1.0" {
				return &reportio.ParseError{File: name, Offset: dec.Offset(), Field: "version", Err: fmt.Errorf("unsupported SARIF version %q (only 2.1.0 is supported)", v)}
			}
			return nil
		case "runs":
			sawRuns, runsAt = true, dec.Offset()
			return dec.Array("runs", func() error {
				scan, err := parseRun(dec, name, runs, emit)
				runs++
				if scan {
					scans++
				}
				if errors.Is(err, reportio.ErrIncompleteScan) {
					failedRun, err = cmp.Or(failedRun, err), nil
				}
				return err
			})
		}
		return dec.Skip()
	})
	if err := dec.Known(sawRuns, err, `no "runs" array: not a SARIF log`); err != nil {
		return err
	}
	switch {
	case runs == 0:
		// §3.13.4: runs is null when the producer failed before a run
		// could be written; an empty array means no tool ran. Either way
		// nothing was scanned, and importing it would close every open
		// finding of the scope.
		return reportio.IncompleteAt(name, runsAt, "runs", "the log has no run (runs is empty or null): no analysis ran")
	case scans == 0:
		// §3.14.23: results may be omitted only when a run exports rule
		// metadata alone; a scan has a results array, if empty.
		return reportio.IncompleteAt(name, runsAt, "runs[].results", "no run has a results array: the log describes no scan (rule metadata only, or the tool produced no results)")
	}
	return failedRun
}

// invocation is what a run's invocations (§3.20) say about how the tool
// ended.
type invocation struct {
	ExecutionSuccessful *bool  `json:"executionSuccessful"`
	ExitCode            *int   `json:"exitCode"`
	ExitSignalName      string `json:"exitSignalName"`
	// Notifications (§3.58) the tool raised while it ran or was set up.
	ToolExecutionNotifications     []notification `json:"toolExecutionNotifications"`
	ToolConfigurationNotifications []notification `json:"toolConfigurationNotifications"`
}

type notification struct {
	Level   string `json:"level"`
	Message text   `json:"message"`
}

// failed returns why the invocations say the run failed: an invocation
// whose executionSuccessful is false (§3.20.14: the tool failed to start,
// exited with a code that denotes failure or ended with an unhandled
// exception or signal; Appendix I: its results are not complete). Error
// notifications of a run that still says it succeeded are per-target
// problems the tool judged not fatal (CodeQL and Semgrep report files they
// could not parse so), and are imported.
func failed(invs []invocation) (string, bool) {
	for i, inv := range invs {
		if inv.ExecutionSuccessful == nil || *inv.ExecutionSuccessful {
			continue
		}
		why := fmt.Sprintf("invocations[%d].executionSuccessful is false: the tool says its run failed", i)
		if inv.ExitCode != nil {
			why += fmt.Sprintf(" (exit code %d", *inv.ExitCode)
			if inv.ExitSignalName != "" {
				why += ", " + inv.ExitSignalName
			}
			why += ")"
		}
		for _, n := range append(slices.Clip(inv.ToolExecutionNotifications), inv.ToolConfigurationNotifications...) {
			if n.Level == "error" && strings.TrimSpace(n.Message.Text) != "" {
				why += ": " + reportio.Clip(strings.TrimSpace(n.Message.Text), 300)
				break
			}
		}
		return why, true
	}
	return "", false
}

// parseRun reads run number i, emitting its results, and reports whether
// it is a scan (has a results array). A run whose invocations say it
// failed ends in an ErrIncompleteScan error once its results are emitted.
func parseRun(dec *reportio.JSONDecoder, name string, i int, emit func(findings.Finding) error) (bool, error) {
	if err := dec.ExpectObject("runs[]"); err != nil {
		return false, err
	}
	var ru run
	var pending []json.RawMessage // results seen before the tool
	var invs []invocation
	var invsAt int64
	scan := false
	err := dec.Object(func(key string) error {
		switch key {
		case "invocations":
			invsAt = dec.Offset()
			return dec.Decode(&invs, "runs[].invocations")
		case "tool":
			if err := dec.Decode(&ru.tool, "runs[].tool"); err != nil {
				return err
			}
			ru.haveTool = true
			ru.index()
			return nil
		case "artifacts":
			return dec.Decode(&ru.artifacts, "runs[].artifacts")
		case "taxonomies":
			return dec.Decode(&ru.taxonomies, "runs[].taxonomies")
		case "originalUriBaseIds":
			return dec.Decode(&ru.bases, "runs[].originalUriBaseIds")
		case "results":
			scan = true
			if ru.haveTool {
				return ru.results(dec, emit)
			}
			return dec.Array("runs[].results", func() error {
				var raw json.RawMessage
				if err := dec.Decode(&raw, "runs[].results[]"); err != nil {
					return err
				}
				pending = append(pending, raw)
				return nil
			})
		}
		return dec.Skip()
	})
	if err != nil {
		return false, err
	}
	if len(pending) > 0 && !ru.haveTool {
		return false, &reportio.ParseError{File: name, Offset: dec.Offset(), Field: "runs[].tool", Err: fmt.Errorf("%w: run has results but no tool", reportio.ErrNotReport)}
	}
	for _, raw := range pending {
		var res result
		if err := json.Unmarshal(raw, &res); err != nil {
			return false, &reportio.ParseError{File: name, Offset: dec.Offset(), Field: "runs[].results[]", Err: err}
		}
		if err := ru.emit(&res, emit); err != nil {
			return false, err
		}
	}
	if why, ok := failed(invs); ok {
		return scan, reportio.IncompleteAt(name, invsAt, fmt.Sprintf("runs[%d].invocations", i), "%s", why)
	}
	return scan, nil
}

// resultBatch is how many decoded results travel together from the
// decoding goroutine to the converting one.
const resultBatch = 256

// results reads a run's results array (its tool already known) in two
// stages that overlap on a multi-core machine: a goroutine decodes the
// JSON results into batches, and the calling goroutine converts each
// result and calls emit, in document order. emit is always called on the
// caller's goroutine. Nothing else of the run is read or written by the
// decoding goroutine, and it has finished when results returns, so the
// members after "results" (e.g. "artifacts") are decoded as before.
func (ru *run) results(dec *reportio.JSONDecoder, emit func(findings.Finding) error) error {
	batches := make(chan []result, 2)
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		defer close(batches)
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("SARIF decoder failed on malformed input (recovered panic: %v)", p)
			}
		}()
		batch := make([]result, 0, resultBatch)
		send := func() bool {
			select {
			case batches <- batch:
				batch = make([]result, 0, resultBatch)
				return true
			case <-stop:
				return false
			}
		}
		errStopped := fmt.Errorf("stopped")
		err := dec.Array("runs[].results", func() error {
			batch = append(batch, result{})
			if err := dec.Decode(&batch[len(batch)-1], "runs[].results[]"); err != nil {
				return err
			}
			if len(batch) == resultBatch && !send() {
				return errStopped
			}
			return nil
		})
		if err == nil && len(batch) > 0 && !send() {
			err = errStopped
		}
		if err == errStopped {
			err = nil
		}
		done <- err
	}()
	var emitErr error
	for batch := range batches {
		for i := range batch {
			if emitErr = ru.emit(&batch[i], emit); emitErr != nil {
				break
			}
		}
		if emitErr != nil {
			close(stop)
			for range batches { // let the decoder see stop and finish
			}
			break
		}
	}
	decErr := <-done
	if emitErr != nil {
		return emitErr
	}
	return decErr
}

func (ru *run) emit(res *result, emit func(findings.Finding) error) error {
	switch res.Kind {
	case "pass", "notApplicable", "informational":
		return nil
	}
	if res.BaselineState == "absent" {
		// §3.27.24: found in the baseline run but not in this one; the log
		// lists it to say it is gone, it is not an issue of this scan.
		return nil
	}
	triage := suppressed(res)
	rl := ru.lookup(res)
	if rl == nil {
		rl = &rule{}
	}
	ruleID := res.RuleID
	if ruleID == "" && res.Rule != nil {
		ruleID = res.Rule.ID
	}
	if ruleID == "" {
		ruleID = rl.ID
	}
	f := findings.Finding{
		Tool:     ru.tool.Driver.Name,
		RuleID:   ruleID,
		Severity: severity(res, rl),
		UniqueID: uniqueID(res),
		Triage:   triage,
	}
	msg := message(res.Message, rl, ru.tool.Driver.GlobalMessageStrings)
	f.Title = title(rl, msg)
	f.Description = msg
	if d := rl.FullDescription.Text; d != "" && d != msg {
		f.Description = strings.TrimSpace(msg + "\n\n" + d)
	}
	ri := ru.info(rl)
	f.Mitigation = ri.mitigation
	f.References = slices.Clone(ri.references)
	f.VulnerabilityIDs = ru.vulnIDs(ruleID)
	f.Component = ri.component
	if c := res.Properties.str("component"); c != "" {
		f.Component = findings.Component{Name: c, Version: res.Properties.str("componentVersion")}
	}
	if f.Component.Name == "" && strings.EqualFold(ru.tool.Driver.Name, "Trivy") {
		trivyPackage(&f, msg)
	}
	f.CWEs = slices.Clone(ri.cwes)
	for _, k := range []string{"cwe", "CWE", "cwe_id"} {
		f.CWEs = append(f.CWEs, reportio.CWEs(res.Properties.strings(k))...)
	}
	for _, t := range res.Taxa {
		if n, ok := ru.cwe(t); ok {
			f.CWEs = append(f.CWEs, n)
		}
	}
	var logical []string
	for _, l := range res.Locations {
		if pl := l.PhysicalLocation; pl != nil {
			f.Locations = append(f.Locations, findings.Location{File: filePath(ru.uri(pl.ArtifactLocation)), Line: pl.Region.StartLine})
		}
		for _, ll := range l.LogicalLocations {
			n := ll.FullyQualifiedName
			if n == "" {
				n = ll.Name
			}
			if n != "" {
				logical = append(logical, n)
			}
		}
	}
	if len(logical) > 0 {
		f.Description = strings.TrimSpace(f.Description + "\n\nLogical location: " + strings.Join(logical, ", "))
	}
	if !slices.ContainsFunc(f.Locations, func(l findings.Location) bool { return l.File != "" }) {
		// §3.27.13: the artifact analysed, the only file a result without
		// physical locations names (binary and whole-file checks).
		if t := ru.uri(res.AnalysisTarget); t != "" {
			f.Locations = append(f.Locations, findings.Location{File: filePath(t)})
		}
	}
	f.Normalize()
	return emit(f)
}

// uri is an artifactLocation's URI (from the run's artifacts when the
// location gives only their index), resolved against the run's
// originalUriBaseIds (§3.4.4, §3.14.14) as far as they are relative: a
// base "src/" of base PROJECTROOT makes "a/b.c" "src/a/b.c". An absolute
// base (file:///build/work/) is not prepended, so paths stay relative to
// the checkout as other tools write them.
func (ru *run) uri(a artifactLocation) string {
	if a.URI == "" && a.Index != nil && *a.Index >= 0 && *a.Index < len(ru.artifacts) {
		a = ru.artifacts[*a.Index].Location
	}
	uri, base := a.URI, a.URIBaseID
	if uri == "" || absolute(uri) {
		return uri
	}
	for range 8 { // a chain of bases; a longer one is a loop
		b, ok := ru.bases[base]
		if !ok {
			break
		}
		prefix := strings.TrimSpace(b.URI)
		if prefix == "" || absolute(prefix) {
			break
		}
		uri = strings.TrimSuffix(prefix, "/") + "/" + uri
		base = b.URIBaseID
	}
	return uri
}

// absolute reports whether a URI reference is absolute ("file:…",
// "https:…") or an absolute path ("/src", "C:/src", "C:\\src"), which no
// base is prepended to.
func absolute(uri string) bool {
	if strings.HasPrefix(uri, "/") || (len(uri) > 2 && uri[1] == ':' && (uri[2] == '/' || uri[2] == '\\')) {
		return true
	}
	u, err := url.Parse(uri)
	return err == nil && u.Scheme != ""
}

// trivyPackage reads the package of a Trivy vulnerability result from its
// message, which Trivy's SARIF writer composes as "Package: <name>\n
// Installed Version: <version>\nVulnerability <id>\n…\nFixed Version:
// <versions>": without it the same CVE in two packages of one image (both
// located at the image, line 1) would be one finding.
func trivyPackage(f *findings.Finding, msg string) {
	var fixed string
	for _, line := range strings.Split(msg, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "Package":
			f.Component.Name = v
		case "Installed Version":
			f.Component.Version = v
		case "Fixed Version":
			fixed = v
		}
	}
	if f.Component.Name == "" {
		f.Component = findings.Component{}
		return
	}
	for _, v := range strings.Split(fixed, ",") {
		if v = strings.TrimSpace(v); v != "" {
			f.FixedVersions = append(f.FixedVersions, v)
		}
	}
	if f.Mitigation == "" || strings.HasPrefix(f.Mitigation, "Vulnerability ") {
		if up := reportio.Upgrade(f.Component.Name, f.FixedVersions...); up != "" {
			f.Mitigation = up
		}
	}
}

// suppressed returns the triage of a result its suppressions (§3.35)
// suppress: §3.27.23 counts a result as suppressed when one suppression is
// accepted (status absent counts as accepted) and none is underReview or
// rejected. It is then imported as not active, with the suppression's kind
// and justification, so the decision is visible; otherwise it is open.
func suppressed(res *result) *findings.Triage {
	var accepted *findings.Triage
	for _, s := range res.Suppressions {
		switch s.Status {
		case "", "accepted":
			if accepted == nil {
				why := "suppressed in the tool (" + cmp.Or(s.Kind, "suppression") + ")"
				if j := strings.TrimSpace(s.Justification); j != "" {
					why += ": " + j
				}
				accepted = &findings.Triage{Status: findings.StatusFalsePositive, Reason: why}
			}
		case "underReview", "rejected":
			return nil
		}
	}
	return accepted
}

// filePath turns an artifact URI into a path: "file:///src/a.js" →
// "/src/a.js", percent-escapes decoded; other URIs are kept.
func filePath(uri string) string {
	if uri == "" {
		return ""
	}
	if u, err := url.Parse(uri); err == nil {
		switch u.Scheme {
		case "file":
			p := u.Path
			if len(p) > 3 && p[0] == '/' && p[2] == ':' { // file:///C:/x → C:/x
				p = p[1:]
			}
			return p
		case "":
			if p, err := url.PathUnescape(uri); err == nil {
				return p
			}
		}
	}
	return uri
}

func message(m text, rl *rule, global map[string]text) string {
	s := m.Text
	if s == "" && m.ID != "" {
		s = rl.MessageStrings[m.ID].Text
		if s == "" {
			s = global[m.ID].Text
		}
	}
	if s == "" {
		s = m.Markdown
	}
	for i, a := range m.Arguments {
		s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", a)
	}
	// §3.11.6: "[text](n)" links the text to the result's related location
	// n (CodeQL: "depends on a [user-provided value](1)"); the text is what
	// a reader needs.
	s = locationLink.ReplaceAllString(s, "$1")
	return strings.TrimSpace(s)
}

var locationLink = regexp.MustCompile(`\[([^\]\[]*)\]\(\d+\)`)

func title(rl *rule, msg string) string {
	if t := strings.TrimSpace(rl.ShortDescription.Text); t != "" {
		return reportio.FirstLine(t)
	}
	if rl.Name != "" && rl.Name != rl.ID {
		return rl.Name
	}
	if msg != "" {
		return reportio.FirstLine(msg)
	}
	return rl.ID
}

func severity(res *result, rl *rule) findings.Severity {
	for _, p := range []properties{res.Properties, rl.Properties} {
		if v := p.str("security-severity"); v != "" {
			if s := findings.ParseScore(v); s != nil {
				return findings.SeverityFromCVSS(s)
			}
			if sev, ok := findings.ParseSeverity(v); ok {
				return sev
			}
		}
	}
	// Bandit's SARIF omits a result's level when it is "warning" while its
	// rule's default level is that of the rule's first issue; the result's
	// own "issue_severity" property is Bandit's severity.
	if v := strings.TrimSpace(res.Properties.str("issue_severity")); v != "" {
		if sev, ok := findings.ParseSeverity(v); ok {
			return sev
		}
	}
	level := res.Level
	switch {
	case level != "":
	case res.Kind != "" && res.Kind != "fail":
		level = "none" // §3.27.10: a result of kind review or open has no severity
	default:
		level = rl.DefaultConfiguration.Level
	}
	switch level {
	case "error":
		return findings.High
	case "note":
		return findings.Low
	case "none":
		return findings.Info
	}
	return findings.Medium // "warning", the default (§3.27.10)
}

func uniqueID(res *result) string {
	if res.GUID != "" {
		return res.GUID
	}
	for _, m := range []map[string]json.RawMessage{res.Fingerprints, res.PartialFingerprints} {
		if len(m) == 0 {
			continue
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return rawString(m[keys[0]])
	}
	return ""
}

// rawString reads a fingerprint value: a string as the spec says, or an
// object {"value": "…"} as some tools (Black Duck) write it.
func rawString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct {
		Value string `json:"value"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Value != "" {
		return obj.Value
	}
	return string(raw)
}
