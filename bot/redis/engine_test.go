package redis

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/scenarios"
)

// chat drives a real bot.Bot, as an adapter would, for one user.
type chat struct {
	t      *testing.T
	bot    *bot.Bot
	user   bot.UserKey
	thread string
	seq    int
}

func newChat(t *testing.T, s *Store) *chat {
	t.Helper()
	list, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	b, err := bot.New(bot.Config{Store: s, Library: bot.NewLibrary(list...), Intn: func(k int) int { n++; return n % k }})
	if err != nil {
		t.Fatal(err)
	}
	return &chat{t: t, bot: b, user: testUser("U1")}
}

func (c *chat) send(kind bot.InboundKind, text string) []bot.Outbound {
	c.t.Helper()
	c.seq++
	out, err := c.bot.Handle(context.Background(), bot.Inbound{
		Platform: c.user.Platform, Workspace: c.user.Workspace, Channel: "C1", Thread: c.thread,
		UserID: c.user.UserID, UserName: "Ada", MessageID: fmt.Sprintf("msg-%d", c.seq), Text: text, Kind: kind,
	})
	if err != nil {
		c.t.Fatalf("Handle(%q) = %v; the adapter would show a generic apology", text, err)
	}
	return out
}

func (c *chat) start() {
	c.t.Helper()
	out := c.send(bot.KindCommand, "start")
	if len(out) == 0 || out[0].Where.Kind != bot.NewThread {
		c.t.Fatalf("start replies = %+v", out)
	}
	c.thread = "th-1"
	if err := c.bot.AttachThread(context.Background(), c.user, out[0].Session, "C1", c.thread); err != nil {
		c.t.Fatalf("AttachThread = %v", err)
	}
}

func joined(out []bot.Outbound) string {
	var parts []string
	for _, o := range out {
		parts = append(parts, o.Text)
	}
	return strings.Join(parts, "\n")
}

// TestEngineRedisOutage (issue 4, acceptance 4) through the real engine:
// while Redis is gone the user is told to send the answer again and
// nothing crashes; once it is back the interview continues from the last
// saved step, and the resent answer counts once.
func TestEngineRedisOutage(t *testing.T) {
	ctx := context.Background()
	s, p := faultStore(t)
	c := newChat(t, s)
	c.start()
	c.send(bot.KindReply, benchAnswer)
	before, err := s.ActiveSession(ctx, c.user)
	if err != nil {
		t.Fatal(err)
	}

	p.down()
	out := c.send(bot.KindReply, benchAnswer)
	if len(out) != 1 || out[0].Where.Kind != bot.Ephemeral || !strings.Contains(out[0].Text, "send it again") {
		t.Fatalf("reply while Redis is down = %q, want one private 'send it again' note", joined(out))
	}

	p.up()
	after, err := s.ActiveSession(ctx, c.user)
	if err != nil {
		t.Fatal(err)
	}
	if after.Version != before.Version || after.Step != before.Step {
		t.Fatalf("after the outage: v%d at %s, want v%d at %s (the last saved step)", after.Version, after.Step, before.Version, before.Step)
	}
	out = c.send(bot.KindReply, benchAnswer) // the user sends it again
	if len(out) == 0 || strings.Contains(joined(out), "send it again") {
		t.Fatalf("resent answer after recovery: %q", joined(out))
	}
	got, err := s.ActiveSession(ctx, c.user)
	if err != nil || got.Version != before.Version+1 {
		t.Fatalf("after the resend: v%d, %v; want v%d (applied once)", got.Version, err, before.Version+1)
	}
}

// TestEngineTwoReplicas (issue 4, acceptance 3 with the engine): two bots,
// each with its own store on one Redis, take turns on one interview until
// the report; the stats and the board count it once.
func TestEngineTwoReplicas(t *testing.T) {
	ctx := context.Background()
	reps := twoReplicas(t)
	a, b := newChat(t, reps[0]), newChat(t, reps[1])
	a.start()
	b.thread, b.seq = a.thread, 1000 // same thread; message ids distinct
	var report *bot.Report
	for i := 0; i < 60 && report == nil; i++ {
		c := []*chat{a, b}[i%2]
		out := c.send(bot.KindReply, benchAnswer)
		if len(out) == 0 {
			t.Fatalf("answer %d got no reply", i)
		}
		for _, o := range out {
			if o.Report != nil {
				report = o.Report
			}
		}
	}
	if report == nil {
		t.Fatal("no report after 60 answers")
	}
	for _, s := range reps {
		st, err := s.Stats(ctx, a.user)
		if err != nil || st.Sessions != 1 || st.LastScore != report.Score || st.Points != report.Points {
			t.Errorf("Stats = %+v, %v; want one session of %d (%v points)", st, err, report.Score, report.Points)
		}
		board, err := s.Leaderboard(ctx, bot.Workspace{Platform: a.user.Platform, ID: a.user.Workspace}, bot.AllTime, 5, a.user.UserID)
		if err != nil || board.Viewer == nil || board.Viewer.Sessions != 1 || board.Viewer.Points != report.Points {
			t.Errorf("Leaderboard viewer = %+v, %v; want one session of %v points", board.Viewer, err, report.Points)
		}
	}
}

// TestEngineRemembersOnlyThroughCAS: a bot applies its user's next answer
// to the session it last saved, without reading it back (one round trip),
// and never trusts that copy further than a compare-and-swap: after the
// other replica moved the interview on, a "repeat" shows the current
// question and the next answer lands once, at the current step.
func TestEngineRemembersOnlyThroughCAS(t *testing.T) {
	ctx := context.Background()
	reps := twoReplicas(t)
	rec := &scriptRecorder{}
	reps[0].rdb.AddHook(rec)
	a, b := newChat(t, reps[0]), newChat(t, reps[1])
	a.start()
	b.thread, b.seq = a.thread, 1000

	a.send(bot.KindReply, "The goal is fewer fraud losses at a latency budget of 50 ms.")
	trips := 0
	a.seq++
	out, err := a.bot.Handle(withTripCounter(ctx, &trips), bot.Inbound{
		Platform: a.user.Platform, Workspace: a.user.Workspace, Channel: "C1", Thread: a.thread,
		UserID: a.user.UserID, UserName: "Ada", MessageID: fmt.Sprintf("msg-%d", a.seq), Text: benchAnswer, Kind: bot.KindReply,
	})
	if err != nil || len(out) == 0 {
		t.Fatalf("second answer on the same replica = %v, %v", out, err)
	}
	if trips != 1 {
		t.Errorf("second answer on the same replica took %d round trips, want 1 (the save)", trips)
	}

	// The other replica moves the interview on; a's copy is now stale.
	b.send(bot.KindReply, "next")
	moved, err := reps[1].ActiveSession(ctx, b.user)
	if err != nil {
		t.Fatal(err)
	}
	if moved.Step > bot.Monitoring {
		t.Fatalf("the interview reached %s; the test needs a step question", moved.Step)
	}
	heading := fmt.Sprintf("Step %d/%d", moved.Step, bot.Steps)
	out = a.send(bot.KindReply, "repeat")
	if got := joined(out); !strings.Contains(got, heading) {
		t.Errorf("repeat on the stale replica = %q, want the current question (%s)", got, heading)
	}

	a.send(bot.KindReply, benchAnswer)
	after, err := reps[0].ActiveSession(ctx, a.user)
	if err != nil {
		t.Fatal(err)
	}
	if after.Version != moved.Version+1 {
		t.Errorf("answer on the stale replica: version %d, want %d (applied once, on the current state)", after.Version, moved.Version+1)
	}
	if !strings.Contains(after.Answers[moved.Step].Text, benchAnswer) {
		t.Errorf("answer on the stale replica did not land in the current step %s: %+v", moved.Step, after.Answers[moved.Step])
	}
}
