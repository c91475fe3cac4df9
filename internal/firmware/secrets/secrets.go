// Package secrets finds key material and credentials in firmware files:
// private keys that parse as real keys (PKCS#1, PKCS#8, SEC1, OpenSSH;
// a PEM header string inside a binary is not a key), certificates that are
// self-signed, expired or weak, authorized_keys files, API tokens and cloud
// keys, and plaintext passwords in configuration files and scripts.
package secrets

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/firmware/issue"
)

// MaxScan bounds the bytes of one file that are searched.
const MaxScan = 16 << 20

// Scan returns the secrets in one file. now decides certificate expiry.
func Scan(p string, data []byte, now time.Time) []issue.Issue {
	if len(data) > MaxScan {
		data = data[:MaxScan]
	}
	var out []issue.Issue
	if bytes.Contains(data, []byte("-----BEGIN ")) {
		out = append(out, pemBlocks(p, data, now)...)
	}
	base := path.Base(p)
	if base == "authorized_keys" || base == "authorized_keys2" {
		if n := authorizedKeys(data); n > 0 {
			out = append(out, issue.Issue{Kind: issue.AuthorizedKeys, Severity: findings.High, Path: p,
				Account: accountOfAuthorizedKeys(p), Detail: fmt.Sprintf("%d SSH public key(s) authorised to log in, shipped in the image", n)})
		}
	}
	out = append(out, tokens(p, data)...)
	if isText(data) && configLike(p, data) {
		out = append(out, credentials(p, data)...)
	}
	return out
}

func accountOfAuthorizedKeys(p string) string {
	// /root/.ssh/authorized_keys, /home/admin/.ssh/authorized_keys, /etc/dropbear/authorized_keys
	parts := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range parts {
		if s == ".ssh" && i > 0 {
			return parts[i-1]
		}
	}
	if strings.Contains(p, "dropbear") {
		return "root"
	}
	return ""
}

func authorizedKeys(data []byte) int {
	n := 0
	for len(data) > 0 {
		_, _, _, rest, err := ssh.ParseAuthorizedKey(data)
		if err != nil {
			break
		}
		n++
		data = rest
	}
	return n
}

func pemBlocks(p string, data []byte, now time.Time) []issue.Issue {
	var out []issue.Issue
	rest := data
	for i := 0; i < 1000; i++ {
		at := bytes.Index(rest, []byte("-----BEGIN "))
		if at < 0 {
			break
		}
		blk, r := pem.Decode(rest[at:])
		if blk == nil {
			rest = rest[at+11:]
			continue
		}
		rest = r
		switch {
		case strings.HasSuffix(blk.Type, "PRIVATE KEY"):
			if is, ok := privateKey(p, blk); ok {
				out = append(out, is)
			}
		case blk.Type == "CERTIFICATE":
			if is, ok := certificate(p, blk.Bytes, now); ok {
				out = append(out, is)
			}
		}
	}
	return out
}

func keyDesc(k any) string {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return fmt.Sprintf("RSA %d-bit", k.N.BitLen())
	case *ecdsa.PrivateKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PrivateKey, *ed25519.PrivateKey:
		return "Ed25519"
	}
	if strings.Contains(fmt.Sprintf("%T", k), "dsa.PrivateKey") {
		return "DSA"
	}
	return fmt.Sprintf("%T", k)
}

// privateKey parses a PEM private key block; a block that does not parse
// as key material (a format string in a binary, a truncated example) is no
// issue.
func privateKey(p string, blk *pem.Block) (issue.Issue, bool) {
	is := issue.Issue{Kind: issue.PrivateKey, Severity: findings.Critical, Path: p}
	if blk.Headers["Proc-Type"] == "4,ENCRYPTED" || blk.Type == "ENCRYPTED PRIVATE KEY" {
		if len(blk.Bytes) < 64 {
			return is, false
		}
		is.Severity = findings.Medium
		is.Detail = "passphrase-protected private key (" + blk.Type + ") shipped in the image"
		return is, true
	}
	var k any
	var err error
	switch blk.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(blk.Bytes)
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	case "OPENSSH PRIVATE KEY", "DSA PRIVATE KEY":
		k, err = ssh.ParseRawPrivateKey(pem.EncodeToMemory(blk))
		if _, missing := err.(*ssh.PassphraseMissingError); missing {
			is.Severity = findings.Medium
			is.Detail = "passphrase-protected OpenSSH private key shipped in the image"
			return is, true
		}
	default:
		return is, false
	}
	if err != nil {
		return is, false
	}
	is.Detail = fmt.Sprintf("%s private key (%s) shipped in the image: every device has the same key", keyDesc(k), blk.Type)
	return is, true
}

// trustStore reports whether p is a CA bundle directory, where self-signed
// roots belong.
func trustStore(p string) bool {
	return strings.Contains(p, "/ca-certificates") || strings.Contains(p, "/etc/ssl/certs/") ||
		strings.Contains(p, "/etc/pki/") || strings.HasSuffix(p, "ca-bundle.crt") || strings.HasSuffix(p, "cacert.pem") ||
		strings.Contains(p, "/certs/ca")
}

func certificate(p string, der []byte, now time.Time) (issue.Issue, bool) {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return issue.Issue{}, false
	}
	var why []string
	sev := findings.Low
	selfSigned := bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
	if selfSigned && !(c.IsCA && trustStore(p)) {
		why = append(why, "self-signed")
		sev = findings.Medium
	}
	if now.After(c.NotAfter) {
		why = append(why, "expired "+c.NotAfter.Format("2006-01-02"))
		sev = findings.Medium
	}
	if pk, ok := c.PublicKey.(*rsa.PublicKey); ok && pk.N.BitLen() < 2048 {
		why = append(why, fmt.Sprintf("weak %d-bit RSA key", pk.N.BitLen()))
		sev = findings.High
	}
	switch c.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.MD2WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1:
		if !selfSigned { // a root's own signature is not checked by clients
			why = append(why, "weak signature "+c.SignatureAlgorithm.String())
			if sev != findings.High {
				sev = findings.Medium
			}
		}
	}
	if len(why) == 0 {
		return issue.Issue{}, false
	}
	return issue.Issue{Kind: issue.Certificate, Severity: sev, Path: p,
		Detail: fmt.Sprintf("certificate %q: %s", c.Subject.CommonName, strings.Join(why, ", "))}, true
}

// tokenRule is one API-token or cloud-key pattern.
// The regular expression runs only on files holding one of the literal
// anchors (a bytes.Index is far cheaper than a regexp over every binary).
type tokenRule struct {
	name    string
	anchors []string
	re      *regexp.Regexp
}

var tokenRules = []tokenRule{
	{"AWS access key id", []string{"AKIA", "ASIA"}, regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`)},
	{"GitHub token", []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{36,255}\b`)},
	{"GitLab token", []string{"glpat-"}, regexp.MustCompile(`\bglpat-[A-Za-z0-9_-]{20}\b`)},
	{"Slack token", []string{"xox"}, regexp.MustCompile(`\bxox[abposr]-[0-9A-Za-z-]{10,72}\b`)},
	{"Google API key", []string{"AIza"}, regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}\b`)},
	{"Stripe live key", []string{"_live_"}, regexp.MustCompile(`\b(?:sk|rk)_live_[0-9A-Za-z]{24,99}\b`)},
	{"SendGrid API key", []string{"SG."}, regexp.MustCompile(`\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b`)},
	{"Azure storage key", []string{"AccountKey="}, regexp.MustCompile(`AccountKey=[A-Za-z0-9+/]{86}==`)},
}

func hasAnchor(data []byte, anchors []string) bool {
	for _, a := range anchors {
		if bytes.Contains(data, []byte(a)) {
			return true
		}
	}
	return false
}

var awsSecret = regexp.MustCompile(`(?i)aws_?secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})\b`)

func tokens(p string, data []byte) []issue.Issue {
	var out []issue.Issue
	seen := map[string]bool{}
	for _, r := range tokenRules {
		if !hasAnchor(data, r.anchors) {
			continue
		}
		for _, m := range r.re.FindAll(data, 20) {
			s := string(m)
			if seen[s] || placeholderToken(s) {
				continue
			}
			seen[s] = true
			out = append(out, issue.Issue{Kind: issue.HardcodedAPIToken, Severity: findings.High, Path: p,
				Detail: fmt.Sprintf("%s %s in file", r.name, mask(s))})
		}
	}
	if !hasAnchor(data, []string{"ecret_access_key", "ECRET_ACCESS_KEY", "ecretAccessKey", "ecretaccesskey", "ecret_Access_Key"}) {
		return out
	}
	for _, m := range awsSecret.FindAllSubmatch(data, 20) {
		out = append(out, issue.Issue{Kind: issue.HardcodedAPIToken, Severity: findings.Critical, Path: p,
			Detail: "AWS secret access key " + mask(string(m[1])) + " in file"})
	}
	return out
}

// placeholderToken rejects documentation examples (AKIAIOSFODNN7EXAMPLE)
// and runs of one character.
func placeholderToken(s string) bool {
	u := strings.ToUpper(s)
	if strings.Contains(u, "EXAMPLE") || strings.Contains(u, "XXXXXXXX") {
		return true
	}
	body := s[len(s)/2:]
	return strings.Count(body, body[:1]) == len(body)
}

func mask(s string) string {
	if len(s) <= 12 {
		return s[:2] + strings.Repeat("*", len(s)-2)
	}
	return s[:6] + strings.Repeat("*", len(s)-10) + s[len(s)-4:]
}

func isText(b []byte) bool {
	if len(b) > 1<<20 {
		return false
	}
	return !bytes.ContainsRune(b, 0)
}

// configLike: configuration files and scripts.
func configLike(p string, data []byte) bool {
	ext := path.Ext(p)
	switch ext {
	case ".conf", ".cfg", ".ini", ".cnf", ".sh", ".env", ".json", ".yaml", ".yml", ".xml", ".properties", ".lua", ".php", ".py", ".txt", "":
	default:
		return false
	}
	return strings.HasPrefix(p, "/etc/") || strings.Contains(p, "/etc/") || strings.Contains(p, "/www/") ||
		strings.Contains(p, "/config") || bytes.HasPrefix(data, []byte("#!")) || ext != ""
}

var credLine = regexp.MustCompile(`(?i)^\s*(?:export\s+|option\s+|set\s+)?["']?([a-z0-9_.-]*(?:password|passwd|passphrase|pwd|secret|api_?key|auth_?token|psk|wpa_passphrase))["']?\s*(?:=|:|\s)\s*(.+?)\s*;?\s*$`)

// credentials finds lines assigning a literal password. Empty values,
// variables ($PASS, ${X}, %s), placeholders (<password>, ***), and
// comments are not credentials.
func credentials(p string, data []byte) []issue.Issue {
	var out []issue.Issue
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' || strings.HasPrefix(t, "//") || t[0] == ';' || strings.HasPrefix(t, "<!--") {
			continue
		}
		m := credLine.FindStringSubmatch(t)
		if m == nil {
			continue
		}
		v := strings.Trim(strings.TrimSuffix(strings.TrimSpace(m[2]), ","), `"'`)
		if i := strings.Index(v, " #"); i > 0 {
			v = strings.TrimSpace(v[:i])
		}
		if !literalSecret(v) {
			continue
		}
		if len(out) >= 20 {
			break
		}
		out = append(out, issue.Issue{Kind: issue.HardcodedCredential, Severity: findings.High, Path: p,
			Detail: fmt.Sprintf("line %d: %s set to a literal value (%s)", i+1, m[1], mask(v))})
	}
	return out
}

func literalSecret(v string) bool {
	if len(v) < 4 || len(v) > 128 {
		return false
	}
	switch v[0] {
	case '$', '%', '<', '{', '[', '(', '@', '`':
		return false
	}
	lv := strings.ToLower(v)
	for _, w := range []string{"null", "none", "true", "false", "yes", "no", "required", "optional", "sufficient", "include", "****", "xxxx", "your_", "changeme_", "example", "placeholder", "(", "$("} {
		if lv == w || strings.HasPrefix(lv, w) && (w == "your_" || w == "****" || w == "xxxx" || w == "(" || w == "$(") {
			return false
		}
	}
	if strings.ContainsAny(v, " \t") && !strings.HasPrefix(v, "\"") {
		// "password required pam_unix.so": prose or syntax, not a value
		return false
	}
	return true
}
