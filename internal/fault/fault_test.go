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

func TestNewKinds(t *testing.T) {
	stale := fmt.Errorf("edit: %w", fault.Stale("you edited version %d, the current version is %d", 2, 3))
	if fault.KindOf(stale) != fault.KindStale || !errors.Is(stale, fault.ErrStale) || errors.Is(stale, fault.ErrConflict) {
		t.Errorf("Stale: kind %v", fault.KindOf(stale))
	}
	pr := fault.PreconditionRequired("If-Match is required")
	if fault.KindOf(pr) != fault.KindPreconditionRequired || !errors.Is(pr, fault.ErrPreconditionRequired) || pr.Error() != "If-Match is required" {
		t.Errorf("PreconditionRequired: kind %v, %q", fault.KindOf(pr), pr)
	}
}

// typedStale is a typed error classified by the sentinel it unwraps to.
type typedStale struct{ version int }

func (e *typedStale) Error() string { return fmt.Sprintf("version %d is stale", e.version) }
func (*typedStale) Unwrap() error   { return fault.ErrStale }

func TestTypedErrorKind(t *testing.T) {
	err := fmt.Errorf("save: %w", &typedStale{4})
	var ts *typedStale
	if fault.KindOf(err) != fault.KindStale || !errors.As(err, &ts) || ts.version != 4 {
		t.Errorf("typed error: kind %v", fault.KindOf(err))
	}
}

// TestKindOfDeterministic: an error wrapping several sentinels has one
// kind, the first in declaration order, every time (the sentinels were a
// map, so the kind depended on iteration order).
func TestKindOfDeterministic(t *testing.T) {
	err := errors.Join(fault.ErrTooMany, fault.ErrNotFound, fault.ErrConflict)
	for range 50 {
		if k := fault.KindOf(err); k != fault.KindNotFound {
			t.Fatalf("KindOf = %v, want %v", k, fault.KindNotFound)
		}
	}
}

func TestKindsListed(t *testing.T) {
	kinds := fault.Kinds()
	seen := map[string]bool{}
	for i, k := range kinds {
		if int(k) != i+1 || seen[k.String()] {
			t.Errorf("Kinds()[%d] = %d (%v): want every kind after KindInternal once, in order, with its own name", i, int(k), k)
		}
		seen[k.String()] = true
		// Every kind's sentinel classifies as that kind.
		if got := fault.KindOf(&fault.Error{Kind: k, Msg: "x"}); got != k {
			t.Errorf("KindOf(Error{Kind: %v}) = %v", k, got)
		}
	}
	if len(kinds) < int(fault.KindPreconditionRequired) {
		t.Errorf("Kinds() has %d kinds, want at least %d", len(kinds), int(fault.KindPreconditionRequired))
	}
	if fault.KindInternal.String() != "internal" {
		t.Errorf("KindInternal = %q", fault.KindInternal.String())
	}
}
