package threatmodel

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"sync"

	"github.com/fogleman/gg"
	"github.com/golang/freetype/truetype"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// The editor's drawing: element boxes of NodeW×NodeH at their layout
// positions, trust boundaries as rectangles holding their members. The
// browser editor (ui/static/tmedit.js) draws with the same rules, so an
// export looks like the editor.
const (
	NodeW      = 150.0
	NodeH      = 56.0
	boxPad     = 22.0
	boxLabel   = 20.0
	sceneInset = 20.0
)

// Scene is a model laid out as the editor draws it (for SVG and PNG export).
type Scene struct {
	Title         string
	Width, Height float64
	Boundaries    []SceneBoundary // outermost first
	Flows         []SceneFlow
	Elements      []SceneElement
}

// SceneBoundary is a trust boundary's rectangle.
type SceneBoundary struct {
	ID, Label      string
	X1, Y1, X2, Y2 float64
}

// SceneElement is an element's box with its open threats.
type SceneElement struct {
	ID, Name, Type, Sub string
	X, Y                float64
	Open                int
	Worst               int // severity rank of the worst open threat
}

// SceneFlow is a flow's line between the edges of its elements' boxes.
type SceneFlow struct {
	ID, Label      string
	Encrypted      bool
	X1, Y1, X2, Y2 float64
	Open           int
}

// LayoutScene lays the model out: stored positions (the `layout:` section),
// and for elements without one the editor's grid of free cells.
func LayoutScene(m *Model, res *Result) *Scene {
	st := statsOf(res)
	s := &Scene{Title: modelName(m)}
	pos := map[string][2]float64{}
	var taken [][2]float64
	for _, e := range m.Elements {
		if p := m.Position(CollectionElements, e.ID); p != nil {
			pos[e.ID] = [2]float64{p.X, p.Y}
			taken = append(taken, pos[e.ID])
		}
	}
	// Cells are only ever taken, so a cell refused for one element is
	// refused for the next: the search goes on from where it stopped
	// (restarting at 0 made 2000 imported elements take 7 s to lay out).
	i := 0
	for _, e := range m.Elements {
		if _, ok := pos[e.ID]; ok {
			continue
		}
		for ; ; i++ {
			p := [2]float64{40 + float64(i%4)*220, 50 + float64(i/4)*130}
			if !slices.ContainsFunc(taken, func(q [2]float64) bool {
				return math.Abs(q[0]-p[0]) < NodeW+20 && math.Abs(q[1]-p[1]) < NodeH+40
			}) {
				pos[e.ID] = p
				taken = append(taken, p)
				break
			}
		}
	}
	// Boundaries, innermost first so parents can hold their children.
	depth := map[string]int{}
	for _, b := range m.Boundaries {
		d, seen := 0, map[string]bool{}
		for p := b.Parent; p != "" && !seen[p]; {
			seen[p] = true
			d++
			pb := m.Boundary(p)
			if pb == nil {
				break
			}
			p = pb.Parent
		}
		depth[b.ID] = d
	}
	order := slices.Clone(m.Boundaries)
	slices.SortStableFunc(order, func(a, b Boundary) int { return depth[b.ID] - depth[a.ID] })
	rects := map[string]*SceneBoundary{}
	for i, b := range order {
		var r *SceneBoundary
		grow := func(x1, y1, x2, y2 float64) {
			if r == nil {
				r = &SceneBoundary{ID: b.ID, X1: x1, Y1: y1, X2: x2, Y2: y2}
				return
			}
			r.X1, r.Y1, r.X2, r.Y2 = min(r.X1, x1), min(r.Y1, y1), max(r.X2, x2), max(r.Y2, y2)
		}
		if bx := m.Position(CollectionBoundaries, b.ID); bx != nil {
			w, h := bx.W, bx.H
			if w == 0 {
				w = 200
			}
			if h == 0 {
				h = 140
			}
			grow(bx.X, bx.Y, bx.X+w, bx.Y+h)
		}
		for _, e := range m.Elements {
			if e.Boundary == b.ID {
				p := pos[e.ID]
				grow(p[0]-boxPad, p[1]-boxPad-boxLabel, p[0]+NodeW+boxPad, p[1]+NodeH+boxPad)
			}
		}
		for _, c := range m.Boundaries {
			if cr := rects[c.ID]; c.Parent == b.ID && cr != nil {
				grow(cr.X1-boxPad, cr.Y1-boxPad-boxLabel, cr.X2+boxPad, cr.Y2+boxPad)
			}
		}
		if r == nil {
			f := float64(i) * 30
			r = &SceneBoundary{ID: b.ID, X1: 40 + f, Y1: 400, X2: 300 + f, Y2: 560}
		}
		r.Label = b.Name
		if b.Type != "" {
			r.Label += " · " + b.Type
		}
		rects[b.ID] = r
	}
	for i := len(order) - 1; i >= 0; i-- {
		s.Boundaries = append(s.Boundaries, *rects[order[i].ID])
	}
	pairKey := func(f Flow) [2]string {
		if f.From > f.To {
			return [2]string{f.To, f.From}
		}
		return [2]string{f.From, f.To}
	}
	pairs, seen := map[[2]string]int{}, map[[2]string]int{}
	for _, f := range m.Flows {
		pairs[pairKey(f)]++
	}
	for _, f := range m.Flows {
		a, okA := pos[f.From]
		b, okB := pos[f.To]
		if !okA || !okB {
			continue
		}
		c1 := [2]float64{a[0] + NodeW/2, a[1] + NodeH/2}
		c2 := [2]float64{b[0] + NodeW/2, b[1] + NodeH/2}
		p1, p2 := boxEdge(c1, c2), boxEdge(c2, c1)
		// Flows between the same two elements are drawn side by side (as
		// the editor does).
		k := pairKey(f)
		seen[k]++
		if n := pairs[k]; n > 1 {
			l := math.Hypot(p2[0]-p1[0], p2[1]-p1[1])
			if l == 0 {
				l = 1
			}
			off := (float64(seen[k]-1) - float64(n-1)/2) * 16
			nx, ny := -(p2[1]-p1[1])/l*off, (p2[0]-p1[0])/l*off
			if f.From > f.To {
				nx, ny = -nx, -ny
			}
			p1, p2 = [2]float64{p1[0] + nx, p1[1] + ny}, [2]float64{p2[0] + nx, p2[1] + ny}
		}
		label := f.Protocol
		if label == "" {
			label = f.Name
		}
		if label == "" {
			label = f.ID
		}
		if f.Encrypted {
			label += " (encrypted)"
		}
		s.Flows = append(s.Flows, SceneFlow{ID: f.ID, Label: label, Encrypted: f.Encrypted, X1: p1[0], Y1: p1[1], X2: p2[0], Y2: p2[1], Open: st.count[f.ID]})
	}
	for _, e := range m.Elements {
		p := pos[e.ID]
		sub := e.Kind
		if sub == "" {
			sub = e.Type
		}
		s.Elements = append(s.Elements, SceneElement{ID: e.ID, Name: e.Name, Type: e.Type, Sub: sub, X: p[0], Y: p[1], Open: st.count[e.ID], Worst: st.worst[e.ID]})
	}
	s.fit()
	return s
}

// fit moves the drawing to start at the inset and sets its size.
func (s *Scene) fit() {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	see := func(x1, y1, x2, y2 float64) {
		minX, minY, maxX, maxY = min(minX, x1), min(minY, y1), max(maxX, x2), max(maxY, y2)
	}
	for _, b := range s.Boundaries {
		see(b.X1, b.Y1, b.X2, b.Y2)
	}
	for _, e := range s.Elements {
		see(e.X, e.Y-12, e.X+NodeW+12, e.Y+NodeH)
	}
	if math.IsInf(minX, 1) {
		s.Width, s.Height = 400, 120
		return
	}
	dx, dy := sceneInset-minX, sceneInset+24-minY // room for the title
	for i := range s.Boundaries {
		b := &s.Boundaries[i]
		b.X1, b.X2, b.Y1, b.Y2 = b.X1+dx, b.X2+dx, b.Y1+dy, b.Y2+dy
	}
	for i := range s.Elements {
		s.Elements[i].X += dx
		s.Elements[i].Y += dy
	}
	for i := range s.Flows {
		f := &s.Flows[i]
		f.X1, f.X2, f.Y1, f.Y2 = f.X1+dx, f.X2+dx, f.Y1+dy, f.Y2+dy
	}
	s.Width, s.Height = max(400, maxX+dx+sceneInset), maxY+dy+sceneInset
}

func boxEdge(c, d [2]float64) [2]float64 {
	dx, dy := d[0]-c[0], d[1]-c[1]
	if dx == 0 && dy == 0 {
		return c
	}
	sx, sy := math.Inf(1), math.Inf(1)
	if dx != 0 {
		sx = math.Abs((NodeW/2 + 4) / dx)
	}
	if dy != 0 {
		sy = math.Abs((NodeH/2 + 4) / dy)
	}
	k := min(sx, sy)
	return [2]float64{c[0] + dx*k, c[1] + dy*k}
}

var elementFill = map[string][2]string{ // fill, stroke
	TypeExternalEntity: {"#f3f4f6", "#374151"},
	TypeProcess:        {"#eef2ff", "#2446d8"},
	TypeDataStore:      {"#ecfdf5", "#047857"},
	TypeDevice:         {"#fff7ed", "#b54708"},
}

func elementRadius(typ string) float64 {
	switch typ {
	case TypeProcess:
		return 26
	case TypeDevice:
		return 4
	}
	return 0
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// WriteSceneSVG writes the scene as a standalone SVG (presentation
// attributes only: no script, no style sheet).
func WriteSceneSVG(w io.Writer, s *Scene) error {
	var b bytes.Buffer
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="Go, DejaVu Sans, Arial, sans-serif">`+"\n", s.Width, s.Height, s.Width, s.Height)
	fmt.Fprintf(&b, `<title>%s</title>`+"\n", esc(s.Title))
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#475467"/></marker></defs>` + "\n")
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#ffffff"/><text x="%.0f" y="%.0f" font-size="15" font-weight="bold" fill="#1b2333">%s</text>`+"\n", sceneInset, sceneInset+8, esc(s.Title))
	for _, r := range s.Boundaries {
		fmt.Fprintf(&b, `<g id="boundary-%s"><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="8" fill="#b42318" fill-opacity="0.03" stroke="#b42318" stroke-width="1.5" stroke-dasharray="7 4"/><text x="%.1f" y="%.1f" font-size="12" font-weight="bold" fill="#b42318">%s</text></g>`+"\n",
			esc(r.ID), r.X1, r.Y1, r.X2-r.X1, r.Y2-r.Y1, r.X1+8, r.Y1+15, esc(r.Label))
	}
	for _, f := range s.Flows {
		stroke, dash := "#475467", ""
		if !f.Encrypted {
			stroke, dash = "#b54708", ` stroke-dasharray="5 3"`
		}
		label := f.Label
		if f.Open > 0 {
			label += fmt.Sprintf(" ⚠%d", f.Open)
		}
		fmt.Fprintf(&b, `<g id="flow-%s"><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.6"%s marker-end="url(#arrow)"/><text x="%.1f" y="%.1f" font-size="11" text-anchor="middle" fill="#344054" stroke="#ffffff" stroke-width="3" paint-order="stroke">%s</text></g>`+"\n",
			esc(f.ID), f.X1, f.Y1, f.X2, f.Y2, stroke, dash, (f.X1+f.X2)/2, (f.Y1+f.Y2)/2-6, esc(label))
	}
	for _, e := range s.Elements {
		c := elementFill[e.Type]
		fmt.Fprintf(&b, `<g id="element-%s" transform="translate(%.1f,%.1f)"><rect width="%.0f" height="%.0f" rx="%.0f" fill="%s" stroke="%s" stroke-width="1.5"/>`, esc(e.ID), e.X, e.Y, NodeW, NodeH, elementRadius(e.Type), c[0], c[1])
		if e.Type == TypeDataStore {
			fmt.Fprintf(&b, `<line x1="0" y1="6" x2="%.0f" y2="6" stroke="%s" stroke-width="1.5"/><line x1="0" y1="%.0f" x2="%.0f" y2="%.0f" stroke="%s" stroke-width="1.5"/>`, NodeW, c[1], NodeH-6, NodeW, NodeH-6, c[1])
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="13" font-weight="bold" text-anchor="middle" fill="#1b2333">%s</text><text x="%.0f" y="%.0f" font-size="11" text-anchor="middle" fill="#647089">%s</text>`,
			NodeW/2, NodeH/2-2, esc(truncate(e.Name, 20)), NodeW/2, NodeH/2+14, esc(truncate(e.Sub, 24)))
		if e.Open > 0 {
			fmt.Fprintf(&b, `<circle cx="%.0f" cy="-6" r="11" fill="%s"/><text x="%.0f" y="-2" font-size="11" font-weight="bold" text-anchor="middle" fill="#ffffff">%d</text>`, NodeW-6, severityColour(e.Worst), NodeW-6, e.Open)
		}
		b.WriteString("</g>\n")
	}
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// MaxPNGSide bounds the longer side of an exported PNG in pixels.
const MaxPNGSide = 3072

var (
	fontOnce          sync.Once
	fontReg, fontBold *truetype.Font
	errFont           error
	// pngMu serialises PNG renders: truetype faces cache glyphs and are
	// not safe for concurrent use.
	pngMu     sync.Mutex
	faceCache = map[[2]float64]font.Face{}
)

// face returns a Go font face of size pixels (pngMu held).
func face(bold bool, size float64) (font.Face, error) {
	fontOnce.Do(func() {
		if fontReg, errFont = truetype.Parse(goregular.TTF); errFont == nil {
			fontBold, errFont = truetype.Parse(gobold.TTF)
		}
	})
	if errFont != nil {
		return nil, errFont
	}
	k := [2]float64{size, 0}
	f := fontReg
	if bold {
		k[1], f = 1, fontBold
	}
	if fc, ok := faceCache[k]; ok {
		return fc, nil
	}
	fc := truetype.NewFace(f, &truetype.Options{Size: size, DPI: 72, Hinting: font.HintingFull})
	faceCache[k] = fc
	return fc, nil
}

// ScenePNG rasterises the scene (pure Go), at twice the size for sharp
// text unless that exceeds MaxPNGSide.
func ScenePNG(s *Scene) ([]byte, error) {
	pngMu.Lock()
	defer pngMu.Unlock()
	scale := min(2, MaxPNGSide/max(s.Width, s.Height))
	dc := gg.NewContext(int(math.Ceil(s.Width*scale)), int(math.Ceil(s.Height*scale)))
	dc.Scale(scale, scale)
	dc.SetHexColor("#ffffff")
	dc.Clear()
	text := func(str string, x, y float64, size float64, bold bool, colour string, ax float64) error {
		fc, err := face(bold, size*scale)
		if err != nil {
			return err
		}
		dc.Push()
		dc.Identity()
		dc.SetFontFace(fc)
		dc.SetHexColor(colour)
		dc.DrawStringAnchored(str, x*scale, y*scale, ax, 0)
		dc.Pop()
		return nil
	}
	if err := text(s.Title, sceneInset, sceneInset+8, 15, true, "#1b2333", 0); err != nil {
		return nil, err
	}
	for _, r := range s.Boundaries {
		dc.DrawRoundedRectangle(r.X1, r.Y1, r.X2-r.X1, r.Y2-r.Y1, 8)
		dc.SetRGBA(0.7, 0.14, 0.09, 0.03)
		dc.FillPreserve()
		dc.SetHexColor("#b42318")
		dc.SetLineWidth(1.5)
		dc.SetDash(7, 4)
		dc.Stroke()
		dc.SetDash()
		if err := text(r.Label, r.X1+8, r.Y1+15, 12, true, "#b42318", 0); err != nil {
			return nil, err
		}
	}
	for _, f := range s.Flows {
		colour := "#475467"
		if !f.Encrypted {
			colour = "#b54708"
			dc.SetDash(5, 3)
		}
		dc.SetHexColor(colour)
		dc.SetLineWidth(1.6)
		dc.DrawLine(f.X1, f.Y1, f.X2, f.Y2)
		dc.Stroke()
		dc.SetDash()
		// Arrowhead at the target.
		ang := math.Atan2(f.Y2-f.Y1, f.X2-f.X1)
		dc.MoveTo(f.X2, f.Y2)
		dc.LineTo(f.X2-10*math.Cos(ang-0.4), f.Y2-10*math.Sin(ang-0.4))
		dc.LineTo(f.X2-10*math.Cos(ang+0.4), f.Y2-10*math.Sin(ang+0.4))
		dc.ClosePath()
		dc.SetHexColor("#475467")
		dc.Fill()
		label := f.Label
		if f.Open > 0 {
			label += fmt.Sprintf(" (%d open)", f.Open)
		}
		mx, my := (f.X1+f.X2)/2, (f.Y1+f.Y2)/2-6
		fc, err := face(false, 11*scale)
		if err != nil {
			return nil, err
		}
		dc.SetFontFace(fc)
		w, _ := dc.MeasureString(label)
		dc.DrawRectangle(mx-w/scale/2-2, my-10, w/scale+4, 13)
		dc.SetHexColor("#ffffff")
		dc.Fill()
		if err := text(label, mx, my, 11, false, "#344054", 0.5); err != nil {
			return nil, err
		}
	}
	for _, e := range s.Elements {
		c := elementFill[e.Type]
		dc.DrawRoundedRectangle(e.X, e.Y, NodeW, NodeH, elementRadius(e.Type))
		dc.SetHexColor(c[0])
		dc.FillPreserve()
		dc.SetHexColor(c[1])
		dc.SetLineWidth(1.5)
		dc.Stroke()
		if e.Type == TypeDataStore {
			dc.DrawLine(e.X, e.Y+6, e.X+NodeW, e.Y+6)
			dc.DrawLine(e.X, e.Y+NodeH-6, e.X+NodeW, e.Y+NodeH-6)
			dc.Stroke()
		}
		if err := text(truncate(e.Name, 20), e.X+NodeW/2, e.Y+NodeH/2-2, 13, true, "#1b2333", 0.5); err != nil {
			return nil, err
		}
		if err := text(truncate(e.Sub, 24), e.X+NodeW/2, e.Y+NodeH/2+14, 11, false, "#647089", 0.5); err != nil {
			return nil, err
		}
		if e.Open > 0 {
			dc.DrawCircle(e.X+NodeW-6, e.Y-6, 11)
			dc.SetHexColor(severityColour(e.Worst))
			dc.Fill()
			if err := text(fmt.Sprint(e.Open), e.X+NodeW-6, e.Y-2, 11, true, "#ffffff", 0.5); err != nil {
				return nil, err
			}
		}
	}
	var out bytes.Buffer
	if err := dc.EncodePNG(&out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
