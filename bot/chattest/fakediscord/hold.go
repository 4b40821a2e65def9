package fakediscord

import (
	"net/http"
	"regexp"
	"testing"
)

// messagePost matches "create a message" (POST /channels/{id}/messages).
var messagePost = regexp.MustCompile(`^/channels/[0-9]+/messages$`)

// holdState parks message posts while a hold is on.
type holdState struct {
	release chan struct{} // nil when no hold is on
	parked  int
}

// HoldMessages parks every message post (POST /channels/{id}/messages)
// from now on before it is handled, until release is called; a parked
// post whose client goes away (the process exited) is dropped, as its
// message never reaches Discord. Tests use it to keep replies in flight
// while they stop the bot.
func (s *Server) HoldMessages() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.hold.release = ch
	s.mu.Unlock()
	var once bool
	return func() {
		if once {
			return
		}
		once = true
		s.mu.Lock()
		s.hold.release = nil
		s.mu.Unlock()
		close(ch)
	}
}

// AwaitParked waits until at least n message posts are parked by
// HoldMessages.
func (s *Server) AwaitParked(tb testing.TB, n int) {
	tb.Helper()
	s.await(tb, "parked message posts", func() bool { return s.hold.parked >= n })
}

// parkIfHeld blocks a message post while a hold is on; false when the
// client went away meanwhile.
func (s *Server) parkIfHeld(r *http.Request, path string) bool {
	if r.Method != http.MethodPost || !messagePost.MatchString(path) {
		return true
	}
	s.mu.Lock()
	release := s.hold.release
	if release != nil {
		s.hold.parked++
		s.notify()
	}
	s.mu.Unlock()
	if release == nil {
		return true
	}
	defer func() {
		s.mu.Lock()
		s.hold.parked--
		s.mu.Unlock()
	}()
	select {
	case <-release:
		return true
	case <-r.Context().Done():
		return false
	}
}
