package portfolio

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/threatmodel"
	"github.com/rampart-security/rampart/internal/threatmodel/imports"
)

// corpusSources imports every threat model of the shared corpus that
// imports (Threagile, Threat Dragon, OTM, pytm) and returns each as the
// Rampart YAML the server stores.
func corpusSources(b *testing.B) [][]byte {
	root := corpustest.Dir(b, "threatmodel")
	var out [][]byte
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(p) {
		case ".json", ".yaml", ".yml":
		default:
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dir := filepath.Dir(p)
		im, err := imports.Import(data, p, "", imports.Options{ReadInclude: func(n string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, n)) }})
		if err != nil {
			return nil // not a model (schemas, libraries, malformed tests)
		}
		src, err := threatmodel.Marshal(im.Model)
		if err != nil {
			return err
		}
		out = append(out, src)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if len(out) == 0 {
		b.Fatal("no threat model in the corpus imported")
	}
	return out
}

// BenchmarkCorpusDiagrams draws the diagram of every corpus threat model
// (one op = all of them) as GET /api/v1/products/{id}/threatmodel/diagram
// does: parse and check the stored source, then render.
//
//   - uncached: what every request cost before issue 11 (parse, check,
//     in-process Graphviz);
//   - worker: a cache miss now (parse and check memoised by content, the
//     render in a worker process of its own);
//   - cached: a repeated request (both caches warm).
func BenchmarkCorpusDiagrams(b *testing.B) {
	srcs := corpusSources(b)
	lib, err := threatmodel.DefaultLibrary()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("uncached", func(b *testing.B) {
		r, err := threatmodel.NewRenderer(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		for b.Loop() {
			for _, src := range srcs {
				m, err := threatmodel.Parse(src, "model.yaml")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := r.SVG(ctx, m, threatmodel.DiagramOptions{Result: lib.Check(m)}); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(len(srcs)), "models")
	})
	b.Run("worker", func(b *testing.B) {
		b.Setenv("RAMPART_TEST_RENDER_WORKER", "1")
		w := &threatmodel.Workers{Command: []string{os.Args[0]}}
		for b.Loop() {
			for _, src := range srcs {
				m, res, err := lib.CheckSource(src, "model.yaml")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := w.SVG(ctx, m, threatmodel.DiagramOptions{Result: res}); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(len(srcs)), "models")
	})
	b.Run("cached", func(b *testing.B) {
		d := &Diagrams{}
		for _, src := range srcs { // warm both caches
			m, res, err := lib.CheckSource(src, "model.yaml")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := d.SVG(ctx, m, res); err != nil {
				b.Fatal(err)
			}
		}
		for b.Loop() {
			for _, src := range srcs {
				m, res, err := lib.CheckSource(src, "model.yaml")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := d.SVG(ctx, m, res); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(len(srcs)), "models")
	})
}
