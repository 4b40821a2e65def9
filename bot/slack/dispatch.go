package slack

import (
	"context"
	"errors"
	"sync"
)

// dispatcher runs acknowledged events after their ack. Events with the
// same key (one user in one workspace) run in arrival order, so an answer
// and the button clicked right after it are handled in that order;
// different keys run concurrently, at most maxRunning at once. At most
// maxQueued events wait or run; beyond that, submit blocks, so the
// event source stops acknowledging and Slack holds (then retries) the
// rest instead of the process buffering without bound.
type dispatcher struct {
	space   chan struct{} // one token per queued or running event
	running chan struct{} // one token per running event

	onPanic func(recovered any)

	mu     sync.Mutex
	queues map[string][]func()
	closed bool
	wg     sync.WaitGroup
}

var errClosed = errors.New("slack: adapter is shutting down")

func newDispatcher(maxRunning, maxQueued int) *dispatcher {
	return &dispatcher{
		space:   make(chan struct{}, max(maxQueued, maxRunning)),
		running: make(chan struct{}, maxRunning),
		queues:  make(map[string][]func()),
	}
}

// submit waits for room, calls accepted (the ack), then queues job under
// key. It fails without calling accepted when ctx ends first or the
// dispatcher is closed.
func (d *dispatcher) submit(ctx context.Context, key string, accepted func(), job func()) error {
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
		d.run(job)
		<-d.running
		<-d.space
		d.wg.Done()
	}
}

// run keeps a panicking job from taking the worker (and its tokens) down.
func (d *dispatcher) run(job func()) {
	defer func() {
		if r := recover(); r != nil && d.onPanic != nil {
			d.onPanic(r)
		}
	}()
	job()
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
// channel) can keep its run slot past the deadline.
func (a *Adapter) runWithDeadline(run func(ctx context.Context)) {
	ctx, cancel := context.WithTimeout(a.workCtx, a.cfg.EventTimeout)
	defer cancel()
	run(ctx)
}
