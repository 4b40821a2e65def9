package discord

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mlsdbot/mlsd/bot"
)

// DefaultGlobalRate keeps every replica together at 48 requests a second,
// one at a time: at most 49 fall in any second, under Discord's 50 per
// bot token, with room for replicas' clocks a few milliseconds apart.
// 1,000 daily posts (a message and a thread each) take about 42 s.
var DefaultGlobalRate = bot.PerSecond(48, 1)

// pacer is the REST transport under discordgo: before each request it
// takes a slot of the bot's global budget from the shared limiter and
// waits for it; a 429 that names the global limit holds the budget, for
// every replica, until its retry_after has passed. Per-route buckets
// (X-RateLimit-* headers, a route's 429) stay discordgo's: it waits for a
// bucket's reset and retries a refused request after its retry_after.
type pacer struct {
	next http.RoundTripper
	a    *Adapter
	key  string
}

func (p *pacer) RoundTrip(r *http.Request) (*http.Response, error) {
	if exemptFromGlobal(r.URL.Path) {
		return p.next.RoundTrip(r)
	}
	ctx := r.Context()
	rate := p.a.cfg.GlobalRate
	wait, err := p.a.cfg.Limiter.Reserve(ctx, p.key, rate, p.a.cfg.Now())
	if err != nil {
		// Without the shared budget this replica cannot know what the
		// others send; failing the call beats a 429 storm.
		return nil, fmt.Errorf("discord: pacing the request: %w", err)
	}
	if err := sleep(ctx, wait); err != nil {
		return nil, err
	}
	resp, err := p.next.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-RateLimit-Global") == "" {
		return resp, err
	}
	after := retryAfter(resp.Header)
	p.a.observe("rate_limited", "global")
	p.a.log.Warn("discord: global rate limit; holding every replica's requests", "retry_after", after)
	if err := p.a.cfg.Limiter.Hold(ctx, p.key, rate, p.a.cfg.Now().Add(after)); err != nil {
		p.a.log.Warn("discord: could not hold the shared budget after a global 429", "err", err)
	}
	return resp, nil
}

// exemptFromGlobal: interaction callbacks and webhooks (followups) do not
// count against the global limit.
func exemptFromGlobal(path string) bool {
	return strings.Contains(path, "/interactions/") || strings.Contains(path, "/webhooks/")
}

// retryAfter reads Retry-After (seconds); a 429 without it waits a second.
func retryAfter(h http.Header) time.Duration {
	if s, err := strconv.ParseFloat(h.Get("Retry-After"), 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	return time.Second
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
