package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mlsdbot/mlsd/bot"
)

// Redis refuses writes for lack of space in two ways: OOM past maxmemory
// under the noeviction policy, and MISCONF when it cannot persist its
// snapshot (a full disk on the Redis host, with stop-writes-on-bgsave-error).
// Both become bot.ErrStorageFull; reads keep working.

// outOfSpace reports whether err is Redis refusing a write for lack of
// space, and says which way, for the operator.
func outOfSpace(err error) (string, bool) {
	var re goredis.Error
	if err == nil || !errors.As(err, &re) {
		return "", false
	}
	// A script's refused call keeps the code (Redis 7) or quotes it.
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "OOM ") || strings.Contains(msg, "OOM command not allowed"):
		return "Redis is at maxmemory and evicts nothing (raise maxmemory, free memory, or pick an eviction policy)", true
	case strings.HasPrefix(msg, "MISCONF ") || strings.Contains(msg, "-MISCONF "):
		return "Redis cannot persist to its disk (MISCONF: free the disk on the Redis host)", true
	}
	return "", false
}

// spaceWrites are commands that Redis refuses while full (it lets deletes
// through under maxmemory): one of them succeeding ends an incident.
// Scripts are left out, since a read-only one runs even when full.
var spaceWrites = map[string]bool{
	"set": true, "setnx": true, "hset": true, "hsetnx": true, "hincrby": true, "hincrbyfloat": true,
	"zadd": true, "zincrby": true, "sadd": true, "incr": true, "incrby": true, "lpush": true, "rpush": true,
}

// healthHook tells the store's StorageHealth what each command's reply
// says about space.
type healthHook struct{ h *bot.StorageHealth }

func (healthHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (k healthHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		err := next(ctx, cmd)
		k.observe(cmd, err)
		return err
	}
}

func (k healthHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		err := next(ctx, cmds)
		for _, c := range cmds {
			k.observe(c, nil)
		}
		return err
	}
}

// observe reads err, what the command's processing returned (a single
// command's error is set on it only after the hooks), else the command's
// own error (each command of a pipeline has its own).
func (k healthHook) observe(cmd goredis.Cmder, err error) {
	if err == nil {
		err = cmd.Err()
	}
	if cause, ok := outOfSpace(err); ok {
		k.h.Wrote(fmt.Errorf("%w: redis %s: %s: %w", bot.ErrStorageFull, cmd.Name(), cause, err))
		return
	}
	if err == nil && spaceWrites[cmd.Name()] {
		k.h.Wrote(nil)
	}
}

// WriteProblem reports why writes fail for lack of space, nil when they
// work. While an incident lasts it tries one small write (SET with a
// minute's expiry), so a readiness probe, which gets no user traffic while
// it fails, sees Redis accept writes again.
func (s *Store) WriteProblem(ctx context.Context) error {
	if s.health.Full() == nil {
		return nil
	}
	err := s.rdb.Set(ctx, s.keys.prefix+":write-probe", s.now().UnixMilli(), time.Minute).Err()
	if full := s.health.Full(); full != nil {
		return full
	}
	if err != nil {
		return s.fail("write probe", err)
	}
	return nil
}
