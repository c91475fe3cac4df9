package cli

import (
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
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/advisory/provider"
	"github.com/rampart-security/rampart/internal/demo"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/jobs"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/threatmodel"
	"github.com/rampart-security/rampart/internal/updates"
)

type serveOptions struct {
	sf             storeFlags
	listen         string
	demo           bool
	logFormat      string
	tlsCert        string
	tlsKey         string
	maxUpload      int64
	publicMetrics  bool
	selfSigned     bool
	sessionIdle    time.Duration
	sessionMax     time.Duration
	oidcIssuer     string
	oidcClientID   string
	oidcRedirect   string
	oidcScopes     string
	oidcGroups     string
	oidcRoleMap    string
	webhooks       []string
	maxTokenLife   time.Duration
	diagramTimeout time.Duration
	trustedProxies []string
	oidcLinkEmail  bool
	smtpURL        string
	timeZone       string
	smtpFrom       string
	publicURL      string
	publisher      string
	namespace      string
	feeds          feedFlags
	vulndbSync     time.Duration
	vulndbOffline  bool
}

func newServeCmd(s *streams) *cobra.Command {
	var o serveOptions
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
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, s, o) },
	}
	o.sf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address to listen on")
	f.BoolVar(&o.demo, "demo", false, "seed a demo portfolio and print generated demo credentials")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key serves HTTPS")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	f.Int64Var(&o.maxUpload, "max-upload", 512<<20, "largest accepted upload in bytes")
	f.BoolVar(&o.publicMetrics, "public-metrics", false, "serve /metrics without authentication (default: admins only; for a scraper use an admin-scoped token or this flag behind a private network)")
	f.BoolVar(&o.selfSigned, "tls-self-signed", false, "serve HTTPS with a self-signed certificate generated at start (local use; browsers warn)")
	f.StringVar(&o.oidcIssuer, "oidc-issuer", "", "OpenID Connect issuer URL for single sign-on (client secret from $RAMPART_OIDC_CLIENT_SECRET)")
	f.StringVar(&o.oidcClientID, "oidc-client-id", "", "OpenID Connect client id")
	f.StringVar(&o.oidcRedirect, "oidc-redirect-url", "", "public callback URL, https://HOST/login/sso/callback")
	f.StringVar(&o.oidcScopes, "oidc-scopes", "profile email groups", "scopes to request besides openid")
	f.StringVar(&o.oidcGroups, "oidc-group-claim", "groups", "ID token claim listing the user's groups")
	f.BoolVar(&o.oidcLinkEmail, "oidc-link-verified-email", false, "let a first SSO sign-in take over the existing password-less account named by its verified email (default: link by issuer and subject only)")
	f.StringVar(&o.oidcRoleMap, "oidc-role-map", "", "group-to-role map, e.g. 'sec-team=admin,firmware=editor,qa=viewer' (unmapped users are refused)")
	f.DurationVar(&o.sessionIdle, "session-idle", store.SessionIdle, "sign a session out after this long without activity")
	f.DurationVar(&o.sessionMax, "session-max", store.SessionAbsolute, "sign a session out this long after sign-in, whatever its activity")
	f.DurationVar(&o.diagramTimeout, "diagram-timeout", threatmodel.DefaultRenderTimeout, "longest a threat-model diagram may take to draw (the worker is stopped; the threats table still works)")
	f.DurationVar(&o.maxTokenLife, "max-token-lifetime", identity.DefaultMaxTokenLifetime, "longest lifetime an API token may be given (every token expires)")
	f.StringArrayVar(&o.trustedProxies, "trusted-proxy", nil, "address or CIDR of a reverse proxy whose X-Forwarded-For names the client (repeatable); without it the TCP peer is the client")
	f.StringVar(&o.smtpURL, "smtp-url", "", "SMTP server for customer notices, smtp://HOST:PORT (STARTTLS required; credentials from $RAMPART_SMTP_USERNAME and $RAMPART_SMTP_PASSWORD)")
	f.StringVar(&o.timeZone, "timezone", "UTC", "the manufacturer's legal time zone for the incident clocks: 14 days and one month are counted in it, and deadlines are shown in it beside UTC (e.g. Europe/Berlin)")
	f.StringVar(&o.smtpFrom, "smtp-from", "", "sender address of customer notices (default security@ the SMTP host)")
	f.StringVar(&o.publicURL, "public-url", "", "public base URL of this server (https://psirt.example.com); the CSAF provider builds every URL from it (default: the request's scheme and Host)")
	f.StringVar(&o.publisher, "csaf-publisher", "", "publisher name in CSAF advisories (default: Rampart, or the demo vendor with --demo)")
	f.StringVar(&o.namespace, "csaf-namespace", "", "publisher namespace URL in CSAF advisories (default: --public-url, or the demo vendor's)")
	f.DurationVar(&o.vulndbSync, "vulndb-sync", 6*time.Hour, "download changed vulnerability feeds this often, in the background and once across servers sharing the database (0: only on \"Update now\")")
	f.BoolVar(&o.vulndbOffline, "vulndb-offline", false, "air-gapped site: never download feeds; load data with 'rampart vulndb import' or an offline bundle on the Vulnerability data page")
	o.feeds.register(cmd)
	f.StringArrayVar(&o.webhooks, "webhook", nil, "URL that receives every event as signed JSON (repeatable); the HMAC key is read from $RAMPART_WEBHOOK_SECRET")
	return cmd
}

func runServe(cmd *cobra.Command, s *streams, o serveOptions) error {
	ctx := cmd.Context()
	var log *slog.Logger
	switch o.logFormat {
	case "text":
		log = slog.New(slog.NewTextHandler(s.err, nil))
	case "json":
		log = slog.New(slog.NewJSONHandler(s.err, nil))
	default:
		return fmt.Errorf("--log-format %q: must be text or json", o.logFormat)
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key must be given together")
	}
	if o.selfSigned && o.tlsCert != "" {
		return errors.New("--tls-self-signed and --tls-cert are exclusive: give one")
	}
	if o.sessionIdle <= 0 || o.sessionMax <= 0 || o.sessionIdle > o.sessionMax {
		return fmt.Errorf("--session-idle %s and --session-max %s: both must be positive and idle no longer than max", o.sessionIdle, o.sessionMax)
	}
	proxies, err := parseProxies(o.trustedProxies)
	if err != nil {
		return err
	}
	if o.maxTokenLife <= 0 {
		return fmt.Errorf("--max-token-lifetime %s: must be positive (every token expires)", o.maxTokenLife)
	}
	loc, err := time.LoadLocation(o.timeZone)
	if err != nil {
		return fmt.Errorf("--timezone %q: %w", o.timeZone, err)
	}
	st, err := o.sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	st.SetSessionLifetimes(o.sessionIdle, o.sessionMax)

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	scheme := "http"
	if o.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("load TLS key pair: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	} else if o.selfSigned {
		cert, fingerprint, err := selfSignedCert(ln.Addr())
		if err != nil {
			ln.Close()
			return err
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
		fmt.Fprintf(s.out, "Self-signed TLS certificate, SHA-256 fingerprint %s\n", fingerprint)
	}
	base := scheme + "://" + displayAddr(ln.Addr())
	updateKeys, err := updates.FileSealer(o.sf.data)
	if err != nil {
		ln.Close()
		return err
	}

	if o.demo {
		if err := demoOnlyOnEmpty(cmd, st); err != nil {
			ln.Close()
			return err
		}
		pw, err := demoAccount(cmd, st)
		if err != nil {
			ln.Close()
			return err
		}
		n, err := demo.Seed(ctx, st)
		if err != nil {
			ln.Close()
			return fmt.Errorf("seed demo portfolio: %w", err)
		}
		if n > 0 {
			log.Info("demo portfolio seeded", "releases", n)
		}
		if err := demo.SeedUpdates(ctx, st, updateKeys, filepath.Join(o.sf.data, "demo-root-keys")); err != nil {
			ln.Close()
			return fmt.Errorf("seed demo update repository: %w", err)
		}
		fmt.Fprintf(s.out, "Demo update repository: %s/tuf/%s/ (provision devices with 'rampart updates root --product %s --data %s')\n",
			base, demo.GatewaySlug, demo.GatewaySlug, o.sf.data)
		fmt.Fprintf(s.out, "Demo credentials (generated for this start): user %q password %q\n", demo.User, pw)
	} else if n, err := st.CountUsers(ctx); err != nil {
		ln.Close()
		return err
	} else if n == 0 {
		tok, err := st.CreateSetupToken(ctx, "setup", store.SetupLinkLifetime)
		if err != nil {
			ln.Close()
			return err
		}
		fmt.Fprintf(s.out, "No users yet. Create the first administrator within one hour at this one-time link (it replaces any earlier link):\n  %s/setup?token=%s\n", base, tok)
	}

	for _, u := range o.webhooks {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			ln.Close()
			return fmt.Errorf("--webhook %q: must be an http(s) URL", u)
		}
	}
	secret := os.Getenv("RAMPART_WEBHOOK_SECRET")
	if len(o.webhooks) > 0 && secret == "" {
		log.Warn("webhooks are sent unsigned: set RAMPART_WEBHOOK_SECRET")
	}
	fw := portfolio.NewFirmwareJobs(st, log)
	go jobs.New(jobs.Config{Webhooks: o.webhooks, Secret: []byte(secret), Firmware: fw}, st, log).Run(ctx)
	if o.vulndbSync < 0 {
		ln.Close()
		return fmt.Errorf("--vulndb-sync %s: must be 0 (off) or positive, e.g. 6h", o.vulndbSync)
	}
	vulnSync := portfolio.NewVulnSync(st, portfolio.SyncConfig{Sources: o.feeds.sources(), Interval: o.vulndbSync, Offline: o.vulndbOffline})
	if !o.vulndbOffline {
		go jobs.NewVulnSyncer(vulnSync, st, log).Run(ctx)
	}
	go updates.New(st, updateKeys, nil).RunResigner(ctx, log, 10*time.Minute)
	if err := startIncidentJobs(ctx, st, o.smtpURL, o.smtpFrom, []byte(secret), loc, log); err != nil {
		ln.Close()
		return err
	}

	var sso *identity.SSO
	if o.oidcIssuer != "" {
		roles, err := identity.ParseRoleMap(o.oidcRoleMap)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--oidc-role-map: %w", err)
		}
		sso, err = identity.NewSSO(ctx, identity.SSOConfig{Issuer: o.oidcIssuer, ClientID: o.oidcClientID,
			ClientSecret: os.Getenv("RAMPART_OIDC_CLIENT_SECRET"), RedirectURL: o.oidcRedirect,
			Scopes: strings.Fields(o.oidcScopes), GroupClaim: o.oidcGroups, RoleMap: roles, LinkVerifiedEmail: o.oidcLinkEmail})
		if err != nil {
			ln.Close()
			return err
		}
		log.Info("single sign-on enabled", "issuer", o.oidcIssuer)
	}
	intakeKey, err := loadIntakeKey(o.sf, log)
	if err != nil {
		ln.Close()
		return err
	}
	if o.publicURL != "" {
		u, err := url.Parse(o.publicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			ln.Close()
			return fmt.Errorf("--public-url %q: want scheme and host only, e.g. https://psirt.example.com", o.publicURL)
		}
	}
	advCfg := advisoryConfig(o)
	if o.demo {
		if _, err := demo.SeedAdvisories(ctx, st, advCfg); err != nil {
			ln.Close()
			return fmt.Errorf("seed demo advisories: %w", err)
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
	srv := server.New(server.Config{DiagramWorker: worker, DiagramTimeout: o.diagramTimeout, SSO: sso, UpdateKeys: updateKeys, TLS: scheme == "https", PublicMetrics: o.publicMetrics, MaxUpload: o.maxUpload,
		PublicURL: o.publicURL, Advisory: advCfg, Firmware: fw, MaxTokenLifetime: o.maxTokenLife, TrustedProxies: proxies, IntakeKey: intakeKey, IncidentLocation: loc, VulnSync: vulnSync}, st, log)
	fmt.Fprintf(s.out, "Rampart listening on %s\n", base)
	log.Info("serving", "url", base, "engine", st.Engine())
	return srv.Serve(ctx, ln)
}

// demoOnlyOnEmpty refuses --demo on a database that holds anything but
// an earlier demo: it would add an administrator with a printed password
// to a real installation.
func demoOnlyOnEmpty(cmd *cobra.Command, st *store.Store) error {
	users, err := st.Users(cmd.Context())
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
func advisoryConfig(o serveOptions) advisory.Config {
	p := provider.Publisher{Category: "vendor", Name: o.publisher, Namespace: o.namespace}
	if o.demo {
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
		p.Namespace = strings.TrimSuffix(o.publicURL, "/")
	}
	if p.Namespace == "" {
		p.Namespace = "https://rampart.invalid"
	}
	return advisory.Config{Publisher: p}
}

// demoAccount makes sure the demo admin exists with a freshly generated
// password, and returns that password. There is never a fixed password.
func demoAccount(cmd *cobra.Command, st *store.Store) (string, error) {
	pw := passphrase()
	hash, err := identity.HashPassword(pw)
	if err != nil {
		return "", err
	}
	ctx := cmd.Context()
	u, err := st.UserByName(ctx, demo.User)
	if errors.Is(err, store.ErrNotFound) {
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
