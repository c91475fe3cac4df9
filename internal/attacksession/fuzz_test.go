package attacksession

import (
	"strings"
	"testing"
	"time"
)

// FuzzMarkdown: whatever participants type (titles, ideas, names,
// reasons), the summary keeps its structure: their text never starts a
// line, opens a table cell or an HTML tag.
func FuzzMarkdown(f *testing.F) {
	for _, s := range []string{"Replay the pairing code", "a | b", "<script>alert(1)</script>", "# heading\n- item", "`code` *em* [link](x)", "\\|", "\r\n|"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cell := md(s)
		if strings.ContainsAny(cell, "\n\r") {
			t.Fatalf("md(%q) = %q has a line break", s, cell)
		}
		for i := 0; i < len(cell); i++ {
			if strings.IndexByte("|<>`*_[]~", cell[i]) >= 0 && (i == 0 || cell[i-1] != '\\' || escapedBackslash(cell, i-1)) {
				t.Fatalf("md(%q) = %q: unescaped %q at %d", s, cell, cell[i], i)
			}
		}
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		v := &View{Session: Session{ID: 1, Title: s, Facilitator: s, StartedAt: now, EndsAt: now.Add(time.Hour)},
			Targets:      []Target{{ID: "t", Name: s, Kind: "process"}},
			Participants: []Participant{{Name: s, Guest: true, JoinedAt: now}},
			Ideas:        []Idea{{ID: 1, Target: "t", Text: s, STRIDE: "spoofing", Author: s, State: IdeaRejected, Reason: s, DecidedBy: s}},
			Timeline:     []Event{{At: now, Kind: EventIdea, Actor: s, Detail: s}}}
		v.Summary = Summarise(v)
		out := string(Markdown(v, s))
		want := string(Markdown(&View{Session: v.Session, Targets: v.Targets, Participants: v.Participants, Ideas: v.Ideas, Timeline: v.Timeline, Summary: v.Summary}, s))
		if out != want {
			t.Fatal("Markdown is not deterministic")
		}
		if n := strings.Count(out, "\n"); n != strings.Count(string(Markdown(withText(v, "x"), "x")), "\n") {
			t.Fatalf("text %q changed the summary's line structure", s)
		}
	})
}

// escapedBackslash reports whether the backslash at i is itself escaped.
func escapedBackslash(s string, i int) bool {
	n := 0
	for ; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 0
}

// withText is v with every typed text replaced by s.
func withText(v *View, s string) *View {
	c := *v
	c.Session.Title, c.Session.Facilitator = s, s
	c.Targets = []Target{{ID: "t", Name: s, Kind: "process"}}
	c.Participants = []Participant{{Name: s, Guest: true, JoinedAt: v.Participants[0].JoinedAt}}
	i := v.Ideas[0]
	i.Text, i.Author, i.Reason, i.DecidedBy = s, s, s, s
	c.Ideas = []Idea{i}
	e := v.Timeline[0]
	e.Actor, e.Detail = s, s
	c.Timeline = []Event{e}
	c.Summary = Summarise(&c)
	return &c
}
