package schedule_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/clocktest"
	"github.com/mlsdbot/mlsd/bot/schedule"
	"github.com/mlsdbot/mlsd/scenarios"
)

// sent is one message a poster sent.
type sent struct {
	Platform bot.Platform
	Out      bot.Outbound
	At       time.Time
	Thread   string // the thread the message started or landed in
}

// platform is a fake Slack or Discord: every replica's poster for a
// platform posts into it, so it sees what users would see.
type platform struct {
	mu   sync.Mutex
	clk  *clocktest.Clock
	seq  int
	sent []sent
	// fail, when set, makes a post fail (an outage of the platform).
	fail func(out bot.Outbound) error
}

func (p *platform) poster(name bot.Platform) schedule.Poster {
	return posterFunc(func(ctx context.Context, out bot.Outbound) (string, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.fail != nil {
			if err := p.fail(out); err != nil {
				return "", err
			}
		}
		thread := out.Where.Thread
		if out.Where.Kind == bot.NewThread {
			p.seq++
			thread = fmt.Sprintf("%s-th%d", name, p.seq)
		}
		p.sent = append(p.sent, sent{Platform: name, Out: out, At: p.clk.Now(), Thread: thread})
		return thread, nil
	})
}

type posterFunc func(ctx context.Context, out bot.Outbound) (string, error)

func (f posterFunc) Post(ctx context.Context, out bot.Outbound) (string, error) { return f(ctx, out) }

func (p *platform) messages() []sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]sent(nil), p.sent...)
}

// dailyPosts are the daily challenges posted (new threads), by channel.
func (p *platform) dailyPosts() map[string][]sent {
	out := map[string][]sent{}
	for _, m := range p.messages() {
		if m.Out.Where.Kind == bot.NewThread {
			key := string(m.Platform) + "/" + m.Out.Where.Channel
			out[key] = append(out[key], m)
		}
	}
	return out
}

// inThread are the messages posted into thread.
func (p *platform) inThread(thread string) []sent {
	var out []sent
	for _, m := range p.messages() {
		if m.Out.Where.Kind == bot.InThread && m.Out.Where.Thread == thread {
			out = append(out, m)
		}
	}
	return out
}

func library(t testing.TB) *bot.Library {
	t.Helper()
	list, err := scenarios.Builtin()
	if err != nil {
		t.Fatalf("scenarios.Builtin: %v", err)
	}
	return bot.NewLibrary(list...)
}

// replica is one bot process: a store connection, a Bot and a Reconciler.
type replica struct {
	bot *bot.Bot
	rec *schedule.Reconciler
}

type store interface {
	bot.Store
	bot.DailyStore
}

type replicaOptions struct {
	observe func(event string, p bot.Platform)
	grace   time.Duration
	log     *slog.Logger
	nudge   time.Duration
	abandn  time.Duration
}

func newReplica(t testing.TB, s store, clk *clocktest.Clock, lib *bot.Library, plat *platform, opts replicaOptions) *replica {
	t.Helper()
	n := 0
	var mu sync.Mutex
	b, err := bot.New(bot.Config{
		Store: s, Daily: s, Calendar: &schedule.Calendar{}, Library: lib, Now: clk.Now,
		Intn: func(k int) int {
			mu.Lock()
			defer mu.Unlock()
			n++
			return n % k
		},
		Log:        opts.log,
		Location:   time.UTC,
		NudgeAfter: opts.nudge, AbandonAfter: opts.abandn,
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := schedule.New(b, schedule.Options{
		Posters: map[bot.Platform]schedule.Poster{bot.Slack: plat.poster(bot.Slack), bot.Discord: plat.poster(bot.Discord)},
		Grace:   opts.grace,
		Log:     opts.log,
		Observe: opts.observe,
	})
	return &replica{bot: b, rec: rec}
}

func openBolt(t testing.TB, clk *clocktest.Clock) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var cmdSeq atomic.Int64

// admin runs `/mlsd <text>` as an admin of channel ch.
func admin(t testing.TB, b *bot.Bot, ch bot.ChannelRef, text string) []bot.Outbound {
	t.Helper()
	out, err := b.Handle(context.Background(), bot.Inbound{
		Platform: ch.Platform, Workspace: ch.Workspace, Channel: ch.Channel, UserID: "admin", UserName: "Admin",
		MessageID: fmt.Sprintf("cmd-%s-%d", ch.Channel, cmdSeq.Add(1)), Text: text, Kind: bot.KindCommand, IsAdmin: true,
	})
	if err != nil {
		t.Fatalf("Handle(%q) = %v", text, err)
	}
	if len(out) == 0 || !strings.Contains(out[0].Text, "Daily challenge on") {
		t.Fatalf("Handle(%q) = %+v, want the schedule confirmed", text, out)
	}
	return out
}

// tickAll runs every replica's Tick at now, concurrently, as replicas
// sharing a store would.
func tickAll(t testing.TB, clk *clocktest.Clock, now time.Time, reps ...*replica) {
	t.Helper()
	clk.Set(now)
	var wg sync.WaitGroup
	errs := make([]error, len(reps))
	for i, r := range reps {
		wg.Go(func() { errs[i] = r.rec.Tick(context.Background(), now) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("Tick(%v) = %v", now, err)
		}
	}
}

// logBuffer captures slog output for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
