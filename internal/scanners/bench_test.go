package scanners_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"runtime"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners"
	"github.com/rampart-security/rampart/internal/scanners/reportgen"
)

const benchFindings = 100000

func report(b *testing.B, gen func(io.Writer, int) error) []byte {
	b.Helper()
	var buf bytes.Buffer
	if err := gen(&buf, benchFindings); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// baseline is report for a baseline benchmark: it also sets the bytes one
// operation reads and reports allocations, as parse does.
func baseline(b *testing.B, gen func(io.Writer, int) error) []byte {
	b.Helper()
	data := report(b, gen)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	return data
}

func parse(b *testing.B, data []byte, tool string) { parseN(b, data, tool, benchFindings) }

// parseN parses data, which must give want findings. Before the timed
// loop it reports held-MB: the live heap when the first finding is emitted
// over the live heap before the parse, what a parser that waits for the
// end of a report (GitLab's "scan" after "vulnerabilities", a glossary
// after the results) holds; ~0 for one that streams.
func parseN(b *testing.B, data []byte, tool string, want int) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before, held := ms.HeapAlloc, uint64(0)
	first := true
	if _, err := scanners.Stream(bytes.NewReader(data), "bench", tool, func(findings.Finding) error {
		if first {
			first = false
			runtime.GC()
			runtime.ReadMemStats(&ms)
			held = ms.HeapAlloc - min(ms.HeapAlloc, before)
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if _, err := scanners.Stream(bytes.NewReader(data), "bench", tool, func(findings.Finding) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != want {
			b.Fatalf("%d findings, want %d", n, want)
		}
	}
	b.ReportMetric(float64(held)/(1<<20), "held-MB")
}

// BenchmarkSARIF parses 100,000 results with detection, normalisation and
// fingerprints.
func BenchmarkSARIF(b *testing.B) { parse(b, report(b, reportgen.SARIF), "") }

// BenchmarkSARIFBareJSON is the baseline: encoding/json decoding the same
// file into typed structs holding the fields the parser reads.
func BenchmarkSARIFBareJSON(b *testing.B) {
	data := baseline(b, reportgen.SARIF)
	type text struct {
		Text string `json:"text"`
	}
	var doc struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID                   string         `json:"id"`
						Name                 string         `json:"name"`
						ShortDescription     text           `json:"shortDescription"`
						FullDescription      text           `json:"fullDescription"`
						Help                 text           `json:"help"`
						HelpURI              string         `json:"helpUri"`
						Properties           map[string]any `json:"properties"`
						DefaultConfiguration struct {
							Level string `json:"level"`
						} `json:"defaultConfiguration"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   text   `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
			} `json:"results"`
		} `json:"runs"`
	}
	for b.Loop() {
		if err := json.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
			b.Fatal(err)
		}
		if len(doc.Runs[0].Results) != benchFindings {
			b.Fatal("short")
		}
	}
}

// BenchmarkNessus parses 100,000 ReportItems.
func BenchmarkNessus(b *testing.B) { parse(b, report(b, reportgen.Nessus), "") }

// BenchmarkNessusBareXML is the baseline: encoding/xml decoding the same
// file into typed structs holding the fields the parser reads.
func BenchmarkNessusBareXML(b *testing.B) {
	data := baseline(b, reportgen.Nessus)
	type item struct {
		Port        string   `xml:"port,attr"`
		Protocol    string   `xml:"protocol,attr"`
		Severity    string   `xml:"severity,attr"`
		PluginID    string   `xml:"pluginID,attr"`
		PluginName  string   `xml:"pluginName,attr"`
		Synopsis    string   `xml:"synopsis"`
		Description string   `xml:"description"`
		Solution    string   `xml:"solution"`
		Output      string   `xml:"plugin_output"`
		CVE         []string `xml:"cve"`
		SeeAlso     []string `xml:"see_also"`
		CVSS3Score  string   `xml:"cvss3_base_score"`
		CVSS3Vector string   `xml:"cvss3_vector"`
	}
	var doc struct {
		Report struct {
			Hosts []struct {
				Name  string `xml:"name,attr"`
				Props []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:",chardata"`
				} `xml:"HostProperties>tag"`
				Items []item `xml:"ReportItem"`
			} `xml:"ReportHost"`
		} `xml:"Report"`
	}
	for b.Loop() {
		if err := xml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGitLabDependencyScanning parses a GitLab dependency scanning
// report of 100,000 vulnerabilities whose "scan" comes last, so every
// finding is held until the end (held-MB).
func BenchmarkGitLabDependencyScanning(b *testing.B) {
	parseN(b, report(b, reportgen.GitLabDependencyScanning), "", benchFindings)
}

// BenchmarkGitLabSAST parses a GitLab SAST report of 100,000
// vulnerabilities, "scan" last.
func BenchmarkGitLabSAST(b *testing.B) {
	parseN(b, report(b, reportgen.GitLabSAST), "", benchFindings)
}

// BenchmarkQualysWAS parses a Qualys WAS scan report of 100,000
// detections, each its own finding, held until the glossary.
func BenchmarkQualysWAS(b *testing.B) {
	parseN(b, report(b, reportgen.QualysWAS), "", benchFindings)
}

// BenchmarkZAPBefore27 parses a ZAP XML report as ZAP before 2.7 wrote it:
// 100,000 alertitems, one per URL, merged into one finding per alert and
// site (5,000 findings of 20 URLs).
func BenchmarkZAPBefore27(b *testing.B) {
	parseN(b, report(b, reportgen.ZAPBefore27), "", benchFindings/reportgen.ZAPBefore27AlertsPerFinding)
}

// BenchmarkDetectHead detects the format of a full 4 MiB head (a SARIF log
// whose runs come first and version last): the tokenizer runs once and
// every rule reads its keys.
func BenchmarkDetectHead(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"runs":[{"results":[`)
	for i := 0; buf.Len() < scanners.HeadSize+1024; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"ruleId":"G101","level":"warning","message":{"text":"Potential hardcoded credentials"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"main.go"},"region":{"startLine":12}}}]}`)
	}
	head := buf.Bytes()[:scanners.HeadSize]
	b.SetBytes(int64(len(head)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := scanners.Detect(head)
		if err != nil || f.Name != "sarif" {
			b.Fatal(f.Name, err)
		}
	}
}
