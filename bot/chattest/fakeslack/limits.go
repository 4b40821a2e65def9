package fakeslack

import (
	"math"
	"net/http"
	"time"
)

// Limits turns on Slack's limits on chat.postMessage, enforced as Slack
// does: a message over a limit is not posted and gets HTTP 429 with
// Retry-After and {"ok":false,"error":"ratelimited"}.
type Limits struct {
	// PerChannel messages a second in one channel, with bursts of
	// ChannelBurst (default 1 a second, bursts of 3: "about one message
	// per second per channel, short bursts allowed").
	PerChannel   float64
	ChannelBurst int
	// Workspace messages per WorkspaceWindow across the workspace
	// (default 300 a minute: Slack's "several hundred messages per
	// minute"), counted in fixed windows.
	Workspace       int
	WorkspaceWindow time.Duration
}

func (l *Limits) defaults() {
	if l.PerChannel <= 0 {
		l.PerChannel = 1
	}
	if l.ChannelBurst <= 0 {
		l.ChannelBurst = 3
	}
	if l.Workspace <= 0 {
		l.Workspace = 300
	}
	if l.WorkspaceWindow <= 0 {
		l.WorkspaceWindow = time.Minute
	}
}

// tokens is a channel's token bucket.
type tokens struct {
	n    float64
	last time.Time
}

// limitState is the fake's count against Limits.
type limitState struct {
	channels map[string]*tokens
	start    time.Time // the workspace window
	n        int
	refused  int
}

// rateLimitedLocked applies Limits to a chat.postMessage in channel at
// now; a refused message gets its 429 result.
func (s *Server) rateLimitedLocked(channel string, now time.Time) (apiResult, bool) {
	l := s.opts.Limits
	if l == nil {
		return apiResult{}, false
	}
	st := &s.limits
	if st.channels == nil {
		st.channels = make(map[string]*tokens)
	}
	if st.start.IsZero() || !now.Before(st.start.Add(l.WorkspaceWindow)) {
		st.start, st.n = now, 0
	}
	if st.n >= l.Workspace {
		return s.refusedLocked(st.start.Add(l.WorkspaceWindow).Sub(now)), true
	}
	b := st.channels[channel]
	if b == nil {
		b = &tokens{n: float64(l.ChannelBurst), last: now}
		st.channels[channel] = b
	}
	b.n = min(float64(l.ChannelBurst), b.n+now.Sub(b.last).Seconds()*l.PerChannel)
	b.last = now
	// A hair of tolerance for a client whose wait was rounded to the
	// nanosecond.
	if b.n < 1-1e-6 {
		return s.refusedLocked(time.Duration((1 - b.n) / l.PerChannel * float64(time.Second))), true
	}
	b.n--
	st.n++
	return apiResult{}, false
}

func (s *Server) refusedLocked(wait time.Duration) apiResult {
	s.limits.refused++
	// Retry-After is whole seconds, rounded up, as Slack sends it.
	secs := max(math.Ceil(wait.Seconds()), 1)
	return apiResult{status: http.StatusTooManyRequests, retryAfter: time.Duration(secs) * time.Second,
		body: map[string]any{"ok": false, "error": "ratelimited"}}
}

// TooManyRequests is how many messages the fake refused with 429 under
// Options.Limits.
func (s *Server) TooManyRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limits.refused
}
