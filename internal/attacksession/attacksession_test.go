package attacksession_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/attacksession"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

func TestParseSTRIDE(t *testing.T) {
	for in, want := range map[string]string{"S": "spoofing", "t": "tampering", "R": "repudiation", "I": "information_disclosure",
		"d": "denial_of_service", "E": "elevation_of_privilege", "Information disclosure": "information_disclosure",
		"denial_of_service": "denial_of_service", "Elevation-of-Privilege": "elevation_of_privilege", " spoofing ": "spoofing"} {
		got, err := attacksession.ParseSTRIDE(in)
		if err != nil || got != want {
			t.Errorf("ParseSTRIDE(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "X", "spoof", "dos", "information"} {
		if _, err := attacksession.ParseSTRIDE(in); fault.FieldOf(err) != "stride" {
			t.Errorf("ParseSTRIDE(%q): %v, want an invalid stride", in, err)
		}
	}
}

// clock is a settable clock for the service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func setup(t *testing.T, st *store.Store) (*attacksession.Service, *clock, int64) {
	t.Helper()
	ctx := context.Background()
	p := inventory.Product{Name: "Plug"}
	if err := st.CreateProduct(ctx, &p); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Now().UTC()}
	svc := portfolio.NewAttackSessions(st, c.now)
	if _, err := svc.Start(ctx, p.ID, "before a model", 30, "ed"); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("start without a model: %v, want a conflict", err)
	}
	tpl, err := threatmodel.Template("smart-home")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := portfolio.SaveThreatModel(ctx, st, p.ID, tpl, "smart-home.yaml", "", "ed"); err != nil {
		t.Fatal(err)
	}
	return svc, c, p.ID
}

// setupSession is setup, then a session of minutes that ed starts.
func setupSession(t *testing.T, st *store.Store, title string, minutes int) (*attacksession.Service, *clock, int64, attacksession.Session) {
	t.Helper()
	svc, clk, pid := setup(t, st)
	sess, err := svc.Start(context.Background(), pid, title, minutes, "ed")
	if err != nil {
		t.Fatal(err)
	}
	return svc, clk, pid, sess
}

func TestSessionLifecycle(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, clk, pid := setup(t, st)
		for _, bad := range []struct {
			title   string
			minutes int
			field   string
		}{{"", 30, "title"}, {"x", 0, "minutes"}, {"x", 10000, "minutes"}, {strings.Repeat("x", 201), 30, "title"}} {
			if _, err := svc.Start(ctx, pid, bad.title, bad.minutes, "ed"); fault.FieldOf(err) != bad.field {
				t.Errorf("start %q %d: %v, want invalid %s", bad.title, bad.minutes, err, bad.field)
			}
		}
		sess, err := svc.Start(ctx, pid, "Attack the plug", 30, "ed")
		if err != nil {
			t.Fatal(err)
		}
		if sess.ModelVersion != 1 || !sess.Open(clk.now()) {
			t.Fatalf("session: %+v", sess)
		}
		secret, link, err := svc.CreateLink(ctx, pid, sess.ID, "Dana from design", "ed")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := svc.Join(ctx, secret, "  "); fault.FieldOf(err) != "name" {
			t.Errorf("join without a name: %v", err)
		}
		_, guest, cookie, err := svc.Join(ctx, secret, "Dana")
		if err != nil {
			t.Fatal(err)
		}
		if !guest.Guest || guest.LinkID != link.ID || guest.SessionID != sess.ID {
			t.Errorf("guest: %+v", guest)
		}
		if _, _, _, err := svc.Join(ctx, secret, "Eve"); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("second use of a one-time link: %v, want not found", err)
		}
		g, gs, err := svc.Guest(ctx, cookie)
		if err != nil || g.ID != guest.ID || gs.ID != sess.ID {
			t.Fatalf("guest by cookie: %+v %+v %v", g, gs, err)
		}
		if _, _, err := svc.Guest(ctx, secret); err == nil {
			t.Error("a join-link secret works as a participant credential")
		}

		dana := attacksession.Actor{Guest: &g}
		vic := attacksession.Actor{User: "vic"}
		if _, err := svc.AddIdea(ctx, pid, sess.ID, dana, attacksession.IdeaInput{Target: "nope", Text: "x", STRIDE: "S"}); fault.FieldOf(err) != "target" {
			t.Errorf("unknown target: %v", err)
		}
		if _, err := svc.AddIdea(ctx, pid, sess.ID, dana, attacksession.IdeaInput{Target: "plug", Text: "x", STRIDE: "Q"}); fault.FieldOf(err) != "stride" {
			t.Errorf("bad stride: %v", err)
		}
		if _, err := svc.AddIdea(ctx, pid, sess.ID, dana, attacksession.IdeaInput{Target: "plug", Text: " ", STRIDE: "S"}); fault.FieldOf(err) != "text" {
			t.Errorf("empty text: %v", err)
		}
		i1, err := svc.AddIdea(ctx, pid, sess.ID, dana, attacksession.IdeaInput{Target: "plug", Text: "Open the case and read the flash over UART", STRIDE: "I"})
		if err != nil {
			t.Fatal(err)
		}
		i2, err := svc.AddIdea(ctx, pid, sess.ID, vic, attacksession.IdeaInput{Target: "user-app", Text: "Replay the pairing code", STRIDE: "spoofing"})
		if err != nil {
			t.Fatal(err)
		}
		if i2.STRIDE != "spoofing" || i2.Author != "vic" {
			t.Errorf("idea 2: %+v", i2)
		}
		for range 2 { // a second vote of the same person does not count
			if v, err := svc.Vote(ctx, pid, sess.ID, i1.ID, vic); err != nil || v.Votes != 1 {
				t.Errorf("vote: %+v %v", v, err)
			}
		}
		if _, err := svc.Vote(ctx, pid, sess.ID, 9999, vic); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("vote on an unknown idea: %v", err)
		}

		// Time runs out: no more ideas or votes, but the facilitator decides.
		clk.add(31 * time.Minute)
		if _, err := svc.AddIdea(ctx, pid, sess.ID, vic, attacksession.IdeaInput{Target: "plug", Text: "late", STRIDE: "D"}); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("idea after the end: %v, want a conflict", err)
		}
		if _, err := svc.Vote(ctx, pid, sess.ID, i2.ID, dana); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("vote after the end: %v", err)
		}
		if _, err := svc.Merge(ctx, pid, sess.ID, i1.ID, attacksession.MergeInput{Status: "open"}, "ed"); fault.FieldOf(err) != "owner" {
			t.Errorf("merge without an owner: %v", err)
		}
		m, err := svc.Merge(ctx, pid, sess.ID, i1.ID, attacksession.MergeInput{Owner: "ed", Status: "in_progress", Severity: "high"}, "ed")
		if err != nil {
			t.Fatal(err)
		}
		if m.State != attacksession.IdeaMerged || m.ThreatID != attacksession.ThreatID(sess.ID, i1.ID) {
			t.Errorf("merged: %+v", m)
		}
		if _, err := svc.Merge(ctx, pid, sess.ID, i1.ID, attacksession.MergeInput{Owner: "ed"}, "ed"); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("second merge: %v", err)
		}
		if _, err := svc.Reject(ctx, pid, sess.ID, i2.ID, "", "ed"); fault.FieldOf(err) != "reason" {
			t.Errorf("reject without a reason: %v", err)
		}
		if _, err := svc.Reject(ctx, pid, sess.ID, i2.ID, "the pairing code is single use", "ed"); err != nil {
			t.Fatal(err)
		}
		// The merged idea is a threat of the latest model, tracked.
		lib, _ := threatmodel.DefaultLibrary()
		view, err := portfolio.ProductThreats(ctx, st, lib, pid, 0)
		if err != nil {
			t.Fatal(err)
		}
		if view.Version.Version != 2 {
			t.Errorf("model version after merge: %d", view.Version.Version)
		}
		found := false
		for _, th := range view.Result.Threats {
			if th.ID == m.ThreatID {
				found = true
				if th.Owner != "ed" || th.Status != "in_progress" || th.Target != "plug" || th.STRIDE != "information_disclosure" || th.Severity != "high" || !th.Manual {
					t.Errorf("merged threat: %+v", th)
				}
			}
		}
		if !found {
			t.Fatalf("merged threat %s not in the model", m.ThreatID)
		}

		v, err := svc.Get(ctx, pid, sess.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range v.Timeline {
			kinds = append(kinds, e.Kind)
		}
		want := "started joined link joined idea joined idea vote merged rejected ended"
		if got := strings.Join(kinds, " "); got != want {
			t.Errorf("timeline: %s\nwant      %s", got, want)
		}
		s := v.Summary
		if s.Participants != 3 || s.Guests != 1 || s.Ideas != 2 || s.Merged != 1 || s.Rejected != 1 || len(s.ByTarget) != 2 || len(s.Threats) != 1 || len(v.Links) != 1 || v.Links[0].UsedAt == nil {
			t.Errorf("summary: %+v links %+v", s, v.Links)
		}
		md := string(attacksession.Markdown(v, "Plug"))
		for _, want := range []string{"# Attack session: Attack the plug", "## Participants (3)", "Dana (guest, joined with a link)",
			"| " + v.TargetName("plug") + " (`plug`) | device | 1 | 1 |", "`" + m.ThreatID + "`", "the pairing code is single use", "**ended** clock"} {
			if !strings.Contains(md, want) {
				t.Errorf("markdown lacks %q:\n%s", want, md)
			}
		}
		rows, err := svc.Overview(ctx, pid)
		if err != nil || len(rows) != 1 || rows[0].Open || rows[0].Counts != (attacksession.Counts{Participants: 3, Ideas: 2, Merged: 1}) {
			t.Errorf("overview: %+v %v", rows, err)
		}
		if _, err := svc.End(ctx, pid, sess.ID, "ed"); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("end after time ran out: %v", err)
		}
		if _, _, err := svc.CreateLink(ctx, pid, sess.ID, "", "ed"); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("link for an ended session: %v", err)
		}
		// Another product's id does not reach the session.
		if _, err := svc.Get(ctx, pid+1000, sess.ID, false); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("session through another product: %v", err)
		}
	})
}

func TestEndEarlyAndMarkdownEscaping(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, clk, pid, sess := setupSession(t, st, "Pipes | and <b>tags</b>", 10)
		if _, err := svc.AddIdea(ctx, pid, sess.ID, attacksession.Actor{User: "ed"}, attacksession.IdeaInput{Target: "app", Text: "a | b\n# heading <script>", STRIDE: "T"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.End(ctx, pid, sess.ID, "ed"); err != nil {
			t.Fatal(err)
		}
		clk.add(time.Second)
		if _, err := svc.AddIdea(ctx, pid, sess.ID, attacksession.Actor{User: "ed"}, attacksession.IdeaInput{Target: "app", Text: "late", STRIDE: "T"}); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("idea after an early end: %v", err)
		}
		v, err := svc.Get(ctx, pid, sess.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if v.Open || v.Timeline[len(v.Timeline)-1].Kind != attacksession.EventEnded {
			t.Errorf("ended session: open %v timeline %+v", v.Open, v.Timeline)
		}
		md := string(attacksession.Markdown(v, "Plug"))
		if strings.Contains(md, "<script>") || strings.Contains(md, "<b>") || strings.Contains(md, "a | b") || strings.Contains(md, "\n# heading") {
			t.Errorf("markdown not escaped:\n%s", md)
		}
	})
}

// TestTextFieldErrors pins the whole message of each text field's check:
// empty where a text is required, and one character over its limit.
func TestTextFieldErrors(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, _, pid, sess := setupSession(t, st, "Attack the plug", 30)
		over := func(n int) string { return strings.Repeat("é", n+1) } // characters, not bytes
		dana := attacksession.Actor{User: "dana"}
		for _, c := range []struct {
			name string
			do   func() error
			want string
		}{
			{"start without a title", func() error { _, err := svc.Start(ctx, pid, " ", 30, "ed"); return err },
				`title: name the session (e.g. "Attack the pairing flow")`},
			{"start with a long title", func() error { _, err := svc.Start(ctx, pid, over(attacksession.MaxTitle), 30, "ed"); return err },
				"title: at most 200 characters"},
			{"long link label", func() error {
				_, _, err := svc.CreateLink(ctx, pid, sess.ID, over(attacksession.MaxName), "ed")
				return err
			},
				"label: at most 60 characters"},
			{"join without a name", func() error { _, _, _, err := svc.Join(ctx, "rja_x", " \t "); return err },
				"name: say who you are, so others see whose ideas these are"},
			{"join with a long name", func() error { _, _, _, err := svc.Join(ctx, "rja_x", over(attacksession.MaxName)); return err },
				"name: at most 60 characters"},
			{"idea without text", func() error {
				_, err := svc.AddIdea(ctx, pid, sess.ID, dana, attacksession.IdeaInput{Target: "plug", Text: " ", STRIDE: "S"})
				return err
			}, "text: describe the attack (what would you try, and what would it get you?)"},
			{"long idea", func() error {
				_, err := svc.AddIdea(ctx, pid, sess.ID, dana, attacksession.IdeaInput{Target: "plug", Text: over(attacksession.MaxIdea), STRIDE: "S"})
				return err
			}, "text: at most 2000 characters"},
			{"merge with a long title", func() error {
				_, err := svc.Merge(ctx, pid, sess.ID, 1, attacksession.MergeInput{Owner: "ed", Title: over(attacksession.MaxTitle)}, "ed")
				return err
			}, "title: at most 200 characters"},
			{"reject without a reason", func() error { _, err := svc.Reject(ctx, pid, sess.ID, 1, " ", "ed"); return err },
				"reason: say why the idea is rejected (participants see it)"},
			{"reject with a long reason", func() error {
				_, err := svc.Reject(ctx, pid, sess.ID, 1, over(attacksession.MaxReason), "ed")
				return err
			},
				"reason: at most 1000 characters"},
		} {
			err := c.do()
			if !errors.Is(err, fault.ErrInvalid) || err.Error() != c.want {
				t.Errorf("%s: %v, want invalid %q", c.name, err, c.want)
			}
		}
	})
}
