package identity

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters (RFC 6238 defaults that every authenticator app supports).
const (
	TOTPPeriod = 30
	TOTPDigits = otp.DigitsSix
	TOTPSkew   = 1 // accept the previous and next 30-second step
	TOTPIssuer = "Rampart"
)

// NewTOTPKey generates a secret (160 bits, RFC 4226 §4) for an account.
func NewTOTPKey(account string) (*otp.Key, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: account, Period: TOTPPeriod,
		Digits: TOTPDigits, Algorithm: otp.AlgorithmSHA1, SecretSize: 20})
	if err != nil {
		return nil, fmt.Errorf("generate TOTP secret: %w", err)
	}
	return key, nil
}

// TOTPKeyURL rebuilds the otpauth:// URL of a stored secret.
func TOTPKeyURL(secret, account string) string {
	return fmt.Sprintf("otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=6&period=%d",
		TOTPIssuer, strings.ReplaceAll(account, " ", "%20"), secret, TOTPIssuer, TOTPPeriod)
}

// TOTPQR renders the enrolment QR code of a secret as PNG.
func TOTPQR(secret, account string, size int) ([]byte, error) {
	key, err := otp.NewKeyFromURL(TOTPKeyURL(secret, account))
	if err != nil {
		return nil, fmt.Errorf("TOTP key URL: %w", err)
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("render TOTP QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// TOTPCodeAt returns the code of a base32 secret at time t with the given
// digits and algorithm (exposed for the RFC 6238 test vectors).
func TOTPCodeAt(secret string, t time.Time, digits otp.Digits, alg otp.Algorithm) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: TOTPPeriod, Digits: digits, Algorithm: alg})
}

// TOTPMatch checks a 6-digit code against a secret within ±TOTPSkew steps
// of now and returns the matching time step. The caller must reject a step
// not later than the last one used (replay), see store.UseTOTPStep.
func TOTPMatch(secret, code string, now time.Time) (step int64, ok bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return 0, false
	}
	cur := now.Unix() / TOTPPeriod
	for d := int64(-TOTPSkew); d <= TOTPSkew; d++ {
		s := cur + d
		want, err := TOTPCodeAt(secret, time.Unix(s*TOTPPeriod, 0), TOTPDigits, otp.AlgorithmSHA1)
		if err != nil {
			return 0, false
		}
		if ConstantTimeEqual(want, code) {
			return s, true
		}
	}
	return 0, false
}

// RecoveryCodeCount is how many one-time recovery codes a user gets.
const RecoveryCodeCount = 10

// NewRecoveryCodes returns plain codes (shown once) and their hashes
// (stored). Each has 80 random bits, so SHA-256 suffices.
func NewRecoveryCodes() (plain, hashes []string) {
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	for range RecoveryCodeCount {
		var b [10]byte
		if _, err := rand.Read(b[:]); err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		s := strings.ToLower(enc.EncodeToString(b[:])) // 16 characters
		c := s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
		plain = append(plain, c)
		hashes = append(hashes, HashRecoveryCode(c))
	}
	return plain, hashes
}

// HashRecoveryCode normalises (case, dashes, spaces) and hashes a code.
func HashRecoveryCode(code string) string {
	c := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	return HashSecret("recovery:" + c)
}
