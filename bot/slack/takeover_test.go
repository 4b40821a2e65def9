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

// killedAfterPost is a replica's daily store that dies right after the
// platform accepted the post: the note made before the post is kept, and
// every write from the one that would record the post's ts on is lost,
// as when the process is killed at that moment.
type killedAfterPost struct {
	bot.DailyStore
	mu    sync.Mutex
	notes int
	dead  bool
}

var errKilled = errors.New("the process was killed")

// write reports whether the replica is still alive for a store write: it
// dies at the first write after the post (the note of its ts, or, for
// code that notes nothing, recording the post).
func (k *killedAfterPost) write(method string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if method == "NoteClaim" {
		k.notes++
	}
	if k.notes == 2 || method == "RecordDailyPost" {
		k.dead = true
	}
	return !k.dead
}

func (k *killedAfterPost) killed() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.dead
}

func (k *killedAfterPost) NoteClaim(ctx context.Context, key, note string) error {
	if !k.write("NoteClaim") {
		return errKilled
	}
	return k.DailyStore.NoteClaim(ctx, key, note)
}

func (k *killedAfterPost) RecordDailyPost(ctx context.Context, p bot.DailyPost, used []string, ttl time.Duration) error {
	if !k.write("RecordDailyPost") {
		return errKilled
	}
	return k.DailyStore.RecordDailyPost(ctx, p, used, ttl)
}

func (k *killedAfterPost) Finish(ctx context.Context, key string) error {
	if !k.write("Finish") {
		return errKilled
	}
	return k.DailyStore.Finish(ctx, key)
}

// TestDailyPostTakeoverDoesNotPostTwiceSlack (issue 12, review 10) through
// slack-go and the fake Slack: replica A posts the 09:00 challenge and is
// killed before it notes the message's ts; replica B, after the lease,
// finds the post by its metadata (conversations.history with
// include_all_metadata, from the claim time) and records it instead of
// posting again. Answers in the thread then reach B's post.
func TestDailyPostTakeoverDoesNotPostTwiceSlack(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	store, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	lib, err := library()
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
	w := newWorld(t, worldOpts{interviewer: botB, fake: fakeslack.Options{Now: clk.Now}})
	w.fake.AddUser(fakeslack.User{ID: admin, Name: "root", DisplayName: "Root", IsAdmin: true})
	w.act(1, w.fake.SlashCommand(admin, general, "daily on 0 9 * * * UTC"))

	dying := &killedAfterPost{DailyStore: store}
	recA := schedule.New(newBot(dying), schedule.Options{Posters: map[bot.Platform]schedule.Poster{bot.Slack: w.ad}})
	recB := schedule.New(botB, schedule.Options{Posters: map[bot.Platform]schedule.Poster{bot.Slack: w.ad}})
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tick := func(rec *schedule.Reconciler, at time.Time) {
		t.Helper()
		clk.Set(at)
		if err := rec.Tick(context.Background(), at); err != nil {
			t.Fatalf("Tick(%v) = %v", at, err)
		}
	}
	tick(recA, day.Add(time.Minute))
	if dying.killed() {
		roots := 0
		for _, m := range w.fake.Messages() {
			if m.Channel == general && m.ThreadTS == "" && strings.Contains(m.Text, "Daily ML system design challenge") {
				roots++
			}
		}
		if roots != 1 {
			t.Fatalf("replica A posted %d roots before it was killed, want 1", roots)
		}
	} else {
		t.Fatal("replica A was not killed: the fault was never reached")
	}
	for at := day.Add(5 * time.Minute); at.Before(day.Add(30 * time.Minute)); at = at.Add(5 * time.Minute) {
		tick(recB, at)
	}

	var roots []fakeslack.Message
	for _, m := range w.fake.Messages() {
		if m.Channel == general && m.ThreadTS == "" && strings.Contains(m.Text, "Daily ML system design challenge") {
			roots = append(roots, m)
		}
	}
	if len(roots) != 1 {
		t.Fatalf("%d daily posts in the channel, want exactly 1", len(roots))
	}
	if !strings.Contains(string(roots[0].Metadata), `"event_type":"mlsd_post"`) {
		t.Errorf("the post's metadata = %s, want an mlsd_post event carrying its key", roots[0].Metadata)
	}
	searched := false
	for _, c := range w.fake.Calls() {
		if c.Method == "conversations.history" && c.Params.Get("include_all_metadata") == "1" && c.Params.Get("oldest") != "" {
			searched = true
		}
	}
	if !searched {
		t.Error("replica B never searched the channel's history (with metadata, from the claim time) before deciding")
	}
	s, err := store.DailySchedule(context.Background(), bot.ChannelRef{Platform: bot.Slack, Workspace: teamID, Channel: general})
	if err != nil {
		t.Fatal(err)
	}
	if s.Last == nil || s.Last.Date != "2026-03-02" || s.Last.Thread != roots[0].TS {
		t.Fatalf("the recorded post = %+v, want the 2026-03-02 post in thread %s", s.Last, roots[0].TS)
	}
	_, envs := w.fake.UserMessage(alice, general, roots[0].TS, lightningStrong)
	w.act(1, envs...)
	if got := (&dailyWorld{world: w}).lastEphemeral(alice); !strings.Contains(got, "Your daily answer") {
		t.Errorf("a lightning answer in the found post's thread: %q", got)
	}
}
