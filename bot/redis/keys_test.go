package redis

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mlsdbot/mlsd/bot"
)

// scriptRecorder is a go-redis hook that keeps the KEYS of every script
// call, and counts round trips (a pipeline is one).
type scriptRecorder struct {
	mu         sync.Mutex
	scripts    [][]string
	roundTrips int
}

func (r *scriptRecorder) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (r *scriptRecorder) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		countTrip(ctx)
		r.mu.Lock()
		r.roundTrips++
		r.record(cmd)
		r.mu.Unlock()
		return next(ctx, cmd)
	}
}

func (r *scriptRecorder) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		countTrip(ctx)
		r.mu.Lock()
		r.roundTrips++
		for _, c := range cmds {
			r.record(c)
		}
		r.mu.Unlock()
		return next(ctx, cmds)
	}
}

// tripsKey carries a per-call round-trip counter in a context, so a
// benchmark can count the trips of one message among concurrent ones.
type tripsKey struct{}

func withTripCounter(ctx context.Context, n *int) context.Context {
	return context.WithValue(ctx, tripsKey{}, n)
}

func countTrip(ctx context.Context) {
	if n, ok := ctx.Value(tripsKey{}).(*int); ok {
		*n++ // one goroutine per message: no race
	}
}

func (r *scriptRecorder) record(cmd goredis.Cmder) {
	name := strings.ToLower(cmd.Name())
	if name != "evalsha" && name != "eval" {
		return
	}
	args := cmd.Args()
	n, _ := args[2].(int)
	var keys []string
	for _, k := range args[3 : 3+n] {
		keys = append(keys, k.(string))
	}
	r.scripts = append(r.scripts, keys)
}

// TestScriptKeysShareOneSlot: every script call's KEYS hash to one Redis
// Cluster slot, as CLUSTER KEYSLOT computes it (miniredis answers it; a
// non-cluster redis-server refuses, so this test always uses miniredis).
// Identifiers with ':' '{' '}' must not open another hash tag.
func TestScriptKeysShareOneSlot(t *testing.T) {
	ctx := context.Background()
	redisURL, _ := startMiniredis(t)
	s := openTestStore(t, redisURL, Options{})
	rec := &scriptRecorder{}
	s.rdb.AddHook(rec)

	for _, id := range []string{"U1", "we{ird}:id", "}{", "a:b"} {
		u := bot.UserKey{Platform: bot.Discord, Workspace: "guild:{1}", UserID: id}
		ses := newSession(u, "S-"+id)
		ses.Thread = "thread{" + id + "}"
		ses = mustSave(t, s, withMsg(bot.Change{Session: ses, TTL: time.Hour}, "m0"))
		ses = mustSave(t, s, withMsg(next(ses, nil), "m1"))
		done := next(ses, func(x *bot.Session) { x.Status = bot.Completed })
		done.Completion = &bot.Completion{SessionID: ses.ID, ScenarioID: "feed", UserName: "Ada", Score: 80, Points: 100, At: t0,
			Week: bot.ISOWeek(t0), Month: "2026-11", Day: "2026-11-25"}
		mustSave(t, s, done)
		if _, err := s.Leaderboard(ctx, bot.Workspace{Platform: bot.Discord, ID: "guild:{1}"}, bot.AllTime, 10, id); err != nil {
			t.Fatal(err)
		}
	}
	// save ×3, publish, board per user (+ an EVAL after each first NOSCRIPT)
	if len(rec.scripts) < 4*5 {
		t.Fatalf("recorded %d script calls, want at least %d", len(rec.scripts), 4*5)
	}
	widest := 0
	for _, keys := range rec.scripts {
		widest = max(widest, len(keys))
		var first int64 = -1
		for _, k := range keys {
			slot, err := s.rdb.ClusterKeySlot(ctx, k).Result()
			if err != nil {
				t.Fatalf("CLUSTER KEYSLOT %s: %v", k, err)
			}
			if first == -1 {
				first = slot
			} else if slot != first {
				t.Errorf("script keys span slots: %q is in %d, %q in %d", keys[0], first, k, slot)
			}
		}
	}
	// The completing save touches every per-user key kind.
	if widest != 12 {
		t.Errorf("the widest script call passed %d keys, want 12 (active, session, seen, binding, stats, recent, week, month, coverage, history, scores, pending outbox)", widest)
	}
}

// TestKeysDoNotCollide: escaping keeps distinct owners apart even when
// their ids contain the separator.
func TestKeysDoNotCollide(t *testing.T) {
	k := keys{prefix: "p"}
	a := bot.UserKey{Platform: bot.Slack, Workspace: "a:b", UserID: "c"}
	b := bot.UserKey{Platform: bot.Slack, Workspace: "a", UserID: "b:c"}
	if k.active(a) == k.active(b) {
		t.Errorf("users %v and %v share key %s", a, b, k.active(a))
	}
	r1 := bot.ThreadRef{Platform: bot.Slack, Workspace: "T", Channel: "C:1", Thread: "2"}
	r2 := bot.ThreadRef{Platform: bot.Slack, Workspace: "T", Channel: "C", Thread: "1:2"}
	if k.threadIndex(r1) == k.threadIndex(r2) {
		t.Errorf("threads %v and %v share key %s", r1, r2, k.threadIndex(r1))
	}
	if k.session(a, "x:seen") == k.seen(a, "x") {
		t.Errorf("session id %q collides with a seen set", "x:seen")
	}
}
