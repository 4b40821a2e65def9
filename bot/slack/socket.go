package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// runSocket receives Socket Mode events until ctx ends. slack-go
// reconnects by itself (disconnect frames, missed pings, read errors,
// calling apps.connections.open again each time); Slack redelivers what
// was not acknowledged, and the interviewer drops what it already saw.
func (a *Adapter) runSocket(ctx context.Context) error {
	smCtx, stop := context.WithCancel(ctx)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- a.sm.RunContext(smCtx) }()
	for {
		select {
		case <-ctx.Done():
			stop()
			<-errc
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			a.setReady(false)
			code, _ := errorCode(err)
			a.log.Error("slack: socket mode stopped", "error", code,
				"fix", "check SLACK_APP_TOKEN (xapp-…, scope connections:write) and SLACK_BOT_TOKEN")
			return fmt.Errorf("slack: socket mode: %w", err)
		case evt := <-a.sm.Events:
			a.onSocketEvent(ctx, evt)
		}
	}
}

func (a *Adapter) onSocketEvent(ctx context.Context, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		a.setReady(false)
		a.log.Debug("slack: connecting to socket mode")
	case socketmode.EventTypeConnected:
		a.log.Info("slack: socket mode connected")
	case socketmode.EventTypeHello:
		a.setReady(true)
		if evt.Request != nil && evt.Request.NumConnections > 1 {
			a.log.Info("slack: sharing events with other connections of this app", "connections", evt.Request.NumConnections)
		}
	case socketmode.EventTypeConnectionError:
		a.setReady(false)
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			a.log.Warn("slack: socket mode connection failed; retrying", "attempt", ce.Attempt, "backoff", ce.Backoff, "err", ce.ErrorObj)
		}
	case socketmode.EventTypeInvalidAuth:
		a.setReady(false)
		a.log.Error("slack: socket mode rejected the app token", "fix", "check SLACK_APP_TOKEN")
	case socketmode.EventTypeIncomingError:
		// Read errors end the connection and slack-go reconnects.
		a.log.Debug("slack: socket mode read error", "data", fmt.Sprint(evt.Data))
	case socketmode.EventTypeErrorWriteFailed:
		a.log.Warn("slack: socket mode write failed; Slack will redeliver what was not acknowledged", "data", fmt.Sprint(evt.Data))
	case socketmode.EventTypeErrorBadMessage:
		a.badMessage(ctx, evt)
	case socketmode.EventTypeEventsAPI:
		ev, _ := evt.Data.(slackevents.EventsAPIEvent)
		a.accept(ctx, evt.Request, a.eventJob(ev))
	case socketmode.EventTypeSlashCommand:
		cmd, _ := evt.Data.(slack.SlashCommand)
		a.accept(ctx, evt.Request, a.slashJob(cmd))
	case socketmode.EventTypeInteractive:
		ic, _ := evt.Data.(slack.InteractionCallback)
		a.accept(ctx, evt.Request, a.interactionJob(ic))
	default:
		a.accept(ctx, evt.Request, nil)
	}
}

// accept queues an envelope's job and acknowledges the envelope as
// enqueue says. When the adapter is shutting down the envelope stays
// unacknowledged, so Slack delivers it again elsewhere.
func (a *Adapter) accept(ctx context.Context, req *socketmode.Request, j *job) {
	if req == nil || req.EnvelopeID == "" {
		return
	}
	if req.RetryAttempt > 0 {
		a.cfg.Observe("redelivery")
		a.log.Debug("slack: redelivered envelope", "envelope", req.EnvelopeID, "attempt", req.RetryAttempt, "reason", req.RetryReason)
	}
	ack := func() { a.ack(req.EnvelopeID) }
	if j == nil {
		ack()
		return
	}
	if err := a.enqueue(ctx, time.Now(), j, ack); err != nil {
		a.log.Debug("slack: envelope left unacknowledged", "envelope", req.EnvelopeID, "err", err)
	}
}

// enqueue queues j and calls ack once: when j has run (its change saved,
// its replies sent), or AckWithin after the event arrived if j is still
// queued or running then, since Slack wants its answer within 3 s. A
// process that dies before the ack leaves the event for Slack to deliver
// again (a Socket Mode envelope, or an HTTP request Slack retries), and
// the bot's exactly-once save and saved replies (bot.Outbox) make that
// redelivery safe. It fails, without calling ack, when there is no room
// before ctx ends or the adapter is shutting down.
func (a *Adapter) enqueue(ctx context.Context, arrived time.Time, j *job, ack func()) error {
	ack = sync.OnceFunc(ack)
	if j.event != "" {
		done, first := a.inFlight.begin(j.event)
		if !first {
			// Slack redelivered an event this process is still handling
			// (an HTTP request that took over 3 s, an envelope whose ack
			// it did not see): answer it as the original is answered, and
			// never handle it twice, which would send its replies twice.
			a.cfg.Observe("duplicate")
			go func() {
				wait := time.NewTimer(a.cfg.AckWithin - time.Since(arrived))
				defer wait.Stop()
				select {
				case <-done:
				case <-wait.C:
				}
				ack()
			}()
			return nil
		}
	}
	var (
		timerMu  sync.Mutex
		deadline *time.Timer
	)
	queued := func() {
		timerMu.Lock()
		defer timerMu.Unlock()
		deadline = time.AfterFunc(a.cfg.AckWithin-time.Since(arrived), ack)
	}
	run := j.run
	err := a.work.Submit(ctx, j.key, queued, func(release func()) {
		defer a.inFlight.end(j.event)
		a.runWithDeadline(run, release)
		timerMu.Lock()
		deadline.Stop()
		timerMu.Unlock()
		// Out of the set before the answer, so a retry sent after it is
		// handled (and found applied) rather than waiting on nothing.
		a.inFlight.end(j.event)
		ack()
	})
	if err != nil {
		a.inFlight.end(j.event)
	}
	return err
}

// inFlight is the set of Events API events this process is handling,
// each with a channel closed when its handling ends.
type inFlight struct {
	mu     sync.Mutex
	events map[string]chan struct{}
}

// begin adds event and reports true, or, when it is already in flight,
// returns the channel its handling closes and false.
func (f *inFlight) begin(event string) (done <-chan struct{}, first bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.events[event]; ok {
		return ch, false
	}
	if f.events == nil {
		f.events = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	f.events[event] = ch
	return ch, true
}

// end removes event ("" is none) and wakes its waiting redeliveries.
func (f *inFlight) end(event string) {
	if event == "" {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.events[event]; ok {
		close(ch)
		delete(f.events, event)
	}
}

func (a *Adapter) ack(envelopeID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.sm.AckCtx(ctx, envelopeID, nil); err != nil {
		a.log.Warn("slack: could not acknowledge an envelope; Slack will redeliver it", "envelope", envelopeID, "err", err)
	}
}

// badMessage logs a frame slack-go could not decode and acknowledges it,
// so Slack does not keep redelivering something we can never read. The
// payload itself is not logged: it carries user text and a token.
func (a *Adapter) badMessage(ctx context.Context, evt socketmode.Event) {
	bm, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	var env struct {
		Type       string `json:"type"`
		EnvelopeID string `json:"envelope_id"`
	}
	_ = json.Unmarshal(bm.Message, &env)
	a.log.Warn("slack: undecodable socket mode message; acknowledged and dropped",
		"type", env.Type, "envelope", env.EnvelopeID, "bytes", len(bm.Message), "err", bm.Cause)
	if env.EnvelopeID != "" {
		a.ack(env.EnvelopeID)
	}
}
