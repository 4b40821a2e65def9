// Package dispatch runs chat events for the adapters: one user's events in
// the order they arrived, different users' concurrently, with bounds on
// how many run and how many wait. It has no platform code; bot/slack and
// bot/discord each feed it their events.
package dispatch

import (
	"context"
	"errors"
	"sync"
)

// Dispatcher runs accepted events. Events with the same key (one user in
// one workspace) run in arrival order, so an answer and the button clicked
// right after it are handled in that order; different keys run
// concurrently, at most maxRunning at once. A job that has done its work
// and only waits for its replies to be paced out calls its release func:
// it gives its run slot back (one busy channel must not stall the others)
// and keeps its place in its key's order until it returns. At most
// maxQueued events wait or run; beyond that, submit blocks, so the
// event source stops acknowledging and Slack holds (then retries) the
// rest instead of the process buffering without bound.
type Dispatcher struct {
	space   chan struct{} // one token per queued or running event
	running chan struct{} // one token per running event

	// OnPanic is told about a job that panicked; the job is dropped and the
	// worker goes on.
	OnPanic func(recovered any)

	mu     sync.Mutex
	queues map[string][]func(release func())
	closed bool
	wg     sync.WaitGroup
}

// ErrClosed is returned by Submit once Close has been called.
var ErrClosed = errors.New("dispatch: shutting down")

// New returns a Dispatcher running at most maxRunning jobs at once, with
// at most maxQueued accepted (queued or running).
func New(maxRunning, maxQueued int) *Dispatcher {
	return &Dispatcher{
		space:   make(chan struct{}, max(maxQueued, maxRunning)),
		running: make(chan struct{}, maxRunning),
		queues:  make(map[string][]func(release func())),
	}
}

// Submit waits for room, calls accepted (the ack), then queues job under
// key. It fails without calling accepted when ctx ends first or the
// dispatcher is closed.
func (d *Dispatcher) Submit(ctx context.Context, key string, accepted func(), job func(release func())) error {
	select {
	case d.space <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		<-d.space
		return ErrClosed
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

func (d *Dispatcher) drain(key string) {
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
func (d *Dispatcher) run(job func(release func()), release func()) {
	defer func() {
		if r := recover(); r != nil && d.OnPanic != nil {
			d.OnPanic(r)
		}
	}()
	job(release)
}

// Close refuses new events and waits, until ctx ends, for the accepted
// ones to finish.
func (d *Dispatcher) Close(ctx context.Context) error {
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
