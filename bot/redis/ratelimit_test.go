package redis

import (
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/storetest"
)

// TestRateLimiterContract runs storetest.RunRateLimiter against the real
// server in REDIS_URL (CI), else miniredis; the ...OnMiniredis variant runs
// the same script on miniredis in CI too.
func TestRateLimiterContract(t *testing.T) {
	storetest.RunRateLimiter(t, func(t *testing.T) bot.RateLimiter {
		s, _ := newTestStore(t, Options{})
		return s
	})
}

func TestRateLimiterContractOnMiniredis(t *testing.T) {
	storetest.RunRateLimiter(t, func(t *testing.T) bot.RateLimiter {
		url, _ := startMiniredis(t)
		return openTestStore(t, url, Options{})
	})
}
