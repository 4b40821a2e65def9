package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mlsdbot/mlsd/bot"
)

// DailyStore is a store with the daily challenge's port: RecordDailyAnswer
// credits Stats and Leaderboard, so the suite checks both ports together.
type DailyStore interface {
	bot.Store
	bot.DailyStore
}

// DailyOptions tell RunDaily what the store under test lets it control.
type DailyOptions struct {
	// Advance moves the store's clock and its TTLs forward by d (as
	// Options.Advance). Cases that need a TTL to pass are skipped without it.
	Advance func(d time.Duration)
	// AdvanceClock moves only the clock the store reads for claim leases
	// (its Now), for servers whose TTLs cannot be moved (a real Redis).
	// Advance is used when this is nil. Lease cases are skipped without
	// either.
	AdvanceClock func(d time.Duration)
}

// RunDaily runs the contract suite of bot.DailyStore. newStore is called
// once per subtest and returns a ready store, whose clean-up it registers
// with t.Cleanup, and what the suite may control. Every subtest works under
// its own workspaces and keys; the idle-check (nudge) cases read every due
// entry of the store, so each subtest needs a store of its own (a fresh
// file, or a fresh key prefix on a shared Redis).
func RunDaily(t *testing.T, newStore func(t *testing.T) (DailyStore, DailyOptions)) {
	t.Helper()
	groups := []struct {
		name  string
		cases []dailyCase
	}{
		{"Schedule", dailyScheduleCases},
		{"Post", dailyPostCases},
		{"Claim", claimCases},
		{"Answer", dailyAnswerCases},
		{"OptOut", optOutCases},
		{"Nudge", nudgeCases},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.cases {
				t.Run(tc.name, func(t *testing.T) {
					s, opts := newStore(t)
					if s == nil {
						t.Fatal("newStore returned nil")
					}
					f := &dailyFixture{fixture: &fixture{t: t, s: s, ns: namespace(t), advance: opts.Advance}, d: s, clock: opts.AdvanceClock}
					if f.clock == nil {
						f.clock = opts.Advance
					}
					switch {
					case tc.needs == needsTTL && f.advance == nil:
						t.Skip("store has no DailyOptions.Advance: cannot let a TTL pass without sleeping")
					case tc.needs == needsLease && f.clock == nil:
						t.Skip("store has no DailyOptions.AdvanceClock or Advance: cannot let a lease pass")
					}
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					f.ctx = ctx
					tc.run(f)
				})
			}
		})
	}
}

type needs int

const (
	needsNothing needs = iota
	needsTTL
	needsLease
)

type dailyCase struct {
	name  string
	needs needs
	run   func(f *dailyFixture)
}

type dailyFixture struct {
	*fixture
	d     bot.DailyStore
	clock func(time.Duration)
}

func (f *dailyFixture) channel(n int) bot.ChannelRef {
	ws := f.workspace(1)
	return bot.ChannelRef{Platform: ws.Platform, Workspace: ws.ID, Channel: fmt.Sprintf("C%d", n)}
}

func (f *dailyFixture) config(spec string) bot.DailyConfig {
	return bot.DailyConfig{Spec: spec, Zone: "Europe/Berlin", Enabled: true, RevealAt: "17:00", SetBy: "U-admin", Since: t0.Add(-time.Hour)}
}

func (f *dailyFixture) post(ch bot.ChannelRef, date, scenario string) bot.DailyPost {
	return bot.DailyPost{Channel: ch, Date: date, Zone: "Europe/Berlin", ScenarioID: scenario, Thread: f.id("th-" + date), PostedAt: t0}
}

func (f *dailyFixture) schedule(ch bot.ChannelRef) bot.DailySchedule {
	f.t.Helper()
	s, err := f.d.DailySchedule(f.ctx, ch)
	if err != nil {
		f.t.Fatalf("DailySchedule(%s) = %v", ch, err)
	}
	return s
}

func (f *dailyFixture) wantSchedule(ch bot.ChannelRef, want bot.DailySchedule) {
	f.t.Helper()
	if d := cmp.Diff(want, f.schedule(ch), cmpOpts); d != "" {
		f.t.Errorf("DailySchedule(%s) mismatch (-want +got):\n%s", ch, d)
	}
}

func (f *dailyFixture) record(p bot.DailyPost, used ...string) {
	f.t.Helper()
	if err := f.d.RecordDailyPost(f.ctx, p, used, ttl); err != nil {
		f.t.Fatalf("RecordDailyPost(%s %s) = %v", p.Channel, p.Date, err)
	}
}

func (f *dailyFixture) wantThread(ref bot.ThreadRef, want bot.DailyPost) {
	f.t.Helper()
	got, err := f.d.DailyThread(f.ctx, ref)
	if err != nil {
		f.t.Fatalf("DailyThread(%+v) = %v, want the post of %s", ref, err, want.Date)
	}
	if d := cmp.Diff(want, got, cmpOpts); d != "" {
		f.t.Errorf("DailyThread mismatch (-want +got):\n%s", d)
	}
}

func (f *dailyFixture) wantNoThread(ref bot.ThreadRef) {
	f.t.Helper()
	if got, err := f.d.DailyThread(f.ctx, ref); !errors.Is(err, bot.ErrNotFound) {
		f.t.Fatalf("DailyThread(%+v) = %+v, %v; want ErrNotFound", ref, got, err)
	}
}

// claimTTL outlasts every clock step of the claim cases.
const claimTTL = time.Hour

func (f *dailyFixture) claim(key string, lease time.Duration) bool {
	f.t.Helper()
	won, err := f.d.Claim(f.ctx, key, lease, claimTTL)
	if err != nil {
		f.t.Fatalf("Claim(%s) = %v", key, err)
	}
	return won
}

func (f *dailyFixture) finish(key string) {
	f.t.Helper()
	if err := f.d.Finish(f.ctx, key); err != nil {
		f.t.Fatalf("Finish(%s) = %v", key, err)
	}
}

func (f *dailyFixture) note(key, note string) {
	f.t.Helper()
	if err := f.d.NoteClaim(f.ctx, key, note); err != nil {
		f.t.Fatalf("NoteClaim(%s) = %v", key, err)
	}
}

func (f *dailyFixture) wantNote(key, want string) {
	f.t.Helper()
	got, err := f.d.ClaimNote(f.ctx, key)
	if err != nil {
		f.t.Fatalf("ClaimNote(%s) = %v", key, err)
	}
	if got != want {
		f.t.Errorf("ClaimNote(%s) = %q, want %q", key, got, want)
	}
}

// answer is a daily answer by u at at (Berlin dates).
func answer(u bot.UserKey, score int, points float64, at time.Time) bot.DailyAnswer {
	return bot.DailyAnswer{
		User: u, UserName: "name-" + u.UserID, Score: score, Points: points, At: at,
		Week: bot.ISOWeek(at), Month: at.Format("2006-01"), Day: at.Format(time.DateOnly),
	}
}

func (f *dailyFixture) answer(p bot.DailyPost, a bot.DailyAnswer) (bot.DailyAnswer, bool) {
	f.t.Helper()
	counted, first, err := f.d.RecordDailyAnswer(f.ctx, p, a, ttl)
	if err != nil {
		f.t.Fatalf("RecordDailyAnswer(%s, %s) = %v", p.Date, a.User.UserID, err)
	}
	return counted, first
}

var dailyScheduleCases = []dailyCase{
	{name: "UnknownChannel", run: func(f *dailyFixture) {
		if s, err := f.d.DailySchedule(f.ctx, f.channel(1)); !errors.Is(err, bot.ErrNotFound) {
			f.t.Fatalf("DailySchedule(unknown) = %+v, %v; want ErrNotFound", s, err)
		}
	}},
	{name: "SetConfigCreatesAndReplaces", run: func(f *dailyFixture) {
		ch := f.channel(1)
		cfg := f.config("0 9 * * 1-5")
		if err := f.d.SetDailyConfig(f.ctx, ch, cfg); err != nil {
			f.t.Fatalf("SetDailyConfig = %v", err)
		}
		f.wantSchedule(ch, bot.DailySchedule{Channel: ch, Config: cfg})
		cfg.Enabled, cfg.Spec, cfg.RevealAt = false, "30 7 * * *", ""
		if err := f.d.SetDailyConfig(f.ctx, ch, cfg); err != nil {
			f.t.Fatalf("SetDailyConfig(replace) = %v", err)
		}
		f.wantSchedule(ch, bot.DailySchedule{Channel: ch, Config: cfg})
	}},
	{name: "ConfigLeavesStateAlone", run: func(f *dailyFixture) {
		ch := f.channel(1)
		p := f.post(ch, "2026-03-09", "news-feed")
		f.record(p, "fraud", "news-feed")
		if err := f.d.RequestDailyNow(f.ctx, ch, t0); err != nil {
			f.t.Fatalf("RequestDailyNow = %v", err)
		}
		cfg := f.config("0 9 * * *")
		if err := f.d.SetDailyConfig(f.ctx, ch, cfg); err != nil {
			f.t.Fatalf("SetDailyConfig = %v", err)
		}
		f.wantSchedule(ch, bot.DailySchedule{Channel: ch, Config: cfg, Used: []string{"fraud", "news-feed"}, Last: &p, NowRequested: t0})
	}},
	{name: "NowRequest", run: func(f *dailyFixture) {
		ch, other := f.channel(1), f.channel(2)
		if err := f.d.ClearDailyNow(f.ctx, other); err != nil {
			f.t.Fatalf("ClearDailyNow(unknown) = %v", err)
		}
		if _, err := f.d.DailySchedule(f.ctx, other); !errors.Is(err, bot.ErrNotFound) {
			f.t.Fatalf("ClearDailyNow created a record: DailySchedule = %v", err)
		}
		if err := f.d.RequestDailyNow(f.ctx, ch, t0); err != nil {
			f.t.Fatalf("RequestDailyNow = %v", err)
		}
		f.wantSchedule(ch, bot.DailySchedule{Channel: ch, NowRequested: t0})
		if err := f.d.ClearDailyNow(f.ctx, ch); err != nil {
			f.t.Fatalf("ClearDailyNow = %v", err)
		}
		f.wantSchedule(ch, bot.DailySchedule{Channel: ch})
	}},
	{name: "ListsEveryChannel", run: func(f *dailyFixture) {
		var want []bot.ChannelRef
		for i := range 3 {
			ch := f.channel(i)
			want = append(want, ch)
			if err := f.d.SetDailyConfig(f.ctx, ch, f.config("0 9 * * *")); err != nil {
				f.t.Fatalf("SetDailyConfig = %v", err)
			}
		}
		now := f.channel(9)
		want = append(want, now)
		if err := f.d.RequestDailyNow(f.ctx, now, t0); err != nil {
			f.t.Fatalf("RequestDailyNow = %v", err)
		}
		posted := f.post(f.channel(8), "2026-03-09", "news-feed")
		want = append(want, posted.Channel)
		f.record(posted, "news-feed")
		all, err := f.d.DailySchedules(f.ctx)
		if err != nil {
			f.t.Fatalf("DailySchedules = %v", err)
		}
		var got []bot.ChannelRef
		for _, s := range all {
			if s.Channel.Workspace == f.workspace(1).ID {
				got = append(got, s.Channel)
			}
		}
		byName := func(a, b bot.ChannelRef) int { return cmpString(a.Channel, b.Channel) }
		slices.SortFunc(got, byName)
		slices.SortFunc(want, byName)
		if d := cmp.Diff(want, got); d != "" {
			f.t.Errorf("DailySchedules channels (-want +got):\n%s", d)
		}
	}},
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var dailyPostCases = []dailyCase{
	{name: "RecordSetsLastAndBindsThread", run: func(f *dailyFixture) {
		ch := f.channel(1)
		cfg := f.config("0 9 * * *")
		if err := f.d.SetDailyConfig(f.ctx, ch, cfg); err != nil {
			f.t.Fatalf("SetDailyConfig = %v", err)
		}
		p1 := f.post(ch, "2026-03-09", "fraud")
		f.record(p1, "fraud")
		p2 := f.post(ch, "2026-03-10", "news-feed")
		f.record(p2, "fraud", "news-feed")
		f.record(p2, "fraud", "news-feed") // a replay changes nothing
		f.wantSchedule(ch, bot.DailySchedule{Channel: ch, Config: cfg, Used: []string{"fraud", "news-feed"}, Last: &p2})
		f.wantThread(p1.Ref(), p1)
		f.wantThread(p2.Ref(), p2)
	}},
	{name: "RecordCreatesRecord", run: func(f *dailyFixture) {
		ch := f.channel(1)
		p := f.post(ch, "2026-03-09", "fraud")
		f.record(p, "fraud")
		f.wantSchedule(ch, bot.DailySchedule{Channel: ch, Used: []string{"fraud"}, Last: &p})
	}},
	{name: "ThreadNamedByAllFields", run: func(f *dailyFixture) {
		ch := f.channel(1)
		p := f.post(ch, "2026-03-09", "fraud")
		f.record(p, "fraud")
		ref := p.Ref()
		for _, other := range []bot.ThreadRef{
			{Platform: bot.Discord, Workspace: ref.Workspace, Channel: ref.Channel, Thread: ref.Thread},
			{Platform: ref.Platform, Workspace: f.workspace(2).ID, Channel: ref.Channel, Thread: ref.Thread},
			{Platform: ref.Platform, Workspace: ref.Workspace, Channel: "C-other", Thread: ref.Thread},
			{Platform: ref.Platform, Workspace: ref.Workspace, Channel: ref.Channel, Thread: ref.Thread + "x"},
		} {
			f.wantNoThread(other)
		}
	}},
	{name: "MarkRevealed", run: func(f *dailyFixture) {
		ch := f.channel(1)
		p1 := f.post(ch, "2026-03-09", "fraud")
		f.record(p1, "fraud")
		p2 := f.post(ch, "2026-03-10", "news-feed")
		f.record(p2, "fraud", "news-feed")
		if err := f.d.MarkDailyRevealed(f.ctx, p1); err != nil {
			f.t.Fatalf("MarkDailyRevealed(p1) = %v", err)
		}
		r1 := p1
		r1.Revealed = true
		f.wantThread(p1.Ref(), r1)
		f.wantThread(p2.Ref(), p2)
		// Recording the post again keeps its thread revealed.
		if err := f.d.RecordDailyPost(f.ctx, p1, []string{"fraud"}, ttl); err != nil {
			f.t.Fatalf("RecordDailyPost(p1 again) = %v", err)
		}
		f.wantThread(p1.Ref(), r1)
		f.record(p2, "fraud", "news-feed")
		f.wantSchedule(ch, bot.DailySchedule{Channel: ch, Used: []string{"fraud", "news-feed"}, Last: &p2, RevealedDate: p1.Date})
		if err := f.d.MarkDailyRevealed(f.ctx, p2); err != nil {
			f.t.Fatalf("MarkDailyRevealed(p2) = %v", err)
		}
		r2 := p2
		r2.Revealed = true
		f.wantSchedule(ch, bot.DailySchedule{Channel: ch, Used: []string{"fraud", "news-feed"}, Last: &r2, RevealedDate: p2.Date})
		// An older reveal never moves RevealedDate back.
		if err := f.d.MarkDailyRevealed(f.ctx, p1); err != nil {
			f.t.Fatalf("MarkDailyRevealed(p1 again) = %v", err)
		}
		f.wantSchedule(ch, bot.DailySchedule{Channel: ch, Used: []string{"fraud", "news-feed"}, Last: &r2, RevealedDate: p2.Date})
		f.wantThread(p2.Ref(), r2)
	}},
	{name: "ThreadExpires", needs: needsTTL, run: func(f *dailyFixture) {
		ch := f.channel(1)
		p := f.post(ch, "2026-03-09", "fraud")
		if err := f.d.RecordDailyPost(f.ctx, p, []string{"fraud"}, idle); err != nil {
			f.t.Fatalf("RecordDailyPost = %v", err)
		}
		f.advance(idle - time.Minute)
		f.wantThread(p.Ref(), p)
		if err := f.d.MarkDailyRevealed(f.ctx, p); err != nil { // keeps the ttl
			f.t.Fatalf("MarkDailyRevealed = %v", err)
		}
		f.advance(2 * time.Minute)
		f.wantNoThread(p.Ref())
		// The channel's record does not expire.
		if s := f.schedule(ch); s.Last == nil || s.Last.Date != p.Date {
			f.t.Fatalf("DailySchedule after the thread expired: Last = %+v", s.Last)
		}
	}},
}

var claimCases = []dailyCase{
	{name: "OnceUntilForgotten", run: func(f *dailyFixture) {
		key := f.id("post")
		if !f.claim(key, time.Minute) {
			f.t.Fatal("Claim(new key) = false, want true")
		}
		if f.claim(key, time.Minute) {
			f.t.Fatal("Claim(held key) = true, want false")
		}
		f.finish(key)
		if f.claim(key, time.Minute) {
			f.t.Fatal("Claim(finished key) = true, want false")
		}
		if !f.claim(f.id("other"), time.Minute) {
			f.t.Fatal("Claim(another key) = false, want true")
		}
	}},
	{name: "FinishUnknownIsNoop", run: func(f *dailyFixture) {
		key := f.id("never")
		f.finish(key)
		if !f.claim(key, time.Minute) {
			f.t.Fatal("Claim after Finish of an unknown key = false, want true")
		}
	}},
	{name: "LeaseTakeover", needs: needsLease, run: func(f *dailyFixture) {
		key := f.id("post")
		if !f.claim(key, 5*time.Minute) {
			f.t.Fatal("Claim = false, want true")
		}
		f.clock(4 * time.Minute)
		if f.claim(key, 5*time.Minute) {
			f.t.Fatal("Claim inside the lease = true, want false")
		}
		f.clock(2 * time.Minute)
		if !f.claim(key, 5*time.Minute) {
			f.t.Fatal("Claim after the lease of an unfinished claim = false, want true (its winner died)")
		}
		if f.claim(key, 5*time.Minute) {
			f.t.Fatal("Claim right after a takeover = true, want false")
		}
		f.finish(key)
		f.clock(10 * time.Minute)
		if f.claim(key, 5*time.Minute) {
			f.t.Fatal("Claim of a finished key after its lease = true, want false")
		}
	}},
	{name: "NoteSurvivesTakeover", needs: needsLease, run: func(f *dailyFixture) {
		key := f.id("post")
		if !f.claim(key, 5*time.Minute) {
			f.t.Fatal("Claim = false, want true")
		}
		f.wantNote(key, "")
		// A note may hold anything, separators and JSON included.
		const first, second = `{"at":"x","sent":["1700000000.000100"]}`, "c:123:done"
		f.note(key, first)
		f.wantNote(key, first)
		f.note(key, second)
		f.wantNote(key, second)
		f.clock(4 * time.Minute)
		if f.claim(key, 5*time.Minute) {
			f.t.Fatal("NoteClaim renewed the lease: Claim inside it = true, want false")
		}
		f.clock(2 * time.Minute)
		if !f.claim(key, 5*time.Minute) {
			f.t.Fatal("Claim after the lease of a noted claim = false, want true")
		}
		f.wantNote(key, second)
		if f.claim(key, 5*time.Minute) {
			f.t.Fatal("Claim right after a takeover of a noted claim = true, want false")
		}
		f.finish(key)
		f.wantNote(key, "")
		f.note(key, "late") // the last winner woke up: a no-op
		f.wantNote(key, "")
		if f.claim(key, 5*time.Minute) {
			f.t.Fatal("Claim of a finished key = true, want false")
		}
	}},
	{name: "NoteUnknownKey", run: func(f *dailyFixture) {
		key := f.id("never")
		if err := f.d.NoteClaim(f.ctx, key, "x"); !errors.Is(err, bot.ErrNotFound) {
			f.t.Fatalf("NoteClaim(unknown key) = %v, want ErrNotFound", err)
		}
		f.wantNote(key, "")
		if !f.claim(key, time.Minute) {
			f.t.Fatal("Claim after NoteClaim of an unknown key = false, want true")
		}
		f.wantNote(key, "")
	}},
	{name: "NoLeaseNoTakeover", needs: needsLease, run: func(f *dailyFixture) {
		key := f.id("post")
		if !f.claim(key, 0) {
			f.t.Fatal("Claim = false, want true")
		}
		f.clock(30 * time.Minute)
		if f.claim(key, 0) {
			f.t.Fatal("Claim with lease 0 after an hour = true, want false")
		}
	}},
	{name: "Forgotten", needs: needsTTL, run: func(f *dailyFixture) {
		key := f.id("post")
		if won, err := f.d.Claim(f.ctx, key, 0, idle); err != nil || !won {
			f.t.Fatalf("Claim = %v, %v", won, err)
		}
		f.finish(key)
		f.advance(idle - time.Minute)
		if won, _ := f.d.Claim(f.ctx, key, 0, idle); won {
			f.t.Fatal("Claim inside the ttl = true, want false")
		}
		f.advance(2 * time.Minute)
		if won, err := f.d.Claim(f.ctx, key, 0, idle); err != nil || !won {
			f.t.Fatalf("Claim after the ttl = %v, %v; want true", won, err)
		}
	}},
	{name: "ConcurrentClaimsOneWins", run: func(f *dailyFixture) {
		const n = 16
		for round := range 5 {
			key := f.id(fmt.Sprintf("race-%d", round))
			var wins sync.WaitGroup
			won := make([]bool, n)
			start := make(chan struct{})
			for i := range n {
				wins.Go(func() {
					<-start
					w, err := f.d.Claim(f.ctx, key, time.Minute, ttl)
					if err != nil {
						f.t.Errorf("Claim = %v", err)
					}
					won[i] = w
				})
			}
			close(start)
			wins.Wait()
			if got := countTrue(won); got != 1 {
				f.t.Fatalf("round %d: %d of %d concurrent claims won, want 1", round, got, n)
			}
		}
	}},
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

var dailyAnswerCases = []dailyCase{
	{name: "FirstAnswerCounts", run: func(f *dailyFixture) {
		ch := f.channel(1)
		p := f.post(ch, "2026-03-09", "fraud")
		u := f.user("U1")
		a := answer(u, 60, 15, t0)
		counted, first := f.answer(p, a)
		if !first || !cmp.Equal(counted, a) {
			f.t.Fatalf("first RecordDailyAnswer = %+v, %v; want the answer, true", counted, first)
		}
		b := answer(u, 90, 22.5, t0.Add(time.Minute))
		counted, first = f.answer(p, b)
		if first || !cmp.Equal(counted, a) {
			f.t.Fatalf("second RecordDailyAnswer = %+v, %v; want the first answer, false", counted, first)
		}
		st := f.stats(u)
		if st.Points != 15 || st.Sessions != 0 || st.Streak != 1 || st.LastDay != a.Day || st.BestScore != 0 || len(st.Recent) != 0 {
			f.t.Fatalf("Stats = %+v; want 15 points, streak 1 on %s, no sessions", st, a.Day)
		}
		// Another day's post is another first answer.
		p2 := f.post(ch, "2026-03-10", "news-feed")
		if _, first := f.answer(p2, answer(u, 70, 17.5, t0.Add(24*time.Hour))); !first {
			f.t.Fatal("answer to the next post: first = false, want true")
		}
		st = f.stats(u)
		if st.Points != 32.5 || st.Streak != 2 || st.BestStreak != 2 {
			f.t.Fatalf("Stats after the second day = %+v; want 32.5 points, streak 2", st)
		}
	}},
	{name: "AnswersPerPost", run: func(f *dailyFixture) {
		ch := f.channel(1)
		p := f.post(ch, "2026-03-09", "fraud")
		other := f.post(ch, "2026-03-10", "fraud")
		elsewhere := f.post(f.channel(2), "2026-03-09", "fraud")
		as := []bot.DailyAnswer{
			answer(f.user("U3"), 40, 10, t0.Add(3*time.Minute)),
			answer(f.user("U1"), 80, 20, t0.Add(2*time.Minute)),
			answer(f.user("U2"), 80, 20, t0.Add(time.Minute)),
			answer(f.user("U4"), 80, 20, t0.Add(time.Minute)),
		}
		for _, a := range as {
			f.answer(p, a)
		}
		f.answer(other, answer(f.user("U5"), 99, 1, t0))
		f.answer(elsewhere, answer(f.user("U6"), 99, 1, t0))
		got, err := f.d.DailyAnswers(f.ctx, p)
		if err != nil {
			f.t.Fatalf("DailyAnswers = %v", err)
		}
		want := []bot.DailyAnswer{as[2], as[3], as[1], as[0]}
		if d := cmp.Diff(want, got, cmpOpts); d != "" {
			f.t.Errorf("DailyAnswers (-want +got):\n%s", d)
		}
		if got, err := f.d.DailyAnswers(f.ctx, f.post(ch, "2026-03-11", "fraud")); err != nil || len(got) != 0 {
			f.t.Fatalf("DailyAnswers(no answers) = %v, %v", got, err)
		}
	}},
	{name: "StreakRules", run: func(f *dailyFixture) {
		ch := f.channel(1)
		u := f.user("U1")
		day := func(d int) time.Time { return t0.AddDate(0, 0, d) }
		steps := []struct {
			day          int
			streak, best int
		}{{0, 1, 1}, {1, 2, 2}, {2, 3, 3}, {2, 3, 3}, {5, 1, 3}, {6, 2, 3}}
		for i, st := range steps {
			// Each step answers a post of its own; a repeated day leaves the streak.
			p := f.post(ch, fmt.Sprintf("%s-%d", day(st.day).Format(time.DateOnly), i), "fraud")
			f.answer(p, answer(u, 50, 1, day(st.day)))
			if got := f.stats(u); got.Streak != st.streak || got.BestStreak != st.best {
				f.t.Fatalf("after an answer on day %d: streak %d best %d, want %d and %d", st.day, got.Streak, got.BestStreak, st.streak, st.best)
			}
		}
	}},
	{name: "CreditsLeaderboards", run: func(f *dailyFixture) {
		ch := f.channel(1)
		ws := f.workspace(1)
		u1, u2 := f.user("U1"), f.user("U2")
		f.play(u1, "s1", 80, 100, t0)
		f.answer(f.post(ch, "2026-03-09", "fraud"), answer(u1, 60, 15, t0.Add(time.Hour)))
		f.answer(f.post(ch, "2026-03-09", "fraud"), answer(u2, 100, 25, t0.Add(2*time.Hour)))
		for _, p := range []bot.Period{bot.AllTime, bot.WeekPeriod(bot.ISOWeek(t0)), bot.MonthPeriod(t0.Format("2006-01"))} {
			b := f.board(ws, p, 10, u2.UserID)
			want := []bot.Standing{
				{Rank: 1, UserID: "U1", UserName: "name-U1", Points: 115, Sessions: 1},
				{Rank: 2, UserID: "U2", UserName: "name-U2", Points: 25, Sessions: 0},
			}
			if d := cmp.Diff(want, b.Top, cmpOpts); d != "" {
				f.t.Errorf("Leaderboard(%s) (-want +got):\n%s", p, d)
			}
			if b.Viewer == nil || b.Viewer.Rank != 2 {
				f.t.Errorf("Leaderboard(%s).Viewer = %+v, want rank 2", p, b.Viewer)
			}
		}
		st := f.stats(u1)
		if st.Sessions != 1 || st.Points != 115 || st.BestScore != 80 {
			f.t.Fatalf("Stats(U1) = %+v; want 1 session, 115 points, best score 80", st)
		}
	}},
	{name: "ConcurrentAnswersCreditOnce", run: func(f *dailyFixture) {
		const n = 12
		p := f.post(f.channel(1), "2026-03-09", "fraud")
		u := f.user("U1")
		firsts := make([]bool, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				_, first, err := f.d.RecordDailyAnswer(f.ctx, p, answer(u, 40+i, 10, t0.Add(time.Duration(i)*time.Second)), ttl)
				if err != nil {
					f.t.Errorf("RecordDailyAnswer = %v", err)
				}
				firsts[i] = first
			})
		}
		close(start)
		wg.Wait()
		if got := countTrue(firsts); got != 1 {
			f.t.Fatalf("%d concurrent answers were first, want 1", got)
		}
		if st := f.stats(u); st.Points != 10 {
			f.t.Fatalf("Stats.Points = %v after %d concurrent answers, want 10", st.Points, n)
		}
		b := f.board(f.workspace(1), bot.AllTime, 10, "")
		if len(b.Top) != 1 || b.Top[0].Points != 10 {
			f.t.Fatalf("Leaderboard = %+v, want U1 with 10 points", b.Top)
		}
	}},
	{name: "AnswersExpire", needs: needsTTL, run: func(f *dailyFixture) {
		p := f.post(f.channel(1), "2026-03-09", "fraud")
		u := f.user("U1")
		if _, _, err := f.d.RecordDailyAnswer(f.ctx, p, answer(u, 50, 10, t0), idle); err != nil {
			f.t.Fatalf("RecordDailyAnswer = %v", err)
		}
		f.advance(idle + time.Minute)
		if got, err := f.d.DailyAnswers(f.ctx, p); err != nil || len(got) != 0 {
			f.t.Fatalf("DailyAnswers after the ttl = %+v, %v; want none", got, err)
		}
		if st := f.stats(u); st.Points != 10 {
			f.t.Fatalf("Stats.Points after the answers expired = %v, want 10 (credit stays)", st.Points)
		}
	}},
}

var optOutCases = []dailyCase{
	{name: "SetAndRead", run: func(f *dailyFixture) {
		ws := f.workspace(1)
		if err := f.d.SetDailyOptOut(f.ctx, f.user("U1"), true); err != nil {
			f.t.Fatalf("SetDailyOptOut = %v", err)
		}
		if err := f.d.SetDailyOptOut(f.ctx, f.userIn(f.workspace(2), "U2"), true); err != nil {
			f.t.Fatalf("SetDailyOptOut = %v", err)
		}
		got, err := f.d.DailyOptedOut(f.ctx, ws, []string{"U1", "U2", "U3"})
		if err != nil {
			f.t.Fatalf("DailyOptedOut = %v", err)
		}
		if d := cmp.Diff(map[string]bool{"U1": true}, got, cmpOpts); d != "" {
			f.t.Errorf("DailyOptedOut (-want +got):\n%s", d)
		}
		if err := f.d.SetDailyOptOut(f.ctx, f.user("U1"), false); err != nil {
			f.t.Fatalf("SetDailyOptOut(false) = %v", err)
		}
		if got, err := f.d.DailyOptedOut(f.ctx, ws, []string{"U1"}); err != nil || got["U1"] {
			f.t.Fatalf("DailyOptedOut after opting in = %v, %v", got, err)
		}
		if got, err := f.d.DailyOptedOut(f.ctx, ws, nil); err != nil || len(got) != 0 {
			f.t.Fatalf("DailyOptedOut(no users) = %v, %v", got, err)
		}
	}},
}

// nudgeBase is far from any real due time, so entries are due only when a
// case says so.
var nudgeBase = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

func (f *dailyFixture) due(now time.Time, limit int, lease time.Duration) []bot.NudgeRef {
	f.t.Helper()
	got, err := f.d.DueNudges(f.ctx, now, limit, lease)
	if err != nil {
		f.t.Fatalf("DueNudges = %v", err)
	}
	return got
}

func (f *dailyFixture) nudge(n bot.NudgeRef, due time.Time) {
	f.t.Helper()
	if err := f.d.ScheduleNudge(f.ctx, n, due); err != nil {
		f.t.Fatalf("ScheduleNudge = %v", err)
	}
}

var nudgeCases = []dailyCase{
	{name: "DueInOrderAndLeased", run: func(f *dailyFixture) {
		refs := make([]bot.NudgeRef, 4)
		for i := range refs {
			refs[i] = bot.NudgeRef{User: f.user(fmt.Sprintf("U%d", i)), SessionID: f.id(fmt.Sprintf("s%d", i))}
		}
		f.nudge(refs[2], nudgeBase.Add(2*time.Minute))
		f.nudge(refs[0], nudgeBase)
		f.nudge(refs[1], nudgeBase.Add(time.Minute))
		f.nudge(refs[3], nudgeBase.Add(time.Hour))
		now := nudgeBase.Add(5 * time.Minute)
		if got := f.due(now, 2, time.Minute); !cmp.Equal(got, refs[:2]) {
			f.t.Fatalf("DueNudges(limit 2) = %+v, want the two earliest %+v", got, refs[:2])
		}
		if got := f.due(now, 10, time.Minute); !cmp.Equal(got, refs[2:3]) {
			f.t.Fatalf("DueNudges(rest) = %+v, want %+v", got, refs[2:3])
		}
		if got := f.due(now, 10, time.Minute); len(got) != 0 {
			f.t.Fatalf("DueNudges inside the lease = %+v, want none", got)
		}
		if got := f.due(now.Add(time.Minute), 10, time.Minute); len(got) != 3 {
			f.t.Fatalf("DueNudges after the lease = %+v, want the three leased entries back", got)
		}
		if got := f.due(nudgeBase.Add(time.Hour), 10, time.Hour); !slices.Contains(got, refs[3]) {
			f.t.Fatalf("DueNudges at the last due time = %+v, want it to include %+v", got, refs[3])
		}
	}},
	{name: "OneEntryPerSession", run: func(f *dailyFixture) {
		n := bot.NudgeRef{User: f.user("U1"), SessionID: f.id("s1")}
		f.nudge(n, nudgeBase)
		f.nudge(n, nudgeBase.Add(time.Hour))
		if got := f.due(nudgeBase.Add(time.Minute), 10, time.Minute); len(got) != 0 {
			f.t.Fatalf("DueNudges before the new due time = %+v, want none", got)
		}
		if got := f.due(nudgeBase.Add(time.Hour), 10, time.Minute); !cmp.Equal(got, []bot.NudgeRef{n}) {
			f.t.Fatalf("DueNudges = %+v, want exactly %+v once", got, n)
		}
	}},
	{name: "Cancel", run: func(f *dailyFixture) {
		n := bot.NudgeRef{User: f.user("U1"), SessionID: f.id("s1")}
		keep := bot.NudgeRef{User: f.user("U1"), SessionID: f.id("s2")}
		f.nudge(n, nudgeBase)
		f.nudge(keep, nudgeBase)
		if err := f.d.CancelNudge(f.ctx, n); err != nil {
			f.t.Fatalf("CancelNudge = %v", err)
		}
		if err := f.d.CancelNudge(f.ctx, bot.NudgeRef{User: f.user("U9"), SessionID: "none"}); err != nil {
			f.t.Fatalf("CancelNudge(unknown) = %v", err)
		}
		if got := f.due(nudgeBase.Add(time.Hour), 10, time.Minute); !cmp.Equal(got, []bot.NudgeRef{keep}) {
			f.t.Fatalf("DueNudges after a cancel = %+v, want only %+v", got, keep)
		}
	}},
	{name: "IdsWithSeparators", run: func(f *dailyFixture) {
		n := bot.NudgeRef{User: bot.UserKey{Platform: bot.Slack, Workspace: f.ns + ":T{1}", UserID: "U:1%"}, SessionID: "s:{x}"}
		f.nudge(n, nudgeBase)
		if got := f.due(nudgeBase, 10, time.Minute); !cmp.Equal(got, []bot.NudgeRef{n}) {
			f.t.Fatalf("DueNudges = %+v, want %+v decoded exactly", got, n)
		}
	}},
	{name: "ConcurrentPollersShare", run: func(f *dailyFixture) {
		const entries, pollers = 40, 6
		for i := range entries {
			f.nudge(bot.NudgeRef{User: f.user(fmt.Sprintf("U%02d", i)), SessionID: f.id(fmt.Sprintf("s%02d", i))}, nudgeBase.Add(time.Duration(i)*time.Second))
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range pollers {
			wg.Go(func() {
				<-start
				for {
					got, err := f.d.DueNudges(f.ctx, nudgeBase.Add(time.Hour), 3, time.Hour)
					if err != nil {
						f.t.Errorf("DueNudges = %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, n := range got {
						seen[n.SessionID]++
					}
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if len(seen) != entries {
			f.t.Fatalf("pollers got %d distinct entries, want %d", len(seen), entries)
		}
		for id, n := range seen {
			if n != 1 {
				f.t.Errorf("entry %s handed out %d times within its lease, want once", id, n)
			}
		}
	}},
}
