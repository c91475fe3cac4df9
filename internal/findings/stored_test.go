package findings

import (
	"errors"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/fault"
)

func TestQueryValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		q     Query
		field string // "" when valid
	}{
		{"zero query", Query{}, ""},
		{"every sort", Query{Sort: "due"}, ""},
		{"active", Query{Status: "active", Severity: High}, ""},
		{"a status", Query{Status: string(StatusRiskAccepted)}, ""},
		{"unknown sort", Query{Sort: "title"}, "sort"},
		{"unknown status", Query{Status: "closed"}, "status"},
		{"unknown severity", Query{Severity: "urgent"}, "severity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.q.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, fault.ErrInvalid) || fault.FieldOf(err) != tc.field {
				t.Fatalf("Validate() = %v (field %q), want an invalid %s", err, fault.FieldOf(err), tc.field)
			}
		})
	}
	for _, s := range QuerySorts {
		if err := (Query{Sort: s}).Validate(); err != nil {
			t.Errorf("sort %q: %v", s, err)
		}
	}
	if got := (Query{}).SortKey(); got != "risk" {
		t.Errorf("default sort %q, want risk", got)
	}
}

func TestUpdateValidate(t *testing.T) {
	nobody := ""
	for _, tc := range []struct {
		name string
		u    Update
		ok   bool
	}{
		{"nothing", Update{}, false},
		{"blank comment", Update{Comment: " \n"}, false},
		{"comment", Update{Comment: "looked at it"}, true},
		{"unassign", Update{Assignee: &nobody}, true},
		{"status", Update{Transition: &Transition{To: StatusConfirmed}}, true},
	} {
		err := tc.u.Validate()
		if tc.ok != (err == nil) {
			t.Errorf("%s: Validate() = %v, want ok %v", tc.name, err, tc.ok)
		}
		if err != nil && (!errors.Is(err, fault.ErrInvalid) || fault.FieldOf(err) != "status") {
			t.Errorf("%s: %v is not an invalid status", tc.name, err)
		}
	}
}

// TestUpdateTextLimits: a triage comment, reason, assignee or approver
// longer than its limit is an invalid-input error naming the field.
func TestUpdateTextLimits(t *testing.T) {
	long, longName := strings.Repeat("c", MaxTriageText+1), strings.Repeat("n", MaxPersonName+1)
	for _, tc := range []struct {
		u     Update
		field string
	}{
		{Update{Comment: long}, "comment"},
		{Update{Assignee: &longName}, "assignee"},
		{Update{Transition: &Transition{To: StatusFalsePositive, Reason: long}}, "reason"},
		{Update{Transition: &Transition{To: StatusRiskAccepted, Reason: "ok", Approver: longName}}, "approver"},
	} {
		if err := tc.u.Validate(); !errors.Is(err, fault.ErrInvalid) || fault.FieldOf(err) != tc.field {
			t.Errorf("Validate (long %s) = %v", tc.field, err)
		}
	}
	ok := strings.Repeat("c", MaxTriageText)
	if err := (Update{Comment: ok}).Validate(); err != nil {
		t.Errorf("Validate (comment of %d bytes) = %v", len(ok), err)
	}
}
