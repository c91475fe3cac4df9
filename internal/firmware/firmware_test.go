package firmware

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/firmware/issue"
	"github.com/rampart-security/rampart/internal/sbom"
)

var fixedNow = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }

var (
	fixtureMu    sync.Mutex
	fixtureCache = map[string]*Result{}
)

// analyzeFixture analyses a testdata image once per test binary (cracking
// the fixture's sha-crypt hashes against the dictionary takes a second).
func analyzeFixture(t *testing.T, name string) *Result {
	t.Helper()
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	if r, ok := fixtureCache[name]; ok {
		return r
	}
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Analyze(context.Background(), name, b, Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	fixtureCache[name] = res
	return res
}

// TestRootfsIssues checks the exact issue list of the router-like rootfs
// (testdata/gen.sh): every issue kind appears, and none of the traps (locked
// and system accounts, commented or stopped services, trust-store roots,
// PEM strings in a binary, placeholders, sticky /tmp, symlinks, setuid
// non-root) does.
func TestRootfsIssues(t *testing.T) {
	res := analyzeFixture(t, "rootfs.sqsh")
	var got []string
	for _, is := range res.Issues {
		got = append(got, strings.Join([]string{string(is.Kind), string(is.Severity), is.Path, is.Account}, " "))
	}
	sort.Strings(got)
	want := []string{
		"authorized_keys high /root/.ssh/authorized_keys root",
		"certificate high /etc/lighttpd/server.pem ",
		"cleartext_service critical /etc/init.d/rcS ",
		"cleartext_service high /etc/inetd.conf ",
		"debug_interface high /etc/init.d/rcS ",
		"debug_interface high /etc/inittab root",
		"default_password critical /etc/shadow admin",
		"default_password critical /etc/shadow root",
		"default_password critical /etc/shadow support",
		"empty_password high /etc/shadow guest",
		"hardcoded_api_token critical /etc/config/cloud.conf ",
		"hardcoded_api_token high /etc/config/cloud.conf ",
		"hardcoded_credential high /etc/app.conf ",
		"insecure_config high /etc/init.d/rcS ",
		"insecure_config medium /etc/ssh/sshd_config root",
		"private_key critical /etc/ssl/private/ec.key ",
		"private_key critical /etc/ssl/private/ed25519.pem ",
		"private_key critical /etc/ssl/private/id_ed25519 ",
		"private_key critical /etc/ssl/private/server.key ",
		"setuid_root medium /usr/bin/suid-root root",
		"uid0_account high /etc/passwd toor",
		"world_writable_dir medium /var/shared ",
		"world_writable_file medium /www/index.html ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("issues:\n got:\n%s\n\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	kinds := map[issue.Kind]bool{}
	for _, is := range res.Issues {
		kinds[is.Kind] = true
	}
	for _, k := range issue.Kinds {
		if !kinds[k] {
			t.Errorf("fixture has no %s issue", k)
		}
	}
	// Ports of the services.
	for _, is := range res.Issues {
		if is.Kind == issue.CleartextService && is.Path == "/etc/init.d/rcS" && is.Port != 23 {
			t.Errorf("telnetd port %d", is.Port)
		}
		if is.Kind == issue.CleartextService && is.Path == "/etc/inetd.conf" && is.Port != 21 {
			t.Errorf("ftpd port %d", is.Port)
		}
	}
}

func TestRootfsInventoryBinariesComponents(t *testing.T) {
	res := analyzeFixture(t, "rootfs.sqsh")
	if len(res.Layers) != 1 || res.Layers[0].Type != "squashfs" {
		t.Errorf("layers %+v", res.Layers)
	}
	// gcc binaries: busybox, busybox-copy, dropbear, partial, suid-root, suid-user; plus the fake pemtool is not ELF.
	if res.Counts.ELFFiles != 6 {
		t.Errorf("elf files %d, want 6", res.Counts.ELFFiles)
	}
	bins := map[string]Binary{}
	for _, b := range res.Binaries {
		bins[b.Path] = b
	}
	if b := bins["/bin/busybox"]; !(b.NX && b.PIE && b.RELRO == "full" && b.Canary && b.Fortify && b.Stripped && b.Arch == "x86_64") {
		t.Errorf("busybox hardening %+v", b)
	}
	if b := bins["/usr/sbin/dropbear"]; b.NX || b.PIE || b.RELRO != "none" || b.Canary || b.Stripped {
		t.Errorf("dropbear hardening %+v", b)
	}
	if b := bins["/usr/bin/partial"]; b.RELRO != "partial" {
		t.Errorf("partial RELRO %+v", b)
	}
	var devs, links int
	for _, f := range res.Files {
		switch f.Kind {
		case "device":
			devs++
		case "symlink":
			links++
			if f.Path == "/www/escape-link" && f.Link != "../../../../../../etc/shadow" {
				t.Errorf("symlink target rewritten: %q", f.Link)
			}
		}
		if f.Path == "/etc/passwd" && (f.SHA256 == "" || f.Size == 0 || f.Mode != "0644" || f.UID != 0) {
			t.Errorf("inventory entry %+v", f)
		}
		if f.Path == "/usr/bin/suid-user" && (f.UID != 1000 || f.Mode != "4755") {
			t.Errorf("suid-user %+v", f)
		}
	}
	if devs != 1 || links != 2 {
		t.Errorf("devices %d links %d, want 1 and 2", devs, links)
	}
	comps := map[string]Component{}
	for _, c := range res.Components {
		comps[c.Name] = c
	}
	if c := comps["busybox"]; c.Version != "1.36.1" || c.CPE != "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*" || c.Confidence != "high" {
		t.Errorf("busybox %+v", c)
	}
	if c := comps["dropbear"]; c.Version != "2022.82" || !strings.Contains(c.CPE, "dropbear_ssh_project:dropbear_ssh:2022.82") {
		t.Errorf("dropbear %+v", c)
	}
	if c := comps["linux"]; c.Version != "5.10.161" || !strings.HasPrefix(c.CPE, "cpe:2.3:o:linux:linux_kernel:5.10.161") || !strings.Contains(c.Evidence, "vermagic") {
		t.Errorf("kernel %+v", c)
	}
	if _, ok := comps["removed-pkg"]; ok {
		t.Error("a not-installed package was listed")
	}
}

// TestResultJSONContract checks the exact keys of the JSON result.
func TestResultJSONContract(t *testing.T) {
	res := analyzeFixture(t, "rootfs.sqsh")
	b, _ := json.Marshal(res)
	var m map[string]json.RawMessage
	json.Unmarshal(b, &m)
	keys := func(raw json.RawMessage, list bool) string {
		var obj map[string]any
		if list {
			var arr []map[string]any
			json.Unmarshal(raw, &arr)
			if len(arr) == 0 {
				return ""
			}
			obj = arr[0]
		} else {
			json.Unmarshal(raw, &obj)
		}
		var ks []string
		for k := range obj {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return strings.Join(ks, ",")
	}
	var top []string
	for k := range m {
		top = append(top, k)
	}
	sort.Strings(top)
	for _, c := range []struct{ got, want string }{
		{strings.Join(top, ","), "binaries,components,counts,image,issues,layers"},
		{keys(m["layers"], true), "offset,path,type"},
		{keys(m["components"], true), "confidence,cpe,evidence,name,path,purl,version"},
		{keys(m["issues"], true), "account,detail,kind,path,port,severity"},
		{keys(m["binaries"], true), "arch,canary,fortify,nx,path,pie,relro,stripped"},
		{keys(m["counts"], false), "elf_files,files"},
	} {
		if c.got != c.want {
			t.Errorf("keys %s, want %s", c.got, c.want)
		}
	}
}

func TestCycloneDXImports(t *testing.T) {
	res := analyzeFixture(t, "rootfs.sqsh")
	var buf bytes.Buffer
	if err := res.WriteCycloneDX(&buf, "router", "1.0", "test", fixedNow()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"specVersion": "1.6"`) {
		t.Error("not CycloneDX 1.6")
	}
	doc, err := sbom.DecodeBytes(buf.Bytes(), "router.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, c := range doc.Components {
		found[c.Name] = c.Version
		if c.Name == "busybox" && (len(c.CPEs) == 0 || c.CPEs[0] != "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*") {
			t.Errorf("busybox CPE lost: %+v", c)
		}
	}
	if found["busybox"] != "1.36.1" || found["linux"] != "5.10.161" || found["dropbear"] != "2022.82" {
		t.Errorf("components after import: %v", found)
	}
}

func TestFindingsForSARIF(t *testing.T) {
	res := analyzeFixture(t, "rootfs.sqsh")
	fs := res.Findings()
	if len(fs) != len(res.Issues) {
		t.Fatalf("%d findings for %d issues", len(fs), len(res.Issues))
	}
	fps := map[string]bool{}
	for _, f := range fs {
		if f.Tool != "rampart-firmware" || !strings.HasPrefix(f.RuleID, "firmware/") || f.Fingerprint == "" {
			t.Errorf("finding %+v", f)
		}
		fps[f.Fingerprint] = true
	}
	var buf bytes.Buffer
	if err := findings.WriteSARIF(&buf, fs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "firmware/default_password") {
		t.Error("SARIF lacks the rule")
	}
}

func TestAtOrAbove(t *testing.T) {
	res := analyzeFixture(t, "rootfs.sqsh")
	crit := res.AtOrAbove(findings.Critical)
	for _, is := range crit {
		if is.Severity != findings.Critical {
			t.Errorf("%+v", is)
		}
	}
	if len(crit) == 0 || len(res.AtOrAbove(findings.Info)) != len(res.Issues) {
		t.Errorf("critical %d of %d", len(crit), len(res.Issues))
	}
}

func TestFindingsOnePerIssue(t *testing.T) {
	res := analyzeFixture(t, "rootfs.sqsh")
	seen := map[string]bool{}
	for _, f := range res.Findings() {
		if seen[f.Fingerprint] {
			t.Errorf("two issues share fingerprint: %s", f.Title)
		}
		seen[f.Fingerprint] = true
	}
}

// TestFindingsFingerprintSurvivesExpiry: the fixture's server certificate
// is valid for one day after the fixture was made. Scanned before and
// after that day, its finding keeps one fingerprint, so a re-scan does not
// close it and open a "new" one the day the certificate expires.
func TestFindingsFingerprintSurvivesExpiry(t *testing.T) {
	b, err := os.ReadFile("testdata/rootfs.sqsh")
	if err != nil {
		t.Fatal(err)
	}
	cert := func(now time.Time) findings.Finding {
		t.Helper()
		res, err := Analyze(context.Background(), "rootfs.sqsh", b, Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Findings() {
			if f.RuleID == "firmware/certificate" && f.Locations[0].File == "/etc/lighttpd/server.pem" {
				return f
			}
		}
		t.Fatal("no finding for /etc/lighttpd/server.pem")
		return findings.Finding{}
	}
	before, after := cert(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)), cert(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	if !strings.Contains(after.Description, "expired") || strings.Contains(before.Description, "expired") {
		t.Fatalf("details do not show the expiry: before %q, after %q", before.Description, after.Description)
	}
	if before.Fingerprint != after.Fingerprint {
		t.Errorf("fingerprint changed when the certificate expired: %s → %s", before.Fingerprint, after.Fingerprint)
	}
}

// TestAndroidBootImage analyses a boot.img (mkbootimg header v2, an lz4
// ramdisk; testdata/gen.sh): the kernel blob's banner names the Linux
// component, and the ramdisk's files are in the inventory with their
// modes (the setuid su).
func TestAndroidBootImage(t *testing.T) {
	res := analyzeFixture(t, "boot-v2.img")
	var types []string
	for _, l := range res.Layers {
		types = append(types, l.Type)
	}
	if strings.Join(types, ",") != "android-boot,lz4,cpio" {
		t.Errorf("layers %q", types)
	}
	comps := map[string]Component{}
	for _, c := range res.Components {
		comps[c.Name] = c
	}
	if c := comps["linux"]; c.Version != "5.4.86" {
		t.Errorf("kernel %+v", c)
	}
	found := false
	for _, f := range res.Files {
		if f.Path == "/ramdisk!/system/bin/su" {
			found = f.Mode == "4750" && f.UID == 0
		}
	}
	if !found {
		t.Error("/ramdisk!/system/bin/su not inventoried as setuid")
	}
}
