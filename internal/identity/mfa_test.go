package identity

import (
	"encoding/base32"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
)

// TestTOTPRFC6238Vectors checks code generation against RFC 6238 Appendix B
// (8 digits; SHA-1, SHA-256 and SHA-512 with their 20/32/64-byte seeds).
func TestTOTPRFC6238Vectors(t *testing.T) {
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	seeds := map[otp.Algorithm]string{
		otp.AlgorithmSHA1:   enc.EncodeToString([]byte("12345678901234567890")),
		otp.AlgorithmSHA256: enc.EncodeToString([]byte("12345678901234567890123456789012")),
		otp.AlgorithmSHA512: enc.EncodeToString([]byte("1234567890123456789012345678901234567890123456789012345678901234")),
	}
	vectors := []struct {
		unix int64
		alg  otp.Algorithm
		code string
	}{
		{59, otp.AlgorithmSHA1, "94287082"}, {59, otp.AlgorithmSHA256, "46119246"}, {59, otp.AlgorithmSHA512, "90693936"},
		{1111111109, otp.AlgorithmSHA1, "07081804"}, {1111111109, otp.AlgorithmSHA256, "68084774"}, {1111111109, otp.AlgorithmSHA512, "25091201"},
		{1111111111, otp.AlgorithmSHA1, "14050471"}, {1111111111, otp.AlgorithmSHA256, "67062674"}, {1111111111, otp.AlgorithmSHA512, "99943326"},
		{1234567890, otp.AlgorithmSHA1, "89005924"}, {1234567890, otp.AlgorithmSHA256, "91819424"}, {1234567890, otp.AlgorithmSHA512, "93441116"},
		{2000000000, otp.AlgorithmSHA1, "69279037"}, {2000000000, otp.AlgorithmSHA256, "90698825"}, {2000000000, otp.AlgorithmSHA512, "38618901"},
		{20000000000, otp.AlgorithmSHA1, "65353130"}, {20000000000, otp.AlgorithmSHA256, "77737706"}, {20000000000, otp.AlgorithmSHA512, "47863826"},
	}
	for _, v := range vectors {
		got, err := TOTPCodeAt(seeds[v.alg], time.Unix(v.unix, 0).UTC(), otp.DigitsEight, v.alg)
		if err != nil || got != v.code {
			t.Errorf("T=%d %v: %q (%v), want %q", v.unix, v.alg, got, err, v.code)
		}
	}
}

func TestTOTPMatchWindow(t *testing.T) {
	key, err := NewTOTPKey("alice")
	if err != nil {
		t.Fatal(err)
	}
	sec := key.Secret()
	now := time.Unix(1_800_000_015, 0)
	code := func(at time.Time) string {
		c, err := TOTPCodeAt(sec, at, otp.DigitsSix, otp.AlgorithmSHA1)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		step, ok := TOTPMatch(sec, code(now.Add(d)), now)
		if !ok || step != now.Add(d).Unix()/30 {
			t.Errorf("offset %v: ok=%v step=%d", d, ok, step)
		}
	}
	for _, d := range []time.Duration{-90 * time.Second, 90 * time.Second} {
		if _, ok := TOTPMatch(sec, code(now.Add(d)), now); ok {
			t.Errorf("offset %v accepted; window is ±1 step", d)
		}
	}
	if _, ok := TOTPMatch(sec, "12345", now); ok {
		t.Error("5-digit code accepted")
	}
	png, err := TOTPQR(sec, "alice", 200)
	if err != nil || len(png) < 100 || string(png[1:4]) != "PNG" {
		t.Errorf("QR: %d bytes, %v", len(png), err)
	}
}

func TestRecoveryCodes(t *testing.T) {
	plain, hashes := NewRecoveryCodes()
	if len(plain) != RecoveryCodeCount || len(hashes) != RecoveryCodeCount {
		t.Fatalf("%d codes", len(plain))
	}
	seen := map[string]bool{}
	for i, c := range plain {
		if len(c) != 19 || seen[c] {
			t.Errorf("code %q", c)
		}
		seen[c] = true
		if HashRecoveryCode(strings.ToUpper(strings.ReplaceAll(c, "-", " "))) != hashes[i] {
			t.Errorf("normalised code %q does not hash the same", c)
		}
	}
}

func TestBlocklist(t *testing.T) {
	if n := BlocklistSize(); n < 100_000 {
		t.Fatalf("blocklist has %d entries, want at least 100,000", n)
	}
	for _, pw := range []string{"password1234", "PASSWORD1234", "iloveyou1234", "qwertyuiop"} {
		if !Blocklisted(pw) {
			t.Errorf("%q not blocklisted", pw)
		}
	}
	if Blocklisted("plinth ribbon otter granite") {
		t.Error("a good passphrase is blocklisted")
	}
	// Defect 11: exact match only. Normalised: case, whitespace,
	// punctuation, repeated characters; famous passphrases; repetition.
	for _, pw := range []string{"Correct Horse Battery Staple", "correct-horse-battery-staple", "CorrectHorseBatteryStaple",
		"  password1234  ", "p a s s w o r d 1 2 3 4", "passsssssword1234", "the quick brown fox jumps over the lazy dog",
		"abcabcabcabcabcabc", "zzzzzzzzzzzzzzzzz"} {
		if !Blocklisted(pw) {
			t.Errorf("%q not blocklisted", pw)
		}
	}
	for _, pw := range []string{"bob bob bob bob bob", "Rampart-Rampart-2024", "rampart password1234"} {
		if err := CheckPassword(pw, "bob"); err == nil {
			t.Errorf("%q built from context words accepted", pw)
		}
	}
	// A 15+ character password from the list is refused with the reason.
	if err := CheckPassword("1qaz2wsx3edc4rfv", "bob"); err == nil || !strings.Contains(err.Error(), "breached") {
		t.Errorf("blocklisted long password: %v", err)
	}
	// 8 characters suffice with a second factor, never without.
	if err := CheckPasswordFor("tr0mbone-gl8", "bob", true); err != nil {
		t.Errorf("12 chars with MFA: %v", err)
	}
	if err := CheckPasswordFor("tr0mbone-gl8", "bob", false); err == nil {
		t.Error("12 chars without MFA accepted")
	}
	if err := CheckPasswordFor("short", "bob", true); err == nil {
		t.Error("5 chars with MFA accepted")
	}
}

func TestProductPermissions(t *testing.T) {
	p := &Principal{Role: RoleViewer, Products: map[int64]ProductRole{1: ProductOwner, 2: ProductAuditor}}
	cases := []struct {
		product int64
		perm    Permission
		want    bool
	}{
		{1, PermManage, true}, {1, PermWrite | PermAudit, true}, {2, PermRead, true}, {2, PermAudit, true},
		{2, PermWrite, false}, {3, PermRead, false}, {1, PermNone, false},
	}
	for _, c := range cases {
		if got := p.Can(c.product, c.perm); got != c.want {
			t.Errorf("Can(%d, %v) = %v", c.product, c.perm, got)
		}
	}
	if ids, all := p.VisibleProducts(PermAudit); all || len(ids) != 2 {
		t.Errorf("audit-visible: %v %v", ids, all)
	}
	// The fallback mapping: a global editor on all products edits any
	// product but cannot manage or audit it.
	ge := &Principal{Role: RoleEditor, AllProducts: true}
	if !ge.Can(42, PermWrite) || ge.Can(42, PermManage) || ge.CanAny(PermAudit) {
		t.Error("global editor mapping wrong")
	}
	if _, all := ge.VisibleProducts(PermRead); !all {
		t.Error("global editor should see all products")
	}
	// A token restricted to product 1 sees nothing else, even for an admin.
	tok := &Principal{Role: RoleAdmin, Via: "token", TokenProduct: 1, Scopes: []Scope{ScopeSBOMWrite}}
	if tok.Can(2, PermRead) || !tok.Can(1, PermWrite) || tok.HasScope(ScopeProductsRead) || !tok.HasScope(ScopeSBOMWrite) || tok.HasScope("") {
		t.Error("token restriction wrong")
	}
	if _, err := ParseScopes("sbom:write bogus"); err == nil {
		t.Error("unknown scope accepted")
	}
	if !MFARequired("admin,owner", p) || MFARequired("editor", p) || !MFARequired("all", ge) || MFARequired("", ge) {
		t.Error("MFARequired wrong")
	}
}
