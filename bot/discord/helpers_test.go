package discord_test

import (
	"context"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/chattest/fakediscord"
	"github.com/mlsdbot/mlsd/bot/discord"
)

// scripted is an Interviewer whose replies a test decides; it records
// every inbound message.
type scripted struct {
	mu       sync.Mutex
	inbound  chan bot.Inbound
	reply    func(bot.Inbound) ([]bot.Outbound, error)
	attached chan [3]string // session, channel, thread
}

func newScripted(reply func(bot.Inbound) ([]bot.Outbound, error)) *scripted {
	return &scripted{inbound: make(chan bot.Inbound, 100), attached: make(chan [3]string, 100), reply: reply}
}

func (s *scripted) Handle(_ context.Context, in bot.Inbound) ([]bot.Outbound, error) {
	s.inbound <- in
	s.mu.Lock()
	reply := s.reply
	s.mu.Unlock()
	return reply(in)
}

func (s *scripted) Delivered(context.Context, bot.Inbound, []bot.Outbound) {}

func (s *scripted) AttachThread(_ context.Context, _ bot.UserKey, session, channel, thread string) error {
	s.attached <- [3]string{session, channel, thread}
	return nil
}

func (s *scripted) next(t *testing.T) bot.Inbound {
	t.Helper()
	select {
	case in := <-s.inbound:
		return in
	case <-time.After(15 * time.Second):
		t.Fatal("timed out waiting for an inbound message")
		return bot.Inbound{}
	}
}

// logBuffer collects log output so tests can check that no secret leaks.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type env struct {
	srv  *fakediscord.Server
	a    *discord.Adapter
	logs *logBuffer
	stop func() // cancels Run and waits for it
}

// start builds an adapter against the fake and runs it; cfg's Token,
// AppID, APIURL and Log are filled in.
func start(t *testing.T, srv *fakediscord.Server, cfg discord.Config, run bool) *env {
	t.Helper()
	logs := &logBuffer{}
	cfg.Token = srv.Token()
	cfg.AppID = srv.AppID
	cfg.APIURL = srv.URL()
	cfg.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := discord.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{srv: srv, a: a, logs: logs, stop: func() {}}
	if run {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		var once sync.Once
		e.stop = func() {
			once.Do(func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("Run = %v", err)
				}
			})
		}
		t.Cleanup(e.stop)
	}
	t.Cleanup(func() {
		if strings.Contains(logs.String(), srv.Token()) {
			t.Errorf("the bot token appears in the logs")
		}
	})
	return e
}

func publicKeyHex(srv *fakediscord.Server) string { return hex.EncodeToString(srv.PublicKey()) }

// inThread matches a message created in a channel.
func createdIn(channel string) func(fakediscord.MessageEvent) bool {
	return func(e fakediscord.MessageEvent) bool { return e.Kind == "create" && e.Message.ChannelID == channel }
}

func containing(kind, channel, text string) func(fakediscord.MessageEvent) bool {
	return func(e fakediscord.MessageEvent) bool {
		return e.Kind == kind && (channel == "" || e.Message.ChannelID == channel) && strings.Contains(e.Message.Text(), text)
	}
}

func discordConfig(b *bot.Bot, lib *bot.Library) discord.Config {
	if b == nil {
		return discord.Config{Library: lib}
	}
	return discord.Config{Interviewer: b, Library: lib}
}
