package reportio

import (
	"io"

	"github.com/rampart-security/rampart/internal/findings"
)

// Format is one supported report format: what the registry needs to name,
// recognise and parse it. Each format package exports its Format values
// (burp.Format, nessus.FormatCSV, …) and the scanners registry lists them.
type Format struct {
	Name        string   // registry name, used by --tool
	Aliases     []string // other names accepted by --tool
	Description string   // what produces it
	DetectRule  string   // the detection rule, in words
	// Detect reports whether the head (the first bytes of a file, see
	// scanners.HeadSize) is this format.
	Detect func(h *Head) bool
	// Parse streams the report's findings to emit; name is used in errors.
	Parse func(r io.Reader, name string, emit func(findings.Finding) error) error
}
