package redis

import (
	"context"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/clocktest"
	"github.com/mlsdbot/mlsd/bot/storetest"
)

// TestDailyContract runs storetest.RunDaily against the real server in
// REDIS_URL (CI), else miniredis. On a real server TTLs cannot be moved, so
// the cases that wait for one are skipped there (the lease cases still run:
// leases are read on the store's injected clock); on miniredis everything
// runs.
func TestDailyContract(t *testing.T) {
	storetest.RunDaily(t, func(t *testing.T) (storetest.DailyStore, storetest.DailyOptions) {
		clk := clocktest.New(time.Now())
		s, mini := newTestStore(t, Options{Now: clk.Now})
		opts := storetest.DailyOptions{AdvanceClock: clk.Advance}
		if mini != nil {
			opts.Advance = func(d time.Duration) { clk.Advance(d); mini.FastForward(d) }
		}
		return s, opts
	})
}

// TestDailyContractWithClock runs the daily suite on miniredis as well, in
// CI too, so its expiry cases run against the real scripts.
func TestDailyContractWithClock(t *testing.T) {
	storetest.RunDaily(t, func(t *testing.T) (storetest.DailyStore, storetest.DailyOptions) {
		clk := clocktest.New(time.Now())
		url, mini := startMiniredis(t)
		s := openTestStore(t, url, Options{Now: clk.Now})
		return s, storetest.DailyOptions{
			AdvanceClock: clk.Advance,
			Advance:      func(d time.Duration) { clk.Advance(d); mini.FastForward(d) },
		}
	})
}

// TestDailyScriptKeysShareOneSlot: every daily script's KEYS hash to one
// Redis Cluster slot, whatever the ids contain (always on miniredis, which
// answers CLUSTER KEYSLOT).
func TestDailyScriptKeysShareOneSlot(t *testing.T) {
	ctx := context.Background()
	redisURL, _ := startMiniredis(t)
	s := openTestStore(t, redisURL, Options{})
	rec := &scriptRecorder{}
	s.rdb.AddHook(rec)
	for _, id := range []string{"U1", "we{ird}:id", "}{", "a:b"} {
		ch := bot.ChannelRef{Platform: bot.Discord, Workspace: "guild:{" + id + "}", Channel: "c{" + id + "}"}
		p := bot.DailyPost{Channel: ch, Date: "2026-03-09", Zone: "UTC", ScenarioID: "feed", Thread: "t:" + id, PostedAt: t0}
		if err := s.RecordDailyPost(ctx, p, []string{"feed"}, time.Hour); err != nil {
			t.Fatal(err)
		}
		u := bot.UserKey{Platform: bot.Discord, Workspace: ch.Workspace, UserID: id}
		a := bot.DailyAnswer{User: u, UserName: "Ada", Score: 50, Points: 12.5, At: t0, Week: bot.ISOWeek(t0), Month: "2026-11", Day: "2026-11-25"}
		if _, _, err := s.RecordDailyAnswer(ctx, p, a, time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkDailyRevealed(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Claim(ctx, bot.DailyPostKey(ch, p.Date), time.Minute, time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := s.ScheduleNudge(ctx, bot.NudgeRef{User: u, SessionID: "s{" + id + "}"}, t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DueNudges(ctx, t0, 10, time.Minute); err != nil {
		t.Fatal(err)
	}
	// credit, publish, reveal and claim per id, one due poll.
	if len(rec.scripts) < 4*4+1 {
		t.Fatalf("recorded %d script calls, want at least %d", len(rec.scripts), 4*4+1)
	}
	for _, keys := range rec.scripts {
		var first int64 = -1
		for _, k := range keys {
			slot, err := s.rdb.ClusterKeySlot(ctx, k).Result()
			if err != nil {
				t.Fatalf("CLUSTER KEYSLOT %s: %v", k, err)
			}
			if first == -1 {
				first = slot
			} else if slot != first {
				t.Errorf("script keys span slots: %q is in %d, %q in %d", keys[0], first, k, slot)
			}
		}
	}
}

// TestDailyScheduleIdsRoundTrip: channel ids with separators come back
// from the index exactly.
func TestDailyScheduleIdsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t, Options{})
	want := bot.ChannelRef{Platform: bot.Slack, Workspace: "T:{1}%3A", Channel: "C:%7B}"}
	if err := s.SetDailyConfig(ctx, want, bot.DailyConfig{Spec: "0 9 * * *", Zone: "UTC", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	all, err := s.DailySchedules(ctx)
	if err != nil || len(all) != 1 || all[0].Channel != want {
		t.Fatalf("DailySchedules = %+v, %v; want one record for %+v", all, err, want)
	}
}

// TestDailyTTLs checks on any server (a real one included, where the
// contract's expiry cases are skipped) that every expiring daily key has
// its TTL, and that the writes after the first keep it.
func TestDailyTTLs(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t, Options{})
	ch := bot.ChannelRef{Platform: bot.Slack, Workspace: "T1", Channel: "C1"}
	p := bot.DailyPost{Channel: ch, Date: "2026-03-09", Zone: "UTC", ScenarioID: "feed", Thread: "th1", PostedAt: t0}
	u := testUser("U1")
	a := bot.DailyAnswer{User: u, UserName: "Ada", Score: 50, Points: 12.5, At: t0, Week: bot.ISOWeek(t0), Month: "2026-11", Day: "2026-11-25"}
	const keep = time.Hour
	if err := s.RecordDailyPost(ctx, p, []string{"feed"}, keep); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.RecordDailyAnswer(ctx, p, a, keep); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Claim(ctx, "k", time.Minute, keep); err != nil {
		t.Fatal(err)
	}
	// Writes that must keep the TTL they find.
	if err := s.MarkDailyRevealed(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.RecordDailyAnswer(ctx, p, a, time.Minute); err != nil { // a repeat: shorter ttl must not shorten
		t.Fatal(err)
	}
	for _, key := range []string{s.keys.dailyThread(p.Ref()), s.keys.dailyAnswers(p), s.keys.dailyCredit(u, p), s.keys.claim("k")} {
		ttl, err := s.rdb.PTTL(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl <= keep-time.Minute || ttl > keep {
			t.Errorf("PTTL(%s) = %v, want about %v", key, ttl, keep)
		}
	}
	for _, key := range []string{s.keys.dailyChannel(ch), s.keys.dailyIndex(), s.keys.stats(u)} {
		if ttl, err := s.rdb.PTTL(ctx, key).Result(); err != nil || ttl != -1 {
			t.Errorf("PTTL(%s) = %v, %v; want no expiry", key, ttl, err)
		}
	}
}

// TestJudgeLedgerContract runs the AI judge ledger's contract against the
// real server in REDIS_URL (CI; the expiry cases then skip), and on
// miniredis with its clock.
func TestJudgeLedgerContract(t *testing.T) {
	t.Run("server", func(t *testing.T) {
		storetest.RunJudgeLedger(t, func(t *testing.T) (bot.JudgeLedger, func(time.Duration)) {
			s, mini := newTestStore(t, Options{})
			if mini == nil {
				return s, nil
			}
			return s, mini.FastForward
		})
	})
	t.Run("miniredis", func(t *testing.T) {
		storetest.RunJudgeLedger(t, func(t *testing.T) (bot.JudgeLedger, func(time.Duration)) {
			url, mini := startMiniredis(t)
			return openTestStore(t, url, Options{}), mini.FastForward
		})
	})
}
