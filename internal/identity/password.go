package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/rampart-security/rampart/internal/fault"
)

// Argon2id parameters (RFC 9106, OWASP): 64 MiB memory, 2 passes, 2 lanes.
// Chosen so that one verification costs 50–250 ms on a 2-core server; see
// docs/performance.md for the measurement. Stored with each hash, so they can
// be raised later without invalidating existing hashes.
const (
	argonMemory  = 64 * 1024 // KiB
	argonTime    = 2
	argonThreads = 2
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Password length limits (NIST SP 800-63B rev 4 §3.1.1.2: at least 15
// for single-factor accounts, at least 8 when the password is used with a
// second factor; allow at least 64).
const (
	MinPasswordLength    = 15
	MinPasswordLengthMFA = 8
	MaxPasswordLength    = 256
)

// ErrWeakPassword is wrapped by every password policy rejection.
var ErrWeakPassword = errors.New("password rejected")

// CheckPassword applies the password policy for a single-factor account.
func CheckPassword(password, userName string) error {
	return CheckPasswordFor(password, userName, false)
}

// CheckPasswordFor applies the password policy: length (15, or 8 when the
// account has a second factor), the blocklist of common and breached
// passwords, and context words. No composition rules (NIST SP 800-63B);
// length is counted in Unicode code points.
func CheckPasswordFor(password, userName string, mfa bool) error {
	n := utf8.RuneCountInString(password)
	minLen := MinPasswordLength
	if mfa {
		minLen = MinPasswordLengthMFA
	}
	if n < minLen {
		return fmt.Errorf("%w: it has %d characters, at least %d are required (a passphrase of several words is easiest)", ErrWeakPassword, n, minLen)
	}
	if n > MaxPasswordLength {
		return fmt.Errorf("%w: it has %d characters, at most %d are allowed", ErrWeakPassword, n, MaxPasswordLength)
	}
	if Blocklisted(password) {
		return fmt.Errorf("%w: it is on the list of common and breached passwords that attackers try first", ErrWeakPassword)
	}
	// Context words: a password that is little more than the user name or
	// the product name (repeated, with a digit or two, or around a common
	// password) is guessed first. Compared without case, spaces and
	// punctuation.
	rest := squash(password)
	for _, w := range []string{squash(userName), "rampart"} {
		if len(w) < 3 || !strings.Contains(rest, w) {
			continue
		}
		rest = strings.ReplaceAll(rest, w, "")
		if utf8.RuneCountInString(rest) < 6 || Blocklisted(rest) {
			return fmt.Errorf("%w: it is built from %q, which an attacker would try first", ErrWeakPassword, w)
		}
	}
	return nil
}

// HashConcurrency is how many argon2id computations run at once in this
// process; each holds 64 MiB, so this bounds their memory (2 × 64 MiB).
// Excess callers wait up to HashQueueWait, then get fault.TooMany (429).
const (
	HashConcurrency = 2
	HashQueueWait   = 5 * time.Second
)

// hashSlots is process-wide on purpose: memory is a process-wide resource.
var hashSlots = make(chan struct{}, HashConcurrency)

// acquireHash takes a hashing slot, waiting at most HashQueueWait (or
// until ctx ends).
func acquireHash(ctx context.Context) (release func(), err error) {
	t := time.NewTimer(HashQueueWait)
	defer t.Stop()
	select {
	case hashSlots <- struct{}{}:
		return func() { <-hashSlots }, nil
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, fault.TooMany("the server is busy checking other passwords; try again in a few seconds")
}

// HashPassword returns an argon2id hash in PHC string format, waiting for
// a hashing slot as long as it takes (for the CLI; servers use
// HashPasswordContext).
func HashPassword(password string) (string, error) {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return hashPassword(password)
}

// HashPasswordContext is HashPassword with a bounded wait for a slot.
func HashPasswordContext(ctx context.Context, password string) (string, error) {
	release, err := acquireHash(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return hashPassword(password)
}

func hashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// dummyHash is verified against when a user does not exist, so that unknown
// users and wrong passwords take the same time. It is computed on first
// use, not at process start (commands that never check a password, such
// as `rampart version`, must not pay 64 MiB and a hash).
var dummyHash = sync.OnceValue(func() string {
	h, _ := hashPassword("rampart-timing-equaliser-not-a-password")
	return h
})

// VerifyPassword reports whether password matches the PHC-encoded hash. An
// empty or malformed hash never matches but costs the same time. It waits
// for a hashing slot as long as it takes; servers use
// VerifyPasswordContext.
func VerifyPassword(encoded, password string) bool {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return verifyPassword(encoded, password)
}

// VerifyPasswordContext is VerifyPassword with a bounded wait for a
// hashing slot: under load it returns fault.TooMany instead of queueing
// without end.
func VerifyPasswordContext(ctx context.Context, encoded, password string) (bool, error) {
	release, err := acquireHash(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return verifyPassword(encoded, password), nil
}

func verifyPassword(encoded, password string) bool {
	var m uint32
	var t uint32
	var p uint8
	var salt, want []byte
	parts := strings.Split(encoded, "$")
	ok := len(parts) == 6 && parts[1] == "argon2id"
	if ok {
		_, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p)
		salt, _ = base64.RawStdEncoding.DecodeString(parts[4])
		want, _ = base64.RawStdEncoding.DecodeString(parts[5])
		ok = err == nil && len(salt) > 0 && len(want) > 0 && m > 0 && m <= 1<<21 && t > 0 && t <= 10 && p > 0
	}
	if !ok {
		verifyPassword(dummyHash(), password)
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// EqualizeTiming burns the time of one password verification; call it when a
// sign-in names an unknown user.
func EqualizeTiming(password string) { VerifyPassword("", password) }

// EqualizeTimingContext is EqualizeTiming with a bounded wait for a slot.
func EqualizeTimingContext(ctx context.Context, password string) error {
	_, err := VerifyPasswordContext(ctx, "", password)
	return err
}
