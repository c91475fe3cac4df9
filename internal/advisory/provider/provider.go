// Package provider holds the CSAF 2.0 trusted-provider layout (section 7):
// provider-metadata.json, ROLIE feeds, service and category documents,
// index.txt, changes.csv, HTML directory listings and security.txt. Every
// writer streams its entries from an iterator, so a feed of any size is
// written in constant memory. Every URL is built from a base URL the caller
// chooses (the public URL of the server).
package provider

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"iter"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/advisory/csaf"
)

// WellKnown is the path of the provider folder.
const WellKnown = "/.well-known/csaf"

// TLP labels of CSAF 2.0 (TLP 1.0: there is no CLEAR).
const (
	White = "WHITE"
	Green = "GREEN"
	Amber = "AMBER"
	Red   = "RED"
)

// TLPs lists the labels in order of increasing restriction.
var TLPs = []string{White, Green, Amber, Red}

// Folder is the folder of a TLP label ("white", "green", ...).
func Folder(tlp string) string { return strings.ToLower(tlp) }

// ParseFolder maps a folder name back to its label ("" when unknown).
func ParseFolder(folder string) string {
	for _, t := range TLPs {
		if Folder(t) == folder {
			return t
		}
	}
	return ""
}

// Public reports whether advisories of this label are served without
// authentication (only TLP:WHITE).
func Public(tlp string) bool { return tlp == White }

// Entry is one published advisory as the feed lists it.
type Entry struct {
	TrackingID         string
	Title              string
	TLP                string
	InitialReleaseDate time.Time
	CurrentReleaseDate time.Time
	Summary            string
}

// Year is the folder year of the entry (year of initial_release_date, UTC).
func (e Entry) Year() int { return e.InitialReleaseDate.UTC().Year() }

// File is the file name of the entry.
func (e Entry) File() string { return csaf.Filename(e.TrackingID) }

// RelPath is the path of the advisory relative to its TLP folder ("2026/x.json").
func (e Entry) RelPath() string { return fmt.Sprintf("%d/%s", e.Year(), e.File()) }

// Path is the absolute URL path of the advisory.
func (e Entry) Path() string {
	return fmt.Sprintf("%s/%s/%s", WellKnown, Folder(e.TLP), e.RelPath())
}

// Key is an OpenPGP public key listed in the provider metadata.
type Key struct{ Fingerprint string }

// KeyPath is the URL path of a public key.
func KeyPath(fingerprint string) string { return WellKnown + "/openpgp/" + fingerprint + ".asc" }

// Publisher is the provider's publisher (as in /document/publisher).
type Publisher struct {
	Category       string `json:"category"`
	Name           string `json:"name"`
	Namespace      string `json:"namespace"`
	ContactDetails string `json:"contact_details,omitempty"`
	IssuingAuth    string `json:"issuing_authority,omitempty"`
}

// Metadata is what provider-metadata.json describes.
type Metadata struct {
	Base        string // public base URL, no trailing slash: https://host:port
	Publisher   Publisher
	Keys        []Key
	TLPs        []string // the labels with a feed
	LastUpdated time.Time
}

type pmdFeed struct {
	Summary  string `json:"summary"`
	TLPLabel string `json:"tlp_label"`
	URL      string `json:"url"`
}

type pmdKey struct {
	Fingerprint string `json:"fingerprint"`
	URL         string `json:"url"`
}

// FeedPath is the URL path of the ROLIE feed of a label.
func FeedPath(tlp string) string {
	return fmt.Sprintf("%s/%s/csaf-feed-tlp-%s.json", WellKnown, Folder(tlp), Folder(tlp))
}

// CategoryPath is the URL path of the ROLIE category document of a label.
func CategoryPath(tlp string) string {
	return fmt.Sprintf("%s/%s/category-%s.json", WellKnown, Folder(tlp), Folder(tlp))
}

// ServicePath is the URL path of the ROLIE service document.
const ServicePath = WellKnown + "/service.json"

// MetadataPath is the URL path of provider-metadata.json.
const MetadataPath = WellKnown + "/provider-metadata.json"

// WriteMetadata writes provider-metadata.json (role csaf_trusted_provider).
func WriteMetadata(w io.Writer, m Metadata) error {
	if len(m.Keys) == 0 {
		return fmt.Errorf("provider metadata needs at least one OpenPGP key")
	}
	var dists []any
	for _, t := range m.TLPs {
		dists = append(dists, map[string]any{
			"directory_url": m.Base + WellKnown + "/" + Folder(t) + "/",
			"rolie": map[string]any{
				"categories": []string{m.Base + CategoryPath(t)},
				"feeds":      []pmdFeed{{Summary: "TLP:" + t + " advisories", TLPLabel: t, URL: m.Base + FeedPath(t)}},
				"services":   []string{m.Base + ServicePath},
			},
		})
	}
	keys := make([]pmdKey, len(m.Keys))
	for i, k := range m.Keys {
		keys[i] = pmdKey{Fingerprint: k.Fingerprint, URL: m.Base + KeyPath(k.Fingerprint)}
	}
	doc := map[string]any{
		"canonical_url":              m.Base + MetadataPath,
		"distributions":              dists,
		"last_updated":               m.LastUpdated.UTC().Format(time.RFC3339),
		"list_on_CSAF_aggregators":   true,
		"metadata_version":           "2.0",
		"mirror_on_CSAF_aggregators": true,
		"public_openpgp_keys":        keys,
		"publisher":                  m.Publisher,
		"role":                       "csaf_trusted_provider",
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// WriteService writes the ROLIE service document listing every feed.
func WriteService(w io.Writer, base string, tlps []string) error {
	var cols []any
	for _, t := range tlps {
		cols = append(cols, map[string]any{
			"title": "CSAF feed (TLP:" + t + ")",
			"href":  base + FeedPath(t),
			"categories": map[string]any{"category": []any{
				map[string]string{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"},
			}},
		})
	}
	doc := map[string]any{"service": map[string]any{"workspace": []any{
		map[string]any{"title": "CSAF feeds", "collection": cols},
	}}}
	return json.NewEncoder(w).Encode(doc)
}

// WriteCategory writes the ROLIE category document of a label.
func WriteCategory(w io.Writer, tlp string) error {
	doc := map[string]any{"categories": map[string]any{"category": []any{
		map[string]string{"term": "TLP:" + tlp},
		map[string]string{"term": "csaf_security_advisory"},
		map[string]string{"term": "csaf_vex"},
	}}}
	return json.NewEncoder(w).Encode(doc)
}

// WriteFeed streams the ROLIE feed of one label. Entries are written in the
// order the iterator yields them (newest first is customary).
func WriteFeed(w io.Writer, base, tlp string, updated time.Time, entries iter.Seq2[Entry, error]) error {
	bw := bufio.NewWriter(w)
	head := map[string]any{
		"id":    "rampart-csaf-feed-tlp-" + Folder(tlp),
		"title": "CSAF feed (TLP:" + tlp + ")",
		"link":  []any{map[string]string{"rel": "self", "href": base + FeedPath(tlp)}},
		"category": []any{
			map[string]string{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"},
		},
		"updated": updated.UTC().Format(time.RFC3339),
	}
	hb, err := json.Marshal(head)
	if err != nil {
		return err
	}
	// Splice the streamed "entry" array into the feed object.
	fmt.Fprintf(bw, `{"feed":%s,"entry":[`, hb[:len(hb)-1])
	first := true
	for e, err := range entries {
		if err != nil {
			return err
		}
		u := base + e.Path()
		entry := map[string]any{
			"id":        e.TrackingID,
			"title":     e.Title,
			"link":      []any{map[string]string{"rel": "self", "href": u}, map[string]string{"rel": "hash", "href": u + ".sha256"}, map[string]string{"rel": "hash", "href": u + ".sha512"}, map[string]string{"rel": "signature", "href": u + ".asc"}},
			"published": e.InitialReleaseDate.UTC().Format(time.RFC3339),
			"updated":   e.CurrentReleaseDate.UTC().Format(time.RFC3339),
			"content":   map[string]string{"type": "application/json", "src": u},
			"format":    map[string]string{"schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", "version": "2.0"},
		}
		if e.Summary != "" {
			entry["summary"] = map[string]string{"content": e.Summary}
		}
		b, err := json.Marshal(entry)
		if err != nil {
			return err
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.Write(b)
	}
	bw.WriteString("]}}\n")
	return bw.Flush()
}

// WriteIndex streams index.txt: one path per line, relative to the TLP folder.
func WriteIndex(w io.Writer, entries iter.Seq2[Entry, error]) error {
	return writeLines(w, entries, Entry.RelPath)
}

// WriteChanges streams changes.csv: path and current release date, the
// iterator yielding newest first (the file is sorted descending by date).
func WriteChanges(w io.Writer, entries iter.Seq2[Entry, error]) error {
	return writeLines(w, entries, func(e Entry) string {
		return fmt.Sprintf("%q,%q", e.RelPath(), e.CurrentReleaseDate.UTC().Format(time.RFC3339))
	})
}

// writeLines streams one line per entry: line(e) and a newline.
func writeLines(w io.Writer, entries iter.Seq2[Entry, error], line func(Entry) string) error {
	bw := bufio.NewWriter(w)
	for e, err := range entries {
		if err != nil {
			return err
		}
		bw.WriteString(line(e) + "\n")
	}
	return bw.Flush()
}

// WriteListing writes an HTML directory listing of names (folders end in "/").
func WriteListing(w io.Writer, path string, names []string) error {
	sort.Strings(names)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of %s</title></head><body>\n<h1>Index of %s</h1>\n<ul>\n", html.EscapeString(path), html.EscapeString(path))
	if path != WellKnown+"/" {
		bw.WriteString("<li><a href=\"../\">../</a></li>\n")
	}
	for _, n := range names {
		fmt.Fprintf(bw, "<li><a href=\"%s\">%s</a></li>\n", html.EscapeString((&url.URL{Path: n}).String()), html.EscapeString(n))
	}
	bw.WriteString("</ul>\n</body></html>\n")
	return bw.Flush()
}

// SecurityTxt is the content of /.well-known/security.txt (RFC 9116).
type SecurityTxt struct {
	Base      string    // public base URL
	Contact   []string  // contact URIs (mailto:, https:); the report page is added
	Expires   time.Time // RFC 9116 requires a date less than a year ahead
	Languages []string
}

// ReportPath is the public vulnerability-report page (built by the incident area).
const ReportPath = "/report"

// WriteSecurityTxt writes security.txt.
func WriteSecurityTxt(w io.Writer, s SecurityTxt) error {
	bw := bufio.NewWriter(w)
	for _, c := range s.Contact {
		fmt.Fprintf(bw, "Contact: %s\n", c)
	}
	fmt.Fprintf(bw, "Contact: %s%s\n", s.Base, ReportPath)
	fmt.Fprintf(bw, "Expires: %s\n", s.Expires.UTC().Format(time.RFC3339))
	fmt.Fprintf(bw, "Policy: %s%s\n", s.Base, ReportPath)
	langs := s.Languages
	if len(langs) == 0 {
		langs = []string{"en"}
	}
	fmt.Fprintf(bw, "Preferred-Languages: %s\n", strings.Join(langs, ", "))
	fmt.Fprintf(bw, "Canonical: %s/.well-known/security.txt\n", s.Base)
	fmt.Fprintf(bw, "CSAF: %s%s\n", s.Base, MetadataPath)
	return bw.Flush()
}
