package metrics

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/clocktest"
	"github.com/mlsdbot/mlsd/scenarios"
)

func newClock() *clocktest.Clock { return clocktest.New(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)) }

func value(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	return testutil.ToFloat64(c)
}

// interviewer is the shape bot/slack and bot/discord ask for; *Interviewer
// must satisfy it without a type assertion.
type interviewer interface {
	Handle(ctx context.Context, in bot.Inbound) ([]bot.Outbound, error)
	AttachThread(ctx context.Context, user bot.UserKey, sessionID, channel, thread string) error
	Home(ctx context.Context, user bot.UserKey) (bot.Home, error)
}

var _ interviewer = (*Interviewer)(nil)

// rig is a real bot on a real bbolt file, wrapped as cmd/mlsd wraps it.
type rig struct {
	t     *testing.T
	m     *Metrics
	iv    interviewer
	store bot.Store
	clk   *clocktest.Clock
	lib   *bot.Library
	seq   int
}

func newRig(t *testing.T) *rig {
	t.Helper()
	clk := newClock()
	raw, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	m := New()
	store := InstrumentStore(raw, m)
	t.Cleanup(func() { store.Close() })
	list, err := scenarios.Builtin()
	if err != nil || len(list) == 0 {
		t.Fatalf("scenarios.Builtin: %d scenarios, %v", len(list), err)
	}
	n := 0
	b, err := bot.New(bot.Config{
		Store:   store,
		Library: bot.NewLibrary(list...),
		Now:     clk.Now,
		Intn:    func(k int) int { n++; return n % k },
	})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, m: m, iv: InstrumentHandler(b, m), store: store, clk: clk, lib: b.Library()}
}

func (r *rig) send(user, thread string, kind bot.InboundKind, text string) []bot.Outbound {
	r.t.Helper()
	r.seq++
	return r.deliver(bot.Inbound{
		Platform: bot.Slack, Workspace: "T1", Channel: "C1", Thread: thread,
		UserID: user, UserName: strings.ToUpper(user), MessageID: fmt.Sprintf("m%d", r.seq),
		Text: text, Kind: kind,
	})
}

func (r *rig) deliver(in bot.Inbound) []bot.Outbound {
	r.t.Helper()
	r.clk.Advance(time.Minute)
	out, err := r.iv.Handle(context.Background(), in)
	if err != nil {
		r.t.Fatalf("Handle(%q): %v", in.Text, err)
	}
	return out
}

// start begins an interview and binds its thread as an adapter would,
// through the decorator's AttachThread.
func (r *rig) start(user, thread string) {
	r.t.Helper()
	out := r.send(user, "", bot.KindCommand, "start "+r.lib.All()[0].ID)
	if len(out) == 0 || out[0].Where.Kind != bot.NewThread {
		r.t.Fatalf("start replies = %+v, want a NewThread intro", out)
	}
	key := bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: user}
	if err := r.iv.AttachThread(context.Background(), key, out[0].Session, "C1", thread); err != nil {
		r.t.Fatalf("AttachThread: %v", err)
	}
}

const answer = "I would first pin down the business goal, the number of users and requests per second, the latency budget in milliseconds, the data we already log, privacy constraints, and what is out of scope, so that we can measure success."

// TestInterviewLifecycle drives real interviews through the decorated bot
// and store and checks every interview counter against what happened.
func TestInterviewLifecycle(t *testing.T) {
	r := newRig(t)
	m := r.m
	r.start("u1", "th1")

	// Someone else's reply and a hint: handled, but no answer is graded.
	r.send("intruder", "th1", bot.KindReply, answer)
	r.send("u1", "th1", bot.KindAction, "hint")

	// A redelivered answer is dropped once by the dedupe mark.
	dup := bot.Inbound{Platform: bot.Slack, Workspace: "T1", Channel: "C1", Thread: "th1", UserID: "u1", MessageID: "again", Text: answer, Kind: bot.KindReply}
	r.deliver(dup)
	r.deliver(dup)
	answers := 1

	for ; answers < 60; answers++ {
		out := r.send("u1", "th1", bot.KindReply, answer)
		if slices.ContainsFunc(out, func(o bot.Outbound) bool { return o.Report != nil }) {
			answers++
			break
		}
	}
	if answers >= 60 {
		t.Fatal("no report after 60 answers")
	}

	// A second interview, ended with the End button.
	r.start("u1", "th2")
	r.send("u1", "th2", bot.KindAction, "end")

	checks := []struct {
		name string
		c    prometheus.Collector
		want float64
	}{
		{"started", m.interviewsStarted.WithLabelValues("slack"), 2},
		{"completed", m.interviewsCompleted.WithLabelValues("slack"), 1},
		{"abandoned", m.interviewsAbandoned.WithLabelValues("slack"), 1},
		{"answers graded", m.answersGraded.WithLabelValues("slack"), float64(answers)},
		{"duplicates", m.duplicates.WithLabelValues("slack"), 1},
		{"console untouched", m.interviewsStarted.WithLabelValues("console"), 0},
		{"commands", m.inboundEvents.WithLabelValues("slack", "command"), 2},
		{"replies", m.inboundEvents.WithLabelValues("slack", "reply"), float64(1 + 2 + answers - 1)},
		{"actions", m.inboundEvents.WithLabelValues("slack", "action"), 2},
		{"no inbound errors", m.inboundErrors.WithLabelValues("slack", "reply"), 0},
		{"in flight back to zero", m.inboundActive.WithLabelValues("slack"), 0},
		// An answer replay is stopped by Save's applied-message check (the
		// answer path has no separate dedupe round trip), once.
		{"replay refused by Save", m.storeRejected.WithLabelValues(opSave, "duplicate"), 1},
	}
	for _, c := range checks {
		if got := value(t, c.c); got != c.want {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
	if got := testutil.CollectAndCount(m.gradingSeconds); got != 1 {
		t.Fatalf("grading histogram series = %d, want 1", got)
	}
	if n := histogramCount(t, m, "mlsd_grading_duration_seconds", nil); n != uint64(answers) {
		t.Errorf("grading observations = %d, want %d (one per graded answer)", n, answers)
	}
	if n := histogramCount(t, m, "mlsd_store_operation_duration_seconds", map[string]string{"operation": opSave}); n < uint64(answers+5) {
		t.Errorf("save observations = %d, want at least %d", n, answers+5)
	}
}

// TestGradingTime checks what the grading histogram measures: from the
// session load to the Save, not the store round trips around them.
func TestGradingTime(t *testing.T) {
	clk := newClock()
	m := New()
	m.now = clk.Now
	raw, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := InstrumentStore(&slowStore{Store: raw, clk: clk, took: 40 * time.Millisecond}, m)
	t.Cleanup(func() { store.Close() })
	user := bot.UserKey{Platform: bot.Discord, Workspace: "G1", UserID: "u1"}
	s := bot.Session{ID: "s1", Version: 1, User: user, Channel: "c", Status: bot.Active, Step: bot.Clarify}
	ctx := context.Background()
	if err := store.Save(ctx, bot.Change{Session: s, TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	// An engine stand-in: load, think for 3 ms, save one more answer turn.
	engine := bot.HandlerFunc(func(ctx context.Context, in bot.Inbound) ([]bot.Outbound, error) {
		cur, err := store.ActiveSession(ctx, user)
		if err != nil {
			return nil, err
		}
		clk.Advance(3 * time.Millisecond)
		next := cur
		next.Version++
		if in.Text != "" {
			next.Answers[bot.Clarify].Turns++
		}
		return nil, store.Save(ctx, bot.Change{Session: next, Expected: cur.Version, MessageID: in.MessageID, TTL: time.Hour})
	})
	iv := InstrumentHandler(engine, m)
	if _, err := iv.Handle(ctx, bot.Inbound{Platform: bot.Discord, MessageID: "a", Text: "an answer", Kind: bot.KindForm}); err != nil {
		t.Fatal(err)
	}
	if _, err := iv.Handle(ctx, bot.Inbound{Platform: bot.Discord, MessageID: "b", Kind: bot.KindAction}); err != nil {
		t.Fatal(err)
	}
	if got := value(t, m.answersGraded.WithLabelValues("discord")); got != 1 {
		t.Fatalf("answers graded = %v, want 1 (the action added no answer)", got)
	}
	sum, n := histogramSum(t, m, "mlsd_grading_duration_seconds", nil)
	if n != 1 || sum != 0.003 {
		t.Fatalf("grading: %d observations summing %vs, want 1 of 0.003s", n, sum)
	}
	// Handling took both store round trips plus the 3 ms.
	sum, n = histogramSum(t, m, "mlsd_inbound_handle_duration_seconds", map[string]string{"platform": "discord", "kind": "form"})
	if n != 1 || sum != 0.083 {
		t.Fatalf("form handling: %d observations summing %vs, want 1 of 0.083s", n, sum)
	}
	// Without InstrumentHandler the store cannot tell answers apart.
	cur, _ := store.ActiveSession(ctx, user)
	next := cur
	next.Version++
	next.Answers[bot.Clarify].Turns++
	if err := store.Save(ctx, bot.Change{Session: next, Expected: cur.Version, TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if got := value(t, m.answersGraded.WithLabelValues("discord")); got != 1 {
		t.Fatalf("answers graded = %v after an unwrapped save, want still 1", got)
	}
}

// slowStore makes every call take a fixed time on the test clock.
type slowStore struct {
	bot.Store
	clk  *clocktest.Clock
	took time.Duration
}

func (s *slowStore) ActiveSession(ctx context.Context, u bot.UserKey) (bot.Session, error) {
	s.clk.Advance(s.took)
	return s.Store.ActiveSession(ctx, u)
}

func (s *slowStore) Save(ctx context.Context, ch bot.Change) error {
	s.clk.Advance(s.took)
	return s.Store.Save(ctx, ch)
}

func TestInterviewerForwarding(t *testing.T) {
	t.Run("bot", func(t *testing.T) {
		r := newRig(t)
		r.start("u1", "th1")
		home, err := r.iv.Home(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "u1"})
		if err != nil || home.Text == "" {
			t.Fatalf("Home = %+v, %v", home, err)
		}
		if got := value(t, r.m.inboundEvents.WithLabelValues("slack", "home")); got != 1 {
			t.Fatalf("home events = %v, want 1", got)
		}
		s, err := r.store.ActiveSession(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "u1"})
		if err != nil || s.Thread != "th1" {
			t.Fatalf("AttachThread did not reach the bot: %+v, %v", s, err)
		}
	})
	t.Run("plain handler", func(t *testing.T) {
		m := New()
		failing := errors.New("boom")
		iv := InstrumentHandler(bot.HandlerFunc(func(context.Context, bot.Inbound) ([]bot.Outbound, error) {
			return nil, failing
		}), m)
		if err := iv.AttachThread(context.Background(), bot.UserKey{}, "s", "c", "t"); !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("AttachThread on a HandlerFunc = %v, want ErrUnsupported", err)
		}
		if _, err := iv.Home(context.Background(), bot.UserKey{}); !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("Home on a HandlerFunc = %v, want ErrUnsupported", err)
		}
		if _, err := iv.Handle(context.Background(), bot.Inbound{Platform: "matrix", Kind: bot.KindReply}); !errors.Is(err, failing) {
			t.Fatalf("Handle error = %v, want the wrapped handler's", err)
		}
		if got := value(t, m.inboundErrors.WithLabelValues("other", "reply")); got != 1 {
			t.Fatalf("inbound errors{other,reply} = %v, want 1", got)
		}
	})
}
