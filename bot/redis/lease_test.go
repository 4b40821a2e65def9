package redis

import (
	"context"
	"testing"
	"time"
)

func TestLease(t *testing.T) {
	ctx := context.Background()
	s, mini := newTestStore(t, Options{})
	const name, ttl = "gateway:{dc:0}", 30 * time.Second
	key := s.leaseKey(name)
	// expire ends the lease as its TTL would: miniredis moves its clock; a
	// real server gets the key removed (its own expiry is Redis's job, and
	// PTTL is checked below).
	expire := func() {
		if mini != nil {
			mini.FastForward(ttl + time.Millisecond)
			return
		}
		if err := s.rdb.Del(ctx, key).Err(); err != nil {
			t.Fatal(err)
		}
	}
	acquire := func(holder string) func() (bool, error) {
		return func() (bool, error) { return s.Acquire(ctx, name, holder, ttl) }
	}
	steps := []struct {
		do   func() (bool, error)
		want bool
		why  string
	}{
		{acquire("a"), true, "a takes the free lease"},
		{acquire("b"), false, "b is refused while a holds it"},
		{acquire("a"), true, "a renews its own lease"},
		{func() (bool, error) { expire(); return s.Acquire(ctx, name, "b", ttl) }, true, "b takes the expired lease"},
		{acquire("a"), false, "a cannot renew a lease it lost"},
		{func() (bool, error) { return false, s.Release(ctx, name, "a") }, false, "a's release of b's lease does nothing"},
		{acquire("a"), false, "so b still holds it"},
		{func() (bool, error) { return false, s.Release(ctx, name, "b") }, false, "b releases"},
		{acquire("a"), true, "a takes the released lease at once"},
	}
	for i, st := range steps {
		got, err := st.do()
		if err != nil {
			t.Fatalf("step %d (%s): %v", i, st.why, err)
		}
		if got != st.want {
			t.Fatalf("step %d (%s): got %v, want %v", i, st.why, got, st.want)
		}
	}
	if holder, err := s.rdb.Get(ctx, key).Result(); err != nil || holder != "a" {
		t.Fatalf("lease value = %q, %v; want holder a", holder, err)
	}
	if pttl, err := s.rdb.PTTL(ctx, key).Result(); err != nil || pttl <= 0 || pttl > ttl {
		t.Fatalf("lease PTTL = %v, %v; want within (0, %v]", pttl, err, ttl)
	}
	// A renewal resets the TTL to the full lease time.
	if err := s.rdb.PExpire(ctx, key, time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Acquire(ctx, name, "a", ttl); err != nil || !ok {
		t.Fatalf("renew = %v, %v", ok, err)
	}
	if pttl, _ := s.rdb.PTTL(ctx, key).Result(); pttl <= time.Second {
		t.Fatalf("renewal left PTTL at %v; want it reset towards %v", pttl, ttl)
	}
	if _, err := s.Acquire(ctx, "", "a", ttl); err == nil {
		t.Error("Acquire with an empty name succeeded")
	}
}
