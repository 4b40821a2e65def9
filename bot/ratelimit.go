package bot

import (
	"context"
	"time"
)

// Rate is a request budget: one request per Every on average, with up to
// Burst at once after a quiet spell. In any span of time d it lets through
// at most Burst + d/Every requests.
type Rate struct {
	Every time.Duration
	Burst int
}

// PerSecond is the Rate of n requests a second with bursts of burst.
func PerSecond(n float64, burst int) Rate {
	return Rate{Every: time.Duration(float64(time.Second) / n), Burst: burst}
}

// RateLimiter paces requests to a platform across every replica that
// shares it, so that together they stay within a budget the platform
// enforces per bot token or per workspace (Discord's 50 requests a second,
// Slack's workspace-wide posting cap). The chat adapters consume it;
// bot/redis shares it through Redis, bot/bolt keeps it in the process
// (a bbolt file has one process); bot/storetest.RunRateLimiter is the
// contract.
//
// The limiter reads no clock: callers pass their now. Replicas' clocks
// must agree to well within rate.Every (NTP does), which is why the
// adapters keep some headroom below the platform's figure.
type RateLimiter interface {
	// Reserve takes the next free slot of the budget named key at rate and
	// returns how long after now the caller must wait before sending (0:
	// at once). Every call gets its own slot: a caller that gives up
	// simply leaves its slot unused. rate is the caller's; all callers of
	// one key must pass the same.
	Reserve(ctx context.Context, key string, rate Rate, now time.Time) (time.Duration, error)

	// Hold keeps every slot of key before until free of reservations (the
	// platform answered 429 for the whole budget, with a retry_after):
	// the next Reserve waits at least until until, then a burst may go.
	// A hold never shortens an earlier one.
	Hold(ctx context.Context, key string, rate Rate, until time.Time) error
}
