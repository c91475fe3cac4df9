// Package jobs runs Rampart's background work in the server: expiring risk
// acceptances (which reopens findings and raises events) and gate
// exceptions (which fail the gate from then on), and delivering
// events to webhooks, signed and retried. Every step is safe to run in
// several servers sharing one PostgreSQL database.
package jobs

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/rampart-security/rampart/internal/notify"
	"github.com/rampart-security/rampart/internal/portfolio"
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
	// Parallel webhook calls per server (default 16).
	Parallel int
	Client   *http.Client
	// Firmware, when set, is kicked every run so that firmware images
	// queued by a server that stopped (or by another server) are analysed.
	Firmware interface{ Kick() }
}

// Runner runs the jobs.
type Runner struct {
	cfg    Config
	st     *store.Store
	log    *slog.Logger
	now    func() time.Time
	holder string // names this server in job leases
	vulns  *portfolio.Vulns
}

// New returns a runner.
func New(cfg Config, st *store.Store, log *slog.Logger) *Runner {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 16
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	r := &Runner{cfg: cfg, st: st, log: log, now: time.Now, holder: newHolder()}
	r.vulns = portfolio.NewVulns(st, func() time.Time { return r.now() })
	return r
}

// newHolder names this server (and runner) in job leases.
func newHolder() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// SetClock replaces the clock (tests).
func (r *Runner) SetClock(now func() time.Time) { r.now = now }

// Run runs the jobs every interval until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	Every(ctx, r.cfg.Interval, func() {
		if err := r.Tick(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("background jobs", "err", err)
		}
	})
}

// Every runs step now and then every interval until ctx ends; a step that
// takes longer than the interval delays the next one (steps never overlap).
// It is the loop of every background job of the server.
func Every(ctx context.Context, interval time.Duration, step func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		step()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Periodic jobs and how often each runs across all servers sharing the
// database (a lease row per job: ClaimJob).
const (
	JobSnapshot = "findings.snapshot"
	JobExpire   = "findings.expire-acceptances"
	JobRematch  = portfolio.RematchLease
	JobWebhooks = "webhooks.deliver"
	JobGateExp  = "policy.expire-exceptions"
)

// Tick runs every job that is due once. Each job is claimed with a lease
// first, so of several servers ticking together exactly one runs it in an
// interval; every job is also idempotent, so a lease that ends while its
// holder is still working (or a crash) never doubles an effect.
func (r *Runner) Tick(ctx context.Context) error {
	now := r.now().UTC()
	var errs []error
	run := func(name string, every time.Duration, fn func() error) {
		ok, err := r.st.ClaimJob(ctx, name, r.holder, now, every)
		if err == nil && ok {
			err = fn()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	// Trend data: a day's counts, refreshed.
	run(JobSnapshot, 15*time.Minute, func() error { return r.st.SnapshotFindings(ctx, now, 0) })
	// Reopening a finding and raising its event commit together, once.
	run(JobExpire, r.cfg.Interval-time.Second, func() error {
		_, err := r.st.ExpireAcceptances(ctx, now)
		return err
	})
	// Gate exceptions expire on their day, with an event, even when no
	// upload re-evaluates the product.
	run(JobGateExp, r.cfg.Interval-time.Second, func() error {
		expired, err := portfolio.NewGate(r.st, r.vulns, nil, func() time.Time { return now }).ExpireExceptions(ctx, 0)
		if len(expired) > 0 {
			r.log.Info("gate exceptions expired", "count", len(expired))
		}
		return err
	})
	// A vulndb import whose re-match did not complete (a crash, or
	// --no-rematch) is finished here.
	if pending, err := r.vulns.RematchPending(ctx); err != nil {
		errs = append(errs, err)
	} else if pending {
		run(JobRematch, 30*time.Minute, func() error {
			n, err := r.vulns.RematchAll(ctx)
			if err == nil {
				r.log.Info("re-matched the portfolio after new vulnerability data", "new_matches", n)
			}
			return err
		})
	}
	if r.cfg.Firmware != nil {
		r.cfg.Firmware.Kick()
	}
	if len(r.cfg.Webhooks) > 0 {
		// Queueing is idempotent and claiming skips what another server
		// holds, so every server may deliver (the work is shared).
		if _, err := r.st.QueueDeliveries(ctx, r.cfg.Webhooks, now); err != nil {
			errs = append(errs, err)
		} else {
			sent, failed, err := r.st.DeliverDue(ctx, now, r.cfg.MaxAttempts, r.cfg.Parallel, r.cfg.Interval, func(d notify.Delivery) error { return r.send(ctx, d, now) })
			if sent+failed > 0 {
				r.log.Info("webhooks", "sent", sent, "failed", failed)
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
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

func (r *Runner) send(ctx context.Context, d notify.Delivery, now time.Time) error {
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
