// Package discord connects MLSD to Discord. It is the only importer of
// github.com/bwmarrin/discordgo: it translates interactions and thread
// messages into bot.Inbound, renders bot.Outbound as messages, threads,
// buttons, modals and embeds, and never decides anything itself.
//
// Two transports share one code path:
//   - Gateway mode (token and application id): a WebSocket session with
//     minimal intents, held by one replica per shard through a Leaser.
//   - HTTP interactions mode (public key set): Discord POSTs signed
//     interactions to the endpoint mounted by RegisterHTTP; stateless, so
//     any number of replicas can sit behind a load balancer.
//
// Answers arrive through a modal (Answer button) so the privileged
// MESSAGE_CONTENT intent is optional; with Config.MessageContent the
// owner's plain replies in the interview thread count too (gateway only).
package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/dispatch"
)

// Interviewer is what the adapter needs from the domain (*bot.Bot).
type Interviewer interface {
	Handle(ctx context.Context, in bot.Inbound) ([]bot.Outbound, error)
	AttachThread(ctx context.Context, user bot.UserKey, sessionID, channel, thread string) error
	// Delivered confirms that the replies Handle returned for in went out,
	// so no other process sends them again (the bot's pending outbox).
	Delivered(ctx context.Context, in bot.Inbound, outs []bot.Outbound)
}

// Leaser grants a named lease to one holder at a time. Acquire returns
// true when holder now holds name for ttl: it takes a free or expired
// lease and renews one holder already holds (renew by re-acquiring).
// Release gives the lease up if holder still holds it.
type Leaser interface {
	Acquire(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	Release(ctx context.Context, name, holder string) error
}

// Config configures the adapter. cmd/mlsd fills it from the environment.
type Config struct {
	// Token is the bot token (DISCORD_BOT_TOKEN), without the "Bot " prefix.
	Token string
	// AppID is the application id (DISCORD_APP_ID).
	AppID string
	// PublicKey is the application's hex Ed25519 public key
	// (DISCORD_PUBLIC_KEY). Set, it selects HTTP interactions mode.
	PublicKey string
	// Interviewer is the domain; nil only for an adapter used just to
	// Register commands.
	Interviewer Interviewer
	// Drawer draws pictures (diagrams, report cards) to attach; nil sends
	// their text alternative instead.
	Drawer Drawer
	// Library feeds scenario autocomplete and thread names; optional.
	Library *bot.Library
	Log     *slog.Logger
	// APIURL replaces https://discord.com for every REST call
	// (DISCORD_API_URL), by rewriting the HTTP transport.
	APIURL string
	// MessageContent enables the privileged MESSAGE_CONTENT intent so plain
	// replies in interview threads count as answers
	// (MLSD_DISCORD_MESSAGE_CONTENT=true). It needs the gateway, so in HTTP
	// mode it also opens one (lease-held).
	MessageContent bool
	// ShardID and ShardCount split the gateway (DISCORD_SHARD_ID,
	// DISCORD_SHARD_COUNT); each shard has its own lease.
	ShardID, ShardCount int
	// Leaser keeps the gateway to one replica per shard; nil means this
	// process is the only one (single replica, embedded store).
	Leaser Leaser
	// Holder names this replica in the lease (default host:pid).
	Holder string
	// LeaseTTL is how long a lease lasts without renewal (default 30 s);
	// it is renewed every LeaseTTL/3 and retried as often by standbys.
	LeaseTTL time.Duration
	// Guilds get the commands registered at start-up (MLSD_DISCORD_GUILDS).
	Guilds []string
	// Now is the clock (default time.Now); it checks signature timestamps.
	Now func() time.Time
	// After waits between lease renewals (default time.After); tests may
	// inject a controllable one.
	After func(time.Duration) <-chan time.Time
	// MaxSignatureAge bounds how old a signed HTTP interaction may be
	// (default 5 min); older or future ones get 401.
	MaxSignatureAge time.Duration
	// MaxBodyBytes bounds an HTTP interaction body (default 256 KiB).
	MaxBodyBytes int64
	// ShutdownTimeout bounds the wait for in-flight events on shutdown
	// (default 10 s).
	ShutdownTimeout time.Duration
	// MaxRunning bounds concurrently handled events (default 8) and
	// MaxQueued those accepted but not yet finished (default 256). One
	// user's events run in the order Discord sent them.
	MaxRunning, MaxQueued int
	// HTTPClient makes the REST calls (default: a 15 s timeout); APIURL
	// and Limiter apply on top of its transport. Tests pass a fake's
	// in-memory client.
	HTTPClient *http.Client
	// Limiter, when set, paces every REST call (but interaction callbacks
	// and webhooks, which Discord exempts) within GlobalRate, the global
	// limit of the bot token, shared by every replica on the same
	// limiter (the store); a global 429 holds it for all of them for its
	// retry_after. nil leaves pacing to discordgo's per-route buckets.
	Limiter bot.RateLimiter
	// GlobalRate is that budget (default DefaultGlobalRate).
	GlobalRate bot.Rate
	// Observe, if set, is told about events for metrics: "inbound" (kind),
	// "outbound" (kind), "error" (where), "duplicate", "rate_limited"
	// (url), "gateway" (connected|disconnected|resumed), "lease"
	// (acquired|lost|standby|released).
	Observe func(event string, labels ...string)
}

// Adapter is a Discord connection.
type Adapter struct {
	cfg    Config
	log    *slog.Logger
	rest   *discordgo.Session
	pubKey ed25519.PublicKey

	connected atomic.Bool
	standby   atomic.Bool
	flight    inflight
	// work runs events in order per user, a bounded number at once.
	work *dispatch.Dispatcher
	// buttons is each thread's live question, whose buttons the next
	// question retires (retireButtons).
	buttonsMu sync.Mutex
	buttons   map[string]string

	parentsMu sync.Mutex
	parents   map[string]string // thread id -> parent channel id ("" = not a thread)
}

// New checks the configuration and builds the REST client; it does not
// connect.
func New(cfg Config) (*Adapter, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("discord: the bot token (DISCORD_BOT_TOKEN) is required")
	}
	if _, err := strconv.ParseUint(cfg.AppID, 10, 64); err != nil {
		return nil, errors.New("discord: the application id (DISCORD_APP_ID) must be a numeric snowflake")
	}
	a := &Adapter{cfg: cfg, parents: map[string]string{}}
	if cfg.PublicKey != "" {
		k, err := hex.DecodeString(strings.TrimSpace(cfg.PublicKey))
		if err != nil || len(k) != ed25519.PublicKeySize {
			return nil, errors.New("discord: the public key (DISCORD_PUBLIC_KEY) must be 64 hex characters")
		}
		a.pubKey = k
	}
	if a.cfg.Log == nil {
		a.cfg.Log = slog.New(slog.DiscardHandler)
	}
	a.log = a.cfg.Log.With("platform", "discord")
	if a.cfg.Now == nil {
		a.cfg.Now = time.Now
	}
	if a.cfg.After == nil {
		a.cfg.After = time.After
	}
	if a.cfg.LeaseTTL <= 0 {
		a.cfg.LeaseTTL = 30 * time.Second
	}
	if a.cfg.MaxSignatureAge <= 0 {
		a.cfg.MaxSignatureAge = 5 * time.Minute
	}
	if a.cfg.MaxBodyBytes <= 0 {
		a.cfg.MaxBodyBytes = 256 << 10
	}
	if a.cfg.ShutdownTimeout <= 0 {
		a.cfg.ShutdownTimeout = 10 * time.Second
	}
	if a.cfg.MaxRunning <= 0 {
		a.cfg.MaxRunning = 8
	}
	if a.cfg.MaxQueued <= 0 {
		a.cfg.MaxQueued = 256
	}
	a.work = dispatch.New(a.cfg.MaxRunning, a.cfg.MaxQueued)
	a.buttons = map[string]string{}
	a.work.OnPanic = func(r any) {
		a.log.Error("discord: panic in event handler", "panic", fmt.Sprint(r))
		a.observe("error", "panic")
	}
	if a.cfg.ShardCount <= 0 {
		a.cfg.ShardCount = 1
	}
	if a.cfg.ShardID < 0 || a.cfg.ShardID >= a.cfg.ShardCount {
		return nil, fmt.Errorf("discord: shard id %d is outside 0..%d (DISCORD_SHARD_ID, DISCORD_SHARD_COUNT)", a.cfg.ShardID, a.cfg.ShardCount-1)
	}
	if a.cfg.Holder == "" {
		host, _ := os.Hostname()
		a.cfg.Holder = host + ":" + strconv.Itoa(os.Getpid())
	}
	client := &http.Client{Timeout: 15 * time.Second}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		client = &c
	}
	if client.Transport == nil {
		client.Transport = http.DefaultTransport
	}
	if cfg.APIURL != "" {
		u, err := url.Parse(cfg.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("discord: the API URL (DISCORD_API_URL) %q must be an http(s) URL", cfg.APIURL)
		}
		client.Transport = rebase{base: u, next: client.Transport}
	}
	if cfg.Limiter != nil {
		if a.cfg.GlobalRate.Every <= 0 || a.cfg.GlobalRate.Burst < 1 {
			a.cfg.GlobalRate = DefaultGlobalRate
		}
		client.Transport = &pacer{next: client.Transport, a: a, key: "discord:" + cfg.AppID}
	}
	s, err := discordgo.New("Bot " + cfg.Token)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	s.Client = client
	// discordgo logs through the standard logger; we observe its events
	// instead (see handlers), so keep it quiet.
	s.LogLevel = -1
	s.ShardID, s.ShardCount = a.cfg.ShardID, a.cfg.ShardCount
	s.Identify.Intents = a.intents()
	s.StateEnabled = true
	// Handlers run in the order the gateway delivers events (discordgo
	// would start a goroutine per event); ours only queue them on work.
	s.SyncEvents = true
	s.State.MaxMessageCount = 0
	a.rest = s
	a.addHandlers(s)
	return a, nil
}

// intents are the minimum the adapter needs: interactions need none;
// Guilds keeps the thread cache fed; messages only when reading replies.
func (a *Adapter) intents() discordgo.Intent {
	in := discordgo.IntentGuilds
	if a.cfg.MessageContent {
		in |= discordgo.IntentGuildMessages | discordgo.IntentMessageContent
	}
	return in
}

// usesGateway reports whether Run opens a gateway connection.
func (a *Adapter) usesGateway() bool { return a.pubKey == nil || a.cfg.MessageContent }

// Ready reports whether the adapter can take events: in HTTP mode always;
// with a gateway, when connected, or when standing by because another
// replica holds the shard's lease.
func (a *Adapter) Ready() bool {
	if !a.usesGateway() {
		return true
	}
	return a.connected.Load() || a.standby.Load()
}

func (a *Adapter) observe(event string, labels ...string) {
	if a.cfg.Observe != nil {
		a.cfg.Observe(event, labels...)
	}
}

// rebase sends every request to another API base, keeping the path; it is
// how DISCORD_API_URL reaches discordgo without touching its globals.
type rebase struct {
	base *url.URL
	next http.RoundTripper
}

func (t rebase) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.base.Scheme, t.base.Host, t.base.Host
	if p := strings.TrimSuffix(t.base.Path, "/"); p != "" {
		r.URL.Path = p + r.URL.Path
		r.URL.RawPath = ""
	}
	return t.next.RoundTrip(r)
}

// inflight counts events being handled so shutdown can wait for them.
type inflight struct {
	mu      sync.Mutex
	n       int
	closed  bool
	drained chan struct{}
}

// start registers an event; false once shutdown began.
func (f *inflight) start() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.n++
	return true
}

func (f *inflight) done() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.n == 0 && f.drained != nil {
		close(f.drained)
		f.drained = nil
	}
}

// wait stops new events and waits for running ones until ctx ends.
func (f *inflight) wait(ctx context.Context) error {
	f.mu.Lock()
	f.closed = true
	if f.n == 0 {
		f.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	f.drained = ch
	f.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
