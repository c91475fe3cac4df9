package secrets

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

var now = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func kinds(p string, data []byte) string {
	var out []string
	for _, i := range Scan(p, data, now) {
		out = append(out, string(i.Kind)+":"+string(i.Severity))
	}
	return strings.Join(out, ",")
}

func cert(t *testing.T, ca bool, bits int, notAfter time.Time, selfSigned bool) []byte {
	t.Helper()
	key, _ := rsa.GenerateKey(rand.Reader, bits)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dev"}, NotBefore: now.AddDate(-1, 0, 0), NotAfter: notAfter,
		IsCA: ca, BasicConstraintsValid: true}
	parent, signer := tmpl, key
	if !selfSigned {
		issuerKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		parent = &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "issuer"}, NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true}
		signer = issuerKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestPrivateKeys(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 1024)
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edk, _ := ed25519.GenerateKey(rand.Reader)
	sec1, _ := x509.MarshalECPrivateKey(ek)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(edk)
	osshBlock, _ := ssh.MarshalPrivateKey(edk, "device")
	encBlock, _ := ssh.MarshalPrivateKeyWithPassphrase(edk, "device", []byte("pw"))
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"pkcs1", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}), "private_key:critical"},
		{"sec1", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), "private_key:critical"},
		{"pkcs8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), "private_key:critical"},
		{"openssh", pem.EncodeToMemory(osshBlock), "private_key:critical"},
		{"openssh with passphrase", pem.EncodeToMemory(encBlock), "private_key:medium"},
		{"key inside a binary", append(append([]byte("\x7fELF\x00\x01junk"), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)})...), 0, 1), "private_key:critical"},
		// Traps: PEM header strings and garbage bodies are not keys.
		{"format string in binary", []byte("\x7fELF\x00-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----\n\x00"), ""},
		{"bad body", []byte("-----BEGIN PRIVATE KEY-----\nTUlJQm9nZ3Vz\n-----END PRIVATE KEY-----\n"), ""},
		{"header only", []byte("printf(\"-----BEGIN OPENSSH PRIVATE KEY-----\")"), ""},
	} {
		if got := kinds("/etc/ssl/"+c.name, c.data); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestCertificates(t *testing.T) {
	for _, c := range []struct {
		name, path string
		data       []byte
		want       string
	}{
		{"self-signed leaf", "/etc/lighttpd/server.pem", cert(t, false, 2048, now.AddDate(1, 0, 0), true), "certificate:medium"},
		{"expired", "/etc/app/client.pem", cert(t, false, 2048, now.AddDate(0, -1, 0), false), "certificate:medium"},
		{"weak key", "/etc/app/weak.pem", cert(t, false, 1024, now.AddDate(1, 0, 0), false), "certificate:high"},
		{"good issued cert", "/etc/app/good.pem", cert(t, false, 2048, now.AddDate(1, 0, 0), false), ""},
		{"root CA in trust store", "/etc/ssl/certs/ca-certificates.crt", cert(t, true, 2048, now.AddDate(5, 0, 0), true), ""},
	} {
		if got := kinds(c.path, c.data); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestAuthorizedKeys(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	sp, _ := ssh.NewPublicKey(pub)
	line := ssh.MarshalAuthorizedKey(sp)
	is := Scan("/home/admin/.ssh/authorized_keys", line, now)
	if len(is) != 1 || is[0].Kind != "authorized_keys" || is[0].Account != "admin" {
		t.Errorf("authorized_keys: %+v", is)
	}
	if got := kinds("/root/.ssh/authorized_keys", []byte("# no keys yet\n")); got != "" {
		t.Errorf("empty authorized_keys: %q", got)
	}
}

func TestTokensAndCredentials(t *testing.T) {
	for _, c := range []struct{ name, path, data, want string }{
		{"aws pair", "/etc/cloud.conf", "aws_access_key_id=AKIAZ7Q3XN4T6LWBR2PK\naws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8w4vT9Lm\n", "hardcoded_api_token:high,hardcoded_api_token:critical"},
		{"aws example key", "/etc/cloud.conf", "key=AKIAIOSFODNN7EXAMPLE\n", ""},
		{"github token in binary", "/usr/bin/agent", "\x00\x01ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8\x00", "hardcoded_api_token:high"},
		{"google key", "/www/js/map.js", "var k='AIzaSyD3xampl3K3yN0tRealButL00ksR1ght12';", "hardcoded_api_token:high"},
		{"password in config", "/etc/config/wifi", "option key 'x'\noption password 'R0uterPass!'\n", "hardcoded_credential:high"},
		{"wpa psk", "/etc/wpa_supplicant.conf", "network={\n psk=\"MyWifiKey2024\"\n}\n", "hardcoded_credential:high"},
		{"shell variable", "/etc/init.d/app", "#!/bin/sh\nPASSWORD=$1\npassword=\"${ADMIN_PW}\"\n", ""},
		{"empty value", "/etc/app.conf", "password=\npassword = \"\"\n", ""},
		{"commented", "/etc/app.conf", "# password=hunter2hunter2\n; password=abcd1234\n", ""},
		{"placeholder", "/etc/app.conf", "password=<your password>\npassword=********\n", ""},
		{"pam syntax", "/etc/pam.d/login", "password required pam_unix.so\n", ""},
		{"binary not scanned for creds", "/usr/bin/tool", "password=letmein123\x00\x00", ""},
	} {
		if got := kinds(c.path, []byte(c.data)); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func FuzzScan(f *testing.F) {
	f.Add("/etc/ssl/k.pem", []byte("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"))
	f.Add("/root/.ssh/authorized_keys", []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGfF device\n"))
	f.Add("/etc/app.conf", []byte("password=abc123456\naws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8w4vT9Lm"))
	f.Add("/etc/c.pem", []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, p string, b []byte) {
		if len(b) > 16384 {
			return
		}
		Scan(p, b, now)
	})
}
