package storetest

import (
	"errors"
	"time"

	"github.com/mlsdbot/mlsd/bot"
)

// idle is the TTL of the expiry cases; they step the clock around it,
// never onto it.
const idle = time.Hour

func (f *fixture) wantGone(u bot.UserKey, s bot.Session) {
	f.t.Helper()
	f.wantNoActive(u)
	if _, err := f.s.Session(f.ctx, u, s.ID); !errors.Is(err, bot.ErrNotFound) {
		f.t.Fatalf("Session(expired) = %v, want ErrNotFound", err)
	}
	if s.Thread != "" {
		f.wantNoThread(refOf(s))
	}
}

var expiryCases = []testCase{
	{name: "SessionKeysExpireTogether", needsClock: true, run: func(f *fixture) {
		u := f.user("U1")
		s := f.session(u, "s1")
		s.Thread = f.id("th1")
		if err := f.s.Save(f.ctx, bot.Change{Session: s, MessageID: f.id("m0"), TTL: idle}); err != nil {
			f.t.Fatalf("Save(create) = %v", err)
		}
		f.advance(idle - time.Minute)
		f.wantActive(u, s)
		f.wantThread(refOf(s), s)
		f.advance(2 * time.Minute)
		f.wantGone(u, s)
		err := f.s.Save(f.ctx, bot.Change{Session: next(s, "too late"), Expected: s.Version, MessageID: f.id("m1"), TTL: idle})
		wantErr(f.t, "Save(expired session)", err, bot.ErrNotActive)
		f.wantGone(u, s)
		// No dangling active pointer: the user can start again.
		again := f.session(u, "s2")
		if err := f.s.Save(f.ctx, bot.Change{Session: again, MessageID: f.id("m2"), TTL: idle}); err != nil {
			f.t.Fatalf("Save(create after expiry) = %v, want nil", err)
		}
		f.wantActive(u, again)
	}},
	{name: "EachSaveRestartsTTL", needsClock: true, run: func(f *fixture) {
		u := f.user("U1")
		s := f.session(u, "s1")
		s.Thread = f.id("th1")
		if err := f.s.Save(f.ctx, bot.Change{Session: s, MessageID: f.id("m0"), TTL: idle}); err != nil {
			f.t.Fatalf("Save(create) = %v", err)
		}
		for i, ttl := range []time.Duration{idle, 3 * idle} {
			f.advance(idle - 10*time.Minute)
			n := next(s, "keep going")
			if err := f.s.Save(f.ctx, bot.Change{Session: n, Expected: s.Version, MessageID: f.id("m" + string(rune('1'+i))), TTL: ttl}); err != nil {
				f.t.Fatalf("Save #%d = %v", i+1, err)
			}
			s = n
		}
		// Last change at +100m with a 3h TTL: alive until +280m.
		f.advance(3*idle - time.Minute)
		f.wantActive(u, s)
		f.wantSession(u, s)
		f.wantThread(refOf(s), s)
		f.advance(2 * time.Minute)
		f.wantGone(u, s)
	}},
	{name: "EndedSessionExpiresStatsStay", needsClock: true, run: func(f *fixture) {
		ws := f.workspace(1)
		u := f.userIn(ws, "U1")
		s := f.session(u, "s1")
		s.UserName = "name-U1"
		if err := f.s.Save(f.ctx, bot.Change{Session: s, MessageID: f.id("m0"), TTL: idle}); err != nil {
			f.t.Fatalf("Save(create) = %v", err)
		}
		done := next(s, "done")
		done.Status = bot.Completed
		c := completion(s, 75, 112.5, t0)
		if err := f.s.Save(f.ctx, bot.Change{Session: done, Expected: s.Version, MessageID: f.id("m1"), Completion: c, TTL: idle}); err != nil {
			f.t.Fatalf("Save(complete) = %v", err)
		}
		f.advance(idle - time.Minute)
		f.wantSession(u, done)
		f.advance(2 * time.Minute)
		f.wantGone(u, done)
		want := addStats(bot.Stats{}, c)
		want.Streak, want.BestStreak, want.LastDay = 1, 1, c.Day
		f.wantStats(u, want)
		row := standing(1, "U1", 112.5, 1)
		f.wantBoard(ws, bot.AllTime, 10, "U1", bot.Board{Period: bot.AllTime, Top: []bot.Standing{row}, Viewer: &row})
	}},
	{name: "OtherSessionsUnaffected", needsClock: true, run: func(f *fixture) {
		old, fresh := f.user("U1"), f.user("U2")
		a := f.session(old, "a")
		if err := f.s.Save(f.ctx, bot.Change{Session: a, MessageID: f.id("ma"), TTL: idle}); err != nil {
			f.t.Fatalf("Save(create a) = %v", err)
		}
		f.advance(idle / 2)
		b := f.session(fresh, "b")
		if err := f.s.Save(f.ctx, bot.Change{Session: b, MessageID: f.id("mb"), TTL: idle}); err != nil {
			f.t.Fatalf("Save(create b) = %v", err)
		}
		f.advance(idle/2 + time.Minute)
		f.wantGone(old, a)
		f.wantActive(fresh, b)
	}},
}
