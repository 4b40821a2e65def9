package main

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
)

// TestSIGTERMFinishesAnswerInFlight sends SIGTERM to a Slack-mode mlsd
// process while it is posting its reply to an answer: the answer is saved,
// the reply is delivered, and the process exits 0 within the timeout.
func TestSIGTERMFinishesAnswerInFlight(t *testing.T) {
	fake := fakeslack.Start(t, fakeslack.Options{})
	fake.AddChannel(fakeslack.Channel{ID: "C1", Name: "general", Member: true})
	fake.AddUser(fakeslack.User{ID: "U1", Name: "alice", DisplayName: "Alice"})
	dir := t.TempDir()
	opts := fake.Options()
	child := startChild(t, []string{
		"SLACK_BOT_TOKEN=" + opts.BotToken,
		"SLACK_APP_TOKEN=" + opts.AppToken,
		"SLACK_API_URL=" + fake.APIURL(),
		"MLSD_DATA_DIR=" + dir,
		"MLSD_SHUTDOWN_TIMEOUT=20s",
	})
	fake.WaitConnected(t, 1)
	fake.Send(fake.SlashCommand("U1", "C1", "start eta-prediction"))
	posted := fake.WaitMessages(t, 2, func(m fakeslack.Message) bool { return m.BotID != "" && !m.Ephemeral })
	thread := posted[0].TS

	arrived, release := fake.HoldNext("chat.postMessage")
	defer release()
	answer := "First I would clarify the business goal, because an ETA that is trusted drives bookings, and the scale in requests per second."
	_, envs := fake.UserMessage("U1", "C1", thread, answer)
	fake.Send(envs...)
	select {
	case <-arrived: // the answer is being handled: its reply is on the wire
	case <-time.After(30 * time.Second):
		t.Fatal("the reply to the answer never started")
	}
	start := time.Now()
	if err := child.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	release()
	done := make(chan error, 1)
	go func() { done <- child.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("mlsd exited with %v after SIGTERM, want exit status 0", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("mlsd did not exit within the shutdown timeout")
	}
	t.Logf("exited %v after SIGTERM", time.Since(start).Round(time.Millisecond))

	replies := 0
	for _, m := range fake.Messages() {
		if m.BotID != "" && m.ThreadTS == thread && !m.Ephemeral {
			replies++
		}
	}
	if replies < 2 { // the first question and the reply to the answer
		t.Fatalf("%d bot posts in the thread, want the first question and the reply to the answer", replies)
	}
	store, err := bolt.Open(filepath.Join(dir, "mlsd.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s, err := store.ActiveSession(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: opts.TeamID, UserID: "U1"})
	if err != nil {
		t.Fatalf("session after shutdown: %v", err)
	}
	if !strings.Contains(s.Answers[bot.Clarify].Text, "trusted drives bookings") {
		t.Fatalf("the answer in flight was not saved: %+v", s.Answers[bot.Clarify])
	}
}
