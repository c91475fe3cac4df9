// Package epss reads FIRST EPSS score files: the daily CSV, plain or
// gzip-compressed, with its "#model_version:…,score_date:…" comment line.
package epss

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/vuln"
)

// Read streams an EPSS CSV, calling fn for each CVE. The score date comes
// from the comment line; a file without one is rejected (scores without a
// date cannot be aged).
func Read(r io.Reader, name string, fn func(cve string, e vuln.EPSS) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return &vuln.ParseError{File: name, Err: fmt.Errorf("gzip: %w", err)}
		}
		defer gz.Close()
		br = bufio.NewReaderSize(vuln.BoundDecompressed(gz, name, 0), 64<<10)
	}
	first, err := br.ReadString('\n')
	if err != nil && err != io.EOF {
		return &vuln.ParseError{File: name, Field: "line 1", Err: err}
	}
	var model string
	var date time.Time
	if !strings.HasPrefix(first, "#") {
		return vuln.Errorf(name, "line 1", "missing #model_version/score_date comment")
	}
	for _, kv := range strings.Split(strings.TrimSpace(strings.TrimPrefix(first, "#")), ",") {
		k, v, _ := strings.Cut(kv, ":")
		switch strings.TrimSpace(k) {
		case "model_version":
			model = strings.TrimSpace(v)
		case "score_date":
			v = strings.TrimSpace(v)
			if t, ok := vuln.ParseTime(v, time.RFC3339, "2006-01-02T15:04:05-0700", "2006-01-02"); ok {
				date = t
			}
			if date.IsZero() {
				return vuln.Errorf(name, "line 1 score_date", "%q is not a timestamp", v)
			}
		}
	}
	if date.IsZero() {
		return vuln.Errorf(name, "line 1 score_date", "missing")
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = 3
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return &vuln.ParseError{File: name, Field: "line 2 header", Err: err}
	}
	if head[0] != "cve" || head[1] != "epss" || head[2] != "percentile" {
		return vuln.Errorf(name, "line 2 header", "got %q, want cve,epss,percentile", strings.Join(head, ","))
	}
	return vuln.ReadCSVRows(cr, name, 3, func(line int, row []string) error {
		if !strings.HasPrefix(row[0], "CVE-") {
			return vuln.Errorf(name, fmt.Sprintf("line %d cve", line), "%q is not a CVE id", row[0])
		}
		score, err := strconv.ParseFloat(row[1], 64)
		if err != nil || !(score >= 0 && score <= 1) { // false for NaN too
			return vuln.Errorf(name, fmt.Sprintf("line %d epss", line), "%q is not a probability", row[1])
		}
		pct, err := strconv.ParseFloat(row[2], 64)
		if err != nil || !(pct >= 0 && pct <= 1) {
			return vuln.Errorf(name, fmt.Sprintf("line %d percentile", line), "%q is not a percentile in [0,1]", row[2])
		}
		return fn(strings.Clone(row[0]), vuln.EPSS{Score: score, Percentile: pct, Date: date, Model: model})
	})
}
