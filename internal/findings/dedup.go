package findings

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// DedupFields are the fields a product may choose to define "the same
// issue" for cross-tool de-duplication, instead of the fingerprint rules.
var DedupFields = []string{"vulnerability", "component", "version", "cwe", "file", "line", "host", "port", "path", "rule", "title", "tool"}

// ValidDedupFields checks a product's duplicate definition: known fields,
// no repeats. An empty list means the fingerprint rules.
func ValidDedupFields(fields []string) error {
	seen := map[string]bool{}
	for _, f := range fields {
		if !slices.Contains(DedupFields, f) {
			return fmt.Errorf("duplicate field %q: must be one of %s", f, strings.Join(DedupFields, ", "))
		}
		if seen[f] {
			return fmt.Errorf("duplicate field %q listed twice", f)
		}
		seen[f] = true
	}
	return nil
}

// DedupKey is the key two findings of one release must share to be
// duplicates: the fingerprint when fields is empty, else the SHA-256 of the
// chosen fields (normalised like the fingerprint: lower-cased names, the
// lowest CVE, the lowest CWE, the first source or network location).
func DedupKey(f Finding, fields []string) string {
	if len(fields) == 0 {
		if f.Fingerprint != "" {
			return f.Fingerprint
		}
		return Fingerprint(f)
	}
	net, _ := firstNetwork(f.Locations)
	src, _ := firstSource(f.Locations)
	parts := make([]string, 0, len(fields))
	for _, name := range fields {
		var v string
		switch name {
		case "vulnerability":
			v = primaryID(f.VulnerabilityIDs)
		case "component":
			v = strings.ToLower(strings.TrimSpace(f.Component.Name))
		case "version":
			v = strings.TrimSpace(f.Component.Version)
		case "cwe":
			if len(f.CWEs) > 0 {
				v = strconv.Itoa(slices.Min(f.CWEs))
			}
		case "file":
			v = src.file
		case "line":
			v = strconv.Itoa(src.line)
		case "host":
			v = net.host
		case "port":
			v = strconv.Itoa(net.port)
		case "path":
			v = net.path
		case "rule":
			v = strings.ToLower(strings.TrimSpace(f.RuleID))
		case "title":
			v = strings.ToLower(strings.TrimSpace(f.Title))
		case "tool":
			v = strings.ToLower(strings.TrimSpace(f.Tool))
		}
		parts = append(parts, name+"="+v)
	}
	sum := sha256.Sum256([]byte("dedup|" + strings.Join(parts, "|")))
	return hex.EncodeToString(sum[:])
}
