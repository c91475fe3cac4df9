package threatmodel

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"
)

// The test binary doubles as the render worker: started with
// RAMPART_TEST_RENDER_WORKER=1 it is "rampart threatmodel render-dot".
func TestMain(m *testing.M) {
	if os.Getenv("RAMPART_TEST_RENDER_WORKER") == "1" {
		if err := ServeDOT(context.Background(), os.Stdin, os.Stdout); err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testWorkers runs this test binary as the worker.
func testWorkers(t testing.TB, timeout time.Duration) *Workers {
	t.Helper()
	t.Setenv("RAMPART_TEST_RENDER_WORKER", "1")
	return &Workers{Command: []string{os.Args[0]}, Timeout: timeout, Slots: 4}
}

func templateModel(t testing.TB, name string) (*Model, *Result) {
	t.Helper()
	src, err := Template(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(src, name+".yaml")
	if err != nil {
		t.Fatal(err)
	}
	return m, mustLibrary(t).Check(m)
}

// Issue 11 defect 7: diagrams are drawn in worker processes, in parallel
// (no lock shared between renders), stopped when they run out of time or
// their caller gives up; the SVG is the one the in-process engine draws.
func TestWorkersRenderLikeInProcess(t *testing.T) {
	m, res := templateModel(t, "smart-home")
	opts := DiagramOptions{Result: res}
	want, err := RenderSVG(context.Background(), m, opts)
	if err != nil {
		t.Fatal(err)
	}
	w := testWorkers(t, time.Minute)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := w.SVG(context.Background(), m, opts)
			if err == nil && string(got) != string(want) {
				err = errors.New("worker SVG differs from the in-process one")
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("parallel render %d: %v", i, err)
		}
	}
}

func TestWorkersStopOnTimeoutAndCancel(t *testing.T) {
	m, res := templateModel(t, "industrial-gateway")
	// A real render cannot finish within a millisecond (starting the
	// process alone takes longer): the worker is stopped.
	if _, err := testWorkers(t, time.Millisecond).SVG(context.Background(), m, DiagramOptions{Result: res}); !errors.Is(err, ErrRenderTimeout) {
		t.Errorf("render past its time limit: %v, want ErrRenderTimeout", err)
	}
	// The caller leaves while the worker runs: the caller's error, at once.
	w := testWorkers(t, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err := w.SVG(ctx, m, DiagramOptions{Result: res}); !errors.Is(err, context.Canceled) {
		t.Errorf("caller left: %v, want context.Canceled", err)
	}
	// A caller that left while waiting for a slot never starts a worker.
	busy := &Workers{Command: []string{os.Args[0]}, Slots: 1}
	busy.once.Do(func() { busy.sem = make(chan struct{}, 1) })
	busy.sem <- struct{}{}
	gone, stop := context.WithCancel(context.Background())
	stop()
	if _, err := busy.SVG(gone, m, DiagramOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("caller left while waiting: %v", err)
	}
	// Bad input is the worker's error, named.
	if _, err := w.RenderDOT(context.Background(), []byte("digraph {"), "dot"); err == nil {
		t.Error("broken DOT rendered")
	}
	if _, err := w.RenderDOT(context.Background(), []byte("digraph { a }"), "neato"); err == nil {
		t.Error("unknown layout accepted")
	}
}
