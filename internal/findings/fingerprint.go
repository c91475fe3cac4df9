package findings

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Fingerprint returns a stable identity for the issue a finding describes:
// the hex SHA-256 of a key chosen by the first rule whose evidence the
// finding carries. The key never contains volatile data (scan dates, the
// tool's own ids, descriptions, scores), so a re-scan of the same target
// gives the same fingerprint, and rules 1–3 deliberately omit the tool so
// that two tools reporting the same issue agree.
//
//  1. Dependency vulnerability — a vulnerability id and a component:
//     "vuln|<id>|<component name>|<component version>".
//  2. Host vulnerability — a vulnerability id and a network location:
//     "hostvuln|<id>|<host>|<port>".
//  3. Code weakness — a CWE and a source location:
//     "code|CWE-<n>|<file>|<line>".
//  4. Network rule — a rule id (the title when the tool has no rule ids)
//     and a network location: "net|<tool>|<rule>|<host>|<port>|<path>".
//  5. Code rule — a rule id (or title) and a source location:
//     "coderule|<tool>|<rule>|<file>|<line>".
//  6. Anything else: "other|<tool>|<rule>|<title>|<component>|<version>".
//
// Normalisation: ids are the lowest CVE when there is one, else the lowest
// id (ids are sorted by Normalize); the CWE is the lowest one; names, hosts
// and rules are lower-cased; files lose "file://", "./" and backslashes;
// host and port come from the first location that has a host, the path is
// used only when the finding has a single location (a web finding whose
// set of affected URLs changes between scans keeps its fingerprint).
func Fingerprint(f Finding) string {
	sum := sha256.Sum256([]byte(FingerprintKey(f)))
	return hex.EncodeToString(sum[:])
}

// FingerprintKey returns the readable key Fingerprint hashes; it explains
// why two findings were (or were not) merged.
func FingerprintKey(f Finding) string {
	id := primaryID(f.VulnerabilityIDs)
	comp := strings.ToLower(strings.TrimSpace(f.Component.Name))
	ver := strings.TrimSpace(f.Component.Version)
	rule := strings.ToLower(strings.TrimSpace(f.RuleID))
	tool := strings.ToLower(strings.TrimSpace(f.Tool))
	net, hasNet := firstNetwork(f.Locations)
	src, hasSrc := firstSource(f.Locations)
	netPath := ""
	if hasNet && len(f.Locations) == 1 {
		netPath = net.path
	}
	switch {
	case id != "" && comp != "":
		return join("vuln", id, comp, ver)
	case id != "" && hasNet:
		return join("hostvuln", id, net.host, strconv.Itoa(net.port))
	case len(f.CWEs) > 0 && hasSrc:
		return join("code", "CWE-"+strconv.Itoa(slices.Min(f.CWEs)), src.file, strconv.Itoa(src.line))
	}
	if rule == "" { // tools without rule ids: the title names the check
		rule = strings.ToLower(strings.TrimSpace(f.Title))
	}
	switch {
	case rule != "" && hasNet:
		return join("net", tool, rule, net.host, strconv.Itoa(net.port), netPath)
	case rule != "" && hasSrc:
		return join("coderule", tool, rule, src.file, strconv.Itoa(src.line))
	}
	return join("other", tool, rule, strings.ToLower(strings.TrimSpace(f.Title)), comp, ver)
}

func join(parts ...string) string { return strings.Join(parts, "|") }

func primaryID(ids []string) string {
	best := ""
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		up := strings.ToUpper(id)
		isCVE := strings.HasPrefix(up, "CVE-")
		switch {
		case best == "":
			best = up
		case isCVE && !strings.HasPrefix(best, "CVE-"):
			best = up
		case isCVE == strings.HasPrefix(best, "CVE-") && up < best:
			best = up
		}
	}
	return best
}

type netLoc struct {
	host string
	port int
	path string
}

type srcLoc struct {
	file string
	line int
}

func firstNetwork(locs []Location) (netLoc, bool) {
	for _, l := range locs {
		host, port, p := strings.ToLower(l.Host), l.Port, l.Path
		if l.URL != "" {
			if u, err := url.Parse(l.URL); err == nil && u.Host != "" {
				if host == "" {
					host = strings.ToLower(u.Hostname())
				}
				if port == 0 {
					port = urlPort(u)
				}
				if p == "" {
					p = u.EscapedPath()
				}
			}
		}
		if host != "" {
			if p == "" {
				p = "/"
			}
			return netLoc{host: host, port: port, path: p}, true
		}
	}
	return netLoc{}, false
}

func urlPort(u *url.URL) int {
	if p := u.Port(); p != "" {
		n, _ := strconv.Atoi(p)
		return n
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return 443
	case "http":
		return 80
	}
	return 0
}

func firstSource(locs []Location) (srcLoc, bool) {
	for _, l := range locs {
		if l.File != "" {
			return srcLoc{file: normalizeFile(l.File), line: l.Line}, true
		}
	}
	return srcLoc{}, false
}

func normalizeFile(f string) string {
	f = strings.TrimSpace(f)
	f = strings.TrimPrefix(f, "file://")
	f = strings.ReplaceAll(f, "\\", "/")
	f = path.Clean(f)
	f = strings.TrimPrefix(f, "./")
	return f
}
