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
	"github.com/mlsdbot/mlsd/bot/chattest/fakediscord"
	"github.com/mlsdbot/mlsd/bot/redis"
)

// TestSIGTERMDiscordAnswersInFlight (issue 12, acceptance 4 for Discord):
// 50 users each answer their first question at once through the fake
// Discord, half by a plain reply in their interview thread (gateway
// MESSAGE_CREATE, with the message-content intent), half through the
// answer form (a modal submission, an interaction); once all have reached
// the bot, the replies still to come are held and the mlsd process gets
// SIGTERM. It must exit 0 within its shutdown
// timeout, every interaction must have had its first response within
// Discord's 3 s, and every answer it took (the gateway messages it was
// sent, the interactions it acknowledged) must be saved and replied to,
// on bbolt and on Redis.
func TestSIGTERMDiscordAnswersInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a bot process")
	}
	// Mostly waiting on child processes: runs beside the other slow
	// end-to-end tests, which keeps CI inside its time budget.
	t.Parallel()
	for _, storeKind := range []string{"bolt", "redis"} {
		t.Run(storeKind, func(t *testing.T) {
			const users = 50
			// A child process takes seconds to start under -race.
			srv := fakediscord.New(t, fakediscord.Options{MessageContentAllowed: true, AwaitTimeout: time.Minute})
			dir := t.TempDir()
			env := []string{"DISCORD_BOT_TOKEN=" + srv.Token(), "DISCORD_APP_ID=" + srv.AppID, "DISCORD_API_URL=" + srv.URL(),
				"MLSD_DISCORD_MESSAGE_CONTENT=true", "MLSD_SHUTDOWN_TIMEOUT=20s"}
			redisURL, redisPrefix := "", ""
			if storeKind == "bolt" {
				env = append(env, "MLSD_DATA_DIR="+dir)
			} else {
				redisURL = "redis://" + redisTarget(t) + "/0"
				var prefixEnv string
				redisPrefix, prefixEnv = redisPrefixEnv(t)
				env = append(env, "REDIS_URL="+redisURL, prefixEnv)
			}
			child := startChild(t, env)
			srv.AwaitGateway(t, "identify")

			type candidate struct {
				u      fakediscord.User
				thread string
				modal  fakediscord.Modal
				answer string
				submit *fakediscord.Interaction // nil: answered in the thread
			}
			cands := make([]candidate, users)
			for i := range cands {
				c := &cands[i]
				c.u = srv.AddUser(fmt.Sprintf("sig%s%02d", storeKind, i), false)
				cmd := srv.Command(c.u, srv.Channel, "mlsd", []string{"start"}, fakediscord.Opt{Name: "scenario", Value: "visual-search"})
				srv.Dispatch(cmd)
				q := srv.AwaitMessage(t, "first question", func(e fakediscord.MessageEvent) bool {
					return e.Kind == "create" && strings.Contains(e.Message.Content, "Step 1/7")
				})
				c.thread = q.ChannelID
				c.answer = fmt.Sprintf("Answer of %s: I would clarify the goal, the users, the scale and the latency budget first, because they shape the whole design.", c.u.Name)
				if i%2 == 1 { // open the answer form now; submit it with the others
					click := srv.Click(t, c.u, q, "Answer in a form")
					srv.Dispatch(click)
					c.modal = srv.AwaitModal(t, click)
				}
			}

			// 50 answers at once.
			for i := range cands {
				c := &cands[i]
				if i%2 == 1 {
					c.submit = srv.Submit(t, c.u, c.modal, c.answer)
					srv.Dispatch(c.submit)
				} else {
					srv.Say(c.u, c.thread, c.answer)
				}
			}
			// Every answer has reached the bot once the last form is
			// acknowledged: the gateway delivers in order, and an
			// interaction is deferred as it arrives.
			for _, c := range cands {
				if c.submit != nil {
					srv.AwaitResponse(t, c.submit)
				}
			}
			// Hold the replies still to come, so answers are surely in
			// flight when the signal arrives.
			release := srv.HoldMessages()
			defer release()
			srv.AwaitParked(t, 1)
			signalled := time.Now()
			if err := child.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- child.cmd.Wait() }()
			// A process that does not wait for its handlers exits while the
			// replies are held (and loses them); give it the chance before
			// letting them through. A correct one waits either way.
			exited := false
			select {
			case err := <-done:
				exited = true
				done <- err
			case <-time.After(3 * time.Second):
			}
			release()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("mlsd exited with %v after SIGTERM, want exit status 0", err)
				}
			case <-time.After(25 * time.Second):
				t.Fatal("mlsd did not exit within its 20 s shutdown timeout")
			}
			if exited {
				t.Errorf("mlsd exited while replies to answers it had taken were still being sent")
			}
			t.Logf("%s: exited 0 %v after SIGTERM", storeKind, time.Since(signalled).Round(time.Millisecond))

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
			unacked, lost, silent, before := 0, 0, 0, 0
			var slowest time.Duration
			for _, c := range cands {
				if c.submit != nil {
					lat, ok := srv.AckLatency(c.submit)
					if !ok {
						unacked++ // Discord would show "interaction failed"; nothing was taken
						continue
					}
					slowest = max(slowest, lat)
				}
				s, err := store.ActiveSession(context.Background(), bot.UserKey{Platform: bot.Discord, Workspace: srv.GuildID, UserID: c.u.ID})
				if err != nil {
					t.Fatalf("%s: %v", c.u.Name, err)
				}
				if !strings.Contains(s.Answers[bot.Clarify].Text, c.answer) {
					lost++
				}
				questions := 0 // a question's buttons go when the next is asked
				for _, m := range srv.Messages(c.thread) {
					if m.Author.ID == srv.Bot.ID && strings.Contains(m.Content, "Step ") && !strings.Contains(m.Content, "answered:") {
						questions++
					}
				}
				if questions < 2 { // the first question, then the reply
					silent++
				} else if last := replyAt(srv, c.thread); last.Before(signalled) {
					before++
				}
			}
			t.Logf("%s: %d answers (%d replied before SIGTERM, the rest in flight): %d interactions not acknowledged, slowest first response %v; %d lost, %d without a reply",
				storeKind, users, before, unacked, slowest.Round(time.Millisecond), lost, silent)
			if unacked != 0 || slowest > 3*time.Second {
				t.Errorf("%d interactions not acknowledged, slowest first response %v; want all within Discord's 3 s", unacked, slowest)
			}
			if lost != 0 || silent != 0 {
				t.Fatalf("%d answers lost and %d without a reply after SIGTERM, want 0 and 0", lost, silent)
			}
		})
	}
}

// replyAt is when the bot's last question in a thread was posted.
func replyAt(srv *fakediscord.Server, thread string) time.Time {
	var at time.Time
	for _, m := range srv.Messages(thread) {
		if m.Author.ID == srv.Bot.ID && strings.Contains(m.Content, "Step ") {
			at = m.Timestamp
		}
	}
	return at
}
