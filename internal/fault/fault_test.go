package fault_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/rampart-security/rampart/internal/fault"
)

func TestKinds(t *testing.T) {
	cases := []struct {
		err  error
		kind fault.Kind
		is   error
	}{
		{fault.NotFound("product %d", 3), fault.KindNotFound, fault.ErrNotFound},
		{fmt.Errorf("loading: %w", fault.Conflict("stale version")), fault.KindConflict, fault.ErrConflict},
		{fault.Invalid("expires", "too late"), fault.KindInvalid, fault.ErrInvalid},
		{fault.Forbidden("no"), fault.KindForbidden, fault.ErrForbidden},
		{fault.Unauthenticated("sign in"), fault.KindUnauthenticated, fault.ErrUnauthenticated},
		{fault.TooMany("wait"), fault.KindTooMany, fault.ErrTooMany},
		{fault.Unprocessable(errors.New("bad.json: line 3")), fault.KindUnprocessable, fault.ErrUnprocessable},
		{fmt.Errorf("x: %w", fault.ErrNotFound), fault.KindNotFound, fault.ErrNotFound},
		{errors.New("boom"), fault.KindInternal, nil},
	}
	for _, c := range cases {
		if got := fault.KindOf(c.err); got != c.kind {
			t.Errorf("KindOf(%v) = %v, want %v", c.err, got, c.kind)
		}
		if c.is != nil && !errors.Is(c.err, c.is) {
			t.Errorf("%v is not %v", c.err, c.is)
		}
	}
	if f := fault.FieldOf(fmt.Errorf("w: %w", fault.Invalid("name", "empty"))); f != "name" {
		t.Errorf("FieldOf = %q", f)
	}
	cause := errors.New("root")
	if !errors.Is(fault.Unprocessable(cause), cause) {
		t.Error("Unprocessable loses its cause")
	}
}
