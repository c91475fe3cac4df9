package scanners_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// cutOffsets are where the truncation suite cuts a file of n bytes: seven
// evenly spread offsets, and one, two and sixteen bytes before the end
// (the closing tag or brace, or the last field).
func cutOffsets(n int) []int {
	var out []int
	seen := map[int]bool{}
	for _, o := range []int{n / 8, n / 4, 3 * n / 8, n / 2, 5 * n / 8, 3 * n / 4, 7 * n / 8, n - 16, n - 2, n - 1} {
		if o > 0 && o < n && !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out
}

// cannotTell reports whether the cut data[:cut] may legitimately be read
// as a complete report: only trailing white space was cut, or (CSV, which
// allows a last record without a line break) the cut is at a record
// boundary or inside the last, unquoted field of a record, where a cut
// file and a complete one look the same.
func cannotTell(data []byte, cut int, csv bool) bool {
	if len(bytes.TrimSpace(data[cut:])) == 0 {
		return true
	}
	if !csv {
		// XML: a cut after the document element closed (in a trailing
		// comment) loses nothing.
		if root := reportio.RootName(data); root != "" {
			if i := bytes.LastIndex(data, []byte("</"+root)); i >= 0 {
				if j := bytes.IndexByte(data[i:], '>'); j >= 0 && cut > i+j {
					return true
				}
			}
		}
		return false
	}
	if len(bytes.Trim(data[cut:], ",; \t\r\n")) == 0 {
		return true // only empty records were cut
	}
	if cut > 0 && data[cut-1] == '\n' {
		return true
	}
	rest := data[cut:]
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		rest = rest[:i]
	}
	line := data[:cut]
	if i := bytes.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	_ = line
	// Inside (or at the start or end of) the last field of a record.
	return !bytes.ContainsAny(rest, ",;")
}

// TestTruncatedReportsRejected is the truncation suite of issue 12: every
// corpus scan report cut at several offsets is rejected, with an error
// naming the file and where it ends, both when the tool is given (a
// re-import) and when it is detected, unless the cut is one the format
// cannot tell from a complete file. A rejected report is never imported,
// so it closes nothing (internal/portfolio tests that through the store).
func TestTruncatedReportsRejected(t *testing.T) {
	cuts, rejected, boundary := 0, 0, 0
	for path, want := range reports(t) {
		data, full := readReport(t, path, want)
		isCSV := strings.HasSuffix(path, ".csv")
		offsets := cutOffsets(len(data))
		if len(data) > 256<<10 { // bounded time on a loaded machine
			offsets = []int{len(data) / 3, 2 * len(data) / 3, len(data) - 2}
		}
		for _, cut := range offsets {
			cuts++
			name := rel(path)
			// A cut one that says its scan did not complete is rejected
			// as truncated; read as a partial scan would import it.
			_, list, _, err := parseBytes(data[:cut], name, want)
			switch {
			case err != nil:
				rejected++
				if !strings.Contains(err.Error(), name) {
					t.Errorf("%s cut at %d: error does not name the file: %v", name, cut, err)
				}
				if strings.HasSuffix(err.Error(), ": EOF") {
					t.Errorf("%s cut at %d: error says only EOF: %v", name, cut, err)
				}
			case cannotTell(data, cut, isCSV):
				boundary++
				if len(list) > len(full) {
					t.Errorf("%s cut at %d: %d findings, more than the whole file's %d", name, cut, len(list), len(full))
				}
			default:
				t.Errorf("%s (%s) cut at %d of %d: accepted with %d of %d findings; a truncated report must be rejected", name, want, cut, len(data), len(list), len(full))
			}
		}
	}
	t.Logf("%d cuts: %d rejected, %d accepted at a boundary the format cannot tell", cuts, rejected, boundary)
}
