package findings

import (
	"regexp"
	"strconv"
)

var (
	cveRE  = regexp.MustCompile(`(?i)\bCVE-\d{4}-\d{4,}\b`)
	ghsaRE = regexp.MustCompile(`(?i)\bGHSA(?:-[23456789cfghjmpqrvwx]{4}){3}\b`)
	cweRE  = regexp.MustCompile(`(?i)\bCWE[-_/ :]*0*(\d{1,5})\b`)
)

// VulnIDsIn returns the CVE and GHSA ids mentioned in s, in order of
// appearance (Normalize sorts and de-duplicates them).
func VulnIDsIn(s string) []string {
	if !containsFold(s, "CVE-") && !containsFold(s, "GHSA-") {
		return nil
	}
	out := cveRE.FindAllString(s, -1)
	return append(out, ghsaRE.FindAllString(s, -1)...)
}

// CWEsIn returns the CWE numbers written in s as "CWE-79", "cwe:79",
// "external/cwe/cwe-079" and the like.
func CWEsIn(s string) []int {
	if !containsFold(s, "CWE") {
		return nil
	}
	var out []int
	for _, m := range cweRE.FindAllStringSubmatch(s, -1) {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// ParseCWE reads a CWE given as "79", "CWE-79" or "CWE-79: title"; ok is
// false when s holds none.
func ParseCWE(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return n, true
	}
	if c := CWEsIn(s); len(c) > 0 {
		return c[0], true
	}
	return 0, false
}

// containsFold reports whether s contains the ASCII upper-case word sub in
// any case, without allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := s[i+j]
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}
