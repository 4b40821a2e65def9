package bolt

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/mlsdbot/mlsd/bot"
)

// A bbolt file is opened by one process, so the replicas a rate budget is
// shared between are the adapters of this process: the limiter lives in
// memory, not in the file (a restart forgets at most one burst).

var _ bot.RateLimiter = (*Store)(nil)

// rateTable keeps each budget's theoretical arrival time (GCRA): the
// instant the budget is used up to, Burst-1 intervals of which may be
// spent early.
type rateTable struct {
	mu   sync.Mutex
	tats map[string]time.Time
}

// Reserve takes the next slot of key; see bot.RateLimiter.
func (s *Store) Reserve(ctx context.Context, key string, rate bot.Rate, now time.Time) (time.Duration, error) {
	if err := checkRate(key, rate); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	t := &s.rates
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tats == nil {
		t.tats = make(map[string]time.Time)
	}
	tat := t.tats[key]
	if tat.Before(now) {
		tat = now
	}
	wait := max(tat.Sub(now)-tolerance(rate), 0)
	t.tats[key] = tat.Add(rate.Every)
	if len(t.tats) > 1024 {
		// Budgets whose time has passed are as good as new.
		for k, v := range t.tats {
			if v.Before(now) {
				delete(t.tats, k)
			}
		}
	}
	return wait, nil
}

// Hold keeps key's slots before until free; see bot.RateLimiter.
func (s *Store) Hold(ctx context.Context, key string, rate bot.Rate, until time.Time) error {
	if err := checkRate(key, rate); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	t := &s.rates
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tats == nil {
		t.tats = make(map[string]time.Time)
	}
	if held := until.Add(tolerance(rate)); held.After(t.tats[key]) {
		t.tats[key] = held
	}
	return nil
}

func tolerance(r bot.Rate) time.Duration { return time.Duration(r.Burst-1) * r.Every }

func checkRate(key string, r bot.Rate) error {
	if key == "" || r.Every <= 0 || r.Burst < 1 {
		return errors.New("bolt: a rate budget needs a key, a positive interval and a burst of at least 1")
	}
	return nil
}
