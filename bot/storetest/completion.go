package storetest

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mlsdbot/mlsd/bot"
)

// addStats applies c to st the way the contract says (bot.Completion).
func addStats(st bot.Stats, c *bot.Completion) bot.Stats {
	st.Sessions++
	st.Points += c.Points
	for i, v := range c.StepScores {
		st.StepTotals[i] += v
	}
	st.BestScore = max(st.BestScore, c.Score)
	st.LastScore = c.Score
	st.Recent = append([]string{c.ScenarioID}, st.Recent...)
	if len(st.Recent) > bot.RecentLimit {
		st.Recent = st.Recent[:bot.RecentLimit]
	}
	st.Scores = append([]bot.ScorePoint{{Day: c.Day, Score: c.Score, Steps: c.StepScores}}, st.Scores...)
	if len(st.Scores) > bot.ScoresLimit {
		st.Scores = st.Scores[:bot.ScoresLimit]
	}
	return st
}

func (f *fixture) wantStats(u bot.UserKey, want bot.Stats) {
	f.t.Helper()
	if d := cmp.Diff(want, f.stats(u), cmpOpts); d != "" {
		f.t.Errorf("Stats(%v) mismatch (-want +got):\n%s", u, d)
	}
}

// day returns 10:00 UTC on a "2006-01-02" date.
func day(d string) time.Time {
	t, err := time.Parse("2006-01-02", d)
	if err != nil {
		panic(err)
	}
	return t.Add(10 * time.Hour)
}

type streakCase struct {
	name             string
	days             []string
	streak, bestEver int
}

var streakCases = []streakCase{
	{"First", []string{"2026-11-25"}, 1, 1},
	{"SameDayNoChange", []string{"2026-11-25", "2026-11-25", "2026-11-25"}, 1, 1},
	{"NextDayAddsOne", []string{"2026-11-25", "2026-11-26", "2026-11-27"}, 3, 3},
	{"GapResets", []string{"2026-11-25", "2026-11-26", "2026-11-28"}, 1, 2},
	{"SameDayAfterRun", []string{"2026-11-25", "2026-11-26", "2026-11-26"}, 2, 2},
	{"AcrossMonth", []string{"2026-11-30", "2026-12-01"}, 2, 2},
	{"AcrossYear", []string{"2026-12-31", "2027-01-01"}, 2, 2},
	{"LeapDay", []string{"2028-02-28", "2028-02-29", "2028-03-01"}, 3, 3},
	{"NoLeapDay", []string{"2027-02-28", "2027-03-01"}, 2, 2},
	{"BestKeptAfterReset", []string{"2026-11-01", "2026-11-02", "2026-11-03", "2026-11-10", "2026-11-11"}, 2, 3},
	// The same moment read in another zone (a completion in the bot's zone
	// after a daily answer in the channel's): LastDay never moves back, so
	// the next day still extends the streak.
	{"EarlierDayChangesNothing", []string{"2026-11-25", "2026-11-26", "2026-11-25", "2026-11-27"}, 3, 3},
}

func completionCases() []testCase {
	cases := []testCase{
		{name: "RemovesActivePointer", run: func(f *fixture) {
			u := f.user("U1")
			s := f.create(f.session(u, "s1"))
			s = f.answer(s, "m1", "answer")
			done := f.finish(s, bot.Completed, completion(s, 64, 96, t0))
			f.wantNoActive(u)
			f.wantSession(u, done)
		}},
		{name: "StatsAfterOne", run: func(f *fixture) {
			u := f.user("U1")
			f.wantStats(u, bot.Stats{})
			s := f.create(f.session(u, "s1"))
			c := completion(s, 64, 96.5, t0)
			f.finish(s, bot.Completed, c)
			want := addStats(bot.Stats{}, c)
			want.Streak, want.BestStreak, want.LastDay = 1, 1, c.Day
			f.wantStats(u, want)
		}},
		{name: "StatsAccumulate", run: func(f *fixture) {
			u := f.user("U1")
			var want bot.Stats
			for i, sc := range []struct {
				score  int
				points float64
			}{{70, 105}, {90, 90}, {40, 60.5}} {
				s := f.session(u, fmt.Sprintf("s%d", i))
				s.ScenarioID = fmt.Sprintf("scenario-%d", i)
				f.create(s)
				c := completion(s, sc.score, sc.points, t0.Add(time.Duration(i)*time.Hour))
				f.finish(s, bot.Completed, c)
				want = addStats(want, c)
			}
			want.Streak, want.BestStreak, want.LastDay = 1, 1, t0.Format("2006-01-02")
			if want.BestScore != 90 || want.LastScore != 40 {
				f.t.Fatalf("suite bug: best %d last %d", want.BestScore, want.LastScore)
			}
			f.wantStats(u, want)
			f.wantStats(f.user("U2"), bot.Stats{})
			f.wantStats(f.userIn(f.workspace(2), "U1"), bot.Stats{})
		}},
		{name: "ReplayCountedOnce", run: func(f *fixture) {
			u := f.user("U1")
			ws := f.workspace(1)
			s := f.create(f.session(u, "s1"))
			c := completion(s, 64, 96, t0)
			done := next(s, "the end")
			done.Status = bot.Completed
			ch := bot.Change{Session: done, Expected: s.Version, MessageID: f.id("end"), Completion: c, TTL: ttl}
			if err := f.s.Save(f.ctx, ch); err != nil {
				f.t.Fatalf("Save(complete) = %v", err)
			}
			stats := f.stats(u)
			board := f.board(ws, bot.AllTime, 10, u.UserID)
			for i := range 3 {
				wantErr(f.t, fmt.Sprintf("replay #%d of the completing Save", i+1), f.s.Save(f.ctx, ch), bot.ErrNotActive)
			}
			// The same completion carried by a change with a fresh message id.
			other := ch
			other.MessageID = f.id("end-again")
			wantErr(f.t, "completing again", f.s.Save(f.ctx, other), bot.ErrNotActive)
			f.wantStats(u, stats)
			if d := cmp.Diff(board, f.board(ws, bot.AllTime, 10, u.UserID), cmpOpts); d != "" {
				f.t.Errorf("board changed by replays (-before +after):\n%s", d)
			}
			if stats.Sessions != 1 || board.Viewer == nil || board.Viewer.Points != 96 || board.Viewer.Sessions != 1 {
				f.t.Errorf("after one completion: stats %+v, viewer %+v", stats, board.Viewer)
			}
		}},
		{name: "AbandonLeavesStats", run: func(f *fixture) {
			u := f.user("U1")
			s := f.create(f.session(u, "s1"))
			f.finish(s, bot.Abandoned, nil)
			f.wantNoActive(u)
			f.wantStats(u, bot.Stats{})
			b := f.board(f.workspace(1), bot.AllTime, 10, u.UserID)
			if len(b.Top) != 0 || b.Viewer != nil {
				f.t.Fatalf("board after an abandoned session = %+v, want empty", b)
			}
		}},
		{name: "RecentNewestFirstBounded", run: func(f *fixture) {
			u := f.user("U1")
			var want bot.Stats
			for i := range max(bot.RecentLimit, bot.ScoresLimit) + 3 {
				s := f.session(u, fmt.Sprintf("s%d", i))
				s.ScenarioID = fmt.Sprintf("scenario-%02d", i)
				f.create(s)
				c := completion(s, i, float64(i), t0.Add(time.Duration(i)*time.Minute))
				f.finish(s, bot.Completed, c)
				want = addStats(want, c)
			}
			got := f.stats(u)
			if len(got.Recent) != bot.RecentLimit {
				f.t.Fatalf("len(Recent) = %d, want RecentLimit = %d", len(got.Recent), bot.RecentLimit)
			}
			newest := max(bot.RecentLimit, bot.ScoresLimit) + 2
			if got.Recent[0] != fmt.Sprintf("scenario-%02d", newest) {
				f.t.Fatalf("Recent[0] = %q, want the newest", got.Recent[0])
			}
			if len(got.Scores) != bot.ScoresLimit || got.Scores[0].Score != newest {
				f.t.Fatalf("Scores has %d points, the first scoring %d; want ScoresLimit = %d, the newest (%d) first",
					len(got.Scores), got.Scores[0].Score, bot.ScoresLimit, newest)
			}
			want.Streak, want.BestStreak, want.LastDay = 1, 1, t0.Format("2006-01-02")
			f.wantStats(u, want)
		}},
	}
	for _, sc := range streakCases {
		cases = append(cases, testCase{name: "Streak" + sc.name, run: func(f *fixture) {
			u := f.user("U1")
			for i, d := range sc.days {
				s := f.session(u, fmt.Sprintf("s%d", i))
				f.create(s)
				f.finish(s, bot.Completed, completion(s, 50, 50, day(d)))
			}
			got := f.stats(u)
			if last := slices.Max(sc.days); got.Streak != sc.streak || got.BestStreak != sc.bestEver || got.LastDay != last {
				f.t.Fatalf("after days %v: Streak %d, BestStreak %d, LastDay %q; want %d, %d, %q",
					sc.days, got.Streak, got.BestStreak, got.LastDay, sc.streak, sc.bestEver, last)
			}
		}})
	}
	return cases
}
