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
