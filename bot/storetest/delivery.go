package storetest

import (
	"sync"
	"time"
)

var firstDeliveryCases = []testCase{
	// A delivery whose handling failed is forgotten, so the platform's
	// retry of it is handled; other ids keep their marks.
	{name: "ForgetLetsTheRetryThrough", run: func(f *fixture) {
		id, other := f.id("ev-forget"), f.id("ev-kept")
		for _, x := range []string{id, other} {
			if ok, err := f.s.FirstDelivery(f.ctx, x, ttl); !ok || err != nil {
				f.t.Fatalf("FirstDelivery(%s) = %v, %v; want true", x, ok, err)
			}
		}
		if err := f.s.ForgetDelivery(f.ctx, id); err != nil {
			f.t.Fatalf("ForgetDelivery = %v", err)
		}
		if ok, err := f.s.FirstDelivery(f.ctx, id, ttl); !ok || err != nil {
			f.t.Fatalf("FirstDelivery after ForgetDelivery = %v, %v; want true", ok, err)
		}
		if ok, err := f.s.FirstDelivery(f.ctx, other, ttl); ok || err != nil {
			f.t.Fatalf("FirstDelivery(kept id) = %v, %v; want false", ok, err)
		}
		if err := f.s.ForgetDelivery(f.ctx, f.id("never-seen")); err != nil {
			f.t.Fatalf("ForgetDelivery(unknown id) = %v, want nil", err)
		}
	}},
	{name: "FirstThenRepeat", run: func(f *fixture) {
		id := f.id("ev1")
		for i, want := range []bool{true, false, false} {
			got, err := f.s.FirstDelivery(f.ctx, id, ttl)
			if err != nil {
				f.t.Fatalf("FirstDelivery #%d = %v", i+1, err)
			}
			if got != want {
				f.t.Fatalf("FirstDelivery #%d = %v, want %v", i+1, got, want)
			}
		}
	}},
	{name: "DistinctIDsIndependent", run: func(f *fixture) {
		a, b := f.id("ev-a"), f.id("ev-b")
		for _, step := range []struct {
			id   string
			want bool
		}{{a, true}, {b, true}, {a, false}, {b, false}} {
			got, err := f.s.FirstDelivery(f.ctx, step.id, ttl)
			if err != nil || got != step.want {
				f.t.Fatalf("FirstDelivery(%s) = %v, %v; want %v", step.id, got, err, step.want)
			}
		}
	}},
	{name: "ConcurrentOnlyOneFirst", run: func(f *fixture) {
		const n = 10
		id := f.id("ev-race")
		var wg sync.WaitGroup
		results := make(chan bool, n)
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				ok, err := f.s.FirstDelivery(f.ctx, id, ttl)
				if err != nil {
					f.t.Errorf("FirstDelivery = %v", err)
				}
				results <- ok
			})
		}
		close(start)
		wg.Wait()
		close(results)
		firsts := 0
		for ok := range results {
			if ok {
				firsts++
			}
		}
		if firsts != 1 {
			f.t.Fatalf("%d of %d concurrent deliveries were first, want exactly 1", firsts, n)
		}
	}},
	{name: "ExpiresAfterTTL", needsClock: true, run: func(f *fixture) {
		const short = time.Hour
		id, other := f.id("ev-exp"), f.id("ev-long")
		if ok, err := f.s.FirstDelivery(f.ctx, id, short); !ok || err != nil {
			f.t.Fatalf("FirstDelivery = %v, %v; want true", ok, err)
		}
		if ok, err := f.s.FirstDelivery(f.ctx, other, 3*short); !ok || err != nil {
			f.t.Fatalf("FirstDelivery(other) = %v, %v; want true", ok, err)
		}
		f.advance(short - time.Minute)
		if ok, err := f.s.FirstDelivery(f.ctx, id, short); ok || err != nil {
			f.t.Fatalf("FirstDelivery just before ttl = %v, %v; want false", ok, err)
		}
		f.advance(2 * time.Minute)
		if ok, err := f.s.FirstDelivery(f.ctx, id, short); !ok || err != nil {
			f.t.Fatalf("FirstDelivery after ttl = %v, %v; want true", ok, err)
		}
		// The new delivery started a new ttl.
		if ok, err := f.s.FirstDelivery(f.ctx, id, short); ok || err != nil {
			f.t.Fatalf("FirstDelivery repeated after re-recording = %v, %v; want false", ok, err)
		}
		// A longer ttl on another id is unaffected.
		if ok, err := f.s.FirstDelivery(f.ctx, other, 3*short); ok || err != nil {
			f.t.Fatalf("FirstDelivery(other) within its ttl = %v, %v; want false", ok, err)
		}
	}},
}
