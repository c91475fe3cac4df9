package cli

import (
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/advisory/provider"
	"github.com/rampart-security/rampart/internal/demo"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/jobs"
	"github.com/rampart-security/rampart/internal/server"
	"github.com/rampart-security/rampart/internal/store"
)

type serveOptions struct {
	sf             storeFlags
	listen         string
	demo           bool
	logFormat      string
	tlsCert        string
	tlsKey         string
	maxUpload      int64
	privateMetrics bool
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
	smtpURL        string
	smtpFrom       string
	publicURL      string
	publisher      string
	namespace      string
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
are printed instead.`,
		Example: `  rampart serve --demo
  rampart serve --listen 0.0.0.0:8443 --data /var/lib/rampart --tls-cert cert.pem --tls-key key.pem
  rampart serve --database postgres://rampart@db/rampart`,
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
	f.BoolVar(&o.privateMetrics, "private-metrics", false, "require an admin for /metrics")
	f.BoolVar(&o.selfSigned, "tls-self-signed", false, "serve HTTPS with a self-signed certificate generated at start (local use; browsers warn)")
	f.StringVar(&o.oidcIssuer, "oidc-issuer", "", "OpenID Connect issuer URL for single sign-on (client secret from $RAMPART_OIDC_CLIENT_SECRET)")
	f.StringVar(&o.oidcClientID, "oidc-client-id", "", "OpenID Connect client id")
	f.StringVar(&o.oidcRedirect, "oidc-redirect-url", "", "public callback URL, https://HOST/login/sso/callback")
	f.StringVar(&o.oidcScopes, "oidc-scopes", "profile email groups", "scopes to request besides openid")
	f.StringVar(&o.oidcGroups, "oidc-group-claim", "groups", "ID token claim listing the user's groups")
	f.StringVar(&o.oidcRoleMap, "oidc-role-map", "", "group-to-role map, e.g. 'sec-team=admin,firmware=editor,qa=viewer' (unmapped users are refused)")
	f.DurationVar(&o.sessionIdle, "session-idle", store.SessionIdle, "sign a session out after this long without activity")
	f.DurationVar(&o.sessionMax, "session-max", store.SessionAbsolute, "sign a session out this long after sign-in, whatever its activity")
	f.StringVar(&o.smtpURL, "smtp-url", "", "SMTP server for customer notices, smtp://HOST:PORT (STARTTLS required; credentials from $RAMPART_SMTP_USERNAME and $RAMPART_SMTP_PASSWORD)")
	f.StringVar(&o.smtpFrom, "smtp-from", "", "sender address of customer notices (default security@ the SMTP host)")
	f.StringVar(&o.publicURL, "public-url", "", "public base URL of this server (https://psirt.example.com); the CSAF provider builds every URL from it (default: the request's scheme and Host)")
	f.StringVar(&o.publisher, "csaf-publisher", "", "publisher name in CSAF advisories (default: Rampart, or the demo vendor with --demo)")
	f.StringVar(&o.namespace, "csaf-namespace", "", "publisher namespace URL in CSAF advisories (default: --public-url, or the demo vendor's)")
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

	if o.demo {
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
		fmt.Fprintf(s.out, "Demo credentials (generated for this start): user %q password %q\n", demo.User, pw)
	} else if n, err := st.CountUsers(ctx); err != nil {
		ln.Close()
		return err
	} else if n == 0 {
		tok, err := st.CreateSetupToken(ctx, "setup", 24*time.Hour)
		if err != nil {
			ln.Close()
			return err
		}
		fmt.Fprintf(s.out, "No users yet. Create the first administrator within 24 hours at this one-time link:\n  %s/setup?token=%s\n", base, tok)
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
	go jobs.New(jobs.Config{Webhooks: o.webhooks, Secret: []byte(secret)}, st, log).Run(ctx)
	if err := startIncidentJobs(ctx, st, o.smtpURL, o.smtpFrom, []byte(secret), log); err != nil {
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
			Scopes: strings.Fields(o.oidcScopes), GroupClaim: o.oidcGroups, RoleMap: roles})
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
	srv := server.New(server.Config{SSO: sso, TLS: scheme == "https", PublicMetrics: !o.privateMetrics, MaxUpload: o.maxUpload,
		PublicURL: o.publicURL, Advisory: advCfg, IntakeKey: intakeKey}, st, log)
	fmt.Fprintf(s.out, "Rampart listening on %s\n", base)
	log.Info("serving", "url", base, "engine", st.Engine())
	return srv.Serve(ctx, ln)
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
