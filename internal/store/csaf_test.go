package store_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/advisory/csaf"
	"github.com/rampart-security/rampart/internal/advisory/provider"
	"github.com/rampart-security/rampart/internal/advisory/signing"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

func gatewayInput() advisory.Input {
	return advisory.Input{Title: "BusyBox awk heap overflow in IG-400 firmware", Summary: "Firmware 2.3 ships BusyBox 1.35.0.", Vendor: "Northwind Devices",
		Vulnerabilities: []advisory.VulnInput{{CVE: "CVE-2022-48174", Description: "Stack overflow in BusyBox ash.", CWE: &csaf.CWE{ID: "CWE-787", Name: "Out-of-bounds Write"},
			CVSSv3: []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
			Releases: []advisory.ReleaseStatus{
				{Product: "IG-400", Version: "2.3.0", Status: advisory.Affected, FixedIn: "2.4.1", Workaround: "Disable the web shell."},
				{Product: "IG-400", Version: "2.2.0", Status: advisory.NotAffected, Justification: "vulnerable_code_not_present", Impact: "BusyBox awk is not built."},
				{Product: "IG-400", Version: "2.4.0", Status: advisory.UnderInvestigation},
			}}}}
}

// TestCSAFKeysFirstUse: on a store without a signing key, Keys generates
// the first one (as EnsureKey does) and lists it without its private part;
// later calls list the same key.
func TestCSAFKeysFirstUse(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc := advisory.NewService(s, advisory.Config{Publisher: provider.Publisher{Category: "vendor", Name: "Northwind Devices", Namespace: "https://northwind.example"}},
			func() time.Time { return time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC) })
		keys, err := svc.Keys(ctx)
		if err != nil || len(keys) != 1 || keys[0].Fingerprint == "" || keys[0].Public == "" || keys[0].Private != "" {
			t.Fatalf("first Keys: %d keys %v (want one public key)", len(keys), err)
		}
		again, err := svc.Keys(ctx)
		if err != nil || len(again) != 1 || again[0].Fingerprint != keys[0].Fingerprint {
			t.Fatalf("second Keys: %+v %v, want the same key %s", again, err, keys[0].Fingerprint)
		}
		if k, err := svc.EnsureKey(ctx); err != nil || k.Fingerprint != keys[0].Fingerprint {
			t.Fatalf("EnsureKey after Keys: %s %v, want %s", k.Fingerprint, err, keys[0].Fingerprint)
		}
	})
}

func TestCSAFWorkflow(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		clock := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		svc := advisory.NewService(s, advisory.Config{Publisher: provider.Publisher{Category: "vendor", Name: "Northwind Devices", Namespace: "https://northwind.example"}},
			func() time.Time { return clock })
		doc, err := advisory.Build(gatewayInput())
		if err != nil {
			t.Fatal(err)
		}
		a, err := svc.Create(ctx, "alice", advisory.Draft{TLP: "WHITE", RequireReview: true, Document: doc})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(a.TrackingID, "RAMPART-SA-2026-") || a.Status != advisory.StatusDraft {
			t.Fatalf("draft: %+v", a)
		}
		res, err := svc.Check(ctx, a.ID)
		if err != nil || !res.Valid {
			t.Fatalf("authored draft is not valid: %v %+v", err, res.Failures)
		}
		if _, err := svc.Publish(ctx, "alice", a.ID, ""); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("publish a draft that requires review: %v", err)
		}
		if _, err := svc.Submit(ctx, "alice", a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Publish(ctx, "alice", a.ID, ""); !errors.Is(err, fault.ErrForbidden) {
			t.Fatalf("author publishing alone: %v, want forbidden", err)
		}
		clock = clock.Add(time.Hour)
		pub, err := svc.Publish(ctx, "bob", a.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if pub.Status != advisory.StatusPublished || pub.Reviewer != "bob" || pub.PublishedVersion != "1" {
			t.Fatalf("published: %+v", pub)
		}
		got, err := s.PublishedFile(ctx, "WHITE", 2026, csaf.Filename(a.TrackingID))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Published, pub.Published) {
			t.Fatal("stored bytes differ from the published bytes")
		}
		if r, _ := csaf.Validate(got.Published); !r.Valid {
			t.Fatalf("published document invalid: %+v", r.Failures)
		}
		keys, _ := s.SigningKeys(ctx)
		if len(keys) != 1 || signing.Verify(keys[0].Public, got.Published, got.Signature) != nil {
			t.Fatal("signature does not verify with the current key")
		}
		// Feed.
		var feed bytes.Buffer
		if err := provider.WriteFeed(&feed, "https://x", "WHITE", clock, s.PublishedEntries(ctx, "WHITE")); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(feed.String(), "/.well-known/csaf/white/2026/"+csaf.Filename(a.TrackingID)) {
			t.Fatalf("feed lacks the advisory: %s", feed.String())
		}
		// Rotation re-signs.
		k2, n, err := svc.RotateKey(ctx)
		if err != nil || n != 1 {
			t.Fatalf("rotate: %d %v", n, err)
		}
		got, _ = s.PublishedFile(ctx, "WHITE", 2026, csaf.Filename(a.TrackingID))
		if got.SignedBy != k2.Fingerprint || signing.Verify(k2.Public, got.Published, got.Signature) != nil {
			t.Fatal("after rotation the advisory is not signed with the new key")
		}
		// Revision: edit → draft again, the published copy keeps being served.
		d2 := doc
		d2.Document.Title = "BusyBox awk heap overflow in IG-400 firmware (update)"
		if _, err := svc.Update(ctx, "alice", a.ID, d2, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PublishedFile(ctx, "WHITE", 2026, csaf.Filename(a.TrackingID)); err != nil {
			t.Fatal("published copy vanished during the revision")
		}
		svc.Submit(ctx, "alice", a.ID)
		clock = clock.Add(24 * time.Hour)
		rev, err := svc.Publish(ctx, "bob", a.ID, "Title clarified")
		if err != nil {
			t.Fatal(err)
		}
		if rev.PublishedVersion != "2" || !rev.InitialReleaseDate.Equal(pub.InitialReleaseDate) {
			t.Fatalf("revision: version %s initial %v", rev.PublishedVersion, rev.InitialReleaseDate)
		}
		if r, _ := csaf.Validate(rev.Published); !r.Valid {
			t.Fatalf("revision invalid: %+v", r.Failures)
		}
		// An invalid edit cannot be submitted.
		bad := doc
		bad.Vulnerabilities = append([]csaf.Vulnerability(nil), doc.Vulnerabilities...)
		bad.Vulnerabilities[0].ProductStatus = &csaf.ProductStatus{KnownAffected: []string{"nope"}}
		if _, err := svc.Update(ctx, "alice", a.ID, bad, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Submit(ctx, "alice", a.ID); !errors.Is(err, fault.ErrUnprocessable) {
			t.Fatalf("submitting an invalid advisory: %v", err)
		}
	})
}
