package slack

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
)

// TestRateLimitOneChannel: the real slack-go client posts through the
// fake (in memory, so the bubble's fake clock applies) to two channels.
// Slack answers the first post in #a with 429 Retry-After: 30. #a waits
// 30 s and resends; #b is paced at 1 message/s after a burst of 3 and
// never waits for #a. Every message arrives exactly once, in order.
func TestRateLimitOneChannel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := fakeslack.New(fakeslack.Options{})
		fake.AddChannel(fakeslack.Channel{ID: "CA", Name: "a", Member: true})
		fake.AddChannel(fakeslack.Channel{ID: "CB", Name: "b", Member: true})
		fake.Fail("chat.postMessage", "CA", fakeslack.Failure{RetryAfter: 30 * time.Second})
		var logs bytes.Buffer
		obs := newObserver()
		ad, err := New(Config{
			BotToken: fake.Options().BotToken, SigningSecret: "s", APIURL: fake.APIURL(),
			HTTPClient: fake.Client(), Interviewer: &gate{}, Observe: obs.observe,
			Log: slog.New(slog.NewTextHandler(&logs, nil)), Rate: 1, Burst: 3,
		})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		var mu sync.Mutex
		sentAt := map[string][]time.Duration{}
		var wg sync.WaitGroup
		for _, ch := range []string{"CA", "CB"} {
			wg.Go(func() {
				for i := range 5 {
					out := bot.Outbound{Where: bot.Where{Kind: bot.InThread, Channel: ch}, Text: fmt.Sprintf("%s-%d", ch, i)}
					if _, err := ad.Post(context.Background(), out); err != nil {
						t.Errorf("Post %s-%d: %v", ch, i, err)
					}
					mu.Lock()
					sentAt[ch] = append(sentAt[ch], time.Since(start))
					mu.Unlock()
				}
			})
		}
		wg.Wait()

		s := time.Second
		want := map[string][]time.Duration{
			"CB": {0, 0, 0, 1 * s, 2 * s},                  // burst of 3, then 1/s; untouched by #a's pause
			"CA": {30 * s, 31 * s, 32 * s, 33 * s, 34 * s}, // parked for Retry-After, then paced
		}
		if diff := cmp.Diff(want, sentAt); diff != "" {
			t.Errorf("send times (-want +got):\n%s", diff)
		}
		for _, ch := range []string{"CA", "CB"} {
			var got []string
			for _, m := range fake.Messages() {
				if m.Channel == ch {
					got = append(got, m.Text)
				}
			}
			wantTexts := []string{ch + "-0", ch + "-1", ch + "-2", ch + "-3", ch + "-4"}
			if !slices.Equal(got, wantTexts) {
				t.Errorf("%s received %q, want each message once, in order", ch, got)
			}
		}
		limited := 0
		for _, c := range fake.Calls() {
			if c.Error == "ratelimited" {
				limited++
			}
		}
		if limited != 1 || obs.count("rate_limited") != 1 {
			t.Errorf("429s: %d at the fake, %d observed; want 1", limited, obs.count("rate_limited"))
		}
		if !strings.Contains(logs.String(), "retry_after=30s") {
			t.Errorf("no log line for the rate limit:\n%s", logs.String())
		}
	})
}

// TestBucket checks the token bucket's arithmetic directly.
func TestBucket(t *testing.T) {
	now := time.Unix(0, 0)
	o := newOutbox(1, 3, func() time.Time { return now })
	var waits []time.Duration
	for range 5 {
		waits = append(waits, o.take("C"))
	}
	s := time.Second
	if diff := cmp.Diff([]time.Duration{0, 0, 0, s, 2 * s}, waits); diff != "" {
		t.Errorf("waits at t=0 (-want +got):\n%s", diff)
	}
	now = now.Add(10 * time.Second) // idle: refills to the burst, no more
	if w := o.take("C"); w != 0 {
		t.Errorf("after idling, wait = %v", w)
	}
	if w := o.take("other"); w != 0 {
		t.Errorf("another channel waits %v", w)
	}
}

// TestPost covers proactive posts (the daily case study): a new thread in
// a public channel the bot has not joined yet, then a reply in it.
func TestPost(t *testing.T) {
	fake := fakeslack.New(fakeslack.Options{})
	fake.AddChannel(fakeslack.Channel{ID: "CDAILY", Name: "daily"})
	ad, err := New(Config{BotToken: fake.Options().BotToken, SigningSecret: "s", APIURL: fake.APIURL(),
		HTTPClient: fake.Client(), Interviewer: &gate{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	root, err := ad.Post(ctx, bot.Outbound{Where: bot.Where{Kind: bot.NewThread, Channel: "CDAILY"}, Text: "**Today's case:** ETA prediction"})
	if err != nil {
		t.Fatal(err)
	}
	thread, err := ad.Post(ctx, bot.Outbound{Where: bot.Where{Kind: bot.InThread, Channel: "CDAILY", Thread: root}, Text: "Reply here."})
	if err != nil || thread != root {
		t.Fatalf("reply: thread %q, err %v; want %q", thread, err, root)
	}
	msgs := fake.Messages()
	if len(msgs) != 2 || msgs[0].TS != root || msgs[0].ThreadTS != "" || msgs[1].ThreadTS != root || msgs[0].Text != "*Today's case:* ETA prediction" {
		t.Errorf("messages = %+v", msgs)
	}
	if ch, _ := fake.ChannelInfo("CDAILY"); !ch.Member {
		t.Error("Post did not join the public channel after not_in_channel")
	}
	if _, err := ad.Post(ctx, bot.Outbound{Where: bot.Where{Kind: bot.NewThread, Channel: "CNOPE"}, Text: "x"}); err == nil {
		t.Error("Post to a missing channel succeeded")
	}
}

// TestRateLimitRetriesBounded (issue 12, review 4): a channel Slack keeps
// answering with 429 gives the message up after maxRateLimitRetries
// resends, with an error, instead of holding the event's run slot for
// good; another channel is not held up meanwhile.
func TestRateLimitRetriesBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := fakeslack.New(fakeslack.Options{})
		fake.AddChannel(fakeslack.Channel{ID: "CA", Name: "a", Member: true})
		fake.AddChannel(fakeslack.Channel{ID: "CB", Name: "b", Member: true})
		for range 20 {
			fake.Fail("chat.postMessage", "CA", fakeslack.Failure{RetryAfter: 10 * time.Second})
		}
		ad, err := New(Config{
			BotToken: fake.Options().BotToken, SigningSecret: "s", APIURL: fake.APIURL(),
			HTTPClient: fake.Client(), Interviewer: &gate{}, Log: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = ad.Post(context.Background(), bot.Outbound{Where: bot.Where{Kind: bot.InThread, Channel: "CA"}, Text: "stuck"})
		if err == nil || !strings.Contains(err.Error(), "given up") {
			t.Fatalf("Post to a channel that keeps answering 429 = %v, want it given up", err)
		}
		if waited := time.Since(start); waited > time.Duration(maxRateLimitRetries+1)*10*time.Second {
			t.Errorf("gave up after %v, want at most %d waits of 10 s", waited, maxRateLimitRetries+1)
		}
		if _, err := ad.Post(context.Background(), bot.Outbound{Where: bot.Where{Kind: bot.InThread, Channel: "CB"}, Text: "fine"}); err != nil {
			t.Fatalf("Post to another channel: %v", err)
		}
	})
}
