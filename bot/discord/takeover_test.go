package discord_test

import (
	"context"
	"errors"
	"net/http"
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

// killedAfterPost is a replica's daily store that dies at the first write
// after the post went out (the note of its thread id, or, for code that
// notes nothing, recording the post), as when the process is killed then.
type killedAfterPost struct {
	bot.DailyStore
	mu    sync.Mutex
	notes int
	dead  bool
}

var errKilled = errors.New("the process was killed")

func (k *killedAfterPost) write(method string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if method == "NoteClaim" {
		k.notes++
	}
	if k.notes == 2 || method == "RecordDailyPost" {
		k.dead = true
	}
	if k.dead {
		return errKilled
	}
	return nil
}

func (k *killedAfterPost) NoteClaim(ctx context.Context, key, note string) error {
	if err := k.write("NoteClaim"); err != nil {
		return err
	}
	return k.DailyStore.NoteClaim(ctx, key, note)
}

func (k *killedAfterPost) RecordDailyPost(ctx context.Context, p bot.DailyPost, used []string, ttl time.Duration) error {
	if err := k.write("RecordDailyPost"); err != nil {
		return err
	}
	return k.DailyStore.RecordDailyPost(ctx, p, used, ttl)
}

func (k *killedAfterPost) Finish(ctx context.Context, key string) error {
	if err := k.write("Finish"); err != nil {
		return err
	}
	return k.DailyStore.Finish(ctx, key)
}

// TestDailyPostTakeoverDoesNotPostTwiceDiscord (issue 12, review 10)
// through discordgo and the fake Discord: replica A's 09:00 post stops
// half-way — killed after the post went out, or the thread start failed
// after the root message was created — and replica B, after the lease,
// finds the root message in the channel (listing messages after the
// claim's time, by the bot, with the post's content) instead of posting a
// second one, starting the missing thread when there is none.
func TestDailyPostTakeoverDoesNotPostTwiceDiscord(t *testing.T) {
	for _, tt := range []struct {
		name string
		// failThreadStart fails the thread creation of A's post.
		failThreadStart bool
	}{
		{name: "killed after the post"},
		{name: "thread start failed after the root message", failThreadStart: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			clk := clocktest.New(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
			srv := fakediscord.New(t, fakediscord.Options{Now: clk.Now})
			root := srv.AddUser("root", true)
			store, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close() })
			lib, err := scenarios.Load("")
			if err != nil {
				t.Fatal(err)
			}
			newBot := func(daily bot.DailyStore) *bot.Bot {
				b, err := bot.New(bot.Config{Store: store, Daily: daily, Calendar: &schedule.Calendar{}, Library: lib, Now: clk.Now,
					Intn: func(k int) int { return 1 % k }})
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			botB := newBot(store)
			e := start(t, srv, discord.Config{Interviewer: botB, Library: lib}, true)
			srv.AwaitGateway(t, "identify")
			srv.Dispatch(adminDaily(srv, root, "on", fakediscord.Opt{Name: "cron", Value: "0 9 * * *"}, fakediscord.Opt{Name: "timezone", Value: "UTC"}))
			srv.AwaitMessage(t, "confirmation", privateTo("Daily challenge on"))

			var dailyA bot.DailyStore = store
			dying := &killedAfterPost{DailyStore: store}
			if tt.failThreadStart {
				srv.FailNext("POST", "/channels/"+srv.Channel+"/messages/", http.StatusInternalServerError, 0, 1)
			} else {
				dailyA = dying
			}
			recA := schedule.New(newBot(dailyA), schedule.Options{Posters: map[bot.Platform]schedule.Poster{bot.Discord: e.a}})
			recB := schedule.New(botB, schedule.Options{Posters: map[bot.Platform]schedule.Poster{bot.Discord: e.a}})
			tick := func(rec *schedule.Reconciler, at time.Time) {
				t.Helper()
				clk.Set(at)
				if err := rec.Tick(ctx, at); err != nil {
					t.Fatalf("Tick(%v) = %v", at, err)
				}
			}
			day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			tick(recA, day.Add(time.Minute))
			roots := func() []fakediscord.Message {
				var out []fakediscord.Message
				for _, m := range srv.Messages(srv.Channel) {
					if m.Author.ID == srv.Bot.ID && strings.Contains(m.Content, "Daily ML system design challenge") {
						out = append(out, m)
					}
				}
				return out
			}
			if n := len(roots()); n != 1 {
				t.Fatalf("replica A left %d root messages, want 1", n)
			}
			if !tt.failThreadStart && !dying.dead {
				t.Fatal("replica A was not killed: the fault was never reached")
			}
			for at := day.Add(5 * time.Minute); at.Before(day.Add(30 * time.Minute)); at = at.Add(5 * time.Minute) {
				tick(recB, at)
			}
			got := roots()
			if len(got) != 1 {
				t.Fatalf("%d daily posts in the channel, want exactly 1", len(got))
			}
			th, ok := srv.ChannelByID(got[0].ID)
			if !ok || !th.IsThread() || th.ParentID != srv.Channel {
				t.Fatalf("the post %s has no public thread (%+v, %v)", got[0].ID, th, ok)
			}
			s, err := store.DailySchedule(ctx, bot.ChannelRef{Platform: bot.Discord, Workspace: srv.GuildID, Channel: srv.Channel})
			if err != nil {
				t.Fatal(err)
			}
			if s.Last == nil || s.Last.Date != "2026-03-02" || s.Last.Thread != th.ID {
				t.Fatalf("the recorded post = %+v, want the 2026-03-02 post in thread %s", s.Last, th.ID)
			}
			listed := false
			for _, r := range srv.Requests() {
				if r.Method == "GET" && r.Path == "/channels/"+srv.Channel+"/messages" && strings.Contains(r.Query, "after=") {
					listed = true
				}
			}
			if !listed {
				t.Error("replica B never listed the channel's messages after the claim time before deciding")
			}
		})
	}
}
