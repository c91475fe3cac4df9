package cli

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSelfSignedCert: the --tls-self-signed certificate serves HTTPS for
// localhost and 127.0.0.1, and its printed fingerprint is the SHA-256 of it.
func TestSelfSignedCert(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cert, fp, err := selfSignedCert(ln.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if len(strings.Split(fp, ":")) != 32 {
		t.Errorf("fingerprint %q", fp)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := leaf.VerifyHostname("localhost"); err != nil {
		t.Error(err)
	}
	if err := leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	if d := time.Until(leaf.NotAfter); d < 80*24*time.Hour || d > 91*24*time.Hour {
		t.Errorf("validity %v", d)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })}
	go srv.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get("https://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatalf("HTTPS with the self-signed certificate: %v", err)
	}
	resp.Body.Close()
}
