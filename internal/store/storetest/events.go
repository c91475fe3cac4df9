package storetest

import (
	"context"
	"testing"

	"github.com/rampart-security/rampart/internal/store"
)

// CountEvents returns how many of the notification events the store holds
// (all products) are of kind, failing the test when they cannot be read.
func CountEvents(tb testing.TB, st *store.Store, kind string) int {
	tb.Helper()
	evs, err := st.Events(context.Background(), 100000, nil)
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Kind == kind {
			n++
		}
	}
	return n
}
