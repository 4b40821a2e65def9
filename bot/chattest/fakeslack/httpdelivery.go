package fakeslack

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"
)

// Slack's HTTP delivery (Events API): the app has HTTPTimeout (3 s) to
// answer. An event that gets no 2xx in time (a timeout, a refused or
// dropped connection, an error status) is sent again up to three times,
// with X-Slack-Retry-Num 1..3 and X-Slack-Retry-Reason, after
// HTTPRetryDelays (Slack: nearly at once, after a minute, after five), and
// then dropped. A response carrying "X-Slack-No-Retry: 1" is not retried.
// Slash commands and interactions are never retried: the user sees an
// error instead.

// HTTPAttempt is one request of an HTTP delivery.
type HTTPAttempt struct {
	EnvelopeID string
	RetryNum   int    // 0 for the first delivery
	Reason     string // why it failed: "" when the app answered 2xx
	Status     int    // 0 when no answer came
}

type httpState struct {
	attempts []HTTPAttempt
	dropped  map[string]bool
	stop     chan struct{}
	stopped  bool
}

// SendHTTP delivers envelopes to an HTTP-mode app through c, each on its
// own, concurrently (as Slack does), retrying events as described above.
// A 2xx acknowledges the envelope (Snapshot.Acked, with the body as its
// payload when it is JSON); one given up on is Snapshot.Dropped. The
// deliveries end when the server is closed.
func (s *Server) SendHTTP(c *AppClient, envs ...Envelope) {
	client := *c
	base := c.HTTP
	if base == nil {
		base = http.DefaultClient
	}
	client.HTTP = &http.Client{Transport: base.Transport, Timeout: s.opts.HTTPTimeout}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http.stopped {
		return
	}
	for _, env := range envs {
		s.httpWG.Add(1)
		go s.deliverHTTP(&client, env)
	}
}

func (s *Server) deliverHTTP(c *AppClient, env Envelope) {
	defer s.httpWG.Done()
	prev := "" // why the previous attempt failed, sent with the retry
	for n := 0; ; n++ {
		num := env.Retry + n
		resp, err := c.Deliver(env, Signing{RetryNum: num, RetryReason: prev})
		reason := failureReason(resp, err)
		s.mu.Lock()
		s.http.attempts = append(s.http.attempts, HTTPAttempt{EnvelopeID: env.ID, RetryNum: num, Reason: reason, Status: resp.Status})
		if reason == "" {
			payload := json.RawMessage("null")
			if json.Valid(resp.Body) {
				payload = json.RawMessage(resp.Body)
			}
			s.sock.acks[env.ID] = payload
		}
		last := reason == "" || env.Type != "events_api" || n >= len(s.opts.HTTPRetryDelays) ||
			resp.Header.Get("X-Slack-No-Retry") == "1"
		if last && reason != "" {
			s.http.dropped[env.ID] = true
		}
		s.notifyLocked()
		stop := s.http.stop
		s.mu.Unlock()
		if last {
			return
		}
		wait := time.NewTimer(s.opts.HTTPRetryDelays[n])
		select {
		case <-wait.C:
		case <-stop:
			wait.Stop()
			return
		}
		prev = reason
	}
}

func failureReason(resp Response, err error) string {
	var ne net.Error
	switch {
	case err != nil && errors.As(err, &ne) && ne.Timeout():
		return "http_timeout"
	case err != nil:
		return "connection_failed"
	case resp.Status < 200 || resp.Status > 299:
		return "http_error"
	}
	return ""
}

// stopHTTP ends the deliveries in progress (their retries are not sent).
func (s *Server) stopHTTP() {
	s.mu.Lock()
	if !s.http.stopped {
		s.http.stopped = true
		close(s.http.stop)
	}
	s.mu.Unlock()
	s.httpWG.Wait()
}

// HTTPAttempts returns every HTTP delivery request made so far, in order.
func (s *Server) HTTPAttempts() []HTTPAttempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]HTTPAttempt(nil), s.http.attempts...)
}

// Dropped reports whether Slack gave up delivering an envelope over HTTP.
func (sn *Snapshot) Dropped(envelopeID string) bool { return sn.s.http.dropped[envelopeID] }
