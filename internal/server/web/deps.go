package web

import (
	"log/slog"
	"time"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/attacksession"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/identity/accounts"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/threatmodel"
	"github.com/rampart-security/rampart/internal/updates"
)

// Deps are the services the JSON API and the web UI are two skins over,
// built once by the server.
type Deps struct {
	Store *store.Store
	Log   *slog.Logger
	// Clock is the handlers' clock (nil: time.Now); read it with Now.
	Clock         func() time.Time
	MaxUpload     int64
	SecureCookies bool
	// OnImport is told about every import (for metrics).
	OnImport func(kind string, err error)
	// SignIn is the sign-in throttling policy (shared by the API and the UI;
	// counters are in the database).
	SignIn identity.SignInPolicy
	// SSO is the OpenID Connect provider, nil when single sign-on is off.
	SSO *identity.SSO
	// Accounts runs the account use cases (sign-in, passwords, tokens,
	// users, invitations, members, security settings).
	Accounts *accounts.Service
	// Throttle limits failed sign-ins (shared by the API and the UI).
	Throttle *identity.Throttle
	// Threats is the compiled threat rule library.
	Threats *threatmodel.Library
	// Diagrams renders threat-model diagrams.
	Diagrams *portfolio.Diagrams
	// Vulns matches releases against the local vulnerability database.
	Vulns *portfolio.Vulns
	// VulnSync keeps the vulnerability data current and imports offline
	// bundles.
	VulnSync *portfolio.VulnSync
	// Updates serves and publishes the products' TUF repositories.
	Updates *updates.Service
	// Fleet takes device check-ins and runs rollouts and the fleet view.
	Fleet *updates.Fleet
	// MaxTokenLifetime bounds API token lifetimes (0: one year).
	MaxTokenLifetime time.Duration
	// IntakeKey (32 bytes) encrypts vulnerability-report attachments at
	// rest; nil refuses attachments.
	IntakeKey []byte
	// IncidentLocation is the legal time zone of the incident clocks (nil: UTC).
	IncidentLocation *time.Location
	// Conformity assesses releases against ETSI EN 303 645 and the CRA.
	Conformity *portfolio.Conformity
	// Advisories is the CSAF advisory service (nil: no advisory routes).
	Advisories *advisory.Service
	// PublicURL is the base of the URLs the CSAF provider writes ("": the
	// request's scheme and Host).
	PublicURL string
	// Firmware queues uploaded firmware images for background analysis.
	Firmware *portfolio.FirmwareJobs
	// AttackSessions runs attack sessions on the products' threat models.
	AttackSessions *attacksession.Service
}

// Now is the time by the handlers' clock.
func (d Deps) Now() time.Time {
	if d.Clock == nil {
		return time.Now()
	}
	return d.Clock()
}
