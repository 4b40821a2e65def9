package redis

import (
	"context"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mlsdbot/mlsd/bot"
)

var _ bot.JudgeLedger = (*Store)(nil)

// CachedVerdict is GET.
func (s *Store) CachedVerdict(ctx context.Context, key string) ([]byte, bool, error) {
	data, err := s.rdb.Get(ctx, s.keys.judgeVerdict(key)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.fail("cached verdict", err)
	}
	return data, true, nil
}

// CacheVerdict is SET EX.
func (s *Store) CacheVerdict(ctx context.Context, key string, verdict []byte, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.keys.judgeVerdict(key), verdict, ttl).Err(); err != nil {
		return s.fail("cache verdict", err)
	}
	return nil
}

// AddJudgeTokens is INCRBY then EXPIRE NX in one pipeline (one round
// trip); the count's TTL starts at its first addition.
func (s *Store) AddJudgeTokens(ctx context.Context, ws bot.Workspace, day string, n int, ttl time.Duration) (int, error) {
	key := s.keys.judgeTokens(ws, day)
	var incr *goredis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		incr = p.IncrBy(ctx, key, int64(n))
		p.ExpireNX(ctx, key, ttl)
		return nil
	})
	if err != nil {
		return 0, s.fail("add judge tokens", err)
	}
	return int(incr.Val()), nil
}

// JudgeTokens is GET.
func (s *Store) JudgeTokens(ctx context.Context, ws bot.Workspace, day string) (int, error) {
	n, err := s.rdb.Get(ctx, s.keys.judgeTokens(ws, day)).Int()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, s.fail("judge tokens", err)
	}
	return n, nil
}
