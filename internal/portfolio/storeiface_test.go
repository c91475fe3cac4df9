package portfolio_test

import (
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
)

// storage is every storage interface the portfolio use cases declare: the
// store satisfies them all (checked at compile time below). A use case's
// new interface is added here.
type storage interface {
	portfolio.GateStore
	portfolio.ConformityStore
	portfolio.ConformityServiceStore
	portfolio.AdvisoryInputStore
	portfolio.ChecklistSetter
	portfolio.SAMMAdder
	portfolio.ThreatModelSaver
	portfolio.ThreatReader
	portfolio.ThreatTracker
	portfolio.ThreatEditor
	portfolio.AttackModelStore
	portfolio.AttackSessionStore
	portfolio.SBOMImportStore
	portfolio.SBOMExportStore
	portfolio.ProductUpdateStore
	portfolio.ReleaseDeleteStore
	portfolio.ReleaseUpdateStore
	portfolio.ScanImportStore
	portfolio.FirmwareImportStore
	portfolio.FirmwareJobStore
	portfolio.EnrichStore
	portfolio.ReleaseRiskStore
	portfolio.ReleaseVulnStore
	portfolio.VulnStore
	portfolio.AdvisoryStore
	portfolio.ReleaseMatchStore
	portfolio.RematchStore
	portfolio.AnalysisStore
	portfolio.FeedImportStore
	portfolio.FeedUpdateStore
	portfolio.VulnSyncStore
	portfolio.VulnDetailStore
	portfolio.MatchStore
	portfolio.FindingProductStore
	portfolio.TriageAuditStore
	portfolio.TriageStore
	portfolio.MaxAcceptanceStore
	portfolio.DedupStore
	portfolio.SLAStore
	portfolio.IncidentSettingsStore
	portfolio.FirmwareQueueStore
	portfolio.ProductCreateStore
	portfolio.ReleaseCreateStore
	portfolio.ProductDeleteStore
}

var _ storage = (*store.Store)(nil)
