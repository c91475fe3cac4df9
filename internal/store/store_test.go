package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/blob"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// createProduct creates a product named name, failing the test on an error.
func createProduct(t *testing.T, s *store.Store, name string) inventory.Product {
	t.Helper()
	p := inventory.Product{Name: name}
	if err := s.CreateProduct(context.Background(), &p); err != nil {
		t.Fatalf("create product %q: %v", name, err)
	}
	return p
}

// createRelease creates a release of a product, failing the test on an
// error.
func createRelease(t *testing.T, s *store.Store, productID int64, version string) inventory.Release {
	t.Helper()
	r := inventory.Release{ProductID: productID, Version: version}
	if err := s.CreateRelease(context.Background(), &r); err != nil {
		t.Fatalf("create release %s of product %d: %v", version, productID, err)
	}
	return r
}

// ensureRelease is Store.EnsureRelease, failing the test on an error.
func ensureRelease(t *testing.T, s *store.Store, product, version string) inventory.Release {
	t.Helper()
	r, err := s.EnsureRelease(context.Background(), product, version)
	if err != nil {
		t.Fatalf("ensure release %s %s: %v", product, version, err)
	}
	return r
}

func TestProductsAndReleases(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.Ready(ctx); err != nil {
			t.Fatalf("Ready: %v", err)
		}
		p := inventory.Product{Name: "Smart Thermostat", Criticality: 4, Exposure: inventory.ExposureInternet}
		if err := s.CreateProduct(ctx, &p); err != nil {
			t.Fatal(err)
		}
		dup := inventory.Product{Name: "Smart Thermostat"}
		if err := s.CreateProduct(ctx, &dup); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("duplicate product: got %v, want ErrConflict", err)
		}
		bad := inventory.Product{Name: "x", Criticality: 9}
		if err := s.CreateProduct(ctx, &bad); fault.FieldOf(err) != "criticality" {
			t.Errorf("criticality 9: got %v, want validation error on criticality", err)
		}
		day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		r := inventory.Release{ProductID: p.ID, Version: "2.4.1", ReleaseDate: &day, Status: inventory.StatusShipped}
		if err := s.CreateRelease(ctx, &r); err != nil {
			t.Fatal(err)
		}
		got, err := s.Release(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != "2.4.1" || got.ProductName != "Smart Thermostat" || got.ReleaseDate == nil || !got.ReleaseDate.Equal(day) || got.Status != inventory.StatusShipped {
			t.Errorf("release round trip: %+v", got)
		}
		if _, err := s.Release(ctx, 9999); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("missing release: %v", err)
		}
		// EnsureRelease creates what is missing and finds what exists.
		r2, err := s.EnsureRelease(ctx, "Industrial Gateway", "1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		r3, err := s.EnsureRelease(ctx, "Industrial Gateway", "1.0.0")
		if err != nil || r3.ID != r2.ID {
			t.Errorf("EnsureRelease not idempotent: %v %d %d", err, r2.ID, r3.ID)
		}
		// Pagination over products.
		for i := range 5 {
			if err := s.CreateProduct(ctx, &inventory.Product{Name: fmt.Sprintf("P%02d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		var names []string
		cur := ""
		for {
			page, next, err := s.Products(ctx, cur, 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page {
				names = append(names, p.Name)
			}
			if next == "" {
				break
			}
			cur = next
		}
		if len(names) != 7 || names[0] != "Industrial Gateway" || names[6] != "Smart Thermostat" {
			t.Errorf("paged products = %v", names)
		}
		if _, _, err := s.Products(ctx, "garbage!", 3); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("bad cursor: %v", err)
		}
	})
}

func gatewayComponents() []inventory.Component {
	return []inventory.Component{
		{Ref: "fw", Type: inventory.TypeFirmware, Name: "gateway-firmware", Version: "2.4.1", DependsOn: []string{"busybox", "openssl"}},
		{Ref: "busybox", Type: inventory.TypeApplication, Name: "BusyBox", Version: "1.36.1", CPEs: []string{"cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"}, Licenses: []string{"GPL-2.0-only"}},
		{Ref: "openssl", Type: inventory.TypeLibrary, Name: "openssl", Version: "3.0.13", PURL: "pkg:generic/openssl@3.0.13",
			Hashes: []inventory.Hash{{Algorithm: "SHA-256", Value: "88525753f79d3bec27d2fa7c66aa0b92b3aa9498dafd93d7cfa4b3780cdae313"}}, Licenses: []string{"Apache-2.0"}, Supplier: "OpenSSL Foundation"},
		{Ref: "", Type: inventory.TypeLibrary, Name: "zlib", Version: "1.3.1"},
		{Ref: "", Type: inventory.TypeLibrary, Name: "zlib", Version: "1.3.1"},
	}
}

func TestImportComponentsAndSearch(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := ensureRelease(t, s, "Gateway", "2.4.1")
		raw := blob.New("bom.json", "application/vnd.cyclonedx+json", []byte(`{"bomFormat":"CycloneDX"}`))
		if err := s.ImportComponents(ctx, r.ID, gatewayComponents(), raw); err != nil {
			t.Fatal(err)
		}
		r, _ = s.Release(ctx, r.ID)
		if r.Components != 5 || r.SBOMSHA256 != raw.SHA256 {
			t.Errorf("release after import: %+v", r)
		}
		b, err := s.Blob(ctx, raw.SHA256)
		if err != nil || string(b.Content) != `{"bomFormat":"CycloneDX"}` {
			t.Errorf("blob: %v %q", err, b.Content)
		}
		all, err := s.AllComponents(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 5 || all[0].DependsOn[1] != "openssl" || all[2].Hashes[0].Value[:6] != "885257" || all[1].CPEs[0] == "" {
			t.Errorf("components round trip: %+v", all)
		}
		if all[3].Ref == all[4].Ref {
			t.Errorf("duplicate refs not made unique: %q", all[3].Ref)
		}
		// Sorting, filtering and paging on the server.
		page, next, err := s.Components(ctx, inventory.ComponentQuery{ReleaseID: r.ID, Sort: "name", Limit: 2})
		if err != nil || len(page) != 2 || page[0].Name != "BusyBox" || next == "" {
			t.Fatalf("page 1: %v %+v %q", err, page, next)
		}
		page2, _, err := s.Components(ctx, inventory.ComponentQuery{ReleaseID: r.ID, Sort: "name", Limit: 2, After: next})
		if err != nil || len(page2) != 2 || page2[0].Name != "openssl" {
			t.Fatalf("page 2: %v %+v", err, page2)
		}
		desc, _, _ := s.Components(ctx, inventory.ComponentQuery{ReleaseID: r.ID, Sort: "version", Desc: true, Limit: 1})
		if len(desc) != 1 || desc[0].Version != "3.0.13" {
			t.Errorf("version desc: %+v", desc)
		}
		filt, _, _ := s.Components(ctx, inventory.ComponentQuery{ReleaseID: r.ID, Filter: "apache"})
		if len(filt) != 1 || filt[0].Name != "openssl" {
			t.Errorf("filter by licence: %+v", filt)
		}
		// A failing import changes nothing.
		broken := gatewayComponents()
		if err := s.ImportComponents(ctx, 424242, broken, blob.Blob{}); err == nil {
			t.Error("import into missing release succeeded")
		}
		all2, _ := s.AllComponents(ctx, r.ID)
		if len(all2) != 5 {
			t.Errorf("components changed by failed import: %d", len(all2))
		}
		// Portfolio search by name prefix, purl, CPE and version range.
		r2, _ := s.EnsureRelease(ctx, "Gateway", "2.5.0")
		c2 := gatewayComponents()
		c2[2].Version, c2[2].PURL = "3.1.4", "pkg:generic/openssl@3.1.4"
		if err := s.ImportComponents(ctx, r2.ID, c2, blob.Blob{}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			q, version string
			want       int
		}{
			{"openssl", "", 2},
			{"OpenSSL", "3.0.x", 1},
			{"openssl", ">=3.1", 1},
			{"busy", "", 2},
			{"pkg:generic/openssl@3.1", "", 1},
			{"cpe:2.3:a:busybox:busybox", "", 2},
			{"nothing-like-this", "", 0},
		} {
			hits, _, err := s.Search(ctx, inventory.SearchQuery{Q: tc.q, Version: tc.version})
			if err != nil {
				t.Fatalf("search %q: %v", tc.q, err)
			}
			if len(hits) != tc.want {
				t.Errorf("search %q %q: %d hits, want %d", tc.q, tc.version, len(hits), tc.want)
			}
			for _, h := range hits {
				if h.ProductName != "Gateway" || h.ReleaseVersion == "" {
					t.Errorf("hit without release: %+v", h)
				}
			}
		}
		hits, next, err := s.Search(ctx, inventory.SearchQuery{Q: "openssl", Limit: 1})
		if err != nil || len(hits) != 1 || next == "" {
			t.Fatalf("search page 1: %v %d %q", err, len(hits), next)
		}
		hits2, next2, err := s.Search(ctx, inventory.SearchQuery{Q: "openssl", Limit: 1, After: next})
		if err != nil || len(hits2) != 1 || next2 != "" || hits2[0].ReleaseID == hits[0].ReleaseID {
			t.Errorf("search page 2: %v %+v %q", err, hits2, next2)
		}
	})
}

func TestUsersSessionsTokens(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := identity.User{Name: "alice", Role: identity.RoleEditor, PasswordHash: "x"}
		if err := s.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		plain, csrf, err := s.CreateSession(ctx, u.ID, "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.SessionPrincipal(ctx, plain)
		if err != nil || p.Name != "alice" || p.Role != identity.RoleEditor || p.CSRF != csrf {
			t.Fatalf("session: %v %+v", err, p)
		}
		if _, err := s.SessionPrincipal(ctx, plain+"x"); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("wrong session accepted: %v", err)
		}
		if err := s.DeleteSession(ctx, p.SessionHash); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionPrincipal(ctx, plain); err == nil {
			t.Error("deleted session still valid")
		}
		tok, info, err := s.CreateAPIToken(ctx, u.ID, "ci", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.TokenPrincipal(ctx, tok); err != nil {
			t.Fatalf("token: %v", err)
		}
		list, _ := s.APITokens(ctx, u.ID)
		if len(list) != 1 || list[0].LastUsedAt == nil || list[0].Prefix != tok[:10] {
			t.Errorf("token list: %+v", list)
		}
		if err := s.RevokeAPIToken(ctx, u.ID, info.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TokenPrincipal(ctx, tok); err == nil {
			t.Error("revoked token still valid")
		}
		expired, _, _ := s.CreateAPIToken(ctx, u.ID, "old", time.Nanosecond)
		time.Sleep(2 * time.Millisecond)
		if _, err := s.TokenPrincipal(ctx, expired); err == nil {
			t.Error("expired token valid")
		}
		// Setup links work exactly once.
		link, err := s.CreateSetupToken(ctx, "setup", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !s.ValidSetupToken(ctx, link, "setup") {
			t.Fatal("fresh setup token invalid")
		}
		admin := identity.User{Name: "root-admin", Role: identity.RoleAdmin, PasswordHash: "y"}
		if err := s.CompleteSetup(ctx, link, &admin); err != nil {
			t.Fatal(err)
		}
		again := identity.User{Name: "second", Role: identity.RoleAdmin}
		if err := s.CompleteSetup(ctx, link, &again); err == nil {
			t.Error("setup link reused")
		}
		if n, _ := s.CountUsers(ctx); n != 2 {
			t.Errorf("users = %d, want 2", n)
		}
	})
}

// TestConfigValidate checks database URLs without connecting; Open refuses
// the same ones.
func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		url, want string
	}{
		{"", ""},
		{"postgres://rampart@db/rampart", ""},
		{"postgresql://rampart:secret@db:5432/rampart?sslmode=require", ""},
		{"mysql://db/rampart", "only postgres:// URLs"},
		{"postgres://db:port/rampart", "--database"},
		{"postgres://rampart:hunter2@db:port/x", "--database"},
	} {
		err := store.Config{DatabaseURL: tc.url}.Validate()
		if tc.want == "" && err != nil {
			t.Errorf("%q: %v", tc.url, err)
		}
		if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%q: error %v, want one containing %q", tc.url, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: the error shows the password: %v", tc.url, err)
		}
	}
}
