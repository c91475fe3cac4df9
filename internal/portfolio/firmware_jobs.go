package portfolio

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampart-security/rampart/internal/firmware"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// FirmwareJobStore is what the firmware queue needs of the store: the
// release an upload is for, the queue itself (queue, claim with a lease,
// progress with a heartbeat, finish) and what ImportFirmware needs.
type FirmwareJobStore interface {
	FirmwareImportStore
	QueueFirmwareJob(ctx context.Context, j *firmware.Job, image []byte) error
	ClaimFirmwareJob(ctx context.Context, holder string, now time.Time, lease time.Duration, maxAttempts int) (firmware.Job, bool, error)
	FirmwareJobProgress(ctx context.Context, id int64, holder, stage string, progress int, now time.Time, lease time.Duration) error
	FinishFirmwareJob(ctx context.Context, id int64, holder string, analysisID int64, summary, errMsg string, now time.Time) error
}

// FirmwareJobs analyses uploaded firmware images in the background. An
// upload is queued in the database (Enqueue) and answered at once; a
// worker in some server — this one when it is idle, or any other sharing
// the database — claims it, analyses it (ImportFirmware) while recording
// its stage and progress, re-matches the release and records the result
// or the error. One image is analysed at a time per server, which bounds
// the memory an analysis takes to one image's.
type FirmwareJobs struct {
	st     FirmwareJobStore
	now    func() time.Time
	vulns  *Vulns
	log    *slog.Logger
	holder string
	// newGate builds the release gate over the queue's store and vulns.
	newGate func(*threatmodel.Library) *Gate

	// Lease is how long a claimed job stays with this server without a
	// heartbeat (default 2 minutes); Heartbeat how often progress is
	// written and the lease renewed (default 1 s).
	Lease, Heartbeat time.Duration
	// MaxAttempts bounds how often a job whose server died is retried.
	MaxAttempts int

	running atomic.Bool
	pending atomic.Bool
	wg      sync.WaitGroup

	gateOnce sync.Once
	gate     *Gate // the release gate, re-evaluated after each analysis
}

// FirmwareQueueStore is what NewFirmwareJobs wires over one store: the
// queue, the re-match after each analysis and the release gate.
type FirmwareQueueStore interface {
	FirmwareJobStore
	VulnStore
	GateStore
}

// NewFirmwareJobs returns the queue over st.
func NewFirmwareJobs(st FirmwareQueueStore, log *slog.Logger) *FirmwareJobs {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	if log == nil {
		log = slog.Default()
	}
	vulns := NewVulns(st, time.Now)
	return &FirmwareJobs{st: st, now: time.Now, vulns: vulns, log: log, Lease: 2 * time.Minute, Heartbeat: time.Second, MaxAttempts: 3,
		holder:  fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:])),
		newGate: func(lib *threatmodel.Library) *Gate { return NewGate(st, vulns, lib, time.Now) }}
}

// Enqueue stores an uploaded image for analysis and starts this server's
// worker. The release must exist; the image is not parsed here.
func (q *FirmwareJobs) Enqueue(ctx context.Context, req FirmwareRequest) (firmware.Job, error) {
	if _, err := q.st.Release(ctx, req.ReleaseID); err != nil {
		return firmware.Job{}, err
	}
	if req.FileName == "" {
		req.FileName = "firmware.bin"
	}
	j := firmware.Job{ReleaseID: req.ReleaseID, FileName: req.FileName, CreatedBy: req.Actor}
	if err := q.st.QueueFirmwareJob(ctx, &j, req.Image); err != nil {
		return j, err
	}
	q.Kick()
	return j, nil
}

// Kick starts the worker unless it runs already; it analyses queued jobs
// until none is left, then ends. Jobs queued by other servers, or left by
// a server that stopped, are picked up by the next Kick (the periodic jobs
// kick every minute).
func (q *FirmwareJobs) Kick() {
	q.pending.Store(true)
	if !q.running.CompareAndSwap(false, true) {
		return
	}
	q.wg.Add(1)
	go q.loop()
}

// Wait waits until the worker has ended (tests, shutdown).
func (q *FirmwareJobs) Wait() { q.wg.Wait() }

func (q *FirmwareJobs) loop() {
	defer q.wg.Done()
	for {
		q.pending.Store(false)
		for {
			did, err := q.RunOne(context.Background())
			if err != nil {
				q.log.Error("firmware analysis queue", "err", err)
				break
			}
			if !did {
				break
			}
		}
		q.running.Store(false)
		// A Kick that came while we were finishing either started a new
		// worker or left pending for us.
		if !q.pending.Load() || !q.running.CompareAndSwap(false, true) {
			return
		}
	}
}

// RunOne claims and analyses one job; false when there was none.
func (q *FirmwareJobs) RunOne(ctx context.Context) (bool, error) {
	j, ok, err := q.st.ClaimFirmwareJob(ctx, q.holder, q.now(), q.Lease, q.MaxAttempts)
	if err != nil || !ok {
		return false, err
	}
	q.run(ctx, j)
	return true, nil
}

type jobProgress struct {
	stage   string
	percent int
}

func (q *FirmwareJobs) run(ctx context.Context, j firmware.Job) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var cur atomic.Pointer[jobProgress]
	cur.Store(&jobProgress{"starting", 0})
	// The heartbeat writes the latest progress and renews the lease; a
	// lost lease (another server took the job over) stops the analysis.
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		t := time.NewTicker(q.Heartbeat)
		defer t.Stop()
		var last jobProgress
		lastWrite := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			p := *cur.Load()
			if p == last && time.Since(lastWrite) < q.Lease/3 {
				continue
			}
			if err := q.st.FirmwareJobProgress(ctx, j.ID, q.holder, p.stage, p.percent, q.now(), q.Lease); err != nil {
				if ctx.Err() == nil {
					q.log.Warn("firmware job lost", "job", j.ID, "err", err)
					cancel()
				}
				return
			}
			last, lastWrite = p, time.Now()
		}
	}()
	res, err := q.analyse(ctx, j, func(stage string, percent int) { cur.Store(&jobProgress{stage, percent}) })
	cancel()
	<-hbDone
	var summary []byte
	msg := ""
	if err != nil {
		msg = err.Error()
		q.log.Warn("firmware analysis failed", "job", j.ID, "release", j.ReleaseID, "file", j.FileName, "err", err)
	} else {
		res.Result = nil
		summary, _ = json.Marshal(res)
		q.log.Info("firmware analysed", "job", j.ID, "release", j.ReleaseID, "sha256", res.SHA256, "issues", res.Issues, "components", res.Components, "user", j.CreatedBy)
	}
	// The job's own context has ended: finish it under a fresh one.
	fctx, fcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer fcancel()
	if ferr := q.st.FinishFirmwareJob(fctx, j.ID, q.holder, res.AnalysisID, string(summary), msg, q.now()); ferr != nil {
		q.log.Error("finish firmware job", "job", j.ID, "err", ferr)
	}
}

// analyse runs the import and the re-match, turning a panic in a decoder
// into the job's error instead of the server's end.
func (q *FirmwareJobs) analyse(ctx context.Context, j firmware.Job, progress func(string, int)) (res FirmwareResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error analysing %s: %v", j.FileName, p)
		}
	}()
	res, err = ImportFirmware(ctx, q.st, FirmwareRequest{ReleaseID: j.ReleaseID, FileName: j.FileName, Actor: j.CreatedBy, Image: j.Image, Progress: progress, Now: q.now})
	if err != nil {
		if ctx.Err() != nil {
			return res, fmt.Errorf("analysis of %s stopped: %w", j.FileName, ctx.Err())
		}
		return res, err
	}
	progress("matching", 95)
	if _, merr := q.vulns.Rematch(ctx, j.ReleaseID); merr != nil {
		q.log.Error("re-match release", "release", j.ReleaseID, "err", merr)
	}
	if g := q.releaseGate(); g != nil {
		if gerr := g.OnChange(ctx, j.ReleaseID, "firmware"); gerr != nil {
			q.log.Error("gate evaluation", "release", j.ReleaseID, "trigger", "firmware", "err", gerr)
		}
	}
	return res, nil
}

// releaseGate builds the gate once (it compiles the threat rule library).
func (q *FirmwareJobs) releaseGate() *Gate {
	q.gateOnce.Do(func() {
		lib, err := threatmodel.DefaultLibrary()
		if err != nil {
			q.log.Error("threat rule library", "err", err)
			return
		}
		q.gate = q.newGate(lib)
	})
	return q.gate
}
