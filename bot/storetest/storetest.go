// Package storetest is the contract suite every bot.Store passes, in the
// spirit of testing/fstest.TestFS: a store's own test calls Run with a
// constructor, and the suite checks every sentence of the bot.Store
// documentation against it.
//
// A store's test looks like this (bot/bolt's, with an injected clock):
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) bot.Store {
//			clk := newClock()
//			s, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{Now: clk.Now})
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return storetest.WithOptions(s, storetest.Options{Advance: clk.Advance})
//		})
//	}
//
// The suite never assumes an empty store: every subtest works under its own
// workspace, user and message ids (derived from t.Name() plus a random
// suffix), so it can run against a shared Redis holding keys from earlier
// runs.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mlsdbot/mlsd/bot"
)

// Options tell the suite what a store under test lets it control.
type Options struct {
	// Advance moves the store's clock forward by d, so that TTLs elapse
	// without sleeping. It must affect only the store it came with. When nil
	// (for example a real Redis server) the subtests that need time to pass
	// are skipped, each saying why.
	Advance func(d time.Duration)
}

// WithOptions attaches opts to a store returned by Run's constructor. The
// result is still the same bot.Store.
func WithOptions(s bot.Store, opts Options) bot.Store {
	return &withOptions{Store: s, opts: opts}
}

type withOptions struct {
	bot.Store
	opts Options
}

// Run runs the contract suite. newStore is called once per subtest and must
// return a ready store whose clean-up (Close, removing files) it registers
// with t.Cleanup; the suite never calls Close itself. Wrap the store with
// WithOptions to let the suite move its clock.
func Run(t *testing.T, newStore func(t *testing.T) bot.Store) {
	t.Helper()
	groups := []struct {
		name  string
		cases []testCase
	}{
		{"FirstDelivery", firstDeliveryCases},
		{"Create", createCases},
		{"Save", saveCases()},
		{"Thread", threadCases},
		{"Session", sessionCases},
		{"Completion", completionCases()},
		{"Averages", averagesCases()},
		{"Leaderboard", leaderboardCases},
		{"Expiry", expiryCases},
		{"Concurrency", concurrencyCases},
		{"Outbox", outboxCases},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.cases {
				t.Run(tc.name, func(t *testing.T) {
					s := newStore(t)
					if s == nil {
						t.Fatal("newStore returned nil")
					}
					f := &fixture{t: t, s: s, ns: namespace(t)}
					if w, ok := s.(*withOptions); ok {
						f.advance = w.opts.Advance
					}
					if tc.needsClock && f.advance == nil {
						t.Skip("store has no Options.Advance: cannot let a TTL pass without sleeping")
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

type testCase struct {
	name       string
	needsClock bool
	run        func(f *fixture)
}

// ttl is the idle expiry used by subtests that do not let time pass. It is
// far longer than any run, and short enough that keys left behind in a
// shared Redis go away soon.
const ttl = 10 * time.Minute

// t0 is the wall-clock base for session and completion timestamps: the
// 25th of the current month, so a week later is always another week and
// another month, and the periods are near enough to now that a store which
// expires old period boards (Redis) keeps them. Stores' own clocks govern
// expiry; they never see t0 except as data.
var t0 = func() time.Time {
	now := time.Now().UTC()
	return time.Date(now.Year(), now.Month(), 25, 9, 30, 0, 0, time.UTC)
}()

// cmpOpts treat nil and empty slices alike, since JSON and hashes cannot
// tell them apart.
var cmpOpts = cmp.Options{cmpopts.EquateEmpty()}

type fixture struct {
	t       *testing.T
	s       bot.Store
	ctx     context.Context
	ns      string
	advance func(time.Duration)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// namespace makes ids unique to one subtest of one run.
func namespace(t *testing.T) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "st-" + unsafeChars.ReplaceAllString(t.Name(), "_") + "-" + hex.EncodeToString(b[:])
}

// workspace returns a workspace unique to this subtest; n tells several
// apart.
func (f *fixture) workspace(n int) bot.Workspace {
	return bot.Workspace{Platform: bot.Slack, ID: fmt.Sprintf("%s-T%d", f.ns, n)}
}

// user returns a user of workspace 1.
func (f *fixture) user(id string) bot.UserKey {
	return f.userIn(f.workspace(1), id)
}

func (f *fixture) userIn(ws bot.Workspace, id string) bot.UserKey {
	return bot.UserKey{Platform: ws.Platform, Workspace: ws.ID, UserID: id}
}

// id returns a session or message id unique to this subtest.
func (f *fixture) id(name string) string { return f.ns + "-" + name }

// session returns a new active session at version 1, filled enough that a
// lossy encoding would show.
func (f *fixture) session(u bot.UserKey, name string) bot.Session {
	s := bot.Session{
		ID:         f.id(name),
		Version:    1,
		User:       u,
		UserName:   "Ada <" + u.UserID + ">",
		Channel:    "C-" + f.ns,
		ScenarioID: "news-feed",
		Mode:       bot.Practice,
		Status:     bot.Active,
		Step:       bot.Clarify,
		Started:    t0,
		Updated:    t0,
	}
	s.Answers[bot.Clarify] = bot.StepAnswer{Text: "Who are the users? \"quoted\" & ünïcode", Hints: 1, Named: []string{"latency"}, Turns: 1}
	return s
}

// create saves s as a new session.
func (f *fixture) create(s bot.Session) bot.Session {
	f.t.Helper()
	if err := f.s.Save(f.ctx, bot.Change{Session: s, Expected: 0, MessageID: f.id("create-" + s.ID), TTL: ttl}); err != nil {
		f.t.Fatalf("Save(create %s) = %v, want nil", s.ID, err)
	}
	return s
}

// next returns s moved on by one answer, as an engine would compute it.
func next(s bot.Session, text string) bot.Session {
	a := s.Answers[s.Step]
	if a.Text != "" {
		a.Text += "\n"
	}
	a.Text += text
	a.Turns++
	s.Answers[s.Step] = a
	s.Version++
	s.Updated = s.Updated.Add(time.Minute)
	return s
}

// answer applies an answer change computed from cur and returns the new state.
func (f *fixture) answer(cur bot.Session, msg, text string) bot.Session {
	f.t.Helper()
	n := next(cur, text)
	if err := f.s.Save(f.ctx, bot.Change{Session: n, Expected: cur.Version, MessageID: f.id(msg), TTL: ttl}); err != nil {
		f.t.Fatalf("Save(%s v%d→v%d) = %v, want nil", msg, cur.Version, n.Version, err)
	}
	return n
}

// completion builds the Completion of s finishing at at.
func completion(s bot.Session, score int, points float64, at time.Time) *bot.Completion {
	c := &bot.Completion{
		SessionID:  s.ID,
		ScenarioID: s.ScenarioID,
		UserName:   s.UserName,
		Score:      score,
		Points:     points,
		At:         at,
		Week:       bot.ISOWeek(at),
		Month:      at.Format("2006-01"),
		Day:        at.Format("2006-01-02"),
	}
	// Binary fractions, so sums are exact in any encoding.
	fr := []float64{0.5, 0.75, 0.25, 1, 0, 0.5, 0.125}
	for i := range c.StepScores {
		c.StepScores[i] = fr[(i+score)%len(fr)]
	}
	return c
}

// finish ends cur with status st and, for Completed, the completion c.
func (f *fixture) finish(cur bot.Session, st bot.Status, c *bot.Completion) bot.Session {
	f.t.Helper()
	n := next(cur, "end")
	n.Status = st
	if c != nil {
		n.Final = &bot.Report{SessionID: n.ID, ScenarioID: n.ScenarioID, Score: c.Score, Points: c.Points, Mode: n.Mode}
	}
	if err := f.s.Save(f.ctx, bot.Change{Session: n, Expected: cur.Version, MessageID: f.id("finish-" + cur.ID), Completion: c, TTL: ttl}); err != nil {
		f.t.Fatalf("Save(finish %s as %s) = %v, want nil", cur.ID, st, err)
	}
	return n
}

// play creates a session for u and completes it at at with score and points.
func (f *fixture) play(u bot.UserKey, name string, score int, points float64, at time.Time) bot.Session {
	f.t.Helper()
	s := f.session(u, name)
	s.UserName = "name-" + u.UserID
	f.create(s)
	return f.finish(s, bot.Completed, completion(s, score, points, at))
}

func (f *fixture) wantSession(u bot.UserKey, want bot.Session) {
	f.t.Helper()
	got, err := f.s.Session(f.ctx, u, want.ID)
	if err != nil {
		f.t.Fatalf("Session(%s) = %v, want nil", want.ID, err)
	}
	if d := cmp.Diff(want, got, cmpOpts); d != "" {
		f.t.Errorf("Session(%s) mismatch (-want +got):\n%s", want.ID, d)
	}
}

func (f *fixture) wantActive(u bot.UserKey, want bot.Session) {
	f.t.Helper()
	got, err := f.s.ActiveSession(f.ctx, u)
	if err != nil {
		f.t.Fatalf("ActiveSession = %v, want session %s", err, want.ID)
	}
	if d := cmp.Diff(want, got, cmpOpts); d != "" {
		f.t.Errorf("ActiveSession mismatch (-want +got):\n%s", d)
	}
}

func (f *fixture) wantNoActive(u bot.UserKey) {
	f.t.Helper()
	got, err := f.s.ActiveSession(f.ctx, u)
	if !errors.Is(err, bot.ErrNotFound) {
		f.t.Fatalf("ActiveSession = %+v, %v; want ErrNotFound", got.ID, err)
	}
}

func (f *fixture) stats(u bot.UserKey) bot.Stats {
	f.t.Helper()
	st, err := f.s.Stats(f.ctx, u)
	if err != nil {
		f.t.Fatalf("Stats = %v", err)
	}
	return st
}

func (f *fixture) board(ws bot.Workspace, p bot.Period, limit int, viewer string) bot.Board {
	f.t.Helper()
	b, err := f.s.Leaderboard(f.ctx, ws, p, limit, viewer)
	if err != nil {
		f.t.Fatalf("Leaderboard(%s, %d, %q) = %v", p, limit, viewer, err)
	}
	return b
}

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	switch {
	case want == nil && got != nil:
		t.Fatalf("%s = %v, want nil", what, got)
	case want != nil && !errors.Is(got, want):
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}
