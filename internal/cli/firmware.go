package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/firmware"
	"github.com/rampart-security/rampart/internal/firmware/unpack"
)

// maxImageSize bounds the image read by the firmware commands.
const maxImageSize = 2 << 30

func newFirmwareCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "firmware",
		Short: "Analyse firmware images (unpack, hardening, secrets, components, diff)",
		Long: `Analyse a firmware image offline: every layer is identified by its magic and
unpacked (TRX, uImage, U-Boot FIT, Android boot/vendor_boot, zip, 7z, Android sparse, UBI/UBIFS, squashfs,
ext2/3/4, EROFS, cramfs, JFFS2, cpio, tar, gzip/xz/zstd/lzma/bzip2/lz4, and filesystems
carved out of unknown blobs at any offset), every file is
inventoried, ELF binaries are checked for hardening, and accounts, secrets,
boot services and permissions are checked. Components are identified for the SBOM.`,
		Example: "  rampart firmware analyze router.bin --format table\n  rampart firmware diff v1.bin v2.bin --fail-on high",
	}
	cmd.AddCommand(newFirmwareAnalyzeCmd(s, nil), newFirmwareDiffCmd(s, nil), newFirmwareInventoryCmd(s, nil))
	return cmd
}

// firmwareAnalyzeOptions are the flags of `rampart firmware analyze`.
type firmwareAnalyzeOptions struct {
	Image  string
	Format string
	FailOn string
	// FITKeys are files with public keys for U-Boot FIT signatures (a
	// control .dtb with /signature nodes, or PEM).
	FITKeys []string

	failOn findings.Severity // FailOn parsed by validate ("" without it)
}

var firmwareFormats = []string{"table", "json", "sarif", "cyclonedx"}

func newFirmwareAnalyzeCmd(s *streams, runF func(context.Context, *firmwareAnalyzeOptions) error) *cobra.Command {
	opts := &firmwareAnalyzeOptions{}
	cmd := &cobra.Command{
		Use:   "analyze IMAGE",
		Short: "Analyse a firmware image and report its issues, binaries and components",
		Long: `Analyse a firmware image and print the result.

--format json prints {"image","layers","components","issues","binaries","counts"}
(with "kernel_config", "fit" and "warnings" when there are any; warnings also go to stderr);
--fit-key verifies U-Boot FIT signatures with a control .dtb's /signature keys
or a PEM public key (keys in the image's own U-Boot control device trees are
used too); a bad signature is a high issue, an unsigned default configuration
a medium one;
sarif prints the issues as SARIF 2.1.0; cyclonedx prints the components as a
CycloneDX 1.6 SBOM (importable into a release). Exit codes: 0 ok, 1 when an
issue at or above --fail-on exists, 2 when the image cannot be read or holds
no known layer.`,
		Example: "  rampart firmware analyze router.bin\n" +
			"  rampart firmware analyze openwrt-squashfs-sysupgrade.bin --format json --fail-on high\n" +
			"  rampart firmware analyze camera.img --format cyclonedx > camera.cdx.json",
		Args: exactArgs(&opts.Image),
		RunE: runE(s, opts, runF, runFirmwareAnalyze),
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table, json, sarif or cyclonedx")
	cmd.Flags().StringVar(&opts.FailOn, "fail-on", "", "exit 1 when an issue of this severity or higher exists: critical, high, medium, low, info")
	cmd.Flags().StringArrayVar(&opts.FITKeys, "fit-key", nil, "public key for U-Boot FIT signatures: a U-Boot control .dtb with /signature key nodes, or a PEM public key or certificate (repeatable)")
	return cmd
}

func (o *firmwareAnalyzeOptions) validate() (err error) {
	o.failOn, err = checkFirmwareFlags(o.Format, firmwareFormats, o.FailOn)
	return err
}

// checkFirmwareFlags is the validation analyze and diff share: format is
// one of formats, and failOn a severity, returned parsed.
func checkFirmwareFlags(format string, formats []string, failOn string) (findings.Severity, error) {
	if err := checkOneOf("format", format, formats...); err != nil {
		return "", err
	}
	return parseFailOn(failOn)
}

func parseFailOn(s string) (findings.Severity, error) {
	if s == "" {
		return "", nil
	}
	sev, ok := findings.ParseSeverity(s)
	if !ok || strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("--fail-on %q: want critical, high, medium, low or info", s)
	}
	return sev, nil
}

// readImage reads an image file, bounded; every error is exit 2.
func readImage(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("firmware image: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("firmware image %s is a directory: give the image file", p)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxImageSize+1))
	if err != nil {
		return nil, fmt.Errorf("firmware image %s: %w", p, err)
	}
	if len(b) > maxImageSize {
		return nil, fmt.Errorf("firmware image %s is larger than %d bytes", p, maxImageSize)
	}
	return b, nil
}

func analyzeFile(ctx context.Context, s *streams, p string, keyFiles ...string) (*firmware.Result, error) {
	var keys []unpack.FITKey
	for _, kf := range keyFiles {
		b, err := os.ReadFile(kf)
		if err != nil {
			return nil, fmt.Errorf("--fit-key: %w", err)
		}
		k, err := unpack.ParseFITKeys(kf, b)
		if err != nil {
			return nil, fmt.Errorf("--fit-key: %w", err)
		}
		keys = append(keys, k...)
	}
	b, err := readImage(p)
	if err != nil {
		return nil, err
	}
	res, err := firmware.Analyze(ctx, p, b, firmware.Options{FITKeys: keys})
	if err != nil {
		return nil, err
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(s.err, "rampart: warning:", w)
	}
	return res, nil
}

func runFirmwareAnalyze(ctx context.Context, s *streams, opts *firmwareAnalyzeOptions) error {
	res, err := analyzeFile(ctx, s, opts.Image, opts.FITKeys...)
	if err != nil {
		return err // exit 2: unreadable input or key
	}
	switch opts.Format {
	case "json":
		if err := writeJSONUnescaped(s.out, res); err != nil {
			return err
		}
	case "sarif":
		if err := findings.WriteSARIF(s.out, res.Findings()); err != nil {
			return err
		}
	case "cyclonedx":
		if err := res.WriteCycloneDX(s.out, baseName(opts.Image), "", Version, time.Now().UTC()); err != nil {
			return err
		}
	default:
		printFirmwareTable(s.out, res)
	}
	if sev := opts.failOn; sev != "" {
		if n := len(res.AtOrAbove(sev)); n > 0 {
			return failuref("%d issue(s) at or above %s in %s", n, sev, opts.Image)
		}
	}
	return nil
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func printFirmwareTable(w io.Writer, res *firmware.Result) {
	tw := newTable(w, "LAYER\tOFFSET\tIN", len(res.Layers), "no layers")
	for _, l := range res.Layers {
		in := l.Path
		if in == "" {
			in = "(image)"
		}
		fmt.Fprintf(tw, "%s\t0x%x\t%s\n", l.Type, l.Offset, in)
	}
	fmt.Fprintln(tw)
	tableHead(tw, "SEVERITY\tKIND\tPATH\tACCOUNT\tPORT\tDETAIL", len(res.Issues), "no issues")
	for _, is := range res.Issues {
		port := ""
		if is.Port > 0 {
			port = fmt.Sprint(is.Port)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", is.Severity, is.Kind, truncate(is.Path, 50), is.Account, port, truncate(is.Detail, 90))
	}
	if len(res.FIT) > 0 {
		fmt.Fprintf(tw, "\nFIT\tSIGNATURE\tALGO\tKEY HINT\tRESULT\tREASON\n")
		for _, f := range res.FIT {
			in := f.Path
			if in == "" {
				in = "(image)"
			}
			in += fmt.Sprintf("@0x%x", f.Offset)
			if len(f.Signatures) == 0 {
				fmt.Fprintf(tw, "%s\t(none)\t\t\tunsigned\t\n", in)
			}
			for _, sg := range f.Signatures {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", in, sg.Node, sg.Algo, sg.KeyNameHint, sg.Result, truncate(sg.Reason, 60))
			}
		}
	}
	fmt.Fprintln(tw)
	tableHead(tw, "COMPONENT\tVERSION\tCONFIDENCE\tPATH", len(res.Components), "no components")
	for _, c := range res.Components {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.Version, c.Confidence, truncate(c.Path, 60))
	}
	weak := 0
	for _, b := range res.Binaries {
		if !b.NX || !b.PIE || b.RELRO != "full" || !b.Canary {
			weak++
		}
	}
	fmt.Fprintln(tw)
	tableHead(tw, "BINARY\tARCH\tNX\tPIE\tRELRO\tCANARY\tFORTIFY\tSTRIPPED", len(res.Binaries), "no ELF binaries")
	for i, b := range res.Binaries {
		if i == 50 {
			fmt.Fprintf(tw, "… %d more (use --format json)\n", len(res.Binaries)-50)
			break
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", truncate(b.Path, 50), b.Arch, yesNo(b.NX), yesNo(b.PIE), b.RELRO, yesNo(b.Canary), yesNo(b.Fortify), yesNo(b.Stripped))
	}
	fmt.Fprintf(tw, "\n%s: %d files, %d ELF, %d layers, %d issues, %d components, %d of %d binaries not fully hardened\n",
		res.Image, res.Counts.Files, res.Counts.ELFFiles, len(res.Layers), len(res.Issues), len(res.Components), weak, len(res.Binaries))
	tw.Flush()
}

// firmwareDiffOptions are the flags of `rampart firmware diff`.
type firmwareDiffOptions struct {
	Old, New string
	Format   string
	FailOn   string

	failOn findings.Severity // FailOn parsed by validate ("" without it)
}

func newFirmwareDiffCmd(s *streams, runF func(context.Context, *firmwareDiffOptions) error) *cobra.Command {
	opts := &firmwareDiffOptions{}
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Compare two firmware images: what got worse",
		Long: `Analyse two images and print what changed for security: new issues (setuid
binaries, secrets, open services, default passwords …), binaries that lost
hardening, and new, changed or removed components. --format json prints
{"old","new","changes":[{"change","kind","severity","path","detail"}]}.
With --fail-on, exit 1 when a change that makes things worse is at or above
that severity (a CI gate between releases); exit 2 when an image is unreadable.`,
		Example: "  rampart firmware diff v1.2.bin v1.3.bin\n  rampart firmware diff old.img new.img --format json --fail-on medium",
		Args:    exactArgs(&opts.Old, &opts.New),
		RunE:    runE(s, opts, runF, runFirmwareDiff),
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table or json")
	cmd.Flags().StringVar(&opts.FailOn, "fail-on", "", "exit 1 when a worsening change of this severity or higher exists")
	return cmd
}

func (o *firmwareDiffOptions) validate() (err error) {
	o.failOn, err = checkFirmwareFlags(o.Format, []string{"table", "json"}, o.FailOn)
	return err
}

func runFirmwareDiff(ctx context.Context, s *streams, opts *firmwareDiffOptions) error {
	oldRes, err := analyzeFile(ctx, s, opts.Old)
	if err != nil {
		return err
	}
	newRes, err := analyzeFile(ctx, s, opts.New)
	if err != nil {
		return err
	}
	d := firmware.Diff(oldRes, newRes)
	if opts.Format == "json" {
		if err := writeJSONUnescaped(s.out, d); err != nil {
			return err
		}
	} else {
		tw := newTable(s.out, "SEVERITY\tCHANGE\tKIND\tPATH\tDETAIL", len(d.Changes), "no changes")
		for _, c := range d.Changes {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Severity, c.Change, c.Kind, truncate(c.Path, 50), truncate(c.Detail, 80))
		}
		fmt.Fprintf(tw, "\n%s → %s: %d changes\n", d.Old, d.New, len(d.Changes))
		tw.Flush()
	}
	if sev := opts.failOn; sev != "" {
		if n := len(d.AtOrAbove(sev)); n > 0 {
			return failuref("%d change(s) at or above %s from %s to %s", n, sev, opts.Old, opts.New)
		}
	}
	return nil
}

// firmwareInventoryOptions are the parsed options of `rampart firmware inventory`.
type firmwareInventoryOptions struct {
	Image string
}

func newFirmwareInventoryCmd(s *streams, runF func(context.Context, *firmwareInventoryOptions) error) *cobra.Command {
	opts := &firmwareInventoryOptions{}
	return &cobra.Command{
		Use:     "inventory IMAGE",
		Short:   "List every file of a firmware image (NDJSON: path, kind, mode, owner, size, sha256)",
		Example: "  rampart firmware inventory router.bin | jq -r 'select(.mode|test(\"^[4-7]\")) | .path'",
		Args:    exactArgs(&opts.Image),
		RunE:    runE(s, opts, runF, runFirmwareInventory),
	}
}

func runFirmwareInventory(ctx context.Context, s *streams, opts *firmwareInventoryOptions) error {
	res, err := analyzeFile(ctx, s, opts.Image)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(s.out)
	enc.SetEscapeHTML(false)
	for _, f := range res.Files {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return nil
}
