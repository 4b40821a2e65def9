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

// TestKill9SlackAnswersExactlyOnce (issue 12-A, and acceptance 4 for
// Slack): 50 users in 10 channels each send three answers without pause
// through the fake Slack; the bot is killed with SIGKILL (or stopped with
// SIGTERM, after which it must exit 0 within its shutdown timeout) while it
// works through them, and started again on the same store. The fake keeps every envelope the bot did not
// acknowledge and delivers it again to the new process, as Slack does.
// Every answer must end up applied exactly once (none lost, none graded
// twice), on bbolt and on Redis. Answers left without a reply are counted
// and logged, not asserted: an envelope acknowledged at the 2.5 s cap
// before its reply went out loses that reply (see the note).
func TestKill9SlackAnswersExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns two bot processes")
	}
	for _, tc := range []struct {
		storeKind string
		sig       syscall.Signal
	}{{"bolt", syscall.SIGKILL}, {"redis", syscall.SIGKILL}, {"bolt", syscall.SIGTERM}, {"redis", syscall.SIGTERM}} {
		storeKind := tc.storeKind
		t.Run(storeKind+"/"+tc.sig.String(), func(t *testing.T) {
			const users, perUser = 50, 3
			team := fmt.Sprintf("TK%d", time.Now().UnixNano())
			fake := fakeslack.Start(t, fakeslack.Options{TeamID: team})
			const channels = 10
			for c := range channels {
				fake.AddChannel(fakeslack.Channel{ID: fmt.Sprintf("C%d", c), Name: fmt.Sprintf("room%d", c), Member: true})
			}
			chanOf := func(i int) string { return fmt.Sprintf("C%d", i%channels) }
			for i := range users {
				fake.AddUser(fakeslack.User{ID: fmt.Sprintf("U%02d", i), Name: fmt.Sprintf("user%02d", i)})
			}
			opts := fake.Options()
			env := []string{"SLACK_BOT_TOKEN=" + opts.BotToken, "SLACK_APP_TOKEN=" + opts.AppToken, "SLACK_API_URL=" + fake.APIURL(), "MLSD_SHUTDOWN_TIMEOUT=20s",
				// The fake enforces no workspace cap; this test is about
				// answers surviving kill -9, not about Slack's pace.
				"MLSD_SLACK_WORKSPACE_RATE=1000"}
			dir := t.TempDir()
			redisURL := ""
			if storeKind == "bolt" {
				env = append(env, "MLSD_DATA_DIR="+dir)
			} else {
				redisURL = "redis://" + redisTarget(t) + "/0"
				env = append(env, "REDIS_URL="+redisURL)
			}
			first := startChild(t, env)
			fake.WaitConnected(t, 1)

			// Every user starts an interview and gets a thread.
			threads := make([]string, users)
			for i := range users {
				u := fmt.Sprintf("U%02d", i)
				fake.Send(fake.SlashCommand(u, chanOf(i), "start visual-search"))
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
			fake.Send(envs...)
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
			ackedBefore := 0
			for _, e := range envs {
				if _, ok := fake.Ack(e.ID); ok {
					ackedBefore++
				}
			}
			t.Logf("%s: %d of %d answer envelopes acknowledged before the bot stopped (%v)", storeKind, ackedBefore, len(envs), tc.sig)

			second := startChild(t, env)
			fake.WaitConnected(t, 2)
			fake.Wait(t, "every answer acknowledged", func(sn *fakeslack.Snapshot) bool {
				for _, e := range envs {
					if !sn.Acked(e.ID) {
						return false
					}
				}
				return true
			})
			// SIGTERM drains the replies still queued behind the pacing.
			if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := second.cmd.Wait(); err != nil {
				t.Fatalf("second process after SIGTERM: %v", err)
			}
			silent := 0
			for i := range users {
				replies := 0
				for _, m := range fake.Messages() {
					if m.BotID != "" && m.ThreadTS == threads[i] && !m.Ephemeral {
						replies++
					}
				}
				silent += max(0, perUser-(replies-1)) // the first is the question
			}
			t.Logf("%s: %d of %d answers got no reply after the restart", storeKind, silent, users*perUser)

			var store bot.Store
			if storeKind == "bolt" {
				s, err := bolt.Open(filepath.Join(dir, "mlsd.db"), bolt.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				store = s
			} else {
				s, err := redis.Open(context.Background(), redisURL, redis.Options{})
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
