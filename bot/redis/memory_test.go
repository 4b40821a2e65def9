package redis

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/clocktest"
	"github.com/mlsdbot/mlsd/scenarios"
)

// TestMemoryPerUser measures what one user costs in Redis (MEMORY USAGE
// of every key under the store's prefix): with an interview in progress
// three steps in, and after it completed (stats, boards, coverage,
// history, and the finished session until its TTL). Real Redis only;
// the figures are logged for the README.
func TestMemoryPerUser(t *testing.T) {
	url, mini := testServer(t)
	if mini != nil {
		t.Skip("MEMORY USAGE needs a real redis-server (REDIS_URL)")
	}
	s := openTestStore(t, url, Options{})
	lib, err := scenarios.Load("")
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktest.New(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	b, err := bot.New(bot.Config{Store: s, Progress: s, Library: lib, Now: clk.Now, Intn: func(int) int { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	seq := 0
	send := func(kind bot.InboundKind, text string) []bot.Outbound {
		seq++
		clk.Advance(time.Minute)
		in := bot.Inbound{Platform: bot.Slack, Workspace: "T1", Channel: "C1", Thread: "th1",
			UserID: "U1", UserName: "Ada", MessageID: fmt.Sprintf("m%d", seq), Text: text, Kind: kind}
		out, err := b.Handle(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		// As the adapters do once the replies are posted: the saved copy
		// is dropped, so a session at rest holds none.
		b.Delivered(ctx, in, out)
		return out
	}
	out := send(bot.KindCommand, "start payment-fraud-detection")
	if err := b.AttachThread(ctx, bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "U1"}, out[0].Session, "C1", "th1"); err != nil {
		t.Fatal(err)
	}
	answer := strings.Repeat("I would weigh the cost of a missed fraud against a false decline, because both hurt the business. ", 4)
	// Delivery marks (:evt:, one per platform message, kept a day) are
	// counted apart: they belong to messages, not to the person.
	usage := func() (keys int, bytes int64) {
		all, err := s.scanKeys(ctx, s.keys.prefix+":")
		if err != nil {
			t.Fatal(err)
		}
		var big []string
		marks, markBytes := 0, int64(0)
		defer func() {
			t.Logf("memory: besides, %d delivery marks, %.1f KiB", marks, float64(markBytes)/1024)
		}()
		for _, k := range all {
			n, err := s.rdb.MemoryUsage(ctx, k, 0).Result() // every field, not a sample of 5
			if strings.Contains(k, ":evt:") {
				marks++
				markBytes += n
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			bytes += n
			if os.Getenv("MLSD_MEMORY_KEYS") != "" {
				t.Logf("key %s %d", strings.TrimPrefix(k, s.keys.prefix), n)
			}
			if n >= 4096 {
				big = append(big, fmt.Sprintf("%s %.1f KiB", strings.TrimPrefix(k, s.keys.prefix), float64(n)/1024))
			}
		}
		if len(big) > 0 {
			t.Logf("memory: keys of 4 KiB or more: %s", strings.Join(big, "; "))
		}
		return len(all) - marks, bytes
	}
	for range 3 {
		send(bot.KindReply, answer)
		send(bot.KindReply, "next")
	}
	k, active := usage()
	t.Logf("memory: an interview three steps in: %d keys, %.1f KiB", k, float64(active)/1024)
	for i := 0; i < 40; i++ {
		if slices.ContainsFunc(send(bot.KindReply, answer), func(o bot.Outbound) bool { return o.Report != nil }) {
			break
		}
	}
	k, done := usage()
	t.Logf("memory: after the interview completed (stats, boards, coverage, history, the finished session until its TTL): %d keys, %.1f KiB", k, float64(done)/1024)
}
