package firmware

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/firmware/issue"
	"github.com/rampart-security/rampart/internal/firmware/unpack"
)

func fitFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/fitsig/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func analyzeFIT(t *testing.T, img []byte, keyFiles ...string) *Result {
	t.Helper()
	var keys []unpack.FITKey
	for _, k := range keyFiles {
		ks, err := unpack.ParseFITKeys(k, fitFixture(t, k))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, ks...)
	}
	res, err := Analyze(context.Background(), "boot.itb", img, Options{Now: fixedNow, FITKeys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// fitIssues is "kind severity path" of the FIT issues.
func fitIssues(res *Result) string {
	var out []string
	for _, is := range res.Issues {
		if slices.Contains(issue.BootKinds, is.Kind) {
			out = append(out, string(is.Kind)+" "+string(is.Severity)+" "+is.Path)
		}
	}
	return strings.Join(out, "; ")
}

func fitResults(res *Result) string {
	var out []string
	for _, f := range res.FIT {
		for _, s := range f.Signatures {
			out = append(out, s.Node+" "+s.Result)
		}
	}
	return strings.Join(out, "; ")
}

// TestFITSignatureChecks: a FIT signed by mkimage verifies with the
// control dtb given (no issue), is not verified without a key (a warning
// names the hint), a tampered copy is a high bad_fit_signature issue, and
// the unsigned fit.itb is a medium unsigned_fit_config issue.
func TestFITSignatureChecks(t *testing.T) {
	res := analyzeFIT(t, fitFixture(t, "rsa.itb"), "control-rsa.dtb")
	if got := fitResults(res); got != "/images/kernel-1/signature-1 verified; /configurations/conf-1/signature-1 verified" {
		t.Errorf("verified: %s", got)
	}
	if got := fitIssues(res); got != "" {
		t.Errorf("verified image has issues: %s", got)
	}
	f := res.FIT[0]
	if f.DefaultConfig != "conf-1" || !f.DefaultSigned || f.Signatures[1].KeyNameHint != "dev" || f.Signatures[1].SignedBy != "mkimage 2023.01" || f.Signatures[1].Key != "control-rsa.dtb /signature/key-dev" {
		t.Errorf("report %+v", f)
	}

	res = analyzeFIT(t, fitFixture(t, "rsa.itb"))
	if got := fitResults(res); got != "/images/kernel-1/signature-1 no key; /configurations/conf-1/signature-1 no key" {
		t.Errorf("no key: %s", got)
	}
	if got := fitIssues(res); got != "" {
		t.Errorf("no key: issues %s", got)
	}
	if w := strings.Join(res.Warnings, "\n"); !strings.Contains(w, `FIT image at offset 0: signature /configurations/conf-1/signature-1 (sha256,rsa2048, key-name-hint "dev") not verified: no rsa2048 key named "dev" given (--fit-key)`) {
		t.Errorf("no key warnings: %s", w)
	}

	res = analyzeFIT(t, fitFixture(t, "rsa-tampered.itb"), "control-rsa.dtb")
	if got := fitIssues(res); got != "bad_fit_signature high /configurations/conf-1/signature-1" {
		t.Errorf("tampered: %s", got)
	}
	if got := res.AtOrAbove(findings.High); len(got) != 1 || !strings.Contains(got[0].Detail, "does not verify with the rsa2048 key (control-rsa.dtb /signature/key-dev)") {
		t.Errorf("tampered detail: %+v", got)
	}

	res = analyzeFIT(t, fitFixture(t, "../fit.itb"))
	if got := fitIssues(res); got != "unsigned_fit_config medium /configurations/conf-1" {
		t.Errorf("unsigned: %s", got)
	}
	if len(res.FIT) != 1 || res.FIT[0].DefaultSigned || len(res.FIT[0].Signatures) != 0 {
		t.Errorf("unsigned report %+v", res.FIT)
	}
	// ec.itb signs its configuration only: changing the kernel's data
	// leaves that signature good (it signs the hash values) and the
	// kernel's hash-1 wrong, which U-Boot refuses to boot.
	ec := fitFixture(t, "ec.itb")
	changed := bytes.Replace(ec, []byte("builder@fitsig"), []byte("builder@fitsix"), 1)
	if bytes.Equal(changed, ec) {
		t.Fatal("ec.itb holds no kernel banner to change")
	}
	bad := analyzeFIT(t, changed, "control-ec.dtb")
	if got := fitResults(bad); got != "/configurations/conf-1/signature-1 verified" {
		t.Errorf("changed kernel data: %s", got)
	}
	if got := fitIssues(bad); got != "fit_hash_mismatch high /images/kernel-1" {
		t.Errorf("changed kernel data: issues %s", got)
	}
	if got := bad.AtOrAbove(findings.High); len(got) != 1 || !strings.Contains(got[0].Detail, "image /images/kernel-1 does not match its hash-N node (sha256 mismatch)") ||
		!strings.Contains(got[0].Detail, "signs the hash values") {
		t.Errorf("changed kernel data: %+v", got)
	}
	if f := bad.FIT[0]; len(f.BadHashes) != 1 || f.BadHashes[0].Image != "/images/kernel-1" {
		t.Errorf("bad hashes %+v", f.BadHashes)
	}
	if got := fitIssues(analyzeFIT(t, ec, "control-ec.dtb")); got != "" {
		t.Errorf("ec.itb as mkimage wrote it: issues %s", got)
	}
	found := map[issue.Kind]bool{}
	for _, r := range []*Result{analyzeFIT(t, fitFixture(t, "rsa-tampered.itb"), "control-rsa.dtb"), res, bad} {
		for _, is := range r.Issues {
			found[is.Kind] = true
		}
	}
	for _, k := range issue.BootKinds {
		if !found[k] {
			t.Errorf("no %s issue", k)
		}
	}
}

// TestFITSignatureEmbeddedKey: a FIT in a tar next to a U-Boot binary
// with its control device tree appended (as u-boot-dtb.bin is built)
// verifies with that key, and the ECDSA FIT with the PEM key given.
func TestFITSignatureEmbeddedKey(t *testing.T) {
	uboot := append(append([]byte("U-Boot 2023.01 (Jan 01 1970)\x00"), bytes.Repeat([]byte{0xea}, 3000)...), fitFixture(t, "control-rsa.dtb")...)
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		data []byte
	}{{"u-boot.bin", uboot}, {"boot/fit.itb", fitFixture(t, "rsa.itb")}} {
		w.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg})
		w.Write(f.data)
	}
	w.Close()
	res := analyzeFIT(t, buf.Bytes())
	if got := fitResults(res); got != "/images/kernel-1/signature-1 verified; /configurations/conf-1/signature-1 verified" {
		t.Fatalf("embedded key: %s (%+v)", got, res.Layers)
	}
	if f := res.FIT[0]; f.Path != "/boot/fit.itb" || f.Signatures[1].Key != "/u-boot.bin at 0xbd5 /signature/key-dev" {
		t.Errorf("embedded key report %+v", f)
	}

	res = analyzeFIT(t, fitFixture(t, "ec.itb"), "ec.pub.pem")
	if got := fitResults(res); got != "/configurations/conf-1/signature-1 verified" {
		t.Errorf("ecdsa: %s", got)
	}
}
