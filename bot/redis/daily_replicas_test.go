package redis

import (
	"context"
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

// The daily challenge across replicas: two bot processes, each with its own
// Store (connection pool) on one Redis and one key prefix, each running a
// reconciler, ticking together on an injected clock.

// sharedPlatform is a fake chat platform both replicas post into.
type sharedPlatform struct {
	mu   sync.Mutex
	clk  *clocktest.Clock
	seq  int
	sent []platformMessage
}

type platformMessage struct {
	platform bot.Platform
	out      bot.Outbound
	at       time.Time
	thread   string
}

type platformPoster struct {
	p    *sharedPlatform
	name bot.Platform
}

func (pp platformPoster) Post(_ context.Context, out bot.Outbound) (string, error) {
	p := pp.p
	p.mu.Lock()
	defer p.mu.Unlock()
	thread := out.Where.Thread
	if out.Where.Kind == bot.NewThread {
		p.seq++
		thread = fmt.Sprintf("%s-th%d", pp.name, p.seq)
	}
	p.sent = append(p.sent, platformMessage{platform: pp.name, out: out, at: p.clk.Now(), thread: thread})
	return thread, nil
}

func (p *sharedPlatform) messages() []platformMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]platformMessage(nil), p.sent...)
}

type dailyReplica struct {
	bot   *bot.Bot
	rec   *schedule.Reconciler
	store *Store
	lib   *bot.Library
}

// dailyReplicas opens n replicas on one Redis and prefix.
func dailyReplicas(t *testing.T, n int, clk *clocktest.Clock, plat *sharedPlatform) []dailyReplica {
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
		s := openTestStore(t, redisURL, Options{Prefix: prefix, Now: clk.Now})
		rng := rand.New(rand.NewPCG(uint64(i), 42))
		var mu sync.Mutex
		b, err := bot.New(bot.Config{
			Store: s, Daily: s, Calendar: &schedule.Calendar{}, Library: lib, Now: clk.Now, Location: time.UTC,
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

// tickTogether runs every replica's Tick at now concurrently.
func tickTogether(t *testing.T, clk *clocktest.Clock, now time.Time, reps []dailyReplica) {
	t.Helper()
	clk.Set(now)
	var wg sync.WaitGroup
	errs := make([]error, len(reps))
	for i, r := range reps {
		wg.Go(func() { errs[i] = r.rec.Tick(context.Background(), now) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("Tick(%v) = %v", now, err)
		}
	}
}

func handle(t *testing.T, b *bot.Bot, in bot.Inbound) []bot.Outbound {
	t.Helper()
	out, err := b.Handle(context.Background(), in)
	if err != nil {
		t.Fatalf("Handle(%q) = %v", in.Text, err)
	}
	return out
}

// TestDailyTwoReplicasWeek (issue 7, acceptance 2): two replicas on one
// Redis tick together through a simulated week; every channel gets exactly
// one post per due day and every post one reveal. Meanwhile each
// participant sends two lightning answers, one to each replica at the same
// moment: exactly one counts, and their points are credited once.
func TestDailyTwoReplicasWeek(t *testing.T) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday
	clk := clocktest.New(start)
	plat := &sharedPlatform{clk: clk}
	reps := dailyReplicas(t, 2, clk, plat)
	type channel struct {
		ch       bot.ChannelRef
		spec     string
		zone     string
		weekdays bool
	}
	channels := []channel{
		{bot.ChannelRef{Platform: bot.Slack, Workspace: "T1", Channel: "C-ber"}, "0 9 * * *", "Europe/Berlin", false},
		{bot.ChannelRef{Platform: bot.Slack, Workspace: "T1", Channel: "C-ny"}, "0 9 * * 1-5", "America/New_York", true},
		{bot.ChannelRef{Platform: bot.Slack, Workspace: "T2", Channel: "C-tok"}, "30 8 * * *", "Asia/Tokyo", false},
		{bot.ChannelRef{Platform: bot.Discord, Workspace: "G1", Channel: "D-utc"}, "15 12 * * *", "UTC", false},
		{bot.ChannelRef{Platform: bot.Discord, Workspace: "G1", Channel: "D-syd"}, "0 7 * * 1-5", "Australia/Sydney", true},
	}
	for i, c := range channels {
		out := handle(t, reps[i%2].bot, bot.Inbound{Platform: c.ch.Platform, Workspace: c.ch.Workspace, Channel: c.ch.Channel,
			UserID: "admin", MessageID: "on-" + c.ch.Channel, Text: "daily on " + c.spec + " " + c.zone, Kind: bot.KindCommand, IsAdmin: true})
		if !strings.Contains(out[0].Text, "Daily challenge on") {
			t.Fatalf("daily on: %q", out[0].Text)
		}
	}
	answered := map[string]bool{} // thread → answered already
	var mu sync.Mutex
	counted, refused := map[string]int{}, map[string]int{} // user → replies
	const lightning = "Because the goal is retention, I would first clarify the business objective, users and latency, then frame it as ranking, build features from interaction logs with labels, train a model, evaluate offline with precision and online with an A/B test, serve it behind an API with a canary, and monitor drift and latency."
	end := start.Add(7 * 24 * time.Hour)
	for now := start.Add(5 * time.Minute); now.Before(end); now = now.Add(5 * time.Minute) {
		tickTogether(t, clk, now, reps)
		// Two users answer each new post twice, on both replicas at once.
		for _, m := range plat.messages() {
			if m.out.Where.Kind != bot.NewThread || answered[m.thread] {
				continue
			}
			answered[m.thread] = true
			ws := "T1"
			for _, c := range channels {
				if c.ch.Channel == m.out.Where.Channel {
					ws = c.ch.Workspace
				}
			}
			for _, user := range []string{"ada", "bob"} {
				var wg sync.WaitGroup
				for i, r := range reps {
					wg.Go(func() {
						out := handle(t, r.bot, bot.Inbound{Platform: m.platform, Workspace: ws, Channel: m.out.Where.Channel, Thread: m.thread,
							UserID: user, UserName: strings.ToUpper(user), MessageID: fmt.Sprintf("%s-%s-%d", m.thread, user, i), Text: lightning, Kind: bot.KindReply})
						mu.Lock()
						defer mu.Unlock()
						switch {
						case len(out) != 1 || out[0].Where.Kind != bot.Ephemeral || out[0].Where.User != user:
							t.Errorf("reply to a lightning answer: %+v, want one ephemeral message to %s", out, user)
						case strings.Contains(out[0].Text, "Your daily answer"):
							counted[user]++
						case strings.Contains(out[0].Text, "is the one that counts"):
							refused[user]++
						}
					})
				}
				wg.Wait()
			}
		}
	}

	posts := map[string]map[string]int{} // channel → local date → posts
	threads := map[string]string{}       // thread → channel
	for _, m := range plat.messages() {
		if m.out.Where.Kind != bot.NewThread {
			continue
		}
		for _, c := range channels {
			if c.ch.Channel == m.out.Where.Channel {
				loc, _ := time.LoadLocation(c.zone)
				if posts[c.ch.Channel] == nil {
					posts[c.ch.Channel] = map[string]int{}
				}
				posts[c.ch.Channel][m.at.In(loc).Format(time.DateOnly)]++
				threads[m.thread] = c.ch.Channel
			}
		}
	}
	for _, c := range channels {
		loc, _ := time.LoadLocation(c.zone)
		cal := &schedule.Calendar{}
		for d := start.In(loc); d.Before(end.In(loc)); d = d.AddDate(0, 0, 1) {
			at, ok, _ := cal.On(c.spec, loc, d.Year(), d.Month(), d.Day())
			due := ok && at.After(start) && !at.After(end.Add(-5*time.Minute))
			date := d.Format(time.DateOnly)
			want := 0
			if due {
				want = 1
			}
			if got := posts[c.ch.Channel][date]; got != want {
				t.Errorf("%s: %d posts on %s, want %d", c.ch.Channel, got, date, want)
			}
		}
	}
	// Every thread but each channel's last was revealed exactly once, and
	// reports its two participants.
	reveals := map[string]int{}
	for _, m := range plat.messages() {
		if m.out.Where.Kind == bot.InThread && strings.Contains(m.out.Text, "Reveal —") {
			reveals[m.thread]++
			if !strings.Contains(m.out.Text, "**2 people** answered") {
				t.Errorf("reveal in %s: %q, want 2 participants", m.thread, m.out.Text[:min(200, len(m.out.Text))])
			}
		}
	}
	for thread, n := range reveals {
		if n != 1 {
			t.Errorf("thread %s revealed %d times, want once", thread, n)
		}
	}
	if want := len(threads) - len(channels); len(reveals) != want {
		t.Errorf("%d threads revealed, want %d (all but each channel's last)", len(reveals), want)
	}
	// One counted answer per post and user, whatever replica it hit; its
	// points credited once.
	if counted["ada"] != len(threads) || refused["ada"] != len(threads) {
		t.Errorf("ada: %d counted and %d refused answers for %d posts, want one of each per post", counted["ada"], refused["ada"], len(threads))
	}
	want := 0.0
	for thread, ch := range threads {
		if ch != "C-ber" && ch != "C-ny" {
			continue
		}
		p, err := reps[1].store.DailyThread(context.Background(), bot.ThreadRef{Platform: bot.Slack, Workspace: "T1", Channel: ch, Thread: thread})
		if err != nil {
			t.Fatalf("DailyThread(%s) = %v", thread, err)
		}
		sc, _ := reps[1].lib.Get(p.ScenarioID)
		want += bot.DailyPoints(bot.GradeLightning(sc, lightning).Score, sc.Difficulty)
	}
	st, err := reps[0].store.Stats(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Sessions != 0 || st.Points != want {
		t.Errorf("ada's stats = %+v; want %v points from daily answers and no sessions", st, want)
	}
	board, err := reps[1].store.Leaderboard(context.Background(), bot.Workspace{Platform: bot.Slack, ID: "T1"}, bot.AllTime, 10, "ada")
	if err != nil || board.Viewer == nil || board.Viewer.Points != want {
		t.Errorf("all-time board = %+v, %v; want ada at %v points", board, err, want)
	}
}

// TestIdleInterviewsTwoReplicas (issue 7, acceptance 6): two replicas tick
// together for four days over interviews left idle. Each gets one nudge
// in its thread, naming its step, NudgeAfter after its last answer, and
// one closing note AbandonAfter after it, when it becomes abandoned; an
// interview ended by its user gets neither.
func TestIdleInterviewsTwoReplicas(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	clk := clocktest.New(start)
	plat := &sharedPlatform{clk: clk}
	reps := dailyReplicas(t, 2, clk, plat)
	type interview struct {
		user, thread string
		lastActive   time.Time
		ended        bool
		sid          string
	}
	ivs := []*interview{{user: "u1"}, {user: "u2"}, {user: "u3", ended: true}, {user: "u4"}}
	for i, iv := range ivs {
		clk.Set(start.Add(time.Duration(i) * 7 * time.Minute))
		r := reps[i%2].bot
		out := handle(t, r, bot.Inbound{Platform: bot.Slack, Workspace: "T1", Channel: "C1", UserID: iv.user, UserName: strings.ToUpper(iv.user),
			MessageID: "start-" + iv.user, Text: "start", Kind: bot.KindCommand})
		if len(out) < 2 || out[0].Where.Kind != bot.NewThread {
			t.Fatalf("start: %+v", out)
		}
		iv.sid, iv.thread, iv.lastActive = out[0].Session, "th-"+iv.user, clk.Now()
		if err := reps[(i+1)%2].bot.AttachThread(ctx, bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: iv.user}, iv.sid, "C1", iv.thread); err != nil {
			t.Fatal(err)
		}
	}
	reply := func(iv *interview, text string, at time.Time) {
		clk.Set(at)
		handle(t, reps[1].bot, bot.Inbound{Platform: bot.Slack, Workspace: "T1", Channel: "C1", Thread: iv.thread, UserID: iv.user,
			MessageID: fmt.Sprintf("%s-%d", iv.user, at.Unix()), Text: text, Kind: bot.KindReply})
		iv.lastActive = at
	}
	end := start.Add(96 * time.Hour)
	for now := start.Add(10 * time.Minute); now.Before(end); now = now.Add(10 * time.Minute) {
		if now.Equal(start.Add(6 * time.Hour)) {
			reply(ivs[2], "end", now.Add(-time.Minute))
		}
		if now.Equal(start.Add(12 * time.Hour)) {
			reply(ivs[1], "I would ask about the business goal, the users and the latency budget, because they decide the design.", now.Add(-time.Minute))
		}
		tickTogether(t, clk, now, reps)
	}

	for _, iv := range ivs {
		var nudges, closes []platformMessage
		for _, m := range plat.messages() {
			if m.out.Where.Thread != iv.thread {
				continue
			}
			switch {
			case strings.Contains(m.out.Text, "is waiting at"):
				nudges = append(nudges, m)
			case strings.Contains(m.out.Text, "was closed after"):
				closes = append(closes, m)
			}
		}
		s, err := reps[0].store.Session(ctx, bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: iv.user}, iv.sid)
		if err != nil {
			t.Fatalf("%s: Session = %v", iv.user, err)
		}
		if iv.ended {
			if len(nudges)+len(closes) != 0 {
				t.Errorf("%s ended the interview but got %d nudges and %d closing notes", iv.user, len(nudges), len(closes))
			}
			continue
		}
		if len(nudges) != 1 || len(closes) != 1 {
			t.Fatalf("%s: %d nudges and %d closing notes, want one of each", iv.user, len(nudges), len(closes))
		}
		if d := nudges[0].at.Sub(iv.lastActive); d < 24*time.Hour || d > 24*time.Hour+10*time.Minute {
			t.Errorf("%s nudged %v after the last answer, want 24h (within a tick)", iv.user, d)
		}
		if d := closes[0].at.Sub(iv.lastActive); d < 72*time.Hour || d > 72*time.Hour+10*time.Minute {
			t.Errorf("%s closed %v after the last answer, want 72h (within a tick)", iv.user, d)
		}
		step := fmt.Sprintf("step %d/7 (%s)", s.Step, s.Step.Title())
		if !strings.Contains(nudges[0].out.Text, step) {
			t.Errorf("%s's nudge %q does not name %s", iv.user, nudges[0].out.Text, step)
		}
		if s.Status != bot.Abandoned {
			t.Errorf("%s's session is %s, want abandoned", iv.user, s.Status)
		}
		if _, err := reps[1].store.ActiveSession(ctx, s.User); err == nil {
			t.Errorf("%s still has an active session after abandonment", iv.user)
		}
	}
}

// flakyPoster fails the first post whose text has failText, then passes
// everything through to the shared platform.
type flakyPoster struct {
	next     platformPoster
	failText string
	mu       *sync.Mutex
	failed   *int
}

func (f flakyPoster) Post(ctx context.Context, out bot.Outbound) (string, error) {
	f.mu.Lock()
	fail := *f.failed == 0 && strings.Contains(out.Text, f.failText)
	if fail {
		*f.failed++
	}
	f.mu.Unlock()
	if fail {
		return "", fmt.Errorf("fake platform: 500 on the first reveal")
	}
	return f.next.Post(ctx, out)
}

// TestDailyRevealRetriedAfterPostFailure (issue 12, review 1): the platform
// rejects the first reveal and accepts the retry; two replicas tick
// together on one Redis. The reveal arrives exactly once, and the round
// stays open until it is out.
func TestDailyRevealRetriedAfterPostFailure(t *testing.T) {
	for _, tt := range []struct {
		name, spec string
		until      time.Duration // how long to tick after the first post
	}{
		{"reveal at a set time", "0 9 * * * UTC reveal 17:00", 10 * time.Hour},
		{"reveal with the next post", "0 9 * * * UTC", 26 * time.Hour},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
			clk := clocktest.New(start)
			plat := &sharedPlatform{clk: clk}
			reps := dailyReplicas(t, 2, clk, plat)
			var mu sync.Mutex
			failed := 0
			for i := range reps {
				reps[i].rec = schedule.New(reps[i].bot, schedule.Options{Posters: map[bot.Platform]schedule.Poster{
					bot.Slack: flakyPoster{next: platformPoster{plat, bot.Slack}, failText: "**Reveal —", mu: &mu, failed: &failed},
				}})
			}
			ch := bot.ChannelRef{Platform: bot.Slack, Workspace: "T1", Channel: "C1"}
			out := handle(t, reps[0].bot, bot.Inbound{Platform: ch.Platform, Workspace: ch.Workspace, Channel: ch.Channel,
				UserID: "admin", MessageID: "on", Text: "daily on " + tt.spec, Kind: bot.KindCommand, IsAdmin: true})
			if !strings.Contains(out[0].Text, "Daily challenge on") {
				t.Fatalf("daily on: %q", out[0].Text)
			}
			for now := start.Add(5 * time.Minute); !now.After(start.Add(tt.until)); now = now.Add(5 * time.Minute) {
				tickTogether(t, clk, now, reps)
			}
			var posts, reveals int
			firstThread := ""
			for _, m := range plat.messages() {
				switch {
				case m.out.Where.Kind == bot.NewThread:
					posts++
					if firstThread == "" {
						firstThread = m.thread
					}
				case strings.Contains(m.out.Text, "**Reveal —"):
					reveals++
					if m.out.Where.Thread != firstThread {
						t.Errorf("reveal in thread %q, want the first post's %q", m.out.Where.Thread, firstThread)
					}
				}
			}
			if failed != 1 {
				t.Fatalf("the fake platform failed %d reveals, want 1", failed)
			}
			if reveals != 1 {
				t.Errorf("%d reveals arrived, want exactly 1 after one failure", reveals)
			}
			s, err := reps[0].store.DailySchedule(context.Background(), ch)
			if err != nil {
				t.Fatal(err)
			}
			if s.RevealedDate != "2026-03-02" {
				t.Errorf("RevealedDate = %q, want 2026-03-02", s.RevealedDate)
			}
			t.Logf("%d posts, %d reveal (after 1 failed attempt)", posts, reveals)
		})
	}
}
