package metrics

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/storetest"
)

// TestStoreContract: the decorated store still keeps every promise of
// bot.Store (the shared contract suite, on a real bbolt file).
func TestStoreContract(t *testing.T) {
	m := New()
	storetest.Run(t, func(t *testing.T) bot.Store {
		clk := newClock()
		s, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		wrapped := InstrumentStore(s, m)
		t.Cleanup(func() { wrapped.Close() })
		return storetest.WithOptions(wrapped, storetest.Options{Advance: clk.Advance})
	})
	for _, op := range storeOps {
		if n := histogramCount(t, m, "mlsd_store_operation_duration_seconds", map[string]string{"operation": op}); n == 0 {
			t.Errorf("no latency recorded for %s", op)
		}
	}
}

// TestStoreRecords checks each store call's bookkeeping on a real store.
func TestStoreRecords(t *testing.T) {
	ctx := context.Background()
	m := New()
	raw, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := InstrumentStore(raw, m)
	defer s.Close()

	for _, id := range []string{"discord:G1:i1", "discord:G1:i1", "discord:G1:i1", "slack:T1:e1", "nocolon"} {
		if _, err := s.FirstDelivery(ctx, id, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	u := bot.UserKey{Platform: bot.Console, Workspace: "local", UserID: "me"}
	sess := bot.Session{ID: "s1", Version: 1, User: u, Channel: "c", Status: bot.Active}
	if err := s.Save(ctx, bot.Change{Session: sess, MessageID: "m1", TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	// The same create again: the user already has a session.
	if err := s.Save(ctx, bot.Change{Session: sess, MessageID: "m1", TTL: time.Hour}); err == nil {
		t.Fatal("second create succeeded")
	}
	next := sess
	next.Version = 2
	if err := s.Save(ctx, bot.Change{Session: next, Expected: 1, MessageID: "m2", TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	// A replay of m2 on the next version is a duplicate.
	replay := next
	replay.Version = 3
	if err := s.Save(ctx, bot.Change{Session: replay, Expected: 2, MessageID: "m2", TTL: time.Hour}); err == nil {
		t.Fatal("replay accepted")
	}
	done := next
	done.Version, done.Status = 3, bot.Completed
	if err := s.Save(ctx, bot.Change{Session: done, Expected: 2, MessageID: "m3", TTL: time.Hour,
		Completion: &bot.Completion{SessionID: "s1", At: time.Now(), Week: "2026-W48", Month: "2026-11", Day: "2026-11-25"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ActiveSession(ctx, u); err == nil {
		t.Fatal("completed session still active")
	}
	other := bot.Session{ID: "s2", Version: 1, User: u, Channel: "c", Status: bot.Active}
	if err := s.Save(ctx, bot.Change{Session: other, TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	ended := other
	ended.Version, ended.Status = 2, bot.Abandoned
	if err := s.Save(ctx, bot.Change{Session: ended, Expected: 1, TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}

	checks := []struct {
		name string
		got  float64
		want float64
	}{
		{"discord duplicates", testutil.ToFloat64(m.duplicates.WithLabelValues("discord")), 2},
		{"slack duplicates", testutil.ToFloat64(m.duplicates.WithLabelValues("slack")), 0},
		{"console duplicates (the replayed Save)", testutil.ToFloat64(m.duplicates.WithLabelValues("console")), 1},
		{"started", testutil.ToFloat64(m.interviewsStarted.WithLabelValues("console")), 2},
		{"completed", testutil.ToFloat64(m.interviewsCompleted.WithLabelValues("console")), 1},
		{"abandoned", testutil.ToFloat64(m.interviewsAbandoned.WithLabelValues("console")), 1},
		{"no answers without a handler", testutil.ToFloat64(m.answersGraded.WithLabelValues("console")), 0},
		{"create conflict", testutil.ToFloat64(m.storeRejected.WithLabelValues(opSave, "conflict")), 1},
		{"replay", testutil.ToFloat64(m.storeRejected.WithLabelValues(opSave, "duplicate")), 1},
		{"not found", testutil.ToFloat64(m.storeRejected.WithLabelValues(opActiveSession, "not_found")), 1},
		{"no failures", float64(testutil.CollectAndCount(m.storeErrors)), 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if n := histogramCount(t, m, "mlsd_store_operation_duration_seconds", map[string]string{"operation": opSave}); n != 7 {
		t.Errorf("save latency observations = %d, want 7", n)
	}
}

// downStore is a store whose backend is unreachable, as bot/redis reports
// it: every call fails with bot.ErrUnavailable.
type downStore struct{ bot.Store }

func (downStore) FirstDelivery(context.Context, string, time.Duration) (bool, error) {
	return false, fmt.Errorf("redis: dial tcp 127.0.0.1:6379: connection refused: %w", bot.ErrUnavailable)
}

func (downStore) Save(context.Context, bot.Change) error {
	return fmt.Errorf("redis: i/o timeout: %w", bot.ErrUnavailable)
}

// TestStoreOutage: failures are errors, not duplicates or lifecycle events.
func TestStoreOutage(t *testing.T) {
	ctx := context.Background()
	m := New()
	s := InstrumentStore(downStore{}, m)
	if _, err := s.FirstDelivery(ctx, "slack:T1:e1", time.Hour); err == nil {
		t.Fatal("no error")
	}
	u := bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "u"}
	if err := s.Save(ctx, bot.Change{Session: bot.Session{ID: "s", Version: 1, User: u, Status: bot.Active}, TTL: time.Hour}); err == nil {
		t.Fatal("no error")
	}
	for _, op := range []string{opFirstDelivery, opSave} {
		if got := testutil.ToFloat64(m.storeErrors.WithLabelValues(op, "unavailable")); got != 1 {
			t.Errorf("%s unavailable = %v, want 1", op, got)
		}
	}
	if got := testutil.ToFloat64(m.duplicates.WithLabelValues("slack")) + testutil.ToFloat64(m.interviewsStarted.WithLabelValues("slack")); got != 0 {
		t.Fatalf("an outage counted as a duplicate or a start: %v", got)
	}
}

// pingStore adds a Ping to a store, as bot/redis has.
type pingStore struct {
	bot.Store
	err error
}

func (p pingStore) Ping(context.Context) error { return p.err }

// pingLeaseStore is a store with both optional methods (bot/redis).
type pingLeaseStore struct {
	*bolt.Store
	err error
}

func (p pingLeaseStore) Ping(context.Context) error { return p.err }

// TestStoreOptionalMethods: the decorator has Ping and Acquire/Release
// exactly when the wrapped store has them, so cmd/mlsd's type assertions
// (readiness ping, Discord lease) still find them, and it times them.
func TestStoreOptionalMethods(t *testing.T) {
	ctx := context.Background()
	raw, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	down := fmt.Errorf("redis: %w", bot.ErrUnavailable)
	tests := []struct {
		name              string
		store             bot.Store
		wantPing, wantLse bool
	}{
		{"bolt: lease only", raw, false, true},
		{"ping only", pingStore{Store: downStore{}, err: down}, true, false},
		{"ping and lease", pingLeaseStore{Store: raw, err: down}, true, true},
		{"neither", downStore{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			s := InstrumentStore(tt.store, m)
			p, pings := s.(pinger)
			l, leases := s.(leaser)
			if pings != tt.wantPing || leases != tt.wantLse {
				t.Fatalf("decorator: Ping %v, lease %v; want %v, %v", pings, leases, tt.wantPing, tt.wantLse)
			}
			if pings {
				if err := p.Ping(ctx); err != down {
					t.Fatalf("Ping = %v, want the store's error", err)
				}
				if got := testutil.ToFloat64(m.storeErrors.WithLabelValues(opPing, "unavailable")); got != 1 {
					t.Fatalf("ping errors = %v, want 1", got)
				}
			}
			if leases {
				for _, holder := range []string{"a", "b"} {
					ok, err := l.Acquire(ctx, "gateway:0", holder, time.Minute)
					if err != nil || ok != (holder == "a") {
						t.Fatalf("Acquire(%s) = %v, %v", holder, ok, err)
					}
				}
				if err := l.Release(ctx, "gateway:0", "a"); err != nil {
					t.Fatal(err)
				}
				if ok, err := l.Acquire(ctx, "gateway:0", "b", time.Minute); err != nil || !ok {
					t.Fatalf("Acquire after release = %v, %v", ok, err)
				}
				if n := histogramCount(t, m, "mlsd_store_operation_duration_seconds", map[string]string{"operation": opLeaseAcquire}); n != 3 {
					t.Fatalf("lease_acquire observations = %d, want 3", n)
				}
				l.Release(ctx, "gateway:0", "b")
			}
		})
	}
}
