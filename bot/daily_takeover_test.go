package bot_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/clocktest"
	"github.com/mlsdbot/mlsd/bot/redis"
	"github.com/mlsdbot/mlsd/bot/schedule"
)

// A replica that posts and dies before completing its claim: the replica
// that takes the claim over after the lease must not post again.

// dailyStore is what both stores are: sessions and the daily challenge.
type dailyStore interface {
	bot.Store
	bot.DailyStore
}

// eachDailyStore runs f on bbolt and on Redis (REDIS_URL, else miniredis),
// each on clk, so a lease passes when the test moves the clock.
func eachDailyStore(t *testing.T, clk *clocktest.Clock, f func(t *testing.T, s dailyStore)) {
	t.Run("bolt", func(t *testing.T) {
		s, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		f(t, s)
	})
	t.Run("redis", func(t *testing.T) {
		url := os.Getenv("REDIS_URL")
		if url == "" {
			if os.Getenv("CI") == "true" {
				t.Fatal("CI=true but REDIS_URL is unset")
			}
			m := miniredis.NewMiniRedis()
			if err := m.StartAddr("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(m.Close)
			url = "redis://" + m.Addr() + "/0"
		}
		var b [4]byte
		rand.Read(b[:])
		s, err := redis.Open(context.Background(), url, redis.Options{Prefix: "mlsdtest:takeover:" + hex.EncodeToString(b[:]), Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		f(t, s)
	})
}

// fakeChannel is a platform channel: it keeps every message with the key
// it was posted with, and finds a message by key as Slack's metadata
// search does.
type fakeChannel struct {
	clk  *clocktest.Clock
	mu   sync.Mutex
	seq  int
	msgs []channelMessage
}

type channelMessage struct {
	out    bot.Outbound
	id     string
	thread string
	at     time.Time
}

func (c *fakeChannel) Post(_ context.Context, out bot.Outbound) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	id := fmt.Sprintf("m%d", c.seq)
	thread := out.Where.Thread
	if out.Where.Kind == bot.NewThread {
		thread = id
	}
	c.msgs = append(c.msgs, channelMessage{out: out, id: id, thread: thread, at: c.clk.Now()})
	return thread, nil
}

func (c *fakeChannel) FindPost(_ context.Context, out bot.Outbound, since time.Time) (string, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.msgs {
		if out.Key != "" && m.out.Key == out.Key && !m.at.Before(since) {
			return m.thread, true, nil
		}
	}
	return "", false, nil
}

// count is how many messages contain text.
func (c *fakeChannel) count(text string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range c.msgs {
		if strings.Contains(m.out.Text, text) {
			n++
		}
	}
	return n
}

// replica is one bot process; kill makes it stop dead: from then on its
// store writes and posts fail, as if the process were gone.
type replica struct {
	dead atomic.Bool
	// dieOn kills the replica when it calls this store method.
	dieOn string
}

var errKilled = errors.New("the process was killed")

func (r *replica) check(method string) error {
	if r.dieOn != "" && method == r.dieOn {
		r.dead.Store(true)
	}
	if r.dead.Load() {
		return errKilled
	}
	return nil
}

// dyingStore is a replica's DailyStore: its writes fail once the replica
// is dead.
type dyingStore struct {
	bot.DailyStore
	r *replica
}

func (d dyingStore) NoteClaim(ctx context.Context, key, note string) error {
	if err := d.r.check("NoteClaim"); err != nil {
		return err
	}
	return d.DailyStore.NoteClaim(ctx, key, note)
}

func (d dyingStore) RecordDailyPost(ctx context.Context, p bot.DailyPost, used []string, ttl time.Duration) error {
	if err := d.r.check("RecordDailyPost"); err != nil {
		return err
	}
	return d.DailyStore.RecordDailyPost(ctx, p, used, ttl)
}

func (d dyingStore) MarkDailyRevealed(ctx context.Context, p bot.DailyPost) error {
	if err := d.r.check("MarkDailyRevealed"); err != nil {
		return err
	}
	return d.DailyStore.MarkDailyRevealed(ctx, p)
}

func (d dyingStore) Finish(ctx context.Context, key string) error {
	if err := d.r.check("Finish"); err != nil {
		return err
	}
	return d.DailyStore.Finish(ctx, key)
}

// dyingPoster is a replica's platform client: once dead it posts nothing;
// with killAfter set, the replica dies right after the platform accepted
// a message containing that text, before the caller hears back.
type dyingPoster struct {
	*fakeChannel
	r         *replica
	killAfter string
}

func (p dyingPoster) Post(ctx context.Context, out bot.Outbound) (string, error) {
	if p.r.dead.Load() {
		return "", errKilled
	}
	id, err := p.fakeChannel.Post(ctx, out)
	if err == nil && p.killAfter != "" && strings.Contains(out.Text, p.killAfter) {
		p.r.dead.Store(true)
	}
	return id, err
}

func newReplica(t *testing.T, s dailyStore, clk *clocktest.Clock, ch *fakeChannel, r *replica, killAfter string) (*bot.Bot, *schedule.Reconciler) {
	t.Helper()
	lib, err := sharedLibrary()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	n := 0
	b, err := bot.New(bot.Config{
		Store: s, Daily: dyingStore{DailyStore: s, r: r}, Calendar: &schedule.Calendar{}, Library: lib, Now: clk.Now, Location: time.UTC,
		Intn: func(k int) int { mu.Lock(); defer mu.Unlock(); n++; return n % k },
	})
	if err != nil {
		t.Fatal(err)
	}
	p := dyingPoster{fakeChannel: ch, r: r, killAfter: killAfter}
	return b, schedule.New(b, schedule.Options{Posters: map[bot.Platform]schedule.Poster{bot.Slack: p}})
}

func tickAt(t *testing.T, clk *clocktest.Clock, rec *schedule.Reconciler, at time.Time) {
	t.Helper()
	clk.Set(at)
	if err := rec.Tick(context.Background(), at); err != nil {
		t.Fatalf("Tick(%v) = %v", at, err)
	}
}

// TestDailyPostTakeoverDoesNotPostTwice (issue 12, review 10): replica A
// claims the 09:00 post and dies somewhere between the platform accepting
// a message and completing the claim; replica B takes the claim over after
// the lease. The channel gets the post, the reveal, its diagram and its
// follow-up exactly once, on bbolt and on Redis.
func TestDailyPostTakeoverDoesNotPostTwice(t *testing.T) {
	const (
		postText     = "Daily ML system design challenge"
		revealText   = "**Reveal —"
		followUpText = "**Follow-up — bottlenecks and monitoring**"
		diagramText  = "**Reference architecture**"
	)
	day1 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	day2 := day1.Add(24 * time.Hour)
	for _, tt := range []struct {
		name string
		// killAfter kills A right after the platform accepted a message
		// with this text; dieOn kills it when it calls this store method.
		killAfter, dieOn string
		// onDay2 kills A on the second day (the reveal, then the post).
		onDay2 bool
	}{
		{name: "post accepted, then killed", killAfter: postText},
		{name: "post's id noted, then killed", dieOn: "RecordDailyPost"},
		{name: "post recorded, then killed before finishing", dieOn: "Finish"},
		{name: "reveal accepted, then killed", killAfter: revealText, onDay2: true},
		{name: "follow-up accepted, then killed", killAfter: followUpText, onDay2: true},
		{name: "reveal sent, killed before closing the round", dieOn: "MarkDailyRevealed", onDay2: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := clocktest.New(day1.Add(-time.Hour))
			eachDailyStore(t, clk, func(t *testing.T, s dailyStore) {
				clk.Set(day1.Add(-time.Hour))
				ch := &fakeChannel{clk: clk}
				a := &replica{}
				botA, recA := newReplica(t, s, clk, ch, a, "")
				_, recB := newReplica(t, s, clk, ch, &replica{}, "")
				on, err := botA.Handle(context.Background(), bot.Inbound{Platform: bot.Slack, Workspace: "T1", Channel: "C1",
					UserID: "admin", MessageID: "on", Text: "daily on 0 9 * * * UTC", Kind: bot.KindCommand, IsAdmin: true})
				if err != nil || len(on) == 0 || !strings.Contains(on[0].Text, "Daily challenge on") {
					t.Fatalf("daily on: %v, %v", on, err)
				}
				kill := func() {
					a.dieOn = tt.dieOn
					_, recA = newReplica(t, s, clk, ch, a, tt.killAfter)
				}
				day := day1
				if tt.onDay2 {
					tickAt(t, clk, recA, day1.Add(time.Minute))
					day = day2
				}
				kill()
				tickAt(t, clk, recA, day.Add(time.Minute))
				if !a.dead.Load() {
					t.Fatal("replica A was not killed: the fault was never reached")
				}
				// B ticks every five minutes: inside the lease it must wait,
				// after it it takes over.
				for at := day.Add(5 * time.Minute); at.Before(day.Add(30 * time.Minute)); at = at.Add(5 * time.Minute) {
					tickAt(t, clk, recB, at)
				}
				wantPosts := 1
				if tt.onDay2 {
					wantPosts = 2
				}
				for _, c := range []struct {
					text string
					want int
				}{
					{postText, wantPosts},
					{revealText, wantPosts - 1},
					{diagramText, wantPosts - 1},
					{followUpText, wantPosts - 1},
				} {
					if got := ch.count(c.text); got != c.want {
						t.Errorf("%d messages with %q in the channel, want %d", got, c.text, c.want)
					}
				}
				sched, err := s.DailySchedule(context.Background(), bot.ChannelRef{Platform: bot.Slack, Workspace: "T1", Channel: "C1"})
				if err != nil {
					t.Fatal(err)
				}
				if sched.Last == nil || sched.Last.Date != day.Format(time.DateOnly) || sched.Last.Thread == "" {
					t.Errorf("the channel's last post = %+v, want the %s post with its thread", sched.Last, day.Format(time.DateOnly))
				}
				if tt.onDay2 && sched.RevealedDate != day1.Format(time.DateOnly) {
					t.Errorf("RevealedDate = %q, want %s", sched.RevealedDate, day1.Format(time.DateOnly))
				}
			})
		})
	}
}
