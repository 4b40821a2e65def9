package redis

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mlsdbot/mlsd/bot"
)

// complete creates and completes one session for u, finishing at at.
func complete(t *testing.T, s *Store, u bot.UserKey, sid string, points float64, at time.Time) bot.Change {
	t.Helper()
	ses := mustSave(t, s, bot.Change{Session: newSession(u, sid), TTL: time.Hour})
	done := withMsg(next(ses, func(x *bot.Session) { x.Status = bot.Completed }), "end-"+sid)
	done.Completion = &bot.Completion{SessionID: sid, ScenarioID: "feed", UserName: "name-" + u.UserID, Score: 70,
		Points: points, At: at, Week: bot.ISOWeek(at), Month: at.Format("2006-01"), Day: at.Format(time.DateOnly)}
	mustSave(t, s, done)
	return done
}

// TestBoardRepairedByReplay: if the leaderboard call after a completion
// fails, a replay of the completing message republishes the absolute
// totals; replays never count twice.
func TestBoardRepairedByReplay(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t, Options{})
	ws := bot.Workspace{Platform: bot.Slack, ID: "T1"}
	ada := testUser("U1")
	done := complete(t, s, ada, "S1", 90, t0)

	// Lose the board update: delete what publish.lua wrote.
	for _, p := range []bot.Period{bot.AllTime, bot.WeekPeriod(bot.ISOWeek(t0)), bot.MonthPeriod("2026-11")} {
		s.rdb.Del(ctx, s.keys.board(ws, p), s.keys.boardMeta(ws, p))
	}
	for range 3 {
		if err := s.Save(ctx, done); !isNotActive(err) {
			t.Fatalf("replayed completion = %v, want ErrNotActive", err)
		}
	}
	want := bot.Standing{Rank: 1, UserID: "U1", UserName: "name-U1", Points: 90, Sessions: 1}
	for _, p := range []bot.Period{bot.AllTime, bot.WeekPeriod(bot.ISOWeek(t0)), bot.MonthPeriod("2026-11")} {
		b, err := s.Leaderboard(ctx, ws, p, 10, "U1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(bot.Board{Period: p, Top: []bot.Standing{want}, Viewer: &want}, b); diff != "" {
			t.Errorf("%s after replays (-want +got):\n%s", p, diff)
		}
	}
	st, err := s.Stats(ctx, ada)
	if err != nil || st.Sessions != 1 || st.Points != 90 {
		t.Errorf("Stats = %+v, %v; want 1 session, 90 points", st, err)
	}
}

// TestBoardNeverMovesBackwards: publishing older totals (a slow replica
// finishing after a newer completion was published) changes nothing.
func TestBoardNeverMovesBackwards(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t, Options{})
	ws := bot.Workspace{Platform: bot.Slack, ID: "T1"}
	u := testUser("U1")
	first := complete(t, s, u, "S1", 40, t0)
	complete(t, s, u, "S2", 60, t0.Add(time.Hour))
	// Replay publish of the first completion's totals: 1 session, 40 points.
	comp, err := s.newCompletion(u, first.Completion)
	if err != nil {
		t.Fatal(err)
	}
	old := &saveTotals{}
	for i := range old.periods {
		old.periods[i] = periodTotal{points: "40", sessions: "1", atMs: t0.UnixMilli()}
	}
	s.publishTotals(ctx, u, comp, old)
	b, err := s.Leaderboard(ctx, ws, bot.AllTime, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Top) != 1 || b.Top[0].Points != 100 || b.Top[0].Sessions != 2 {
		t.Errorf("board after a stale publish = %+v, want 100 points from 2 sessions", b.Top)
	}
}

// TestBoardTiesToTheMillisecond: the member encodes when the total was
// reached, so ties resolve below the second and survive many users.
func TestBoardTiesToTheMillisecond(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t, Options{})
	ws := bot.Workspace{Platform: bot.Slack, ID: "T1"}
	// Ids in an order that neither lexical direction matches.
	order := []string{"M", "Z", "A", "Q", "B"}
	for i, id := range order {
		complete(t, s, testUser(id), "S-"+id, 55.25, t0.Add(time.Duration(i)*time.Millisecond))
	}
	b, err := s.Leaderboard(ctx, ws, bot.AllTime, 10, "B")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range b.Top {
		got = append(got, r.UserID)
	}
	if diff := cmp.Diff(order, got); diff != "" {
		t.Errorf("tie order (-want +got):\n%s", diff)
	}
	if b.Viewer == nil || b.Viewer.Rank != 5 {
		t.Errorf("Viewer = %+v, want rank 5", b.Viewer)
	}
	if _, err := s.Leaderboard(ctx, ws, "w:2026-48", 10, ""); err == nil {
		t.Error("Leaderboard with a malformed period = nil error")
	}
	if b, err := s.Leaderboard(ctx, ws, bot.AllTime, 0, "M"); err != nil || len(b.Top) != 0 || b.Viewer == nil || b.Viewer.Rank != 1 {
		t.Errorf("Leaderboard(limit 0) = %+v, %v; want no page and the viewer at rank 1", b, err)
	}
}

// TestStatsFloatsExact: totals are stored with 17 significant digits, so
// they equal Go's own sums bit for bit, even for non-binary fractions.
func TestStatsFloatsExact(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t, Options{})
	u := testUser("U1")
	var want float64
	for i, p := range []float64{0.1, 0.2, 87.35, 1.0 / 3} {
		complete(t, s, u, fmt.Sprintf("S%d", i), p, t0.Add(time.Duration(i)*time.Hour))
		want += p
	}
	st, err := s.Stats(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if st.Points != want {
		t.Errorf("Stats.Points = %v, want %v exactly", st.Points, want)
	}
	b, err := s.Leaderboard(ctx, bot.Workspace{Platform: bot.Slack, ID: "T1"}, bot.AllTime, 1, "")
	if err != nil || len(b.Top) != 1 || b.Top[0].Points != want {
		t.Errorf("board points = %+v, %v; want %v exactly", b.Top, err, want)
	}
}
