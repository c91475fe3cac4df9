package portfolio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// TestDiagramsCachedByContent: the same model and statuses render once; a
// changed status renders again; an oversized model and a request whose
// client left are refused without touching the engine.
func TestDiagramsCachedByContent(t *testing.T) {
	lib, err := threatmodel.DefaultLibrary()
	if err != nil {
		t.Fatal(err)
	}
	src := []byte("rampart: threatmodel/v1\ntitle: Gateway\nelements:\n  - {id: user, name: User, type: external_entity}\n  - {id: gw, name: Gateway, type: device}\nflows:\n  - {id: f, from: user, to: gw, protocol: http}\n")
	m, res, err := lib.CheckSource(src, "gw.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := &Diagrams{}
	ctx := context.Background()
	a, err := d.SVG(ctx, m, res)
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.SVG(ctx, m, res)
	if err != nil || string(a) != string(b) || d.renders != 1 {
		t.Fatalf("second render: %v, renders %d", err, d.renders)
	}
	_, res2, _ := lib.CheckSource(src, "gw.yaml")
	res2.Threats[0].Status = threatmodel.StatusMitigated
	if _, err := d.SVG(ctx, m, res2); err != nil || d.renders != 2 {
		t.Errorf("changed status: %v, renders %d", err, d.renders)
	}
	if _, res3, _ := lib.CheckSource(src, "gw.yaml"); res3.Threats[0].Status == threatmodel.StatusMitigated {
		t.Error("CheckSource handed out the cached result itself")
	}
	big := &threatmodel.Model{Title: "big"}
	for i := range MaxDiagramItems + 1 {
		big.Elements = append(big.Elements, threatmodel.Element{ID: fmt.Sprint("e", i), Name: "e", Type: "process"})
	}
	if _, err := d.SVG(ctx, big, nil); !errors.Is(err, fault.ErrUnprocessable) || d.renders != 2 {
		t.Errorf("oversized model: %v", err)
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	m.Title = "changed"
	if _, err := d.SVG(gone, m, res); !errors.Is(err, context.Canceled) || d.renders != 2 {
		t.Errorf("client gone: %v, renders %d", err, d.renders)
	}
}

// The test binary doubles as the diagram worker ("rampart threatmodel
// render-dot") when started with RAMPART_TEST_RENDER_WORKER=1.
func TestMain(m *testing.M) {
	if os.Getenv("RAMPART_TEST_RENDER_WORKER") == "1" {
		if err := threatmodel.ServeDOT(context.Background(), os.Stdin, os.Stdout); err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestDiagramsInWorkers: with workers, parallel requests for one diagram
// render it once; a render past its time limit is refused as unprocessable
// and remembered (the next request does not spend the limit again); a
// request whose client left gets its own error while others still get the
// diagram.
func TestDiagramsInWorkers(t *testing.T) {
	t.Setenv("RAMPART_TEST_RENDER_WORKER", "1")
	lib, err := threatmodel.DefaultLibrary()
	if err != nil {
		t.Fatal(err)
	}
	src, err := threatmodel.Template("smart-home")
	if err != nil {
		t.Fatal(err)
	}
	m, res, err := lib.CheckSource(src, "smart-home.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := &Diagrams{Workers: &threatmodel.Workers{Command: []string{os.Args[0]}, Timeout: time.Minute}}
	var wg sync.WaitGroup
	out := make([][]byte, 6)
	errs := make([]error, len(out))
	gone, cancel := context.WithCancel(context.Background())
	for i := range out {
		ctx := context.Background()
		if i == 0 {
			ctx = gone // this client leaves
		}
		wg.Add(1)
		go func() { defer wg.Done(); out[i], errs[i] = d.SVG(ctx, m, res) }()
	}
	cancel()
	wg.Wait()
	for i := 1; i < len(out); i++ {
		if errs[i] != nil || len(out[i]) == 0 || string(out[i]) != string(out[1]) {
			t.Fatalf("request %d: %v (%d bytes)", i, errs[i], len(out[i]))
		}
	}
	if errs[0] != nil && !errors.Is(errs[0], context.Canceled) {
		t.Errorf("the client that left: %v", errs[0])
	}
	if d.renders > 2 { // one, or two when the first renderer's client left mid-render
		t.Errorf("%d renders for one diagram", d.renders)
	}

	slow := &Diagrams{Workers: &threatmodel.Workers{Command: []string{os.Args[0]}, Timeout: time.Millisecond}}
	for range 2 {
		if _, err := slow.SVG(context.Background(), m, res); !errors.Is(err, fault.ErrUnprocessable) || !errors.Is(err, threatmodel.ErrRenderTimeout) {
			t.Fatalf("render past its limit: %v, want unprocessable", err)
		}
	}
	if slow.renders != 1 {
		t.Errorf("a timed-out diagram was attempted %d times, want 1", slow.renders)
	}
}
