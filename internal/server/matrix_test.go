package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/firmware"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// The route × role matrix. Every route the server registers (API, UI and
// operations, read from the router's own table) must have exactly one
// entry here, or TestRouteRoleMatrix fails: a new route cannot ship without
// a decision about who may call it.
//
// Adding a route is one line: its "METHOD pattern" and the set of callers
// that may use it, built from the constants below. Product-scoped routes
// (web.Route.Product set) are called on product A, which every product
// role below holds; otherOwner owns only product B. For a new resource kind
// under a product (e.g. /api/v1/findings/{id}), also add one line to
// pathFor that maps the pattern prefix to an id in the fixture.
//
// "Allowed" means the guard let the request through (the handler may still
// answer 400 for the empty body the test sends); "denied" means 401, a
// redirect to /login, 403, or 404 from a product-scoped route.
type who uint16

const (
	anon       who = 1 << iota // no session
	admin                      // global admin (alice)
	gEditor                    // global editor on all products (ed)
	gViewer                    // global viewer on all products (vic)
	owner                      // owner of product A only
	pEditor                    // editor of product A only
	pViewer                    // viewer of product A only
	auditor                    // auditor of product A only
	otherOwner                 // owner of product B only: no access to A

	signedIn = admin | gEditor | gViewer | owner | pEditor | pViewer | auditor | otherOwner
	anyone   = anon | signedIn
	read     = admin | gEditor | gViewer | owner | pEditor | pViewer | auditor // PermRead on A
	write    = admin | gEditor | owner | pEditor                               // PermWrite on A
	manage   = admin | owner                                                   // PermManage on A
	auditAny = admin | owner | auditor | otherOwner                            // PermAudit on some product
	editors  = admin | gEditor                                                 // global role editor+
	admins   = admin
)

var whoNames = map[who]string{anon: "no session", admin: "admin", gEditor: "global editor", gViewer: "global viewer",
	owner: "owner of A", pEditor: "editor of A", pViewer: "viewer of A", auditor: "auditor of A", otherOwner: "owner of B"}

var matrix = map[string]who{
	// operations
	"GET /healthz": anyone,
	"GET /readyz":  anyone,
	// TUF repositories for devices: signed files, no token (pkg/updateclient verifies them)
	"GET /tuf/{slug}/metadata/{file}": anyone,
	"GET /tuf/{slug}/targets/{file}":  anyone,
	"GET /tuf/":                       anyone,
	// updates: devices sign their check-ins with their own key
	"POST /api/v1/devices/checkin":                   anyone,
	"GET /api/v1/products/{id}/updates":              read,
	"POST /api/v1/products/{id}/updates/targets":     write,
	"GET /api/v1/products/{id}/rollouts":             read,
	"POST /api/v1/products/{id}/rollouts":            write,
	"PATCH /api/v1/products/{id}/rollouts/{rollout}": write,
	"GET /api/v1/products/{id}/devices":              read,
	"GET /api/v1/products/{id}/fleet":                read,
	"GET /products/{id}/updates":                     read,
	"POST /products/{id}/rollouts":                   write,
	"POST /products/{id}/rollouts/{rollout}/state":   write,
	"GET /metrics": anyone, // PublicMetrics in the test server (serve --public-metrics); admin-only by default
	// API: auth and account
	"GET /api/v1/openapi.json":            anyone,
	"POST /api/v1/auth/login":             anyone,
	"POST /api/v1/auth/logout":            signedIn,
	"POST /api/v1/auth/logout-everywhere": signedIn,
	"GET /api/v1/me":                      signedIn,
	"PUT /api/v1/me/password":             signedIn,
	"GET /api/v1/tokens":                  signedIn,
	"POST /api/v1/tokens":                 signedIn,
	"DELETE /api/v1/tokens/{id}":          signedIn,
	"GET /api/v1/users":                   admins,
	"POST /api/v1/users":                  admins,
	"PATCH /api/v1/users/{id}":            admins,
	"POST /api/v1/invitations":            admins,
	"GET /api/v1/settings/security":       admins,
	"PUT /api/v1/settings/security":       admins,
	"GET /api/v1/audit":                   auditAny,
	// API: inventory
	"GET /api/v1/products":                        signedIn, // filtered to the caller's products
	"POST /api/v1/products":                       editors,
	"GET /api/v1/products/{id}":                   read,
	"DELETE /api/v1/products/{id}":                manage,
	"PATCH /api/v1/products/{id}":                 manage,
	"PATCH /api/v1/releases/{id}":                 write,
	"DELETE /api/v1/releases/{id}":                manage,
	"GET /api/v1/products/{id}/releases":          read,
	"POST /api/v1/products/{id}/releases":         write,
	"GET /api/v1/products/{id}/members":           manage,
	"PUT /api/v1/products/{id}/members/{user}":    manage,
	"DELETE /api/v1/products/{id}/members/{user}": manage,
	"GET /api/v1/releases/{id}":                   read,
	"GET /api/v1/releases/{id}/components":        read,
	"POST /api/v1/releases/{id}/sbom":             write,
	"GET /api/v1/releases/{id}/sbom":              read,
	"GET /api/v1/components":                      signedIn, // filtered to the caller's products
	// API: findings, threat models, vulnerabilities (lists filtered to the caller's products)
	"POST /api/v1/releases/{id}/scans":                               write,
	"POST /api/v1/releases/{id}/firmware":                            write,
	"GET /api/v1/releases/{id}/firmware":                             read,
	"GET /api/v1/firmware-jobs/{id}":                                 read,
	"GET /api/v1/releases/{id}/scans":                                read,
	"GET /api/v1/findings":                                           signedIn,
	"GET /api/v1/findings/export":                                    signedIn,
	"GET /api/v1/findings/{id}":                                      read,
	"POST /api/v1/findings/triage":                                   signedIn, // write checked per finding in the handler
	"GET /api/v1/products/{id}/sla":                                  read,
	"PUT /api/v1/products/{id}/sla":                                  write,
	"GET /api/v1/products/{id}/risk-acceptance":                      read,
	"PUT /api/v1/products/{id}/risk-acceptance":                      manage,
	"GET /api/v1/products/{id}/dedup":                                read,
	"PUT /api/v1/products/{id}/dedup":                                write,
	"GET /api/v1/products/{id}/threatmodel":                          read,
	"PUT /api/v1/products/{id}/threatmodel":                          write,
	"GET /api/v1/products/{id}/threatmodel/versions":                 read,
	"GET /api/v1/products/{id}/threatmodel/diagram":                  read,
	"GET /api/v1/products/{id}/threatmodel/diagram.svg":              read,
	"GET /api/v1/products/{id}/threatmodel/diagram.png":              read,
	"GET /api/v1/products/{id}/threatmodel/elements":                 read,
	"POST /api/v1/products/{id}/threatmodel/elements":                write,
	"PATCH /api/v1/products/{id}/threatmodel/elements/{element}":     write,
	"DELETE /api/v1/products/{id}/threatmodel/elements/{element}":    write,
	"GET /api/v1/products/{id}/threatmodel/flows":                    read,
	"POST /api/v1/products/{id}/threatmodel/flows":                   write,
	"PATCH /api/v1/products/{id}/threatmodel/flows/{flow}":           write,
	"DELETE /api/v1/products/{id}/threatmodel/flows/{flow}":          write,
	"GET /api/v1/products/{id}/threatmodel/boundaries":               read,
	"POST /api/v1/products/{id}/threatmodel/boundaries":              write,
	"PATCH /api/v1/products/{id}/threatmodel/boundaries/{boundary}":  write,
	"DELETE /api/v1/products/{id}/threatmodel/boundaries/{boundary}": write,
	"GET /api/v1/products/{id}/threats":                              read,
	"PUT /api/v1/products/{id}/threats/{threat}":                     write,
	"GET /api/v1/threatmodel/rules":                                  signedIn,
	"GET /api/v1/releases/{id}/vulnerabilities":                      read,
	"PUT /api/v1/releases/{id}/vulnerabilities/{vuln}/analysis":      write,
	"GET /api/v1/releases/{id}/vex":                                  read,
	"GET /api/v1/vulnerabilities/{vuln}":                             signedIn, // affected releases filtered
	"GET /api/v1/vulndb/status":                                      signedIn,
	"GET /api/v1/vulnerabilities":                                    signedIn,
	"POST /api/v1/vulndb/update":                                     admins,
	"POST /api/v1/vulndb/bundle":                                     admins,
	"GET /api/v1/events":                                             signedIn, // filtered
	// API: attack sessions (join-link guests are not sessions or tokens:
	// the guard admits their cookie on that one session's routes only,
	// tested in attacksession_api_test.go)
	"GET /api/v1/products/{id}/attack-sessions":                            read,
	"POST /api/v1/products/{id}/attack-sessions":                           write,
	"GET /api/v1/products/{id}/attack-sessions/{sid}":                      read,
	"GET /api/v1/products/{id}/attack-sessions/{sid}/summary.md":           read,
	"POST /api/v1/products/{id}/attack-sessions/{sid}/end":                 write,
	"POST /api/v1/products/{id}/attack-sessions/{sid}/links":               write,
	"POST /api/v1/products/{id}/attack-sessions/{sid}/ideas":               read,
	"POST /api/v1/products/{id}/attack-sessions/{sid}/ideas/{idea}/vote":   read,
	"POST /api/v1/products/{id}/attack-sessions/{sid}/ideas/{idea}/merge":  write,
	"POST /api/v1/products/{id}/attack-sessions/{sid}/ideas/{idea}/reject": write,
	"POST /api/v1/attack-sessions/join":                                    anyone, // the one-time link's secret is the credential
	// API: incidents, CRA reports, drills (lists filtered to the caller's products)
	"GET /api/v1/incidents":                                 signedIn,
	"POST /api/v1/incidents":                                write | otherOwner, // write on some product; the body's products are checked
	"GET /api/v1/incidents/{id}":                            read,
	"PATCH /api/v1/incidents/{id}":                          write,
	"POST /api/v1/incidents/{id}/tasks":                     write,
	"PATCH /api/v1/incidents/{id}/tasks/{task}":             write,
	"GET /api/v1/incidents/{id}/reports/{kind}":             read,
	"POST /api/v1/incidents/{id}/reports/{kind}/submission": write,
	"POST /api/v1/drills":                                   write | otherOwner,
	"GET /api/v1/drills/{id}/scorecard":                     read,
	"GET /api/v1/drill-scenarios":                           signedIn,
	"GET /api/v1/products/{id}/drills":                      read,
	"GET /api/v1/products/{id}/incident-settings":           read,
	"PUT /api/v1/products/{id}/incident-settings":           manage,
	"GET /api/v1/products/{id}/subscribers":                 write, // customers' addresses: editors and owners
	"POST /api/v1/products/{id}/subscribers":                write,
	"POST /api/v1/incidents/{id}/notify":                    write,
	"GET /api/v1/incidents/{id}/notifications":              read,
	"POST /api/v1/intake":                                   anyone, // public vulnerability reports, rate-limited
	"GET /api/v1/intake/{tracking}":                         anyone, // private status link: the token is the secret
	"GET /api/v1/intake":                                    signedIn,
	"POST /api/v1/intake/{id}/triage":                       editors,
	"GET /api/v1/intake/{id}/attachment":                    editors,
	// UI: incidents and the public vulnerability-report form
	"GET /incidents":                         signedIn,
	"GET /incidents/{id}":                    read,
	"POST /incidents/{id}/update":            write,
	"POST /incidents/{id}/submission":        write,
	"POST /incidents/{id}/tasks":             write,
	"POST /incidents/{id}/tasks/{task}/done": write,
	"GET /intake":                            signedIn,
	"POST /intake/{id}/triage":               editors,
	"GET /products/{id}/subscribers":         write, // customers' addresses: editors and owners
	"POST /products/{id}/subscribers":        write,
	"GET /report":                            anyone,
	"POST /report":                           anyone,
	"GET /report/status/{tracking}":          anyone,
	// API: conformity
	"GET /api/v1/conformity":                                        signedIn, // filtered to the caller's products
	"GET /api/v1/conformity/catalogs":                               signedIn,
	"GET /api/v1/releases/{id}/conformity":                          read,
	"GET /api/v1/releases/{id}/conformity/report":                   read,
	"PUT /api/v1/releases/{id}/conformity/{catalog}/{item}":         write,
	"POST /api/v1/releases/{id}/conformity/{catalog}/{item}/review": write,
	// API: policy gates
	"GET /api/v1/releases/{id}/gate":                            read,
	"GET /api/v1/products/{id}/policy":                          read,
	"PUT /api/v1/products/{id}/policy":                          manage,
	"GET /api/v1/products/{id}/policy/versions":                 read,
	"GET /api/v1/policy":                                        signedIn,
	"PUT /api/v1/policy":                                        admins,
	"GET /api/v1/products/{id}/approved":                        read,
	"PUT /api/v1/products/{id}/approved":                        manage,
	"GET /api/v1/approved":                                      signedIn,
	"PUT /api/v1/approved":                                      admins,
	"GET /api/v1/products/{id}/exceptions":                      read,
	"POST /api/v1/products/{id}/exceptions":                     write,
	"POST /api/v1/products/{id}/exceptions/{exception}/approve": manage,
	"POST /api/v1/products/{id}/exceptions/{exception}/reject":  manage,
	"GET /api/v1/releases/{id}/checklist":                       read,
	"PUT /api/v1/releases/{id}/checklist":                       write,
	"GET /api/v1/products/{id}/samm":                            read,
	"POST /api/v1/products/{id}/samm":                           write,
	// API: CSAF advisories (the author-cannot-approve rule is the service's, tested in internal/store)
	"GET /api/v1/advisories":                    signedIn, // filtered to the caller's products
	"POST /api/v1/products/{id}/advisories":     write,
	"GET /api/v1/advisories/{id}":               read,
	"PUT /api/v1/advisories/{id}":               write,
	"GET /api/v1/advisories/{id}/validation":    read,
	"POST /api/v1/advisories/{id}/submit":       write,
	"POST /api/v1/advisories/{id}/reject":       write,
	"POST /api/v1/advisories/{id}/publish":      write,
	"GET /api/v1/advisories/{id}/notifications": read,
	"POST /api/v1/csaf/validate":                signedIn,
	"GET /api/v1/csaf/keys":                     admins,
	"POST /api/v1/csaf/keys/rotate":             admins,
	// UI: advisories (POST /advisories/new names the product in the form; the empty test body has none: 404 for all)
	"GET /advisories":                signedIn,
	"POST /advisories/new":           0,
	"GET /advisories/{id}":           read,
	"POST /advisories/{id}":          write,
	"POST /advisories/{id}/workflow": write,
	"POST /advisories/validate":      signedIn,
	// CSAF trusted provider: TLP:WHITE is public, the other labels need a signed-in customer
	"GET /.well-known/security.txt":                anyone,
	"GET /.well-known/csaf/{$}":                    anyone,
	"GET /.well-known/csaf/provider-metadata.json": anyone,
	"GET /.well-known/csaf/service.json":           anyone,
	"GET /.well-known/csaf/openpgp/{file}":         anyone,
	"GET /.well-known/csaf/white/{path...}":        anyone,
	"GET /.well-known/csaf/green/{path...}":        signedIn,
	"GET /.well-known/csaf/amber/{path...}":        signedIn,
	"GET /.well-known/csaf/red/{path...}":          signedIn,
	// UI: findings, threat models, vulnerabilities, reports
	"GET /findings":                                                 signedIn,
	"POST /findings/triage":                                         signedIn, // write checked per finding
	"GET /findings/{id}":                                            read,
	"POST /releases/{id}/scans":                                     write,
	"GET /products/{id}/threatmodel":                                read,
	"POST /products/{id}/threatmodel":                               write,
	"POST /products/{id}/threats/track":                             write,
	"GET /products/{id}/threatmodel/diff":                           read,
	"GET /threatmodel/rules":                                        signedIn,
	"GET /products/{id}/attack-sessions":                            read,
	"POST /products/{id}/attack-sessions":                           write,
	"GET /products/{id}/attack-sessions/{sid}":                      read, // and that session's join-link guests
	"GET /products/{id}/attack-sessions/{sid}/live":                 read,
	"POST /products/{id}/attack-sessions/{sid}/ideas":               read,
	"POST /products/{id}/attack-sessions/{sid}/ideas/{idea}/vote":   read,
	"POST /products/{id}/attack-sessions/{sid}/ideas/{idea}/decide": write,
	"POST /products/{id}/attack-sessions/{sid}/links":               write,
	"POST /products/{id}/attack-sessions/{sid}/end":                 write,
	"GET /attack-sessions/join/{token}":                             anyone, // the one-time link is the credential
	"POST /attack-sessions/join/{token}":                            anyone,
	"GET /vulnerabilities/{vuln}":                                   signedIn,
	"POST /releases/{id}/analysis":                                  write,
	"GET /releases/{id}/report":                                     read,
	"GET /conformity":                                               signedIn, // filtered to the caller's products
	"GET /releases/{id}/conformity":                                 read,
	"POST /releases/{id}/conformity/answer":                         write,
	"POST /releases/{id}/conformity/review":                         write,
	"GET /releases/{id}/firmware":                                   read,
	"POST /releases/{id}/firmware":                                  write,
	"GET /releases/{id}/firmware/job":                               read,
	"POST /products/{id}/approved":                                  manage,
	"POST /products/{id}/exceptions":                                write,
	"POST /products/{id}/exceptions/{exception}/decide":             manage,
	"POST /products/{id}/samm":                                      write,
	"POST /releases/{id}/checklist":                                 write,
	"GET /vulnerabilities":                                          signedIn,
	"GET /products/{id}/threatmodel/edit":                           read,
	// UI: sign-in, setup, invitations, account
	"GET /static/{file...}":              anyone,
	"GET /favicon.ico":                   anyone,
	"GET /login":                         anyone,
	"POST /login":                        anyone,
	"GET /setup":                         anyone,
	"POST /setup":                        anyone,
	"GET /invite":                        anyone,
	"POST /invite":                       anyone,
	"POST /logout":                       signedIn,
	"GET /account":                       signedIn,
	"POST /account/password":             signedIn,
	"POST /account/sessions/others":      signedIn,
	"POST /account/sessions/all":         signedIn,
	"POST /account/totp":                 signedIn,
	"GET /account/totp/qr.png":           signedIn,
	"POST /account/totp/confirm":         signedIn,
	"POST /account/totp/disable":         signedIn,
	"POST /account/recovery-codes":       signedIn,
	"POST /account/reauth":               signedIn,
	"POST /account/tokens":               signedIn,
	"POST /account/tokens/{id}/revoke":   signedIn,
	"POST /account/passkeys/begin":       signedIn,
	"POST /account/passkeys/finish":      signedIn,
	"POST /account/passkeys/{id}/delete": signedIn,
	"POST /login/passkey/begin":          anyone,
	"POST /login/passkey/finish":         anyone,
	"POST /login/passkey/second":         anyone,
	"GET /login/sso":                     anyone,
	"GET /login/sso/callback":            anyone,
	// UI: inventory
	"GET /{$}":                            signedIn,
	"POST /products":                      editors,
	"GET /products/{id}":                  read,
	"POST /products/{id}/releases":        write,
	"POST /products/{id}/dedup":           write,
	"POST /products/{id}/risk-acceptance": manage,
	"GET /releases/{id}":                  read,
	"POST /releases/{id}/sbom":            write,
	"GET /releases/{id}/sbom":             read,
	"GET /search":                         signedIn,
	"POST /releases/{id}/edit":            write,
	"POST /releases/{id}/delete":          manage,
	"POST /products/{id}/edit":            manage,
	// UI: administration and audit
	"GET /admin/users":                                 admins,
	"GET /admin/vulndb":                                admins,
	"POST /admin/vulndb/update":                        admins,
	"POST /admin/vulndb/bundle":                        admins,
	"POST /admin/users/invite":                         admins,
	"POST /admin/users/{id}":                           admins,
	"POST /admin/users/{id}/products":                  admins,
	"POST /admin/users/{id}/products/{product}/remove": admins,
	"POST /admin/security":                             admins,
	"GET /audit":                                       auditAny,
	"GET /audit/export":                                auditAny,
}

// The route × token matrix. Token callers are alice's (an admin's) API
// tokens, so her role never limits them and the table tests the token
// rules alone: the scope every API route needs (each single-scope token
// may use exactly the routes of its scope, a "*" token every route an
// admin may use), "session" for routes no token may ever use (account,
// password, sessions, second factors). Every API route needs a line here.
// UI routes need none: those under /account and /logout are session-only,
// every other UI route is open to "*" tokens only (deny by default, no
// scope names them). A token restricted to product A also may not use
// routes that act outside any product (those only admins or global
// editors may use: administration, creating products); one restricted to
// product B gets on product A what an owner of B gets. Expired and revoked
// tokens, and tokens whose parent was revoked, are refused (401) everywhere.
var tokenMatrix = map[string]string{
	"GET /api/v1/drill-scenarios":                                          "findings:read",
	"GET /api/v1/drills/{id}/scorecard":                                    "findings:read",
	"GET /api/v1/incidents":                                                "findings:read",
	"GET /api/v1/incidents/{id}":                                           "findings:read",
	"GET /api/v1/incidents/{id}/notifications":                             "findings:read",
	"GET /api/v1/incidents/{id}/reports/{kind}":                            "findings:read",
	"GET /api/v1/intake":                                                   "findings:read",
	"GET /api/v1/intake/{id}/attachment":                                   "findings:read",
	"GET /api/v1/products/{id}/drills":                                     "findings:read",
	"GET /api/v1/products/{id}/incident-settings":                          "products:read",
	"GET /api/v1/products/{id}/subscribers":                                "products:read",
	"PATCH /api/v1/incidents/{id}":                                         "findings:write",
	"POST /api/v1/drills":                                                  "findings:write",
	"POST /api/v1/incidents":                                               "findings:write",
	"POST /api/v1/incidents/{id}/notify":                                   "findings:write",
	"POST /api/v1/incidents/{id}/reports/{kind}/submission":                "findings:write",
	"POST /api/v1/incidents/{id}/tasks":                                    "findings:write",
	"PATCH /api/v1/incidents/{id}/tasks/{task}":                            "findings:write",
	"POST /api/v1/intake/{id}/triage":                                      "findings:write",
	"POST /api/v1/products/{id}/subscribers":                               "products:write",
	"PUT /api/v1/products/{id}/incident-settings":                          "products:write",
	"GET /api/v1/products/{id}/updates":                                    "products:read",
	"POST /api/v1/products/{id}/updates/targets":                           "products:write",
	"GET /api/v1/products/{id}/rollouts":                                   "products:read",
	"POST /api/v1/products/{id}/rollouts":                                  "products:write",
	"PATCH /api/v1/products/{id}/rollouts/{rollout}":                       "products:write",
	"GET /api/v1/products/{id}/devices":                                    "products:read",
	"GET /api/v1/products/{id}/fleet":                                      "products:read",
	"GET /api/v1/releases/{id}/checklist":                                  "products:read",
	"PUT /api/v1/releases/{id}/checklist":                                  "products:write",
	"GET /api/v1/products/{id}/samm":                                       "products:read",
	"POST /api/v1/products/{id}/samm":                                      "products:write",
	"POST /api/v1/releases/{id}/firmware":                                  "findings:write",
	"GET /api/v1/releases/{id}/firmware":                                   "findings:read",
	"GET /api/v1/firmware-jobs/{id}":                                       "findings:read",
	"POST /api/v1/auth/logout":                                             "session",
	"POST /api/v1/auth/logout-everywhere":                                  "session",
	"GET /api/v1/me":                                                       "account",
	"PUT /api/v1/me/password":                                              "session",
	"GET /api/v1/tokens":                                                   "account",
	"POST /api/v1/tokens":                                                  "account",
	"DELETE /api/v1/tokens/{id}":                                           "account",
	"GET /api/v1/products":                                                 "products:read",
	"POST /api/v1/products":                                                "products:write",
	"GET /api/v1/products/{id}":                                            "products:read",
	"DELETE /api/v1/products/{id}":                                         "products:write",
	"PATCH /api/v1/products/{id}":                                          "products:write",
	"PATCH /api/v1/releases/{id}":                                          "products:write",
	"DELETE /api/v1/releases/{id}":                                         "products:write",
	"GET /api/v1/products/{id}/releases":                                   "products:read",
	"POST /api/v1/products/{id}/releases":                                  "products:write",
	"GET /api/v1/products/{id}/members":                                    "admin",
	"PUT /api/v1/products/{id}/members/{user}":                             "admin",
	"DELETE /api/v1/products/{id}/members/{user}":                          "admin",
	"GET /api/v1/releases/{id}":                                            "products:read",
	"GET /api/v1/releases/{id}/components":                                 "products:read",
	"POST /api/v1/releases/{id}/sbom":                                      "sbom:write",
	"GET /api/v1/releases/{id}/sbom":                                       "sbom:read",
	"GET /api/v1/components":                                               "products:read",
	"GET /api/v1/users":                                                    "admin",
	"POST /api/v1/users":                                                   "admin",
	"PATCH /api/v1/users/{id}":                                             "admin",
	"POST /api/v1/invitations":                                             "admin",
	"GET /api/v1/settings/security":                                        "admin",
	"PUT /api/v1/settings/security":                                        "admin",
	"GET /api/v1/audit":                                                    "audit:read",
	"POST /api/v1/releases/{id}/scans":                                     "findings:write",
	"GET /api/v1/releases/{id}/scans":                                      "findings:read",
	"GET /api/v1/findings":                                                 "findings:read",
	"GET /api/v1/findings/export":                                          "findings:read",
	"GET /api/v1/findings/{id}":                                            "findings:read",
	"POST /api/v1/findings/triage":                                         "findings:write",
	"GET /api/v1/products/{id}/sla":                                        "products:read",
	"PUT /api/v1/products/{id}/sla":                                        "products:write",
	"GET /api/v1/products/{id}/risk-acceptance":                            "products:read",
	"PUT /api/v1/products/{id}/risk-acceptance":                            "products:write",
	"GET /api/v1/products/{id}/dedup":                                      "products:read",
	"PUT /api/v1/products/{id}/dedup":                                      "products:write",
	"GET /api/v1/products/{id}/threatmodel":                                "products:read",
	"PUT /api/v1/products/{id}/threatmodel":                                "products:write",
	"GET /api/v1/products/{id}/threatmodel/versions":                       "products:read",
	"GET /api/v1/products/{id}/threatmodel/diagram":                        "products:read",
	"GET /api/v1/products/{id}/threatmodel/elements":                       "products:read",
	"POST /api/v1/products/{id}/threatmodel/elements":                      "products:write",
	"PATCH /api/v1/products/{id}/threatmodel/elements/{element}":           "products:write",
	"DELETE /api/v1/products/{id}/threatmodel/elements/{element}":          "products:write",
	"GET /api/v1/products/{id}/threatmodel/flows":                          "products:read",
	"POST /api/v1/products/{id}/threatmodel/flows":                         "products:write",
	"PATCH /api/v1/products/{id}/threatmodel/flows/{flow}":                 "products:write",
	"DELETE /api/v1/products/{id}/threatmodel/flows/{flow}":                "products:write",
	"GET /api/v1/products/{id}/threatmodel/boundaries":                     "products:read",
	"POST /api/v1/products/{id}/threatmodel/boundaries":                    "products:write",
	"PATCH /api/v1/products/{id}/threatmodel/boundaries/{boundary}":        "products:write",
	"DELETE /api/v1/products/{id}/threatmodel/boundaries/{boundary}":       "products:write",
	"GET /api/v1/products/{id}/threats":                                    "products:read",
	"PUT /api/v1/products/{id}/threats/{threat}":                           "products:write",
	"GET /api/v1/threatmodel/rules":                                        "products:read",
	"GET /api/v1/releases/{id}/vulnerabilities":                            "findings:read",
	"PUT /api/v1/releases/{id}/vulnerabilities/{vuln}/analysis":            "findings:write",
	"GET /api/v1/releases/{id}/vex":                                        "findings:read",
	"GET /api/v1/vulnerabilities/{vuln}":                                   "findings:read",
	"GET /api/v1/vulndb/status":                                            "findings:read",
	"GET /api/v1/vulnerabilities":                                          "findings:read",
	"POST /api/v1/vulndb/update":                                           "admin",
	"POST /api/v1/vulndb/bundle":                                           "admin",
	"GET /api/v1/events":                                                   "findings:read",
	"GET /api/v1/products/{id}/attack-sessions":                            "products:read",
	"POST /api/v1/products/{id}/attack-sessions":                           "products:write",
	"GET /api/v1/products/{id}/attack-sessions/{sid}":                      "products:read",
	"GET /api/v1/products/{id}/attack-sessions/{sid}/summary.md":           "products:read",
	"POST /api/v1/products/{id}/attack-sessions/{sid}/end":                 "products:write",
	"POST /api/v1/products/{id}/attack-sessions/{sid}/links":               "products:write",
	"POST /api/v1/products/{id}/attack-sessions/{sid}/ideas":               "products:write",
	"POST /api/v1/products/{id}/attack-sessions/{sid}/ideas/{idea}/vote":   "products:write",
	"POST /api/v1/products/{id}/attack-sessions/{sid}/ideas/{idea}/merge":  "products:write",
	"POST /api/v1/products/{id}/attack-sessions/{sid}/ideas/{idea}/reject": "products:write",
	"GET /api/v1/products/{id}/threatmodel/diagram.svg":                    "products:read",
	"GET /api/v1/products/{id}/threatmodel/diagram.png":                    "products:read",
	// conformity, policy gates, advisories and the CSAF provider (scopes as
	// their routes declare them; the CSAF TLP folders are non-API routes
	// open to products:read tokens)
	"GET /api/v1/conformity":                                        "products:read",
	"GET /api/v1/conformity/catalogs":                               "products:read",
	"GET /api/v1/releases/{id}/conformity":                          "products:read",
	"GET /api/v1/releases/{id}/conformity/report":                   "products:read",
	"PUT /api/v1/releases/{id}/conformity/{catalog}/{item}":         "products:write",
	"POST /api/v1/releases/{id}/conformity/{catalog}/{item}/review": "products:write",
	"GET /api/v1/releases/{id}/gate":                                "products:read",
	"GET /api/v1/products/{id}/policy":                              "products:read",
	"PUT /api/v1/products/{id}/policy":                              "products:write",
	"GET /api/v1/products/{id}/policy/versions":                     "products:read",
	"GET /api/v1/policy":                                            "products:read",
	"PUT /api/v1/policy":                                            "admin",
	"GET /api/v1/products/{id}/approved":                            "products:read",
	"PUT /api/v1/products/{id}/approved":                            "products:write",
	"GET /api/v1/approved":                                          "products:read",
	"PUT /api/v1/approved":                                          "admin",
	"GET /api/v1/products/{id}/exceptions":                          "products:read",
	"POST /api/v1/products/{id}/exceptions":                         "products:write",
	"POST /api/v1/products/{id}/exceptions/{exception}/approve":     "products:write",
	"POST /api/v1/products/{id}/exceptions/{exception}/reject":      "products:write",
	"GET /api/v1/advisories":                                        "products:read",
	"POST /api/v1/products/{id}/advisories":                         "products:write",
	"GET /api/v1/advisories/{id}":                                   "products:read",
	"PUT /api/v1/advisories/{id}":                                   "products:write",
	"GET /api/v1/advisories/{id}/validation":                        "products:read",
	"POST /api/v1/advisories/{id}/submit":                           "products:write",
	"POST /api/v1/advisories/{id}/reject":                           "products:write",
	"POST /api/v1/advisories/{id}/publish":                          "products:write",
	"GET /api/v1/advisories/{id}/notifications":                     "products:read",
	"POST /api/v1/csaf/validate":                                    "products:read",
	"GET /api/v1/csaf/keys":                                         "admin",
	"POST /api/v1/csaf/keys/rotate":                                 "admin",
	"GET /.well-known/csaf/green/{path...}":                         "products:read",
	"GET /.well-known/csaf/amber/{path...}":                         "products:read",
	"GET /.well-known/csaf/red/{path...}":                           "products:read",
}

// caller is one row of the matrix: a session of a role, or a token.
type caller struct {
	name    string
	session who // the role of a session caller (0 for tokens)
	token   string
	// For tokens: the single scope ("" for "*"), the product it is
	// restricted to ('A', 'B' or 0) and whether it is dead (expired,
	// revoked, or its parent revoked).
	scope      identity.Scope
	restricted byte
	dead       bool
}

// tokenAllowed is the token half of the matrix for one route.
func tokenAllowed(key string, rt web.Route, c caller) bool {
	need, listed := tokenMatrix[key]
	path := rt.Pattern
	isAPI := strings.HasPrefix(path, "/api/")
	switch {
	case listed:
	case !isAPI && (strings.HasPrefix(path, "/account") || path == "/logout"):
		need = "session"
	default:
		need = "*"
	}
	allowed := matrix[key]
	if need == "session" || allowed&admin == 0 {
		return false
	}
	if c.scope != "" && string(c.scope) != need {
		return false
	}
	global := allowed&^(admin|gEditor) == 0 // only admins or global editors: acts outside any product
	switch c.restricted {
	case 'A':
		return !global
	case 'B':
		return !global && allowed&otherOwner != 0
	}
	return true
}

// fixture is product A (with a release) and the ids the paths use.
type fixture struct {
	product, release, user, finding, advisory int64
	incident, firmwareJob                     int64
}

// pathFor fills a route pattern's parameters from the fixture.
func pathFor(pattern string, f fixture) string {
	id := "1"
	switch {
	case strings.Contains(pattern, "/products/{id}"):
		id = fmt.Sprint(f.product)
	case strings.Contains(pattern, "/releases/{id}"):
		id = fmt.Sprint(f.release)
	case strings.Contains(pattern, "/users/{id}"):
		id = fmt.Sprint(f.user)
	case strings.Contains(pattern, "/findings/{id}"):
		id = fmt.Sprint(f.finding)
	case strings.Contains(pattern, "/advisories/{id}"):
		id = fmt.Sprint(f.advisory)
	case strings.Contains(pattern, "/incidents/{id}"), strings.Contains(pattern, "/drills/{id}"):
		id = fmt.Sprint(f.incident)
	case strings.Contains(pattern, "/firmware-jobs/{id}"):
		id = fmt.Sprint(f.firmwareJob)
	}
	return strings.NewReplacer("{id}", id, "{user}", fmt.Sprint(f.user), "{product}", fmt.Sprint(f.product),
		"{file...}", "app.css", "{$}", "", "{path...}", "index.txt", "{file}", "none.asc", "{rollout}", "1", "{kind}", "early_warning").Replace(pattern)
}

func TestRouteRoleMatrix(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) { testMatrix(t, eng.Name) })
	}
}

func testMatrix(t *testing.T, engine string) {
	e := newEnv(t, engine)
	ctx := context.Background()
	st := e.store
	ids := map[who]int64{}
	for w, name := range map[who]string{admin: "alice", gEditor: "ed", gViewer: "vic"} {
		u, err := st.UserByName(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		ids[w] = u.ID
	}
	mk := func(name string) int64 {
		u := identity.User{Name: name, Role: identity.RoleViewer, ProductsOnly: true, PasswordHash: "x"}
		if err := st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	ids[owner], ids[pEditor], ids[pViewer], ids[auditor], ids[otherOwner] = mk("olga"), mk("pete"), mk("pia"), mk("aude"), mk("otto")
	dummy := mk("dummy")

	n := 0
	newFixture := func() fixture {
		n++
		p := inventory.Product{Name: fmt.Sprintf("A-%d", n)}
		if err := st.CreateProduct(ctx, &p); err != nil {
			t.Fatal(err)
		}
		rel := inventory.Release{ProductID: p.ID, Version: "1.0"}
		if err := st.CreateRelease(ctx, &rel); err != nil {
			t.Fatal(err)
		}
		for w, role := range map[who]identity.ProductRole{owner: identity.ProductOwner, pEditor: identity.ProductEditor,
			pViewer: identity.ProductViewer, auditor: identity.ProductAuditor} {
			if err := st.SetMember(ctx, p.ID, ids[w], role); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.SetMember(ctx, p.ID, dummy, identity.ProductViewer); err != nil {
			t.Fatal(err)
		}
		drill, err := incident.New(st, time.Now, incident.Options{}).StartDrill(ctx, "gateway-web-rce", []int64{p.ID})
		if err != nil {
			t.Fatal(err)
		}
		return fixture{product: p.ID, release: rel.ID, user: dummy, incident: drill.ID}
	}
	b := inventory.Product{Name: "B"}
	if err := st.CreateProduct(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if err := st.SetMember(ctx, b.ID, ids[otherOwner], identity.ProductOwner); err != nil {
		t.Fatal(err)
	}
	shared := newFixture()
	// One finding in product A, from a minimal SARIF report.
	shared.finding = importOneFinding(t, st, shared.release)
	adv := advisory.Advisory{ProductID: shared.product, TrackingID: "MATRIX-1", TLP: "WHITE", Status: advisory.StatusDraft, Document: []byte(`{}`)}
	if err := st.CreateCSAFAdvisory(ctx, &adv); err != nil {
		t.Fatal(err)
	}
	shared.advisory = adv.ID
	// A queued firmware image of A's release (not started: the matrix only
	// reads it).
	job := firmware.Job{ReleaseID: shared.release, FileName: "fw.bin"}
	if err := st.QueueFirmwareJob(ctx, &job, []byte("not an image")); err != nil {
		t.Fatal(err)
	}
	shared.firmwareJob = job.ID

	callers := []caller{{name: "no session", session: anon}}
	for _, w := range []who{admin, gEditor, gViewer, owner, pEditor, pViewer, auditor, otherOwner} {
		callers = append(callers, caller{name: whoNames[w], session: w})
	}
	alice := ids[admin]
	mint := func(name string, scopes []identity.Scope, product int64, life time.Duration, parent int64) (string, int64) {
		plain, tok, err := st.CreateToken(ctx, identity.TokenRequest{UserID: alice, Name: name, Expires: life, Scopes: scopes, ProductID: product, ParentID: parent})
		if err != nil {
			t.Fatal(err)
		}
		return plain, tok.ID
	}
	all := []identity.Scope{identity.ScopeAll}
	star, _ := mint("star", all, 0, time.Hour, 0)
	callers = append(callers, caller{name: "'*' token", token: star})
	for _, sc := range identity.Scopes {
		plain, _ := mint(string(sc), []identity.Scope{sc}, 0, time.Hour, 0)
		callers = append(callers, caller{name: string(sc) + " token", token: plain, scope: sc})
	}
	onA, _ := mint("on A", all, shared.product, time.Hour, 0)
	onB, _ := mint("on B", all, b.ID, time.Hour, 0)
	expired, _ := mint("expired", all, 0, time.Millisecond, 0)
	revoked, revokedID := mint("revoked", all, 0, time.Hour, 0)
	parent, parentID := mint("parent", all, 0, time.Hour, 0)
	orphan, _ := mint("child", all, 0, time.Hour, parentID)
	_ = parent
	for _, id := range []int64{revokedID, parentID} {
		if err := st.RevokeAPIToken(ctx, alice, id); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(5 * time.Millisecond) // let the expired token expire
	callers = append(callers, caller{name: "token restricted to A", token: onA, restricted: 'A'},
		caller{name: "token restricted to B", token: onB, restricted: 'B'},
		caller{name: "expired token", token: expired, dead: true},
		caller{name: "revoked token", token: revoked, dead: true},
		caller{name: "token whose parent was revoked", token: orphan, dead: true})

	client := noRedirect
	seen := map[string]bool{}
	for _, rt := range e.srv.Routes() {
		key := rt.Method + " " + rt.Pattern
		seen[key] = true
		allowed, ok := matrix[key]
		if !ok {
			t.Errorf("route %s has no entry in the route × role matrix (matrix_test.go): add one line saying who may call it", key)
			continue
		}
		if rt.Public != (allowed&anon != 0) {
			t.Errorf("%s: Public=%v but the matrix says anonymous allowed=%v", key, rt.Public, allowed&anon != 0)
		}
		destructive := rt.Method == http.MethodDelete || strings.HasSuffix(rt.Pattern, "/remove")
		isAPI := strings.HasPrefix(rt.Pattern, "/api/")
		if _, listed := tokenMatrix[key]; isAPI && !rt.Public && !listed {
			t.Errorf("API route %s has no entry in the route × token matrix (tokenMatrix in matrix_test.go): add one line naming the scope it needs", key)
		}
		for _, c := range callers {
			f := shared
			if destructive {
				f = newFixture()
			}
			path := pathFor(rt.Pattern, f)
			var body *strings.Reader
			ctype := ""
			unsafe := rt.Method != http.MethodGet && rt.Method != http.MethodHead
			switch {
			case unsafe && (isAPI || rt.Pattern == "/api/v1/auth/login"):
				body, ctype = strings.NewReader("{}"), "application/json"
			case unsafe:
				body, ctype = strings.NewReader(""), "application/x-www-form-urlencoded"
			default:
				body = strings.NewReader("")
			}
			req, _ := http.NewRequest(rt.Method, e.url+path, body)
			if ctype != "" {
				req.Header.Set("Content-Type", ctype)
			}
			switch {
			case c.token != "":
				req.Header.Set("Authorization", "Bearer "+c.token)
			case c.session != anon:
				// A fresh session per request: some routes end sessions.
				cookie, csrf, err := st.CreateSession(ctx, ids[c.session], "127.0.0.1", "matrix")
				if err != nil {
					t.Fatal(err)
				}
				req.AddCookie(&http.Cookie{Name: "rampart_session", Value: cookie})
				req.Header.Set("X-CSRF-Token", csrf)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body404, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			code := resp.StatusCode
			if c.dead {
				// A dead token is refused before any route runs, public or not.
				if code != http.StatusUnauthorized {
					t.Errorf("%s with %s: %d, want 401", key, c.name, code)
				}
				continue
			}
			// A 404 is the guard's denial only with the guard's own answer
			// (handlers also answer 404 for missing sub-resources).
			guard404 := code == http.StatusNotFound && (strings.Contains(string(body404), `"detail":"not found"`) ||
				strings.Contains(string(body404), "<title>Page not found"))
			// The guard denies an anonymous caller with 401 (API) or a
			// redirect to /login (UI), and a signed-in one with 403, or 404
			// on a product it has no role on. Public routes are never
			// guarded (their handlers may still refuse an empty form).
			denied := !rt.Public && (code == http.StatusUnauthorized || code == http.StatusForbidden ||
				(c.session == anon && c.token == "" && code == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login")) ||
				(rt.Product != nil && guard404))
			want := allowed&c.session != 0
			if c.token != "" {
				tc := c
				if destructive && c.restricted == 'A' {
					tc.restricted = 'B' // destructive routes act on a fresh product, not on A
				}
				want = rt.Public || tokenAllowed(key, rt, tc)
			}
			if want && denied {
				t.Errorf("%s as %s: %d %s, want allowed", key, c.name, code, resp.Header.Get("Location"))
			}
			if !want && !denied {
				t.Errorf("%s as %s: %d, want denied", key, c.name, code)
			}
			if !want && (c.session == otherOwner || c.restricted == 'B') && rt.Product != nil && !guard404 && tokenAllowed(key, rt, caller{}) {
				t.Errorf("%s as %s: %d, want 404 (another product's existence is not disclosed)", key, c.name, code)
			}
		}
	}
	var stale []string
	for k := range matrix {
		if !seen[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("matrix entries for routes the server does not register: %v", stale)
	}
}
