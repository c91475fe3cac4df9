package threatmodel

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Graphviz runs as one WebAssembly instance per process (go-graphviz keeps
// a single module): renders in one process are serialised behind one lock
// and a render cannot be interrupted half way. Workers therefore renders
// each diagram in a short-lived worker process of its own: renders run in
// parallel (up to Slots at a time), and a render that runs past Timeout,
// or whose caller gave up (the HTTP client left), is stopped by killing
// its process. The worker side is ServeDOT ("rampart threatmodel
// render-dot").

// MaxDOT bounds the DOT text a worker accepts.
const MaxDOT = 32 << 20

// MaxSVG bounds the SVG a worker may return.
const MaxSVG = 64 << 20

// DefaultRenderTimeout bounds one render in a worker.
const DefaultRenderTimeout = 20 * time.Second

// ErrRenderTimeout is returned when a worker ran out of time.
var ErrRenderTimeout = errors.New("the diagram took too long to draw")

// ServeDOT is the worker side of Workers: it reads a layout name ("dot" or
// "osage") on the first line and a DOT graph after it from in, and writes
// the SVG to out.
func ServeDOT(ctx context.Context, in io.Reader, out io.Writer) error {
	br := bufio.NewReader(io.LimitReader(in, MaxDOT+64))
	layout, err := br.ReadString('\n')
	if err != nil {
		return fmt.Errorf("render worker: read the layout line: %w", err)
	}
	dot, err := io.ReadAll(br)
	if err != nil {
		return fmt.Errorf("render worker: read DOT: %w", err)
	}
	if len(dot) > MaxDOT {
		return fmt.Errorf("render worker: DOT larger than %d bytes", MaxDOT)
	}
	r, err := NewRenderer(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	svg, err := r.RenderDOT(ctx, dot, strings.TrimSpace(layout))
	if err != nil {
		return err
	}
	_, err = out.Write(svg)
	return err
}

// Workers renders diagrams in worker processes (see ServeDOT). The zero
// value is not usable: set Command.
type Workers struct {
	// Command is the worker's argv, e.g. {"/usr/bin/rampart",
	// "threatmodel", "render-dot"}.
	Command []string
	// Timeout bounds one render (DefaultRenderTimeout when zero).
	Timeout time.Duration
	// Slots bounds how many workers run at once (GOMAXPROCS when zero);
	// further renders wait for a slot, or for their caller to give up.
	Slots int

	once sync.Once
	sem  chan struct{}
}

// SVG renders the model's diagram in a worker.
func (w *Workers) SVG(ctx context.Context, m *Model, opts DiagramOptions) ([]byte, error) {
	return diagramSVG(ctx, m, opts, w.RenderDOT)
}

// RenderDOT lays out a DOT graph in a worker process and returns the SVG.
// It returns ctx's error when ctx ends first (the worker is killed) and
// ErrRenderTimeout when the worker ran out of time.
func (w *Workers) RenderDOT(ctx context.Context, dot []byte, layout string) ([]byte, error) {
	if len(w.Command) == 0 {
		return nil, errors.New("render worker: no command configured")
	}
	if len(dot) > MaxDOT {
		return nil, fmt.Errorf("DOT larger than %d bytes", MaxDOT)
	}
	w.once.Do(func() {
		n := w.Slots
		if n <= 0 {
			n = runtime.GOMAXPROCS(0)
		}
		w.sem = make(chan struct{}, n)
	})
	select {
	case w.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-w.sem }()
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = DefaultRenderTimeout
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(tctx, w.Command[0], w.Command[1:]...)
	cmd.Stdin = io.MultiReader(strings.NewReader(layout+"\n"), bytes.NewReader(dot))
	out := &cappedBuffer{max: MaxSVG}
	errOut := &cappedBuffer{max: 4 << 10, truncate: true}
	cmd.Stdout, cmd.Stderr = out, errOut
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case tctx.Err() != nil:
		return nil, fmt.Errorf("%w: stopped after %s", ErrRenderTimeout, timeout)
	case err != nil:
		return nil, fmt.Errorf("render worker: %v: %s", err, strings.TrimSpace(errOut.String()))
	}
	return out.Bytes(), nil
}

// cappedBuffer keeps at most max bytes: beyond that it fails the write
// (stdout: the worker is stopped) or drops the rest (truncate: stderr).
type cappedBuffer struct {
	bytes.Buffer
	max      int
	truncate bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); len(p) > room {
		if !b.truncate {
			return 0, fmt.Errorf("worker output larger than %d bytes", b.max)
		}
		b.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
