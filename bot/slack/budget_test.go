package slack_test

import (
	"context"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
	"github.com/mlsdbot/mlsd/bot/slack"
)

// TestWorkspaceLimitHoldsEveryReplica (issue 15): Slack refuses replica
// A's third message of the window with 429 and Retry-After. A holds the
// shared workspace budget for that long, so replica B's message in
// another channel waits it out instead of collecting a second 429, and
// A's message goes out after the pause.
func TestWorkspaceLimitHoldsEveryReplica(t *testing.T) {
	srv := fakeslack.New(fakeslack.Options{Limits: &fakeslack.Limits{Workspace: 2, WorkspaceWindow: 10 * time.Second}})
	for _, ch := range []string{"C1", "C2", "C3", "C4"} {
		srv.AddChannel(fakeslack.Channel{ID: ch, Name: ch, Member: true})
	}
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		store, err := bolt.Open(filepath.Join(dir, "mlsd.db"), bolt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		replica := func() *slack.Adapter {
			a, err := slack.New(slack.Config{BotToken: srv.Options().BotToken, SigningSecret: "s", APIURL: srv.APIURL(),
				HTTPClient: srv.Client(), Interviewer: nopInterviewer{}, Limiter: store, WorkspaceRate: bot.PerSecond(10, 5)})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		a, b := replica(), replica()
		start := time.Now()
		post := func(a *slack.Adapter, ch string) {
			if _, err := a.Post(ctx, bot.Outbound{Where: bot.Where{Kind: bot.InThread, Channel: ch}, Text: "hello " + ch}); err != nil {
				t.Errorf("Post in %s = %v", ch, err)
			}
		}
		post(a, "C1")
		post(a, "C2")
		done := make(chan struct{})
		go func() { post(a, "C3"); close(done) }()
		synctest.Wait() // A got its 429 and waits out the Retry-After
		if n := srv.TooManyRequests(); n != 1 {
			t.Fatalf("429s after A's third message = %d, want 1", n)
		}
		post(b, "C4")
		if waited := time.Since(start); waited < 10*time.Second {
			t.Errorf("B's message went out %v in, inside the held 10 s", waited)
		}
		<-done
		if n := srv.TooManyRequests(); n != 1 {
			t.Errorf("429s after all messages = %d, want only A's", n)
		}
		if got := len(srv.Messages()); got != 4 {
			t.Errorf("%d messages posted, want 4", got)
		}
	})
}

type nopInterviewer struct{}

func (nopInterviewer) Handle(context.Context, bot.Inbound) ([]bot.Outbound, error) { return nil, nil }
func (nopInterviewer) Delivered(context.Context, bot.Inbound, []bot.Outbound)      {}

func (nopInterviewer) AttachThread(context.Context, bot.UserKey, string, string, string) error {
	return nil
}
func (nopInterviewer) Home(context.Context, bot.UserKey) (bot.Home, error) { return bot.Home{}, nil }
