package dispatch

import (
	"context"
	"testing"
)

// TestReleasedSlotLetsOtherKeysRun (issue 12-B): a job that has saved its
// change and only waits for its replies' pacing gives its run slot back,
// so with one slot another user's event runs meanwhile; the same user's
// next event still waits for it (order per user is kept).
func TestReleasedSlotLetsOtherKeysRun(t *testing.T) {
	d := New(1, 16)
	waiting, finish := make(chan struct{}), make(chan struct{})
	var order []string
	done := make(chan string, 3)
	submit := func(key, name string, job func(release func())) {
		if err := d.Submit(context.Background(), key, nil, func(release func()) { job(release); done <- name }); err != nil {
			t.Fatal(err)
		}
	}
	submit("alice", "alice-1", func(release func()) {
		release() // saved; now only paced replies remain
		close(waiting)
		<-finish
	})
	<-waiting
	submit("alice", "alice-2", func(func()) {})
	submit("bob", "bob-1", func(func()) {})
	if got := <-done; got != "bob-1" {
		t.Fatalf("first to finish while alice-1 waits for pacing: %s, want bob-1 (the slot was released)", got)
	}
	close(finish)
	for range 2 {
		order = append(order, <-done)
	}
	if order[0] != "alice-1" || order[1] != "alice-2" {
		t.Fatalf("alice's events finished in order %v, want alice-1 then alice-2", order)
	}
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}
