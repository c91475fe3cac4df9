package sdl

import (
	"testing"

	"github.com/rampart-security/rampart/internal/fault"
)

func TestModelHasFifteenPractices(t *testing.T) {
	if len(Practices) != 15 {
		t.Fatalf("%d practices", len(Practices))
	}
	fns := map[string]int{}
	for _, p := range Practices {
		fns[p.Function]++
		if len(p.Streams) != 2 {
			t.Errorf("%s has %d streams", p.ID, len(p.Streams))
		}
	}
	for _, fn := range []string{"Governance", "Design", "Implementation", "Verification", "Operations"} {
		if fns[fn] != 3 {
			t.Errorf("%s has %d practices", fn, fns[fn])
		}
	}
}

func TestScore(t *testing.T) {
	tests := []struct {
		name                         string
		answers                      map[string]float64
		overall, design, threatModel float64
	}{
		{"none", nil, 0, 0, 0},
		{"threat modelling only", map[string]float64{"D-TA-A": 2, "D-TA-B": 3}, 0.17, 0.83, 2.5},
		{"all at 1", allAt(1), 1, 1, 1},
		{"all at 3", allAt(3), 3, 3, 3},
	}
	for _, tt := range tests {
		s := Score(tt.answers)
		if s.Overall != tt.overall || s.Functions["Design"] != tt.design || s.Practices["D-TA"] != tt.threatModel {
			t.Errorf("%s: %+v", tt.name, s)
		}
	}
}

func allAt(v float64) map[string]float64 {
	m := map[string]float64{}
	for _, p := range Practices {
		for _, s := range p.Streams {
			m[s.ID] = v
		}
	}
	return m
}

func TestValidate(t *testing.T) {
	bad := []map[string]float64{{"X-YY-A": 1}, {"D-TA-A": 3.5}, {"D-TA-A": -1}, {"D-TA-A": 1.1}}
	for _, a := range bad {
		if err := ValidateAnswers(a); fault.KindOf(err) != fault.KindInvalid {
			t.Errorf("%v: %v", a, err)
		}
	}
	if err := ValidateAnswers(map[string]float64{"D-TA-A": 1.25, "O-OM-B": 0}); err != nil {
		t.Error(err)
	}
	badItems := []map[string]ChecklistItem{
		{"code_reviews": {Done: true, Evidence: "https://x/1"}},
		{"code_review": {Done: true}},
		{"code_review": {Done: true, Evidence: "javascript:alert(1)"}},
	}
	for _, it := range badItems {
		if err := ValidateChecklist(it); fault.KindOf(err) != fault.KindInvalid {
			t.Errorf("%v: %v", it, err)
		}
	}
	ok := map[string]ChecklistItem{"code_review": {Done: true, Evidence: "https://git.example/pr/12"}, "penetration_test": {}}
	if err := ValidateChecklist(ok); err != nil {
		t.Error(err)
	}
	if c := Checklist(ok); !c["code_review"] || c["penetration_test"] || len(c) != len(Activities) {
		t.Errorf("checklist = %v", c)
	}
}
