package incident

import (
	"io"
	"testing"
	"time"
)

func benchIncident() *Incident {
	corr := time.Date(2026, 9, 20, 12, 0, 0, 0, time.UTC)
	return &Incident{ID: 1, Kind: KindVulnerability, Title: "RCE", Severity: "critical", AwareAt: time.Date(2026, 9, 11, 8, 0, 0, 0, time.UTC),
		CorrectiveMeasureAt: &corr, Submissions: map[ReportKind]Submission{EarlyWarning: {SubmittedAt: time.Date(2026, 9, 11, 20, 0, 0, 0, time.UTC)}},
		Details: Details{Nature: "command injection", Exploitation: "mass exploitation", CorrectiveMeasures: "update", RootCause: "missing validation", FixingUpdate: "3.2.1"}}
}

// BenchmarkClocks: the three deadlines and statuses of one incident, in a
// named time zone (what every list row and page computes).
func BenchmarkClocks(b *testing.B) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Skip(err)
	}
	inc, now := benchIncident(), time.Date(2026, 9, 25, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		_ = Clocks(inc, loc, now)
	}
}

// BenchmarkFinalReportMarkdown: building and rendering a final report.
func BenchmarkFinalReportMarkdown(b *testing.B) {
	inc, now := benchIncident(), time.Date(2026, 9, 25, 0, 0, 0, 0, time.UTC)
	products := []ProductInfo{{ID: 1, Name: "Gateway", Versions: []string{"3.2.0", "3.1.0"}, ProductSettings: ProductSettings{Manufacturer: "Acme", MemberStates: []string{"DE", "FR"}}}}
	for b.Loop() {
		_ = WriteMarkdown(io.Discard, BuildReport(inc, FinalReport, products, nil, now))
	}
}
