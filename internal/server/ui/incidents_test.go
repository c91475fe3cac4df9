package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/incident"
)

// TestClocksShowTheLegalTimeZone: with serve --timezone the incident pages
// show each deadline in UTC and in the legal time zone; without, in UTC.
func TestClocksShowTheLegalTimeZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	due := time.Date(2026, 10, 25, 9, 30, 0, 0, time.UTC)
	rs := []incident.Report{{Kind: incident.EarlyWarning, Due: &due, Status: incident.StatusDue}, {Kind: incident.FinalReport, Status: incident.StatusDue}}
	now := due.Add(-90 * time.Minute)
	got := clocks(rs, now, berlin)
	if got[0].DueText != "2026-10-25 09:30 UTC (10:30 CET)" || got[0].Left != "in 1h 30m" {
		t.Errorf("Berlin: %+v", got[0])
	}
	if !strings.Contains(got[1].DueText, "corrective measure") {
		t.Errorf("final report without a measure: %q", got[1].DueText)
	}
	if utc := clocks(rs, now, nil); utc[0].DueText != "2026-10-25 09:30 UTC" {
		t.Errorf("UTC: %q", utc[0].DueText)
	}
}
