package provider

import (
	"bytes"
	"encoding/json"
	"iter"
	"strings"
	"testing"
	"time"

	gocsaf "github.com/gocsaf/csaf/v3/csaf"
)

func entries(es ...Entry) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		for _, e := range es {
			if !yield(e, nil) {
				return
			}
		}
	}
}

var sample = []Entry{
	{TrackingID: "NW-SA-2026:002", Title: "Second", TLP: White, InitialReleaseDate: time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC), CurrentReleaseDate: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
	{TrackingID: "NW-SA-2026-001", Title: "First", TLP: White, InitialReleaseDate: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), CurrentReleaseDate: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)},
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return v
}

// The provider metadata and the ROLIE feed validate against the JSON schemas
// gocsaf embeds; every URL starts with the given base.
func TestMetadataAndFeedSchemas(t *testing.T) {
	const base = "https://psirt.example:8443"
	var pmd bytes.Buffer
	err := WriteMetadata(&pmd, Metadata{Base: base, Publisher: Publisher{Category: "vendor", Name: "Northwind", Namespace: "https://northwind.example"},
		Keys: []Key{{Fingerprint: "CCC5CBECDFEE715D6AA530406C0341773D3001B2"}}, TLPs: []string{White, Amber}, LastUpdated: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if msgs, err := gocsaf.ValidateProviderMetadata(decode(t, pmd.Bytes())); err != nil || len(msgs) > 0 {
		t.Fatalf("provider metadata: %v %v\n%s", err, msgs, pmd.String())
	}
	var feed bytes.Buffer
	if err := WriteFeed(&feed, base, White, time.Unix(0, 0), entries(sample...)); err != nil {
		t.Fatal(err)
	}
	if msgs, err := gocsaf.ValidateROLIE(decode(t, feed.Bytes())); err != nil || len(msgs) > 0 {
		t.Fatalf("ROLIE feed: %v %v\n%s", err, msgs, feed.String())
	}
	for _, doc := range []string{pmd.String(), feed.String()} {
		for _, part := range strings.Split(doc, `"https://`)[1:] {
			if !strings.HasPrefix(part, "psirt.example:8443/") && !strings.HasPrefix(part, "northwind.example") && !strings.HasPrefix(part, "docs.oasis-open.org") {
				t.Errorf("URL not built from the base: https://%s", part[:min(60, len(part))])
			}
		}
	}
	if err := WriteMetadata(&pmd, Metadata{Base: base}); err == nil {
		t.Error("metadata without a key was written")
	}
}

// Year folder from initial_release_date, file name from the tracking id.
func TestLayout(t *testing.T) {
	if got := sample[0].Path(); got != "/.well-known/csaf/white/2025/nw-sa-2026_002.json" {
		t.Errorf("path %s", got)
	}
	var idx, ch bytes.Buffer
	WriteIndex(&idx, entries(sample...))
	WriteChanges(&ch, entries(sample...))
	if idx.String() != "2025/nw-sa-2026_002.json\n2026/nw-sa-2026-001.json\n" {
		t.Errorf("index.txt:\n%s", idx.String())
	}
	if ch.String() != "\"2025/nw-sa-2026_002.json\",\"2026-02-01T00:00:00Z\"\n\"2026/nw-sa-2026-001.json\",\"2026-01-05T00:00:00Z\"\n" {
		t.Errorf("changes.csv:\n%s", ch.String())
	}
	var sec bytes.Buffer
	WriteSecurityTxt(&sec, SecurityTxt{Base: "https://h", Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
	for _, want := range []string{"Contact: https://h/report\n", "Expires: 2027-01-01T00:00:00Z\n", "Policy: https://h/report\n", "Preferred-Languages: en\n", "CSAF: https://h/.well-known/csaf/provider-metadata.json\n"} {
		if !strings.Contains(sec.String(), want) {
			t.Errorf("security.txt lacks %q", want)
		}
	}
	if ParseFolder("amber") != Amber || ParseFolder("clear") != "" || Public(Amber) || !Public(White) {
		t.Error("folders")
	}
}
