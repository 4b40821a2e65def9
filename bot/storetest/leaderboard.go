package storetest

import (
	"fmt"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mlsdbot/mlsd/bot"
)

// result is one completion for a leaderboard case; completions are saved
// in the order listed, which is also the order of their times.
type result struct {
	user   string
	points float64
	at     time.Duration // after t0
}

func (f *fixture) playAll(ws bot.Workspace, results []result) {
	f.t.Helper()
	for i, r := range results {
		f.play(f.userIn(ws, r.user), fmt.Sprintf("%s-%d", r.user, i), int(r.points)%101, r.points, t0.Add(r.at))
	}
}

// standing is the expected row of a user named by play ("name-"+id).
func standing(rank int, user string, points float64, sessions int) bot.Standing {
	return bot.Standing{Rank: rank, UserID: user, UserName: "name-" + user, Points: points, Sessions: sessions}
}

func (f *fixture) wantBoard(ws bot.Workspace, p bot.Period, limit int, viewer string, want bot.Board) {
	f.t.Helper()
	got := f.board(ws, p, limit, viewer)
	if d := cmp.Diff(want, got, cmpOpts); d != "" {
		f.t.Errorf("Leaderboard(%s, limit %d, viewer %q) mismatch (-want +got):\n%s", p, limit, viewer, d)
	}
}

func ptr(s bot.Standing) *bot.Standing { return &s }

var leaderboardCases = []testCase{
	// Week and month boards go after their retention (bot.PeriodExpiry),
	// the all-time board never; every store applies the same rule. The
	// steps hold whatever the store's clock is, within a month of t0.
	{name: "PeriodBoardsExpire", needsClock: true, run: func(f *fixture) {
		ws := f.workspace(1)
		f.playAll(ws, []result{{"A", 50, 0}})
		week, month := bot.WeekPeriod(bot.ISOWeek(t0)), bot.MonthPeriod(t0.Format("2006-01"))
		row := bot.Board{Top: []bot.Standing{standing(1, "A", 50, 1)}}
		with := func(p bot.Period) bot.Board { b := row; b.Period = p; return b }
		f.advance(30 * 24 * time.Hour) // inside both retentions
		f.wantBoard(ws, week, 10, "", with(week))
		f.wantBoard(ws, month, 10, "", with(month))
		f.advance(100 * 24 * time.Hour) // past the week's
		f.wantBoard(ws, week, 10, "", bot.Board{Period: week})
		f.wantBoard(ws, month, 10, "", with(month))
		f.advance(400 * 24 * time.Hour) // past the month's
		f.wantBoard(ws, month, 10, "", bot.Board{Period: month})
		f.wantBoard(ws, bot.AllTime, 10, "", with(bot.AllTime))
	}},
	{name: "Empty", run: func(f *fixture) {
		ws := f.workspace(1)
		for _, p := range []bot.Period{bot.AllTime, bot.WeekPeriod(bot.ISOWeek(t0)), bot.MonthPeriod(t0.Format("2006-01"))} {
			f.wantBoard(ws, p, 10, "U1", bot.Board{Period: p})
		}
	}},
	{name: "OrderedByPoints", run: func(f *fixture) {
		ws := f.workspace(1)
		f.playAll(ws, []result{{"A", 50, 0}, {"B", 120.5, time.Hour}, {"C", 80, 2 * time.Hour}, {"A", 20, 3 * time.Hour}})
		f.wantBoard(ws, bot.AllTime, 10, "", bot.Board{Period: bot.AllTime, Top: []bot.Standing{
			standing(1, "B", 120.5, 1), standing(2, "C", 80, 1), standing(3, "A", 70, 2),
		}})
	}},
	{name: "TieGoesToFirst", run: func(f *fixture) {
		ws := f.workspace(1)
		// Names sort against the rule in both directions, so neither
		// lexicographic order passes by accident.
		f.playAll(ws, []result{{"M", 100, 0}, {"Z", 100, time.Hour}, {"A", 100, 2 * time.Hour}})
		f.wantBoard(ws, bot.AllTime, 10, "", bot.Board{Period: bot.AllTime, Top: []bot.Standing{
			standing(1, "M", 100, 1), standing(2, "Z", 100, 1), standing(3, "A", 100, 1),
		}})
	}},
	{name: "TieDecidedByLastGain", run: func(f *fixture) {
		ws := f.workspace(1)
		// A had 60 first, but reached 100 only after B did.
		f.playAll(ws, []result{{"A", 60, 0}, {"B", 100, time.Hour}, {"A", 40, 2 * time.Hour}, {"C", 100, 3 * time.Hour}})
		f.wantBoard(ws, bot.AllTime, 10, "", bot.Board{Period: bot.AllTime, Top: []bot.Standing{
			standing(1, "B", 100, 1), standing(2, "A", 100, 2), standing(3, "C", 100, 1),
		}})
	}},
	{name: "LimitAndViewerOutsideTop", run: func(f *fixture) {
		ws := f.workspace(1)
		f.playAll(ws, []result{{"U1", 10, 0}, {"U2", 20, time.Hour}, {"U3", 30, 2 * time.Hour}, {"U4", 40, 3 * time.Hour}, {"U5", 50, 4 * time.Hour}})
		f.wantBoard(ws, bot.AllTime, 2, "U2", bot.Board{Period: bot.AllTime,
			Top:    []bot.Standing{standing(1, "U5", 50, 1), standing(2, "U4", 40, 1)},
			Viewer: ptr(standing(4, "U2", 20, 1)),
		})
	}},
	{name: "ViewerInsideTop", run: func(f *fixture) {
		ws := f.workspace(1)
		f.playAll(ws, []result{{"U1", 10, 0}, {"U2", 20, time.Hour}, {"U3", 30, 2 * time.Hour}})
		f.wantBoard(ws, bot.AllTime, 2, "U3", bot.Board{Period: bot.AllTime,
			Top:    []bot.Standing{standing(1, "U3", 30, 1), standing(2, "U2", 20, 1)},
			Viewer: ptr(standing(1, "U3", 30, 1)),
		})
	}},
	{name: "ViewerAbsent", run: func(f *fixture) {
		ws := f.workspace(1)
		f.playAll(ws, []result{{"U1", 10, 0}})
		for _, viewer := range []string{"nobody", ""} {
			f.wantBoard(ws, bot.AllTime, 5, viewer, bot.Board{Period: bot.AllTime, Top: []bot.Standing{standing(1, "U1", 10, 1)}})
		}
		// A user with points in another workspace only is absent here.
		f.playAll(f.workspace(2), []result{{"U9", 99, time.Hour}})
		f.wantBoard(ws, bot.AllTime, 5, "U9", bot.Board{Period: bot.AllTime, Top: []bot.Standing{standing(1, "U1", 10, 1)}})
	}},
	{name: "Periods", run: func(f *fixture) {
		ws := f.workspace(1)
		// t0 is the 25th: a week later is the next week and the next month.
		week := 7 * 24 * time.Hour
		f.playAll(ws, []result{{"A", 50, 0}, {"B", 10, time.Hour}, {"A", 30, week}, {"B", 40, week + time.Hour}})
		w1, w2 := bot.WeekPeriod(bot.ISOWeek(t0)), bot.WeekPeriod(bot.ISOWeek(t0.Add(week)))
		m1, m2 := bot.MonthPeriod(t0.Format("2006-01")), bot.MonthPeriod(t0.Add(week).Format("2006-01"))
		if w1 == w2 || m1 == m2 {
			f.t.Fatal("suite bug: period arithmetic")
		}
		for _, c := range []struct {
			p    bot.Period
			want []bot.Standing
		}{
			{w1, []bot.Standing{standing(1, "A", 50, 1), standing(2, "B", 10, 1)}},
			{w2, []bot.Standing{standing(1, "B", 40, 1), standing(2, "A", 30, 1)}},
			{m1, []bot.Standing{standing(1, "A", 50, 1), standing(2, "B", 10, 1)}},
			{m2, []bot.Standing{standing(1, "B", 40, 1), standing(2, "A", 30, 1)}},
			{bot.AllTime, []bot.Standing{standing(1, "A", 80, 2), standing(2, "B", 50, 2)}},
			{bot.WeekPeriod(bot.ISOWeek(t0.Add(-week))), nil},
		} {
			f.wantBoard(ws, c.p, 10, "B", bot.Board{Period: c.p, Top: c.want, Viewer: viewerIn(c.want, "B")})
		}
	}},
	{name: "WorkspacesIsolated", run: func(f *fixture) {
		ws1, ws2 := f.workspace(1), f.workspace(2)
		dc := bot.Workspace{Platform: bot.Discord, ID: ws1.ID}
		f.playAll(ws1, []result{{"U1", 10, 0}})
		f.playAll(ws2, []result{{"U1", 20, time.Hour}, {"U2", 30, 2 * time.Hour}})
		f.playAll(dc, []result{{"U3", 40, 3 * time.Hour}})
		f.wantBoard(ws1, bot.AllTime, 10, "U1", bot.Board{Period: bot.AllTime, Top: []bot.Standing{standing(1, "U1", 10, 1)}, Viewer: ptr(standing(1, "U1", 10, 1))})
		f.wantBoard(ws2, bot.AllTime, 10, "U1", bot.Board{Period: bot.AllTime,
			Top: []bot.Standing{standing(1, "U2", 30, 1), standing(2, "U1", 20, 1)}, Viewer: ptr(standing(2, "U1", 20, 1))})
		f.wantBoard(dc, bot.AllTime, 10, "", bot.Board{Period: bot.AllTime, Top: []bot.Standing{standing(1, "U3", 40, 1)}})
	}},
	{name: "LatestUserName", run: func(f *fixture) {
		ws := f.workspace(1)
		u := f.userIn(ws, "U1")
		for i, name := range []string{"Old Name", "New Name"} {
			s := f.session(u, fmt.Sprintf("s%d", i))
			s.UserName = name
			f.create(s)
			f.finish(s, bot.Completed, completion(s, 10, 10, t0.Add(time.Duration(i)*time.Hour)))
		}
		want := bot.Standing{Rank: 1, UserID: "U1", UserName: "New Name", Points: 20, Sessions: 2}
		f.wantBoard(ws, bot.AllTime, 10, "U1", bot.Board{Period: bot.AllTime, Top: []bot.Standing{want}, Viewer: &want})
	}},
}

func viewerIn(rows []bot.Standing, user string) *bot.Standing {
	for _, r := range rows {
		if r.UserID == user {
			return &r
		}
	}
	return nil
}
