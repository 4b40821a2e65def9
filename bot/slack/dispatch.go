package slack

import (
	"context"
	"errors"
	"sync"
)

// dispatcher runs accepted events. Events with the same key (one user in
// one workspace) run in arrival order, so an answer and the button clicked
// right after it are handled in that order; different keys run
// concurrently, at most maxRunning at once. A job that has done its work
// and only waits for its replies to be paced out calls its release func:
// it gives its run slot back (one busy channel must not stall the others)
// and keeps its place in its key's order until it returns. At most
// maxQueued events wait or run; beyond that, submit blocks, so the
// event source stops acknowledging and Slack holds (then retries) the
// rest instead of the process buffering without bound.
type dispatcher struct {
	space   chan struct{} // one token per queued or running event
	running chan struct{} // one token per running event

	onPanic func(recovered any)

	mu     sync.Mutex
	queues map[string][]func(release func())
	closed bool
	wg     sync.WaitGroup
}

var errClosed = errors.New("slack: adapter is shutting down")

func newDispatcher(maxRunning, maxQueued int) *dispatcher {
	return &dispatcher{
		space:   make(chan struct{}, max(maxQueued, maxRunning)),
		running: make(chan struct{}, maxRunning),
		queues:  make(map[string][]func(release func())),
	}
}

// submit waits for room, calls accepted (the ack), then queues job under
// key. It fails without calling accepted when ctx ends first or the
// dispatcher is closed.
func (d *dispatcher) submit(ctx context.Context, key string, accepted func(), job func(release func())) error {
	select {
	case d.space <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		<-d.space
		return errClosed
	}
	d.wg.Add(1)
	d.mu.Unlock()
	if accepted != nil {
		accepted()
	}
	d.mu.Lock()
	q, busy := d.queues[key]
	d.queues[key] = append(q, job)
	d.mu.Unlock()
	if !busy {
		go d.drain(key)
	}
	return nil
}

func (d *dispatcher) drain(key string) {
	for {
		d.mu.Lock()
		q := d.queues[key]
		if len(q) == 0 {
			delete(d.queues, key)
			d.mu.Unlock()
			return
		}
		job := q[0]
		d.queues[key] = q[1:]
		d.mu.Unlock()

		d.running <- struct{}{}
		release := sync.OnceFunc(func() { <-d.running })
		d.run(job, release)
		release()
		<-d.space
		d.wg.Done()
	}
}

// run keeps a panicking job from taking the worker (and its tokens) down.
func (d *dispatcher) run(job func(release func()), release func()) {
	defer func() {
		if r := recover(); r != nil && d.onPanic != nil {
			d.onPanic(r)
		}
	}()
	job(release)
}

// close refuses new events and waits, until ctx ends, for the accepted
// ones to finish.
func (d *dispatcher) close(ctx context.Context) error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	done := make(chan struct{})
	go func() {
		d.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

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
