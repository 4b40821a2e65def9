package slack

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// TestEventDeadline (issue 12, review 4): every accepted event runs under
// EventTimeout, so a handler stuck on a store or a channel gives its run
// slot back at the deadline; cancelling the work context still ends it
// at once.
func TestEventDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		work, cancel := context.WithCancel(context.Background())
		defer cancel()
		a := &Adapter{cfg: Config{EventTimeout: 2 * time.Minute}, workCtx: work}
		start := time.Now()
		var got error
		a.runWithDeadline(func(ctx context.Context) {
			<-ctx.Done() // a handler that never returns on its own
			got = ctx.Err()
		}, func() {})
		if !errors.Is(got, context.DeadlineExceeded) || time.Since(start) != 2*time.Minute {
			t.Fatalf("stuck event ended after %v with %v, want DeadlineExceeded after 2m", time.Since(start), got)
		}
		cancel()
		a.runWithDeadline(func(ctx context.Context) { <-ctx.Done(); got = ctx.Err() }, func() {})
		if !errors.Is(got, context.Canceled) {
			t.Fatalf("after the work context ended: %v, want Canceled", got)
		}
	})
}
