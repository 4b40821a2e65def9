package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// A lease keeps one holder at a time for a name (the Discord gateway of a
// shard): SET NX PX takes a free lease; a compare-and-renew script extends
// one the holder already has, and a compare-and-delete releases it, so a
// replica whose lease expired and was taken over can neither renew nor
// delete the new holder's lease. Key: P:lease:<name> → holder, PX = ttl.
//
// A lease is not a fence: a process paused past the TTL may briefly
// overlap the next holder, which is why inbound events stay de-duplicated
// by id in the store.

var (
	renewLease = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`)
	releaseLease = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)
)

func (s *Store) leaseKey(name string) string { return s.keys.prefix + ":lease:" + esc(name) }

// Acquire takes the lease name for holder for ttl, or renews it if holder
// already holds it; it reports whether holder holds it now.
func (s *Store) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if name == "" || holder == "" || ttl < time.Millisecond {
		return false, errors.New("redis: a lease needs a name, a holder and a ttl of at least 1 ms")
	}
	key := s.leaseKey(name)
	ok, err := s.rdb.SetNX(ctx, key, holder, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("redis: acquire lease %s: %w", name, err)
	}
	if ok {
		return true, nil
	}
	n, err := renewLease.Run(ctx, s.rdb, []string{key}, holder, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("redis: renew lease %s: %w", name, err)
	}
	return n == 1, nil
}

// Release gives the lease up if holder still holds it; releasing a lease
// held by someone else, or by no one, does nothing.
func (s *Store) Release(ctx context.Context, name, holder string) error {
	if err := releaseLease.Run(ctx, s.rdb, []string{s.leaseKey(name)}, holder).Err(); err != nil {
		return fmt.Errorf("redis: release lease %s: %w", name, err)
	}
	return nil
}
