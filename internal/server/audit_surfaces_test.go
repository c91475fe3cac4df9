package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
)

// TestDedupRecordSameFromAPIAndUI: a product's duplicate definition set
// through the API and through the product page's form writes one record
// each, and the same record (product.dedup, object "product N", the
// fields), differing only in the actor: the API's names the token.
func TestDedupRecordSameFromAPIAndUI(t *testing.T) {
	e := newEnv(t, "sqlite")
	p := e.storeProduct(t, "Alpha")
	if r := e.call(t, "editor", "PUT", fmt.Sprintf("/api/v1/products/%d/dedup", p.ID), map[string]any{"fields": []string{"vulnerability", "component"}}, nil); r.StatusCode != http.StatusOK {
		t.Fatalf("PUT dedup: %d", r.StatusCode)
	}
	s := e.loginOK(t, "ed")
	resp := e.postForm(t, s, fmt.Sprintf("/products/%d/dedup", p.ID), url.Values{"fields": {"vulnerability", "component"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "flash=") {
		t.Fatalf("dedup form: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	evs, err := e.store.AuditEvents(t.Context(), audit.Query{Action: "product.dedup", Limit: -1})
	if err != nil || len(evs) != 2 {
		t.Fatalf("product.dedup records: %d (%v), want one per change", len(evs), err)
	}
	ui, api := evs[0], evs[1] // newest first
	if !regexp.MustCompile(`^ed \(token \d+ test\)$`).MatchString(api.Actor) || ui.Actor != "ed" {
		t.Errorf("actors: API %q, UI %q", api.Actor, ui.Actor)
	}
	want := audit.Event{Source: api.Source, Action: "product.dedup", Object: fmt.Sprintf("product %d", p.ID), ProductID: p.ID, Outcome: audit.OK, Detail: "vulnerability,component"}
	for name, ev := range map[string]audit.Event{"API": api, "UI": ui} {
		ev.Seq, ev.At, ev.Actor, ev.PrevHash, ev.Hash = 0, time.Time{}, "", "", ""
		if ev != want || ev.Source == "" {
			t.Errorf("%s record\n got %+v\nwant %+v", name, ev, want)
		}
	}
}
