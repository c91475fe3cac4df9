package identity

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
)

// FuzzParseScopes: token scope lists come from API callers; parsing never
// panics and accepts only known scopes.
func FuzzParseScopes(f *testing.F) {
	for _, s := range []string{"", "*", "sbom:write products:read", "sbom:write,,findings:read", "bogus", "admin admin"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScopes(s)
		if err != nil {
			return
		}
		for _, x := range sc {
			if x != ScopeAll && !strings.Contains(" "+JoinScopes(Scopes)+" ", " "+string(x)+" ") {
				t.Fatalf("unknown scope %q accepted from %q", x, s)
			}
		}
	})
}

// FuzzSecondFactorInput: codes typed at sign-in never panic the TOTP and
// recovery-code checks, and a random string is not accepted as a code.
func FuzzSecondFactorInput(f *testing.F) {
	for _, s := range []string{"123456", " 123 456 ", "abcd-efgh-ijkl-mnop", "", "\x00\xff"} {
		f.Add(s)
	}
	secret := "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, code string) {
		_ = HashRecoveryCode(code)
		if step, ok := TOTPMatch(secret, code, now); ok {
			want, _ := TOTPCodeAt(secret, time.Unix(step*TOTPPeriod, 0), TOTPDigits, otp.AlgorithmSHA1)
			if d := step - now.Unix()/TOTPPeriod; d < -1 || d > 1 || strings.ReplaceAll(strings.TrimSpace(code), " ", "") != want {
				t.Fatalf("%q accepted at step offset %d (want %q)", code, d, want)
			}
		}
	})
}

// FuzzRoleMap: the OIDC group-to-role map comes from configuration.
func FuzzRoleMap(f *testing.F) {
	for _, s := range []string{"a=admin", "sec=admin, dev=editor", "=admin", "x=root", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseRoleMap(s)
		if err != nil {
			return
		}
		for g, r := range m {
			if g == "" || !r.Valid() {
				t.Fatalf("bad entry %q=%q from %q", g, r, s)
			}
		}
	})
}
