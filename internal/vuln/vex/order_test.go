package vex

import (
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/vuln"
)

// Hand-written documents following OpenVEX v0.2.0 (statement timestamp,
// else the document's, "Inheritance Flow"), CycloneDX 1.5 VEX
// (vulnerabilities[].analysis.firstIssued/lastUpdated, metadata.timestamp)
// and CSAF 2.0 (document.tracking.current_release_date, revision_history).
const (
	lib          = "pkg:golang/example.com/lib@v1.0.0"
	openVEXDated = `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/o","author":"Example PSIRT",
"timestamp":"2099-01-10T00:00:00Z","version":1,"statements":[
 {"vulnerability":{"name":"CVE-2099-1"},"timestamp":"2099-03-01T00:00:00+02:00","products":[{"@id":"` + lib + `"}],"status":"affected","action_statement":"upgrade"},
 {"vulnerability":{"name":"CVE-2099-2"},"products":[{"@id":"` + lib + `"}],"status":"not_affected","justification":"component_not_present"}]}`
)

func cdxDoc(metaTime, analysis string) string {
	meta := ""
	if metaTime != "" {
		meta = `"metadata":{"timestamp":"` + metaTime + `"},`
	}
	return `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,` + meta + `
"components":[{"bom-ref":"lib","type":"library","name":"lib","version":"v1.0.0","purl":"` + lib + `"}],
"vulnerabilities":[{"id":"CVE-2099-1","analysis":{"state":"not_affected","justification":"code_not_present"` + analysis + `},"affects":[{"ref":"lib"}]}]}`
}

func csafDoc(tracking string) string {
	return `{"document":{"category":"csaf_vex","csaf_version":"2.0","title":"t","publisher":{"category":"vendor","name":"Example","namespace":"https://example.com"},
"tracking":{"id":"EX-VEX-1","status":"final","version":"2","initial_release_date":"2099-01-01T00:00:00Z"` + tracking + `}},
"product_tree":{"full_product_names":[{"product_id":"P1","name":"lib 1.0.0","product_identification_helper":{"purl":"` + lib + `"}}]},
"vulnerabilities":[{"cve":"CVE-2099-1","product_status":{"known_not_affected":["P1"]},"flags":[{"label":"component_not_present","product_ids":["P1"]}]}]}`
}

func TestStatementTimestamps(t *testing.T) {
	at := func(s string) time.Time { w, _ := time.Parse(time.RFC3339, s); return w.UTC() }
	for _, tt := range []struct {
		name, doc string
		want      []time.Time // per statement, in order
	}{
		{"openvex: statement timestamp, else the document's", openVEXDated, []time.Time{at("2099-02-28T22:00:00Z"), at("2099-01-10T00:00:00Z")}},
		{"cyclonedx: lastUpdated over firstIssued and metadata", cdxDoc("2099-01-01T00:00:00Z", `,"firstIssued":"2099-02-01T00:00:00Z","lastUpdated":"2099-04-01T00:00:00Z"`), []time.Time{at("2099-04-01T00:00:00Z"), at("2099-04-01T00:00:00Z")}},
		{"cyclonedx: firstIssued over metadata", cdxDoc("2099-01-01T00:00:00Z", `,"firstIssued":"2099-02-01T00:00:00Z"`), []time.Time{at("2099-02-01T00:00:00Z"), at("2099-02-01T00:00:00Z")}},
		{"cyclonedx: metadata.timestamp", cdxDoc("2099-01-01T00:00:00Z", ""), []time.Time{at("2099-01-01T00:00:00Z"), at("2099-01-01T00:00:00Z")}},
		{"cyclonedx: no time", cdxDoc("", ""), []time.Time{{}, {}}},
		{"csaf: current_release_date", csafDoc(`,"current_release_date":"2099-05-01T00:00:00Z","revision_history":[{"number":"1","date":"2099-01-01T00:00:00Z","summary":"s"},{"number":"2","date":"2099-05-01T00:00:00Z","summary":"s"}]`), []time.Time{at("2099-05-01T00:00:00Z")}},
		{"csaf: latest revision when no current_release_date", csafDoc(`,"revision_history":[{"number":"2","date":"2099-06-01T00:00:00Z","summary":"s"},{"number":"1","date":"2099-01-01T00:00:00Z","summary":"s"}]`), []time.Time{at("2099-06-01T00:00:00Z")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse([]byte(tt.doc), "doc.json")
			if err != nil {
				t.Fatal(err)
			}
			if len(st) != len(tt.want) {
				t.Fatalf("%d statements, want %d: %+v", len(st), len(tt.want), st)
			}
			for i := range st {
				if !st[i].Timestamp.Equal(tt.want[i]) {
					t.Errorf("statement %d (%s %s): timestamp %s, want %s", i, st[i].VulnID, st[i].Product, st[i].Timestamp, tt.want[i])
				}
			}
		})
	}
}

// A time that is not an RFC 3339 date-time is an error naming the field,
// not a statement silently taken as undated.
func TestStatementTimestampErrors(t *testing.T) {
	for _, tt := range []struct{ doc, field string }{
		{cdxDoc("yesterday", ""), "metadata.timestamp"},
		{cdxDoc("", `,"lastUpdated":"2099-13-01"`), "vulnerabilities[0].analysis.lastUpdated"},
		{cdxDoc("", `,"firstIssued":"soon"`), "vulnerabilities[0].analysis.firstIssued"},
		{csafDoc(`,"current_release_date":"May 2099"`), "/document/tracking/current_release_date"},
		{csafDoc(`,"revision_history":[{"number":"1","date":"","summary":"s"}]`), "/document/tracking/revision_history/0/date"},
	} {
		_, err := Parse([]byte(tt.doc), "doc.json")
		if err == nil || !strings.Contains(err.Error(), "doc.json") || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("error %v, want one naming doc.json and %s", err, tt.field)
		}
	}
}

// A CycloneDX VEX and an OpenVEX document about the same component and
// vulnerability: the later statement holds in either order, and the
// suppressing statement names its document.
func TestMixedDocumentsLatestHolds(t *testing.T) {
	adv := []vuln.Advisory{{ID: "CVE-2099-1", Sources: []vuln.Source{vuln.SourceOSV},
		Affected: []vuln.Affected{{Ecosystem: "Go", Name: "example.com/lib", Ranges: []vuln.Range{{Type: vuln.RangeSemver, Events: []vuln.Event{{Introduced: "0"}, {Fixed: "1.1.0"}}}}}}}}
	comps := []inventory.Component{{Ref: "lib", Name: "example.com/lib", Version: "v1.0.0", PURL: lib}}
	m := vuln.NewMatcher(adv, vuln.MatcherOptions{})
	read := func(doc, name string) []vuln.VEXStatement {
		st, err := Parse([]byte(doc), name)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// OpenVEX: affected on 2099-03-01 (minus two hours).
	for _, tt := range []struct {
		name string
		cdx  string
		want string // the suppressing document, "" when open
	}{
		{"cyclonedx not_affected older than openvex affected", cdxDoc("2099-01-01T00:00:00Z", ""), ""},
		{"cyclonedx not_affected newer than openvex affected", cdxDoc("2099-01-01T00:00:00Z", `,"lastUpdated":"2099-03-02T00:00:00Z"`), "cdx.json"},
	} {
		for _, order := range []string{"cdx first", "openvex first"} {
			o, c := read(openVEXDated, "openvex.json"), read(tt.cdx, "cdx.json")
			stmts := append(c, o...)
			if order == "openvex first" {
				stmts = append(o, c...)
			}
			got := m.Match(comps, stmts)
			if len(got) != 1 {
				t.Fatalf("%s, %s: %d matches", tt.name, order, len(got))
			}
			var src string
			if sup := got[0].Suppressed; sup != nil {
				src = sup.Source
			}
			if src != tt.want {
				t.Errorf("%s, %s: suppressed by %q, want %q", tt.name, order, src, tt.want)
			}
		}
	}
}

// Tools write near-RFC 3339 times (no zone, +0000, a date): they order
// statements like the exact spelling of the same instant.
func TestStatementTimeSpellings(t *testing.T) {
	want := time.Date(2099, 3, 1, 12, 30, 0, 0, time.UTC)
	for _, s := range []string{"2099-03-01T12:30:00Z", "2099-03-01T12:30:00", "2099-03-01T12:30:00+0000", "2099-03-01T14:30:00+02:00", " 2099-03-01T12:30:00.000Z "} {
		if got, ok := statementTime(s); !ok || !got.Equal(want) {
			t.Errorf("statementTime(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	if got, ok := statementTime("2099-03-01"); !ok || !got.Equal(time.Date(2099, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a bare date: %v %v", got, ok)
	}
	for _, s := range []string{"yesterday", "May 2099", "2099-13-01", ""} {
		if _, ok := statementTime(s); ok {
			t.Errorf("statementTime(%q) accepted", s)
		}
	}
}
