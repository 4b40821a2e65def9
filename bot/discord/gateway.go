package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/mlsdbot/mlsd/bot"
)

// addHandlers wires gateway events. Interactions and messages are read from
// the raw event, so one decoder serves the gateway and HTTP alike and a
// payload discordgo half-decodes is still seen whole.
func (a *Adapter) addHandlers(s *discordgo.Session) {
	s.AddHandler(func(_ *discordgo.Session, e *discordgo.Event) {
		if e == nil {
			return
		}
		switch e.Type {
		case "INTERACTION_CREATE":
			raw := e.RawData
			respond := a.early(raw, func(ctx context.Context, i *discordgo.Interaction, r *discordgo.InteractionResponse) error {
				return a.rest.InteractionRespond(i, r, discordgo.WithContext(ctx))
			})
			a.queue(interactionKey(raw), func(ctx context.Context) { a.handleInteraction(ctx, raw, respond) })
		case "MESSAGE_CREATE":
			if m, ok := e.Struct.(*discordgo.MessageCreate); ok && m.Message != nil && m.Author != nil {
				a.queue(m.GuildID+":"+m.Author.ID, func(ctx context.Context) { a.handleMessage(ctx, m) })
			}
		}
	})
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Connect) {
		a.connected.Store(true)
		a.observe("gateway", "connected")
		a.log.Info("discord: gateway connected", "shard", a.cfg.ShardID)
	})
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) {
		a.connected.Store(false)
		a.observe("gateway", "disconnected")
		a.log.Warn("discord: gateway disconnected", "shard", a.cfg.ShardID)
	})
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Resumed) {
		a.observe("gateway", "resumed")
		a.log.Info("discord: gateway resumed", "shard", a.cfg.ShardID)
	})
	s.AddHandler(func(_ *discordgo.Session, rl *discordgo.RateLimit) {
		if rl != nil {
			a.observe("rate_limited", rl.URL)
		}
	})
}

// queue hands an event to the dispatcher under its user's key, so one
// user's events run in the order they arrived and at most MaxRunning run at
// once. It blocks while MaxQueued events are waiting, which holds the
// gateway back rather than buffering without bound.
func (a *Adapter) queue(key string, fn func(ctx context.Context)) error {
	ctx, cancel := context.WithTimeout(context.Background(), handleTimeout)
	defer cancel()
	err := a.work.Submit(ctx, key, nil, func(func()) { a.track(fn) })
	if err != nil {
		a.log.Warn("discord: event dropped", "err", err)
	}
	return err
}

// interactionKey is the user an interaction comes from (in its guild), read
// from the raw payload; an unreadable one gets its own key.
func interactionKey(raw []byte) string {
	var p struct {
		ID      string `json:"id"`
		GuildID string `json:"guild_id"`
		Member  *struct {
			User struct {
				ID string `json:"id"`
			} `json:"user"`
		} `json:"member"`
		User *struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if json.Unmarshal(raw, &p) != nil {
		return "unreadable"
	}
	switch {
	case p.Member != nil && p.Member.User.ID != "":
		return p.GuildID + ":" + p.Member.User.ID
	case p.User != nil && p.User.ID != "":
		return p.GuildID + ":" + p.User.ID
	}
	return "interaction:" + p.ID
}

// track runs one event handler with panic recovery, counted for shutdown.
func (a *Adapter) track(fn func(ctx context.Context)) {
	if !a.flight.start() {
		return
	}
	defer a.flight.done()
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("discord: panic in event handler", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			a.observe("error", "panic")
		}
	}()
	if a.cfg.Interviewer == nil {
		return
	}
	// Events finish even while shutting down; the timeout bounds them.
	ctx, cancel := context.WithTimeout(context.Background(), handleTimeout)
	defer cancel()
	fn(ctx)
}

// handleMessage turns a plain reply in an interview thread into a
// KindReply. It only runs with the MESSAGE_CONTENT intent enabled.
func (a *Adapter) handleMessage(ctx context.Context, m *discordgo.MessageCreate) {
	if !a.cfg.MessageContent || m == nil || m.Message == nil || m.Author == nil || m.Author.Bot || m.GuildID == "" {
		return
	}
	if m.Content == "" {
		return // no intent in the portal, or an attachment-only message
	}
	parent := a.parentOf(ctx, m.ChannelID)
	if parent == "" {
		return // only thread replies can be answers
	}
	name := m.Author.GlobalName
	if m.Member != nil && m.Member.Nick != "" {
		name = m.Member.Nick
	}
	if name == "" {
		name = m.Author.Username
	}
	in := bot.Inbound{
		Platform: bot.Discord, Workspace: m.GuildID, Channel: parent, Thread: m.ChannelID,
		UserID: m.Author.ID, UserName: name, MessageID: m.ID, Text: m.Content, Kind: bot.KindReply,
	}
	log := a.log.With("message", m.ID)
	a.observe("inbound", "reply")
	outs, err := a.cfg.Interviewer.Handle(ctx, in)
	if err != nil {
		log.Error("discord: handling failed", "error", err, "kind", "reply")
		a.observe("error", "handle")
		outs = []bot.Outbound{{Where: bot.Where{Kind: bot.Ephemeral, User: in.UserID}, Text: sorry}}
	}
	a.deliver(ctx, &turn{in: in}, outs, log)
	a.delivered(ctx, in, outs, err)
}

// Run serves Discord until ctx ends. With a gateway it takes the shard's
// lease, connects while it holds it, renews it, and stands by when another
// replica holds it. On shutdown it closes the connection, waits for the
// events in flight (bounded by ShutdownTimeout) and releases the lease.
func (a *Adapter) Run(ctx context.Context) error {
	if a.cfg.Interviewer == nil {
		return errors.New("discord: Config.Interviewer is required to run")
	}
	for _, g := range a.cfg.Guilds {
		if err := a.Register(ctx, g); err != nil {
			return err
		}
	}
	var err error
	if a.usesGateway() {
		err = a.holdGateway(ctx)
	} else {
		<-ctx.Done()
	}
	wctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if werr := a.work.Close(wctx); werr != nil {
		a.log.Warn("discord: shutdown timed out with events queued")
	}
	if werr := a.flight.wait(wctx); werr != nil {
		a.log.Warn("discord: shutdown timed out with events in flight")
	}
	return err
}

// leaseName is the shard's lease in the store.
func (a *Adapter) leaseName() string {
	return "gateway:{dc:" + strconv.Itoa(a.cfg.ShardID) + "}"
}

// holdGateway is the lease loop: acquire or renew every TTL/3; connect on
// acquiring, disconnect on losing. While the lease store is unreachable the
// holder keeps its connection only as long as its last renewal surely
// lasts, then lets go (another replica may take over after the TTL).
func (a *Adapter) holdGateway(ctx context.Context) error {
	name, holder, ttl := a.leaseName(), a.cfg.Holder, a.cfg.LeaseTTL
	open := false
	backoff := time.Duration(0)
	var lastHeld time.Time
	defer func() {
		if open {
			a.closeGateway()
		}
		if a.cfg.Leaser != nil {
			rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := a.cfg.Leaser.Release(rctx, name, holder); err != nil {
				a.log.Warn("discord: releasing the gateway lease failed", "error", err)
			} else {
				a.observe("lease", "released")
			}
		}
	}()
	for {
		held := true
		if a.cfg.Leaser != nil {
			var err error
			held, err = a.cfg.Leaser.Acquire(ctx, name, holder, ttl)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				a.log.Warn("discord: gateway lease unavailable", "error", err)
				// A store hiccup does not end a lease that is still running:
				// keep the connection until the last renewal could expire
				// (one renewal interval of margin).
				held = open && a.cfg.Now().Sub(lastHeld) < ttl-ttl/3
			} else if held {
				lastHeld = a.cfg.Now()
			}
		}
		switch {
		case held && !open:
			a.standby.Store(false)
			a.observe("lease", "acquired")
			a.log.Info("discord: holding the gateway lease", "lease", name, "holder", holder)
			if err := a.rest.Open(); err != nil {
				if fatalGatewayError(err) {
					return fmt.Errorf("discord: gateway refused the connection: %w", err)
				}
				a.log.Warn("discord: gateway connection failed; retrying", "error", err)
				backoff = min(max(2*backoff, time.Second), 30*time.Second)
			} else {
				open, backoff = true, 0
			}
		case !held && open:
			a.observe("lease", "lost")
			a.log.Warn("discord: lost the gateway lease; disconnecting", "lease", name)
			a.closeGateway()
			open = false
		}
		if !held {
			a.standby.Store(true)
			a.observe("lease", "standby")
		}
		wait := ttl / 3
		if backoff > 0 {
			wait = min(backoff, wait)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-a.cfg.After(wait):
		}
	}
}

func (a *Adapter) closeGateway() {
	if err := a.rest.Close(); err != nil {
		a.log.Warn("discord: closing the gateway", "error", err)
	}
	a.connected.Store(false)
}

// fatalGatewayError reports close codes that retrying cannot fix: bad
// token, bad shard, disallowed or invalid intents.
func fatalGatewayError(err error) bool {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		switch ce.Code {
		case 4004, 4010, 4011, 4012, 4013, 4014:
			return true
		}
	}
	return errors.Is(err, discordgo.ErrWSShardBounds)
}

// Post sends a proactive message (the daily challenge): InThread posts in
// the channel or thread; NewThread posts the message and starts a public
// thread on it, returning the thread id; Ephemeral becomes a DM.
func (a *Adapter) Post(ctx context.Context, out bot.Outbound) (string, error) {
	switch out.Where.Kind {
	case bot.NewThread:
		if out.Where.Channel == "" {
			return "", errors.New("discord: Post needs Where.Channel")
		}
		return a.startThread(ctx, out.Where.Channel, out, nil, "")
	case bot.Ephemeral:
		a.directMessage(ctx, out.Where.User, render(out), a.log)
		return "", nil
	}
	target := firstNonEmpty(out.Where.Thread, out.Where.Channel)
	if target == "" {
		return "", errors.New("discord: Post needs Where.Channel")
	}
	if out.Picture != nil {
		return out.Where.Thread, a.postPicture(ctx, target, out, a.log)
	}
	for _, m := range render(out) {
		if _, err := a.rest.ChannelMessageSendComplex(target, m.send(), discordgo.WithContext(ctx)); err != nil {
			return "", fmt.Errorf("discord: posting in %s: %w", target, err)
		}
	}
	return out.Where.Thread, nil
}
