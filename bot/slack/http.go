package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// HTTP-mode endpoints. Point the app's Event Subscriptions, slash command
// and Interactivity request URLs at these paths (see Manifest).
const (
	EventsPath      = "/slack/events"
	CommandsPath    = "/slack/commands"
	InteractivePath = "/slack/interactive"
)

// ackBudget is how long a request may wait for room in the dispatcher;
// Slack wants an answer within 3 s and retries 503s.
const ackBudget = 2 * time.Second

// Register mounts the HTTP-mode endpoints on mux. In Socket Mode it adds
// nothing: events arrive over the socket.
func (a *Adapter) Register(mux *http.ServeMux) {
	if a.sm != nil || a.cfg.SigningSecret == "" {
		return
	}
	mux.Handle("POST "+EventsPath, a.verified(a.serveEvents))
	mux.Handle("POST "+CommandsPath, a.verified(a.serveCommand))
	mux.Handle("POST "+InteractivePath, a.verified(a.serveInteraction))
}

// verified checks Slack's request signature (HMAC-SHA256 of the raw body
// with the signing secret, timestamp within 5 minutes) before anything
// is parsed. Unsigned, forged and stale requests get 401 and change
// nothing.
func (a *Adapter) verified(next func(http.ResponseWriter, *http.Request, []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			a.reject(w, r, http.StatusRequestEntityTooLarge, "body")
			return
		}
		sv, err := slack.NewSecretsVerifier(r.Header, a.cfg.SigningSecret)
		if err != nil {
			reason := "bad_signature"
			switch {
			case errors.Is(err, slack.ErrMissingHeaders):
				reason = "missing_signature"
			case errors.Is(err, slack.ErrExpiredTimestamp):
				reason = "stale_timestamp"
			}
			a.reject(w, r, http.StatusUnauthorized, reason)
			return
		}
		_, _ = sv.Write(body)
		if sv.Ensure() != nil {
			a.reject(w, r, http.StatusUnauthorized, "bad_signature")
			return
		}
		if a.stopping.Load() {
			w.WriteHeader(http.StatusServiceUnavailable) // Slack retries; another replica may take it
			return
		}
		if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
			a.cfg.Observe("redelivery")
			a.log.Debug("slack: redelivered request", "attempt", n, "reason", r.Header.Get("X-Slack-Retry-Reason"))
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next(w, r, body)
	})
}

func (a *Adapter) reject(w http.ResponseWriter, r *http.Request, status int, reason string) {
	a.cfg.Observe("http_rejected", reason)
	a.log.Warn("slack: rejected a request", "path", r.URL.Path, "reason", reason, "remote", r.RemoteAddr)
	w.WriteHeader(status)
}

// submit queues j and answers Slack as a Socket Mode ack (see enqueue):
// 200 once the event is handled, or AckWithin after the request arrived
// if it is still queued or running; 503 when there is no room within
// ackBudget. Until the 200, a process that dies leaves the request
// unanswered, and Slack retries it (events; X-Slack-Retry-Num).
func (a *Adapter) submit(w http.ResponseWriter, r *http.Request, j *job) {
	if j == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	arrived := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
	defer cancel()
	acked := make(chan struct{})
	if err := a.enqueue(ctx, arrived, j, func() { close(acked) }); err != nil {
		a.log.Warn("slack: busy; asking Slack to retry", "path", r.URL.Path, "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	select {
	case <-acked:
		w.WriteHeader(http.StatusOK)
	case <-r.Context().Done(): // Slack gave up waiting; the event still runs
	}
}

func (a *Adapter) serveEvents(w http.ResponseWriter, r *http.Request, body []byte) {
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		// Answer 200 anyway: a retry would be just as unreadable.
		a.log.Warn("slack: unreadable event; acknowledged and dropped", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	switch ev.Type {
	case slackevents.URLVerification:
		c, _ := ev.Data.(*slackevents.EventsAPIURLVerificationEvent)
		if c == nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, c.Challenge)
	case slackevents.CallbackEvent:
		a.submit(w, r, a.eventJob(ev))
	case slackevents.AppRateLimited:
		a.log.Warn("slack: Slack is dropping events for this app (over the hourly events budget)")
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

func (a *Adapter) serveCommand(w http.ResponseWriter, r *http.Request, _ []byte) {
	cmd, err := slack.SlashCommandParse(r)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	a.submit(w, r, a.slashJob(cmd))
}

func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request, _ []byte) {
	ic, err := slack.InteractionCallbackParse(r)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	a.submit(w, r, a.interactionJob(ic))
}
