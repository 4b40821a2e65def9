package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/mlsdbot/mlsd/bot"

	"github.com/mlsdbot/mlsd/bot/clocktest"
)

func openTest(t *testing.T) (*Store, *clocktest.Clock) {
	t.Helper()
	clk := clocktest.New(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC))
	s, err := Open(filepath.Join(t.TempDir(), "mlsd.db"), Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, clk
}

// counts returns how many keys each bucket holds.
func counts(t *testing.T, s *Store) map[string]int {
	t.Helper()
	n := map[string]int{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		for _, name := range allBuckets {
			n[string(name)] = tx.Bucket(name).Stats().KeyN
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func wantCounts(t *testing.T, s *Store, want map[string]int) {
	t.Helper()
	got := counts(t, s)
	for name, w := range want {
		if got[name] != w {
			t.Errorf("bucket %s has %d keys, want %d (all: %v)", name, got[name], w, got)
		}
	}
}

// play creates a session with a thread for user, answers once and, when
// finish is set, completes it.
func play(t *testing.T, s *Store, user, thread string, finish bool) {
	t.Helper()
	ctx := context.Background()
	u := bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: user}
	cur := bot.Session{ID: "s-" + user, Version: 1, User: u, UserName: user, Channel: "C1", Thread: thread, Status: bot.Active, Step: bot.Clarify}
	if err := s.Save(ctx, bot.Change{Session: cur, MessageID: "start-" + user, TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	next := cur
	next.Version++
	var c *bot.Completion
	if finish {
		next.Status = bot.Completed
		c = &bot.Completion{SessionID: cur.ID, ScenarioID: "x", UserName: user, Score: 50, Points: 50, At: time.Now(), Week: "2026-W48", Month: "2026-11", Day: "2026-11-25"}
	}
	if err := s.Save(ctx, bot.Change{Session: next, Expected: 1, MessageID: "a-" + user, Completion: c, TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if first, err := s.FirstDelivery(ctx, "ev-"+user, time.Hour); !first || err != nil {
		t.Fatalf("FirstDelivery = %v, %v", first, err)
	}
}

func TestSweepDeletesEveryKeyOfExpiredSessions(t *testing.T) {
	s, clk := openTest(t)
	play(t, s, "ada", "th-ada", false)
	play(t, s, "bob", "th-bob", true)
	// expiry: two sessions, two dedupe marks, the week and month board rows.
	before := map[string]int{"sessions": 2, "active": 1, "threads": 2, "dedupe": 2, "expiry": 6, "stats": 1, "boards": 3}
	wantCounts(t, s, before)

	clk.Advance(59 * time.Minute)
	if n, err := s.Sweep(context.Background()); err != nil || n != 0 {
		t.Fatalf("Sweep before expiry = %d, %v; want 0", n, err)
	}
	wantCounts(t, s, before)

	clk.Advance(2 * time.Minute)
	if n, err := s.Sweep(context.Background()); err != nil || n != 4 {
		t.Fatalf("Sweep after expiry = %d, %v; want 4 index entries", n, err)
	}
	// Stats and leaderboards outlive sessions; nothing else remains but the
	// period rows' expiry entries.
	wantCounts(t, s, map[string]int{"sessions": 0, "active": 0, "threads": 0, "dedupe": 0, "expiry": 2, "stats": 1, "boards": 3})

	// The week's row goes after its retention, the month's after its own;
	// the all-time row stays.
	clk.Advance(bot.WeekRetention + 14*24*time.Hour)
	if _, err := s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, s, map[string]int{"expiry": 1, "boards": 2})
	clk.Advance(bot.MonthRetention)
	if _, err := s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, s, map[string]int{"expiry": 0, "boards": 1, "stats": 1})
}

func TestWritesSweepLazily(t *testing.T) {
	s, clk := openTest(t)
	play(t, s, "ada", "th-ada", false)
	clk.Advance(61 * time.Minute)
	// Any write clears what has expired, without a sweeper goroutine.
	if first, err := s.FirstDelivery(context.Background(), "ev-other", time.Hour); !first || err != nil {
		t.Fatalf("FirstDelivery = %v, %v", first, err)
	}
	wantCounts(t, s, map[string]int{"sessions": 0, "active": 0, "threads": 0, "dedupe": 1, "expiry": 1})
}

func TestLazySweepIsBounded(t *testing.T) {
	s, clk := openTest(t)
	ctx := context.Background()
	const marks = 2*sweepBatch + 10
	for i := range marks {
		if _, err := s.FirstDelivery(ctx, fmt.Sprintf("ev-%d", i), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(2 * time.Minute)
	for round, left := range []int{marks - sweepBatch, marks - 2*sweepBatch, 0} {
		// Each write sweeps one batch, then adds its own mark.
		if _, err := s.FirstDelivery(ctx, fmt.Sprintf("new-%d", round), time.Hour); err != nil {
			t.Fatal(err)
		}
		wantCounts(t, s, map[string]int{"dedupe": left + round + 1})
	}
}

func TestRefreshedSessionSurvivesItsOldExpiry(t *testing.T) {
	s, clk := openTest(t)
	ctx := context.Background()
	play(t, s, "ada", "th-ada", false) // expires at +60m
	clk.Advance(50 * time.Minute)
	u := bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "ada"}
	cur, err := s.ActiveSession(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	next := cur
	next.Version++
	if err := s.Save(ctx, bot.Change{Session: next, Expected: cur.Version, MessageID: "later", TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	// The refresh replaced the session's index entry rather than adding one.
	wantCounts(t, s, map[string]int{"sessions": 1, "expiry": 2})
	clk.Advance(20 * time.Minute) // +70m: past the first expiry, not the second
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, s, map[string]int{"sessions": 1, "active": 1, "threads": 1, "dedupe": 0})
	if _, err := s.Thread(ctx, bot.ThreadRef{Platform: bot.Slack, Workspace: "T1", Channel: "C1", Thread: "th-ada"}); err != nil {
		t.Fatalf("Thread after refresh = %v", err)
	}
}

// TestCommitsAreSynced guards the durability promise: bbolt fsyncs on
// commit unless NoSync is set, and nothing may set it.
func TestCommitsAreSynced(t *testing.T) {
	s, _ := openTest(t)
	if s.db.NoSync || s.db.NoGrowSync {
		t.Fatalf("NoSync=%v NoGrowSync=%v; acknowledged answers must reach the disk", s.db.NoSync, s.db.NoGrowSync)
	}
}
