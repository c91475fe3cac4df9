package policy

import (
	"bytes"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/sbom"
	"github.com/rampart-security/rampart/internal/sbom/sbomgen"
	"github.com/rampart-security/rampart/internal/scanners"
	"github.com/rampart-security/rampart/internal/scanners/reportgen"
)

func benchFiles(b *testing.B) (bom, report []byte) {
	b.Helper()
	var sb, rb bytes.Buffer
	if err := sbomgen.Write(&sb, 10000); err != nil {
		b.Fatal(err)
	}
	if err := reportgen.SARIF(&rb, 100000); err != nil {
		b.Fatal(err)
	}
	return sb.Bytes(), rb.Bytes()
}

func benchInput(b *testing.B, bom, report []byte) *Input {
	b.Helper()
	doc, err := sbom.DecodeBytes(bom, "bom.json")
	if err != nil {
		b.Fatal(err)
	}
	in := &Input{Components: FromComponents(doc.Components, nil)}
	_, err = scanners.Stream(bytes.NewReader(report), "report.sarif", "", func(f findings.Finding) error {
		in.Findings = append(in.Findings, FromFinding(&f, "sarif"))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return in
}

// BenchmarkEvaluate judges 10k components and 100k findings with the
// default policy and a baseline holding half the findings.
func BenchmarkEvaluate(b *testing.B) {
	bom, report := benchFiles(b)
	in := benchInput(b, bom, report)
	NewBaseline(&Input{Findings: in.Findings[:len(in.Findings)/2]}).Apply(in)
	p := Default()
	b.ResetTimer()
	for b.Loop() {
		rep, err := Evaluate(p, in, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Evaluated[OnFinding] != 100000 {
			b.Fatal("wrong input")
		}
	}
}

// BenchmarkGate is the whole offline gate: decode the SBOM, parse the
// report, convert, apply the baseline and evaluate.
func BenchmarkGate(b *testing.B) {
	bom, report := benchFiles(b)
	p := Default()
	b.ResetTimer()
	for b.Loop() {
		in := benchInput(b, bom, report)
		NewBaseline(&Input{Findings: in.Findings[:len(in.Findings)/2]}).Apply(in)
		if _, err := Evaluate(p, in, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
