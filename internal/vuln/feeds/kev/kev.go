// Package kev reads the CISA Known Exploited Vulnerabilities catalog, as
// JSON (known_exploited_vulnerabilities.json, streamed entry by entry) or CSV.
package kev

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/vuln"
)

type entry struct {
	CVEID          string `json:"cveID"`
	VendorProject  string `json:"vendorProject"`
	Product        string `json:"product"`
	Name           string `json:"vulnerabilityName"`
	DateAdded      string `json:"dateAdded"`
	RequiredAction string `json:"requiredAction"`
	DueDate        string `json:"dueDate"`
	Ransomware     string `json:"knownRansomwareCampaignUse"`
	// CWEs is a JSON array in the catalog's JSON form; the CSV form has
	// one column of comma-separated ids ("CWE-59, CWE-436").
	CWEs []string `json:"cwes"`
}

func parseDate(name, field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, vuln.Errorf(name, field, "%q is not a YYYY-MM-DD date", s)
	}
	return t, nil
}

func (e *entry) convert(name, field string) (string, vuln.KEV, error) {
	if !strings.HasPrefix(e.CVEID, "CVE-") {
		return "", vuln.KEV{}, vuln.Errorf(name, field+".cveID", "%q is not a CVE id", e.CVEID)
	}
	k := vuln.KEV{VendorProject: e.VendorProject, Product: e.Product, Name: e.Name, RequiredAction: e.RequiredAction, RansomwareUse: e.Ransomware}
	var cwes []string
	for i, c := range e.CWEs {
		c = strings.TrimSpace(c)
		if c != "" && !strings.HasPrefix(c, "CWE-") && !strings.HasPrefix(c, "NVD-CWE-") {
			return "", k, vuln.Errorf(name, fmt.Sprintf("%s.cwes[%d]", field, i), "%q is not a CWE id", c)
		}
		if strings.HasPrefix(c, "CWE-") {
			cwes = append(cwes, strings.Clone(c))
		}
	}
	k.CWEs = vuln.AppendDistinct(nil, cwes...)
	var err error
	if k.DateAdded, err = parseDate(name, field+".dateAdded", e.DateAdded); err != nil {
		return "", k, err
	}
	if k.DateAdded.IsZero() {
		return "", k, vuln.Errorf(name, field+".dateAdded", "missing")
	}
	if k.DueDate, err = parseDate(name, field+".dueDate", e.DueDate); err != nil {
		return "", k, err
	}
	return e.CVEID, k, nil
}

// Read streams the catalog's JSON form, calling fn for each entry.
func Read(r io.Reader, name string, fn func(cve string, k vuln.KEV) error) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return vuln.Errorf(name, "", "not a JSON object: %v", err)
	}
	return vuln.ReadObjectArray(dec, name, "vulnerabilities", "missing: not a KEV catalog", func() error {
		return vuln.DecodeArray(dec, name, "vulnerabilities", func(field string, e *entry) error {
			id, k, err := e.convert(name, field)
			if err != nil {
				return err
			}
			return fn(id, k)
		})
	})
}

// ReadCSV reads the catalog's CSV form (same columns as the JSON fields).
func ReadCSV(r io.Reader, name string, fn func(cve string, k vuln.KEV) error) error {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return &vuln.ParseError{File: name, Field: "header", Err: err}
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")] = i
	}
	for _, need := range []string{"cveID", "dateAdded"} {
		if _, ok := col[need]; !ok {
			return vuln.Errorf(name, "header", "column %q missing", need)
		}
	}
	get := func(row []string, c string) string {
		if i, ok := col[c]; ok && i < len(row) {
			return row[i]
		}
		return ""
	}
	return vuln.ReadCSVRows(cr, name, 2, func(line int, row []string) error {
		e := entry{CVEID: get(row, "cveID"), VendorProject: get(row, "vendorProject"), Product: get(row, "product"), Name: get(row, "vulnerabilityName"),
			DateAdded: get(row, "dateAdded"), RequiredAction: get(row, "requiredAction"), DueDate: get(row, "dueDate"), Ransomware: get(row, "knownRansomwareCampaignUse"),
			CWEs: strings.Split(get(row, "cwes"), ",")}
		id, k, err := e.convert(name, fmt.Sprintf("line %d", line))
		if err != nil {
			return err
		}
		return fn(id, k)
	})
}
