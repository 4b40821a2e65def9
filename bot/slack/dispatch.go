package slack

import "context"

// runWithDeadline runs one accepted event under the adapter's work context
// and EventTimeout, so nothing it waits on (the store, a rate-limited
// channel) can keep it past the deadline. release gives the run slot back
// once the event only waits for its replies (see releaseSlot).
func (a *Adapter) runWithDeadline(run func(ctx context.Context), release func()) {
	ctx, cancel := context.WithTimeout(a.workCtx, a.cfg.EventTimeout)
	defer cancel()
	run(context.WithValue(ctx, slotKey{}, release))
}

type slotKey struct{}

// releaseSlot gives the event's run slot back: called once its change is
// saved and only its paced replies remain, so handlers waiting for a busy
// channel's pacing do not stall every other channel.
func releaseSlot(ctx context.Context) {
	if release, ok := ctx.Value(slotKey{}).(func()); ok {
		release()
	}
}
