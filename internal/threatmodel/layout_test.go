package threatmodel

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/png"
	"io"
	"strings"
	"testing"
)

func TestLayoutSceneUsesLayoutAndBoundaries(t *testing.T) {
	r := mustEdit(t, editSource, Edit{Collection: CollectionElements, Action: EditUpdate, ID: "user", Fields: []byte(`{"position":{"x":500,"y":300}}`)})
	lib, err := DefaultLibrary()
	if err != nil {
		t.Fatal(err)
	}
	s := LayoutScene(r.Model, lib.Check(r.Model))
	byID := map[string]SceneElement{}
	for _, e := range s.Elements {
		byID[e.ID] = e
	}
	if len(byID) != 3 || len(s.Flows) != 2 || len(s.Boundaries) != 2 {
		t.Fatalf("scene %+v", s)
	}
	// The placed element keeps its position relative to the others.
	if byID["user"].X <= byID["api"].X {
		t.Errorf("user at %v, api at %v", byID["user"].X, byID["api"].X)
	}
	// dmz (outer) is drawn first and holds inner, which holds api and db.
	outer, inner := s.Boundaries[0], s.Boundaries[1]
	if outer.ID != "dmz" || inner.ID != "inner" || outer.X1 >= inner.X1 || outer.X2 <= inner.X2 {
		t.Errorf("boundaries %+v", s.Boundaries)
	}
	for _, id := range []string{"api", "db"} {
		e := byID[id]
		if e.X < inner.X1 || e.X+NodeW > inner.X2 || e.Y < inner.Y1 || e.Y+NodeH > inner.Y2 {
			t.Errorf("%s (%v,%v) outside its boundary %+v", id, e.X, e.Y, inner)
		}
	}
	open := 0
	for _, e := range s.Elements {
		open += e.Open
	}
	if open == 0 {
		t.Error("no open threats counted")
	}

	var svg bytes.Buffer
	if err := WriteSceneSVG(&svg, s); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(svg.Bytes()))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("SVG is not well-formed: %v\n%s", err, svg.String())
		}
	}
	for _, want := range []string{`id="element-user"`, `id="boundary-inner"`, `id="flow-f1"`, "Orders DB"} {
		if !strings.Contains(svg.String(), want) {
			t.Errorf("SVG lacks %s", want)
		}
	}
	if strings.Contains(svg.String(), "<script") {
		t.Error("script in SVG")
	}
	img := scenePNG(t, s)
	if b := img.Bounds(); b.Dx() != int(s.Width*2+0.999) || b.Dy() < 200 {
		t.Errorf("PNG %v for a scene of %vx%v", b, s.Width, s.Height)
	}
}

func TestLayoutSceneBoundsHugeLayouts(t *testing.T) {
	r := mustEdit(t, editSource, Edit{Collection: CollectionElements, Action: EditUpdate, ID: "user", Fields: []byte(`{"position":{"x":900000,"y":-900000}}`)})
	s := LayoutScene(r.Model, nil)
	img := scenePNG(t, s)
	if b := img.Bounds(); b.Dx() > MaxPNGSide || b.Dy() > MaxPNGSide {
		t.Errorf("PNG %v exceeds %d", b, MaxPNGSide)
	}
}

// TestLayoutSceneFreeCells: elements without a stored position take the
// free cells of the grid in order, skipping cells near a stored position
// whichever element holds it. The search for a free cell restarted at the
// first cell for every element (cubic: 2000 imported elements took 7 s,
// 5000 minutes, on every diagram request); it goes on from where it
// stopped, with the same result.
func TestLayoutSceneFreeCells(t *testing.T) {
	m := &Model{Layout: &Layout{Elements: map[string]Box{"e1": {X: 260, Y: 50}, "e4": {X: 480, Y: 50}}}}
	for i := range 5000 {
		m.Elements = append(m.Elements, Element{ID: fmt.Sprintf("e%d", i), Name: "x", Type: "process"})
	}
	s := LayoutScene(m, nil)
	// The scene is moved to its margin: cells are counted from e0's, 220
	// apart across and 130 down, 4 a row.
	cell := map[string]int{}
	taken := map[int]string{}
	x0, y0 := s.Elements[0].X, s.Elements[0].Y
	for _, e := range s.Elements {
		c := int((e.X-x0)/220) + 4*int((e.Y-y0)/130)
		if other, dup := taken[c]; dup {
			t.Fatalf("%s and %s both in cell %d", other, e.ID, c)
		}
		cell[e.ID], taken[c] = c, e.ID
	}
	// e1 and e4 hold cells 1 and 2; the others fill 0, 3, 4, 5, … in order.
	for id, want := range map[string]int{"e0": 0, "e1": 1, "e4": 2, "e2": 3, "e3": 4, "e5": 5, "e4999": 4999} {
		if cell[id] != want {
			t.Errorf("%s in cell %d, want %d", id, cell[id], want)
		}
	}
}

// scenePNG renders s as PNG and decodes the image, failing the test on
// either error.
func scenePNG(t *testing.T, s *Scene) image.Image {
	t.Helper()
	data, err := ScenePNG(s)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func benchModel(b *testing.B) []byte {
	src, err := Template("industrial-gateway")
	if err != nil {
		b.Fatal(err)
	}
	return src
}

// BenchmarkApplyEdit: one element API write's model work (parse, edit the
// node tree, encode, validate) on the largest template.
func BenchmarkApplyEdit(b *testing.B) {
	src := benchModel(b)
	m, err := Parse(src, "b.yaml")
	if err != nil {
		b.Fatal(err)
	}
	id := m.Elements[0].ID
	for b.Loop() {
		if _, err := ApplyEdit(src, "b.yaml", Edit{Collection: CollectionElements, Action: EditUpdate, ID: id, Fields: []byte(`{"position":{"x":10,"y":20},"logging":true}`)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScenePNG: the PNG export of the largest template.
func BenchmarkScenePNG(b *testing.B) {
	m, err := Parse(benchModel(b), "b.yaml")
	if err != nil {
		b.Fatal(err)
	}
	s := LayoutScene(m, nil)
	for b.Loop() {
		if _, err := ScenePNG(s); err != nil {
			b.Fatal(err)
		}
	}
}
