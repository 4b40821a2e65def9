package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot/graphviz"
	"github.com/mlsdbot/mlsd/bot/plot"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
	"github.com/mlsdbot/mlsd/scenarios"
)

// observer records Config.Observe calls so tests can wait for "handled"
// or "ignored" instead of sleeping.
type observer struct {
	mu      sync.Mutex
	counts  map[string]int
	changed chan struct{}
}

func newObserver() *observer {
	return &observer{counts: map[string]int{}, changed: make(chan struct{})}
}

func (o *observer) observe(event string, labels ...string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.counts[event]++
	if len(labels) > 0 {
		o.counts[event+":"+strings.Join(labels, ":")]++
	}
	close(o.changed)
	o.changed = make(chan struct{})
}

func (o *observer) count(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.counts[key]
}

// waitCount waits until key was observed at least n times.
func (o *observer) waitCount(t testing.TB, key string, n int) {
	t.Helper()
	o.waitSum(t, n, key)
}

// waitSum waits until the keys were observed at least n times in all.
func (o *observer) waitSum(t testing.TB, n int, keys ...string) {
	t.Helper()
	guard := time.NewTimer(15 * time.Second)
	defer guard.Stop()
	for {
		o.mu.Lock()
		got, ch := 0, o.changed
		for _, k := range keys {
			got += o.counts[k]
		}
		o.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-guard.C:
			t.Fatalf("observed %q %d times in all, want %d", keys, got, n)
		}
	}
}

// logBuffer collects log output from every goroutine.
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

const (
	teamID        = "T0TEAM"
	alice         = "UALICE"
	bob           = "UBOB"
	general       = "CGENERAL"
	privateRoom   = "GSECRET"
	archived      = "COLD"
	signingSecret = "shh-signing-secret"
	scenarioID    = "eta-prediction"
)

// library loads the built-in scenarios once: preparing them is the
// slowest part of a test under the race detector, and a Library is
// read-only.
var library = sync.OnceValues(func() (*bot.Library, error) { return scenarios.Load("") })

// painter draws the pictures with the real renderers, shared by every
// test so each reference diagram is drawn once (slow under -race).
var painter = sync.OnceValues(func() (*bot.Painter, error) {
	lib, err := library()
	if err != nil {
		return nil, err
	}
	gv, err := graphviz.New(context.Background(), graphviz.Options{Timeout: time.Minute})
	if err != nil {
		return nil, err
	}
	return &bot.Painter{Library: lib, Diagrams: gv, Charts: plot.Renderer{}}, nil
})

// world is one fake workspace with a real bot on a bolt store.
type world struct {
	t     testing.TB
	fake  *fakeslack.Server
	store *bolt.Store
	bot   *bot.Bot
	obs   *observer
	logs  *logBuffer
	ad    *Adapter
	stop  func()
	http  *fakeslack.AppClient // HTTP mode only
}

type worldOpts struct {
	httpMode bool
	fake     fakeslack.Options
	// interviewer replaces the real bot.
	interviewer Interviewer
	// ackWithin overrides Config.AckWithin when set.
	ackWithin time.Duration
	// rate and burst override the fast pacing the tests use, when set.
	rate  float64
	burst int
	// progress wires the store's coverage and history port into the bot.
	progress bool
}

func newWorld(t testing.TB, o worldOpts) *world {
	t.Helper()
	fake := fakeslack.Start(t, o.fake)
	fake.AddChannel(fakeslack.Channel{ID: general, Name: "general"})
	fake.AddChannel(fakeslack.Channel{ID: privateRoom, Name: "secret", Private: true})
	fake.AddChannel(fakeslack.Channel{ID: archived, Name: "old", Archived: true})
	fake.AddUser(fakeslack.User{ID: alice, Name: "alice", DisplayName: "Alice"})
	fake.AddUser(fakeslack.User{ID: bob, Name: "bob", DisplayName: "Bob"})

	w := &world{t: t, fake: fake, obs: newObserver(), logs: &logBuffer{}}
	log := slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	iv := o.interviewer
	if iv == nil {
		store, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		lib, err := library()
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		var rmu sync.Mutex
		cfg := bot.Config{Store: store, Library: lib, Log: log,
			Intn: func(n int) int { rmu.Lock(); defer rmu.Unlock(); return rng.IntN(n) }}
		if o.progress {
			cfg.Progress, cfg.Export = store, store
		}
		b, err := bot.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		w.store, w.bot, iv = store, b, b
	}
	p, err := painter()
	if err != nil {
		t.Fatal(err)
	}
	opts := fake.Options()
	cfg := Config{
		BotToken: opts.BotToken, APIURL: fake.APIURL(), Interviewer: iv, Drawer: p, Log: log,
		Observe: w.obs.observe, PingInterval: 10 * time.Second, ShutdownTimeout: 5 * time.Second,
		Rate: 50, Burst: 50, // pacing has its own test; keep the interview fast
		AckWithin: o.ackWithin,
	}
	if o.rate > 0 {
		cfg.Rate, cfg.Burst = o.rate, o.burst
	}
	if o.httpMode {
		cfg.SigningSecret = signingSecret
	} else {
		cfg.AppToken = opts.AppToken
	}
	ad, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.ad = ad
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ad.Run(ctx) }()
	w.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v", err)
		}
	}
	t.Cleanup(func() {
		if ctx.Err() == nil {
			w.stop()
		}
		for _, secret := range []string{opts.BotToken, opts.AppToken, signingSecret} {
			if strings.Contains(w.logs.String(), secret) {
				t.Errorf("a secret (%s…) appears in the logs", secret[:4])
			}
		}
		if t.Failed() {
			t.Logf("adapter logs:\n%s", w.logs.String())
		}
	})
	if o.httpMode {
		mux := http.NewServeMux()
		ad.Register(mux)
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		w.http = &fakeslack.AppClient{BaseURL: srv.URL, Secret: signingSecret}
	}
	w.obs.waitCount(t, "ready", 1)
	if !ad.Ready() {
		t.Fatal("Ready() = false after the adapter reported ready")
	}
	return w
}

// deliver sends envelopes the way the world receives them and waits for
// Slack's side of the handshake (the ack, or the HTTP answer).
func (w *world) deliver(envs ...fakeslack.Envelope) {
	w.t.Helper()
	for _, env := range envs {
		if w.http != nil {
			resp, err := w.http.Deliver(env, fakeslack.Signing{})
			if err != nil {
				w.t.Fatal(err)
			}
			if resp.Status != http.StatusOK {
				w.t.Fatalf("app answered %d to %s", resp.Status, env.Type)
			}
			continue
		}
		w.fake.Send(env)
		w.fake.WaitAck(w.t, env.ID)
	}
}

// act delivers envelopes and waits until the adapter has handled n more
// inbound messages.
func (w *world) act(n int, envs ...fakeslack.Envelope) {
	w.t.Helper()
	before := w.obs.count("handled")
	w.deliver(envs...)
	w.obs.waitCount(w.t, "handled", before+n)
}

// threadMsgs returns the bot's public posts in a thread, in order,
// uploaded pictures aside (see pictures).
func (w *world) threadMsgs(channel, thread string) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range w.fake.Messages() {
		if m.Channel == channel && m.ThreadTS == thread && m.BotID != "" && !m.Ephemeral && m.Files == nil {
			out = append(out, m)
		}
	}
	return out
}

// pictures returns the files the bot shared in a thread, in order.
func (w *world) pictures(channel, thread string) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range w.fake.Messages() {
		if m.Channel == channel && m.ThreadTS == thread && m.Files != nil {
			out = append(out, m)
		}
	}
	return out
}

// ephemerals returns the private notes shown to user.
func (w *world) ephemerals(user string) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range w.fake.Messages() {
		if m.Ephemeral && m.To == user {
			out = append(out, m)
		}
	}
	return out
}

// blocksJSON decodes a message's blocks for inspection.
func blockTypes(m fakeslack.Message) []string {
	var blocks []struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(m.Blocks, &blocks)
	var types []string
	for _, b := range blocks {
		types = append(types, b.Type)
	}
	return types
}

func isQuestion(m fakeslack.Message) bool {
	return strings.Contains(string(m.Blocks), `"mlsd_actions"`) && strings.Contains(string(m.Blocks), `"header"`)
}

func isReport(m fakeslack.Message) bool {
	return strings.Contains(string(m.Blocks), "Interview report")
}

// session returns alice's session bound to thread.
func (w *world) session(channel, thread string) bot.Session {
	w.t.Helper()
	ctx := context.Background()
	bind, err := w.store.Thread(ctx, bot.ThreadRef{Platform: bot.Slack, Workspace: teamID, Channel: channel, Thread: thread})
	if err != nil {
		w.t.Fatalf("thread %s not bound to a session: %v", thread, err)
	}
	s, err := w.store.Session(ctx, bind.User, bind.SessionID)
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}
