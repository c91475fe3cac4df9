package portfolio_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// TestUseCaseErrorKinds: the use cases classify their errors with the
// fault vocabulary (no error carries its own HTTP status), and the
// messages still name the file and the position or field.
func TestUseCaseErrorKinds(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel := ensureRelease(t, st, "Gateway", "1.0")
		// A truncated report: unprocessable, naming the file and the byte.
		_, err := portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: "cut.sarif", Actor: "ci",
			Report: strings.NewReader(`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"CodeQL"`)})
		if !errors.Is(err, fault.ErrUnprocessable) || !strings.HasPrefix(err.Error(), "sarif report: cut.sarif: at byte 35:") {
			t.Errorf("truncated report: %v", err)
		}
		// An invalid SBOM: unprocessable, naming the file and the path.
		_, err = portfolio.ImportSBOM(ctx, st, rel.ID, "bom.json", []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"x"}]}`))
		if fault.KindOf(err) != fault.KindUnprocessable || err.Error() != "bom.json: /components/0: missing property 'type'" {
			t.Errorf("invalid SBOM: %v", err)
		}
		// An invalid model: unprocessable, naming file, line and column.
		_, err = portfolio.SaveThreatModel(ctx, st, rel.ProductID, []byte("rampart: threatmodel/v1\ntitle: x\nelements:\n  - id: a\n    type: spaceship\n"), "bad.yaml", "", "alice")
		if fault.KindOf(err) != fault.KindUnprocessable || !strings.Contains(err.Error(), "bad.yaml:5:11:") {
			t.Errorf("invalid model: %v", err)
		}
		// An edit on a version that is not the latest: stale, with the
		// versions for the caller to reload.
		lib, err := threatmodel.DefaultLibrary()
		if err != nil {
			t.Fatal(err)
		}
		add := threatmodel.Edit{Collection: threatmodel.CollectionElements, Action: threatmodel.EditAdd, Fields: []byte(`{"name":"Hub","type":"process"}`)}
		if _, err := portfolio.EditThreatModel(ctx, st, lib, rel.ProductID, 0, add, "alice"); err != nil {
			t.Fatal(err)
		}
		_, err = portfolio.EditThreatModel(ctx, st, lib, rel.ProductID, 0, add, "bob")
		var stale *portfolio.StaleVersion
		if !errors.Is(err, fault.ErrStale) || fault.KindOf(err) != fault.KindStale || !errors.As(err, &stale) || stale.Expected != 0 || stale.Current.Version != 1 {
			t.Errorf("stale edit: %v", err)
		}
	})
}
