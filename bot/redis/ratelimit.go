package redis

import (
	"context"
	_ "embed"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mlsdbot/mlsd/bot"
)

// Rate budgets shared by the replicas (Discord's global limit per bot
// token, Slack's per workspace): one key per budget, P:rate:<key>, taken
// and held by rate.lua in one round trip each.

//go:embed lua/rate.lua
var rateLua string

var rateScript = goredis.NewScript(rateLua)

var _ bot.RateLimiter = (*Store)(nil)

func (k keys) rate(key string) string { return k.prefix + ":rate:" + esc(key) }

// Reserve takes the next slot of key; see bot.RateLimiter.
func (s *Store) Reserve(ctx context.Context, key string, rate bot.Rate, now time.Time) (time.Duration, error) {
	if err := checkRate(key, rate); err != nil {
		return 0, err
	}
	us, err := rateScript.Run(ctx, s.rdb, []string{s.keys.rate(key)}, "reserve", now.UnixMicro(),
		tolerance(rate).Microseconds(), rate.Every.Microseconds()).Int64()
	if err != nil {
		return 0, s.fail("reserve "+key, err)
	}
	return time.Duration(us) * time.Microsecond, nil
}

// Hold keeps key's slots before until free; see bot.RateLimiter.
func (s *Store) Hold(ctx context.Context, key string, rate bot.Rate, until time.Time) error {
	if err := checkRate(key, rate); err != nil {
		return err
	}
	// now only sizes the key's TTL here.
	err := rateScript.Run(ctx, s.rdb, []string{s.keys.rate(key)}, "hold", s.now().UnixMicro(),
		tolerance(rate).Microseconds(), until.UnixMicro()).Err()
	if err != nil {
		return s.fail("hold "+key, err)
	}
	return nil
}

func tolerance(r bot.Rate) time.Duration { return time.Duration(r.Burst-1) * r.Every }

func checkRate(key string, r bot.Rate) error {
	if key == "" || r.Every < time.Microsecond || r.Burst < 1 {
		return errors.New("redis: a rate budget needs a key, an interval of at least 1 µs and a burst of at least 1")
	}
	return nil
}
