// Package slack connects MLSD to Slack. It is the only package that
// imports slack-go: it translates Slack events (Socket Mode or HTTP
// Events API, slash commands, buttons, modals, Home tab) into
// bot.Inbound, renders bot.Outbound as Block Kit, and paces posts per
// channel. It decides nothing about interviews.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/dispatch"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// Interviewer is what the adapter needs from the domain (*bot.Bot).
type Interviewer interface {
	Handle(ctx context.Context, in bot.Inbound) ([]bot.Outbound, error)
	AttachThread(ctx context.Context, user bot.UserKey, sessionID, channel, thread string) error
	// Delivered confirms that the replies Handle returned for in went out,
	// so no other process sends them again (the bot's pending outbox).
	Delivered(ctx context.Context, in bot.Inbound, outs []bot.Outbound)
	// Home feeds the Home tab: leaderboards and the viewer's stats.
	Home(ctx context.Context, user bot.UserKey) (bot.Home, error)
}

var _ Interviewer = (*bot.Bot)(nil)

// Config holds the adapter's dependencies. cmd/mlsd fills it from the
// environment; nothing here reads it.
// DefaultEventTimeout bounds one event: handling plus its paced replies (a
// long report is a dozen messages at one per second per channel).
const DefaultEventTimeout = 2 * time.Minute

// DefaultAckWithin leaves half a second of Slack's 3 s acknowledgement
// window for the ack to travel.
const DefaultAckWithin = 2500 * time.Millisecond

type Config struct {
	// BotToken (xoxb-…) authorises every Web API call. Required.
	BotToken string
	// AppToken (xapp-…, scope connections:write) selects Socket Mode.
	AppToken string
	// SigningSecret selects HTTP mode when AppToken is empty; requests
	// to the endpoints added by Register are verified with it.
	SigningSecret string
	// APIURL overrides https://slack.com/api/ (proxies, GovSlack, tests).
	APIURL string

	Interviewer Interviewer
	// Drawer draws pictures (diagrams, report cards) for upload; nil
	// sends their text alternative instead.
	Drawer Drawer
	Log    *slog.Logger
	// HTTPClient makes Web API calls (default: 15 s timeout).
	HTTPClient *http.Client
	// Observe, when set, is told about events for metrics: "inbound"
	// and "handled" (kind), "ignored" (event type), "redelivery",
	// "ready" and "not_ready" (connection changes), "shutdown" (drain begins),
	// "outbound" (method), "rate_limited",
	// "slack_error" (code), "http_rejected" (reason), "panic".
	Observe func(event string, labels ...string)
	// Now is the clock for caches and pacing (default time.Now).
	Now func() time.Time

	// MaxRunning bounds concurrently handled events (default 8) and
	// MaxQueued those acknowledged but not yet finished (default 256).
	MaxRunning, MaxQueued int
	// Rate is the per-channel posting rate in messages per second
	// (default 1) with bursts of Burst (default 3).
	Rate  float64
	Burst int
	// Limiter, when set, paces every message (chat.postMessage and
	// chat.postEphemeral) within WorkspaceRate, Slack's workspace-wide
	// posting cap for the app, shared by every replica on the same
	// limiter (the store); a 429 holds it for all of them for its
	// Retry-After. nil paces per channel only.
	Limiter bot.RateLimiter
	// WorkspaceRate is that budget (default DefaultWorkspaceRate).
	WorkspaceRate bot.Rate
	// ShutdownTimeout bounds the drain of accepted events and queued
	// posts after Run's context ends (default 10 s).
	ShutdownTimeout time.Duration
	// EventTimeout bounds one event's handling and replies (default
	// DefaultEventTimeout), so a stuck store or channel cannot hold a run
	// slot for good.
	EventTimeout time.Duration
	// AckWithin is how long after its arrival a Socket Mode event is
	// acknowledged at the latest (default DefaultAckWithin, inside Slack's
	// 3 s). Before that it is acknowledged only once handled: its change
	// saved and its replies sent, so a crash leaves it unacknowledged and
	// Slack delivers it again.
	AckWithin time.Duration
	// PingInterval is how long Socket Mode waits for Slack's ping before
	// reconnecting (default 30 s).
	PingInterval time.Duration
}

// Adapter is a running Slack connection. Create it with New, then call
// Run; in HTTP mode also mount its endpoints with Register.
type Adapter struct {
	cfg Config
	log *slog.Logger
	api *slack.Client
	// buttons is each thread's live question, whose buttons the next
	// question retires (retireButtons).
	buttonsMu sync.Mutex
	buttons   map[string]postedMessage
	sm        *socketmode.Client // nil in HTTP mode
	out       *outbox
	work      *dispatch.Dispatcher
	inFlight  inFlight

	// workCtx outlives Run's context so accepted events finish during
	// shutdown; it is cancelled when the drain times out.
	workCtx    context.Context
	cancelWork context.CancelFunc

	ready    atomic.Bool
	stopping atomic.Bool

	mu        sync.Mutex
	botUserID string
	botName   string
	team      string // from auth.test; names the shared posting budget
	users     map[string]userInfo
	members   map[string]bool // channels the bot is known to be in
}

type userInfo struct {
	name    string
	admin   bool
	expires time.Time
}

// Apology is what a user sees when handling failed inside MLSD.
const Apology = "Something went wrong on our side — please try again."

// New checks the configuration and builds the Slack clients; it makes no
// network calls.
func New(cfg Config) (*Adapter, error) {
	if cfg.BotToken == "" {
		return nil, errors.New("slack: a bot token (SLACK_BOT_TOKEN) is required")
	}
	if cfg.AppToken == "" && cfg.SigningSecret == "" {
		return nil, errors.New("slack: set an app token (SLACK_APP_TOKEN) for Socket Mode or a signing secret (SLACK_SIGNING_SECRET) for HTTP mode")
	}
	if cfg.AppToken != "" && !strings.HasPrefix(cfg.AppToken, "xapp-") {
		return nil, errors.New("slack: the app token (SLACK_APP_TOKEN) must start with xapp-")
	}
	if cfg.Interviewer == nil {
		return nil, errors.New("slack: Config.Interviewer is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.Observe == nil {
		cfg.Observe = func(string, ...string) {}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxRunning <= 0 {
		cfg.MaxRunning = 8
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = 256
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 1
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 3
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.EventTimeout <= 0 {
		cfg.EventTimeout = DefaultEventTimeout
	}
	if cfg.AckWithin <= 0 {
		cfg.AckWithin = DefaultAckWithin
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 30 * time.Second
	}
	opts := []slack.Option{slack.OptionHTTPClient(cfg.HTTPClient)}
	if cfg.APIURL != "" {
		u := cfg.APIURL
		if !strings.HasSuffix(u, "/") {
			u += "/" // slack-go appends method names to it
		}
		opts = append(opts, slack.OptionAPIURL(u))
	}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	a := &Adapter{
		cfg:     cfg,
		log:     cfg.Log.With("platform", "slack"),
		api:     slack.New(cfg.BotToken, opts...),
		out:     newOutbox(cfg.Rate, cfg.Burst, cfg.Now),
		work:    dispatch.New(cfg.MaxRunning, cfg.MaxQueued),
		buttons: map[string]postedMessage{},
		users:   make(map[string]userInfo),
		members: make(map[string]bool),
	}
	a.workCtx, a.cancelWork = context.WithCancel(context.Background())
	if cfg.Limiter != nil {
		if cfg.WorkspaceRate.Every <= 0 || cfg.WorkspaceRate.Burst < 1 {
			a.cfg.WorkspaceRate = DefaultWorkspaceRate
		}
		a.out.shared = a.workspaceBudget
	}
	a.out.onLimited = func(channel string, d time.Duration) {
		a.cfg.Observe("rate_limited")
		a.log.Warn("slack rate limit: pausing this channel", "channel", channel, "retry_after", d)
	}
	a.work.OnPanic = func(r any) {
		a.cfg.Observe("panic")
		a.log.Error("slack: event handler panicked", "panic", fmt.Sprint(r))
	}
	if cfg.AppToken != "" {
		a.sm = socketmode.New(a.api,
			socketmode.OptionPingInterval(cfg.PingInterval),
			socketmode.OptionLog(slog.NewLogLogger(a.log.Handler(), slog.LevelDebug)))
	}
	return a, nil
}

// SocketMode reports whether the adapter receives events over Socket Mode
// (else it expects them on the endpoints added by Register).
func (a *Adapter) SocketMode() bool { return a.sm != nil }

// setReady records a change of readiness for Ready and Observe.
func (a *Adapter) setReady(ready bool) {
	if a.ready.Swap(ready) != ready {
		if ready {
			a.cfg.Observe("ready")
		} else {
			a.cfg.Observe("not_ready")
		}
	}
}

// Ready reports whether the adapter can take events: the Socket Mode
// connection is up, or (HTTP mode) the token was verified.
func (a *Adapter) Ready() bool { return a.ready.Load() }

// Run verifies the token, then receives events until ctx ends. It then
// stops taking events, finishes the accepted ones and the queued posts
// (bounded by ShutdownTimeout) and returns nil; it returns an error
// early only when Slack rejects the credentials.
func (a *Adapter) Run(ctx context.Context) error {
	if err := a.identify(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	var err error
	if a.sm != nil {
		err = a.runSocket(ctx)
	} else {
		a.setReady(true)
		<-ctx.Done()
	}
	a.shutdown()
	return err
}

// identify learns the bot's user id (to ignore its own messages) with
// auth.test, retrying transient failures.
func (a *Adapter) identify(ctx context.Context) error {
	delay := time.Second
	for {
		res, err := a.api.AuthTestContext(ctx)
		if err == nil {
			a.mu.Lock()
			a.botUserID, a.botName, a.team = res.UserID, res.User, res.TeamID
			a.mu.Unlock()
			a.log.Info("slack: authenticated", "team", res.TeamID, "bot_user", res.UserID, "socket_mode", a.sm != nil)
			return nil
		}
		if code, _ := errorCode(err); isAuthError(code) {
			a.log.Error("slack: the bot token was rejected", "error", code,
				"fix", "check SLACK_BOT_TOKEN (xoxb-…) and that the app is installed in the workspace")
			return fmt.Errorf("slack: auth.test: %s", code)
		}
		a.log.Warn("slack: auth.test failed; retrying", "err", err, "in", delay)
		if sleepCtx(ctx, delay) != nil {
			return ctx.Err()
		}
		delay = min(2*delay, time.Minute)
	}
}

func (a *Adapter) identity() (botUserID, botName string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.botUserID, a.botName
}

func (a *Adapter) shutdown() {
	a.cfg.Observe("shutdown")
	a.stopping.Store(true)
	a.setReady(false)
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := a.work.Close(ctx); err != nil {
		a.log.Warn("slack: shutdown timed out with events still being handled")
	}
	a.cancelWork() // ends whatever is still running or queued
	a.out.wait()
	a.log.Info("slack: stopped")
}

// Post sends a proactive message (the daily case study) and returns the
// ts of the message that roots its thread. For a public channel the bot
// has not joined, it joins once and retries.
func (a *Adapter) Post(ctx context.Context, out bot.Outbound) (string, error) {
	if out.Where.Channel == "" {
		return "", errors.New("slack: Post needs Where.Channel")
	}
	if out.Where.Kind == bot.Ephemeral {
		// A saved private reply the sweeper delivers (bot.RunOutbox): only
		// its addressee sees it, as when it was first meant to go out.
		if out.Where.User == "" {
			return "", errors.New("slack: an ephemeral Post needs Where.User")
		}
		a.sendEphemeral(ctx, origin{}, out)
		return out.Where.Thread, nil
	}
	if out.Picture != nil {
		// A picture that cannot go out goes out as text (postPicture).
		thread := threadFor(out, "")
		a.postPicture(ctx, origin{}, out.Where.Channel, thread, out)
		return thread, nil
	}
	ts, err := a.postAll(ctx, out.Where.Channel, threadFor(out, ""), out)
	if code, _ := errorCode(err); code == "not_in_channel" {
		if jerr := a.join(ctx, out.Where.Channel); jerr == nil {
			ts, err = a.postAll(ctx, out.Where.Channel, threadFor(out, ""), out)
		}
	}
	if err != nil {
		a.reportSendError(ctx, origin{}, "chat.postMessage", out.Where.Channel, err)
		return "", err
	}
	if out.Where.Kind == bot.InThread && out.Where.Thread != "" {
		return out.Where.Thread, nil
	}
	return ts, nil
}

func threadFor(out bot.Outbound, newThread string) string {
	switch {
	case out.Where.Kind == bot.NewThread:
		return ""
	case out.Where.Thread != "":
		return out.Where.Thread
	}
	return newThread
}

// userDetails returns a display name and whether the user is a workspace
// admin, cached for ten minutes. Without users:read it falls back to the
// given name.
func (a *Adapter) userDetails(ctx context.Context, id, fallback string) (string, bool) {
	now := a.cfg.Now()
	a.mu.Lock()
	u, ok := a.users[id]
	a.mu.Unlock()
	if ok && now.Before(u.expires) {
		return u.name, u.admin
	}
	info, err := a.api.GetUserInfoContext(ctx, id)
	if err != nil {
		code, needed := errorCode(err)
		a.logSlackError("users.info", "", code, needed, err)
		if fallback == "" {
			fallback = id
		}
		// Remember the fallback briefly so a missing scope costs one call
		// (and one log line) a minute, not one per message.
		a.mu.Lock()
		a.users[id] = userInfo{name: fallback, expires: now.Add(time.Minute)}
		a.mu.Unlock()
		return fallback, false
	}
	name := info.Profile.DisplayName
	for _, n := range []string{info.Profile.RealName, info.RealName, info.Name, fallback, id} {
		if name == "" {
			name = n
		}
	}
	u = userInfo{name: name, admin: info.IsAdmin || info.IsOwner || info.IsPrimaryOwner, expires: now.Add(10 * time.Minute)}
	a.mu.Lock()
	if len(a.users) > 10000 {
		clear(a.users)
	}
	a.users[id] = u
	a.mu.Unlock()
	return u.name, u.admin
}
