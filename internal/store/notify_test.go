package store_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// smtpServer is a small SMTP server for tests: STARTTLS, AUTH PLAIN, and a
// mailbox; recipients containing "bounce" are refused with 550.
type smtpServer struct {
	ln       net.Listener
	tls      *tls.Config
	noTLS    bool
	user     string
	pass     string
	mu       sync.Mutex
	messages []smtpMessage
}

type smtpMessage struct {
	From, To, Data, AuthUser string
	TLS                      bool
}

func newSMTPServer(t *testing.T, noTLS bool) (*smtpServer, *x509.CertPool) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp test"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, noTLS: noTLS, user: "rampart", pass: "s3cret",
		tls: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s, pool
}

func (s *smtpServer) serve(c net.Conn) {
	defer func() { c.Close() }()
	r := bufio.NewReader(c)
	say := func(line string) { io.WriteString(c, line+"\r\n") }
	say("220 test ESMTP")
	var msg smtpMessage
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		cmd := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch cmd {
		case "EHLO", "HELO":
			switch {
			case msg.TLS:
				say("250-test")
				say("250-AUTH PLAIN")
				say("250 8BITMIME")
			case s.noTLS:
				say("250-test")
				say("250 8BITMIME")
			default:
				say("250-test")
				say("250 STARTTLS")
			}
		case "STARTTLS":
			say("220 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, r, msg.TLS = tc, bufio.NewReader(tc), true
		case "AUTH":
			f := strings.Fields(line)
			b, _ := base64.StdEncoding.DecodeString(f[len(f)-1])
			parts := strings.Split(string(b), "\x00")
			if len(parts) == 3 && parts[1] == s.user && parts[2] == s.pass {
				msg.AuthUser = parts[1]
				say("235 authenticated")
			} else {
				say("535 bad credentials")
			}
		case "MAIL":
			msg.From = line
			say("250 ok")
		case "RCPT":
			if strings.Contains(line, "bounce") {
				say("550 no such user here")
				continue
			}
			msg.To = line
			say("250 ok")
		case "DATA":
			say("354 end with .")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			msg.Data = b.String()
			s.mu.Lock()
			s.messages = append(s.messages, msg)
			s.mu.Unlock()
			say("250 queued")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

// TestCustomerNoticeDelivery: entering recovery queues the customer notice
// to every subscriber; e-mail goes over STARTTLS with authentication to a
// local SMTP server, webhooks are signed; each recipient has its own
// delivery status, a refused address is retried then failed, a delivered
// notice marks users informed, and header injection through the title fails.
func TestCustomerNoticeDelivery(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		srv, pool := newSMTPServer(t, false)
		var hookMu sync.Mutex
		var hookSig, hookBody string
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			hookMu.Lock()
			hookSig, hookBody = r.Header.Get("X-Rampart-Signature"), string(b)
			hookMu.Unlock()
		}))
		defer hook.Close()
		p := createProduct(t, st, "Thermostat")
		for _, s := range [][2]string{{"owner@example.org", ""}, {"bounce@example.org", ""}, {"", hook.URL}} {
			if _, err := incident.Subscribe(ctx, st, p.ID, s[0], s[1], time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := incident.Subscribe(ctx, st, p.ID, "Eve <eve@example.org>", "", time.Now()); err == nil {
			t.Error("a display-name address was accepted")
		}
		if _, err := incident.Subscribe(ctx, st, p.ID, "owner@example.org", "", time.Now()); err == nil {
			t.Error("a duplicate subscriber was accepted")
		}
		svc := incident.New(st, time.Now, incident.Options{Notify: st})
		inc, err := svc.Open(ctx, incident.OpenInput{Kind: incident.KindVulnerability, Title: "Heap overflow in the MQTT client\r\nBcc: victim@example.org",
			Severity: "high", Products: []int64{p.ID}, Vulnerability: "CVE-2026-2222"})
		if err != nil {
			t.Fatal(err)
		}
		rec := incident.PhaseRecovery
		measures := incident.Details{CorrectiveMeasures: "Install firmware 4.2.1 from the app.", FixingUpdate: "4.2.1", Exploitation: "internal intelligence, not for customers"}
		if _, err := svc.Update(ctx, inc.ID, incident.Patch{Details: &measures}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Update(ctx, inc.ID, incident.Patch{Phase: &rec}); err != nil {
			t.Fatal(err)
		}
		snd := &incident.NetSender{Secret: []byte("k"), SMTP: &incident.SMTPConfig{Addr: srv.ln.Addr().String(), From: "security@acme.example",
			Username: "rampart", Password: "s3cret", TLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}}
		sent, failed, err := svc.Deliver(ctx, st, snd)
		if err != nil || sent != 2 || failed != 1 {
			t.Fatalf("deliver: sent %d failed %d err %v", sent, failed, err)
		}
		srv.mu.Lock()
		if len(srv.messages) != 1 {
			t.Fatalf("%d messages at the SMTP server", len(srv.messages))
		}
		m := srv.messages[0]
		srv.mu.Unlock()
		if !m.TLS || m.AuthUser != "rampart" || !strings.Contains(m.To, "owner@example.org") || !strings.Contains(m.Data, "Install firmware 4.2.1") {
			t.Errorf("message %+v", m)
		}
		head := m.Data[:strings.Index(m.Data, "\r\n\r\n")]
		if strings.Contains(strings.ToLower(head), "\r\nbcc:") || strings.Contains(m.Data, "internal intelligence") {
			t.Errorf("header injection or internal details in the notice:\n%s", m.Data)
		}
		hookMu.Lock()
		if !strings.HasPrefix(hookSig, "t=") || !strings.Contains(hookBody, `"customer_notice"`) {
			t.Errorf("webhook %q %q", hookSig, hookBody)
		}
		hookMu.Unlock()
		ns, err := st.Notifications(ctx, inc.ID)
		if err != nil || len(ns) != 3 {
			t.Fatalf("notifications %d %v", len(ns), err)
		}
		status := map[string]string{}
		for _, n := range ns {
			status[n.Subscriber.Email+n.Subscriber.Webhook] = n.Status + " " + n.Error
		}
		if !strings.HasPrefix(status["owner@example.org"], "sent") || !strings.HasPrefix(status[hook.URL], "sent") ||
			!strings.HasPrefix(status["bounce@example.org"], "queued") || !strings.Contains(status["bounce@example.org"], "550") {
			t.Errorf("statuses %v", status)
		}
		for i := 0; i < incident.MaxNotifyAttempts; i++ {
			if _, _, err := svc.Deliver(ctx, st, snd); err != nil {
				t.Fatal(err)
			}
		}
		ns, _ = st.Notifications(ctx, inc.ID)
		for _, n := range ns {
			if n.Subscriber.Email == "bounce@example.org" && (n.Status != incident.NotifyFailed || n.Attempts != incident.MaxNotifyAttempts) {
				t.Errorf("refused address: %s after %d attempts", n.Status, n.Attempts)
			}
		}
		got, _ := svc.Get(ctx, inc.ID)
		if !got.Details.UsersInformed {
			t.Error("users_informed not set after delivery")
		}
		// A server without STARTTLS is refused: nothing is sent in the clear.
		plain, _ := newSMTPServer(t, true)
		err = (&incident.NetSender{SMTP: &incident.SMTPConfig{Addr: plain.ln.Addr().String(), From: "a@b.example"}}).Mail(ctx, "x@example.org", "s", "b")
		if err == nil || !strings.Contains(err.Error(), "STARTTLS") || len(plain.messages) != 0 {
			t.Errorf("plain server: %v", err)
		}
	})
}
