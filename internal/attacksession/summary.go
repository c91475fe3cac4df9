package attacksession

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Summary is what a session produced.
type Summary struct {
	Participants int            `json:"participants"`
	Guests       int            `json:"guests"`
	Ideas        int            `json:"ideas"`
	Votes        int            `json:"votes"`
	Open         int            `json:"open"`
	Merged       int            `json:"merged"`
	Rejected     int            `json:"rejected"`
	ByTarget     []TargetCount  `json:"by_target"`
	ByStride     map[string]int `json:"by_stride"`
	Threats      []MergedThreat `json:"merged_threats"`
}

// TargetCount is the ideas on one element or flow.
type TargetCount struct {
	Target Target `json:"target"`
	Ideas  int    `json:"ideas"`
	Merged int    `json:"merged"`
}

// MergedThreat is an idea that became a tracked threat.
type MergedThreat struct {
	Idea     int64  `json:"idea"`
	ThreatID string `json:"threat_id"`
	Target   string `json:"target"`
	STRIDE   string `json:"stride"`
	Text     string `json:"text"`
	Author   string `json:"author"`
	Votes    int    `json:"votes"`
}

// Summarise counts a session's view: participants, ideas per target (most
// first, then in model order) and the merged threats.
func Summarise(v *View) Summary {
	s := Summary{Participants: len(v.Participants), ByStride: map[string]int{}, ByTarget: []TargetCount{}, Threats: []MergedThreat{}}
	for _, p := range v.Participants {
		if p.Guest {
			s.Guests++
		}
	}
	order := map[string]int{}
	for i, t := range v.Targets {
		order[t.ID] = i
	}
	counts := map[string]*TargetCount{}
	var targets []string
	for _, i := range v.Ideas {
		s.Ideas++
		s.Votes += i.Votes
		s.ByStride[i.STRIDE]++
		c := counts[i.Target]
		if c == nil {
			t := Target{ID: i.Target, Name: i.Target}
			if n, ok := order[i.Target]; ok {
				t = v.Targets[n]
			}
			c = &TargetCount{Target: t}
			counts[i.Target] = c
			targets = append(targets, i.Target)
		}
		c.Ideas++
		switch i.State {
		case IdeaMerged:
			s.Merged++
			c.Merged++
			s.Threats = append(s.Threats, MergedThreat{Idea: i.ID, ThreatID: i.ThreatID, Target: i.Target, STRIDE: i.STRIDE, Text: i.Text, Author: i.Author, Votes: i.Votes})
		case IdeaRejected:
			s.Rejected++
		default:
			s.Open++
		}
	}
	sort.SliceStable(targets, func(a, b int) bool {
		ca, cb := counts[targets[a]], counts[targets[b]]
		if ca.Ideas != cb.Ideas {
			return ca.Ideas > cb.Ideas
		}
		return order[targets[a]] < order[targets[b]]
	})
	for _, t := range targets {
		s.ByTarget = append(s.ByTarget, *counts[t])
	}
	return s
}

var strideNames = map[string]string{"spoofing": "Spoofing", "tampering": "Tampering", "repudiation": "Repudiation",
	"information_disclosure": "Information disclosure", "denial_of_service": "Denial of service", "elevation_of_privilege": "Elevation of privilege"}

// StrideName is a category's display name.
func StrideName(c string) string {
	if n, ok := strideNames[c]; ok {
		return n
	}
	return c
}

// md escapes text for a Markdown table cell or line: pipes, markup
// characters and line breaks cannot break the document's structure.
func md(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>|~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdTable writes the section title of the summary: a table with the header
// and a row per element of rows, or none when rows is empty.
func mdTable[T any](b *bytes.Buffer, title, none, header string, rows []T, row func(T) string) {
	fmt.Fprintf(b, "\n## %s\n\n", title)
	if len(rows) == 0 {
		b.WriteString(none)
		return
	}
	b.WriteString(header)
	for _, r := range rows {
		b.WriteString(row(r))
	}
}

// Markdown writes the session summary: participants, ideas per element,
// merged threats, rejected ideas with their reasons, and the timeline.
func Markdown(v *View, productName string) []byte {
	var b bytes.Buffer
	s := v.Summary
	sess := v.Session
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
	fmt.Fprintf(&b, "# Attack session: %s\n\n", md(sess.Title))
	fmt.Fprintf(&b, "- **Product:** %s\n", md(productName))
	fmt.Fprintf(&b, "- **Model version:** %d\n", sess.ModelVersion)
	fmt.Fprintf(&b, "- **Facilitator:** %s\n", md(sess.Facilitator))
	state := "ended " + ts(sess.End())
	if v.Open {
		state = "running, ends " + ts(sess.EndsAt)
	}
	fmt.Fprintf(&b, "- **Started:** %s (%s)\n", ts(sess.StartedAt), state)
	fmt.Fprintf(&b, "- **Ideas:** %d (%d merged into threats, %d rejected, %d open), %d votes\n\n", s.Ideas, s.Merged, s.Rejected, s.Open, s.Votes)

	fmt.Fprintf(&b, "## Participants (%d)\n\n", s.Participants)
	for _, p := range v.Participants {
		kind := "user"
		if p.Guest {
			kind = "guest, joined with a link"
		}
		fmt.Fprintf(&b, "- %s (%s), joined %s\n", md(p.Name), kind, ts(p.JoinedAt))
	}
	mdTable(&b, "Ideas per element and flow", "No ideas.\n", "| Target | Kind | Ideas | Merged |\n|---|---|---:|---:|\n", s.ByTarget, func(t TargetCount) string {
		return fmt.Sprintf("| %s (`%s`) | %s | %d | %d |\n", md(t.Target.Name), strings.ReplaceAll(t.Target.ID, "`", ""), md(strings.ReplaceAll(t.Target.Kind, "_", " ")), t.Ideas, t.Merged)
	})
	mdTable(&b, "Merged threats", "None.\n", "| Threat | Target | STRIDE | Idea | By | Votes |\n|---|---|---|---|---|---:|\n", s.Threats, func(t MergedThreat) string {
		return fmt.Sprintf("| `%s` | %s | %s | %s | %s | %d |\n", t.ThreatID, md(v.TargetName(t.Target)), StrideName(t.STRIDE), md(t.Text), md(t.Author), t.Votes)
	})
	var rejected []Idea
	for _, i := range v.Ideas {
		if i.State == IdeaRejected {
			rejected = append(rejected, i)
		}
	}
	if len(rejected) > 0 {
		b.WriteString("\n## Rejected ideas\n\n")
		for _, i := range rejected {
			fmt.Fprintf(&b, "- %s (on %s, by %s): rejected by %s: %s\n", md(i.Text), md(v.TargetName(i.Target)), md(i.Author), md(i.DecidedBy), md(i.Reason))
		}
	}
	b.WriteString("\n## Timeline\n\n")
	for _, e := range v.Timeline {
		fmt.Fprintf(&b, "- %s **%s** %s", ts(e.At), e.Kind, md(e.Actor))
		if e.Detail != "" {
			fmt.Fprintf(&b, ": %s", md(e.Detail))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}
