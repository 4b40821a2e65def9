package bolt_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot/bolt"

	"github.com/mlsdbot/mlsd/bot/clocktest"
)

func TestLease(t *testing.T) {
	ctx := context.Background()
	clk := clocktest.New(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC))
	s, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const name, ttl = "gateway:{dc:0}", 30 * time.Second

	steps := []struct {
		do     func() (bool, error)
		want   bool
		advice string
	}{
		{func() (bool, error) { return s.Acquire(ctx, name, "a", ttl) }, true, "a takes the free lease"},
		{func() (bool, error) { return s.Acquire(ctx, name, "b", ttl) }, false, "b is refused while a holds it"},
		{func() (bool, error) { clk.Advance(20 * time.Second); return s.Acquire(ctx, name, "a", ttl) }, true, "a renews"},
		{func() (bool, error) { clk.Advance(20 * time.Second); return s.Acquire(ctx, name, "b", ttl) }, false, "the renewal extended the lease past the first ttl"},
		{func() (bool, error) { clk.Advance(11 * time.Second); return s.Acquire(ctx, name, "b", ttl) }, true, "b takes the expired lease"},
		{func() (bool, error) { return s.Acquire(ctx, name, "a", ttl) }, false, "a cannot renew a lease it lost"},
		{func() (bool, error) { return false, s.Release(ctx, name, "a") }, false, "a's release of b's lease does nothing"},
		{func() (bool, error) { return s.Acquire(ctx, name, "a", ttl) }, false, "so b still holds it"},
		{func() (bool, error) { return false, s.Release(ctx, name, "b") }, false, "b releases"},
		{func() (bool, error) { return s.Acquire(ctx, name, "a", ttl) }, true, "a takes the released lease at once"},
		{func() (bool, error) { return s.Acquire(ctx, "gateway:{dc:1}", "b", ttl) }, true, "another shard's lease is independent"},
	}
	for i, st := range steps {
		got, err := st.do()
		if err != nil {
			t.Fatalf("step %d (%s): %v", i, st.advice, err)
		}
		if got != st.want {
			t.Fatalf("step %d (%s): got %v, want %v", i, st.advice, got, st.want)
		}
	}
	if err := s.Release(ctx, "never-taken", "a"); err != nil {
		t.Errorf("releasing an unknown lease: %v", err)
	}
	if _, err := s.Acquire(ctx, "", "a", ttl); err == nil {
		t.Error("Acquire with an empty name succeeded")
	}
}
