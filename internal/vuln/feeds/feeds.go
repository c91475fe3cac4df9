// Package feeds identifies a vulnerability feed file by its content and
// hands it to the matching reader (osv, nvd, cve5, kev, euvd, csaf, epss). It is the one
// place that knows every format; the readers know only their own.
package feeds

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rampart-security/rampart/internal/vuln"
	"github.com/rampart-security/rampart/internal/vuln/feeds/csaf"
	"github.com/rampart-security/rampart/internal/vuln/feeds/cve5"
	"github.com/rampart-security/rampart/internal/vuln/feeds/epss"
	"github.com/rampart-security/rampart/internal/vuln/feeds/euvd"
	"github.com/rampart-security/rampart/internal/vuln/feeds/kev"
	"github.com/rampart-security/rampart/internal/vuln/feeds/nvd"
	"github.com/rampart-security/rampart/internal/vuln/feeds/osv"
)

// Format is a feed format.
type Format string

// Formats Detect can return.
const (
	FormatUnknown Format = ""
	FormatOSV     Format = "osv"
	FormatNVD     Format = "nvd"   // NVD CVE API 2.0 record or response page
	FormatNVD11   Format = "nvd11" // legacy NVD 1.1 JSON feed
	FormatCVE5    Format = "cve5"  // CVE JSON 5.x record
	FormatKEV     Format = "kev"
	FormatEPSS    Format = "epss"
	FormatEUVD    Format = "euvd" // EU Vulnerability Database exploited list
	FormatCSAF    Format = "csaf" // CSAF 2.0/2.1 advisory (its exploitation status)
)

// ErrUnknownFormat is returned for a file no reader recognises.
var ErrUnknownFormat = errors.New("unknown feed format")

// ErrNotFeed is returned for a file that is recognisably something else
// (a JSON Schema shipped beside the records, say).
var ErrNotFeed = errors.New("not a vulnerability feed")

// Detect identifies the format from a file name and its first bytes.
func Detect(name string, head []byte) Format {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".yaml"), strings.HasSuffix(lower, ".yml"):
		return FormatOSV
	case strings.HasSuffix(lower, ".csv"), strings.HasSuffix(lower, ".csv.gz"):
		if bytes.Contains(head, []byte("cveID,")) || bytes.Contains(head, []byte("vendorProject")) {
			return FormatKEV
		}
		return FormatEPSS
	}
	h := head
	switch {
	case bytes.Contains(h, []byte(`"CVE_Items"`)) || bytes.Contains(h, []byte(`"CVE_data_type"`)):
		return FormatNVD11
	case bytes.Contains(h, []byte(`"cveMetadata"`)) || bytes.Contains(h, []byte(`"CVE_RECORD"`)):
		return FormatCVE5
	case bytes.Contains(h, []byte(`"catalogVersion"`)):
		return FormatKEV
	case bytes.Contains(h, []byte(`"NVD_CVE"`)) || bytes.Contains(h, []byte(`"resultsPerPage"`)) ||
		bytes.Contains(h, []byte(`"sourceIdentifier"`)) || bytes.Contains(h, []byte(`"vulnStatus"`)):
		return FormatNVD
	case csaf.IsCSAF(h):
		return FormatCSAF
	case bytes.Contains(h, []byte(`"exploitedSince"`)) || bytes.Contains(h, []byte(`"enisaUuid"`)):
		return FormatEUVD
	case bytes.Contains(h, []byte(`"id"`)):
		return FormatOSV
	}
	return FormatUnknown
}

// jsonSchema reports whether head starts a JSON Schema document (which
// has "$schema" and property definitions, and may have an "id").
func jsonSchema(head []byte) bool {
	h := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(h) == 0 || h[0] != '{' || !bytes.Contains(h, []byte(`"$schema"`)) {
		return false
	}
	return bytes.Contains(h, []byte(`"properties"`)) || bytes.Contains(h, []byte(`"definitions"`)) || bytes.Contains(h, []byte(`"$defs"`))
}

// Data is what a set of feed files holds: advisories, and enrichment keyed
// by CVE id.
type Data struct {
	Advisories []vuln.Advisory
	EPSS       map[string]vuln.EPSS
	KEV        map[string]vuln.KEV
	// Exploited holds the other reports of exploitation (EUVD, CSAF) by CVE.
	Exploited map[string][]vuln.Exploitation
	// Files counts the files read per format.
	Files map[Format]int
	// Skipped lists files of a folder that are not feeds ("path: why"); a
	// file given by name is never skipped but refused.
	Skipped []string
}

func (d *Data) addExploited(cve string, x vuln.Exploitation) error {
	if d.Exploited == nil {
		d.Exploited = map[string][]vuln.Exploitation{}
	}
	for _, e := range d.Exploited[cve] {
		if e.Source == x.Source && e.Reference == x.Reference {
			return nil
		}
	}
	d.Exploited[cve] = append(d.Exploited[cve], x)
	return nil
}

// Reader reads one feed file of a format, calling the callbacks for what it
// holds.
type sink struct {
	data *Data
}

func (s sink) advisory(a *vuln.Advisory) error {
	s.data.Advisories = append(s.data.Advisories, *a)
	return nil
}

// parsed adds the advisory of a one-record file, unless parsing it failed.
func (s sink) parsed(a *vuln.Advisory, err error) error {
	if err != nil {
		return err
	}
	return s.advisory(a)
}

// Load reads every path (file, folder tree or zip of OSV records) and
// returns the advisories merged by alias (vuln.Merge) and enriched with
// EPSS and KEV. It stops at the first broken file; the error names it.
func Load(ctx context.Context, paths ...string) (*Data, error) {
	d := &Data{EPSS: map[string]vuln.EPSS{}, KEV: map[string]vuln.KEV{}, Exploited: map[string][]vuln.Exploitation{}, Files: map[Format]int{}}
	for _, p := range paths {
		if err := loadPath(ctx, d, p); err != nil {
			return nil, err
		}
	}
	d.Advisories = vuln.Merge(d.Advisories)
	vuln.Enrich(d.Advisories, d.EPSS, d.KEV)
	vuln.EnrichExploited(d.Advisories, d.Exploited)
	return d, nil
}

func loadPath(ctx context.Context, d *Data, p string) error {
	return vuln.WalkFiles(ctx, p, "vulnerability data", func(fp string, inFolder bool) error {
		if !inFolder {
			return loadFile(ctx, d, fp)
		}
		lower := strings.ToLower(fp)
		for _, ext := range []string{".json", ".yaml", ".yml", ".zip", ".csv", ".csv.gz", ".json.gz"} {
			if strings.HasSuffix(lower, ext) {
				err := loadFile(ctx, d, fp)
				if errors.Is(err, ErrNotFeed) || errors.Is(err, ErrUnknownFormat) {
					d.Skipped = append(d.Skipped, fp+": "+err.Error())
					return nil
				}
				return err
			}
		}
		return nil
	})
}

func loadFile(ctx context.Context, d *Data, p string) error {
	if strings.EqualFold(filepath.Ext(p), ".zip") {
		zr, err := zip.OpenReader(p)
		if err != nil {
			return &vuln.ParseError{File: p, Err: fmt.Errorf("zip: %w", err)}
		}
		defer zr.Close()
		n := 0
		err = osv.ReadZip(ctx, &zr.Reader, p, func(a *vuln.Advisory) error { n++; return sink{d}.advisory(a) })
		d.Files[FormatOSV] += n
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("vulnerability data: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	name := p
	if strings.HasSuffix(strings.ToLower(p), ".gz") && !strings.HasSuffix(strings.ToLower(p), ".csv.gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return &vuln.ParseError{File: p, Err: fmt.Errorf("gzip: %w", err)}
		}
		defer gz.Close()
		var size int64
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		r = vuln.BoundDecompressed(gz, p, size)
		name = strings.TrimSuffix(strings.TrimSuffix(p, ".gz"), ".GZ")
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(64 << 10)
	if jsonSchema(head) {
		return &vuln.ParseError{File: p, Err: fmt.Errorf("%w: a JSON Schema", ErrNotFeed)}
	}
	format := Detect(name, head)
	if format == FormatUnknown {
		return &vuln.ParseError{File: p, Err: ErrUnknownFormat}
	}
	if err := Read(ctx, format, br, name, d); err != nil {
		return err
	}
	d.Files[format]++
	return nil
}

// Read reads one file of a known format into d.
func Read(ctx context.Context, format Format, r io.Reader, name string, d *Data) error {
	s := sink{d}
	switch format {
	case FormatOSV:
		return s.parsed(osv.ParseFile(r, name))
	case FormatNVD:
		return nvd.Read(r, name, s.advisory)
	case FormatNVD11:
		return nvd.Read11(r, name, s.advisory)
	case FormatCVE5:
		return s.parsed(cve5.Parse(r, name))
	case FormatKEV:
		add := func(id string, k vuln.KEV) error { d.KEV[id] = k; return nil }
		if strings.HasSuffix(strings.ToLower(strings.TrimSuffix(name, ".gz")), ".csv") {
			return kev.ReadCSV(r, name, add)
		}
		return kev.Read(r, name, add)
	case FormatEUVD:
		return euvd.Read(r, name, d.addExploited)
	case FormatCSAF:
		return csaf.Read(r, name, d.addExploited)
	case FormatEPSS:
		return epss.Read(r, name, func(id string, e vuln.EPSS) error { d.EPSS[id] = e; return nil })
	}
	return &vuln.ParseError{File: name, Err: ErrUnknownFormat}
}
