package portfolio_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/conformity"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/threatmodel"
	"github.com/rampart-security/rampart/internal/updates"
)

func mustReport(t *testing.T, svc *portfolio.Conformity, rel int64, catalog string) *conformity.Report {
	t.Helper()
	r, err := svc.Report(context.Background(), rel, catalog)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestConformityFromStore: a release's assessment is filled from what the
// store holds (SBOM, threat model with its ETSI-mapped rules, support
// period), extra evidence sources are consulted, manual answers are
// versioned and reviewed by someone other than their author, and both are
// audited.
func TestConformityFromStore(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		lib, err := threatmodel.DefaultLibrary()
		if err != nil {
			t.Fatal(err)
		}
		rel := ensureRelease(t, st, "Gateway", "1.6.0")
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		firmware := func(_ context.Context, e *conformity.Evidence) error {
			e.Firmware = &conformity.FirmwareEvidence{Image: "gw.img", Issues: []conformity.FirmwareIssue{{ID: "7", Kind: "cleartext_service", Path: "/etc/inittab"}}}
			return nil
		}
		svc := portfolio.NewConformity(st, lib, func() time.Time { return now }, firmware)

		cra, err := svc.Report(ctx, rel.ID, conformity.CRA)
		if err != nil {
			t.Fatal(err)
		}
		item := func(r *conformity.Report, id string) conformity.Result {
			for _, it := range r.Items {
				if it.ID == id {
					return it
				}
			}
			t.Fatalf("no item %s", id)
			return conformity.Result{}
		}
		if it := item(cra, "II.1"); it.Status != conformity.NotMet || !strings.Contains(it.Justification, "no SBOM") {
			t.Errorf("II.1 without an SBOM: %+v", it)
		}
		if it := item(cra, "I.2j"); it.Status != conformity.NotMet || !strings.Contains(it.Justification, "/etc/inittab") {
			t.Errorf("I.2j from the firmware source: %+v", it)
		}

		// An SBOM and a threat model make their items answerable.
		data, err := os.ReadFile("../sbom/testdata/gateway-fw-1.6.cdx.json")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := portfolio.ImportSBOM(ctx, st, rel.ID, "gateway.cdx.json", data); err != nil {
			t.Fatal(err)
		}
		model := "rampart: threatmodel/v1\ntitle: Gateway\nelements:\n  - {id: user, name: User, type: external_entity}\n  - {id: gw, name: Gateway, type: device}\nflows:\n  - {id: f, from: user, to: gw, protocol: http}\n"
		if _, err := portfolio.SaveThreatModel(ctx, st, rel.ProductID, []byte(model), "gw.yaml", "", "alice"); err != nil {
			t.Fatal(err)
		}
		cra, err = svc.Report(ctx, rel.ID, conformity.CRA)
		if err != nil {
			t.Fatal(err)
		}
		if it := item(cra, "II.1"); it.Status != conformity.Met || it.Evidence[0].Kind != "sbom" {
			t.Errorf("II.1 with an SBOM: %+v", it)
		}
		etsi, err := svc.Report(ctx, rel.ID, conformity.ETSI)
		if err != nil {
			t.Fatal(err)
		}
		if it := item(etsi, "5.5-1"); it.Status != conformity.NotMet {
			t.Errorf("5.5-1 with an unencrypted http flow and a cleartext service: %+v", it)
		}
		if etsi.Summary.Met+etsi.Summary.NotMet+etsi.Summary.NeedsEvidence+etsi.Summary.NotApplicable != len(etsi.Items) {
			t.Errorf("summary %+v", etsi.Summary)
		}

		// Manual answers: validated, versioned, reviewed by another person.
		if _, err := svc.Answer(ctx, rel.ID, conformity.Answer{Catalog: conformity.ETSI, Item: "5.8-3", Status: conformity.NotApplicable}, "alice"); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("answer without justification: %v", err)
		}
		a, err := svc.Answer(ctx, rel.ID, conformity.Answer{Catalog: conformity.ETSI, Item: "5.8-3", Status: conformity.NotApplicable, Justification: "no sensors"}, "alice")
		if err != nil || a.Version != 1 {
			t.Fatalf("answer: %+v %v", a, err)
		}
		if a, err = svc.Answer(ctx, rel.ID, conformity.Answer{Catalog: conformity.ETSI, Item: "5.8-3", Status: conformity.NotApplicable, Justification: "the device has no sensors of any kind"}, "alice"); err != nil || a.Version != 2 {
			t.Fatalf("second answer: %+v %v", a, err)
		}
		if _, err := svc.Review(ctx, rel.ID, conformity.ETSI, "5.8-3", "alice"); !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("author reviewed own answer: %v", err)
		}
		if r, err := svc.Review(ctx, rel.ID, conformity.ETSI, "5.8-3", "bob"); err != nil || r.Reviewer != "bob" || r.Version != 2 || r.ReviewedAt == nil {
			t.Errorf("review: %+v %v", r, err)
		}
		if _, err := svc.Review(ctx, rel.ID, conformity.ETSI, "5.11-1", "bob"); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("review of an unanswered item: %v", err)
		}
		etsi, _ = svc.Report(ctx, rel.ID, conformity.ETSI)
		if it := item(etsi, "5.8-3"); it.Status != conformity.NotApplicable || it.Answer == nil || it.Answer.Reviewer != "bob" || !strings.Contains(it.Justification, "of any kind") {
			t.Errorf("5.8-3 after answers: %+v", it)
		}
		events, err := st.AuditEvents(ctx, audit.Query{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range events {
			if strings.HasPrefix(e.Action, "conformity.") {
				actions = append(actions, e.Action)
			}
		}
		if len(actions) != 3 {
			t.Errorf("audited conformity events: %v", actions)
		}

		// The production service links the product's published advisories (not drafts).
		full := portfolio.NewConformityService(st, lib)
		for i, status := range []advisory.Status{advisory.StatusDraft, advisory.StatusPublished} {
			a := &advisory.Advisory{ProductID: rel.ProductID, TrackingID: fmt.Sprintf("GW-2026-%03d", i+1), Title: "t", TLP: "WHITE", Status: status, Author: "alice",
				Document: []byte(`{}`), CreatedAt: now, UpdatedAt: now}
			if err := st.CreateCSAFAdvisory(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		cra, err = full.Report(ctx, rel.ID, conformity.CRA)
		if err != nil {
			t.Fatal(err)
		}
		if it := item(cra, "II.4"); it.Status != conformity.Met || len(it.Evidence) != 1 || it.Evidence[0].ID != "GW-2026-002" {
			t.Errorf("II.4 with one published advisory: %+v", it)
		}

		// A firmware analysis of the release is evidence: its issues fail 5.1-1.
		img, err := os.ReadFile("../firmware/testdata/rootfs.sqsh")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := portfolio.ImportFirmware(ctx, st, portfolio.FirmwareRequest{ReleaseID: rel.ID, FileName: "rootfs.sqsh", Image: img, Actor: "ci"}); err != nil {
			t.Fatal(err)
		}
		etsi, err = full.Report(ctx, rel.ID, conformity.ETSI)
		if err != nil {
			t.Fatal(err)
		}
		if it := item(etsi, "5.1-1"); it.Status != conformity.NotMet || !strings.Contains(it.Justification, "rootfs.sqsh") || it.Evidence[0].Kind != "firmware_issue" {
			t.Errorf("5.1-1 after a firmware analysis with default passwords: %+v", it)
		}
		// The stored analysis gives each binary's hardening: I.2k is decided, not "needs evidence".
		cra, err = full.Report(ctx, rel.ID, conformity.CRA)
		if err != nil {
			t.Fatal(err)
		}
		if it := item(cra, "I.2k"); it.Status == conformity.NeedsEvidence || !strings.Contains(it.Justification, "binaries") ||
			len(it.Evidence) == 0 || it.Evidence[0].URL != fmt.Sprintf("/releases/%d/firmware", rel.ID) {
			t.Errorf("I.2k (hardening) after a firmware analysis: %+v", it)
		}

		// A signed update repository with a published image answers CRA II.7.
		key := make([]byte, 32)
		seal, err := updates.NewAESSealer(key, "test")
		if err != nil {
			t.Fatal(err)
		}
		us := updates.New(st, seal, func() time.Time { return time.Now() })
		if _, err := us.Init(ctx, updates.InitRequest{Slug: "gateway", ProductID: rel.ProductID, SaveKeys: func([]updates.Key) error { return nil }}); err != nil {
			t.Fatal(err)
		}
		if it := item(mustReport(t, full, rel.ID, conformity.CRA), "II.7"); it.Status != conformity.NeedsEvidence {
			t.Errorf("II.7 with an empty repository: %+v", it)
		}
		if _, err := us.Publish(ctx, updates.PublishRequest{Slug: "gateway", Name: "gw-1.6.0.img", Content: []byte("image"), Version: "1.6.0"}); err != nil {
			t.Fatal(err)
		}
		if it := item(mustReport(t, full, rel.ID, conformity.CRA), "II.7"); it.Status != conformity.Met || it.Evidence[0].URL != fmt.Sprintf("/products/%d/updates", rel.ProductID) {
			t.Errorf("II.7 with a published image: %+v", it)
		}

		ov, err := svc.Overview(ctx, conformity.ETSI, nil)
		if err != nil || len(ov) != 1 || ov[0].ReleaseID != rel.ID || ov[0].MandatoryGaps == 0 {
			t.Errorf("overview: %+v %v", ov, err)
		}
		if ov, _ := svc.Overview(ctx, conformity.ETSI, []int64{}); len(ov) != 0 {
			t.Errorf("overview for no visible product: %+v", ov)
		}
		if _, err := svc.Report(ctx, rel.ID, "nist-800-53"); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("unknown catalogue: %v", err)
		}
	})
}

// TestConformityExploitedByOneRule: "no known exploited vulnerability"
// (CRA Annex I 2a) uses the rule incidents and `rampart match` use
// (vuln.ExploitationSignals): an EUVD report of active exploitation fails
// it, not only a CISA KEV entry.
func TestConformityExploitedByOneRule(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		lib, err := threatmodel.DefaultLibrary()
		if err != nil {
			t.Fatal(err)
		}
		rel := shippedRelease(t, st, "Gateway", "2.1.0", inventory.StatusShipped, nil)
		write := tempWriter(t)
		osvPath := write("GHSA-35jh-r3h4-6jhm.json", osvLodash)
		svc := portfolio.NewConformity(st, lib, nil)
		check := func() conformity.CheckResult {
			t.Helper()
			for _, it := range mustReport(t, svc, rel.ID, conformity.CRA).Items {
				for _, c := range it.Checks {
					if it.ID == "I.2a" && c.Check == "vulns.no_exploited" {
						return c
					}
				}
			}
			t.Fatal("no check vulns.no_exploited in CRA I.2a")
			return conformity.CheckResult{}
		}
		importFeeds(t, st, osvPath)
		if c := check(); c.State != "pass" {
			t.Fatalf("lodash matched, no exploitation report: %+v", c)
		}
		importFeeds(t, st, osvPath, write("exploitedvulnerabilities.json", euvdLodash))
		if c := check(); c.State != "fail" || !strings.Contains(c.Why, "EUVD") || !strings.Contains(c.Why, "GHSA-35jh-r3h4-6jhm") {
			t.Fatalf("after an EUVD exploitation report: %+v", c)
		}
	})
}
