package redis

import (
	"context"
	"os"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/clocktest"
	"github.com/mlsdbot/mlsd/bot/storetest"
)

// topologyURL is the URL of a Redis topology .ci/redis-topologies.sh
// starts (REDIS_CLUSTER_URL, REDIS_SENTINEL_URL). Without it the test is
// skipped on a laptop; in CI (CI=true) a missing topology fails.
func topologyURL(t *testing.T, env string) string {
	t.Helper()
	u := os.Getenv(env)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s is unset: .ci/run starts the topology and exports it", env)
		}
		t.Skipf("%s unset: run .ci/redis-topologies.sh and export its output to test this topology", env)
	}
	return u
}

// TestTopologies runs every store contract against a real 3-node Redis
// Cluster and a real Sentinel setup (master, replica, sentinel): the
// scripts' keys must share a slot, and the store must find the master
// through the sentinel.
func TestTopologies(t *testing.T) {
	for _, tp := range []struct{ name, env string }{{"cluster", "REDIS_CLUSTER_URL"}, {"sentinel", "REDIS_SENTINEL_URL"}} {
		t.Run(tp.name, func(t *testing.T) {
			url := topologyURL(t, tp.env)
			s := openTestStore(t, url, Options{})
			if want := map[string]Deployment{"cluster": Cluster, "sentinel": Sentinel}[tp.name]; s.Deployment() != want {
				t.Fatalf("store on %s is %s, want %s", tp.env, s.Deployment(), want)
			}
			t.Run("store", func(t *testing.T) {
				storetest.Run(t, func(t *testing.T) bot.Store { return openTestStore(t, url, Options{}) })
			})
			t.Run("daily", func(t *testing.T) {
				storetest.RunDaily(t, func(t *testing.T) (storetest.DailyStore, storetest.DailyOptions) {
					clk := clocktest.New(time.Now())
					return openTestStore(t, url, Options{Now: clk.Now}), storetest.DailyOptions{AdvanceClock: clk.Advance}
				})
			})
			t.Run("progress", func(t *testing.T) {
				storetest.RunProgress(t, func(t *testing.T) storetest.ProgressStore { return openTestStore(t, url, Options{}) })
			})
			t.Run("forget", func(t *testing.T) {
				storetest.RunForget(t, func(t *testing.T) (storetest.ForgetStore, storetest.Scanner) {
					s := openTestStore(t, url, Options{})
					return s, keyScanner(s)
				})
			})
			t.Run("judge ledger", func(t *testing.T) {
				storetest.RunJudgeLedger(t, func(t *testing.T) (bot.JudgeLedger, func(time.Duration)) {
					return openTestStore(t, url, Options{}), nil
				})
			})
		})
	}
}

// clusterDeleteKeys deletes a test's keys from every master of a cluster,
// one key at a time (a multi-key DEL across slots is refused).
func clusterDeleteKeys(ctx context.Context, c *goredis.ClusterClient, pattern string) {
	_ = c.ForEachMaster(ctx, func(ctx context.Context, node *goredis.Client) error {
		iter := node.Scan(ctx, 0, pattern, 500).Iterator()
		for iter.Next(ctx) {
			node.Del(ctx, iter.Val())
		}
		return iter.Err()
	})
}
