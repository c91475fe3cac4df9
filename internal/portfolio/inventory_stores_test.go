package portfolio_test

import (
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
)

// The store implements the interfaces the inventory, SBOM, scan and
// firmware use cases declare.
var (
	_ portfolio.SBOMImportStore     = (*store.Store)(nil)
	_ portfolio.SBOMExportStore     = (*store.Store)(nil)
	_ portfolio.ProductUpdateStore  = (*store.Store)(nil)
	_ portfolio.ReleaseDeleteStore  = (*store.Store)(nil)
	_ portfolio.FirmwareImportStore = (*store.Store)(nil)
	_ portfolio.FirmwareJobStore    = (*store.Store)(nil)
)
