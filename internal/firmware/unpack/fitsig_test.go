package unpack

import (
	"os"
	"strings"
	"testing"
)

func sigFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/fitsig/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sigKeys(t *testing.T, name string) []FITKey {
	t.Helper()
	k, err := ParseFITKeys(name, sigFixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sigResults is "node result" per signature, with the reason when there is one.
func sigResults(t *testing.T, img []byte, keys []FITKey) string {
	t.Helper()
	r, err := CheckFITSignatures(img, keys)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range r.Signatures {
		line := s.Node + " " + s.Algo + " " + s.Result
		if s.Reason != "" {
			line += " (" + s.Reason + ")"
		}
		out = append(out, line)
	}
	return strings.Join(out, "; ")
}

func TestFITSignaturesMkimage(t *testing.T) {
	for _, tc := range []struct{ img, key, want string }{
		{"rsa.itb", "control-rsa.dtb", "/images/kernel-1/signature-1 sha256,rsa2048 verified; /configurations/conf-1/signature-1 sha256,rsa2048 verified"},
		{"rsa.itb", "dev.pub.pem", "/images/kernel-1/signature-1 sha256,rsa2048 verified; /configurations/conf-1/signature-1 sha256,rsa2048 verified"},
		{"ec.itb", "control-ec.dtb", "/configurations/conf-1/signature-1 sha256,ecdsa256 verified"},
		{"ec.itb", "ec.pub.pem", "/configurations/conf-1/signature-1 sha256,ecdsa256 verified"},
		{"pss.itb", "dev.pub.pem", "/images/kernel-1/signature-1 sha384,rsa2048 verified; /configurations/conf-1/signature-1 sha384,rsa2048 verified"},
		{"rsa-tampered.itb", "control-rsa.dtb", "/images/kernel-1/signature-1 sha256,rsa2048 verified; /configurations/conf-1/signature-1 sha256,rsa2048 bad signature (does not verify with the rsa2048 key)"},
		{"rsa.itb", "ec.pub.pem", `/images/kernel-1/signature-1 sha256,rsa2048 no key (no rsa2048 key named "dev"); /configurations/conf-1/signature-1 sha256,rsa2048 no key (no rsa2048 key named "dev")`},
	} {
		if got := sigResults(t, sigFixture(t, tc.img), sigKeys(t, tc.key)); got != tc.want {
			t.Errorf("%s with %s:\n got %s\nwant %s", tc.img, tc.key, got, tc.want)
		}
	}
}

// TestFITSignaturesHostile: what a hand-made tree gets wrong is named in
// the result or the error, never a panic: an unknown algorithm or padding
// is unsupported, a missing value, an image without a hash node and a
// hashed-strings past the strings block are bad signatures, and key files
// that are not keys are errors naming the node.
func TestFITSignaturesHostile(t *testing.T) {
	sig := func(props ...[2]string) fdtSpec { return fdtSpec{name: "signature-1", props: props} }
	img := func(children ...fdtSpec) fdtSpec {
		return fdtSpec{name: "kernel-1", props: [][2]string{{"data", "abcd"}}, children: children}
	}
	fit := func(image fdtSpec, conf fdtSpec) []byte {
		return buildFDT(fdtSpec{children: []fdtSpec{{name: "images", children: []fdtSpec{image}},
			{name: "configurations", props: [][2]string{{"default", "conf-1\x00"}}, children: []fdtSpec{conf}}}})
	}
	value := [2]string{"value", strings.Repeat("\x01", 256)}
	keys := sigKeys(t, "control-rsa.dtb")
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"unknown crypto", fit(img(sig([2]string{"algo", "sha256,rsa1024\x00"}, value)), fdtSpec{name: "conf-1"}),
			`/images/kernel-1/signature-1 sha256,rsa1024 unsupported (crypto "rsa1024" not supported (rsa2048, rsa3072, rsa4096, ecdsa256, ecdsa384))`},
		{"unknown padding", fit(img(sig([2]string{"algo", "sha1,rsa2048\x00"}, [2]string{"padding", "oaep\x00"}, value)), fdtSpec{name: "conf-1"}),
			`/images/kernel-1/signature-1 sha1,rsa2048 unsupported (padding "oaep" not supported (pkcs-1.5, pss))`},
		{"no value", fit(img(sig([2]string{"algo", "sha256,rsa2048\x00"})), fdtSpec{name: "conf-1"}),
			`/images/kernel-1/signature-1 sha256,rsa2048 bad signature (no value property)`},
		{"no hash node", fit(img(), fdtSpec{name: "conf-1", props: [][2]string{{"kernel", "kernel-1\x00"}}, children: []fdtSpec{sig([2]string{"algo", "sha256,rsa2048\x00"}, value)}}),
			`/configurations/conf-1/signature-1 sha256,rsa2048 bad signature (image kernel-1 has no hash node, so the configuration cannot cover its data)`},
		{"no image", fit(img(), fdtSpec{name: "conf-1", props: [][2]string{{"kernel", "kernel-9\x00"}}, children: []fdtSpec{sig([2]string{"algo", "sha256,rsa2048\x00"}, value)}}),
			`/configurations/conf-1/signature-1 sha256,rsa2048 bad signature (configuration conf-1 names no image)`},
		{"strings past the block", fit(img(fdtSpec{name: "hash-1"}), fdtSpec{name: "conf-1", props: [][2]string{{"kernel", "kernel-1\x00"}},
			children: []fdtSpec{sig([2]string{"algo", "sha256,rsa2048\x00"}, value, [2]string{"hashed-strings", "\x00\x00\x00\x00\x7f\xff\xff\xff"})}}),
			`/configurations/conf-1/signature-1 sha256,rsa2048 bad signature (hashed-strings claims 2147483647 bytes of a 46-byte strings block)`},
	} {
		if got := sigResults(t, tc.b, keys); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}

	badKey := buildFDT(fdtSpec{children: []fdtSpec{{name: "signature", children: []fdtSpec{{name: "key-x", props: [][2]string{
		{"rsa,modulus", strings.Repeat("\xff", 256)}, {"rsa,exponent", "\x00\x00\x00\x00\x00\x00\x00\x02"}}}}}}})
	badPoint := buildFDT(fdtSpec{children: []fdtSpec{{name: "signature", children: []fdtSpec{{name: "key-e", props: [][2]string{
		{"ecdsa,curve", "prime256v1\x00"}, {"ecdsa,x-point", strings.Repeat("\x01", 32)}, {"ecdsa,y-point", strings.Repeat("\x02", 32)}}}}}}})
	for name, tc := range map[string]struct {
		b    []byte
		want string
	}{
		"even exponent": {badKey, "k.dtb: key node /signature/key-x: rsa,exponent 2 not usable"},
		"off the curve": {badPoint, "k.dtb: key node /signature/key-e: ecdsa point:"},
		"no /signature": {sigFixture(t, "../fit.itb"), "k.dtb: a device tree without /signature key nodes"},
		"truncated":     {sigFixture(t, "control-rsa.dtb")[:600], "k.dtb: neither a device tree nor a PEM public key or certificate"},
	} {
		if _, err := ParseFITKeys("k.dtb", tc.b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A control FDT appended to a U-Boot binary is found; a damaged one
	// is skipped.
	dtb := sigFixture(t, "control-rsa.dtb")
	blob := append(append(append([]byte("U-Boot\x00\xd0\x0d\xfe\xed"), dtb[:100]...), make([]byte, 3)...), dtb...)
	if k := EmbeddedFITKeys("/u-boot.bin", blob); len(k) != 1 || k[0].Source != "/u-boot.bin at 0x72 /signature/key-dev" || k[0].Name != "dev" {
		t.Errorf("embedded keys %+v", k)
	}
}
