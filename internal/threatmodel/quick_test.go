package threatmodel

import (
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
