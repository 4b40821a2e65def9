package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
	"github.com/mlsdbot/mlsd/bot/redis"
)

// TestKill9SlackAnswersExactlyOnce (issue 12-A, acceptance 5, and
// acceptance 4 for Slack): 50 users in 10 channels each send three answers
// without pause through the fake Slack, over Socket Mode or over HTTP
// (Events API requests, which Slack retries up to three times when they
// get no 200); the bot is killed with SIGKILL (or stopped with SIGTERM,
// after which it must exit 0 within its shutdown timeout) while it works
// through them, and started again on the same store (and, in HTTP mode,
// the same address). The fake keeps every event the bot did not
// acknowledge and delivers it again to the new process, as Slack does.
// Every answer must end up applied exactly once (none lost, none graded
// twice), on bbolt and on Redis, and answered (0 silent): an event
// acknowledged before its replies went out (HTTP mode's 2.5 s cap) has
// them sent by the second process's outbox sweeper (bot.RunOutbox).
func TestKill9SlackAnswersExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns two bot processes")
	}
	// Mostly waiting on child processes: runs beside the other slow
	// end-to-end tests, which keeps CI inside its time budget.
	t.Parallel()
	type slackCase struct {
		mode, storeKind string
		sig             syscall.Signal
	}
	var cases []slackCase
	for _, mode := range []string{"socket", "http"} {
		for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
			for _, storeKind := range []string{"bolt", "redis"} {
				cases = append(cases, slackCase{mode, storeKind, sig})
			}
		}
	}
	for _, tc := range cases {
		storeKind := tc.storeKind
		t.Run(tc.mode+"/"+storeKind+"/"+tc.sig.String(), func(t *testing.T) {
			if tc.mode == "http" {
				// Mostly waiting for Slack's retry schedule: the HTTP runs
				// overlap, after the Socket Mode ones.
				t.Parallel()
			}
			const users, perUser = 50, 3
			team := fmt.Sprintf("TK%d", time.Now().UnixNano())
			// Slack retries an unanswered HTTP event nearly at once, then
			// after a minute and after five; shortened here, they still
			// span the restart (a child takes 10-15 s to start under -race
			// on a busy machine).
			fake := fakeslack.Start(t, fakeslack.Options{TeamID: team,
				HTTPRetryDelays: []time.Duration{100 * time.Millisecond, 20 * time.Second, time.Minute}})
			const channels = 10
			for c := range channels {
				fake.AddChannel(fakeslack.Channel{ID: fmt.Sprintf("C%d", c), Name: fmt.Sprintf("room%d", c), Member: true})
			}
			chanOf := func(i int) string { return fmt.Sprintf("C%d", i%channels) }
			for i := range users {
				fake.AddUser(fakeslack.User{ID: fmt.Sprintf("U%02d", i), Name: fmt.Sprintf("user%02d", i)})
			}
			opts := fake.Options()
			env := []string{"SLACK_BOT_TOKEN=" + opts.BotToken, "SLACK_API_URL=" + fake.APIURL(), "MLSD_SHUTDOWN_TIMEOUT=20s",
				// The fake enforces no workspace cap; this test is about
				// answers surviving kill -9, not about Slack's pace.
				"MLSD_SLACK_WORKSPACE_RATE=1000",
				// Replies saved but not sent before the kill go out from
				// the next process's sweeper once this old.
				"MLSD_OUTBOX_GRACE=2s"}
			send := fake.Send
			// A child process takes seconds to start under -race.
			const startGuard = time.Minute
			started := func(t *testing.T, n int) {
				fake.WaitUpTo(t, "a socket mode connection", startGuard, func(sn *fakeslack.Snapshot) bool {
					return sn.Connected() && sn.Opens() >= n
				})
			}
			if tc.mode == "socket" {
				env = append(env, "SLACK_APP_TOKEN="+opts.AppToken)
			} else {
				const secret = "kill9-signing-secret"
				addr := reservePort(t)
				env = append(env, "SLACK_SIGNING_SECRET="+secret, "MLSD_HTTP_ADDR="+addr)
				app := &fakeslack.AppClient{BaseURL: "http://" + addr, Secret: secret}
				send = func(envs ...fakeslack.Envelope) { fake.SendHTTP(app, envs...) }
				// The endpoints are mounted before the adapter's auth.test.
				started = func(t *testing.T, n int) {
					fake.WaitUpTo(t, "the adapter's auth.test", startGuard, func(sn *fakeslack.Snapshot) bool {
						calls := 0
						for _, c := range sn.Calls() {
							if c.Method == "auth.test" {
								calls++
							}
						}
						return calls >= n
					})
				}
			}
			dir := t.TempDir()
			redisURL, redisPrefix := "", ""
			if storeKind == "bolt" {
				env = append(env, "MLSD_DATA_DIR="+dir)
			} else {
				redisURL = "redis://" + redisTarget(t) + "/0"
				var prefixEnv string
				redisPrefix, prefixEnv = redisPrefixEnv(t)
				env = append(env, "REDIS_URL="+redisURL, prefixEnv)
			}
			first := startChild(t, env)
			started(t, 1)

			// Every user starts an interview and gets a thread.
			threads := make([]string, users)
			for i := range users {
				u := fmt.Sprintf("U%02d", i)
				send(fake.SlashCommand(u, chanOf(i), "start visual-search"))
				posted := fake.WaitMessages(t, i+1, func(m fakeslack.Message) bool {
					return m.BotID != "" && m.ThreadTS == "" && !m.Ephemeral && strings.Contains(m.Text, "Visual search")
				})
				threads[i] = posted[i].TS
			}
			fake.WaitMessages(t, users, func(m fakeslack.Message) bool {
				return m.BotID != "" && m.ThreadTS != "" && strings.Contains(m.Text, "Step 1/7")
			})

			// 150 answers at once; kill the bot once some are acknowledged.
			var envs []fakeslack.Envelope
			answerOf := map[string]string{} // answer text → user
			for k := range perUser {
				for i := range users {
					u := fmt.Sprintf("U%02d", i)
					text := fmt.Sprintf("Answer %d of %s: I would clarify the goal, the scale and the latency budget because they shape the design of the system.", k+1, u)
					answerOf[text] = u
					_, e := fake.UserMessage(u, chanOf(i), threads[i], text)
					envs = append(envs, e...)
				}
			}
			sentAt := time.Now()
			send(envs...)
			fake.Wait(t, "some answers acknowledged", func(sn *fakeslack.Snapshot) bool {
				n := 0
				for _, e := range envs {
					if sn.Acked(e.ID) {
						n++
					}
				}
				return n >= 20
			})
			signalled := time.Now()
			if err := first.cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			err := first.cmd.Wait()
			if tc.sig == syscall.SIGTERM {
				// A graceful stop finishes what it accepted and exits 0 in time.
				if err != nil {
					t.Fatalf("exit after SIGTERM: %v, want status 0", err)
				}
				if d := time.Since(signalled); d > 20*time.Second {
					t.Fatalf("exited %v after SIGTERM, past the 20 s shutdown timeout", d)
				}
				t.Logf("%s: exited 0 %v after SIGTERM", storeKind, time.Since(signalled).Round(time.Millisecond))
			}
			t.Logf("sent %s, signalled %s, exited %s", sentAt.Format("15:04:05.000"), signalled.Format("15:04:05.000"), time.Now().Format("15:04:05.000"))
			ackedBefore := 0
			for _, e := range envs {
				if _, ok := fake.Ack(e.ID); ok {
					ackedBefore++
				}
			}
			t.Logf("%s: %d of %d answer envelopes acknowledged before the bot stopped (%v)", storeKind, ackedBefore, len(envs), tc.sig)

			second := startChild(t, env)
			started(t, 2)
			dropped := 0
			// In HTTP mode the answers come back with Slack's retries.
			fake.WaitUpTo(t, "every answer acknowledged (or given up on)", 2*time.Minute, func(sn *fakeslack.Snapshot) bool {
				dropped = 0
				for _, e := range envs {
					switch {
					case sn.Dropped(e.ID):
						dropped++
					case !sn.Acked(e.ID):
						return false
					}
				}
				return true
			})
			if dropped > 0 {
				t.Fatalf("%s: Slack gave up on %d answers after its retries (the bot never answered 200)", storeKind, dropped)
			}
			if tc.mode == "http" {
				retries := 0
				for _, a := range fake.HTTPAttempts() {
					if a.RetryNum > 0 {
						retries++
					}
				}
				t.Logf("%s: %d HTTP retries by Slack", storeKind, retries)
			}
			// silent counts answers without a reply in their thread;
			// repeated, replies beyond one per answer.
			var waiting []string // users still short of a reply, for the failure message
			count := func(msgs []fakeslack.Message) (silent, repeated int) {
				waiting = waiting[:0]
				for i := range users {
					replies := 0
					for _, m := range msgs {
						if m.BotID != "" && m.ThreadTS == threads[i] && !m.Ephemeral {
							replies++
						}
					}
					replies-- // the first is the question
					if replies < perUser {
						waiting = append(waiting, fmt.Sprintf("U%02d:%d", i, replies))
					}
					silent += max(0, perUser-replies)
					repeated += max(0, replies-perUser)
				}
				return silent, repeated
			}
			defer func() {
				if t.Failed() && len(waiting) > 0 {
					t.Logf("%s: users short of replies (user:replies): %v", storeKind, waiting)
				}
			}()
			// Replies saved by the killed process and never sent come from
			// the second one's outbox sweeper, MLSD_OUTBOX_GRACE after
			// their save, at its next tick.
			fake.WaitFor(time.Minute, func(sn *fakeslack.Snapshot) bool {
				silent, _ := count(sn.Messages())
				return silent == 0
			})
			// SIGTERM drains the replies still queued behind the pacing.
			if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := second.cmd.Wait(); err != nil {
				t.Fatalf("second process after SIGTERM: %v", err)
			}
			silent, repeated := count(fake.Messages())
			t.Logf("%s: %d of %d answers got no reply after the restart, %d replies repeated", storeKind, silent, users*perUser, repeated)
			// Every message keeps its own saved replies until they are
			// delivered, so a redelivered later answer applied before the
			// sweeper runs no longer hides an earlier one's (the gap of the
			// one-outbox-per-session design).
			if silent != 0 {
				t.Errorf("%s: %d answers saved but never replied to (users short of replies: %v)", storeKind, silent, waiting)
			}

			var store bot.Store
			if storeKind == "bolt" {
				s, err := bolt.Open(filepath.Join(dir, "mlsd.db"), bolt.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				store = s
			} else {
				s, err := redis.Open(context.Background(), redisURL, redis.Options{Prefix: redisPrefix})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				store = s
			}
			lost, twice := 0, 0
			for i := range users {
				u := fmt.Sprintf("U%02d", i)
				s, err := store.ActiveSession(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: team, UserID: u})
				if err != nil {
					t.Fatalf("%s: %v", u, err)
				}
				var all strings.Builder
				for _, a := range s.Answers {
					all.WriteString(a.Text + "\n")
				}
				for _, a := range s.Wrap {
					all.WriteString(a.Text + "\n")
				}
				for text, owner := range answerOf {
					if owner != u {
						continue
					}
					switch n := strings.Count(all.String(), text); {
					case n == 0:
						lost++
					case n > 1:
						twice++
					}
				}
			}
			if lost != 0 || twice != 0 {
				t.Fatalf("%s: %d answers lost and %d applied twice, want 0 and 0", storeKind, lost, twice)
			}
			t.Logf("%s: %d answers, all applied exactly once", storeKind, len(answerOf))
		})
	}
}
