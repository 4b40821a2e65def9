package storetest

import (
	"errors"
	"strings"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/rubric"
)

// richSession sets every field of bot.Session, with text that trips naive
// encodings (quotes, newlines, braces, non-ASCII, a long answer).
func (f *fixture) richSession(u bot.UserKey) bot.Session {
	s := f.session(u, "rich")
	s.Thread = f.id("th")
	s.Mode = bot.Mock
	s.Step = bot.WrapUp
	s.WrapPart = 2
	s.Probing = "drift"
	s.Nudged = t0.Add(3 * time.Hour)
	s.Updated = t0.Add(4 * time.Hour)
	for st := bot.Clarify; st <= bot.Monitoring; st++ {
		s.Answers[st] = bot.StepAnswer{
			Text:    strings.Repeat("ranking {p:T:U} \"ndcg@10\"\n— naïve 日本 ", int(st)*40),
			Hints:   int(st) % 3,
			Named:   []string{"concept-" + st.String()},
			Skipped: st == bot.Evaluation,
			Probed:  st%2 == 0,
			Turns:   int(st),
		}
	}
	s.Wrap = [3]bot.StepAnswer{{Text: "bottleneck: feature store", Turns: 1}, {Text: "alert on PSI", Turns: 2}, {Skipped: true}}
	s.Final = &bot.Report{
		SessionID: s.ID, ScenarioID: s.ScenarioID, ScenarioTitle: "News feed ranking",
		Difficulty: bot.Hard, Mode: s.Mode, Score: 77, Points: 115.5,
		Steps:       []bot.StepReport{{Step: bot.Clarify, Title: "Clarify requirements", Score: 0.75, Points: 10.5, Max: 14, Matches: []rubric.Match{{Concept: "users", Label: "Users", Evidence: "Who are the users?", Credit: 1, Weight: 2, Offset: 0}}, Missing: []string{"scale"}}},
		WrapUp:      bot.StepReport{Step: bot.WrapUp, Title: "Wrap-up", Score: 0.5},
		WrapUpBonus: 5,
		Pitfalls:    []bot.Pitfall{{ID: "jumped-to-model", Name: "jumped to the model", Penalty: 5, Detail: "named a transformer in step 1"}},
		Gaps:        []string{"How would you detect drift?"},
		Outline:     []bot.Section{{Title: "Data", Text: "logs → features"}},
		HintsUsed:   3,
	}
	return s
}

var sessionCases = []testCase{
	{name: "RoundTripsEveryField", run: func(f *fixture) {
		u := f.user("U1")
		s := f.create(f.richSession(u))
		f.wantSession(u, s)
		f.wantActive(u, s)
	}},
	{name: "AnyStatus", run: func(f *fixture) {
		u := f.user("U1")
		s1 := f.create(f.session(u, "s1"))
		done := f.finish(s1, bot.Completed, completion(s1, 50, 50, t0))
		quit := f.finish(f.create(f.session(u, "s2")), bot.Abandoned, nil)
		f.wantSession(u, done)
		f.wantSession(u, quit)
		f.wantNoActive(u)
	}},
	{name: "UnknownIDNotFound", run: func(f *fixture) {
		u := f.user("U1")
		f.create(f.session(u, "s1"))
		if _, err := f.s.Session(f.ctx, u, f.id("nope")); !errors.Is(err, bot.ErrNotFound) {
			f.t.Fatalf("Session(unknown) = %v, want ErrNotFound", err)
		}
	}},
	{name: "OtherOwnerNotFound", run: func(f *fixture) {
		u := f.user("U1")
		s := f.create(f.session(u, "s1"))
		for _, other := range []bot.UserKey{f.user("U2"), f.userIn(f.workspace(2), "U1"), {Platform: bot.Discord, Workspace: u.Workspace, UserID: u.UserID}} {
			if _, err := f.s.Session(f.ctx, other, s.ID); !errors.Is(err, bot.ErrNotFound) {
				f.t.Fatalf("Session(%v, %s) = %v, want ErrNotFound", other, s.ID, err)
			}
		}
	}},
	{name: "NoActiveForNewUser", run: func(f *fixture) {
		f.wantNoActive(f.user("U-new"))
	}},
	// Change.Previous lets a store write only what changed; whatever it
	// does with it, every text reads back, and a Previous that is not the
	// version replaced is ignored.
	{name: "PreviousKeepsEveryText", run: func(f *fixture) {
		u := f.user("U1")
		v1 := f.create(f.richSession(u))
		v1.Step, v1.Status, v1.Final = bot.Data, bot.Active, nil
		v2 := f.answer(v1, "m1", "reset") // every field as stored
		v3 := next(v2, "only this step's text changes")
		if err := f.s.Save(f.ctx, bot.Change{Session: v3, Expected: v2.Version, MessageID: f.id("m2"), TTL: ttl, Previous: &v2}); err != nil {
			f.t.Fatalf("Save(with Previous) = %v", err)
		}
		f.wantSession(u, v3)
		f.wantActive(u, v3)

		// A Previous of another version says nothing about what is stored
		// and must be ignored: here it already has v4's new texts, so a
		// store that trusted it would not write them.
		v4 := next(v3, "a fourth answer")
		v4.Wrap[0].Text = "a wrap-up text changed too"
		v4.Answers[bot.Clarify].Text = "clarify, rewritten"
		wrong := v4
		wrong.Version = v1.Version
		if err := f.s.Save(f.ctx, bot.Change{Session: v4, Expected: v3.Version, MessageID: f.id("m3"), TTL: ttl, Previous: &wrong}); err != nil {
			f.t.Fatalf("Save(with a Previous of another version) = %v", err)
		}
		f.wantActive(u, v4)

		// Completing moves every text to the finished session.
		done := f.finish(v4, bot.Completed, completion(v4, 70, 70, t0))
		f.wantSession(u, done)
	}},
}
