package bot_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/alicebob/miniredis/v2"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/redis"
)

// eachStore runs f on the embedded bbolt store and on Redis: the real
// server in REDIS_URL (CI), else an in-process miniredis. CI without
// REDIS_URL fails rather than skipping.
func eachStore(t *testing.T, f func(t *testing.T, s bot.Store)) {
	t.Run("bolt", func(t *testing.T) {
		s, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{})
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
				t.Fatal("CI=true but REDIS_URL is unset: the Redis store must be tested against a real redis-server in CI")
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
		s, err := redis.Open(context.Background(), url, redis.Options{Prefix: "mlsdtest:faults:" + hex.EncodeToString(b[:])})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		f(t, s)
	})
}

// outageStore fails ActiveSession the next n times, as a store that goes
// away between a command's receipt and its handling.
type outageStore struct {
	bot.Store
	failures atomic.Int32
}

func (o *outageStore) ActiveSession(ctx context.Context, u bot.UserKey) (bot.Session, error) {
	if o.failures.Add(-1) >= 0 {
		return bot.Session{}, fmt.Errorf("i/o timeout: %w", bot.ErrUnavailable)
	}
	return o.Store.ActiveSession(ctx, u)
}

// TestRetriedCommandWorksAfterStoreFailure (issue 12, review 9): the store
// fails after the command was marked as delivered; the platform's retry of
// the same command (same message id) starts the interview instead of being
// dropped as a duplicate. A second retry after success is still dropped.
func TestRetriedCommandWorksAfterStoreFailure(t *testing.T) {
	eachStore(t, func(t *testing.T, s bot.Store) {
		flaky := &outageStore{Store: s}
		h := newHarnessWithStore(t, flaky)
		in := bot.Inbound{Platform: bot.Slack, Workspace: "T1", Channel: "C1", UserID: "u1", UserName: "U1",
			MessageID: "cmd-1", Text: "start", Kind: bot.KindCommand}
		flaky.failures.Store(1)
		out, err := h.bot.Handle(context.Background(), in)
		if err != nil || len(out) != 1 || !strings.Contains(out[0].Text, "couldn't save that") {
			t.Fatalf("during the outage: %v\n%s", err, texts(out))
		}
		out, err = h.bot.Handle(context.Background(), in)
		if err != nil || len(out) < 2 || out[0].Where.Kind != bot.NewThread {
			t.Fatalf("the retry after the outage: %v\n%s\nwant the interview to start", err, texts(out))
		}
		if _, err := s.ActiveSession(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "u1"}); err != nil {
			t.Fatalf("no interview after the retry: %v", err)
		}
		if out, err := h.bot.Handle(context.Background(), in); err != nil || len(out) != 0 {
			t.Fatalf("a repeat of the handled command: %v\n%s\nwant it dropped", err, texts(out))
		}
	})
}
