package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
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
	// the product name (repeated, with a digit or two) is guessed first.
	rest := strings.ToLower(password)
	for _, w := range []string{strings.ToLower(userName), "rampart"} {
		if len(w) < 3 || !strings.Contains(rest, w) {
			continue
		}
		rest = strings.ReplaceAll(rest, w, "")
		if utf8.RuneCountInString(rest) < 6 {
			return fmt.Errorf("%w: it is built from %q, which an attacker would try first", ErrWeakPassword, w)
		}
	}
	return nil
}

// HashPassword returns an argon2id hash in PHC string format.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// dummyHash is verified against when a user does not exist, so that unknown
// users and wrong passwords take the same time.
var dummyHash, _ = HashPassword("rampart-timing-equaliser-not-a-password")

// VerifyPassword reports whether password matches the PHC-encoded hash. An
// empty or malformed hash never matches but costs the same time.
func VerifyPassword(encoded, password string) bool {
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
		VerifyPassword(dummyHash, password)
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// EqualizeTiming burns the time of one password verification; call it when a
// sign-in names an unknown user.
func EqualizeTiming(password string) { VerifyPassword(dummyHash, password) }
