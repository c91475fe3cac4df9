package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
)

// Leases of the vulnerability-data update: JobVulnSync schedules it (one
// claim per interval across all servers), JobVulnSyncRun is held while an
// update runs, so a scheduled update and an "Update now" never run at once
// on two servers.
const (
	JobVulnSync    = "vulndb.sync"
	JobVulnSyncRun = "vulndb.sync.run"
)

// VulnSyncer runs the vulnerability-data update in the background: every
// Interval (claimed once across servers) and whenever an administrator
// asked for one ("Update now", recorded in the database so any server may
// serve it).
type VulnSyncer struct {
	sync   *portfolio.VulnSync
	st     *store.Store
	log    *slog.Logger
	holder string
	now    func() time.Time
	// Poll is how often requests and the schedule are checked (default 15 s).
	Poll time.Duration
	// MaxRun bounds how long a crashed server's update blocks the next one
	// (default 12 h: a first full NVD download takes hours).
	MaxRun time.Duration
}

// NewVulnSyncer returns the background updater.
func NewVulnSyncer(sync *portfolio.VulnSync, st *store.Store, log *slog.Logger) *VulnSyncer {
	return &VulnSyncer{sync: sync, st: st, log: log, holder: newHolder(), now: time.Now, Poll: 15 * time.Second, MaxRun: 12 * time.Hour}
}

// Run checks for due or requested updates until ctx ends.
func (v *VulnSyncer) Run(ctx context.Context) {
	Every(ctx, v.Poll, func() {
		if _, err := v.Step(ctx); err != nil && ctx.Err() == nil {
			v.log.Error("vulnerability data update", "err", err)
		}
	})
}

// Step runs an update if one is due (the interval passed and this server
// claimed it) or requested, and no other server is running one. It
// reports whether it ran one.
func (v *VulnSyncer) Step(ctx context.Context) (bool, error) {
	cfg := v.sync.Config()
	if cfg.Offline {
		return false, nil
	}
	now := v.now().UTC()
	state, err := v.st.SyncState(ctx)
	if err != nil {
		return false, err
	}
	due := false
	if cfg.Interval > 0 {
		if due, err = v.st.ClaimJob(ctx, JobVulnSync, v.holder, now, cfg.Interval); err != nil {
			return false, err
		}
	}
	if !due && !state.Pending {
		return false, nil
	}
	ok, err := v.st.ClaimJob(ctx, JobVulnSyncRun, v.holder, now, v.MaxRun)
	if err != nil || !ok {
		return false, err // another server is updating
	}
	defer func() {
		if err := v.st.ReleaseJob(context.WithoutCancel(ctx), JobVulnSyncRun, v.holder, v.now()); err != nil {
			v.log.Error("release the vulnerability update lease", "err", err)
		}
	}()
	if err := v.st.StartSync(ctx, v.holder, now, state); err != nil {
		return false, err
	}
	v.log.Info("vulnerability data update started", "scheduled", due, "requested", state.Pending)
	res, err := v.sync.Update(ctx, func(msg string) {
		if perr := v.st.SyncProgress(ctx, v.holder, msg); perr != nil && ctx.Err() == nil {
			v.log.Warn("record update progress", "err", perr)
		}
	})
	summary := res.Summary()
	if err != nil {
		summary = "failed: " + err.Error()
	}
	if ferr := v.st.FinishSync(context.WithoutCancel(ctx), v.holder, v.now().UTC(), summary); ferr != nil {
		err = errors.Join(err, ferr)
	}
	if err == nil {
		v.log.Info("vulnerability data update finished", "result", summary)
	}
	return true, err
}
