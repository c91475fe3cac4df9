package accounts

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
)

func TestErrorKinds(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want fault.Kind
	}{
		{ErrBadCredentials, fault.KindUnauthenticated},
		{fmt.Errorf("sign in: %w", ErrBadCredentials), fault.KindUnauthenticated},
		{TooManyAttempts{Wait: 3 * time.Second}, fault.KindTooMany},
		{TooManyAttempts{Locked: true}, fault.KindTooMany},
	} {
		if got := fault.KindOf(tc.err); got != tc.want {
			t.Errorf("KindOf(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if !errors.Is(fmt.Errorf("x: %w", ErrBadCredentials), ErrBadCredentials) {
		t.Error("ErrBadCredentials is not matched through wrapping")
	}
	if got := (TooManyAttempts{Wait: 1500 * time.Millisecond}).RetryAfter(); got != "2" {
		t.Errorf("RetryAfter = %q, want 2 (rounded up)", got)
	}
}

func TestParseExpiry(t *testing.T) {
	for _, tc := range []struct {
		in      string
		max     time.Duration
		want    time.Duration
		wantErr bool
	}{
		{"", 0, 90 * 24 * time.Hour, false},
		{"", time.Hour, time.Hour, false},
		{"720h", 0, 720 * time.Hour, false},
		{"never", 0, 0, true},
		{"-1h", 0, 0, true},
		{"soon", 0, 0, true},
		{"2h", time.Hour, 0, true},
		{fmt.Sprint(identity.DefaultMaxTokenLifetime + time.Hour), 0, 0, true},
	} {
		got, err := ParseExpiry(tc.in, tc.max)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseExpiry(%q, %v) = %v, %v; want %v, error %v", tc.in, tc.max, got, err, tc.want, tc.wantErr)
		}
		if err != nil && fault.FieldOf(err) != "expires" {
			t.Errorf("ParseExpiry(%q): error names field %q, want expires", tc.in, fault.FieldOf(err))
		}
	}
}

func TestTruncateName(t *testing.T) {
	long := string(make([]byte, 99)) + "é" // 101 bytes: the 2-byte rune would be split
	if got := truncateName(long); len(got) != 99 {
		t.Errorf("truncateName kept %d bytes, want 99 (no split rune)", len(got))
	}
}
