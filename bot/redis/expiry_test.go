package redis

import (
	"context"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
)

// threadedSession is a store on a clock the test moves (now), and a new
// session of U1 bound to thread th1.
func threadedSession(t *testing.T) (s *Store, ses bot.Session, ref bot.ThreadRef, now *time.Time) {
	now = new(time.Time)
	*now = time.Now()
	s, _ = newTestStore(t, Options{Now: func() time.Time { return *now }})
	ses = newSession(testUser("U1"), "S1")
	ses.Thread = "th1"
	ref = bot.ThreadRef{Platform: ses.User.Platform, Workspace: ses.User.Workspace, Channel: ses.Channel, Thread: ses.Thread}
	return s, ses, ref, now
}

// TestExpiryTTLs reads the TTL of every key a session owns after each
// change. It checks "expire together" on a real server too, where the
// contract suite cannot let time pass.
func TestExpiryTTLs(t *testing.T) {
	ctx := context.Background()
	s, ses, ref, clock := threadedSession(t)
	now := *clock
	u := ses.User

	pttl := func(key string) time.Duration {
		t.Helper()
		d, err := s.rdb.PTTL(ctx, key).Result()
		if err != nil {
			t.Fatalf("PTTL %s: %v", key, err)
		}
		return d
	}
	// about says d is want give or take the test's own runtime.
	about := func(what string, d, want time.Duration) {
		t.Helper()
		if diff := d - want; diff > 5*time.Second || diff < -5*time.Second {
			t.Errorf("%s: TTL %v, want about %v", what, d, want)
		}
	}
	sessionKeys := func(active bool, want time.Duration) {
		t.Helper()
		if active {
			about("active", pttl(s.keys.active(u)), want)
		} else {
			if n, _ := s.rdb.Exists(ctx, s.keys.active(u)).Result(); n != 0 {
				t.Errorf("active pointer still exists after the session ended")
			}
			about("finished session", pttl(s.keys.session(u, "S1")), want)
		}
		about("seen", pttl(s.keys.seen(u, "S1")), want)
		about("binding", pttl(s.keys.binding(u, ref)), want)
		if idx := pttl(s.keys.threadIndex(ref)); idx < pttl(s.keys.binding(u, ref)) {
			t.Errorf("thread index TTL %v is shorter than the binding's", idx)
		}
	}

	ses = mustSave(t, s, withMsg(bot.Change{Session: ses, TTL: time.Hour}, "m0"))
	sessionKeys(true, time.Hour)
	ch := withMsg(next(ses, nil), "m1")
	ch.TTL = 3 * time.Hour
	ses = mustSave(t, s, ch)
	sessionKeys(true, 3*time.Hour)

	done := withMsg(next(ses, func(x *bot.Session) { x.Status = bot.Completed }), "m2")
	done.TTL = 2 * time.Hour
	done.Completion = &bot.Completion{SessionID: "S1", ScenarioID: "feed", UserName: "Ada", Score: 80, Points: 100,
		At: t0, Week: "2026-W48", Month: "2026-11", Day: "2026-11-25"}
	mustSave(t, s, done)
	sessionKeys(false, 2*time.Hour)

	// Stats stay; period totals and boards live until the period's end
	// plus retention (or the retention from now, if that is later).
	for _, k := range []string{s.keys.stats(u), s.keys.recent(u)} {
		if d := pttl(k); d != -1 {
			t.Errorf("%s has TTL %v, want none", k, d)
		}
	}
	ws := bot.Workspace{Platform: u.Platform, ID: u.Workspace}
	until := func(p bot.Period) time.Duration {
		at, _, err := bot.PeriodExpiry(p, now)
		if err != nil {
			t.Fatal(err)
		}
		return time.Until(at)
	}
	for _, c := range []struct {
		period bot.Period
		want   time.Duration // -1: never expires
	}{
		{bot.WeekPeriod("2026-W48"), until(bot.WeekPeriod("2026-W48"))},
		{bot.MonthPeriod("2026-11"), until(bot.MonthPeriod("2026-11"))},
		{bot.AllTime, -1},
	} {
		keys := []string{s.keys.board(ws, c.period), s.keys.boardMeta(ws, c.period)}
		if c.period != bot.AllTime {
			keys = append(keys, s.keys.userPeriod(u, c.period))
		}
		for _, k := range keys {
			d := pttl(k)
			if c.want == -1 {
				if d != -1 {
					t.Errorf("%s: TTL %v, want none", k, d)
				}
				continue
			}
			about(k, d, c.want)
		}
	}
}

// TestThreadIndexWrittenEveryHalfTTL: the thread index entry (SADD and two
// PEXPIREs) is not resent with every answer; a process writes it with a
// TTL of twice the session's, and again once half a TTL has passed on its
// clock, or when a save asks for a longer TTL, so it always outlives the
// binding that every save extends.
func TestThreadIndexWrittenEveryHalfTTL(t *testing.T) {
	ctx := context.Background()
	s, ses, ref, now := threadedSession(t)
	idx := s.keys.threadIndex(ref)
	pttl := func() time.Duration {
		t.Helper()
		d, err := s.rdb.PTTL(ctx, idx).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	const shortened = 10 * time.Minute // stands for time passing on the server
	steps := []struct {
		after   time.Duration // since the previous save
		ttl     time.Duration
		written bool
	}{
		{0, time.Hour, true},                 // the first save
		{10 * time.Minute, time.Hour, false}, // 10m since the write
		{15 * time.Minute, time.Hour, false}, // 25m
		{6 * time.Minute, time.Hour, true},   // 31m: half a TTL
		{time.Minute, 3 * time.Hour, true},   // a longer TTL
		{5 * time.Minute, time.Hour, false},  // 5m
	}
	for i, st := range steps {
		*now = now.Add(st.after)
		var ch bot.Change
		if i == 0 {
			ch = withMsg(bot.Change{Session: ses, TTL: st.ttl}, "m0")
		} else {
			ch = withMsg(next(ses, nil), "m"+string(rune('0'+i)))
			ch.TTL = st.ttl
		}
		ses = mustSave(t, s, ch)
		d := pttl()
		if st.written {
			if want := 2*st.ttl + time.Minute; d < want-5*time.Second {
				t.Errorf("save %d (+%v, TTL %v): index TTL %v, want it written (%v)", i, st.after, st.ttl, d, want)
			}
		} else if d > shortened {
			t.Errorf("save %d (+%v, TTL %v): index TTL %v, want it left alone", i, st.after, st.ttl, d)
		}
		if err := s.rdb.PExpire(ctx, idx, shortened).Err(); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Thread(ctx, ref); err != nil || got.SessionID != "S1" {
			t.Fatalf("save %d: Thread = %+v, %v", i, got, err)
		}
	}
}
