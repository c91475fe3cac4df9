package findings

import (
	"testing"
	"time"
)

func TestReconcile(t *testing.T) {
	existing := []Existing{
		{ID: 1, Fingerprint: "a", Status: StatusOpen},
		{ID: 2, Fingerprint: "b", Status: StatusVerified},
		{ID: 3, Fingerprint: "c", Status: StatusFalsePositive},
		{ID: 4, Fingerprint: "d", Status: StatusInProgress},
		{ID: 5, Fingerprint: "e", Status: StatusRiskAccepted},
		{ID: 6, Fingerprint: "f", Status: StatusFixed},
	}
	p := Reconcile(existing, []string{"a", "b", "c", "new1", "new1", "new2"})
	want := map[string]Outcome{"a": OutcomeUnchanged, "b": OutcomeReopened, "c": OutcomeUnchanged, "new1": OutcomeNew, "new2": OutcomeNew}
	for fp, o := range want {
		if p.Incoming[fp] != o {
			t.Errorf("%s: %s, want %s", fp, p.Incoming[fp], o)
		}
	}
	// d is active and missing: closed. e (risk accepted) and f (already fixed) stay.
	if len(p.Close) != 1 || p.Close[0] != 4 {
		t.Errorf("close = %v, want [4]", p.Close)
	}
	if p.New != 2 || p.Unchanged != 2 || p.Reopened != 1 || p.Closed != 1 {
		t.Errorf("counts %+v", p)
	}
}

func TestTransitionCheck(t *testing.T) {
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	later := now.AddDate(0, 3, 0)
	past := now.AddDate(0, -1, 0)
	tests := []struct {
		tr Transition
		ok bool
	}{
		{Transition{To: StatusConfirmed}, true},
		{Transition{To: "bogus"}, false},
		{Transition{To: StatusVerified}, false},
		{Transition{To: StatusFalsePositive}, false},
		{Transition{To: StatusFalsePositive, Reason: "test code only"}, true},
		{Transition{To: StatusRiskAccepted, Reason: "r", Approver: "ciso", AcceptedUntil: &later}, true},
		{Transition{To: StatusRiskAccepted, Reason: "r", Approver: "ciso", AcceptedUntil: &past}, false},
		{Transition{To: StatusRiskAccepted, Reason: "r", AcceptedUntil: &later}, false},
	}
	for _, tt := range tests {
		if err := tt.tr.Check(StatusOpen, now); (err == nil) != tt.ok {
			t.Errorf("%+v: %v, want ok=%v", tt.tr, err, tt.ok)
		}
	}
}
