package portfolio_test

import (
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
)

// The store implements the interfaces the inventory, SBOM, scan, firmware,
// vulnerability, enrichment, overview and triage use cases declare.
var (
	_ portfolio.SBOMImportStore     = (*store.Store)(nil)
	_ portfolio.SBOMExportStore     = (*store.Store)(nil)
	_ portfolio.ProductUpdateStore  = (*store.Store)(nil)
	_ portfolio.ReleaseDeleteStore  = (*store.Store)(nil)
	_ portfolio.ReleaseUpdateStore  = (*store.Store)(nil)
	_ portfolio.ScanImportStore     = (*store.Store)(nil)
	_ portfolio.FirmwareImportStore = (*store.Store)(nil)
	_ portfolio.FirmwareJobStore    = (*store.Store)(nil)
	_ portfolio.EnrichStore         = (*store.Store)(nil)
	_ portfolio.ReleaseRiskStore    = (*store.Store)(nil)
	_ portfolio.ReleaseVulnStore    = (*store.Store)(nil)
	_ portfolio.VulnStore           = (*store.Store)(nil)
	_ portfolio.AdvisoryStore       = (*store.Store)(nil)
	_ portfolio.ReleaseMatchStore   = (*store.Store)(nil)
	_ portfolio.RematchStore        = (*store.Store)(nil)
	_ portfolio.AnalysisStore       = (*store.Store)(nil)
	_ portfolio.FeedImportStore     = (*store.Store)(nil)
	_ portfolio.FeedUpdateStore     = (*store.Store)(nil)
	_ portfolio.VulnSyncStore       = (*store.Store)(nil)
	_ portfolio.VulnDetailStore     = (*store.Store)(nil)
	_ portfolio.MatchStore          = (*store.Store)(nil)
	_ portfolio.FindingProductStore = (*store.Store)(nil)
	_ portfolio.TriageAuditStore    = (*store.Store)(nil)
	_ portfolio.TriageStore         = (*store.Store)(nil)
	_ portfolio.MaxAcceptanceStore  = (*store.Store)(nil)
)
