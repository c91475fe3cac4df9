package portfolio

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// Diagrams renders threat-model diagrams, memoised by content (the model
// and its threats' statuses): a repeated request never reaches Graphviz.
// With Workers set (the server), each render runs in a worker process of
// its own: renders of different models run in parallel, one that takes too
// long is stopped, and one whose client left is stopped at once. Without
// Workers (library use, tests) one in-process engine renders, serialised
// (go-graphviz keeps one WebAssembly instance per process) and to
// completion.
type Diagrams struct {
	Workers *threatmodel.Workers

	mu sync.Mutex // serialises the in-process engine (no Workers)
	r  *threatmodel.Renderer

	cmu      sync.Mutex // guards the cache and in-flight renders only
	order    []string
	cache    map[string]diagramResult
	inflight map[string]*diagramCall
	// renders counts engine runs (cache misses), for tests.
	renders int
}

// diagramResult is a rendered diagram, or a render that ran out of time
// (remembered too, so a model that cannot be drawn in time does not cost
// a worker's full time limit on every request).
type diagramResult struct {
	svg []byte
	err error
}

// diagramCall is a render in progress that later requests for the same
// content wait for.
type diagramCall struct {
	done chan struct{}
	diagramResult
}

// MaxDiagramItems bounds what is drawn: a model with more elements and flows
// than this is refused (its threats table still works), so one request
// cannot hold the engine for minutes.
const MaxDiagramItems = 1500

const diagramCacheSize = 64

// SVG renders the model's data-flow diagram with threat counts, memoised by
// the content of the model and the threats' statuses.
func (d *Diagrams) SVG(ctx context.Context, m *threatmodel.Model, res *threatmodel.Result) ([]byte, error) {
	if n := len(m.Elements) + len(m.Flows); n > MaxDiagramItems {
		return nil, fault.Unprocessable(fmt.Errorf("the model has %d elements and flows, more than the %d a diagram draws: use the threats table, or split the model", n, MaxDiagramItems))
	}
	key, err := diagramKey(m, res)
	if err != nil {
		return nil, err
	}
	for {
		d.cmu.Lock()
		if r, ok := d.cache[key]; ok {
			d.cmu.Unlock()
			return r.svg, r.err
		}
		if c, ok := d.inflight[key]; ok { // the same diagram is being drawn: wait for it
			d.cmu.Unlock()
			select {
			case <-c.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if errors.Is(c.err, context.Canceled) || errors.Is(c.err, context.DeadlineExceeded) {
				continue // its client left before it finished: draw it ourselves
			}
			return c.svg, c.err
		}
		if err := ctx.Err(); err != nil { // the client left
			d.cmu.Unlock()
			return nil, err
		}
		c := &diagramCall{done: make(chan struct{})}
		if d.inflight == nil {
			d.inflight = map[string]*diagramCall{}
		}
		d.inflight[key] = c
		d.cmu.Unlock()

		c.svg, c.err = d.render(ctx, m, res)
		if errors.Is(c.err, threatmodel.ErrRenderTimeout) {
			c.err = fault.Unprocessable(fmt.Errorf("%w: use the threats table, or split the model", c.err))
		}
		d.cmu.Lock()
		delete(d.inflight, key)
		if c.err == nil || errors.Is(c.err, threatmodel.ErrRenderTimeout) {
			d.remember(key, c.diagramResult)
		}
		d.cmu.Unlock()
		close(c.done)
		return c.svg, c.err
	}
}

// remember caches a result (d.cmu held), evicting the oldest.
func (d *Diagrams) remember(key string, r diagramResult) {
	if d.cache == nil {
		d.cache = map[string]diagramResult{}
	}
	if len(d.order) >= diagramCacheSize {
		delete(d.cache, d.order[0])
		d.order = d.order[1:]
	}
	d.order = append(d.order, key)
	d.cache[key] = r
}

// render draws one diagram: in a worker process, or in-process.
func (d *Diagrams) render(ctx context.Context, m *threatmodel.Model, res *threatmodel.Result) ([]byte, error) {
	d.cmu.Lock()
	d.renders++
	d.cmu.Unlock()
	opts := threatmodel.DiagramOptions{Result: res}
	if d.Workers != nil {
		return d.Workers.SVG(ctx, m, opts)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := ctx.Err(); err != nil { // the client left while waiting
		return nil, err
	}
	if d.r == nil {
		r, err := threatmodel.NewRenderer(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		d.r = r
	}
	// In-process, a render always runs to completion: cancelling the wasm
	// engine half way leaves it unusable for the next request.
	svg, err := d.r.SVG(context.WithoutCancel(ctx), m, opts)
	if err != nil { // start a fresh engine next time
		d.r.Close()
		d.r = nil
		return nil, err
	}
	return svg, nil
}

// diagramKey hashes what the diagram shows: the model and each threat's
// target and status (the counts drawn on elements).
func diagramKey(m *threatmodel.Model, res *threatmodel.Result) (string, error) {
	h := sha256.New()
	if err := json.NewEncoder(h).Encode(m); err != nil {
		return "", err
	}
	if res != nil {
		for _, t := range res.Threats {
			fmt.Fprintf(h, "%s|%s|%s|%s\n", t.ID, t.Target, t.Severity, t.Status)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
