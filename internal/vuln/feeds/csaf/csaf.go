// Package csaf reads the exploitation status out of CSAF 2.0 (and 2.1)
// advisories from other vendors and coordinators: a vulnerability whose
// threats include an exploit_status statement saying it is exploited (or,
// in CSAF 2.1, an SSVC decision point "Exploitation: active", or, without an
// exploit_status threat, a note about exploitation such as Cisco's
// "Exploitation and Public Announcements") is reported as actively exploited. Products and remediations are not read here: whether
// the vulnerability affects a Rampart release is the matcher's job, on the
// CVE id. The document model of Rampart's own advisories is
// internal/advisory/csaf; this reader needs only a few fields and accepts
// documents that fail that package's strict validation.
package csaf

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/vuln"
)

// note is a CSAF note (document or vulnerability level).
type note struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

type document struct {
	Document *struct {
		CSAFVersion string `json:"csaf_version"`
		Notes       []note `json:"notes"`
		Publisher   struct {
			Name string `json:"name"`
		} `json:"publisher"`
		Tracking struct {
			ID                 string `json:"id"`
			CurrentReleaseDate string `json:"current_release_date"`
		} `json:"tracking"`
	} `json:"document"`
	Vulnerabilities []struct {
		CVE     string `json:"cve"`
		Threats []struct {
			Category string `json:"category"`
			Details  string `json:"details"`
			Date     string `json:"date"`
		} `json:"threats"`
		Metrics []struct {
			Content map[string]json.RawMessage `json:"content"`
		} `json:"metrics"`
		Notes []note `json:"notes"`
	} `json:"vulnerabilities"`
}

type ssvc struct {
	Timestamp  string `json:"timestamp"`
	Selections []struct {
		Name   string   `json:"name"`
		Key    string   `json:"key"`
		Values []string `json:"values"`
	} `json:"selections"`
}

// maxDocument bounds one advisory (the largest real ones are a few MiB).
const maxDocument = 32 << 20

var (
	kvExploited  = regexp.MustCompile(`\bexploited\s*[:=]\s*(yes|no)\b`)             // Microsoft: "Exploited:Yes;Publicly Disclosed:No"
	kvSSVC       = regexp.MustCompile(`\bexploitation\s*[:=]\s*(active|poc|none)\b`) // SSVC written as text
	negations    = []string{"not exploited", "no known", "not known", "unlikely", "less likely", "more likely", "not aware", "no evidence", "no exploit", "not been exploited", "no active", "not actively"}
	affirmations = []string{"actively exploited", "active exploitation", "exploited in the wild", "in the wild", "being exploited", "has been exploited",
		"have been exploited", "known exploited", "exploitation detected", "exploitation observed", "under active attack", "attacks observed", "observed exploitation",
		"attempted exploitation", "aware of exploitation", "aware of active exploitation"} // Cisco: "aware of attempted exploitation of this vulnerability"
)

// Exploited reports whether an exploit_status statement says the
// vulnerability is exploited. Statements about likelihood ("Exploitation
// More Likely"), proofs of concept and denials are not exploitation.
func Exploited(details string) bool {
	d := strings.ToLower(strings.Join(strings.Fields(details), " "))
	if m := kvExploited.FindStringSubmatch(d); m != nil {
		return m[1] == "yes"
	}
	if m := kvSSVC.FindStringSubmatch(d); m != nil {
		return m[1] == "active"
	}
	for _, n := range negations {
		if strings.Contains(d, n) {
			return false
		}
	}
	for _, a := range affirmations {
		if strings.Contains(d, a) {
			return true
		}
	}
	return false
}

func parseDate(s string) time.Time {
	t, _ := vuln.ParseTime(s, time.RFC3339Nano, time.RFC3339, "2006-01-02")
	return t
}

// IsCSAF reports whether head starts a CSAF document.
func IsCSAF(head []byte) bool {
	return strings.Contains(string(head), `"csaf_version"`)
}

// Read reads one CSAF document and calls fn for every CVE it reports as
// exploited. A document without CVE ids or exploitation statements is
// valid and yields nothing.
func Read(r io.Reader, name string, fn func(cve string, x vuln.Exploitation) error) error {
	var doc document
	dec := json.NewDecoder(bufio.NewReader(io.LimitReader(r, maxDocument+1)))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) && dec.InputOffset() >= maxDocument {
			return vuln.Errorf(name, "", "larger than %d MiB", maxDocument>>20)
		}
		return vuln.JSONError(name, "", err)
	}
	if doc.Document == nil || doc.Document.CSAFVersion == "" {
		return vuln.Errorf(name, "document.csaf_version", "missing: not a CSAF document")
	}
	if v := doc.Document.CSAFVersion; v != "2.0" && v != "2.1" {
		return vuln.Errorf(name, "document.csaf_version", "%q: CSAF 2.0 and 2.1 are supported", v)
	}
	track := strings.TrimSpace(doc.Document.Tracking.ID)
	if track == "" {
		return vuln.Errorf(name, "document.tracking.id", "missing")
	}
	pub := strings.TrimSpace(doc.Document.Publisher.Name)
	docNotes := exploitationNotes(doc.Document.Notes)
	for i, v := range doc.Vulnerabilities {
		if v.CVE == "" {
			continue
		}
		if !strings.HasPrefix(v.CVE, "CVE-") {
			return vuln.Errorf(name, fmt.Sprintf("vulnerabilities[%d].cve", i), "%q is not a CVE id", v.CVE)
		}
		x, ok := vuln.Exploitation{}, false
		stated := false // an exploit_status threat speaks for the vulnerability
		for _, t := range v.Threats {
			stated = stated || t.Category == "exploit_status"
			if t.Category == "exploit_status" && Exploited(t.Details) {
				x, ok = vuln.Exploitation{Since: parseDate(t.Date), Detail: strings.TrimSpace(t.Details)}, true
				break
			}
		}
		if !ok {
			x, ok = ssvcActive(v.Metrics)
		}
		if !ok && !stated {
			x, ok = noteSays(v.CVE, exploitationNotes(v.Notes), docNotes)
		}
		if !ok {
			continue
		}
		x.Source, x.Reference, x.Publisher = vuln.SourceCSAF, track, pub
		if x.Since.IsZero() {
			x.Since = parseDate(doc.Document.Tracking.CurrentReleaseDate)
		}
		if len(x.Detail) > 500 {
			x.Detail = strings.ToValidUTF8(x.Detail[:500], "") + "…"
		}
		x.Detail = fmt.Sprintf("CSAF advisory %s by %s: exploit status %q", track, pub, x.Detail)
		if err := fn(v.CVE, x); err != nil {
			return err
		}
	}
	return nil
}

// exploitationNote is what a note about exploitation says: whether it
// says the vulnerability is exploited, the CVE ids it names (it speaks
// only for those when it names any) and its text.
type exploitationNote struct {
	exploited bool
	cves      map[string]bool
	text      string
}

// exploitationNotes reads the notes about exploitation among notes:
// Cisco's advisories have no exploit_status threat but a note titled
// "Exploitation and Public Announcements", per vulnerability or for the
// whole document. Each note is read once, however many vulnerabilities
// consult it.
func exploitationNotes(notes []note) []exploitationNote {
	var out []exploitationNote
	for _, n := range notes {
		if strings.Contains(strings.ToLower(n.Title), "exploitation") {
			x := exploitationNote{exploited: Exploited(n.Text), text: strings.TrimSpace(n.Text)}
			for _, id := range cveIDs.FindAllString(n.Text, -1) {
				if x.cves == nil {
					x.cves = map[string]bool{}
				}
				x.cves[id] = true
			}
			out = append(out, x)
		}
	}
	return out
}

// noteSays finds, for the vulnerability cve, the first note of the lists
// that speaks for it (a vulnerability's own notes come before the
// document's) and reports whether it says the vulnerability is exploited.
func noteSays(cve string, lists ...[]exploitationNote) (vuln.Exploitation, bool) {
	for _, notes := range lists {
		for _, n := range notes {
			if n.cves != nil && !n.cves[cve] {
				continue
			}
			return vuln.Exploitation{Detail: n.text}, n.exploited
		}
	}
	return vuln.Exploitation{}, false
}

// cveIDs finds the CVE ids a text names.
var cveIDs = regexp.MustCompile(`CVE-[0-9]{4}-[0-9]{4,}`)

// ssvcActive finds an SSVC "Exploitation: active" decision in CSAF 2.1
// metrics.
func ssvcActive(metrics []struct {
	Content map[string]json.RawMessage `json:"content"`
}) (vuln.Exploitation, bool) {
	for _, m := range metrics {
		for key, raw := range m.Content {
			if !strings.HasPrefix(key, "ssvc_v") {
				continue
			}
			var s ssvc
			if json.Unmarshal(raw, &s) != nil {
				continue
			}
			for _, sel := range s.Selections {
				if !strings.EqualFold(sel.Name, "Exploitation") && sel.Key != "E" {
					continue
				}
				for _, val := range sel.Values {
					if strings.EqualFold(val, "active") || val == "A" {
						return vuln.Exploitation{Since: parseDate(s.Timestamp), Detail: "SSVC Exploitation: active"}, true
					}
				}
			}
		}
	}
	return vuln.Exploitation{}, false
}
