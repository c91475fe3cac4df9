package scannertest

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/goldentest"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// CorpusGolden is the conformance test over the corpus folder
// scans/<folder> (corpustest.Dir: skipped when the corpus is absent, unless
// CI=true), whose path it returns for further checks: for every file of the
// folder, in a subtest named by the file, it parses the file with parse and
// compares a summary of the outcome with the golden file
// testdata/corpus/<folder>/<file>.golden of the package (goldentest;
// -update rewrites it). The summary is the error, with the sentinels it
// wraps, when the parse fails (a report that says its scan did not
// complete but lists findings is summarised with what it says, as an
// import takes its findings); otherwise the counts in all and per severity
// and the first and last findings in full, after checking that every
// finding is canonical (CheckInvariants). A corpus file without a golden
// file fails, so a file added to the corpus cannot go unchecked.
//
// The findings' descriptions and mitigations are the tools' prose: the
// summary keeps their length and digest, not the text, so that the corpus
// is not copied into the repository.
func CorpusGolden(t *testing.T, folder string, parse ParseFunc) string {
	t.Helper()
	dir := corpustest.Dir(t, "scans", folder)
	golden := filepath.Join("testdata", "corpus", folder)
	for _, name := range Files(t, dir) {
		t.Run(name, func(t *testing.T) {
			goldentest.Compare(t, filepath.Join(golden, name+".golden"), summarize(t, parse, filepath.Join(dir, name)))
		})
	}
	return dir
}

// ByExt returns a parser for a folder that holds two formats of a tool: a
// file whose name ends in ext goes to other, any other file to parse.
func ByExt(parse ParseFunc, ext string, other ParseFunc) ParseFunc {
	return func(r io.Reader, name string, emit func(findings.Finding) error) error {
		if strings.HasSuffix(name, ext) {
			return other(r, name, emit)
		}
		return parse(r, name, emit)
	}
}

// summary is what CorpusGolden records of a file.
type summary struct {
	Error string `json:"error,omitempty"`
	// Incomplete is what a report that says its scan did not complete,
	// but lists findings, says: an import takes them as a partial scan.
	Incomplete string         `json:"incomplete,omitempty"`
	ErrorIs    []string       `json:"error_is,omitempty"`
	Counts     *Counts        `json:"counts,omitempty"`
	First      *goldenFinding `json:"first,omitempty"`
	Last       *goldenFinding `json:"last,omitempty"`
}

// goldenFinding is a finding whose prose is replaced by its digest.
type goldenFinding struct {
	findings.Finding
	Description string `json:"description"`
	Mitigation  string `json:"mitigation"`
}

// sentinels are the errors a summary names when a parse error wraps them.
var sentinels = []struct {
	name string
	err  error
}{
	{"not a report", reportio.ErrNotReport},
	{"SBOM", reportio.ErrSBOM},
	{"unsafe XML", reportio.ErrUnsafeXML},
}

// summarize parses path with parse and returns the summary CorpusGolden
// compares, as indented JSON.
func summarize(t *testing.T, parse ParseFunc, path string) []byte {
	t.Helper()
	var s summary
	list, err := ParseFileErr(parse, path)
	if findings.TakenAsPartial(err, len(list)) {
		s.Incomplete, err = err.Error(), nil
	}
	if err != nil {
		s.Error = err.Error()
		for _, x := range sentinels {
			if errors.Is(err, x.err) {
				s.ErrorIs = append(s.ErrorIs, x.name)
			}
		}
	} else {
		CheckInvariants(t, list)
		c := CountsOf(list)
		s.Counts = &c
		if len(list) > 0 {
			s.First = digested(list[0])
		}
		if len(list) > 1 {
			s.Last = digested(list[len(list)-1])
		}
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func digested(f findings.Finding) *goldenFinding {
	return &goldenFinding{Finding: f, Description: digest(f.Description), Mitigation: digest(f.Mitigation)}
}

// digest stands for a text: its length and its SHA-256.
func digest(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("%d bytes, sha256 %x", len(s), sha256.Sum256([]byte(s)))
}

// Detects checks detect on each head of cases: true where it must be
// recognised, false where it must not.
func Detects(tb testing.TB, detect func(*reportio.Head) bool, cases map[string]bool) {
	tb.Helper()
	for in, want := range cases {
		if got := detect(reportio.NewHead([]byte(in))); got != want {
			tb.Errorf("Detect(%s) = %v, want %v", in, got, want)
		}
	}
}

// Reject is an input file a parser must refuse, and how.
type Reject struct {
	Parse    ParseFunc // nil: the parser given to Rejects
	File     string    // in testdata/
	Is       error     // a sentinel the error wraps; nil: any error
	Prefix   string    // the start of the message: the file name and the position
	Contains string    // a part of the message
}

// Rejects parses each file of cases and fails where the parse succeeds or
// its error is not the one stated.
func Rejects(tb testing.TB, parse ParseFunc, cases []Reject) {
	tb.Helper()
	for _, c := range cases {
		p := parse
		if c.Parse != nil {
			p = c.Parse
		}
		_, err := ParseFileErr(p, filepath.Join("testdata", c.File))
		if err == nil || (c.Is != nil && !errors.Is(err, c.Is)) || !strings.HasPrefix(err.Error(), c.Prefix) || !strings.Contains(err.Error(), c.Contains) {
			tb.Errorf("%s: error %v, want one wrapping %v, starting %q, containing %q", c.File, err, c.Is, c.Prefix, c.Contains)
		}
	}
}
