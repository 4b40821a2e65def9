package discord_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/chattest/fakediscord"
	"github.com/mlsdbot/mlsd/bot/discord"
)

// TestGlobalLimitHoldsEveryReplica (issue 15): something outside the
// shared budget (another tool on the same token) used up this second's
// global limit. Replica A's post gets the 429 with X-RateLimit-Global; it
// holds the shared budget for the retry_after, so replica B's post waits
// for it instead of collecting a second 429, and A's retry goes through.
func TestGlobalLimitHoldsEveryReplica(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{Limits: &fakediscord.Limits{}})
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		store, err := bolt.Open(filepath.Join(dir, "mlsd.db"), bolt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		replica := func() *discord.Adapter {
			a, err := discord.New(discord.Config{Token: srv.Token(), AppID: srv.AppID, HTTPClient: srv.Client(), Limiter: store})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		a, b := replica(), replica()
		start := time.Now()
		for i := range 50 {
			// Fifty routes, so only the global limit counts them all.
			req, _ := http.NewRequest("GET", fmt.Sprintf("http://discord.invalid/api/v9/elsewhere/%d", i), nil)
			req.Header.Set("Authorization", "Bot "+srv.Token())
			resp, err := srv.Client().Do(req)
			if err != nil || resp.StatusCode == http.StatusTooManyRequests {
				t.Fatalf("filling the global window: %v, %v", resp, err)
			}
			resp.Body.Close()
		}
		post := func(a *discord.Adapter, text string) {
			out := bot.Outbound{Where: bot.Where{Kind: bot.InThread, Channel: srv.Channel}, Text: text}
			if _, err := a.Post(ctx, out); err != nil {
				t.Errorf("Post(%q) = %v", text, err)
			}
		}
		done := make(chan struct{})
		go func() { post(a, "from A"); close(done) }()
		synctest.Wait() // A got its 429 and sleeps out the retry_after
		if n := srv.TooManyRequests(); n != 1 {
			t.Fatalf("429s after A's first attempt = %d, want 1", n)
		}
		post(b, "from B")
		<-done
		if n := srv.TooManyRequests(); n != 1 {
			t.Errorf("429s after both posts = %d, want only A's first", n)
		}
		for _, r := range srv.Requests() {
			if r.Method == "POST" && r.Status == http.StatusOK && r.At.Sub(start) < time.Second {
				t.Errorf("a post went out %v after the window filled, inside the held second", r.At.Sub(start))
			}
		}
		if got := len(srv.Messages(srv.Channel)); got != 2 {
			t.Errorf("the channel holds %d messages, want both posts", got)
		}
	})
}
