package redis

import (
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/storetest"
)

// TestContract runs the shared bot.Store suite: against the real server in
// REDIS_URL (as CI does), otherwise against miniredis, whose clock the
// suite can move so the expiry cases run too. On a real server those
// cases are skipped (a TTL cannot pass without sleeping); TestExpiryTTLs
// checks the same property there by reading every key's TTL.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) bot.Store {
		s, mini := newTestStore(t, Options{})
		if mini == nil {
			return s
		}
		return storetest.WithOptions(s, storetest.Options{Advance: mini.FastForward})
	})
}

// TestContractWithClock runs the suite once more on miniredis, in CI too,
// so the expiry cases (keys of a session expiring together, a save
// restarting the TTL) exercise the real scripts with a clock the suite
// can move. TestContract above is the run against the real server.
func TestContractWithClock(t *testing.T) {
	storetest.Run(t, func(t *testing.T) bot.Store {
		url, mini := startMiniredis(t)
		s := openTestStore(t, url, Options{})
		return storetest.WithOptions(s, storetest.Options{Advance: mini.FastForward})
	})
}

// TestProgressContract runs the coverage and history contract against the
// server in REDIS_URL, or miniredis without one.
func TestProgressContract(t *testing.T) {
	storetest.RunProgress(t, func(t *testing.T) storetest.ProgressStore {
		s, _ := newTestStore(t, Options{})
		return s
	})
}
