package redis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/chattest/fakediscord"
	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
	"github.com/mlsdbot/mlsd/bot/discord"
	"github.com/mlsdbot/mlsd/bot/schedule"
	"github.com/mlsdbot/mlsd/bot/slack"
	"github.com/mlsdbot/mlsd/scenarios"
)

// The daily fan-out (issue 15, acceptance 2): 1,000 channels due at the
// same minute, two replicas (two Bots, two Stores, one Redis), the real
// discordgo and slack-go clients and adapters against fakes that enforce
// the platforms' documented limits. It runs in a testing/synctest bubble:
// time is the platforms' pacing plus a simulated 50 ms per request, and
// advances only while every goroutine waits on it, so the 42 s (Discord)
// and 3 min 41 s (Slack) of pacing take a few seconds of real time. The
// fakes are reached in memory (a socket would stop the bubble's clock);
// Redis, outside the bubble, costs no bubble time.

const (
	fanOutChannels = 1000
	// requestLatency is each platform request's simulated round trip.
	requestLatency = 50 * time.Millisecond
)

// fanOutDay is the day the schedules are due, at 09:00 UTC.
var fanOutDay = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// slowTransport adds the round trip of a real platform to an in-memory
// fake, in bubble time.
type slowTransport struct{ next http.RoundTripper }

func (s slowTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	time.Sleep(requestLatency / 2)
	resp, err := s.next.RoundTrip(r)
	time.Sleep(requestLatency / 2)
	return resp, err
}

func slow(c *http.Client) *http.Client {
	return &http.Client{Transport: slowTransport{c.Transport}, Timeout: 15 * time.Second}
}

// fanOutReplica is one bot process: its own Store (pool), Bot, adapter
// and reconciler.
type fanOutReplica struct {
	rec    *schedule.Reconciler
	posted atomic.Int64
}

type fanOutCase struct {
	name     string
	platform bot.Platform
	// setup adds the channels to the fake and returns their ids.
	setup func(t *testing.T) []string
	// poster builds a replica's adapter on its store.
	poster func(t *testing.T, b *bot.Bot, s *Store) schedule.Poster
	// rate is the adapter's shared budget: the requests the fake answered
	// need at least floor = (requests - burst) × interval; the fan-out
	// must finish within floor + slack, and within bound, the time stated
	// in the README.
	rate  bot.Rate
	bound time.Duration
	// check counts what the platform holds: one post per channel.
	check func(t *testing.T, channels []string)
	// refused is the fake's 429 count; requests all it answered.
	refused, requests func() int
}

func TestDailyFanOut(t *testing.T) {
	redisURL, _ := testServer(t)
	list, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	lib := bot.NewLibrary(list...)

	var dsrv *fakediscord.Server
	var ssrv *fakeslack.Server
	cases := []fanOutCase{{
		name:     "discord",
		platform: bot.Discord,
		setup: func(t *testing.T) []string {
			dsrv = fakediscord.New(t, fakediscord.Options{Limits: &fakediscord.Limits{}})
			ids := make([]string, fanOutChannels)
			for i := range ids {
				ids[i] = dsrv.AddChannel(fmt.Sprintf("daily-%04d", i))
			}
			return ids
		},
		poster: func(t *testing.T, b *bot.Bot, s *Store) schedule.Poster {
			a, err := discord.New(discord.Config{Token: dsrv.Token(), AppID: dsrv.AppID, Interviewer: b, Library: lib,
				HTTPClient: slow(dsrv.Client()), Limiter: s})
			if err != nil {
				t.Fatal(err)
			}
			return a
		},
		// A message and a thread per post, and the rest of a long prompt
		// in the thread: about 2,300 requests at 48 a second.
		rate: discord.DefaultGlobalRate, bound: 50 * time.Second,
		check: func(t *testing.T, channels []string) {
			for _, ch := range channels {
				var posts []fakediscord.Message
				for _, m := range dsrv.Messages(ch) {
					if m.Author.ID == dsrv.AppID && strings.Contains(m.Text(), "Daily ML system design challenge") {
						posts = append(posts, m)
					}
				}
				if len(posts) != 1 || posts[0].Thread == "" {
					t.Fatalf("channel %s holds %d daily posts (%+v), want exactly one with a thread", ch, len(posts), posts)
				}
			}
		},
		refused:  func() int { return dsrv.TooManyRequests() },
		requests: func() int { return len(dsrv.Requests()) },
	}, {
		name:     "slack",
		platform: bot.Slack,
		setup: func(t *testing.T) []string {
			ssrv = fakeslack.New(fakeslack.Options{Limits: &fakeslack.Limits{}})
			ids := make([]string, fanOutChannels)
			for i := range ids {
				ids[i] = fmt.Sprintf("C%06d", i)
				ssrv.AddChannel(fakeslack.Channel{ID: ids[i], Name: fmt.Sprintf("daily-%04d", i), Member: true})
			}
			return ids
		},
		poster: func(t *testing.T, b *bot.Bot, s *Store) schedule.Poster {
			a, err := slack.New(slack.Config{BotToken: ssrv.Options().BotToken, SigningSecret: "fan-out", APIURL: ssrv.APIURL(),
				HTTPClient: slow(ssrv.Client()), Interviewer: b, Limiter: s})
			if err != nil {
				t.Fatal(err)
			}
			return a
		},
		// One message per post, all in one workspace: 1,000 at 4.5 a
		// second after a burst of 5.
		rate: slack.DefaultWorkspaceRate, bound: 225 * time.Second,
		check: func(t *testing.T, channels []string) {
			per := map[string]int{}
			for _, m := range ssrv.Messages() {
				if m.BotID != "" && m.ThreadTS == "" && strings.Contains(m.Text, "Daily ML system design challenge") {
					per[m.Channel]++
				}
			}
			for _, ch := range channels {
				if per[ch] != 1 {
					t.Fatalf("channel %s holds %d daily posts, want exactly one", ch, per[ch])
				}
			}
		},
		refused:  func() int { return ssrv.TooManyRequests() },
		requests: func() int { return len(ssrv.Calls()) },
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			channels := c.setup(t)
			prefix := testPrefix(t)
			synctest.Test(t, func(t *testing.T) { runFanOut(t, c, redisURL, prefix, lib, channels) })
		})
	}
}

func runFanOut(t *testing.T, c fanOutCase, redisURL, prefix string, lib *bot.Library, channels []string) {
	ctx := context.Background()
	// The bubble's clock starts in 2000; move it to the eve of the day.
	time.Sleep(time.Until(fanOutDay.Add(8 * time.Hour)))
	reps := make([]*fanOutReplica, 2)
	var stores []*Store
	for i := range reps {
		s := openTestStore(t, redisURL, Options{Prefix: prefix})
		stores = append(stores, s)
		rng := rand.New(rand.NewPCG(uint64(i), 15))
		var mu sync.Mutex
		b, err := bot.New(bot.Config{Store: s, Daily: s, Calendar: &schedule.Calendar{}, Library: lib, Location: time.UTC,
			Intn: func(k int) int { mu.Lock(); defer mu.Unlock(); return rng.IntN(k) }})
		if err != nil {
			t.Fatal(err)
		}
		r := &fanOutReplica{}
		r.rec = schedule.New(b, schedule.Options{
			Posters: map[bot.Platform]schedule.Poster{c.platform: c.poster(t, b, s)},
			Observe: func(event string, _ bot.Platform) {
				if event == "posted" {
					r.posted.Add(1)
				}
			},
		})
		reps[i] = r
	}
	ws := "W1"
	if c.platform == bot.Discord {
		ws = "G1"
	}
	for _, ch := range channels {
		err := stores[0].SetDailyConfig(ctx, bot.ChannelRef{Platform: c.platform, Workspace: ws, Channel: ch},
			bot.DailyConfig{Spec: "0 9 * * *", Zone: "UTC", Enabled: true, Since: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
	}

	due := fanOutDay.Add(9 * time.Hour)
	time.Sleep(time.Until(due))
	start := time.Now()
	var wg sync.WaitGroup
	for _, r := range reps {
		wg.Go(func() {
			if err := r.rec.Tick(ctx, due); err != nil {
				t.Errorf("Tick = %v", err)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)

	c.check(t, channels)
	scheds, err := stores[1].DailySchedules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scheds {
		if s.Last == nil || s.Last.Date != due.Format(time.DateOnly) {
			t.Fatalf("%s: last post %+v, want one of %s", s.Channel, s.Last, due.Format(time.DateOnly))
		}
	}
	a, b := reps[0].posted.Load(), reps[1].posted.Load()
	refused := c.refused()
	t.Logf("%s: %d channels, 2 replicas (%d + %d posts), %d requests, %v of platform time, %d responses 429",
		c.name, len(channels), a, b, c.requests(), took.Round(100*time.Millisecond), refused)
	if a+b != int64(len(channels)) || a == 0 || b == 0 {
		t.Errorf("replicas posted %d and %d, want %d together, shared by both", a, b, len(channels))
	}
	if refused != 0 {
		t.Errorf("the platform answered 429 %d times, want none", refused)
	}
	// Two seconds cover the last requests' round trips and the start-up.
	floor := time.Duration(c.requests()-c.rate.Burst) * c.rate.Every
	if limit := min(floor+2*time.Second, c.bound); took > limit || took < floor {
		t.Errorf("the fan-out took %v, want between %v (the budget's own pace) and %v", took, floor, limit)
	}
}
