package bolt_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/storetest"
)

// TestDailyContract runs the daily-challenge contract against a real file.
func TestDailyContract(t *testing.T) {
	storetest.RunDaily(t, func(t *testing.T) (storetest.DailyStore, storetest.DailyOptions) {
		clk := newClock()
		s := mustOpen(t, filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{Now: clk.Now})
		return s, storetest.DailyOptions{Advance: clk.Advance}
	})
}

// TestDailySurvivesReopen: schedules, claims and due times are on disk,
// so a restart neither forgets a channel nor posts a finished day again.
func TestDailySurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mlsd.db")
	clk := newClock()
	ch := bot.ChannelRef{Platform: bot.Slack, Workspace: "T1", Channel: "C1"}
	n := bot.NudgeRef{User: bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "U1"}, SessionID: "s1"}

	s, err := bolt.Open(path, bolt.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetDailyConfig(ctx, ch, bot.DailyConfig{Spec: "0 9 * * *", Zone: "UTC", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if won, err := s.Claim(ctx, "daily-post:x", time.Minute, time.Hour); err != nil || !won {
		t.Fatalf("Claim = %v, %v", won, err)
	}
	if err := s.Finish(ctx, "daily-post:x"); err != nil {
		t.Fatal(err)
	}
	if err := s.ScheduleNudge(ctx, n, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = mustOpen(t, path, bolt.Options{Now: clk.Now})
	if got, err := s.DailySchedule(ctx, ch); err != nil || !got.Config.Enabled {
		t.Fatalf("DailySchedule after reopening = %+v, %v", got, err)
	}
	if won, err := s.Claim(ctx, "daily-post:x", time.Minute, time.Hour); err != nil || won {
		t.Fatalf("Claim of a finished key after reopening = %v, %v; want false", won, err)
	}
	if got, err := s.DueNudges(ctx, clk.Now(), 10, time.Minute); err != nil || len(got) != 1 || got[0] != n {
		t.Fatalf("DueNudges after reopening = %+v, %v", got, err)
	}
}

// TestDailyReadsBeforeFirstWrite: a file from before the daily buckets
// existed reads as empty instead of failing.
func TestDailyReadsBeforeFirstWrite(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{})
	if all, err := s.DailySchedules(ctx); err != nil || len(all) != 0 {
		t.Fatalf("DailySchedules = %v, %v", all, err)
	}
	if _, err := s.DailyThread(ctx, bot.ThreadRef{Platform: bot.Slack, Workspace: "T", Channel: "C", Thread: "1"}); err == nil {
		t.Fatal("DailyThread on an empty file = nil error, want ErrNotFound")
	}
	if got, err := s.DailyOptedOut(ctx, bot.Workspace{Platform: bot.Slack, ID: "T"}, []string{"U"}); err != nil || len(got) != 0 {
		t.Fatalf("DailyOptedOut = %v, %v", got, err)
	}
}

// TestJudgeLedgerContract runs the AI judge ledger's contract on a real file.
func TestJudgeLedgerContract(t *testing.T) {
	storetest.RunJudgeLedger(t, func(t *testing.T) (bot.JudgeLedger, func(time.Duration)) {
		clk := newClock()
		return mustOpen(t, filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{Now: clk.Now}), clk.Advance
	})
}

// TestRateLimiterContract runs the rate limiter's contract on a real file.
func TestRateLimiterContract(t *testing.T) {
	storetest.RunRateLimiter(t, func(t *testing.T) bot.RateLimiter {
		return mustOpen(t, filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{})
	})
}
