package storetest

import (
	"context"
	"errors"

	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
)

// ForgetStore is a store with every port Forget has to clear.
type ForgetStore interface {
	bot.Store
	bot.ProgressStore
	bot.DailyStore
}

// Scanner returns every place in the store's whole contents (a key, a
// field, a value) where needle occurs, described for an error message.
type Scanner func(t *testing.T, needle string) []string

// RunForget checks ProgressStore.Forget and SetAnonymous: a person with
// sessions (one active, one finished with a thread), a completion
// (stats, boards, coverage, history, team counts), a daily answer, a
// daily opt-out, an idle check and a hidden name is forgotten; afterwards
// scan finds their id nowhere, while it still finds a second person's
// (so the scan looks where the data is), the boards rank the others
// without them, and a second Forget deletes nothing.
func RunForget(t *testing.T, newStore func(t *testing.T) (ForgetStore, Scanner)) {
	t.Helper()
	s, scan := newStore(t)
	ctx := context.Background()
	f := &progressFixture{fixture: fixture{t: t, s: s, ctx: ctx, ns: namespace(t)}, p: s}
	ws := f.workspace(1)
	// Ids unlikely to occur in anything else the store writes.
	gone, kept := "Uforget9q7z", "Ukeep4x2w"
	fill := func(id string, points float64) bot.UserKey {
		u := f.userIn(ws, id)
		done := f.session(u, id+"-done")
		done.Thread = "th-" + id
		done.UserName = "Name of " + id
		f.create(done)
		c := withProgress(done, completion(done, 60, points, t0), mark("f:data:labels", bot.Data, bot.Missed), mark("r:leak", bot.Data, bot.Flagged))
		f.finish(done, bot.Completed, c)
		active := f.session(u, id+"-active")
		active.Thread = "th2-" + id
		// Saved replies a crash left pending quote the user's answer.
		f.reply(f.create(active), "unsent-"+id)
		post := bot.DailyPost{Channel: bot.ChannelRef{Platform: ws.Platform, Workspace: ws.ID, Channel: "C-daily"}, Date: t0.Format(time.DateOnly),
			Zone: "UTC", ScenarioID: "news-feed", Thread: "daily-th", PostedAt: t0}
		if err := s.RecordDailyPost(ctx, post, []string{"news-feed"}, time.Hour); err != nil {
			t.Fatal(err)
		}
		a := bot.DailyAnswer{User: u, UserName: "Name of " + id, Score: 70, Points: 5, At: t0, Week: bot.ISOWeek(t0), Month: t0.Format("2006-01"), Day: t0.Format(time.DateOnly)}
		if _, _, err := s.RecordDailyAnswer(ctx, post, a, time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := s.SetDailyOptOut(ctx, u, true); err != nil {
			t.Fatal(err)
		}
		if err := s.ScheduleNudge(ctx, bot.NudgeRef{User: u, SessionID: active.ID}, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAnonymous(ctx, u, true); err != nil {
			t.Fatal(err)
		}
		return u
	}
	u := fill(gone, 100)
	other := fill(kept, 50)
	if hits := scan(t, gone); len(hits) == 0 {
		t.Fatal("suite bug: the scan finds nothing before Forget")
	}
	before, err := s.Team(ctx, ws, bot.ISOWeek(t0), t0.Format("2006-01"), 5)
	if err != nil {
		t.Fatal(err)
	}

	n, err := s.Forget(ctx, u)
	if err != nil {
		t.Fatalf("Forget = %v", err)
	}
	for _, kind := range []string{bot.ForgotSessions, bot.ForgotHistory, bot.ForgotCoverage, bot.ForgotStats, bot.ForgotBoardRows, bot.ForgotDailyAnswers, bot.ForgotOther} {
		if n[kind] == 0 {
			t.Errorf("Forget reports no %s deleted: %v", kind, n)
		}
	}
	if n[bot.ForgotSessions] != 2 || n[bot.ForgotHistory] != 1 || n[bot.ForgotDailyAnswers] != 1 {
		t.Errorf("Forget = %v, want 2 sessions, 1 history entry, 1 daily answer", n)
	}
	for _, hit := range scan(t, gone) {
		t.Errorf("after Forget the store still holds %q: %s", gone, hit)
	}
	if len(scan(t, kept)) == 0 {
		t.Errorf("the scan finds nothing of %q, who was not forgotten: it does not look where the data is", kept)
	}

	// The store's ports agree.
	if ob, err := s.PendingOutbox(ctx, bot.OutboxRef{User: u, SessionID: f.id(gone + "-active"), MessageID: f.id("unsent-" + gone)}); err != nil || ob != nil {
		t.Errorf("PendingOutbox after Forget = %v, %v; want nothing", ob, err)
	}
	if _, err := s.ActiveSession(ctx, u); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("ActiveSession after Forget = %v, want ErrNotFound", err)
	}
	if _, err := s.Session(ctx, u, f.id(gone+"-done")); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Session after Forget = %v, want ErrNotFound", err)
	}
	if _, err := s.Thread(ctx, bot.ThreadRef{Platform: ws.Platform, Workspace: ws.ID, Channel: "C-" + f.ns, Thread: "th-" + gone}); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Thread after Forget = %v, want ErrNotFound", err)
	}
	if st := f.stats(u); st.Sessions != 0 || st.Points != 0 || st.BestStreak != 0 {
		t.Errorf("Stats after Forget = %+v, want zero", st)
	}
	if p := f.progress(u); len(p.Tracks)+len(p.History) != 0 {
		t.Errorf("Progress after Forget = %+v, want zero", p)
	}
	for _, period := range []bot.Period{bot.AllTime, bot.WeekPeriod(bot.ISOWeek(t0)), bot.MonthPeriod(t0.Format("2006-01"))} {
		b := f.board(ws, period, 10, gone)
		if b.Viewer != nil || len(b.Top) != 1 || b.Top[0].UserID != kept || b.Top[0].Rank != 1 {
			t.Errorf("board %s after Forget = %+v, want %s alone at rank 1", period, b, kept)
		}
	}
	if anon, err := s.Anonymous(ctx, ws, []string{gone, kept}); err != nil || anon[gone] || !anon[kept] {
		t.Errorf("Anonymous after Forget = %v, %v; want only %s", anon, err, kept)
	}
	if got := f.stats(other); got.Sessions != 1 {
		t.Errorf("the other person's stats = %+v, want kept", got)
	}
	// Team counts name nobody and stay.
	if after, err := s.Team(ctx, ws, bot.ISOWeek(t0), t0.Format("2006-01"), 5); err != nil || after.Sessions != before.Sessions {
		t.Errorf("Team after Forget = %+v, %v; want the counts kept (%d)", after, err, before.Sessions)
	}
	again, err := s.Forget(ctx, u)
	if err != nil {
		t.Fatalf("second Forget = %v", err)
	}
	for kind, c := range again {
		if c != 0 {
			t.Errorf("second Forget deleted %d %s", c, kind)
		}
	}
}
