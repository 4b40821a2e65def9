package discord_test

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
	"github.com/mlsdbot/mlsd/bot/chattest/fakediscord"
	"github.com/mlsdbot/mlsd/bot/clocktest"
	"github.com/mlsdbot/mlsd/bot/discord"
	"github.com/mlsdbot/mlsd/bot/schedule"
	"github.com/mlsdbot/mlsd/scenarios"
)

// The daily challenge through the real discordgo client, the adapter and
// the fake Discord: the reconciler posts through Adapter.Post, members
// answer in the thread (MESSAGE_CONTENT on) or through the post's form.

const (
	lightningStrong = "Because late arrivals hurt trust, I would first clarify the business goal, the scale of 40k requests per second and the 50 ms latency budget; frame it as regression on the routing engine's estimate with actual trip times as labels; build streaming features from GPS pings and avoid leakage; start with a baseline and gradient boosted trees; evaluate offline with MAE and online with an A/B test; serve with a canary behind an API; and monitor drift, latency and retrain."
	lightningForm   = "I would clarify the goal and the latency budget, frame it as regression with actual durations as labels, use GPS and weather features, train gradient boosted trees, check MAE offline and run an A/B test, deploy as a service and monitor drift."
	followUp        = "The first bottleneck is the GPS stream and the speed store at ten times the load, so I would partition them by region; for the late arrivals I would slice the error by city and hour, check for drift and a stale feed, alert on it, and roll back or retrain."
)

func adminDaily(srv *fakediscord.Server, u fakediscord.User, sub string, opts ...fakediscord.Opt) *fakediscord.Interaction {
	return srv.Command(u, srv.Channel, "mlsd-admin", []string{"daily", sub}, opts...)
}

// privateTo matches an ephemeral reply or a DM with text: something only
// the member sees.
func privateTo(texts ...string) func(fakediscord.MessageEvent) bool {
	return func(e fakediscord.MessageEvent) bool {
		if e.Kind != "create" && e.Kind != "edit" {
			return false
		}
		for _, text := range texts {
			if !strings.Contains(e.Message.Text(), text) {
				return false
			}
		}
		// A DM carries no guild (the matcher runs under the fake's lock, so
		// it must not call back into the fake).
		return e.Message.Ephemeral() || e.Message.GuildID == ""
	}
}

// TestDailyChallengeDiscord (issue 7, acceptances 4 and 5 on Discord): a
// member without Manage Server is refused; an admin's bad zone is refused
// with nothing stored; the admin's schedule posts at 09:00 in a public
// thread; one member answers in the thread (score by DM), another through
// the post's form (ephemeral score); the next post reveals yesterday's with
// the follow-up question; a follow-up reply is graded; a second day's
// answer extends the streak.
func TestDailyChallengeDiscord(t *testing.T) {
	ctx := context.Background()
	srv := fakediscord.New(t, fakediscord.Options{MessageContentAllowed: true})
	alice := srv.AddUser("alice", false)
	bob := srv.AddUser("bob", false)
	root := srv.AddUser("root", true)

	clk := clocktest.New(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	store, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	lib, err := scenarios.Load("")
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
	e := start(t, srv, discord.Config{Interviewer: b, Library: lib, MessageContent: true}, true)
	srv.AwaitGateway(t, "identify")
	rec := schedule.New(b, schedule.Options{Posters: map[bot.Platform]schedule.Poster{bot.Discord: e.a}})
	tick := func(at time.Time) {
		t.Helper()
		clk.Set(at)
		if err := rec.Tick(ctx, at); err != nil {
			t.Fatalf("Tick(%v) = %v", at, err)
		}
	}
	ch := bot.ChannelRef{Platform: bot.Discord, Workspace: srv.GuildID, Channel: srv.Channel}

	srv.Dispatch(adminDaily(srv, bob, "on", fakediscord.Opt{Name: "cron", Value: "0 9 * * *"}, fakediscord.Opt{Name: "timezone", Value: "UTC"}))
	srv.AwaitMessage(t, "refusal", privateTo("Only members with the **Manage Server** or **Administrator** permission can change the daily challenge"))
	srv.Dispatch(adminDaily(srv, root, "on", fakediscord.Opt{Name: "timezone", Value: "Mars/Olympus"}))
	srv.AwaitMessage(t, "bad zone", privateTo("is not a time zone I know"))
	if _, err := store.DailySchedule(ctx, ch); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("refused commands stored something: %v", err)
	}
	srv.Dispatch(adminDaily(srv, root, "on", fakediscord.Opt{Name: "cron", Value: "0 9 * * *"}, fakediscord.Opt{Name: "timezone", Value: "UTC"}))
	srv.AwaitMessage(t, "confirmation", privateTo("Daily challenge on"))

	day1 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tick(day1)
	tick(day1.Add(30 * time.Second))
	post := srv.AwaitMessage(t, "daily post", containing("create", srv.Channel, "Daily ML system design challenge"))
	s, err := store.DailySchedule(ctx, ch)
	if err != nil || s.Last == nil {
		t.Fatalf("DailySchedule after the post = %+v, %v", s, err)
	}
	thread, ok := srv.ChannelByID(s.Last.Thread)
	if !ok || !thread.IsThread() || thread.ParentID != srv.Channel || thread.StartMessage != post.ID {
		t.Fatalf("the daily thread %+v is not a public thread on the post", thread)
	}
	if _, ok := post.Button("Answer privately"); !ok {
		t.Fatalf("the post has no Answer privately button: %+v", post.Buttons())
	}

	srv.Say(alice, thread.ID, lightningStrong)
	srv.AwaitMessage(t, "alice's private score", privateTo("Your daily answer:", "✓ Earned — ", "➕ To add — "))
	click := srv.Click(t, bob, post, "Answer privately")
	srv.Dispatch(click)
	srv.Dispatch(srv.Submit(t, bob, srv.AwaitModal(t, click), lightningForm))
	srv.AwaitMessage(t, "bob's private score", privateTo("Your daily answer:"))
	for _, m := range srv.Messages(thread.ID) {
		if m.Author.ID == srv.Bot.ID {
			t.Fatalf("the bot answered publicly in the daily thread: %q", m.Text())
		}
	}

	tick(day1.Add(24 * time.Hour))
	reveal := srv.AwaitMessage(t, "reveal", containing("create", thread.ID, "Reveal"))
	srv.AwaitMessage(t, "follow-up", containing("create", thread.ID, "Follow-up — bottlenecks and monitoring"))
	if r := reveal.Text(); !strings.Contains(r, "2 people") || !strings.Contains(r, "1. alice") {
		t.Errorf("reveal:\n%s", r)
	}
	if out := srv.Messages(thread.ID); !strings.Contains(joinTexts(out), "Reference outline") {
		t.Errorf("the reveal lacks the reference outline")
	}
	srv.Say(bob, thread.ID, followUp)
	srv.AwaitMessage(t, "graded follow-up", privateTo("Your follow-up answer:", "✓ Earned — ", "➕ To add — "))

	s, _ = store.DailySchedule(ctx, ch)
	srv.Say(alice, s.Last.Thread, lightningStrong)
	srv.AwaitMessage(t, "alice's second score", privateTo("streak 2 days"))
	st, err := store.Stats(ctx, bot.UserKey{Platform: bot.Discord, Workspace: srv.GuildID, UserID: alice.ID})
	if err != nil || st.Streak != 2 || st.Points == 0 {
		t.Fatalf("alice's stats = %+v, %v; want a 2-day streak with points", st, err)
	}
}

func joinTexts(ms []fakediscord.Message) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(m.Text() + "\n")
	}
	return b.String()
}
