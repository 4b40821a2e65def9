package redis

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mlsdbot/mlsd/bot"
)

// TestSentinelFailover kills the Sentinel setup's master while 20 users
// keep answering, and measures what the bot sees: how long until saves
// succeed again on the promoted replica, how many answers users had to
// resend (each got the retry message), and how many acknowledged answers
// Redis's asynchronous replication lost. It then brings the old master
// back as a replica of the new one, so the setup stays healthy.
//
// It kills a server other tests use, so it runs alone: .ci/run runs it as
// its own step after the suite, with MLSD_FAILOVER_TEST=1.
func TestSentinelFailover(t *testing.T) {
	if os.Getenv("MLSD_FAILOVER_TEST") != "1" {
		t.Skip("kills the Sentinel setup's master: set MLSD_FAILOVER_TEST=1 (CI runs it alone, after the suite)")
	}
	url := topologyURL(t, "REDIS_SENTINEL_URL")
	redisServer, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is needed to bring the old master back")
	}
	ctx := context.Background()
	sentinel := goredis.NewSentinelClient(&goredis.Options{Addr: "127.0.0.1:26379"})
	defer sentinel.Close()
	masterAddr := func() string {
		a, err := sentinel.GetMasterAddrByName(ctx, "mlsd").Result()
		if err != nil || len(a) != 2 {
			t.Fatalf("sentinel: %v", err)
		}
		return a[0] + ":" + a[1]
	}
	oldMaster := masterAddr()
	s := openTestStore(t, url, Options{})

	const users = 20
	var (
		stop                 atomic.Bool
		killedAt             atomic.Int64 // unix nanos
		firstOK              atomic.Int64 // first acknowledged save after the kill
		acked, retried, lost atomic.Int64
		otherErrors          []error
		mu                   sync.Mutex
		wg                   sync.WaitGroup
		started              = make(chan struct{}, users)
		done                 = make(chan struct{})
	)
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := testUser(fmt.Sprintf("fo%d", i))
			ses := newSession(u, fmt.Sprintf("s%d", i))
			for s.Save(ctx, bot.Change{Session: ses, TTL: time.Hour}) != nil {
				if stop.Load() {
					return
				}
			}
			started <- struct{}{}
			for n := 1; !stop.Load(); n++ {
				ch := next(ses, func(x *bot.Session) { x.Answers[bot.Clarify].Text += "." })
				ch.MessageID = fmt.Sprintf("m%d", n)
				failed := false
				for {
					tried := time.Now().UnixNano()
					err := s.Save(ctx, ch)
					switch {
					case err == nil, errors.Is(err, bot.ErrDuplicate):
						acked.Add(1)
						if k := killedAt.Load(); k != 0 && tried > k {
							firstOK.CompareAndSwap(0, time.Now().UnixNano())
						}
						ses = ch.Session
					case errors.Is(err, bot.ErrUnavailable):
						// The user is asked to send it again, and does, a
						// moment later.
						if !failed {
							failed = true
							retried.Add(1)
						}
						select {
						case <-time.After(100 * time.Millisecond):
						case <-done:
							return
						}
						continue
					case errors.Is(err, bot.ErrConflict), errors.Is(err, bot.ErrNotActive):
						// The stored session is older than an acknowledged
						// change: the failover lost what the master had not
						// yet copied to the replica.
						cur, gerr := s.ActiveSession(ctx, u)
						if gerr != nil {
							mu.Lock()
							otherErrors = append(otherErrors, gerr)
							mu.Unlock()
							return
						}
						lost.Add(int64(ses.Version - cur.Version))
						ses = cur
					default:
						mu.Lock()
						otherErrors = append(otherErrors, err)
						mu.Unlock()
						return
					}
					break
				}
			}
		}()
	}
	for range users {
		<-started
	}
	before := acked.Load()
	// SHUTDOWN NOSAVE: the process exits at once, as a crashed host would.
	_ = goredis.NewClient(&goredis.Options{Addr: oldMaster}).ShutdownNoSave(ctx).Err()
	killedAt.Store(time.Now().UnixNano())
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for firstOK.Load() == 0 || acked.Load() < before+users*20 {
		select {
		case <-deadline:
			stop.Store(true)
			close(done)
			wg.Wait()
			t.Fatalf("no recovery within 30 s of killing %s (acknowledged %d before, %d after)", oldMaster, before, acked.Load())
		case <-tick.C:
		}
	}
	stop.Store(true)
	close(done)
	wg.Wait()
	newMaster := masterAddr()
	recovery := time.Duration(firstOK.Load() - killedAt.Load())

	// Bring the old master back as a replica of the new one.
	host, port := splitAddr(oldMaster)
	nh, np := splitAddr(newMaster)
	out, err := exec.Command(redisServer, "--daemonize", "yes", "--bind", host, "--port", port, "--save", "", "--appendonly", "no",
		"--replicaof", nh, np, "--dir", os.TempDir(), "--logfile", os.TempDir()+"/mlsd-failover-"+port+".log").CombinedOutput()
	if err != nil {
		t.Errorf("restarting %s as a replica: %v\n%s", oldMaster, err, out)
	}

	if len(otherErrors) > 0 {
		t.Errorf("errors other than 'unavailable, send it again' and the failover's lost writes: %v", otherErrors)
	}
	if newMaster == oldMaster {
		t.Errorf("sentinel still names %s as master", oldMaster)
	}
	t.Logf("failover %s → %s: first save on the new master %.1f s after the kill; %d answers acknowledged; %d answers met the retry message (once each); %d acknowledged answers lost in asynchronous replication",
		oldMaster, newMaster, recovery.Seconds(), acked.Load(), retried.Load(), lost.Load())
}

func splitAddr(a string) (host, port string) {
	i := len(a) - 1
	for i >= 0 && a[i] != ':' {
		i--
	}
	return a[:i], a[i+1:]
}
