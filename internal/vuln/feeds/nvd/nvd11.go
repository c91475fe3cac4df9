package nvd

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/rampart-security/rampart/internal/vuln"
)

type item11 struct {
	CVE struct {
		Meta struct {
			ID string `json:"ID"`
		} `json:"CVE_data_meta"`
		ProblemType struct {
			Data []struct {
				Description []langString `json:"description"`
			} `json:"problemtype_data"`
		} `json:"problemtype"`
		References struct {
			Data []reference `json:"reference_data"`
		} `json:"references"`
		Description struct {
			Data []langString `json:"description_data"`
		} `json:"description"`
	} `json:"cve"`
	Configurations struct {
		Nodes []node11 `json:"nodes"`
	} `json:"configurations"`
	Impact struct {
		V3 *struct {
			CVSS struct {
				VectorString string `json:"vectorString"`
			} `json:"cvssV3"`
		} `json:"baseMetricV3"`
		V2 *struct {
			CVSS struct {
				VectorString string `json:"vectorString"`
			} `json:"cvssV2"`
		} `json:"baseMetricV2"`
	} `json:"impact"`
	PublishedDate    string `json:"publishedDate"`
	LastModifiedDate string `json:"lastModifiedDate"`
}

type node11 struct {
	Operator string    `json:"operator"`
	Negate   bool      `json:"negate"`
	Children []node11  `json:"children"`
	CPEMatch []match11 `json:"cpe_match"`
}

// match11 is a 1.1 cpe_match: the API 2.0 cpeMatch with the CPE in cpe23Uri.
type match11 struct {
	Vulnerable            bool   `json:"vulnerable"`
	Criteria              string `json:"cpe23Uri"`
	VersionStartIncluding string `json:"versionStartIncluding"`
	VersionStartExcluding string `json:"versionStartExcluding"`
	VersionEndIncluding   string `json:"versionEndIncluding"`
	VersionEndExcluding   string `json:"versionEndExcluding"`
}

// maxNodeDepth bounds configuration nesting in hostile input.
const maxNodeDepth = 16

// Read11 streams a legacy NVD 1.1 JSON feed (nvdcve-1.1-*.json), calling fn
// for each item of CVE_Items.
func Read11(r io.Reader, name string, fn func(*vuln.Advisory) error) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	seen, err := readObject(dec, name, "CVE_Items", nil, func(field string, it *item11) error {
		a, err := convert11(it, name, field)
		if err != nil {
			return err
		}
		return fn(a)
	})
	if err != nil {
		return err
	}
	if !seen {
		return vuln.Errorf(name, "CVE_Items", "missing: not an NVD 1.1 feed")
	}
	return nil
}

func convert11(it *item11, name, field string) (*vuln.Advisory, error) {
	id := it.CVE.Meta.ID
	if !strings.HasPrefix(id, "CVE-") {
		return nil, vuln.Errorf(name, field+".cve.CVE_data_meta.ID", "%q is not a CVE id", id)
	}
	a := &vuln.Advisory{ID: id, Sources: []vuln.Source{vuln.SourceNVD}}
	var err error
	if a.Published, err = ParseTime(it.PublishedDate); err != nil {
		return nil, &vuln.ParseError{File: name, Field: field + ".publishedDate", Err: err}
	}
	if a.Modified, err = ParseTime(it.LastModifiedDate); err != nil {
		return nil, &vuln.ParseError{File: name, Field: field + ".lastModifiedDate", Err: err}
	}
	a.Details = english(it.CVE.Description.Data)
	if strings.HasPrefix(a.Details, "** REJECT **") {
		a.Withdrawn = a.Modified
	}
	for _, p := range it.CVE.ProblemType.Data {
		a.CWEs = addCWEs(a.CWEs, p.Description)
	}
	if v := it.Impact.V3; v != nil && v.CVSS.VectorString != "" {
		c, err := vuln.ParseCVSS(v.CVSS.VectorString, "nvd@nist.gov")
		if err != nil {
			return nil, &vuln.ParseError{File: name, Field: field + ".impact.baseMetricV3.cvssV3.vectorString", Err: err}
		}
		a.Severity = append(a.Severity, c)
	}
	if v := it.Impact.V2; v != nil && v.CVSS.VectorString != "" {
		c, err := vuln.ParseCVSS(v.CVSS.VectorString, "nvd@nist.gov")
		if err != nil {
			return nil, &vuln.ParseError{File: name, Field: field + ".impact.baseMetricV2.cvssV2.vectorString", Err: err}
		}
		a.Severity = append(a.Severity, c)
	}
	for i, n := range it.Configurations.Nodes {
		nf := fmt.Sprintf("%s.configurations.nodes[%d]", field, i)
		vn, err := node11ToNode(n, name, nf, 0)
		if err != nil {
			return nil, err
		}
		// A 1.1 top-level node with children is an NVD 2.0 configuration
		// whose nodes are the children; a leaf node is a one-node one.
		if len(vn.Children) > 0 && len(vn.Matches) == 0 {
			a.Configurations = append(a.Configurations, vuln.Configuration{Operator: vn.Operator, Negate: vn.Negate, Nodes: vn.Children, Source: vuln.SourceNVD})
		} else {
			a.Configurations = append(a.Configurations, vuln.Configuration{Nodes: []vuln.Node{vn}, Source: vuln.SourceNVD})
		}
	}
	a.References = references(it.CVE.References.Data)
	return a, nil
}

func node11ToNode(n node11, name, field string, depth int) (vuln.Node, error) {
	if depth > maxNodeDepth {
		return vuln.Node{}, vuln.Errorf(name, field, "configuration nested deeper than %d", maxNodeDepth)
	}
	out := vuln.Node{Operator: n.Operator, Negate: n.Negate}
	for i, m := range n.CPEMatch {
		vm, err := cpeMatch(m).canonical(name, fmt.Sprintf("%s.cpe_match[%d].cpe23Uri", field, i))
		if err != nil {
			return out, err
		}
		out.Matches = append(out.Matches, vm)
	}
	for i, c := range n.Children {
		cn, err := node11ToNode(c, name, fmt.Sprintf("%s.children[%d]", field, i), depth+1)
		if err != nil {
			return out, err
		}
		out.Children = append(out.Children, cn)
	}
	return out, nil
}
