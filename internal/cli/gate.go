package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/policy"
	"github.com/rampart-security/rampart/internal/sbom"
	"github.com/rampart-security/rampart/internal/scanners"
	"github.com/rampart-security/rampart/internal/threatmodel"
	"github.com/rampart-security/rampart/internal/vuln"
)

// gateOptions are the parsed flags of `rampart gate`.
type gateOptions struct {
	Policy      string
	SBOM        string
	Scans       []string
	ThreatModel string
	Firmware    string
	VulnDB      []string
	Data        string
	Baselines   []string
	Exceptions  string
	Approved    string
	Format      string
	Output      string
	Now         func() time.Time
}

var gateFormats = []string{"text", "json", "sarif", "junit"}

func newGateCmd(s *streams, runF func(context.Context, *gateOptions) error) *cobra.Command {
	opts := &gateOptions{Now: time.Now}
	cmd := &cobra.Command{
		Use:   "gate",
		Short: "Judge a release against policy rules (CEL) for CI: exit 1 on a violation",
		Long: `Evaluate policy rules over a release's SBOM components, their matched
vulnerabilities (--vulndb or --data), scanner findings (--scan), threats
(--threatmodel) and firmware analysis (--firmware, the JSON of 'rampart
firmware analyze'). Every rule's CEL expression is type-checked when the
policy loads; errors name file, line and column. Without --policy the
embedded default policy is used (see docs/policy.md).

--baseline (an earlier SBOM, scan report, threat model or firmware report;
repeatable) makes 'new' true only for what the baseline lacks, by
fingerprint, so a gate can judge only what a change adds. --exceptions
excepts scoped violations until their expiry date; an expired exception
fails the gate. --approved lists approved components (purl patterns with
version ranges) and licences.

Exit codes: 0 the gate passed, 1 a violation or an expired exception,
2 a usage or input error (bad policy, unreadable or invalid input).`,
		Example: `  rampart gate --policy policy/ --sbom bom.cdx.json --vulndb osv/ --scan semgrep.sarif
  rampart gate --policy policy.yaml --sbom bom.cdx.json --data rampart-data --baseline main-bom.cdx.json --scan gosec.sarif --baseline main-gosec.sarif
  rampart gate --sbom bom.cdx.json --vulndb osv/ --exceptions exceptions.yaml --approved approved.yaml --format sarif -o gate.sarif
  rampart gate --threatmodel threatmodel.yaml --firmware fw-analysis.json --format junit -o gate.xml`,
		Args: cobra.NoArgs,
		RunE: runE(s, opts, runF, runGate),
	}
	f := cmd.Flags()
	f.StringVar(&opts.Policy, "policy", "", "policy file or folder of *.yaml files (default: the built-in default policy)")
	f.StringVar(&opts.SBOM, "sbom", "", "SBOM of the release (CycloneDX or SPDX)")
	f.StringArrayVar(&opts.Scans, "scan", nil, "scanner report (any format of 'rampart scan formats'); repeatable")
	f.StringVar(&opts.ThreatModel, "threatmodel", "", "threat model (YAML) to check with the built-in rule library")
	f.StringVar(&opts.Firmware, "firmware", "", "JSON output of 'rampart firmware analyze'")
	f.StringArrayVar(&opts.VulnDB, "vulndb", nil, "vulnerability data file, folder or zip for matching the SBOM (repeatable)")
	f.StringVar(&opts.Data, "data", "", "rampart data directory whose vulnerability database matches the SBOM")
	f.StringArrayVar(&opts.Baselines, "baseline", nil, "earlier SBOM, scan report, threat model or firmware report; 'new' is false for what it has (repeatable)")
	f.StringVar(&opts.Exceptions, "exceptions", "", "exceptions file (exceptions: [{rule, match, reason, approver, expires}])")
	f.StringVar(&opts.Approved, "approved", "", "approved components and licences (approved: [{purl, versions}], licenses: [...])")
	f.StringVarP(&opts.Format, "format", "f", "text", "output format: "+strings.Join(gateFormats, ", "))
	f.StringVarP(&opts.Output, "output", "o", "", "write the report to FILE instead of standard output")
	return cmd
}

func (o *gateOptions) validate() error {
	if err := checkOneOf("format", o.Format, gateFormats...); err != nil {
		return err
	}
	if len(o.VulnDB) > 0 && o.Data != "" {
		return errors.New("--vulndb and --data are alternatives: give one")
	}
	if o.SBOM == "" && len(o.Scans) == 0 && o.ThreatModel == "" && o.Firmware == "" {
		return errors.New("nothing to judge: give --sbom, --scan, --threatmodel or --firmware")
	}
	return nil
}

// gateGCPercent is the garbage collector's target while the gate runs
// (unless GOGC is set): a short-lived process that decodes tens of
// megabytes into a few hundred thousand small objects spends a fifth of
// its CPU in the collector at the default 100; 200 cuts that by about half
// for about 20% more peak memory (docs/performance.md, "Policy gates").
const gateGCPercent = 200

func runGate(ctx context.Context, s *streams, opts *gateOptions) error {
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(gateGCPercent))
	}
	var (
		pol *policy.Policy
		err error
	)
	if opts.Policy == "" {
		pol = policy.Default()
	} else if pol, err = policy.Load(opts.Policy); err != nil {
		return err
	}
	approved, err := parseOptionalFile(opts.Approved, policy.MaxPolicySize, policy.ParseApproved)
	if err != nil {
		return fmt.Errorf("--approved: %w", err)
	}
	exceptions, err := parseOptionalFile(opts.Exceptions, policy.MaxPolicySize, policy.ParseExceptions)
	if err != nil {
		return fmt.Errorf("--exceptions: %w", err)
	}
	g := &gateInputs{opts: opts, approved: approved}
	in, base, err := g.load(ctx)
	if err != nil {
		return err
	}
	if base != nil {
		policy.NewBaseline(base).Apply(in)
	}
	if approved != nil {
		in.Release.ApprovedLicenses = approved.Licenses
	}
	if opts.SBOM != "" && len(opts.VulnDB) == 0 && opts.Data == "" && hasRulesOn(pol, policy.OnVuln) {
		fmt.Fprintln(s.err, "rampart gate: warning: no --vulndb or --data: vulnerability rules judged nothing")
	}
	rep, err := policy.Evaluate(pol, in, policy.Options{Exceptions: exceptions, Now: opts.Now()})
	if err != nil {
		return err
	}
	err = writeTo(s, opts.Output, func(w io.Writer) error {
		switch opts.Format {
		case "json":
			return policy.WriteJSON(w, rep)
		case "sarif":
			return policy.WriteSARIF(w, rep, Version)
		case "junit":
			return policy.WriteJUnit(w, rep)
		}
		return policy.WriteText(w, rep)
	})
	if err != nil {
		return err
	}
	wrote(s, opts.Output, opts.Format+" report", "")
	if !rep.Passed {
		return failuref("gate failed: %d violation(s), %d expired exception(s)", rep.Failing(), len(rep.ExpiredExceptions))
	}
	return nil
}

func hasRulesOn(p *policy.Policy, on string) bool {
	for _, r := range p.Rules {
		if r.On == on {
			return true
		}
	}
	return false
}

// gateInputs reads the gate's input files into policy subjects.
type gateInputs struct {
	opts     *gateOptions
	approved *policy.Approved
	mu       sync.Mutex // guards advs and loaded
	advs     []vuln.Advisory
	loaded   bool
}

// load reads every input file and baseline concurrently, each into its
// own partial input, and merges them in command-line order (SBOM, scans,
// threat model, firmware; baselines in order), so the result and the
// error reported (the first failing file in that order) do not depend on
// which file finished first. base is nil without --baseline.
func (g *gateInputs) load(ctx context.Context) (in, base *policy.Input, err error) {
	type job struct {
		in   policy.Input
		err  error
		base bool
		run  func(in *policy.Input) error
	}
	var jobs []*job
	// add queues one input's loading; flag names it in the error, so a
	// file that cannot be read or parsed says which flag gave it.
	add := func(flag string, run func(in *policy.Input) error) {
		jobs = append(jobs, &job{in: policy.Input{Sources: map[string]string{}}, run: func(in *policy.Input) error {
			if err := run(in); err != nil {
				return fmt.Errorf("%s: %w", flag, err)
			}
			return nil
		}})
	}
	o := g.opts
	if o.SBOM != "" {
		add("--sbom", func(in *policy.Input) error { return g.addSBOM(ctx, in, o.SBOM) })
	}
	for _, p := range o.Scans {
		add("--scan", func(in *policy.Input) error { return g.addScan(in, p, nil) })
	}
	if o.ThreatModel != "" {
		add("--threatmodel", func(in *policy.Input) error { return g.addThreatModel(in, o.ThreatModel, nil) })
	}
	if o.Firmware != "" {
		add("--firmware", func(in *policy.Input) error { return g.addFirmware(in, o.Firmware, nil) })
	}
	for _, b := range o.Baselines {
		add("--baseline "+b, func(in *policy.Input) error { return g.addAny(ctx, in, b) })
		jobs[len(jobs)-1].base = true
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() { j.err = j.run(&j.in) })
	}
	wg.Wait()
	in = &policy.Input{Sources: map[string]string{}}
	if len(o.Baselines) > 0 {
		base = &policy.Input{}
	}
	for _, j := range jobs {
		if j.err != nil {
			return nil, nil, j.err
		}
		dst := in
		if j.base {
			dst = base
		}
		mergeInput(dst, &j.in)
	}
	return in, base, nil
}

// mergeInput appends src's subjects to dst, as if the files had been read
// one after the other: a later input's sources replace an earlier one's,
// and the first input naming the release names it.
func mergeInput(dst, src *policy.Input) {
	dst.Components = append(dst.Components, src.Components...)
	dst.Vulns = append(dst.Vulns, src.Vulns...)
	if dst.Findings == nil {
		dst.Findings = src.Findings
	} else {
		dst.Findings = append(dst.Findings, src.Findings...)
	}
	dst.Threats = append(dst.Threats, src.Threats...)
	dst.Firmware = append(dst.Firmware, src.Firmware...)
	dst.Binaries = append(dst.Binaries, src.Binaries...)
	if dst.Sources != nil {
		for k, v := range src.Sources {
			dst.Sources[k] = v
		}
	}
	if dst.Release.Product == "" {
		dst.Release.Product, dst.Release.Version = src.Release.Product, src.Release.Version
	}
}

// addAny detects what a baseline file is: an SBOM, a scanner report, a
// firmware analysis (JSON with issues or binaries) or a threat model.
func (g *gateInputs) addAny(ctx context.Context, in *policy.Input, path string) error {
	data, err := readInput(path, sbom.DefaultMaxBytes)
	if err != nil {
		return err
	}
	head := data[:min(len(data), scanners.HeadSize)]
	if _, err := sbom.Detect(head); err == nil {
		return g.addSBOMData(ctx, in, path, data)
	}
	if _, err := scanners.Detect(head); err == nil {
		return g.addScan(in, path, data)
	}
	trimmed := bytes.TrimSpace(head)
	if len(trimmed) > 0 && trimmed[0] == '{' && (bytes.Contains(head, []byte(`"issues"`)) || bytes.Contains(head, []byte(`"binaries"`))) {
		return g.addFirmware(in, path, data)
	}
	if err := g.addThreatModel(in, path, data); err == nil {
		return nil
	}
	return fmt.Errorf("%s: not an SBOM, a scanner report, a firmware analysis or a threat model", path)
}

func (g *gateInputs) addSBOM(ctx context.Context, in *policy.Input, path string) error {
	data, err := readInput(path, sbom.DefaultMaxBytes)
	if err != nil {
		return err
	}
	return g.addSBOMData(ctx, in, path, data)
}

func (g *gateInputs) addSBOMData(ctx context.Context, in *policy.Input, path string, data []byte) error {
	doc, err := sbom.DecodeBytes(data, path)
	if err != nil {
		return err
	}
	if in.Sources != nil {
		in.Sources[policy.OnComponent], in.Sources[policy.OnVuln] = path, path
	}
	in.Components = append(in.Components, policy.FromComponents(doc.Components, g.approved)...)
	if doc.Metadata != nil && in.Release.Product == "" {
		in.Release.Product, in.Release.Version = doc.Metadata.Name, doc.Metadata.Version
	}
	if len(g.opts.VulnDB) == 0 && g.opts.Data == "" {
		return nil
	}
	comps := matchable(doc)
	advs, err := g.advisories(ctx, comps)
	if err != nil {
		return err
	}
	matches := vuln.NewMatcher(advs, vuln.MatcherOptions{}).Match(comps, nil)
	in.Vulns = append(in.Vulns, policy.FromMatches(matches, g.approved)...)
	return nil
}

// advisories returns the advisories to match comps against: the --vulndb
// files, loaded once for every SBOM, or those of the --data store indexed
// under comps. SBOMs are read concurrently; the lock makes them load the
// files once and open the store one at a time.
func (g *gateInputs) advisories(ctx context.Context, comps []inventory.Component) ([]vuln.Advisory, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.loaded && g.opts.Data == "" {
		return g.advs, nil
	}
	mo := &matchOptions{VulnDB: g.opts.VulnDB, Data: g.opts.Data}
	advs, err := loadAdvisories(ctx, mo, comps)
	if err != nil {
		return nil, err
	}
	g.advs, g.loaded = advs, true
	return advs, nil
}

func (g *gateInputs) addScan(in *policy.Input, path string, data []byte) error {
	r, done, err := openInput(path, data)
	if err != nil {
		return err
	}
	defer done()
	br := bufio.NewReaderSize(r, scanners.HeadSize)
	format, err := scanners.Choose(br, path, "")
	if err != nil {
		return err
	}
	// Findings are collected in fixed-size chunks and copied once, rather
	// than appended to one slice that is copied each time it doubles.
	const chunk = 4096
	var chunks [][]policy.Finding
	n := 0
	if err := format.Parse(br, path, func(f findings.Finding) error {
		if len(chunks) == 0 || len(chunks[len(chunks)-1]) == chunk {
			chunks = append(chunks, make([]policy.Finding, 0, chunk))
		}
		c := &chunks[len(chunks)-1]
		*c = append(*c, policy.FromFinding(&f, format.Name))
		n++
		return nil
	}); err != nil {
		return fmt.Errorf("%s report: %w", format.Name, err)
	}
	in.Findings = slices.Grow(in.Findings, n)
	for _, c := range chunks {
		in.Findings = append(in.Findings, c...)
	}
	return nil
}

func (g *gateInputs) addThreatModel(in *policy.Input, path string, data []byte) error {
	var (
		m   *threatmodel.Model
		err error
	)
	if data != nil {
		m, err = threatmodel.Parse(data, path)
	} else {
		m, err = threatmodel.LoadFile(path)
	}
	if err != nil {
		return err
	}
	lib, err := threatmodel.NewLibrary(threatmodel.LibraryOptions{})
	if err != nil {
		return err
	}
	if in.Sources != nil {
		in.Sources[policy.OnThreat] = path
	}
	in.Threats = append(in.Threats, policy.FromThreats(lib.Check(m))...)
	return nil
}

func (g *gateInputs) addFirmware(in *policy.Input, path string, data []byte) error {
	r, done, err := openInput(path, data)
	if err != nil {
		return err
	}
	defer done()
	issues, bins, err := policy.ParseFirmware(r, path)
	if err != nil {
		return err
	}
	if in.Sources != nil {
		in.Sources[policy.OnFirmware], in.Sources[policy.OnBinary] = path, path
	}
	in.Firmware = append(in.Firmware, issues...)
	in.Binaries = append(in.Binaries, bins...)
	return nil
}
