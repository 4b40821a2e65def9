package slack

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
	"github.com/mlsdbot/mlsd/bot/clocktest"
	"github.com/mlsdbot/mlsd/bot/schedule"
)

// The daily challenge through the real slack-go client, the adapter and
// the fake Slack: the reconciler posts through Adapter.Post, people answer
// in the thread over Socket Mode.

const admin = "UADMIN"

type dailyWorld struct {
	*world
	clk   *clocktest.Clock
	store *bolt.Store
	rec   *schedule.Reconciler
}

func newDailyWorld(t *testing.T) *dailyWorld {
	t.Helper()
	clk := clocktest.New(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)) // a Monday
	store, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	lib, err := library()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	n := 0
	b, err := bot.New(bot.Config{Store: store, Daily: store, Calendar: &schedule.Calendar{}, Library: lib, Now: clk.Now,
		Intn: func(k int) int { mu.Lock(); defer mu.Unlock(); n++; return n % k }})
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, worldOpts{interviewer: b})
	w.store, w.bot = store, b
	w.fake.AddUser(fakeslack.User{ID: admin, Name: "root", DisplayName: "Root", IsAdmin: true})
	rec := schedule.New(b, schedule.Options{Posters: map[bot.Platform]schedule.Poster{bot.Slack: w.ad}})
	return &dailyWorld{world: w, clk: clk, store: store, rec: rec}
}

func (w *dailyWorld) tick(at time.Time) {
	w.t.Helper()
	w.clk.Set(at)
	if err := w.rec.Tick(context.Background(), at); err != nil {
		w.t.Fatalf("Tick(%v) = %v", at, err)
	}
}

// dailyRoots are the bot's daily posts in general, oldest first.
func (w *dailyWorld) dailyRoots() []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range w.fake.Messages() {
		if m.Channel == general && m.ThreadTS == "" && m.BotID != "" && strings.Contains(m.Text, "Daily ML system design challenge") {
			out = append(out, m)
		}
	}
	return out
}

func (w *dailyWorld) lastEphemeral(user string) string {
	w.t.Helper()
	e := w.ephemerals(user)
	if len(e) == 0 {
		w.t.Fatalf("no private note to %s", user)
	}
	return e[len(e)-1].Text
}

const (
	lightningStrong = "Because late arrivals hurt trust, I would first clarify the business goal, the scale of 40k requests per second and the 50 ms latency budget; frame it as regression on the routing engine's estimate with actual trip times as labels; build streaming features from GPS pings and avoid leakage; start with a baseline and gradient boosted trees; evaluate offline with MAE and online with an A/B test; serve with a canary behind an API; and monitor drift, latency and retrain."
	lightningWeak   = "I think we should just use a big neural network and train it on all the trip data we have."
	followUp        = "The first bottleneck is the GPS stream and the speed store at ten times the load, so I would partition them by region; for the late arrivals I would slice the error by city and hour, check for drift and a stale feed, alert on it, and roll back or retrain."
)

// TestDailyChallengeSlack (issue 7, acceptances 4 and 5 on Slack): a
// member's `/mlsd daily on` is refused; an admin's schedules the channel;
// the 09:00 post goes out through the adapter; two people answer in the
// thread and each privately gets a score; the next day's post reveals
// yesterday's in its thread with the follow-up question; a follow-up reply
// is graded privately; a second day's answer extends the streak.
func TestDailyChallengeSlack(t *testing.T) {
	w := newDailyWorld(t)
	ctx := context.Background()

	w.act(1, w.fake.SlashCommand(bob, general, "daily on 0 9 * * * UTC"))
	if got := w.lastEphemeral(bob); !strings.Contains(got, "Only workspace admins and owners can change the daily challenge") {
		t.Fatalf("member's daily on: %q", got)
	}
	if _, err := w.store.DailySchedule(ctx, bot.ChannelRef{Platform: bot.Slack, Workspace: teamID, Channel: general}); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("a member's daily on stored something: %v", err)
	}
	w.act(1, w.fake.SlashCommand(admin, general, "daily on 0 25 * * * UTC"))
	if got := w.lastEphemeral(admin); !strings.Contains(got, "above maximum (23)") {
		t.Fatalf("admin's bad cron: %q", got)
	}
	w.act(1, w.fake.SlashCommand(admin, general, "daily on 0 9 * * * UTC"))
	if got := w.lastEphemeral(admin); !strings.Contains(got, "Daily challenge on") {
		t.Fatalf("admin's daily on: %q", got)
	}

	day1 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	w.tick(day1.Add(-time.Minute))
	if n := len(w.dailyRoots()); n != 0 {
		t.Fatalf("%d posts before 09:00", n)
	}
	w.tick(day1)
	w.tick(day1.Add(30 * time.Second)) // a second tick posts nothing more
	roots := w.dailyRoots()
	if len(roots) != 1 || !strings.Contains(string(roots[0].Blocks), "Start the full interview") || !strings.Contains(string(roots[0].Blocks), "Answer privately") {
		t.Fatalf("daily posts after 09:00: %+v", roots)
	}
	root := roots[0]

	_, envs := w.fake.UserMessage(alice, general, root.TS, lightningStrong)
	w.act(1, envs...)
	_, envs = w.fake.UserMessage(bob, general, root.TS, lightningWeak)
	w.act(1, envs...)
	aliceNote, bobNote := w.lastEphemeral(alice), w.lastEphemeral(bob)
	if !strings.Contains(aliceNote, "Your daily answer:") || !strings.Contains(bobNote, "Your daily answer:") {
		t.Fatalf("private scores: alice %q, bob %q", aliceNote, bobNote)
	}
	// The private feedback quotes what earned points and names one thing to add.
	for _, want := range []string{"✓ Earned — ", "“", "➕ To add — "} {
		if !strings.Contains(aliceNote, want) {
			t.Errorf("alice's private score lacks %q:\n%s", want, aliceNote)
		}
	}
	if pub := w.threadMsgs(general, root.TS); len(pub) != 0 {
		t.Fatalf("the bot answered publicly in the daily thread: %+v", pub)
	}

	day2 := day1.Add(24 * time.Hour)
	w.clk.Set(day2.Add(-time.Hour))
	w.tick(day2)
	if n := len(w.dailyRoots()); n != 2 {
		t.Fatalf("%d daily posts after the second day, want 2", n)
	}
	// The reveal (split where Slack's limits require it), then the follow-up.
	thread := w.threadMsgs(general, root.TS)
	if len(thread) < 2 {
		t.Fatalf("%d bot messages in yesterday's thread, want the reveal and the follow-up: %+v", len(thread), thread)
	}
	var reveal strings.Builder
	for _, m := range thread[:len(thread)-1] {
		reveal.WriteString(m.Text + "\n")
	}
	if r := reveal.String(); !strings.HasPrefix(r, "🔎 *Reveal") || !strings.Contains(r, "2 people") || !strings.Contains(r, "1. Alice") || !strings.Contains(r, "Reference outline") || !strings.Contains(r, "Step 7") {
		t.Errorf("reveal:\n%s", r)
	}
	if f := thread[len(thread)-1].Text; !strings.Contains(f, "Follow-up — bottlenecks and monitoring") {
		t.Errorf("follow-up:\n%s", f)
	}
	// The reference diagram is uploaded into the thread after the reveal.
	if pics := w.pictures(general, root.TS); len(pics) != 1 || !strings.HasSuffix(pics[0].Files[0].Name, "-architecture.png") ||
		pics[0].TS <= thread[len(thread)-2].TS {
		t.Errorf("pictures in the daily thread: %+v, want the reference diagram after the reveal", pics)
	}
	_, envs = w.fake.UserMessage(bob, general, root.TS, followUp)
	w.act(1, envs...)
	if got := w.lastEphemeral(bob); !strings.Contains(got, "Your follow-up answer:") || !strings.Contains(got, "✓ Earned — ") || !strings.Contains(got, "➕ To add — ") {
		t.Fatalf("follow-up reply: %q", got)
	}

	// Alice answers the second day too: a two-day streak.
	_, envs = w.fake.UserMessage(alice, general, w.dailyRoots()[1].TS, lightningStrong)
	w.act(1, envs...)
	st, err := w.store.Stats(ctx, bot.UserKey{Platform: bot.Slack, Workspace: teamID, UserID: alice})
	if err != nil || st.Streak != 2 || st.BestStreak != 2 || st.Points == 0 {
		t.Fatalf("alice's stats = %+v, %v; want a 2-day streak with points", st, err)
	}
	if st, _ := w.store.Stats(ctx, bot.UserKey{Platform: bot.Slack, Workspace: teamID, UserID: bob}); st.Streak != 1 {
		t.Fatalf("bob's streak = %d, want 1 (the follow-up does not count)", st.Streak)
	}
}
