package cli

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/advisory/provider"
	"github.com/rampart-security/rampart/internal/demo"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/jobs"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/threatmodel"
	"github.com/rampart-security/rampart/internal/updates"
)

// serveOptions are the parsed options of `rampart serve`.
type serveOptions struct {
	Store          storeFlags
	Listen         string
	Demo           bool
	LogFormat      string
	TLSCert        string
	TLSKey         string
	MaxUpload      int64
	PublicMetrics  bool
	SelfSigned     bool
	SessionIdle    time.Duration
	SessionMax     time.Duration
	OIDCIssuer     string
	OIDCClientID   string
	OIDCRedirect   string
	OIDCScopes     string
	OIDCGroups     string
	OIDCRoleMap    string
	OIDCLinkEmail  bool
	Webhooks       []string
	MaxTokenLife   time.Duration
	DiagramTimeout time.Duration
	TrustedProxies []string
	SMTPURL        string
	SMTPFrom       string
	TimeZone       string
	PublicURL      string
	Publisher      string
	Namespace      string
	Feeds          feedFlags
	VulnDBSync     time.Duration
	VulnDBOffline  bool
	MemoryLimit    string

	// Set by validate, from the flags above.
	vulndbSyncSet bool // --vulndb-sync was given
	proxies       []netip.Prefix
	location      *time.Location
	roleMap       map[string]identity.Role
	cert          *tls.Certificate // loaded --tls-cert and --tls-key
	memLimit      int64            // the soft memory limit --memory-limit names (or its default)
	memFrom       string           // where memLimit came from
}

func newServeCmd(s *streams, runF func(context.Context, *serveOptions) error) *cobra.Command {
	o := &serveOptions{}
	serve := runE(s, o, runF, runServe)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Rampart server (web UI and API)",
		Long: `Run the Rampart server: web UI, JSON API under /api/v1, background jobs.

On the first start with an empty database, a one-time setup link is printed:
open it to create the first administrator. There are no default credentials.
With --demo, a realistic portfolio is seeded and generated demo credentials
are printed instead.

The server keeps its vulnerability data current by itself (--vulndb-sync,
default every 6 h): it downloads the feeds that changed from the same
sources as 'rampart vulndb update' (each URL can point at an internal
mirror), imports them and re-matches the releases they can affect. Of
several servers sharing a database, one runs each update. --vulndb-offline
turns downloads off for air-gapped sites.`,
		Example: `  rampart serve --demo
  rampart serve --listen 0.0.0.0:8443 --data /var/lib/rampart --tls-cert cert.pem --tls-key key.pem
  rampart serve --database postgres://rampart@db/rampart
  rampart serve --vulndb-sync 2h --osv-base https://mirror.internal/osv --osv-ecosystem Go --nvd-url https://mirror.internal/nvd/cves/2.0
  rampart serve --vulndb-offline`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.vulndbSyncSet = cmd.Flags().Changed("vulndb-sync")
			return serve(cmd, args)
		},
	}
	o.Store.register(cmd)
	f := cmd.Flags()
	f.StringVar(&o.Listen, "listen", "127.0.0.1:8080", "address to listen on")
	f.BoolVar(&o.Demo, "demo", false, "seed a demo portfolio and print generated demo credentials")
	f.StringVar(&o.LogFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&o.TLSCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key serves HTTPS")
	f.StringVar(&o.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	f.Int64Var(&o.MaxUpload, "max-upload", 512<<20, "largest accepted upload in bytes")
	f.StringVar(&o.MemoryLimit, "memory-limit", "", "soft memory limit of the server (Go runtime), e.g. 512MiB or 2GiB, or off; default: $GOMEMLIMIT when set, else half of the memory available (cgroup limit or RAM), at least 256MiB")
	f.BoolVar(&o.PublicMetrics, "public-metrics", false, "serve /metrics without authentication (default: admins only; for a scraper use an admin-scoped token or this flag behind a private network)")
	f.BoolVar(&o.SelfSigned, "tls-self-signed", false, "serve HTTPS with a self-signed certificate generated at start (local use; browsers warn)")
	f.StringVar(&o.OIDCIssuer, "oidc-issuer", "", "OpenID Connect issuer URL for single sign-on (client secret from $RAMPART_OIDC_CLIENT_SECRET)")
	f.StringVar(&o.OIDCClientID, "oidc-client-id", "", "OpenID Connect client id")
	f.StringVar(&o.OIDCRedirect, "oidc-redirect-url", "", "public callback URL, https://HOST/login/sso/callback")
	f.StringVar(&o.OIDCScopes, "oidc-scopes", "profile email groups", "scopes to request besides openid")
	f.StringVar(&o.OIDCGroups, "oidc-group-claim", "groups", "ID token claim listing the user's groups")
	f.BoolVar(&o.OIDCLinkEmail, "oidc-link-verified-email", false, "let a first SSO sign-in take over the existing password-less account named by its verified email (default: link by issuer and subject only)")
	f.StringVar(&o.OIDCRoleMap, "oidc-role-map", "", "group-to-role map, e.g. 'sec-team=admin,firmware=editor,qa=viewer' (unmapped users are refused)")
	f.DurationVar(&o.SessionIdle, "session-idle", store.SessionIdle, "sign a session out after this long without activity")
	f.DurationVar(&o.SessionMax, "session-max", store.SessionAbsolute, "sign a session out this long after sign-in, whatever its activity")
	f.DurationVar(&o.DiagramTimeout, "diagram-timeout", threatmodel.DefaultRenderTimeout, "longest a threat-model diagram may take to draw (the worker is stopped; the threats table still works)")
	f.DurationVar(&o.MaxTokenLife, "max-token-lifetime", identity.DefaultMaxTokenLifetime, "longest lifetime an API token may be given (every token expires)")
	f.StringArrayVar(&o.TrustedProxies, "trusted-proxy", nil, "address or CIDR of a reverse proxy whose X-Forwarded-For names the client (repeatable); without it the TCP peer is the client")
	f.StringVar(&o.SMTPURL, "smtp-url", "", "SMTP server for customer notices, smtp://HOST:PORT (STARTTLS required; credentials from $RAMPART_SMTP_USERNAME and $RAMPART_SMTP_PASSWORD)")
	f.StringVar(&o.TimeZone, "timezone", "UTC", "the manufacturer's legal time zone for the incident clocks: 14 days and one month are counted in it, and deadlines are shown in it beside UTC (e.g. Europe/Berlin)")
	f.StringVar(&o.SMTPFrom, "smtp-from", "", "sender address of customer notices (default security@ the SMTP host)")
	f.StringVar(&o.PublicURL, "public-url", "", "public base URL of this server (https://psirt.example.com); the CSAF provider builds every URL from it (default: the request's scheme and Host)")
	f.StringVar(&o.Publisher, "csaf-publisher", "", "publisher name in CSAF advisories (default: Rampart, or the demo vendor with --demo)")
	f.StringVar(&o.Namespace, "csaf-namespace", "", "publisher namespace URL in CSAF advisories (default: --public-url, or the demo vendor's)")
	f.DurationVar(&o.VulnDBSync, "vulndb-sync", 6*time.Hour, "download changed vulnerability feeds this often, in the background and once across servers sharing the database (0: only on \"Update now\")")
	f.BoolVar(&o.VulnDBOffline, "vulndb-offline", false, "air-gapped site: never download feeds; load data with 'rampart vulndb import' or an offline bundle on the Vulnerability data page")
	o.Feeds.register(cmd)
	f.StringArrayVar(&o.Webhooks, "webhook", nil, "URL that receives every event as signed JSON (repeatable); the HMAC key is read from $RAMPART_WEBHOOK_SECRET")
	return cmd
}

// validate checks every flag of serve, and loads what it can without
// side effects (TLS key pair, time zone, proxies, role map), before the
// database is opened or the address listened on. Each error names its flag.
func (o *serveOptions) validate() error {
	if err := o.Store.validate(); err != nil {
		return err
	}
	if err := checkListenAddr(o.Listen); err != nil {
		return err
	}
	if o.LogFormat != "text" && o.LogFormat != "json" {
		return fmt.Errorf("--log-format %q: must be text or json", o.LogFormat)
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key must be given together")
	}
	if o.SelfSigned && o.TLSCert != "" {
		return errors.New("--tls-self-signed and --tls-cert are exclusive: give one")
	}
	if o.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return fmt.Errorf("--tls-cert %s and --tls-key %s: load TLS key pair: %w", o.TLSCert, o.TLSKey, err)
		}
		o.cert = &cert
	}
	if o.MaxUpload <= 0 {
		return fmt.Errorf("--max-upload %d: must be a positive number of bytes", o.MaxUpload)
	}
	if o.SessionIdle <= 0 || o.SessionMax <= 0 || o.SessionIdle > o.SessionMax {
		return fmt.Errorf("--session-idle %s and --session-max %s: both must be positive and idle no longer than max", o.SessionIdle, o.SessionMax)
	}
	if o.MaxTokenLife <= 0 {
		return fmt.Errorf("--max-token-lifetime %s: must be positive (every token expires)", o.MaxTokenLife)
	}
	if o.DiagramTimeout <= 0 {
		return fmt.Errorf("--diagram-timeout %s: must be positive", o.DiagramTimeout)
	}
	if o.VulnDBSync < 0 {
		return fmt.Errorf("--vulndb-sync %s: must be 0 (off) or positive, e.g. 6h", o.VulnDBSync)
	}
	if o.VulnDBOffline && o.vulndbSyncSet && o.VulnDBSync > 0 {
		return fmt.Errorf("--vulndb-offline and --vulndb-sync %s are exclusive: an offline server never downloads", o.VulnDBSync)
	}
	if err := o.Feeds.validate(); err != nil {
		return err
	}
	proxies, err := parseProxies(o.TrustedProxies)
	if err != nil {
		return err
	}
	o.proxies = proxies
	if o.location, err = loadTimeZone(o.TimeZone); err != nil {
		return err
	}
	if o.memLimit, o.memFrom, err = memoryLimit(o.MemoryLimit); err != nil {
		return err
	}
	for _, u := range o.Webhooks {
		if err := checkHTTPURL("webhook", u); err != nil {
			return err
		}
	}
	if o.SMTPURL != "" {
		if _, err := incident.ParseSMTPURL(o.SMTPURL); err != nil {
			return err
		}
	} else if o.SMTPFrom != "" {
		return errors.New("--smtp-from needs --smtp-url: customer notices are sent by SMTP")
	}
	if o.PublicURL != "" {
		u, err := url.Parse(o.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("--public-url %q: want scheme and host only, e.g. https://psirt.example.com", o.PublicURL)
		}
	}
	if o.Namespace != "" {
		if err := checkHTTPURL("csaf-namespace", o.Namespace); err != nil {
			return err
		}
	}
	return o.validateOIDC()
}

// validateOIDC checks the single sign-on flags: all of them need
// --oidc-issuer, which needs a client id, a redirect URL and a role map.
func (o *serveOptions) validateOIDC() error {
	if o.OIDCIssuer == "" {
		for _, f := range []struct{ flag, v string }{{"oidc-client-id", o.OIDCClientID}, {"oidc-redirect-url", o.OIDCRedirect}, {"oidc-role-map", o.OIDCRoleMap}} {
			if f.v != "" {
				return fmt.Errorf("--%s needs --oidc-issuer", f.flag)
			}
		}
		return nil
	}
	if err := checkHTTPURL("oidc-issuer", o.OIDCIssuer); err != nil {
		return err
	}
	if o.OIDCClientID == "" {
		return errors.New("--oidc-issuer needs --oidc-client-id")
	}
	if o.OIDCRedirect == "" {
		return errors.New("--oidc-issuer needs --oidc-redirect-url (https://HOST/login/sso/callback)")
	}
	if err := checkHTTPURL("oidc-redirect-url", o.OIDCRedirect); err != nil {
		return err
	}
	roles, err := identity.ParseRoleMap(o.OIDCRoleMap)
	if err != nil {
		return fmt.Errorf("--oidc-role-map: %w", err)
	}
	if len(roles) == 0 {
		return errors.New("--oidc-issuer needs --oidc-role-map, e.g. 'sec-team=admin,qa=viewer' (unmapped users are refused)")
	}
	o.roleMap = roles
	return nil
}

// checkListenAddr checks a --listen HOST:PORT without listening.
func checkListenAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: want HOST:PORT, e.g. 127.0.0.1:8080 or :8443", addr)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("--listen %q: %q is not a host name or IP address", addr, host)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("--listen %q: port %q must be a number from 0 to 65535", addr, port)
	}
	return nil
}

// runServe runs the server with validated options.
func runServe(ctx context.Context, s *streams, o *serveOptions) error {
	var log *slog.Logger
	if o.LogFormat == "json" {
		log = slog.New(slog.NewJSONHandler(s.err, nil))
	} else {
		log = slog.New(slog.NewTextHandler(s.err, nil))
	}
	applyMemoryLimit(o.memLimit)
	st, err := o.Store.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	st.SetSessionLifetimes(o.SessionIdle, o.SessionMax)

	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.Listen, err)
	}
	srv, ln, base, err := newServer(ctx, s, o, st, ln, log)
	if err != nil {
		ln.Close()
		return err
	}
	fmt.Fprintf(s.out, "Rampart listening on %s\n", base)
	log.Info("serving", "url", base, "engine", st.Engine(), "memory_limit", memoryLimitString(o.memLimit), "memory_limit_from", o.memFrom)
	return srv.Serve(ctx, ln)
}

// newServer prepares everything the server needs on an open store and
// listener: TLS (the listener returned is wrapped when configured), the
// first-start setup link or the demo, background jobs, single sign-on and
// the server itself. It returns the listener it was given on error.
func newServer(ctx context.Context, s *streams, o *serveOptions, st *store.Store, ln net.Listener, log *slog.Logger) (*server.Server, net.Listener, string, error) {
	raw := ln
	scheme := "http"
	cert := o.cert
	if cert == nil && o.SelfSigned {
		c, fingerprint, err := selfSignedCert(ln.Addr())
		if err != nil {
			return nil, raw, "", err
		}
		cert = &c
		fmt.Fprintf(s.out, "Self-signed TLS certificate, SHA-256 fingerprint %s\n", fingerprint)
	}
	if cert != nil {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	base := scheme + "://" + displayAddr(ln.Addr())
	updateKeys, err := updates.FileSealer(o.Store.data)
	if err != nil {
		return nil, raw, "", err
	}
	if o.Demo {
		if err := seedDemo(ctx, s, o, st, updateKeys, base, log); err != nil {
			return nil, raw, "", err
		}
	} else if n, err := st.CountUsers(ctx); err != nil {
		return nil, raw, "", err
	} else if n == 0 {
		tok, err := st.CreateSetupToken(ctx, "setup", store.SetupLinkLifetime)
		if err != nil {
			return nil, raw, "", err
		}
		fmt.Fprintf(s.out, "No users yet. Create the first administrator within one hour at this one-time link (it replaces any earlier link):\n  %s/setup?token=%s\n", base, tok)
	}

	secret := os.Getenv("RAMPART_WEBHOOK_SECRET")
	if len(o.Webhooks) > 0 && secret == "" {
		log.Warn("webhooks are sent unsigned: set RAMPART_WEBHOOK_SECRET")
	}
	fw := portfolio.NewFirmwareJobs(st, log)
	go jobs.New(jobs.Config{Webhooks: o.Webhooks, Secret: []byte(secret), Firmware: fw}, st, log).Run(ctx)
	vulnSync := portfolio.NewVulnSync(st, portfolio.SyncConfig{Sources: o.Feeds.sources(), Interval: o.VulnDBSync, Offline: o.VulnDBOffline})
	if !o.VulnDBOffline {
		go jobs.NewVulnSyncer(vulnSync, st, log).Run(ctx)
	}
	go updates.New(st, updateKeys, nil).RunResigner(ctx, log, 10*time.Minute)
	if err := startIncidentJobs(ctx, st, o.SMTPURL, o.SMTPFrom, []byte(secret), o.location, log); err != nil {
		return nil, raw, "", err
	}

	var sso *identity.SSO
	if o.OIDCIssuer != "" {
		sso, err = identity.NewSSO(ctx, identity.SSOConfig{Issuer: o.OIDCIssuer, ClientID: o.OIDCClientID,
			ClientSecret: os.Getenv("RAMPART_OIDC_CLIENT_SECRET"), RedirectURL: o.OIDCRedirect,
			Scopes: strings.Fields(o.OIDCScopes), GroupClaim: o.OIDCGroups, RoleMap: o.roleMap, LinkVerifiedEmail: o.OIDCLinkEmail})
		if err != nil {
			return nil, raw, "", err
		}
		log.Info("single sign-on enabled", "issuer", o.OIDCIssuer)
	}
	intakeKey, err := loadIntakeKey(o.Store, log)
	if err != nil {
		return nil, raw, "", err
	}
	advCfg := advisoryConfig(o)
	if o.Demo {
		if _, err := demo.SeedAdvisories(ctx, st, advCfg); err != nil {
			return nil, raw, "", fmt.Errorf("seed demo advisories: %w", err)
		}
	}
	// Diagrams are drawn by this binary's "threatmodel render-dot", one
	// process per render (parallel, stoppable); in-process when the
	// executable cannot be found.
	var worker []string
	if exe, err := os.Executable(); err == nil {
		worker = []string{exe, "threatmodel", "render-dot"}
	} else {
		log.Warn("diagrams drawn in-process (serialised): cannot locate the rampart executable", "err", err)
	}
	srv := server.New(server.Config{DiagramWorker: worker, DiagramTimeout: o.DiagramTimeout, SSO: sso, UpdateKeys: updateKeys, TLS: scheme == "https", PublicMetrics: o.PublicMetrics, MaxUpload: o.MaxUpload,
		PublicURL: o.PublicURL, Advisory: advCfg, Firmware: fw, MaxTokenLifetime: o.MaxTokenLife, TrustedProxies: o.proxies, IntakeKey: intakeKey, IncidentLocation: o.location, VulnSync: vulnSync}, st, log)
	return srv, ln, base, nil
}

// seedDemo seeds the demo portfolio and update repository and prints the
// generated demo credentials.
func seedDemo(ctx context.Context, s *streams, o *serveOptions, st *store.Store, updateKeys updates.Sealer, base string, log *slog.Logger) error {
	if err := demoOnlyOnEmpty(ctx, st); err != nil {
		return err
	}
	pw, err := demoAccount(ctx, st)
	if err != nil {
		return err
	}
	n, err := demo.Seed(ctx, st)
	if err != nil {
		return fmt.Errorf("seed demo portfolio: %w", err)
	}
	if n > 0 {
		log.Info("demo portfolio seeded", "releases", n)
	}
	if err := demo.SeedUpdates(ctx, st, updateKeys, filepath.Join(o.Store.data, "demo-root-keys")); err != nil {
		return fmt.Errorf("seed demo update repository: %w", err)
	}
	fmt.Fprintf(s.out, "Demo update repository: %s/tuf/%s/ (provision devices with 'rampart updates root --product %s --data %s')\n",
		base, demo.GatewaySlug, demo.GatewaySlug, o.Store.data)
	fmt.Fprintf(s.out, "Demo credentials (generated for this start): user %q password %q\n", demo.User, pw)
	return nil
}

// demoOnlyOnEmpty refuses --demo on a database that holds anything but
// an earlier demo: it would add an administrator with a printed password
// to a real installation.
func demoOnlyOnEmpty(ctx context.Context, st *store.Store) error {
	users, err := st.Users(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Name != demo.User {
			return fmt.Errorf("--demo: this database already holds data (user %q); use an empty --data directory or database for the demo", u.Name)
		}
	}
	return nil
}

// advisoryConfig is the CSAF publisher identity from the flags.
func advisoryConfig(o *serveOptions) advisory.Config {
	p := provider.Publisher{Category: "vendor", Name: o.Publisher, Namespace: o.Namespace}
	if o.Demo {
		if p.Name == "" {
			p.Name = demo.Vendor
		}
		if p.Namespace == "" {
			p.Namespace = demo.VendorNamespace
		}
	}
	if p.Name == "" {
		p.Name = "Rampart"
	}
	if p.Namespace == "" {
		p.Namespace = strings.TrimSuffix(o.PublicURL, "/")
	}
	if p.Namespace == "" {
		p.Namespace = "https://rampart.invalid"
	}
	return advisory.Config{Publisher: p}
}

// demoAccount makes sure the demo admin exists with a freshly generated
// password, and returns that password. There is never a fixed password.
func demoAccount(ctx context.Context, st *store.Store) (string, error) {
	pw := passphrase()
	hash, err := identity.HashPassword(pw)
	if err != nil {
		return "", err
	}
	u, err := st.UserByName(ctx, demo.User)
	if errors.Is(err, fault.ErrNotFound) {
		u = identity.User{Name: demo.User, Role: identity.RoleAdmin, PasswordHash: hash}
		return pw, st.CreateUser(ctx, &u)
	}
	if err != nil {
		return "", err
	}
	return pw, st.SetPassword(ctx, u.ID, hash, "")
}

// passphrase returns four random words and a number (~50 bits), easy to type.
func passphrase() string {
	words := strings.Fields(`amber anchor apple arrow atlas badge bamboo beacon birch blaze bolt breeze bridge cactus canyon cedar
		cobalt comet copper coral crane crystal delta dune eagle echo ember falcon fern fjord flint forest galaxy garnet
		glacier granite harbor hazel heron indigo island jade jasper juniper kestrel lagoon lantern lark lemon lotus
		maple marble meadow meteor mint nebula nickel oak ocean onyx orbit otter pebble pepper pine planet plume prism
		quartz raven reef ridge river robin saffron sage sierra silver slate spruce summit tango thistle thunder tiger
		topaz tundra velvet violet walnut willow zephyr`)
	pick := func(n int) int {
		v, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
		return int(v.Int64())
	}
	parts := make([]string, 0, 5)
	for range 4 {
		parts = append(parts, words[pick(len(words))])
	}
	parts = append(parts, fmt.Sprint(pick(90)+10))
	return strings.Join(parts, "-")
}

func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if tcp.IP.IsUnspecified() {
		return net.JoinHostPort("localhost", fmt.Sprint(tcp.Port))
	}
	return tcp.String()
}

// parseProxies reads --trusted-proxy values: addresses or CIDR prefixes.
func parseProxies(vals []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range vals {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if p, err := netip.ParsePrefix(part); err == nil {
				out = append(out, p.Masked())
				continue
			}
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("--trusted-proxy %q: not an IP address or CIDR prefix such as 10.0.0.0/8", part)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return out, nil
}
