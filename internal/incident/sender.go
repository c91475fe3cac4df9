package incident

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SMTPConfig says how to send e-mail: always with STARTTLS.
type SMTPConfig struct {
	Addr     string // host:port
	From     string
	Username string // PLAIN authentication after STARTTLS when set
	Password string
	// TLS overrides the TLS client configuration (tests trust their own CA).
	TLS *tls.Config
}

// ParseSMTPURL reads smtp://HOST:PORT.
func ParseSMTPURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" || u.User != nil || (u.Path != "" && u.Path != "/") {
		return "", fmt.Errorf("--smtp-url %q: want smtp://HOST:PORT (credentials come from RAMPART_SMTP_USERNAME and RAMPART_SMTP_PASSWORD)", s)
	}
	port := u.Port()
	if port == "" {
		port = "587"
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}

// NetSender delivers notices by SMTP and signed webhooks.
type NetSender struct {
	SMTP *SMTPConfig // nil: e-mail is not configured
	// Secret signs webhook bodies (HMAC-SHA256, header X-Rampart-Signature).
	Secret []byte
	Client *http.Client
}

// headerText removes line breaks (header injection) and encodes non-ASCII.
func headerText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
	return mime.QEncoding.Encode("utf-8", s)
}

// Mail sends one message over STARTTLS; a server without STARTTLS is refused.
func (s *NetSender) Mail(ctx context.Context, to, subject, body string) error {
	if s.SMTP == nil {
		return errors.New("no SMTP server configured (serve --smtp-url smtp://HOST:PORT)")
	}
	cfg := s.SMTP
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return err
	}
	d := net.Dialer{Timeout: 15 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", cfg.Addr, err)
	}
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp %s: %w", cfg.Addr, err)
	}
	defer c.Close()
	if err := c.Hello("rampart"); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return fmt.Errorf("smtp %s does not offer STARTTLS: refusing to send in the clear", cfg.Addr)
	}
	tc := cfg.TLS
	if tc == nil {
		tc = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	if err := c.StartTLS(tc); err != nil {
		return fmt.Errorf("smtp %s STARTTLS: %w", cfg.Addr, err)
	}
	if cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, cfg.Password, host)); err != nil {
			return fmt.Errorf("smtp %s authentication: %w", cfg.Addr, err)
		}
	}
	if err := c.Mail(cfg.From); err != nil {
		return fmt.Errorf("smtp MAIL FROM %s: %w", cfg.From, err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("smtp RCPT TO %s: %w", to, err)
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	var id [12]byte
	_, _ = rand.Read(id[:])
	var msg bytes.Buffer
	fmt.Fprintf(&msg, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@rampart>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
		cfg.From, to, headerText(subject), time.Now().UTC().Format(time.RFC1123Z), hex.EncodeToString(id[:]))
	// The DATA writer (textproto.DotWriter) does the dot-stuffing.
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		msg.WriteString(line + "\r\n")
	}
	if _, err := w.Write(msg.Bytes()); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	return c.Quit()
}

// Webhook posts a notice as signed JSON.
func (s *NetSender) Webhook(ctx context.Context, u string, n Notice) error {
	body, err := json.Marshal(map[string]any{"kind": "customer_notice", "incident": n.IncidentID, "product": n.Subscriber.ProductID, "subject": n.Subject, "body": n.Body})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Rampart-Webhook/1")
	if len(s.Secret) > 0 {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		mac := hmac.New(sha256.New, s.Secret)
		mac.Write([]byte(ts + "."))
		mac.Write(body)
		req.Header.Set("X-Rampart-Signature", "t="+ts+",v1="+hex.EncodeToString(mac.Sum(nil)))
	}
	cl := s.Client
	if cl == nil {
		cl = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := cl.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s answered %s", u, resp.Status)
	}
	return nil
}
