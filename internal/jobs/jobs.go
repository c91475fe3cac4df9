// Package jobs runs Rampart's background work in the server: expiring risk
// acceptances (which reopens findings and raises events) and delivering
// events to webhooks, signed and retried. Every step is safe to run in
// several servers sharing one PostgreSQL database.
package jobs

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/rampart-security/rampart/internal/store"
)

// Config configures the runner.
type Config struct {
	// Webhooks receive every event as JSON.
	Webhooks []string
	// Secret signs webhook bodies (HMAC-SHA256); empty sends them unsigned.
	Secret []byte
	// Interval between runs (default one minute).
	Interval time.Duration
	// MaxAttempts per delivery (default 10).
	MaxAttempts int
	Client      *http.Client
}

// Runner runs the jobs.
type Runner struct {
	cfg Config
	st  *store.Store
	log *slog.Logger
	now func() time.Time
	// lastSnapshot is when the findings trend was last recorded.
	lastSnapshot time.Time
}

// New returns a runner.
func New(cfg Config, st *store.Store, log *slog.Logger) *Runner {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Runner{cfg: cfg, st: st, log: log, now: time.Now}
}

// Run runs the jobs every interval until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	for {
		if err := r.Tick(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("background jobs", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick runs every job once.
func (r *Runner) Tick(ctx context.Context) error {
	now := r.now().UTC()
	if now.Sub(r.lastSnapshot) >= 15*time.Minute { // trend data: a day's counts, refreshed
		if err := r.st.SnapshotFindings(ctx, now, 0); err != nil {
			return fmt.Errorf("snapshot findings: %w", err)
		}
		r.lastSnapshot = now
	}
	ids, err := r.st.ExpireAcceptances(ctx, now)
	if err != nil {
		return fmt.Errorf("expire risk acceptances: %w", err)
	}
	for _, id := range ids {
		f, err := r.st.Finding(ctx, id)
		if err != nil {
			return err
		}
		if err := r.st.AddEvent(ctx, store.Event{At: now, Kind: "finding.acceptance-expired", ProductID: f.ProductID, ReleaseID: f.ReleaseID,
			Subject: strconv.FormatInt(id, 10), Title: fmt.Sprintf("Risk acceptance expired: %s (%s %s) reopened", f.Finding.Title, f.ProductName, f.Release)}); err != nil {
			return err
		}
	}
	if len(r.cfg.Webhooks) == 0 {
		return nil
	}
	if _, err := r.st.QueueDeliveries(ctx, r.cfg.Webhooks, now); err != nil {
		return err
	}
	sent, failed, err := r.st.DeliverDue(ctx, now, r.cfg.MaxAttempts, func(d store.Delivery) error { return r.send(ctx, d, now) })
	if sent+failed > 0 {
		r.log.Info("webhooks", "sent", sent, "failed", failed)
	}
	return err
}

// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">".
// Receivers recompute it with the shared secret and reject old timestamps
// (replay protection).
const SignatureHeader = "X-Rampart-Signature"

// Sign returns the signature header value for body at time t.
func Sign(secret, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

func (r *Runner) send(ctx context.Context, d store.Delivery, now time.Time) error {
	body, err := json.Marshal(d.Event)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Rampart-Webhook/1")
	req.Header.Set("X-Rampart-Event", d.Event.Kind)
	req.Header.Set("X-Rampart-Delivery", strconv.FormatInt(d.Event.ID, 10))
	if len(r.cfg.Secret) > 0 {
		req.Header.Set(SignatureHeader, Sign(r.cfg.Secret, body, now))
	}
	resp, err := r.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s answered %s", d.URL, resp.Status)
	}
	return nil
}
