package discord_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/mlsdbot/mlsd/bot/chattest/fakediscord"
	"github.com/mlsdbot/mlsd/bot/discord"
	"github.com/mlsdbot/mlsd/bot/redis"
)

// sharedRedis opens the store both replicas share: the real server in
// REDIS_URL (CI), else an in-process miniredis; mini is nil for a real one.
func sharedRedis(t *testing.T) (*redis.Store, *miniredis.Miniredis) {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	var mini *miniredis.Miniredis
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but REDIS_URL is unset: the lease must be tested against a real redis-server in CI")
		}
		mini = miniredis.RunT(t)
		url = "redis://" + mini.Addr() + "/0"
	}
	var b [4]byte
	rand.Read(b[:])
	st, err := redis.Open(context.Background(), url, redis.Options{Prefix: "mlsdtest:discordlease:" + hex.EncodeToString(b[:])})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, mini
}

// mortal wraps a replica's leaser: after kill it releases nothing, as a
// process killed with -9 would not.
type mortal struct {
	discord.Leaser
	dead atomic.Bool
}

func (m *mortal) Release(ctx context.Context, name, holder string) error {
	if m.dead.Load() {
		return nil
	}
	return m.Leaser.Release(ctx, name, holder)
}

// replica is one gateway adapter with its lease events on a channel.
type replica struct {
	env    *env
	leaser *mortal
	events chan string
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned
}

func startReplica(t *testing.T, srv *fakediscord.Server, st discord.Leaser, holder string, ttl time.Duration, shard, shards int) *replica {
	t.Helper()
	r := &replica{leaser: &mortal{Leaser: st}, events: make(chan string, 1000), done: make(chan struct{})}
	cfg := discord.Config{Interviewer: newScripted(nil), Leaser: r.leaser, Holder: holder, LeaseTTL: ttl,
		ShardID: shard, ShardCount: shards,
		Observe: func(event string, labels ...string) {
			if event == "lease" && len(labels) > 0 {
				select {
				case r.events <- labels[0]:
				default:
				}
			}
		}}
	r.env = start(t, srv, cfg, false)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		if err := r.env.a.Run(ctx); err != nil {
			t.Errorf("%s: Run = %v", holder, err)
		}
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// await waits for the replica's next lease event of this kind.
func (r *replica) await(t *testing.T, kind string) time.Time {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case e := <-r.events:
			if e == kind {
				return time.Now()
			}
		case <-timeout:
			t.Fatalf("timed out waiting for lease event %q", kind)
		}
	}
}

// TestGatewayLease is acceptance 5: two gateway replicas against one
// Redis: exactly one holds the lease and the gateway; kill it and the
// other takes over once the lease has run out. On a real Redis the lease
// is short (1 s) and the takeover time is measured; on miniredis its clock
// is moved past the lease instead. Synchronisation is on lease events and
// gateway events, never on sleeps.
func TestGatewayLease(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	st, mini := sharedRedis(t)
	const ttl = time.Second

	a := startReplica(t, srv, st, "replica-a", ttl, 0, 1)
	a.await(t, "acquired")
	srv.AwaitGateway(t, "identify")
	b := startReplica(t, srv, st, "replica-b", ttl, 0, 1)
	// b keeps asking, and keeps being refused, while a renews.
	for range 3 {
		b.await(t, "standby")
	}
	if n := srv.LiveSessions(); n != 1 {
		t.Fatalf("%d live gateway sessions, want exactly 1", n)
	}
	if got := countGateway(srv, "identify"); got != 1 {
		t.Fatalf("%d IDENTIFYs, want 1: the standby must not connect", got)
	}
	if !a.env.a.Ready() || !b.env.a.Ready() {
		t.Error("holder and standby should both report ready")
	}
	if held, err := st.Acquire(context.Background(), "gateway:{dc:0}", "intruder", ttl); err != nil || held {
		t.Fatalf("a third holder got the lease (%v, %v)", held, err)
	}

	// Kill a: it stops renewing and releases nothing.
	a.leaser.dead.Store(true)
	killed := time.Now()
	a.cancel()
	<-a.done
	srv.AwaitGateway(t, "closed")
	if mini != nil {
		mini.FastForward(ttl)
	}
	took := b.await(t, "acquired").Sub(killed)
	srv.AwaitGateway(t, "identify")
	if n := srv.LiveSessions(); n != 1 {
		t.Fatalf("%d live gateway sessions after the takeover, want 1", n)
	}
	if mini == nil {
		// a's last renewal was at most ttl/3 before the kill, so its lease
		// ran out between 2/3·ttl and ttl after it; b polls every ttl/3.
		if took < ttl/2 || took > ttl+ttl/3+time.Second/2 {
			t.Errorf("takeover after %v; want after the lease ran out and within ttl + one poll (%v)", took, ttl+ttl/3)
		}
		t.Logf("takeover %v after the kill (lease %v)", took, ttl)
	}
}

// TestShardsSplitTheGateway: with DISCORD_SHARD_ID/DISCORD_SHARD_COUNT
// each replica holds its own shard's lease, so both connect at once.
func TestShardsSplitTheGateway(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	st, _ := sharedRedis(t)
	a := startReplica(t, srv, st, "replica-a", time.Second, 0, 2)
	b := startReplica(t, srv, st, "replica-b", time.Second, 1, 2)
	a.await(t, "acquired")
	b.await(t, "acquired")
	shards := map[int]bool{}
	for range 2 {
		ev := srv.AwaitGateway(t, "identify")
		if len(ev.Shard) != 2 || ev.Shard[1] != 2 {
			t.Fatalf("identify shard %v, want [id 2]", ev.Shard)
		}
		shards[ev.Shard[0]] = true
	}
	if !shards[0] || !shards[1] {
		t.Fatalf("shards identified: %v, want 0 and 1", shards)
	}
}

func countGateway(srv *fakediscord.Server, kind string) int {
	n := 0
	for _, e := range srv.GatewayEvents() {
		if e.Kind == kind {
			n++
		}
	}
	return n
}
