package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mlsdbot/mlsd/bot"
)

// ProgressStore is a store with the coverage and history port: a
// completing Save records them, so the suite checks both ports together.
type ProgressStore interface {
	bot.Store
	bot.ProgressStore
}

// RunProgress runs the contract of bot.ProgressStore: Completion.Marks and
// Completion.History are recorded exactly once, by the Save that counts
// the completion. newStore is called once per subtest (see Run).
func RunProgress(t *testing.T, newStore func(t *testing.T) ProgressStore) {
	t.Helper()
	for _, tc := range slices.Concat(progressCases, teamCases, exportCases) {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			tc.run(&progressFixture{fixture: fixture{t: t, s: s, ctx: ctx, ns: namespace(t)}, p: s})
		})
	}
}

type progressFixture struct {
	fixture
	p bot.ProgressStore
}

func (f *progressFixture) progress(u bot.UserKey) bot.PersonProgress {
	f.t.Helper()
	p, err := f.p.Progress(f.ctx, u)
	if err != nil {
		f.t.Fatalf("Progress(%s) = %v", u, err)
	}
	slices.SortFunc(p.Tracks, func(a, b bot.ConceptTrack) int { return strings.Compare(a.Key, b.Key) })
	return p
}

// withProgress adds marks and a history entry to a completion.
func withProgress(s bot.Session, c *bot.Completion, marks ...bot.ConceptMark) *bot.Completion {
	c.Marks = marks
	c.History = &bot.HistoryEntry{
		SessionID: s.ID, Kind: bot.KindInterview, ScenarioID: s.ScenarioID, Title: "Title of " + s.ScenarioID + " “ü”",
		Mode: s.Mode, Score: c.Score, Band: bot.BandFor(c.Score), StepScores: c.StepScores, At: c.At.UTC(),
		Channel: "C1", Thread: "th-" + s.ID,
		Report: &bot.Report{SessionID: s.ID, ScenarioID: s.ScenarioID, Score: c.Score, Gaps: []string{"What about <drift>?"}},
	}
	return c
}

func mark(key string, step bot.StepID, o bot.Outcome) bot.ConceptMark {
	return bot.ConceptMark{Key: key, Label: "Label of " + key + " & co", Step: step, Weight: 1.5, Important: step == bot.Monitoring, Outcome: o}
}

var progressCases = []struct {
	name string
	run  func(f *progressFixture)
}{
	{"EmptyForNewUser", func(f *progressFixture) {
		p := f.progress(f.user("U1"))
		if len(p.Tracks) != 0 || len(p.History) != 0 {
			f.t.Errorf("Progress of a new user = %+v, want zero", p)
		}
	}},
	{"MarksFollowTrackRule", func(f *progressFixture) {
		u := f.user("U1")
		want := map[string]bot.ConceptTrack{}
		outcomes := []bot.Outcome{bot.Missed, bot.Earned, bot.Dismissed, bot.Missed}
		for i := range 13 { // more than CoverageWindow chances of one key
			s := f.session(u, fmt.Sprintf("s%d", i))
			f.create(s)
			marks := []bot.ConceptMark{
				mark("f:monitoring:feedback_loop", bot.Monitoring, outcomes[i%len(outcomes)]),
				mark(fmt.Sprintf("c:scen-%d:data:x", i%2), bot.Data, bot.Missed),
			}
			if i%5 == 0 {
				marks = append(marks, mark("r:random_split", bot.Evaluation, bot.Flagged))
			}
			c := withProgress(s, completion(s, 50, 50, t0.Add(time.Duration(i)*time.Minute)), marks...)
			f.finish(s, bot.Completed, c)
			for _, m := range marks {
				tr := want[m.Key]
				tr.Track(m)
				want[m.Key] = tr
			}
		}
		var wantTracks []bot.ConceptTrack
		for _, tr := range want {
			wantTracks = append(wantTracks, tr)
		}
		slices.SortFunc(wantTracks, func(a, b bot.ConceptTrack) int { return strings.Compare(a.Key, b.Key) })
		got := f.progress(u)
		if d := cmp.Diff(wantTracks, got.Tracks, cmpOpts); d != "" {
			f.t.Errorf("coverage (-want +got):\n%s", d)
		}
		if fb := want["f:monitoring:feedback_loop"]; len(fb.Recent) != bot.CoverageWindow || fb.Total != 13 {
			f.t.Errorf("suite bug: window not exercised: %+v", fb)
		}
		if len(got.History) != 13 || got.History[0].SessionID != f.id("s12") || got.History[12].SessionID != f.id("s0") {
			f.t.Errorf("history: %d entries, want 13 newest first", len(got.History))
		}
		if other := f.progress(f.user("U2")); len(other.Tracks)+len(other.History) != 0 {
			f.t.Errorf("another user's progress = %+v, want zero", other)
		}
	}},
	{"HistoryBoundedNewestFirstAndWhole", func(f *progressFixture) {
		u := f.user("U1")
		var entries []bot.HistoryEntry
		for i := range bot.HistoryLimit + 2 {
			s := f.session(u, fmt.Sprintf("s%d", i))
			f.create(s)
			c := withProgress(s, completion(s, 40+i, 40, t0.Add(time.Duration(i)*time.Minute)))
			f.finish(s, bot.Completed, c)
			entries = append([]bot.HistoryEntry{*c.History}, entries...)
		}
		got := f.progress(u)
		if d := cmp.Diff(entries[:bot.HistoryLimit], got.History, cmpOpts); d != "" {
			f.t.Errorf("history (-want +got):\n%s", d)
		}
	}},
	{"ReplayRecordsOnce", func(f *progressFixture) {
		u := f.user("U1")
		s := f.create(f.session(u, "s1"))
		c := withProgress(s, completion(s, 64, 96, t0), mark("f:data:labels", bot.Data, bot.Missed), mark("r:leak", bot.Data, bot.Flagged))
		done := next(s, "the end")
		done.Status = bot.Completed
		ch := bot.Change{Session: done, Expected: s.Version, MessageID: f.id("end"), Completion: c, TTL: ttl}
		if err := f.s.Save(f.ctx, ch); err != nil {
			f.t.Fatalf("Save(complete) = %v", err)
		}
		before := f.progress(u)
		for i := range 3 {
			wantErr(f.t, fmt.Sprintf("replay #%d", i+1), f.s.Save(f.ctx, ch), bot.ErrNotActive)
		}
		after := f.progress(u)
		if d := cmp.Diff(before, after, cmpOpts); d != "" {
			f.t.Errorf("replays changed progress (-before +after):\n%s", d)
		}
		if len(after.Tracks) != 2 || after.Tracks[0].Total != 1 || len(after.History) != 1 {
			f.t.Errorf("after one completion: %+v", after)
		}
	}},
	{"DrillAddsPointsStreakAndProgressOnly", func(f *progressFixture) {
		u := f.user("U1")
		ws := f.workspace(1)
		f.play(u, "s0", 70, 80, t0)
		before, board := f.stats(u), f.board(ws, bot.AllTime, 10, u.UserID)
		team, err := f.p.Team(f.ctx, ws, bot.ISOWeek(t0), t0.Format("2006-01"), 5)
		if err != nil {
			f.t.Fatal(err)
		}
		s := f.session(u, "drill")
		s.ScenarioID = "drilled-scenario"
		f.create(s)
		next := t0.AddDate(0, 0, 1) // the next day: the streak grows
		c := withProgress(s, completion(s, 40, 6, next), mark("f:monitoring:feedback_loop", bot.Monitoring, bot.Missed))
		c.Drill = true
		c.History.Kind, c.History.Step = bot.KindDrill, bot.Monitoring
		f.finish(s, bot.Completed, c)

		want := before
		want.Points += 6
		bot.AdvanceStreak(&want, c.Day)
		f.wantStats(u, want) // no session, step totals, scores or recent scenario
		after := f.board(ws, bot.AllTime, 10, u.UserID)
		if after.Viewer == nil || after.Viewer.Points != board.Viewer.Points+6 || after.Viewer.Sessions != board.Viewer.Sessions {
			f.t.Errorf("board viewer after a drill = %+v, before %+v: want 6 more points, the same sessions", after.Viewer, board.Viewer)
		}
		p := f.progress(u)
		if len(p.History) != 1 || p.History[0].Kind != bot.KindDrill || p.History[0].Step != bot.Monitoring {
			f.t.Errorf("history after a drill = %+v", p.History)
		}
		if i := slices.IndexFunc(p.Tracks, func(t bot.ConceptTrack) bool { return t.Key == "f:monitoring:feedback_loop" }); i < 0 || p.Tracks[i].Recent != "M" {
			f.t.Errorf("coverage after a drill = %+v", p.Tracks)
		}
		if got, err := f.p.Team(f.ctx, ws, bot.ISOWeek(t0), t0.Format("2006-01"), 5); err != nil || got.Sessions != team.Sessions {
			f.t.Errorf("Team after a drill = %+v, %v; want it unchanged (%d sessions)", got, err, team.Sessions)
		}
		// A drill-only person reaches the board too.
		v := f.user("U2")
		d := f.session(v, "drill2")
		f.create(d)
		c2 := withProgress(d, completion(d, 50, 5, t0))
		c2.Drill = true
		f.finish(d, bot.Completed, c2)
		if b := f.board(ws, bot.AllTime, 10, v.UserID); b.Viewer == nil || b.Viewer.Points != 5 || b.Viewer.Sessions != 0 {
			f.t.Errorf("drill-only person's standing = %+v, want 5 points, 0 sessions", b.Viewer)
		}
	}},
	{"StatsOfReadsEachAsStats", func(f *progressFixture) {
		ws := f.workspace(1)
		f.play(f.user("U1"), "s1", 70, 80, t0)
		f.play(f.user("U2"), "s2", 50, 60, t0)
		got, err := f.p.StatsOf(f.ctx, ws, []string{"U1", "U2", "nobody"})
		if err != nil {
			f.t.Fatal(err)
		}
		for _, id := range []string{"U1", "U2", "nobody"} {
			want := f.stats(f.user(id))
			want.Recent, want.Scores = nil, nil
			if d := cmp.Diff(want, got[id], cmpOpts); d != "" {
				f.t.Errorf("StatsOf[%s] (-Stats +StatsOf):\n%s", id, d)
			}
		}
		if _, ok := got["nobody"]; !ok || len(got) != 3 {
			f.t.Errorf("StatsOf = %v, want an entry per id asked", got)
		}
	}},
	{"AnonymousFlag", func(f *progressFixture) {
		ws := f.workspace(1)
		if err := f.p.SetAnonymous(f.ctx, f.user("U1"), true); err != nil {
			f.t.Fatal(err)
		}
		got, err := f.p.Anonymous(f.ctx, ws, []string{"U1", "U2"})
		if err != nil || !got["U1"] || got["U2"] {
			f.t.Errorf("Anonymous = %v, %v; want U1 only", got, err)
		}
		if other, err := f.p.Anonymous(f.ctx, f.workspace(2), []string{"U1"}); err != nil || other["U1"] {
			f.t.Errorf("Anonymous in another workspace = %v, %v", other, err)
		}
		if err := f.p.SetAnonymous(f.ctx, f.user("U1"), false); err != nil {
			f.t.Fatal(err)
		}
		if got, err := f.p.Anonymous(f.ctx, ws, []string{"U1"}); err != nil || got["U1"] {
			f.t.Errorf("Anonymous after opting in = %v, %v", got, err)
		}
	}},
	{"AbandonRecordsNothing", func(f *progressFixture) {
		u := f.user("U1")
		s := f.create(f.session(u, "s1"))
		f.finish(s, bot.Abandoned, nil)
		if p := f.progress(u); len(p.Tracks)+len(p.History) != 0 {
			f.t.Errorf("progress after an abandoned session = %+v", p)
		}
	}},
}

var teamCases = []struct {
	name string
	run  func(f *progressFixture)
}{
	{"TeamAggregatesOncePerSession", func(f *progressFixture) {
		ws := f.workspace(1)
		week, month := bot.ISOWeek(t0), t0.Format("2006-01")
		later := t0.AddDate(0, 0, 7) // another week, and another month (t0 is the 25th)
		want := bot.TeamStats{Scenarios: map[string]int{}}
		misses := map[string]int{}
		plays := []struct {
			user, scenario string
			at             time.Time
			marks          []bot.ConceptMark
		}{
			{"U1", "feed", t0, []bot.ConceptMark{mark("f:data:labels", bot.Data, bot.Missed), mark("f:model:baseline", bot.Model, bot.Earned)}},
			{"U2", "feed", t0, []bot.ConceptMark{mark("f:data:labels", bot.Data, bot.Dismissed), mark("f:model:baseline", bot.Model, bot.Missed)}},
			{"U3", "search", t0, []bot.ConceptMark{mark("f:data:labels", bot.Data, bot.Missed), mark("r:leak", bot.Data, bot.Flagged)}},
			{"U1", "ads", later, []bot.ConceptMark{mark("c:ads:data:ctr", bot.Data, bot.Missed)}},
		}
		for i, p := range plays {
			u := f.userIn(ws, p.user)
			s := f.session(u, fmt.Sprintf("s%d", i))
			s.ScenarioID = p.scenario
			f.create(s)
			c := withProgress(s, completion(s, 50, 50, p.at), p.marks...)
			done := next(s, "the end")
			done.Status = bot.Completed
			ch := bot.Change{Session: done, Expected: s.Version, MessageID: f.id(fmt.Sprintf("end%d", i)), Completion: c, TTL: ttl}
			if err := f.s.Save(f.ctx, ch); err != nil {
				f.t.Fatalf("Save(complete %d) = %v", i, err)
			}
			wantErr(f.t, "replay", f.s.Save(f.ctx, ch), bot.ErrNotActive) // counted once
			want.Sessions++
			if c.Week == week {
				want.Week++
			}
			if c.Month == month {
				want.Month++
			}
			want.Scenarios[p.scenario]++
			for j, v := range c.StepScores {
				want.StepTotals[j] += v
			}
			for _, m := range p.marks {
				if m.Outcome == bot.Missed || m.Outcome == bot.Dismissed {
					misses[m.Key]++
				}
			}
		}
		if misses["f:data:labels"] != 3 || misses["f:model:baseline"] != 1 || misses["c:ads:data:ctr"] != 1 {
			f.t.Fatalf("suite bug: misses %v", misses)
		}
		// ties (1 each) by key, descending
		want.Missed = []bot.TeamMiss{
			{Key: "f:data:labels", Label: "Label of f:data:labels & co", Step: bot.Data, Misses: 3},
			{Key: "f:model:baseline", Label: "Label of f:model:baseline & co", Step: bot.Model, Misses: 1},
		}
		got, err := f.p.Team(f.ctx, ws, week, month, 2)
		if err != nil {
			f.t.Fatalf("Team = %v", err)
		}
		if d := cmp.Diff(want, got, cmpOpts); d != "" {
			f.t.Errorf("Team (-want +got):\n%s", d)
		}
		all, err := f.p.Team(f.ctx, ws, week, month, 10)
		if err != nil || len(all.Missed) != 3 || all.Missed[2].Key != "c:ads:data:ctr" {
			f.t.Errorf("Team(limit 10).Missed = %+v, %v", all.Missed, err)
		}
		other, err := f.p.Team(f.ctx, f.workspace(2), week, month, 5)
		if err != nil || other.Sessions != 0 || len(other.Missed) != 0 || len(other.Scenarios) != 0 {
			f.t.Errorf("another workspace's Team = %+v, %v; want zero", other, err)
		}
	}},
}
