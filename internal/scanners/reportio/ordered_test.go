package reportio

import (
	"errors"
	"reflect"
	"testing"
)

func TestOrdered(t *testing.T) {
	var o Ordered[string, int]
	if _, ok := o.Get("a"); ok {
		t.Fatal("zero value holds a key")
	}
	for i, k := range []string{"b", "a", "b", "c"} {
		o.Set(k, i)
	}
	o.Delete("c")
	var keys []string
	var vals []int
	_ = o.Each(func(k string, v int) error {
		keys, vals = append(keys, k), append(vals, v)
		return nil
	})
	if !reflect.DeepEqual(keys, []string{"b", "a"}) || !reflect.DeepEqual(vals, []int{2, 1}) {
		t.Errorf("Each: keys %v values %v, want first-added order and the last values", keys, vals)
	}
	stop := errors.New("stop")
	calls := 0
	if err := o.Each(func(string, int) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("Each after an error: %v, %d calls", err, calls)
	}
}
