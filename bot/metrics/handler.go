package metrics

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mlsdbot/mlsd/bot"
)

// Interviewer is a bot.Handler that records every inbound event
// (mlsd_inbound_*) before passing it on. It also has the other methods the
// chat adapters need from *bot.Bot (AttachThread, Home), forwarded to the
// wrapped handler, so it can be given to bot/slack and bot/discord as their
// Interviewer without a type assertion.
type Interviewer struct {
	next bot.Handler
	m    *Metrics
}

// InstrumentHandler wraps h (normally the *bot.Bot). It returns the
// concrete *Interviewer rather than a bare bot.Handler so that the adapters'
// Interviewer interfaces are satisfied at compile time; it is still a
// bot.Handler wherever one is asked for.
//
// Each Handle counts the event by platform and kind and times it. Combined
// with a store wrapped by InstrumentStore, it also counts the answers graded
// while handling the event and their grading time.
func InstrumentHandler(h bot.Handler, m *Metrics) *Interviewer {
	if h == nil || m == nil {
		panic("metrics: InstrumentHandler needs a handler and a *Metrics")
	}
	return &Interviewer{next: h, m: m}
}

var _ bot.Handler = (*Interviewer)(nil)

// Handle records the event and passes it to the wrapped handler.
func (iv *Interviewer) Handle(ctx context.Context, in bot.Inbound) ([]bot.Outbound, error) {
	active := iv.m.inboundActive.WithLabelValues(platformLabel(in.Platform))
	active.Inc()
	defer active.Dec()
	start := iv.m.now()
	out, err := iv.next.Handle(withEvent(ctx), in)
	iv.m.InboundHandled(in.Platform, in.Kind.String(), iv.m.now().Sub(start), err)
	return out, err
}

// AttachThread forwards to the wrapped handler (the adapter's follow-up to
// a NewThread message, not an inbound event).
func (iv *Interviewer) AttachThread(ctx context.Context, user bot.UserKey, sessionID, channel, thread string) error {
	a, ok := iv.next.(interface {
		AttachThread(ctx context.Context, user bot.UserKey, sessionID, channel, thread string) error
	})
	if !ok {
		return fmt.Errorf("metrics: %T has no AttachThread: %w", iv.next, errors.ErrUnsupported)
	}
	return a.AttachThread(ctx, user, sessionID, channel, thread)
}

// Delivered forwards to the wrapped handler (the adapter's confirmation
// that an event's replies went out; see bot.Bot.Delivered).
func (iv *Interviewer) Delivered(ctx context.Context, in bot.Inbound, outs []bot.Outbound) {
	if d, ok := iv.next.(interface {
		Delivered(ctx context.Context, in bot.Inbound, outs []bot.Outbound)
	}); ok {
		d.Delivered(ctx, in, outs)
	}
}

// Home forwards to the wrapped handler and records the call as an inbound
// event of kind "home" (Slack's app_home_opened).
func (iv *Interviewer) Home(ctx context.Context, user bot.UserKey) (bot.Home, error) {
	h, ok := iv.next.(interface {
		Home(ctx context.Context, user bot.UserKey) (bot.Home, error)
	})
	if !ok {
		return bot.Home{}, fmt.Errorf("metrics: %T has no Home: %w", iv.next, errors.ErrUnsupported)
	}
	start := iv.m.now()
	home, err := h.Home(ctx, user)
	iv.m.InboundHandled(user.Platform, "home", iv.m.now().Sub(start), err)
	return home, err
}

// event follows one inbound event from InstrumentHandler into the store
// decorator, which sees the session before and after the engine's change
// and can tell whether an answer was graded.
type event struct {
	mu    sync.Mutex
	loads []load
}

type load struct {
	id      string
	version int64
	turns   int
	at      time.Time
}

// maxLoads bounds the loads remembered per event; the engine reloads only
// on conflicts and the latest loads are the ones that matter.
const maxLoads = 8

type eventKey struct{}

func withEvent(ctx context.Context) context.Context {
	return context.WithValue(ctx, eventKey{}, &event{})
}

// eventFrom returns the event of ctx, or nil outside InstrumentHandler.
func eventFrom(ctx context.Context) *event {
	e, _ := ctx.Value(eventKey{}).(*event)
	return e
}

// loaded remembers a session the engine read, and when.
func (e *event) loaded(s *bot.Session, at time.Time) {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.loads) == maxLoads {
		e.loads = append(e.loads[:0], e.loads[1:]...)
	}
	e.loads = append(e.loads, load{id: s.ID, version: s.Version, turns: turns(s), at: at})
}

// answered reports whether a successful Save took in a new answer compared
// with the version it was computed from, and when that version was loaded.
func (e *event) answered(ch *bot.Change) (time.Time, bool) {
	if e == nil {
		return time.Time{}, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := len(e.loads) - 1; i >= 0; i-- {
		l := e.loads[i]
		if l.id == ch.Session.ID && l.version == ch.Expected {
			return l.at, turns(&ch.Session) > l.turns
		}
	}
	return time.Time{}, false
}
