package fakediscord

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Limits turns on Discord's REST rate limits, enforced as Discord does:
// a request over a limit is not processed and gets 429 with retry_after
// (and X-RateLimit-Global for the global limit); every answer of a
// limited route carries its bucket's X-RateLimit-* headers, which
// discordgo paces itself by. Interaction callbacks and webhooks are
// exempt, as on Discord.
type Limits struct {
	// Global is the requests per second allowed per bot token, counted in
	// one-second windows (default 50).
	Global int
	// Route requests per RouteWindow are allowed per route bucket: method
	// and path, ids included (default 5 per 5 s, Discord's limit on the
	// messages of one channel).
	Route       int
	RouteWindow time.Duration
}

func (l *Limits) defaults() {
	if l.Global <= 0 {
		l.Global = 50
	}
	if l.Route <= 0 {
		l.Route = 5
	}
	if l.RouteWindow <= 0 {
		l.RouteWindow = 5 * time.Second
	}
}

// window counts requests in a fixed window that starts with the first
// request after the previous one ended.
type window struct {
	start time.Time
	n     int
}

// take counts one request at now against limit per per. It returns the
// requests left, the time until the window resets, and false when the
// request is over the limit (and not counted).
func (w *window) take(now time.Time, limit int, per time.Duration) (int, time.Duration, bool) {
	if w.start.IsZero() || !now.Before(w.start.Add(per)) {
		w.start, w.n = now, 0
	}
	reset := w.start.Add(per).Sub(now)
	if w.n >= limit {
		return 0, reset, false
	}
	w.n++
	return limit - w.n, reset, true
}

// limited applies the limits to a request; callers hold s.mu. It returns
// the headers to send and, for a request over a limit, the 429 body.
func (s *Server) limited(method, path string) (http.Header, []byte) {
	l := s.opts.Limits
	if l == nil || strings.HasPrefix(path, "/interactions/") || strings.HasPrefix(path, "/webhooks/") {
		return nil, nil
	}
	now := s.opts.Now()
	h := http.Header{}
	if _, reset, ok := s.global.take(now, l.Global, time.Second); !ok {
		h.Set("X-RateLimit-Global", "true")
		h.Set("X-RateLimit-Scope", "global")
		return s.tooMany(h, reset, true)
	}
	bucket := method + " " + path
	w := s.routes[bucket]
	if w == nil {
		w = &window{}
		s.routes[bucket] = w
	}
	left, reset, ok := w.take(now, l.Route, l.RouteWindow)
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.Route))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(left))
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(now.Add(reset).UnixMilli())/1000, 'f', 3, 64))
	h.Set("X-RateLimit-Reset-After", seconds(reset))
	h.Set("X-RateLimit-Bucket", bucket)
	if !ok {
		h.Set("X-RateLimit-Scope", "user")
		return s.tooMany(h, reset, false)
	}
	return h, nil
}

func (s *Server) tooMany(h http.Header, retry time.Duration, global bool) (http.Header, []byte) {
	s.limitedN++
	h.Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
	return h, mustJSON(map[string]any{"message": "You are being rate limited.", "retry_after": retry.Seconds(), "global": global})
}

// seconds writes d the way Discord does, in seconds with milliseconds.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(math.Ceil(d.Seconds()*1000)/1000, 'f', 3, 64)
}

// TooManyRequests is how many requests the fake refused with 429 under
// Options.Limits.
func (s *Server) TooManyRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limitedN
}
