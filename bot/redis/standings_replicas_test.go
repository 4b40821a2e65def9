package redis

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/clocktest"
	"github.com/mlsdbot/mlsd/bot/schedule"
	"github.com/mlsdbot/mlsd/scenarios"
)

// progressReplicas is dailyReplicas with the progress port wired, so the
// standings post hides opted-out names.
func progressReplicas(t *testing.T, n int, clk *clocktest.Clock, plat *sharedPlatform) []dailyReplica {
	t.Helper()
	redisURL, _ := testServer(t)
	prefix := testPrefix(t)
	list, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	lib := bot.NewLibrary(list...)
	reps := make([]dailyReplica, n)
	for i := range reps {
		// The store keeps the real clock: it counts board retention from
		// its now, and the server expires keys on real time, so simulated
		// weeks in the past would have their boards expire at once.
		s := openTestStore(t, redisURL, Options{Prefix: prefix})
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		var mu sync.Mutex
		b, err := bot.New(bot.Config{
			Store: s, Daily: s, Progress: s, Calendar: &schedule.Calendar{}, Library: lib, Now: clk.Now, Location: time.UTC,
			Intn: func(k int) int { mu.Lock(); defer mu.Unlock(); return rng.IntN(k) },
		})
		if err != nil {
			t.Fatal(err)
		}
		reps[i] = dailyReplica{bot: b, store: s, lib: lib, rec: schedule.New(b, schedule.Options{Posters: map[bot.Platform]schedule.Poster{
			bot.Slack: platformPoster{plat, bot.Slack}, bot.Discord: platformPoster{plat, bot.Discord},
		}})}
	}
	return reps
}

// TestStandingsTwoReplicasAcrossDST (issue 14, acceptance 3, and 2 for
// the standings post): two replicas on one Redis tick together for four
// weeks that include the US and EU changes to summer time. Every channel
// with a daily schedule gets exactly one standings post per local week,
// in the first day after its local Monday 00:00; the names of people who
// opted out show as "anonymous".
func TestStandingsTwoReplicasAcrossDST(t *testing.T) {
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC) // a Monday; US DST starts 8 March, EU 29 March
	clk := clocktest.New(start)
	plat := &sharedPlatform{clk: clk}
	reps := progressReplicas(t, 2, clk, plat)
	channels := []struct {
		ch   bot.ChannelRef
		zone string
	}{
		{bot.ChannelRef{Platform: bot.Slack, Workspace: "T1", Channel: "C-ber"}, "Europe/Berlin"},
		{bot.ChannelRef{Platform: bot.Slack, Workspace: "T1", Channel: "C-ny"}, "America/New_York"},
		{bot.ChannelRef{Platform: bot.Discord, Workspace: "G1", Channel: "D-syd"}, "Australia/Sydney"}, // leaves summer time 5 April
	}
	for i, c := range channels {
		out := handle(t, reps[i%2].bot, bot.Inbound{Platform: c.ch.Platform, Workspace: c.ch.Workspace, Channel: c.ch.Channel,
			UserID: "admin", MessageID: "on-" + c.ch.Channel, Text: "daily on 0 9 * * * " + c.zone, Kind: bot.KindCommand, IsAdmin: true})
		if !strings.Contains(out[0].Text, "Daily challenge on") {
			t.Fatalf("daily on: %q", out[0].Text)
		}
	}
	for _, ws := range []struct {
		p  bot.Platform
		id string
	}{{bot.Slack, "T1"}, {bot.Discord, "G1"}} {
		handle(t, reps[1].bot, bot.Inbound{Platform: ws.p, Workspace: ws.id, Channel: "any", UserID: "bob", MessageID: "optout-" + ws.id, Text: "optout", Kind: bot.KindCommand})
	}
	const lightning = "Because the goal is retention, I would first clarify the business objective, users and latency, then frame it as ranking, build features from interaction logs with labels, train a model, evaluate offline with precision and online with an A/B test, serve it behind an API with a canary, and monitor drift and latency."
	answered := map[string]bool{}
	end := start.Add(28 * 24 * time.Hour)
	for now := start.Add(15 * time.Minute); now.Before(end); now = now.Add(15 * time.Minute) {
		tickTogether(t, clk, now, reps)
		for _, m := range plat.messages() {
			if m.out.Where.Kind != bot.NewThread || answered[m.thread] {
				continue
			}
			answered[m.thread] = true
			ws := "T1"
			if m.platform == bot.Discord {
				ws = "G1"
			}
			for i, user := range []string{"ada", "bob"} {
				out := handle(t, reps[i].bot, bot.Inbound{Platform: m.platform, Workspace: ws, Channel: m.out.Where.Channel, Thread: m.thread,
					UserID: user, UserName: strings.ToUpper(user), MessageID: fmt.Sprintf("%s-%s", m.thread, user), Text: lightning, Kind: bot.KindReply})
				if len(out) != 1 || !strings.Contains(out[0].Text, "Your daily answer") {
					t.Fatalf("%s's daily answer in %s: %+v", user, m.thread, out)
				}
			}
		}
	}

	posts := map[string]map[string]int{} // channel → week → standings posts
	for _, m := range plat.messages() {
		if !strings.HasPrefix(m.out.Text, "🏆 **Weekly standings — ") {
			continue
		}
		week := strings.TrimSuffix(strings.Fields(strings.TrimPrefix(m.out.Text, "🏆 **Weekly standings — "))[0], "**")
		if posts[m.out.Where.Channel] == nil {
			posts[m.out.Where.Channel] = map[string]int{}
		}
		posts[m.out.Where.Channel][week]++
		var zone string
		for _, c := range channels {
			if c.ch.Channel == m.out.Where.Channel {
				zone = c.zone
			}
		}
		loc, _ := time.LoadLocation(zone)
		local := m.at.In(loc)
		if local.Weekday() != time.Monday {
			t.Errorf("%s: standings of %s posted %s, not on the local Monday after the week", m.out.Where.Channel, week, local.Format(time.RFC3339))
		}
		if wk, _ := bot.StandingsWeek(m.at, loc); wk != week {
			t.Errorf("%s: standings of %s posted during the week after %s", m.out.Where.Channel, week, wk)
		}
		if m.out.Where.Kind != bot.InThread || m.out.Where.Thread != "" {
			t.Errorf("standings not posted at the top of the channel: %+v", m.out.Where)
		}
		if !strings.Contains(m.out.Text, "anonymous — ") || strings.Contains(m.out.Text, "BOB") || !strings.Contains(m.out.Text, "ADA — ") {
			t.Errorf("standings of %s in %s do not hide bob's name (only his):\n%s", week, m.out.Where.Channel, m.out.Text)
		}
	}
	if msgs := plat.messages(); len(msgs) > 0 {
		for i := len(msgs) - 1; i >= 0; i-- {
			if strings.HasPrefix(msgs[i].out.Text, "🏆") {
				t.Logf("the last standings post:\n%s", msgs[i].out.Text)
				break
			}
		}
	}
	// Weeks 10 to 13 of 2026 end inside the run (the first, week 10,
	// ends on 9 March local); each channel gets each exactly once.
	for _, c := range channels {
		for _, week := range []string{"2026-W10", "2026-W11", "2026-W12", "2026-W13"} {
			if n := posts[c.ch.Channel][week]; n != 1 {
				t.Errorf("%s: %d standings posts for %s, want 1", c.ch.Channel, n, week)
			}
		}
		if len(posts[c.ch.Channel]) != 4 {
			t.Errorf("%s: standings for weeks %v, want W10-W13", c.ch.Channel, posts[c.ch.Channel])
		}
	}
}
