// Package accounts checks the user accounts of a firmware image
// (/etc/passwd and /etc/shadow): empty passwords, uid-0 accounts other than
// root, and passwords that are defaults or weak, cracked against a shipped
// dictionary of vendor defaults. It verifies DES crypt, md5crypt ($1$),
// sha256crypt ($5$), sha512crypt ($6$) and bcrypt ($2a$, $2b$, $2y$);
// yescrypt ($y$, no pure-Go implementation is available from the module
// proxy) and unknown schemes are recognised and reported by Unchecked.
package accounts

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/GehirnInc/crypt"
	_ "github.com/GehirnInc/crypt/md5_crypt"
	_ "github.com/GehirnInc/crypt/sha256_crypt"
	_ "github.com/GehirnInc/crypt/sha512_crypt"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/firmware/issue"
)

//go:embed defaults.txt
var defaultsFile string

// Dictionary returns the shipped default passwords.
func Dictionary() []string {
	var out []string
	for _, l := range strings.Split(defaultsFile, "\n") {
		l = strings.TrimRight(l, "\r")
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	return out
}

// Account is one line of /etc/passwd joined with its /etc/shadow entry.
type Account struct {
	Name  string
	UID   int
	GID   int
	Home  string
	Shell string
	Hash  string // from shadow when passwd says "x"
	// HashFrom is the file the hash came from.
	HashFrom string
	Line     int
}

// maxRounds bounds sha-crypt rounds so a crafted shadow file cannot stall
// the analysis (the default is 5000).
const maxRounds = 200000

// bcrypt work is 2^cost: up to fullBcryptCost every candidate is tried
// (about 3 ms each at cost 8); above, up to maxBcryptCost (cost 12 is
// about 250 ms a try), only the account name and the first
// topCandidates of the dictionary, which lists the most common defaults
// first; above that nothing is tried.
const (
	fullBcryptCost = 8
	maxBcryptCost  = 12
	topCandidates  = 16
)

// Parse reads passwd and shadow (either may be nil).
func Parse(passwd, shadow []byte, passwdPath, shadowPath string) []Account {
	hashes := map[string]string{}
	for _, l := range strings.Split(string(shadow), "\n") {
		f := strings.Split(strings.TrimRight(l, "\r"), ":")
		if len(f) >= 2 && f[0] != "" {
			hashes[f[0]] = f[1]
		}
	}
	var out []Account
	for i, l := range strings.Split(string(passwd), "\n") {
		l = strings.TrimRight(l, "\r")
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-") {
			continue
		}
		f := strings.Split(l, ":")
		if len(f) < 7 || f[0] == "" {
			continue
		}
		uid, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		gid, _ := strconv.Atoi(f[3])
		a := Account{Name: f[0], UID: uid, GID: gid, Home: f[5], Shell: f[6], Hash: f[1], HashFrom: passwdPath, Line: i + 1}
		if f[1] == "x" {
			if h, ok := hashes[f[0]]; ok {
				a.Hash, a.HashFrom = h, shadowPath
			} else {
				a.Hash = "*" // "x" without a shadow entry: no password can match
			}
		}
		out = append(out, a)
	}
	return out
}

// loginShell reports whether shell lets the account log in.
func loginShell(shell string) bool {
	base := shell[strings.LastIndex(shell, "/")+1:]
	switch base {
	case "nologin", "false", "true", "sync", "shutdown", "halt", "reboot":
		return false
	}
	return true
}

// Locked reports whether a hash field can never match a password: "*",
// "!", "!!", "!<hash>", "x", "LK".
func Locked(hash string) bool {
	return hash != "" && (hash[0] == '!' || hash[0] == '*' || hash == "x" || hash == "LK" || strings.HasPrefix(hash, "*LK*"))
}

// Check returns the issues of the accounts, trying dict (nil means the
// shipped Dictionary) against every hash.
func Check(accts []Account, dict []string) []issue.Issue {
	if dict == nil {
		dict = Dictionary()
	}
	var out []issue.Issue
	for _, a := range accts {
		if a.UID == 0 && a.Name != "root" {
			out = append(out, issue.Issue{Kind: issue.UID0Account, Severity: findings.High, Path: pathOf(a), Account: a.Name,
				Detail: fmt.Sprintf("account %q has uid 0 (root privileges) besides root", a.Name)})
		}
		if Locked(a.Hash) {
			continue
		}
		if a.Hash == "" {
			if !loginShell(a.Shell) {
				continue // a system account that cannot log in
			}
			sev := findings.High
			if a.UID == 0 {
				sev = findings.Critical
			}
			out = append(out, issue.Issue{Kind: issue.EmptyPassword, Severity: sev, Path: a.HashFrom, Account: a.Name,
				Detail: fmt.Sprintf("account %q (uid %d, shell %s) has an empty password: anyone can log in", a.Name, a.UID, a.Shell)})
			continue
		}
		if pw, scheme, ok := Crack(a.Hash, append([]string{a.Name}, dict...)); ok {
			sev := findings.High
			if a.UID == 0 || loginShell(a.Shell) {
				sev = findings.Critical
			}
			out = append(out, issue.Issue{Kind: issue.DefaultPassword, Severity: sev, Path: a.HashFrom, Account: a.Name,
				Detail: fmt.Sprintf("account %q has the default password %q (%s)", a.Name, pw, scheme)})
		}
	}
	return out
}

func pathOf(a Account) string {
	if a.HashFrom != "" && !strings.HasSuffix(a.HashFrom, "shadow") {
		return a.HashFrom
	}
	return "/etc/passwd"
}

// Scheme names the crypt scheme of a hash, or "" when unknown.
func Scheme(hash string) string {
	switch {
	case strings.HasPrefix(hash, "$1$"):
		return "md5crypt"
	case strings.HasPrefix(hash, "$5$"):
		return "sha256crypt"
	case strings.HasPrefix(hash, "$6$"):
		return "sha512crypt"
	case strings.HasPrefix(hash, "$y$"):
		return "yescrypt"
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"), strings.HasPrefix(hash, "$2x$"):
		return "bcrypt"
	case strings.HasPrefix(hash, "$gy$"):
		return "gost-yescrypt"
	case strings.HasPrefix(hash, "$7$"):
		return "scrypt"
	case len(hash) == 13 && strings.Trim(hash, cryptAlphabet) == "":
		return "descrypt"
	}
	return ""
}

// Crack tries each candidate against hash and returns the one that
// matches.
func Crack(hash string, candidates []string) (password, scheme string, ok bool) {
	scheme = Scheme(hash)
	switch scheme {
	case "descrypt":
		for _, c := range candidates {
			if desCrypt(c, hash[:2]) == hash {
				return c, scheme, true
			}
		}
	case "md5crypt", "sha256crypt", "sha512crypt":
		if r := rounds(hash); r > maxRounds {
			return "", scheme, false
		}
		if strings.Count(hash, "$") < 3 {
			return "", scheme, false
		}
		var c crypt.Crypter
		switch scheme {
		case "md5crypt":
			c = crypt.MD5.New()
		case "sha256crypt":
			c = crypt.SHA256.New()
		default:
			c = crypt.SHA512.New()
		}
		for _, cand := range candidates {
			if verify(c, hash, cand) {
				return cand, scheme, true
			}
		}
	case "bcrypt":
		cost, err := bcrypt.Cost([]byte(hash))
		if err != nil || cost > maxBcryptCost || strings.HasPrefix(hash, "$2x$") {
			return "", scheme, false // $2x$: the buggy pre-2011 variant, not computed by x/crypto
		}
		if cost > fullBcryptCost && len(candidates) > topCandidates+1 {
			candidates = candidates[:topCandidates+1]
		}
		for _, cand := range candidates {
			if bcrypt.CompareHashAndPassword([]byte(hash), []byte(cand)) == nil {
				return cand, scheme, true
			}
		}
	}
	return "", scheme, false
}

// Unchecked describes the accounts that can log in with a password whose
// hash was not (or not fully) tried against the dictionary: yescrypt and
// other schemes without a pure-Go implementation, unknown schemes, and
// sha-crypt rounds or bcrypt costs above the bounds.
func Unchecked(accts []Account) []string {
	var out []string
	for _, a := range accts {
		if a.Hash == "" || Locked(a.Hash) {
			continue
		}
		scheme := Scheme(a.Hash)
		why := ""
		switch scheme {
		case "yescrypt", "gost-yescrypt", "scrypt":
			why = "no pure-Go " + scheme + " implementation is available, so the default-password dictionary was not tried"
		case "":
			why = "unknown hash scheme, not tried against the default-password dictionary"
		case "md5crypt", "sha256crypt", "sha512crypt":
			if rounds(a.Hash) > maxRounds {
				why = fmt.Sprintf("%s with more than %d rounds, not tried", scheme, maxRounds)
			}
		case "bcrypt":
			cost, err := bcrypt.Cost([]byte(a.Hash))
			switch {
			case err != nil:
				why = "malformed bcrypt hash"
			case strings.HasPrefix(a.Hash, "$2x$"):
				why = "bcrypt $2x$ (the pre-2011 variant), not tried"
			case cost > maxBcryptCost:
				why = fmt.Sprintf("bcrypt cost %d (above %d), not tried", cost, maxBcryptCost)
			case cost > fullBcryptCost:
				why = fmt.Sprintf("bcrypt cost %d: only the account name and the %d most common defaults were tried", cost, topCandidates)
			}
		}
		if why != "" {
			out = append(out, fmt.Sprintf("account %q (%s): %s", a.Name, a.HashFrom, why))
		}
	}
	return out
}

func verify(c crypt.Crypter, hash, pw string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return c.Verify(hash, []byte(pw)) == nil
}

func rounds(hash string) int {
	parts := strings.Split(hash, "$")
	if len(parts) > 2 && strings.HasPrefix(parts[2], "rounds=") {
		n, err := strconv.Atoi(strings.TrimPrefix(parts[2], "rounds="))
		if err != nil {
			return maxRounds + 1
		}
		return n
	}
	return 0
}
