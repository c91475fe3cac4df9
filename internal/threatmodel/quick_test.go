package threatmodel

import (
	"bytes"
	"os"
	"testing"
)

func TestQuick(t *testing.T) {
	lib, err := DefaultLibrary()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rules", len(lib.Rules()))
	data, _ := Template("smart-home")
	m, err := Parse(data, "smart-home.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := lib.Check(m)
	for _, th := range res.Threats {
		t.Logf("%-9s %-8s %-30s %s | %s", th.Severity, th.Status, th.ID, th.STRIDE, th.Why)
	}
	t.Log(res.Warnings)
}

func TestQuickRender(t *testing.T) {
	lib, _ := DefaultLibrary()
	data, _ := Template("smart-home")
	m, _ := Parse(data, "smart-home.yaml")
	res := lib.Check(m)
	svg, err := RenderSVG(t.Context(), m, DiagramOptions{Result: res})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile("/tmp/tm/sh.svg", svg, 0o644)
	var b bytes.Buffer
	WriteHTML(&b, m, res, svg)
	os.WriteFile("/tmp/tm/sh.html", b.Bytes(), 0o644)
	b.Reset()
	WriteMarkdown(&b, m, res)
	os.WriteFile("/tmp/tm/sh.md", b.Bytes(), 0o644)
	b.Reset()
	WriteSARIF(&b, m, lib, res, "dev")
	os.WriteFile("/tmp/tm/sh.sarif", b.Bytes(), 0o644)
}
