package api

import (
	"context"
	"errors"
	"fmt"
	"testing"

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
