package portfolio_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"reflect"
	"testing"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/sbom"
	"github.com/rampart-security/rampart/internal/sbom/sbomgen"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/vuln"
)

// TestStreamedSBOMImport: a document above the stream threshold is
// imported component by component, in batches, and the release ends with
// exactly what the whole-document import gives (components, edges, CPE
// index, count, audit record); an invalid one, or one whose audit record
// cannot be written, leaves the release as it was.
func TestStreamedSBOMImport(t *testing.T) {
	defer portfolio.SetStreamThreshold(1 << 10)()
	good := generated(t, sbomgen.Write, 2500)
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		whole, streamed, res := importWholeAndStreamed(t, st, "bom.json", good)
		if res.Components != 2500 || res.Format != sbom.FormatCycloneDX || res.SpecVersion != "1.6" {
			t.Errorf("result %+v", res)
		}
		if edges := streamedLikeWhole(t, st, whole.ID, streamed.ID, 2500, ""); edges < 2500 {
			t.Errorf("only %d edges streamed", edges)
		}
		rel, _ := st.Release(ctx, streamed.ID)
		if rel.Components != 2500 || rel.SBOMSHA256 != res.SHA256 {
			t.Errorf("release %+v", rel)
		}
		hits, _, err := st.Search(ctx, inventory.SearchQuery{Q: "cpe:2.3:a:vendor3:pkg-000003"})
		if err != nil || len(hits) != 2 {
			t.Errorf("CPE search: %d hits (%v), want 2", len(hits), err)
		}

		// Invalid at component 2400: rejected after batches were written,
		// and the release keeps its components.
		var doc map[string]any
		_ = json.Unmarshal(good, &doc)
		doc["components"].([]any)[2400].(map[string]any)["type"] = "gadget"
		bad, _ := json.Marshal(doc)
		_, err = portfolio.ImportSBOMFrom(ctx, st, streamed.ID, "bad.json", bytes.NewReader(bad), int64(len(bad)))
		var ve *sbom.ValidationError
		if !errors.As(err, &ve) || ve.Path != "/components/2400/type" || fault.KindOf(err) != fault.KindUnprocessable {
			t.Errorf("bad SBOM: %v", err)
		}
		// Duplicate bom-ref far apart: found by the streaming checks.
		doc["components"].([]any)[2400].(map[string]any)["type"] = "library"
		doc["components"].([]any)[2400].(map[string]any)["bom-ref"] = doc["components"].([]any)[7].(map[string]any)["bom-ref"]
		dup, _ := json.Marshal(doc)
		_, err = portfolio.ImportSBOMFrom(ctx, st, streamed.ID, "dup.json", bytes.NewReader(dup), int64(len(dup)))
		if !errors.As(err, &ve) || ve.Path != "/components/2400/bom-ref" {
			t.Errorf("duplicate bom-ref: %v", err)
		}
		// The audit log cannot be written: the streamed import rolls back.
		if _, err := st.DB().ExecContext(ctx, `ALTER TABLE audit_log RENAME TO audit_log_away`); err != nil {
			t.Fatal(err)
		}
		other := ensureRelease(t, st, "Gateway", "3")
		if _, err := portfolio.ImportSBOMFrom(ctx, st, other.ID, "bom.json", bytes.NewReader(good), int64(len(good))); err == nil {
			t.Error("streamed import succeeded without its audit record")
		}
		if _, err := st.DB().ExecContext(ctx, `ALTER TABLE audit_log_away RENAME TO audit_log`); err != nil {
			t.Fatal(err)
		}
		if c, _ := st.AllComponents(ctx, other.ID); len(c) != 0 {
			t.Errorf("%d components after the failed import", len(c))
		}
		b2, _ := st.AllComponents(ctx, streamed.ID)
		if len(b2) != 2500 {
			t.Errorf("release lost its components after rejected imports: %d", len(b2))
		}
		evs, err := st.AuditEvents(ctx, audit.Query{Action: "sbom.import"})
		if err != nil || len(evs) != 2 {
			t.Errorf("audit events: %d (%v), want 2", len(evs), err)
		}
	})
}

// TestStreamedSBOMImportXMLAndSPDX: CycloneDX XML, SPDX JSON and SPDX 3
// JSON-LD above the stream threshold are streamed into the store with exactly the
// components and edges of the whole-document import, on both engines; a
// truncated one is rejected (422) and leaves the release as it was.
func TestStreamedSBOMImportXMLAndSPDX(t *testing.T) {
	defer portfolio.SetStreamThreshold(1 << 10)()
	for _, enc := range []struct {
		name, format string
		write        func(io.Writer, int) error
	}{
		{"bom.cdx.xml", sbom.FormatCycloneDX, sbomgen.WriteXML},
		{"bom.spdx.json", sbom.FormatSPDX, sbomgen.WriteSPDX},
		{"bom.spdx3.json", sbom.FormatSPDX, sbomgen.WriteSPDX3},
	} {
		good := generated(t, enc.write, 1200)
		storetest.ForEach(t, func(t *testing.T, st *store.Store) {
			ctx := context.Background()
			whole, streamed, res := importWholeAndStreamed(t, st, enc.name, good)
			if res.Components != 1200 || res.Format != enc.format {
				t.Errorf("%s: result %+v", enc.name, res)
			}
			if edges := streamedLikeWhole(t, st, whole.ID, streamed.ID, 1200, enc.name+": "); edges < 1200 {
				t.Errorf("%s: only %d edges streamed", enc.name, edges)
			}
			// Cut in the middle: rejected with the file named, nothing changed.
			cut := good[:len(good)/2]
			_, err := portfolio.ImportSBOMFrom(ctx, st, streamed.ID, enc.name, bytes.NewReader(cut), int64(len(cut)))
			if err == nil || fault.KindOf(err) != fault.KindUnprocessable || !bytes.Contains([]byte(err.Error()), []byte(enc.name)) {
				t.Errorf("%s cut: %v", enc.name, err)
			}
			if c, _ := st.AllComponents(ctx, streamed.ID); len(c) != 1200 {
				t.Errorf("%s: %d components after the rejected cut", enc.name, len(c))
			}
		})
	}
}

// importWholeAndStreamed imports the SBOM good (file name) whole into
// release 1 of product "Gateway" and streamed into its release 2, and
// returns both releases and the result of the streamed import.
func importWholeAndStreamed(t *testing.T, st *store.Store, name string, good []byte) (whole, streamed inventory.Release, res portfolio.ImportResult) {
	t.Helper()
	ctx := context.Background()
	whole = ensureRelease(t, st, "Gateway", "1")
	streamed = ensureRelease(t, st, "Gateway", "2")
	if _, err := portfolio.ImportSBOM(ctx, st, whole.ID, name, good); err != nil {
		t.Fatal(err)
	}
	res, err := portfolio.ImportSBOMFrom(ctx, st, streamed.ID, name, bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	return whole, streamed, res
}

// streamedLikeWhole fails the test unless release streamed holds the n
// components of release whole, the same but for their ids, and returns the
// number of dependency edges of the streamed components; prefix starts the
// failure messages.
func streamedLikeWhole(t *testing.T, st *store.Store, whole, streamed int64, n int, prefix string) int {
	t.Helper()
	ctx := context.Background()
	a, _ := st.AllComponents(ctx, whole)
	b, _ := st.AllComponents(ctx, streamed)
	if len(a) != n || len(b) != len(a) {
		t.Fatalf("%s%d components whole, %d streamed", prefix, len(a), len(b))
	}
	edges := 0
	for i := range a {
		a[i].ID, b[i].ID = 0, 0
		edges += len(b[i].DependsOn)
		if !reflect.DeepEqual(a[i], b[i]) {
			x, _ := json.Marshal(a[i])
			y, _ := json.Marshal(b[i])
			t.Fatalf("%scomponent %d:\n whole    %s\n streamed %s", prefix, i, x, y)
		}
	}
	return edges
}

// TestTrivySourcePackageMatch: a Trivy CycloneDX SBOM names libssl3's
// source package, openssl, only in its aquasecurity:trivy:Src* properties
// (internal/sbom/testdata/trivy-srcpkg.cdx.json, hand-written after
// Trivy's property names). Imported whole and streamed, on both engines,
// the stored libssl3 is found by the OSV Debian record named by the
// source package; in the same SBOM without the source name it is not.
func TestTrivySourcePackageMatch(t *testing.T) {
	defer portfolio.SetStreamThreshold(1 << 10)()
	data, err := os.ReadFile("../sbom/testdata/trivy-srcpkg.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	stripped := bytes.ReplaceAll(data, []byte(`"aquasecurity:trivy:SrcName"`), []byte(`"aquasecurity:trivy:Unknown"`))
	adv := vuln.Advisory{ID: "DSA-5532-1", Aliases: []string{"CVE-2023-5363"}, Affected: []vuln.Affected{{Ecosystem: "Debian:12", Name: "openssl",
		Ranges: []vuln.Range{{Type: vuln.RangeEcosystem, Events: []vuln.Event{{Introduced: "0"}, {Fixed: "3.0.11-1~deb12u2"}}}}}}}
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if _, err := st.ImportAdvisories(ctx, []vuln.Advisory{adv}, nil, nil, nil, vuln.FeedImport{Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		for _, doc := range []struct {
			name string
			data []byte
			want bool
		}{{"trivy.cdx.json", data, true}, {"trivy-nosrc.cdx.json", stripped, false}} {
			whole, streamed, _ := importWholeAndStreamed(t, st, doc.name, doc.data)
			for _, rel := range []int64{whole.ID, streamed.ID} {
				if _, err := portfolio.NewVulns(st, nil).Rematch(ctx, rel); err != nil {
					t.Fatal(err)
				}
				rvs, err := st.ReleaseVulns(ctx, rel)
				if err != nil {
					t.Fatal(err)
				}
				// the openssl binary package is its own source and
				// matches either way
				libssl, openssl := 0, 0
				for _, rv := range rvs {
					switch {
					case rv.VulnID != "DSA-5532-1":
						t.Errorf("%s: %s matched %s", doc.name, rv.ComponentName, rv.VulnID)
					case rv.ComponentName == "libssl3":
						libssl++
					case rv.ComponentName == "openssl":
						openssl++
					}
				}
				if want := map[bool]int{true: 1}[doc.want]; libssl != want || openssl != 1 {
					t.Errorf("%s release %d: libssl3 matched %d times (want %d), openssl %d (want 1)", doc.name, rel, libssl, want, openssl)
				}
			}
		}
	})
}
