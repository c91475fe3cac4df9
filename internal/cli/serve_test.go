package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// writeKeyPair writes a self-signed certificate and its key as PEM files.
func writeKeyPair(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	cert, _, err := selfSignedCert(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(cert.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestServeOptionsDefaults(t *testing.T) {
	o, err := parseArgs(newServeCmd)
	if err != nil {
		t.Fatal(err)
	}
	if o.Store != defaultStore || o.Listen != "127.0.0.1:8080" || o.Demo || o.LogFormat != "text" || o.TLSCert != "" || o.TLSKey != "" ||
		o.MaxUpload != 512<<20 || o.PublicMetrics || o.SelfSigned || o.SessionIdle != store.SessionIdle || o.SessionMax != store.SessionAbsolute ||
		o.OIDCIssuer != "" || o.OIDCScopes != "profile email groups" || o.OIDCGroups != "groups" || o.OIDCLinkEmail || o.OIDCRoleMap != "" ||
		o.Webhooks != nil || o.MaxTokenLife != identity.DefaultMaxTokenLifetime || o.DiagramTimeout != threatmodel.DefaultRenderTimeout ||
		o.TrustedProxies != nil || o.SMTPURL != "" || o.SMTPFrom != "" || o.TimeZone != "UTC" || o.PublicURL != "" || o.Publisher != "" ||
		o.Namespace != "" || o.VulnDBSync != 6*time.Hour || o.VulnDBOffline {
		t.Errorf("defaults: %+v", o)
	}
	if want := defaultFeeds(); o.Feeds.osvBase != want.osvBase || o.Feeds.src.NVD != want.src.NVD || len(o.Feeds.ecosystems) != len(want.ecosystems) {
		t.Errorf("feed defaults: %+v", o.Feeds)
	}
	if o.location != time.UTC || o.proxies != nil || o.cert != nil || o.roleMap != nil || o.vulndbSyncSet {
		t.Errorf("derived defaults: location %v proxies %v cert %v roles %v", o.location, o.proxies, o.cert, o.roleMap)
	}
}

func TestServeOptionsParsed(t *testing.T) {
	certFile, keyFile := writeKeyPair(t)
	o, err := parseArgs(newServeCmd, "--listen", "0.0.0.0:8443", "--database", "postgres://rampart@db/rampart", "--tls-cert", certFile, "--tls-key", keyFile,
		"--log-format", "json", "--max-upload", "1048576", "--session-idle", "1h", "--session-max", "8h", "--max-token-lifetime", "720h",
		"--diagram-timeout", "5s", "--trusted-proxy", "10.0.0.0/8,192.168.1.1", "--timezone", "Europe/Berlin",
		"--webhook", "https://hooks.example/a", "--smtp-url", "smtp://mail.example:25", "--smtp-from", "psirt@example.com",
		"--public-url", "https://psirt.example.com", "--csaf-publisher", "Acme", "--csaf-namespace", "https://acme.example",
		"--oidc-issuer", "https://idp.example", "--oidc-client-id", "rampart", "--oidc-redirect-url", "https://psirt.example.com/login/sso/callback",
		"--oidc-role-map", "sec=admin,qa=viewer", "--oidc-link-verified-email", "--vulndb-sync", "2h", "--nvd-url", "https://mirror.internal/nvd", "--public-metrics", "--demo")
	if err != nil {
		t.Fatal(err)
	}
	if o.Listen != "0.0.0.0:8443" || o.Store.database != "postgres://rampart@db/rampart" || o.LogFormat != "json" || o.MaxUpload != 1<<20 ||
		o.SessionIdle != time.Hour || o.SessionMax != 8*time.Hour || o.MaxTokenLife != 720*time.Hour || o.DiagramTimeout != 5*time.Second ||
		o.SMTPURL != "smtp://mail.example:25" || o.SMTPFrom != "psirt@example.com" || o.PublicURL != "https://psirt.example.com" ||
		o.Publisher != "Acme" || o.Namespace != "https://acme.example" || o.OIDCClientID != "rampart" || !o.OIDCLinkEmail ||
		o.VulnDBSync != 2*time.Hour || !o.vulndbSyncSet || o.Feeds.src.NVD != "https://mirror.internal/nvd" || !o.PublicMetrics || !o.Demo ||
		len(o.Webhooks) != 1 {
		t.Errorf("options: %+v", o)
	}
	if o.cert == nil || len(o.cert.Certificate) != 1 {
		t.Errorf("TLS key pair not loaded: %v", o.cert)
	}
	if o.location.String() != "Europe/Berlin" {
		t.Errorf("location %v", o.location)
	}
	if len(o.proxies) != 2 || o.proxies[0].String() != "10.0.0.0/8" || o.proxies[1].String() != "192.168.1.1/32" {
		t.Errorf("proxies %v", o.proxies)
	}
	if o.roleMap["sec"] != identity.RoleAdmin || o.roleMap["qa"] != identity.RoleViewer || len(o.roleMap) != 2 {
		t.Errorf("role map %v", o.roleMap)
	}
	if o, err := parseArgs(newServeCmd, "--vulndb-offline", "--tls-self-signed", "--vulndb-sync", "0"); err != nil || !o.VulnDBOffline || !o.SelfSigned {
		t.Errorf("--vulndb-offline --tls-self-signed --vulndb-sync 0: %v %+v", err, o)
	}
}

// invalidServeFlags are argument lines serve refuses, each with the flag
// the message must name.
var invalidServeFlags = []struct {
	args []string
	flag string
}{
	{[]string{"--listen", "8080"}, "--listen"},
	{[]string{"--listen", "127.0.0.1:99999"}, "--listen"},
	{[]string{"--listen", "127.0.0.1:http-alt"}, "--listen"},
	{[]string{"--log-format", "xml"}, "--log-format"},
	{[]string{"--tls-cert", "cert.pem"}, "--tls-cert and --tls-key must be given together"},
	{[]string{"--tls-key", "key.pem"}, "--tls-cert and --tls-key must be given together"},
	{[]string{"--tls-cert", "missing-cert.pem", "--tls-key", "missing-key.pem"}, "--tls-cert missing-cert.pem"},
	{[]string{"--tls-self-signed", "--tls-cert", "c.pem", "--tls-key", "k.pem"}, "--tls-self-signed and --tls-cert are exclusive"},
	{[]string{"--max-upload", "0"}, "--max-upload"},
	{[]string{"--max-upload", "-5"}, "--max-upload"},
	{[]string{"--session-idle", "0s"}, "--session-idle"},
	{[]string{"--session-idle", "48h", "--session-max", "24h"}, "--session-idle"},
	{[]string{"--max-token-lifetime", "0s"}, "--max-token-lifetime"},
	{[]string{"--diagram-timeout", "0s"}, "--diagram-timeout"},
	{[]string{"--vulndb-sync", "-1h"}, "--vulndb-sync"},
	{[]string{"--vulndb-offline", "--vulndb-sync", "2h"}, "--vulndb-offline and --vulndb-sync"},
	{[]string{"--nvd-url", "ftp://mirror/nvd"}, "--nvd-url"},
	{[]string{"--osv-base", "mirror.internal/osv"}, "--osv-base"},
	{[]string{"--trusted-proxy", "10.0.0.300"}, "--trusted-proxy"},
	{[]string{"--timezone", "Mars/Olympus"}, "--timezone"},
	{[]string{"--webhook", "ftp://hooks.example"}, "--webhook"},
	{[]string{"--webhook", "https://"}, "--webhook"},
	{[]string{"--smtp-url", "http://mail.example"}, "--smtp-url"},
	{[]string{"--smtp-from", "psirt@example.com"}, "--smtp-from needs --smtp-url"},
	{[]string{"--public-url", "https://psirt.example.com/path"}, "--public-url"},
	{[]string{"--csaf-namespace", "acme"}, "--csaf-namespace"},
	{[]string{"--oidc-client-id", "rampart"}, "--oidc-client-id needs --oidc-issuer"},
	{[]string{"--oidc-role-map", "sec=admin"}, "--oidc-role-map needs --oidc-issuer"},
	{[]string{"--oidc-issuer", "idp.example"}, "--oidc-issuer"},
	{[]string{"--oidc-issuer", "https://idp.example"}, "--oidc-client-id"},
	{[]string{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "r"}, "--oidc-redirect-url"},
	{[]string{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "r", "--oidc-redirect-url", "https://h/cb"}, "--oidc-role-map"},
	{[]string{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "r", "--oidc-redirect-url", "https://h/cb", "--oidc-role-map", "sec=root"}, "--oidc-role-map"},
	{[]string{"--database", "mysql://db/rampart"}, "--database"},
	{[]string{"--database", "postgres://db:port/rampart"}, "--database"},
	{[]string{"--data", ""}, "--data"},
}

func TestServeOptionsInvalid(t *testing.T) {
	for _, tc := range invalidServeFlags {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			o, err := parseArgs(newServeCmd, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.flag) {
				t.Fatalf("error %v, want one naming %q", err, tc.flag)
			}
			if o != nil {
				t.Fatalf("the run was called: %+v", o)
			}
		})
	}
}

// TestServeInvalidFlagOpensNothing runs the real serve: an invalid flag
// fails with exit 2 before the database is opened (its data directory is
// never created) or the address listened on.
func TestServeInvalidFlagOpensNothing(t *testing.T) {
	data := filepath.Join(t.TempDir(), "must-not-exist")
	// A port that is free, so a listen that happened would succeed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, tc := range invalidServeFlags {
		if tc.flag == "--data" {
			continue
		}
		args := append([]string{"serve", "--data", data, "--listen", addr}, tc.args...)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a regression must not hang the suite
		code, _, stderr := runCtx(ctx, "", args...)
		cancel()
		if code != ExitError || !strings.Contains(stderr, tc.flag) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %q", tc.args, code, stderr, tc.flag)
		}
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Fatalf("%v: the data directory was created (the store was opened): %v", tc.args, err)
		}
	}
}
