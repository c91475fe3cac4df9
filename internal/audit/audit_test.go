package audit

import (
	"errors"
	"testing"
	"time"
)

func chain(n int) []Event {
	prev := Genesis
	var out []Event
	for i := 1; i <= n; i++ {
		e := Event{Seq: int64(i), At: time.Unix(int64(1000+i), 0).UTC(), Actor: "alice", Action: ActionSignIn, Object: "user alice", Outcome: OK, PrevHash: prev}
		e.Hash = ComputeHash(e)
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

func verify(events []Event) error {
	v := NewVerifier()
	for _, e := range events {
		if err := v.Next(e); err != nil {
			return err
		}
	}
	return nil
}

func TestVerifier(t *testing.T) {
	if err := verify(chain(4)); err != nil {
		t.Fatal(err)
	}
	var be *BrokenError
	c := chain(4)
	c[1].Detail = "edited"
	if err := verify(c); !errors.As(err, &be) || be.Seq != 2 {
		t.Errorf("altered: %v", err)
	}
	c = chain(4)
	if err := verify(append(c[:2:2], c[3])); !errors.As(err, &be) || be.Seq != 3 {
		t.Errorf("deleted: %v", err)
	}
	c = chain(4)
	c[2].Seq = 2
	if err := verify(c); !errors.As(err, &be) || be.Seq != 2 {
		t.Errorf("repeated seq: %v", err)
	}
	// Every field is covered by the hash.
	base := chain(1)[0]
	for name, mut := range map[string]func(*Event){
		"at": func(e *Event) { e.At = e.At.Add(time.Microsecond) }, "actor": func(e *Event) { e.Actor = "x" },
		"source": func(e *Event) { e.Source = "x" }, "action": func(e *Event) { e.Action = "x" }, "object": func(e *Event) { e.Object = "x" },
		"product": func(e *Event) { e.ProductID = 9 }, "outcome": func(e *Event) { e.Outcome = Failed }, "detail": func(e *Event) { e.Detail = "x" },
		"prev": func(e *Event) { e.PrevHash = "x" }, "seq": func(e *Event) { e.Seq = 2 },
	} {
		e := base
		mut(&e)
		if ComputeHash(e) == base.Hash {
			t.Errorf("field %s is not covered by the hash", name)
		}
	}
}
