package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
)

func (h *dailyHarness) posters(p bot.Platform) bot.Poster {
	if p == bot.Console {
		return nil
	}
	return h.post
}

func (h *dailyHarness) runNudges(at time.Time) int {
	h.t.Helper()
	h.clock.Set(at)
	n, err := h.bot.RunNudges(context.Background(), at, h.posters)
	if err != nil {
		h.t.Fatalf("RunNudges(%v) = %v", at, err)
	}
	return n
}

// startInterview starts an interview for user and binds it to thread.
func (h *dailyHarness) startInterview(user, thread string) bot.Session {
	h.t.Helper()
	out := h.cmd(user, false, "start")
	if len(out) < 2 || out[0].Where.Kind != bot.NewThread {
		h.t.Fatalf("start: %s", texts(out))
	}
	key := bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: user}
	if err := h.bot.AttachThread(context.Background(), key, out[0].Session, "C1", thread); err != nil {
		h.t.Fatal(err)
	}
	s, err := h.store.ActiveSession(context.Background(), key)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// TestNudgeThenAbandon: one nudge naming the step after a day without an
// answer, none repeated; an answer starts a new idle stretch (and a new
// nudge); three idle days close the interview as abandoned, with a note.
func TestNudgeThenAbandon(t *testing.T) {
	h := newDailyHarness(t, time.UTC)
	s := h.startInterview("ada", "th-ada")
	t0 := s.Updated
	if n := h.runNudges(t0.Add(23 * time.Hour)); n != 0 {
		t.Fatalf("%d messages before the idle time", n)
	}
	if n := h.runNudges(t0.Add(24 * time.Hour)); n != 1 {
		t.Fatalf("%d messages at the idle time, want one nudge", n)
	}
	nudge := h.post.inThread("th-ada")
	if len(nudge) != 1 || !strings.Contains(nudge[0].Text, "is waiting at **step 1/7 (Clarify requirements)**") || !strings.Contains(nudge[0].Text, "ADA") {
		t.Fatalf("nudge: %+v", nudge)
	}
	// The check moves to the abandonment time: nothing more meanwhile.
	for _, d := range []time.Duration{25, 30, 48, 71} {
		if n := h.runNudges(t0.Add(d * time.Hour)); n != 0 {
			t.Fatalf("%d messages %dh after the last answer, want none", n, d)
		}
	}
	// An answer 71h in starts over: a new nudge a day later, no abandonment at 72h.
	h.clock.Set(t0.Add(71 * time.Hour))
	h.reply("ada", "th-ada", answer)
	if n := h.runNudges(t0.Add(72 * time.Hour)); n != 0 {
		t.Fatalf("%d messages right after an answer", n)
	}
	if n := h.runNudges(t0.Add(95 * time.Hour)); n != 1 {
		t.Fatalf("%d messages a day after the answer, want a second nudge", n)
	}
	if got := h.post.inThread("th-ada"); !strings.Contains(got[len(got)-1].Text, "is waiting at") {
		t.Fatalf("second nudge: %q", got[len(got)-1].Text)
	}
	if n := h.runNudges(t0.Add(143 * time.Hour)); n != 1 {
		t.Fatalf("%d messages three days after the answer, want the closing note", n)
	}
	msgs := h.post.inThread("th-ada")
	if last := msgs[len(msgs)-1].Text; !strings.Contains(last, "was closed after 3 days without an answer") {
		t.Fatalf("closing note: %q", last)
	}
	key := bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "ada"}
	got, err := h.store.Session(context.Background(), key, s.ID)
	if err != nil || got.Status != bot.Abandoned {
		t.Fatalf("session after abandonment: %+v, %v", got.Status, err)
	}
	if _, err := h.store.ActiveSession(context.Background(), key); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("ActiveSession after abandonment = %v, want ErrNotFound", err)
	}
	if n := h.runNudges(t0.Add(300 * time.Hour)); n != 0 {
		t.Fatalf("%d messages after the session closed", n)
	}
	if st, _ := h.store.Stats(context.Background(), key); st.Sessions != 0 {
		t.Fatalf("an abandoned interview counted: %+v", st)
	}
}

// TestNudgeLeavesFinishedAndConsoleAlone: an interview the user ended, or
// one on a platform without a poster, gets no message.
func TestNudgeLeavesFinishedAndConsoleAlone(t *testing.T) {
	h := newDailyHarness(t, time.UTC)
	s := h.startInterview("bob", "th-bob")
	h.reply("bob", "th-bob", "end")
	h.ch = bot.ChannelRef{Platform: bot.Console, Workspace: "local", Channel: "console"}
	h.cmd("cy", false, "start")
	if n := h.runNudges(s.Updated.Add(80 * time.Hour)); n != 0 {
		t.Fatalf("%d messages, want none", n)
	}
	if len(h.post.sent) != 0 {
		t.Fatalf("posted %+v", h.post.sent)
	}
	// Their entries are gone: nothing is due later either.
	if due, err := h.store.DueNudges(context.Background(), s.Updated.Add(1000*time.Hour), 10, time.Minute); err != nil || len(due) != 0 {
		t.Fatalf("DueNudges after the checks = %+v, %v; want none left", due, err)
	}
}

func TestNudgeConfig(t *testing.T) {
	h := newHarness(t)
	_, err := bot.New(bot.Config{Store: h.store, Library: h.lib, Intn: func(int) int { return 0 }, NudgeAfter: 48 * time.Hour, AbandonAfter: 24 * time.Hour})
	if err == nil || !strings.Contains(err.Error(), "AbandonAfter") {
		t.Fatalf("New with AbandonAfter < NudgeAfter = %v, want an error", err)
	}
}

// refusingPoster fails every post, as a platform that is down.
type refusingPoster struct{}

func (refusingPoster) Post(context.Context, bot.Outbound) (string, error) {
	return "", errors.New("fake platform: 503")
}

// TestAbandonNoteLossIsLoggedTruly (issue 12, review 8): when the abandon
// note cannot be posted the session is closed all the same and nothing
// will retry the note; the log must say so, not "retried after the lease".
func TestAbandonNoteLossIsLoggedTruly(t *testing.T) {
	h := newDailyHarness(t, time.UTC)
	var logs strings.Builder
	b, err := bot.New(bot.Config{Store: h.store, Daily: h.store, Library: h.lib, Now: h.clock.Now, Intn: func(int) int { return 0 },
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s := h.startInterview("ada", "th-ada")
	for _, d := range []time.Duration{24, 72} { // the nudge, then the abandonment
		at := s.Updated.Add(d * time.Hour)
		h.clock.Set(at)
		if _, err := b.RunNudges(context.Background(), at, func(bot.Platform) bot.Poster { return refusingPoster{} }); err != nil {
			t.Fatal(err)
		}
	}
	got, err := h.store.Session(context.Background(), s.User, s.ID)
	if err != nil || got.Status != bot.Abandoned {
		t.Fatalf("session = %v, %v; want it closed as abandoned", got.Status, err)
	}
	if strings.Contains(logs.String(), "retried after the lease") || strings.Count(logs.String(), "message not delivered; the session change stands and the message is not retried") != 2 {
		t.Errorf("logs do not say the nudge and the note are lost for good:\n%s", logs.String())
	}
}
