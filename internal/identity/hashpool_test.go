package identity

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
)

// Defect 3: every sign-in computed its own 64 MiB argon2id hash at once.
// With every slot taken, a further verification waits, then is refused
// with TooMany (429) instead of allocating another 64 MiB.
func TestHashPoolRefusesExcess(t *testing.T) {
	for range HashConcurrency {
		hashSlots <- struct{}{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := VerifyPasswordContext(ctx, "", "whatever")
	for range HashConcurrency {
		<-hashSlots
	}
	if !errors.Is(err, fault.ErrTooMany) {
		t.Fatalf("verification with every slot busy: %v, want TooMany", err)
	}
	ok, err := VerifyPasswordContext(context.Background(), "", "whatever")
	if err != nil || ok {
		t.Fatalf("verification with a free slot: %v %v", ok, err)
	}
}
