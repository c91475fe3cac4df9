package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/findings"
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

func newGateCmd(s *streams, run func(context.Context, *gateOptions) error) *cobra.Command {
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(gateFormats, opts.Format) {
				return fmt.Errorf("--format %q: want one of %s", opts.Format, strings.Join(gateFormats, ", "))
			}
			if len(opts.VulnDB) > 0 && opts.Data != "" {
				return errors.New("--vulndb and --data are alternatives: give one")
			}
			if opts.SBOM == "" && len(opts.Scans) == 0 && opts.ThreatModel == "" && opts.Firmware == "" {
				return errors.New("nothing to judge: give --sbom, --scan, --threatmodel or --firmware")
			}
			if run != nil {
				return run(cmd.Context(), opts)
			}
			return runGate(cmd.Context(), s, opts)
		},
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

func runGate(ctx context.Context, s *streams, opts *gateOptions) error {
	var (
		pol *policy.Policy
		err error
	)
	if opts.Policy == "" {
		pol = policy.Default()
	} else if pol, err = policy.Load(opts.Policy); err != nil {
		return err
	}
	var approved *policy.Approved
	if opts.Approved != "" {
		data, err := readInput(opts.Approved, policy.MaxPolicySize)
		if err != nil {
			return err
		}
		if approved, err = policy.ParseApproved(data, opts.Approved); err != nil {
			return err
		}
	}
	var exceptions []policy.Exception
	if opts.Exceptions != "" {
		data, err := readInput(opts.Exceptions, policy.MaxPolicySize)
		if err != nil {
			return err
		}
		if exceptions, err = policy.ParseExceptions(data, opts.Exceptions); err != nil {
			return err
		}
	}
	g := &gateInputs{opts: opts, approved: approved}
	in := &policy.Input{Sources: map[string]string{}}
	if err := g.add(ctx, in, opts.SBOM, opts.Scans, opts.ThreatModel, opts.Firmware); err != nil {
		return err
	}
	if len(opts.Baselines) > 0 {
		base := &policy.Input{}
		for _, b := range opts.Baselines {
			if err := g.addAny(ctx, base, b); err != nil {
				return fmt.Errorf("--baseline %s: %w", b, err)
			}
		}
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
	w, closeOut, err := output(s, opts.Output)
	if err != nil {
		return err
	}
	switch opts.Format {
	case "json":
		err = policy.WriteJSON(w, rep)
	case "sarif":
		err = policy.WriteSARIF(w, rep, Version)
	case "junit":
		err = policy.WriteJUnit(w, rep)
	default:
		err = policy.WriteText(w, rep)
	}
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
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
	advs     []vuln.Advisory
	loaded   bool
}

func (g *gateInputs) add(ctx context.Context, in *policy.Input, sbomPath string, scans []string, tm, fw string) error {
	if sbomPath != "" {
		if err := g.addSBOM(ctx, in, sbomPath); err != nil {
			return err
		}
	}
	for _, p := range scans {
		if err := g.addScan(in, p, nil); err != nil {
			return err
		}
	}
	if tm != "" {
		if err := g.addThreatModel(in, tm, nil); err != nil {
			return err
		}
	}
	if fw != "" {
		if err := g.addFirmware(in, fw, nil); err != nil {
			return err
		}
	}
	return nil
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

func readInput(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return data, nil
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
	comps := doc.Components
	if in.Sources != nil {
		in.Sources[policy.OnComponent], in.Sources[policy.OnVuln] = path, path
	}
	in.Components = append(in.Components, policy.FromComponents(comps, g.approved)...)
	if doc.Metadata != nil {
		if in.Release.Product == "" {
			in.Release.Product, in.Release.Version = doc.Metadata.Name, doc.Metadata.Version
		}
		if doc.Metadata.PURL != "" || len(doc.Metadata.CPEs) > 0 {
			comps = append(comps, *doc.Metadata) // the product itself may be a vulnerable firmware or OS
		}
	}
	if len(g.opts.VulnDB) == 0 && g.opts.Data == "" {
		return nil
	}
	if !g.loaded || g.opts.Data != "" {
		mo := &matchOptions{VulnDB: g.opts.VulnDB, Data: g.opts.Data}
		advs, err := loadAdvisories(ctx, mo, comps)
		if err != nil {
			return err
		}
		g.advs, g.loaded = advs, true
	}
	matches := vuln.NewMatcher(g.advs, vuln.MatcherOptions{}).Match(comps, nil)
	in.Vulns = append(in.Vulns, policy.FromMatches(matches, g.approved)...)
	return nil
}

func (g *gateInputs) addScan(in *policy.Input, path string, data []byte) error {
	var r io.Reader
	if data != nil {
		r = bytes.NewReader(data)
	} else {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	br := bufio.NewReaderSize(r, scanners.HeadSize)
	format, err := scanners.Choose(br, path, "")
	if err != nil {
		return err
	}
	if err := format.Parse(br, path, func(f findings.Finding) error {
		in.Findings = append(in.Findings, policy.FromFinding(&f, format.Name))
		return nil
	}); err != nil {
		return fmt.Errorf("%s report: %w", format.Name, err)
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
	var r io.Reader
	if data != nil {
		r = bytes.NewReader(data)
	} else {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
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
