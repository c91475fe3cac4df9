package threatmodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// IDAllocator turns identifiers from other tools (titles, UUIDs, numbers)
// into valid, unique Rampart ids. Importers use one per model so that the
// same input always yields the same ids.
type IDAllocator struct {
	used map[string]bool
}

// NewIDAllocator returns an empty allocator.
func NewIDAllocator() *IDAllocator { return &IDAllocator{used: map[string]bool{}} }

// Reserve marks id as used.
func (a *IDAllocator) Reserve(id string) { a.used[id] = true }

// Make returns a valid id derived from raw (fallback when raw is empty),
// suffixed with -2, -3 … when already taken.
func (a *IDAllocator) Make(raw, fallback string) string {
	base := SanitizeID(raw)
	if base == "" {
		base = SanitizeID(fallback)
	}
	if base == "" {
		base = "id"
	}
	id := base
	for n := 2; a.used[id]; n++ {
		id = fmt.Sprintf("%s-%d", base, n)
	}
	a.used[id] = true
	return id
}

// Slug is a readable id made from a name: lower case, words joined by "-"
// ("Cloud\nAPI" → "cloud-api").
func Slug(name string) string {
	return SanitizeID(strings.Join(strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !(r < 128 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'))
	}), "-"))
}

// SanitizeID maps s to the id alphabet: letters, digits and . _ : / -,
// starting with a letter or digit, at most 100 characters.
func SanitizeID(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.TrimSpace(s) {
		ok := r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:/-", r))
		if !ok {
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
			continue
		}
		if b.Len() == 0 && !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			continue
		}
		b.WriteRune(r)
		dash = r == '-'
		if b.Len() >= 100 {
			break
		}
	}
	return strings.TrimRight(b.String(), "-._:/")
}

// NormalizeSTRIDE maps the spellings other tools use ("Information
// disclosure", "information-disclosure", "DoS", …) to a Rampart STRIDE
// category, or "" when s names none.
func NormalizeSTRIDE(s string) string {
	k := strings.ToLower(strings.TrimSpace(s))
	k = strings.NewReplacer("-", " ", "_", " ").Replace(k)
	switch {
	case k == "s" || strings.HasPrefix(k, "spoof"):
		return "spoofing"
	case k == "t" || strings.HasPrefix(k, "tamper"):
		return "tampering"
	case k == "r" || strings.HasPrefix(k, "repudiation"):
		return "repudiation"
	case k == "i" || strings.HasPrefix(k, "information disclosure") || k == "disclosure":
		return "information_disclosure"
	case k == "d" || k == "dos" || strings.HasPrefix(k, "denial of service"):
		return "denial_of_service"
	case k == "e" || strings.HasPrefix(k, "elevation of privilege") || strings.HasPrefix(k, "elevation"):
		return "elevation_of_privilege"
	}
	return ""
}

// NormalizeSeverity maps other tools' severities (High, elevated, 4, …).
func NormalizeSeverity(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical", "very-high", "very high":
		return "critical"
	case "high", "elevated":
		return "high"
	case "medium", "moderate", "":
		return "medium"
	case "low", "very low", "very-low":
		return "low"
	case "info", "informational", "none", "tbd":
		return "info"
	}
	return "medium"
}

// OffsetPosition converts a byte offset in data to a 1-based line and column.
func OffsetPosition(data []byte, offset int64) (line, col int) {
	if offset < 0 {
		offset = 0
	}
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line, col = 1, 1
	for _, c := range data[:offset] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// JSONErrorAt prefixes an encoding/json decoding error with name:line:col
// when the error carries an offset (syntax and type errors).
func JSONErrorAt(name string, data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		return name + ": " + err.Error()
	}
	l, c := OffsetPosition(data, off)
	return fmt.Sprintf("%s:%d:%d: %v", name, l, c, err)
}
