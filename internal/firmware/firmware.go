// Package firmware analyses a firmware image: it unpacks every layer
// (internal/firmware/unpack), inventories the files, checks ELF hardening
// (elfcheck), accounts, secrets, boot services and file permissions, and
// identifies components for the SBOM. Analyze is a pure function of the
// image bytes and a clock; Result is the JSON contract of
// `rampart firmware analyze --format json` and what policy gates consume.
package firmware

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/firmware/accounts"
	"github.com/rampart-security/rampart/internal/firmware/components"
	"github.com/rampart-security/rampart/internal/firmware/elfcheck"
	"github.com/rampart-security/rampart/internal/firmware/issue"
	"github.com/rampart-security/rampart/internal/firmware/kconfig"
	"github.com/rampart-security/rampart/internal/firmware/permissions"
	"github.com/rampart-security/rampart/internal/firmware/secrets"
	"github.com/rampart-security/rampart/internal/firmware/services"
	"github.com/rampart-security/rampart/internal/firmware/unpack"
)

// Issue is one security issue (kind, severity, path, account, port, detail).
type Issue = issue.Issue

// IssueKind names a class of issue.
type IssueKind = issue.Kind

// Component is one identified piece of software.
type Component = components.Component

// Result is the analysis of one image.
type Result struct {
	Image      string      `json:"image"`
	Layers     []Layer     `json:"layers"`
	Components []Component `json:"components"`
	Issues     []Issue     `json:"issues"`
	Binaries   []Binary    `json:"binaries"`
	Counts     Counts      `json:"counts"`
	// KernelConfig is the kernel's build configuration when the image
	// holds one (a .config, /boot/config-*, /proc/config.gz, or IKCONFIG
	// in the kernel); kernel CVEs whose subsystem it leaves out are not
	// affected (kconfig.NotAffected). Absent when none was found.
	KernelConfig *kconfig.Config `json:"kernel_config,omitempty"`
	// FIT is the signature check of every U-Boot FIT image found (absent
	// when there is none).
	FIT []FITImage `json:"fit,omitempty"`

	// Files is the inventory (not part of the JSON result; see
	// `rampart firmware inventory`).
	Files []InventoryEntry `json:"-"`
	// Warnings say what was not fully checked: layers that did not unpack,
	// limits that were hit, accounts whose hash was not tried, corrupt ELF
	// files. Absent when everything was.
	Warnings []string `json:"warnings,omitempty"`
}

// Layer is one container found in the image.
type Layer struct {
	Type   string `json:"type"`
	Offset int64  `json:"offset"`
	Path   string `json:"path"`
}

// Binary is the hardening of one ELF executable or shared object.
type Binary struct {
	Path     string `json:"path"`
	Arch     string `json:"arch"`
	NX       bool   `json:"nx"`
	PIE      bool   `json:"pie"`
	RELRO    string `json:"relro"`
	Canary   bool   `json:"canary"`
	Fortify  bool   `json:"fortify"`
	Stripped bool   `json:"stripped"`
}

// Counts summarises the inventory.
type Counts struct {
	Files    int `json:"files"`
	ELFFiles int `json:"elf_files"`
}

// InventoryEntry is one file of the image.
type InventoryEntry struct {
	Path   string `json:"path"`
	Kind   string `json:"kind"`
	Mode   string `json:"mode"`
	UID    int    `json:"uid"`
	GID    int    `json:"gid"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
	Link   string `json:"link,omitempty"`
	ELF    bool   `json:"elf,omitempty"`
}

// Options tune an analysis.
type Options struct {
	Limits unpack.Limits
	// Now is the clock for certificate expiry; nil means time.Now.
	Now func() time.Time
	// Dictionary overrides the shipped default-password list.
	Dictionary []string
	// Progress, when set, is told when unpacking starts ("unpacking", 0,
	// 0) and how many of the unpacked files were checked ("checking",
	// done, total; at most every 1/100 of the files and at the end). It
	// is called from one goroutine at a time and must be quick.
	Progress func(stage string, done, total int)
	// FITKeys verify the signatures of U-Boot FIT images, with the keys
	// found in the image's own U-Boot control device trees
	// (unpack.ParseFITKeys reads a control .dtb or a PEM key).
	FITKeys []unpack.FITKey
}

// ErrUnreadable wraps every error about the input image itself.
var ErrUnreadable = errors.New("unreadable firmware image")

// Analyze unpacks and analyses an image. name is what the result calls the
// image (a file name).
func Analyze(ctx context.Context, name string, image []byte, opts Options) (*Result, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Limits == (unpack.Limits{}) {
		opts.Limits = unpack.DefaultLimits()
	}
	if opts.Progress != nil {
		opts.Progress("unpacking", 0, 0)
	}
	up, err := unpack.Unpack(ctx, image, opts.Limits)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrUnreadable, name, err)
	}
	res := &Result{Image: name, Layers: []Layer{}, Components: []Component{}, Issues: []Issue{}, Binaries: []Binary{}, Warnings: up.Warnings}
	for _, l := range up.Layers {
		res.Layers = append(res.Layers, Layer{Type: l.Type, Offset: l.Offset, Path: l.Path})
	}
	checkFITs(res, up, image, opts.FITKeys)
	a := &analysis{opts: opts, res: res, up: up, finder: components.NewFinder(), elfCache: map[string]*elfResult{}}
	a.run(ctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

type elfResult struct {
	h   elfcheck.Hardening
	err error
}

type analysis struct {
	opts   Options
	res    *Result
	up     *unpack.Result
	finder *components.Finder

	mu       sync.Mutex
	elfCache map[string]*elfResult // content-addressed: identical binaries are checked once
	seenComp map[string]bool
}

type fileOut struct {
	issues []Issue
	bin    *Binary
	elf    bool
	// warning says why a file was not checked (a corrupt ELF file).
	warning string
}

func (a *analysis) run(ctx context.Context) {
	files := a.up.Files
	// Index per layer for account files, resolving symlinks inside the layer.
	idx := map[int]map[string]int{}
	for i, f := range files {
		if idx[f.Layer] == nil {
			idx[f.Layer] = map[string]int{}
		}
		idx[f.Layer][f.Inner] = i
	}
	a.seenComp = map[string]bool{}
	outs := make([]fileOut, len(files))
	work := make(chan int, 256)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	var progMu sync.Mutex
	checked, step := 0, max(1, len(files)/100)
	if a.opts.Progress != nil {
		a.opts.Progress("checking", 0, len(files))
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if ctx.Err() != nil {
					continue
				}
				outs[i] = a.file(&files[i])
				if a.opts.Progress != nil {
					progMu.Lock()
					checked++
					if checked%step == 0 || checked == len(files) {
						a.opts.Progress("checking", checked, len(files))
					}
					progMu.Unlock()
				}
			}
		}()
	}
	for i := range files {
		work <- i
	}
	close(work)
	wg.Wait()

	for i, f := range files {
		if f.Kind != unpack.KindBlob {
			a.res.Counts.Files++
			a.res.Files = append(a.res.Files, inventoryEntry(f, outs[i].elf))
		}
		if outs[i].elf {
			a.res.Counts.ELFFiles++
		}
		if outs[i].bin != nil {
			a.res.Binaries = append(a.res.Binaries, *outs[i].bin)
		}
		a.res.Issues = append(a.res.Issues, outs[i].issues...)
		if outs[i].warning != "" {
			a.res.Warnings = append(a.res.Warnings, outs[i].warning)
		}
	}
	// Accounts, per layer that has /etc/passwd.
	for layer, m := range idx {
		pi, ok := resolve(files, m, "/etc/passwd")
		if !ok {
			continue
		}
		var shadow []byte
		shadowPath := ""
		if si, ok := resolve(files, m, "/etc/shadow"); ok {
			shadow, shadowPath = files[si].Data, files[si].Path
		}
		_ = layer
		accts := accounts.Parse(files[pi].Data, shadow, files[pi].Path, shadowPath)
		a.res.Issues = append(a.res.Issues, accounts.Check(accts, a.opts.Dictionary)...)
		a.res.Warnings = append(a.res.Warnings, accounts.Unchecked(accts)...)
	}
	a.res.KernelConfig = kernelConfig(files)
	a.res.Components = append(a.res.Components, a.finder.Components()...)
	sortIssues(a.res.Issues)
	sort.Slice(a.res.Binaries, func(i, j int) bool { return a.res.Binaries[i].Path < a.res.Binaries[j].Path })
}

// kernelConfig returns the first full kernel configuration in the image: a
// configuration file first, else one embedded in a kernel (IKCONFIG).
func kernelConfig(files []unpack.File) *kconfig.Config {
	for _, f := range files {
		if f.Kind != unpack.KindFile || !kconfig.IsConfigPath(f.Path) {
			continue
		}
		var c *kconfig.Config
		if strings.HasSuffix(f.Path, ".gz") {
			c = kconfig.FromGzip(f.Path, f.Data)
		} else {
			c = kconfig.Parse(f.Path, f.Data)
		}
		if c != nil {
			return c
		}
	}
	for _, f := range files {
		if f.Kind == unpack.KindBlob || f.Kind == unpack.KindFile {
			if c := kconfig.FromKernel(f.Path, f.Data); c != nil {
				return c
			}
		}
	}
	return nil
}

// resolve finds p in a layer, following symlinks inside the layer only (an
// absolute target is relative to the layer's root, never the host's).
func resolve(files []unpack.File, m map[string]int, p string) (int, bool) {
	for hops := 0; hops < 16; hops++ {
		i, ok := m[p]
		if !ok {
			return 0, false
		}
		f := files[i]
		switch f.Kind {
		case unpack.KindFile:
			return i, true
		case unpack.KindSymlink:
			t := f.Link
			if !strings.HasPrefix(t, "/") {
				t = path.Join(path.Dir(p), t)
			}
			p = path.Clean("/" + t)
		default:
			return 0, false
		}
	}
	return 0, false
}

func inventoryEntry(f unpack.File, elf bool) InventoryEntry {
	return InventoryEntry{Path: f.Path, Kind: string(f.Kind), Mode: fmt.Sprintf("%04o", f.Mode), UID: f.UID, GID: f.GID,
		Size: f.Size, SHA256: f.SHA256, Link: f.Link, ELF: elf}
}

// file analyses one entry.
func (a *analysis) file(f *unpack.File) fileOut {
	var out fileOut
	out.issues = append(out.issues, permissions.Check(permissions.Entry{Path: f.Path, Dir: f.Kind == unpack.KindDir,
		File: f.Kind == unpack.KindFile, Mode: f.Mode, UID: f.UID, GID: f.GID})...)
	if f.Kind != unpack.KindFile && f.Kind != unpack.KindBlob {
		return out
	}
	data := f.Data
	isELF := elfcheck.IsELF(data)
	if isELF {
		a.mu.Lock()
		r, ok := a.elfCache[f.SHA256]
		a.mu.Unlock()
		if !ok {
			h, err := elfcheck.Check(data)
			r = &elfResult{h, err}
			a.mu.Lock()
			a.elfCache[f.SHA256] = r
			a.mu.Unlock()
		}
		if r.err == nil {
			out.elf = true
			out.bin = &Binary{Path: f.Path, Arch: r.h.Arch, NX: r.h.NX, PIE: r.h.PIE, RELRO: r.h.RELRO, Canary: r.h.Canary, Fortify: r.h.Fortify, Stripped: r.h.Stripped}
		} else if errors.Is(r.err, elfcheck.ErrNotExecutable) {
			out.elf = true // relocatable objects (kernel modules) are ELF files too
		} else if errors.Is(r.err, elfcheck.ErrCorrupt) {
			out.warning = fmt.Sprintf("%s: %v; its hardening was not checked", f.Path, r.err)
		}
	}
	// Component identification: once per distinct content.
	a.mu.Lock()
	first := !a.seenComp[f.SHA256]
	a.seenComp[f.SHA256] = true
	a.mu.Unlock()
	if first && (isELF || f.Kind == unpack.KindBlob || strings.HasSuffix(f.Inner, ".ko")) {
		a.mu.Lock()
		a.finder.Binary(f.Path, data, isELF)
		a.mu.Unlock()
	}
	if f.Inner == "/usr/lib/opkg/status" || f.Inner == "/var/lib/dpkg/status" || f.Inner == "/var/lib/opkg/status" {
		a.mu.Lock()
		a.finder.PackageDB(f.Path, data)
		a.mu.Unlock()
	}
	if services.Kind(f.Inner) != "" {
		for _, is := range services.Check(f.Inner, data) {
			is.Path = f.Path
			out.issues = append(out.issues, is)
		}
	}
	for _, is := range secrets.Scan(f.Inner, data, a.opts.Now()) {
		is.Path = f.Path
		out.issues = append(out.issues, is)
	}
	return out
}

func sortIssues(is []Issue) {
	slices.SortStableFunc(is, func(a, b Issue) int { // worst first
		return cmp.Or(cmp.Compare(b.Severity.Rank(), a.Severity.Rank()), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Account, b.Account))
	})
}

// AtOrAbove returns the issues with severity at or above min.
func (r *Result) AtOrAbove(min findings.Severity) []Issue {
	var out []Issue
	for _, is := range r.Issues {
		if is.Severity.Rank() >= min.Rank() {
			out = append(out, is)
		}
	}
	return out
}

// Findings converts the issues to canonical findings (tool
// "rampart-firmware"), for SARIF output and import into a release.
func (r *Result) Findings() []findings.Finding {
	out := make([]findings.Finding, 0, len(r.Issues))
	for _, is := range r.Issues {
		f := findings.Finding{
			Title:       title(is),
			Severity:    is.Severity,
			RuleID:      "firmware/" + string(is.Kind),
			Description: is.Detail,
			Tool:        "rampart-firmware",
			Locations:   []findings.Location{{File: is.Path, Port: is.Port}},
		}
		if cwe, ok := kindCWE[is.Kind]; ok {
			f.CWEs = []int{cwe}
		}
		// One finding per issue: the generic fingerprint (CWE + file) would
		// merge, say, three default passwords in /etc/shadow. What changes
		// without the image changing (a line number, a certificate passing
		// its expiry date) stays out, so a re-scan keeps the finding.
		key := fmt.Sprintf("firmware|%s|%s|%s|%d|%s", is.Kind, is.Path, is.Account, is.Port, stableDetail(is.Detail))
		sum := sha256.Sum256([]byte(key))
		f.Fingerprint = hex.EncodeToString(sum[:])
		f.Normalize()
		out = append(out, f)
	}
	return out
}

var (
	lineRef = regexp.MustCompile(`line \d+`)
	expired = regexp.MustCompile(`(, )?expired \d{4}-\d{2}-\d{2}`)
)

// stableDetail is an issue's detail without the parts that change between
// scans of the same image: line numbers and a certificate's "expired" mark,
// which depends on the day of the scan.
func stableDetail(d string) string {
	return expired.ReplaceAllString(lineRef.ReplaceAllString(d, "line"), "")
}

var kindCWE = map[issue.Kind]int{
	issue.DefaultPassword: 1392, issue.EmptyPassword: 258, issue.UID0Account: 250, issue.HardcodedCredential: 798,
	issue.HardcodedAPIToken: 798, issue.PrivateKey: 321, issue.Certificate: 295, issue.AuthorizedKeys: 798,
	issue.CleartextService: 319, issue.DebugInterface: 1191, issue.WorldWritableFile: 732, issue.WorldWritableDir: 732,
	issue.SetuidRoot: 250, issue.InsecureConfig: 16, issue.UnsignedFITConfig: 347, issue.BadFITSignature: 347, issue.FITHashMismatch: 354,
}

func title(is Issue) string {
	t := strings.ReplaceAll(string(is.Kind), "_", " ")
	t = strings.ToUpper(t[:1]) + t[1:]
	if is.Account != "" {
		t += " (" + is.Account + ")"
	}
	return t + ": " + is.Path
}
