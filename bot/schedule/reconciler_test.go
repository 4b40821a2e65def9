package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/clocktest"
	"github.com/mlsdbot/mlsd/bot/schedule"
)

type dstChannel struct {
	ch   bot.ChannelRef
	zone string
	spec string
	// dst pins the post time (UTC) of the DST dates.
	dst map[string]string
}

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestDSTPostsOncePerLocalDay (issue 7, acceptance 1): with an injected
// clock ticking every 10 minutes through weeks that hold a spring-forward
// and a fall-back date in America/New_York and Europe/Berlin, every
// channel posts exactly once on every local date its spec matches — a
// 02:30 schedule on a spring-forward night posts once, right after the
// jump; a 01:30 (New York) or 02:30 (Berlin) schedule on a fall-back night
// posts once, at the first of the two — and nothing on other dates.
func TestDSTPostsOncePerLocalDay(t *testing.T) {
	slack := func(c string) bot.ChannelRef { return bot.ChannelRef{Platform: bot.Slack, Workspace: "T1", Channel: c} }
	discord := func(c string) bot.ChannelRef {
		return bot.ChannelRef{Platform: bot.Discord, Workspace: "G1", Channel: c}
	}
	periods := []struct {
		name     string
		from, to time.Time // simulated span (UTC)
		channels []dstChannel
	}{
		{
			name: "spring forward",
			from: time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC), to: time.Date(2026, 4, 2, 12, 0, 0, 0, time.UTC),
			channels: []dstChannel{
				{ch: slack("ny-0230"), zone: "America/New_York", spec: "30 2 * * *", dst: map[string]string{"2026-03-08": "2026-03-08T07:30:00Z"}},
				{ch: slack("ny-weekdays"), zone: "America/New_York", spec: "0 9 * * 1-5"},
				{ch: discord("berlin-0230"), zone: "Europe/Berlin", spec: "30 2 * * *", dst: map[string]string{"2026-03-29": "2026-03-29T01:30:00Z"}},
				{ch: discord("berlin-weekdays"), zone: "Europe/Berlin", spec: "0 9 * * 1-5"},
			},
		},
		{
			name: "fall back",
			from: time.Date(2026, 10, 21, 12, 0, 0, 0, time.UTC), to: time.Date(2026, 11, 5, 12, 0, 0, 0, time.UTC),
			channels: []dstChannel{
				{ch: slack("ny-0130"), zone: "America/New_York", spec: "30 1 * * *", dst: map[string]string{"2026-11-01": "2026-11-01T05:30:00Z"}},
				{ch: slack("ny-weekdays"), zone: "America/New_York", spec: "0 9 * * 1-5"},
				{ch: discord("berlin-0230"), zone: "Europe/Berlin", spec: "30 2 * * *", dst: map[string]string{"2026-10-25": "2026-10-25T00:30:00Z"}},
				{ch: discord("berlin-weekdays"), zone: "Europe/Berlin", spec: "0 9 * * 1-5"},
			},
		},
	}
	for _, period := range periods {
		t.Run(period.name, func(t *testing.T) {
			clk := clocktest.New(period.from)
			plat := &platform{clk: clk}
			rep := newReplica(t, openBolt(t, clk), clk, library(t), plat, replicaOptions{})
			for _, c := range period.channels {
				admin(t, rep.bot, c.ch, "daily on "+c.spec+" "+c.zone)
			}
			for now := period.from; !now.After(period.to); now = now.Add(10 * time.Minute) {
				tickAll(t, clk, now, rep)
			}
			posts := plat.dailyPosts()
			for _, c := range period.channels {
				loc := mustLoad(t, c.zone)
				got := map[string]int{}
				for _, p := range posts[string(c.ch.Platform)+"/"+c.ch.Channel] {
					date := p.At.In(loc).Format(time.DateOnly)
					got[date]++
					if want, ok := c.dst[date]; ok && p.At.UTC().Format(time.RFC3339) != want {
						t.Errorf("%s: the post of %s went out at %s, want %s", c.ch.Channel, date, p.At.UTC().Format(time.RFC3339), want)
					}
				}
				for d := period.from.In(loc); !d.After(period.to); d = d.AddDate(0, 0, 1) {
					date := d.Format(time.DateOnly)
					want := 1
					if wd := d.Weekday(); strings.HasSuffix(c.spec, "1-5") && (wd == time.Saturday || wd == time.Sunday) {
						want = 0
					}
					// The first local date is only due if its post time comes after the schedule was set.
					if date == period.from.In(loc).Format(time.DateOnly) || date == period.to.In(loc).Format(time.DateOnly) {
						continue
					}
					if got[date] != want {
						t.Errorf("%s (%s): %d posts on %s, want %d", c.ch.Channel, c.spec, got[date], date, want)
					}
					delete(got, date)
				}
				for date, n := range got {
					if date != period.from.In(loc).Format(time.DateOnly) && date != period.to.In(loc).Format(time.DateOnly) {
						t.Errorf("%s: %d unexpected posts on %s", c.ch.Channel, n, date)
					}
				}
				for _, date := range mapKeys(c.dst) {
					if posts := countOn(posts[string(c.ch.Platform)+"/"+c.ch.Channel], loc, date); posts != 1 {
						t.Errorf("%s: %d posts on the DST date %s, want 1", c.ch.Channel, posts, date)
					}
				}
			}
		})
	}
}

func mapKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func countOn(posts []sent, loc *time.Location, date string) int {
	n := 0
	for _, p := range posts {
		if p.At.In(loc).Format(time.DateOnly) == date {
			n++
		}
	}
	return n
}

// TestEachPostRevealsThePreviousOnce: every post but the last gets one
// reveal and one follow-up question in its thread, at the next post.
func TestEachPostRevealsThePreviousOnce(t *testing.T) {
	start := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	clk := clocktest.New(start)
	plat := &platform{clk: clk}
	rep := newReplica(t, openBolt(t, clk), clk, library(t), plat, replicaOptions{})
	ch := bot.ChannelRef{Platform: bot.Slack, Workspace: "T1", Channel: "C1"}
	admin(t, rep.bot, ch, "daily on 0 9 * * * UTC")
	for now := start; now.Before(start.Add(5 * 24 * time.Hour)); now = now.Add(15 * time.Minute) {
		tickAll(t, clk, now, rep)
	}
	posts := plat.dailyPosts()["slack/C1"]
	if len(posts) != 5 {
		t.Fatalf("%d daily posts in 5 days, want 5", len(posts))
	}
	seen := map[string]bool{}
	for i, p := range posts {
		sc := p.Out.Text[:strings.Index(p.Out.Text, "\n")]
		if seen[sc] {
			t.Errorf("post %d repeats a case before the library is used up: %s", i, sc)
		}
		seen[sc] = true
		msgs := plat.inThread(p.Thread)
		if i == len(posts)-1 {
			if len(msgs) != 0 {
				t.Errorf("the last post already has %d messages in its thread", len(msgs))
			}
			continue
		}
		if len(msgs) != 3 || !strings.Contains(msgs[0].Out.Text, "Reveal") || msgs[1].Out.Picture == nil ||
			!strings.Contains(msgs[2].Out.Text, "Follow-up — bottlenecks and monitoring") {
			t.Fatalf("thread of post %d: %d messages %+v, want the reveal, the reference diagram, then the follow-up", i, len(msgs), msgs)
		}
		if !msgs[0].At.Equal(posts[i+1].At) {
			t.Errorf("reveal of post %d at %v, want with the next post at %v", i, msgs[0].At, posts[i+1].At)
		}
		if !strings.Contains(msgs[0].Out.Text, "Reference outline") || !strings.Contains(msgs[0].Out.Text, "Nobody answered") {
			t.Errorf("reveal of post %d lacks the outline or the participant count:\n%s", i, msgs[0].Out.Text)
		}
	}
}

// TestRevealAtConfiguredTime: with `reveal 17:00` the reveal goes out at
// 17:00 local on the post's day, once.
func TestRevealAtConfiguredTime(t *testing.T) {
	start := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	clk := clocktest.New(start)
	plat := &platform{clk: clk}
	rep := newReplica(t, openBolt(t, clk), clk, library(t), plat, replicaOptions{})
	ch := bot.ChannelRef{Platform: bot.Slack, Workspace: "T1", Channel: "C1"}
	admin(t, rep.bot, ch, "daily on 0 9 * * * Europe/Berlin reveal 17:00")
	for now := start; now.Before(start.Add(27 * time.Hour)); now = now.Add(10 * time.Minute) {
		tickAll(t, clk, now, rep)
	}
	posts := plat.dailyPosts()["slack/C1"]
	if len(posts) != 2 {
		t.Fatalf("%d posts, want 2", len(posts))
	}
	msgs := plat.inThread(posts[0].Thread)
	if len(msgs) != 3 {
		t.Fatalf("%d messages in the first thread, want the reveal, the diagram and the follow-up", len(msgs))
	}
	if want := time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC); !msgs[0].At.Equal(want) {
		t.Errorf("reveal at %v, want %v (17:00 CET)", msgs[0].At, want)
	}
}

// TestDowntime (issue 7, acceptance 3): the bot is down across the 09:00
// post. Back within the grace window: one catch-up post, when it returns.
// Back after it: no post that day and one log line saying so; the next
// day posts on time.
func TestDowntime(t *testing.T) {
	day := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		back     time.Time
		wantPost bool
	}{
		{"back within grace", day.Add(10*time.Hour + 30*time.Minute), true},
		{"back at the grace edge", day.Add(11 * time.Hour), true},
		{"back after grace", day.Add(11*time.Hour + 30*time.Minute), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clocktest.New(day)
			plat := &platform{clk: clk}
			logs := &logBuffer{}
			store := openBolt(t, clk)
			lib := library(t)
			rep := newReplica(t, store, clk, lib, plat, replicaOptions{grace: 2 * time.Hour, log: logs.logger()})
			ch := bot.ChannelRef{Platform: bot.Slack, Workspace: "T1", Channel: "C1"}
			admin(t, rep.bot, ch, "daily on 0 9 * * * UTC")
			for now := day; now.Before(day.Add(8*time.Hour + 55*time.Minute)); now = now.Add(time.Minute) {
				tickAll(t, clk, now, rep)
			}
			// Down. A new process comes back, on the same store.
			rep = newReplica(t, store, clk, lib, plat, replicaOptions{grace: 2 * time.Hour, log: logs.logger()})
			for now := tt.back; !now.After(day.Add(33 * time.Hour)); now = now.Add(time.Minute) {
				tickAll(t, clk, now, rep)
			}
			posts := plat.dailyPosts()["slack/C1"]
			var today, tomorrow []sent
			for _, p := range posts {
				if p.At.Before(day.Add(24 * time.Hour)) {
					today = append(today, p)
				} else {
					tomorrow = append(tomorrow, p)
				}
			}
			missed := strings.Count(logs.String(), "daily post missed beyond the grace window")
			if tt.wantPost {
				if len(today) != 1 || !today[0].At.Equal(tt.back) {
					t.Fatalf("today's posts: %+v, want one catch-up at %v", today, tt.back)
				}
				if missed != 0 {
					t.Errorf("logged %d missed posts, want none:\n%s", missed, logs)
				}
			} else {
				if len(today) != 0 {
					t.Fatalf("today's posts: %d, want none beyond the grace window", len(today))
				}
				if missed != 1 || !strings.Contains(logs.String(), "date=2026-03-03") {
					t.Errorf("logged %d missed posts, want one for 2026-03-03:\n%s", missed, logs)
				}
			}
			if len(tomorrow) != 1 || !tomorrow[0].At.Equal(day.Add(33*time.Hour)) {
				t.Fatalf("tomorrow's posts: %+v, want one at 09:00", tomorrow)
			}
		})
	}
}

// TestFailedPostRetriedOnce: the platform fails the first attempt; the
// claim's lease expires and a later tick posts, once.
func TestFailedPostRetriedOnce(t *testing.T) {
	start := time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC)
	clk := clocktest.New(start)
	plat := &platform{clk: clk}
	var failures atomic.Int32
	plat.fail = func(out bot.Outbound) error {
		if out.Where.Kind == bot.NewThread && failures.Add(1) == 1 {
			return errors.New("slack is down")
		}
		return nil
	}
	rep := newReplica(t, openBolt(t, clk), clk, library(t), plat, replicaOptions{})
	admin(t, rep.bot, bot.ChannelRef{Platform: bot.Slack, Workspace: "T1", Channel: "C1"}, "daily on 0 9 * * * UTC")
	for now := start; now.Before(start.Add(2 * time.Hour)); now = now.Add(30 * time.Second) {
		tickAll(t, clk, now, rep)
	}
	posts := plat.dailyPosts()["slack/C1"]
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	if want := start.Add(time.Hour + bot.DailyClaimLease); !posts[0].At.Equal(want) {
		t.Errorf("retried post at %v, want when the lease ran out at %v", posts[0].At, want)
	}
}

// TestDailyNow: `/mlsd daily now` wakes the reconciler and posts once;
// asking again the same day is refused, and the scheduled post of that
// date does not repeat it.
func TestDailyNow(t *testing.T) {
	start := time.Date(2026, 3, 3, 7, 0, 0, 0, time.UTC)
	clk := clocktest.New(start)
	plat := &platform{clk: clk}
	store := openBolt(t, clk)
	lib := library(t)
	wake := make(chan struct{}, 1)
	b, err := bot.New(bot.Config{Store: store, Daily: store, Calendar: &schedule.Calendar{}, Library: lib, Now: clk.Now,
		Intn: func(k int) int { return 0 }, DailyWake: func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	rec := schedule.New(b, schedule.Options{Posters: map[bot.Platform]schedule.Poster{bot.Slack: plat.poster(bot.Slack)}})
	rep := &replica{bot: b, rec: rec}
	ch := bot.ChannelRef{Platform: bot.Slack, Workspace: "T1", Channel: "C1"}
	admin(t, b, ch, "daily on 0 9 * * * UTC")
	now := func() []bot.Outbound {
		out, err := b.Handle(context.Background(), bot.Inbound{Platform: bot.Slack, Workspace: "T1", Channel: "C1", UserID: "admin",
			MessageID: fmt.Sprintf("now-%d", cmdSeq.Add(1)), Text: "daily now", Kind: bot.KindCommand, IsAdmin: true})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := now(); !strings.Contains(out[0].Text, "Posting today's challenge") {
		t.Fatalf("daily now = %q", out[0].Text)
	}
	select {
	case <-wake:
	default:
		t.Fatal("daily now did not wake the reconciler")
	}
	tickAll(t, clk, start.Add(time.Second), rep)
	if out := now(); !strings.Contains(out[0].Text, "already posted") {
		t.Fatalf("second daily now = %q, want a refusal", out[0].Text)
	}
	for t2 := start; t2.Before(start.Add(4 * time.Hour)); t2 = t2.Add(time.Minute) {
		tickAll(t, clk, t2, rep)
	}
	if posts := plat.dailyPosts()["slack/C1"]; len(posts) != 1 || !posts[0].At.Equal(start.Add(time.Second)) {
		t.Fatalf("posts = %+v, want one, right after daily now", posts)
	}
}

// countingDaily is a Daily that counts ticks, for Run's timing.
type countingDaily struct{ ticks atomic.Int32 }

func (d *countingDaily) DailySchedules(context.Context) ([]bot.DailySchedule, error) {
	d.ticks.Add(1)
	return nil, nil
}
func (d *countingDaily) PostDaily(context.Context, bot.DailySchedule, string, time.Time, bot.Poster) (bool, error) {
	return false, nil
}
func (d *countingDaily) PostRequested(context.Context, bot.DailySchedule, time.Time, bot.Poster) (bool, error) {
	return false, nil
}
func (d *countingDaily) RevealDaily(context.Context, bot.DailySchedule, time.Time, bot.Poster) (bool, error) {
	return false, nil
}
func (d *countingDaily) RunOutbox(context.Context, time.Time, func(bot.Platform) bot.Poster) (int, error) {
	return 0, nil
}

func (d *countingDaily) RunNudges(context.Context, time.Time, func(bot.Platform) bot.Poster) (int, error) {
	return 0, nil
}

// TestRunTicks: Run ticks at start, every period and on a wake-up, and
// returns when its context ends (fake time, no real waiting).
func TestRunTicks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &countingDaily{}
		wake := make(chan struct{})
		r := schedule.New(d, schedule.Options{Wake: wake})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- r.Run(ctx) }()
		synctest.Wait()
		if got := d.ticks.Load(); got != 1 {
			t.Fatalf("ticks after start = %d, want 1", got)
		}
		time.Sleep(schedule.DefaultEvery) // fake time: the bubble's clock jumps
		synctest.Wait()
		if got := d.ticks.Load(); got != 2 {
			t.Fatalf("ticks after one period = %d, want 2", got)
		}
		wake <- struct{}{}
		synctest.Wait()
		if got := d.ticks.Load(); got != 3 {
			t.Fatalf("ticks after a wake-up = %d, want 3", got)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v, want nil after cancel", err)
		}
	})
}

// TestObserveClaimLost: two replicas on one store tick together for a
// week of daily posts; each post is observed once as "posted" (by the
// replica that made it) and once as "claim_lost" (by the other).
func TestObserveClaimLost(t *testing.T) {
	from := time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)
	clk := clocktest.New(from)
	plat := &platform{clk: clk}
	s := openBolt(t, clk)
	var mu sync.Mutex
	events := map[string]int{}
	observe := func(event string, p bot.Platform) {
		mu.Lock()
		defer mu.Unlock()
		events[event+"/"+string(p)]++
	}
	a := newReplica(t, s, clk, library(t), plat, replicaOptions{observe: observe})
	b := newReplica(t, s, clk, library(t), plat, replicaOptions{observe: observe})
	admin(t, a.bot, bot.ChannelRef{Platform: bot.Slack, Workspace: "T1", Channel: "C1"}, "daily on 0 9 * * * UTC")
	for now := from; now.Before(from.Add(7 * 24 * time.Hour)); now = now.Add(30 * time.Minute) {
		tickAll(t, clk, now, a, b)
	}
	posted := len(plat.dailyPosts()["slack/C1"])
	if posted != 7 || events["posted/slack"] != 7 {
		t.Fatalf("posts %d, observed posted %d; want 7 each", posted, events["posted/slack"])
	}
	if events["claim_lost/slack"] > 7 {
		t.Fatalf("observed %d lost claims for 7 posts", events["claim_lost/slack"])
	}
	t.Logf("events: %v", events)
}
