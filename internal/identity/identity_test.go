package identity

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=2,p=2$") {
		t.Fatalf("unexpected hash format %q", h)
	}
	if !VerifyPassword(h, "correct horse battery staple") {
		t.Error("right password rejected")
	}
	if VerifyPassword(h, "correct horse battery stapler") {
		t.Error("wrong password accepted")
	}
	h2, _ := HashPassword("correct horse battery staple")
	if h == h2 {
		t.Error("two hashes of one password are equal: salt missing")
	}
	for _, bad := range []string{"", "$argon2id$", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA", "plain"} {
		if VerifyPassword(bad, "x") {
			t.Errorf("malformed hash %q matched", bad)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		pw, user string
		ok       bool
	}{
		{"short", "alice", false},
		{"fourteen chars", "alice", false},
		{"fifteen chars!!", "alice", true},
		{"alicealicealice1", "alice", false},
		{"alice likes long walks", "alice", true},
		{"rampartrampart!", "bob", false},
		{strings.Repeat("x", 257), "bob", false},
		{"ünïcödé pässwörd", "bob", true},
	}
	for _, tt := range tests {
		err := CheckPassword(tt.pw, tt.user)
		if (err == nil) != tt.ok {
			t.Errorf("CheckPassword(%q, %q) = %v, want ok=%v", tt.pw, tt.user, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrWeakPassword) {
			t.Errorf("error %v does not wrap ErrWeakPassword", err)
		}
	}
}

func TestRoles(t *testing.T) {
	if !RoleAdmin.Allows(RoleViewer) || !RoleEditor.Allows(RoleEditor) || RoleViewer.Allows(RoleEditor) {
		t.Error("role ordering wrong")
	}
	if Role("root").Allows(RoleViewer) {
		t.Error("unknown role must allow nothing")
	}
	if _, err := ParseRole("superuser"); err == nil {
		t.Error("ParseRole accepted unknown role")
	}
}

func TestNewSecret(t *testing.T) {
	p1, h1 := NewSecret(TokenPrefix)
	p2, _ := NewSecret(TokenPrefix)
	if p1 == p2 || !strings.HasPrefix(p1, "rmp_") || HashSecret(p1) != h1 || len(p1) < 40 {
		t.Errorf("bad secret %q / %q", p1, h1)
	}
}

func TestThrottle(t *testing.T) {
	th := NewThrottle(3, time.Minute)
	now := time.Unix(1000, 0)
	th.now = func() time.Time { return now }
	for range 3 {
		th.Fail("user:bob")
	}
	if w := th.Wait("user:bob"); w != 0 {
		t.Fatalf("free attempts throttled: %v", w)
	}
	th.Fail("user:bob")
	if w := th.Wait("user:bob", "ip:1.2.3.4"); w != time.Second {
		t.Fatalf("4th failure wait = %v, want 1s", w)
	}
	th.Fail("user:bob")
	if w := th.Wait("user:bob"); w != 2*time.Second {
		t.Fatalf("5th failure wait = %v, want 2s", w)
	}
	for range 20 {
		th.Fail("user:bob")
	}
	if w := th.Wait("user:bob"); w != time.Minute {
		t.Fatalf("cap: %v", w)
	}
	th.Succeed("user:bob")
	if w := th.Wait("user:bob"); w != 0 {
		t.Fatalf("after success: %v", w)
	}
}

// BenchmarkSignInVerify measures one password verification with the
// production argon2id parameters: the cost of a sign-in (see
// docs/performance.md, "Authentication").
func BenchmarkSignInVerify(b *testing.B) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !VerifyPassword(h, "correct horse battery staple") {
			b.Fatal("verify failed")
		}
	}
}
