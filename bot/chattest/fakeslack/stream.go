package fakeslack

import "slices"

// MessagesSince returns the messages posted after the first n, and a
// channel closed at the next change: a load harness follows thousands of
// threads by reading only what is new.
func (s *Server) MessagesSince(n int) ([]Message, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n > len(s.messages) {
		n = len(s.messages)
	}
	return slices.Clone(s.messages[n:]), s.changed
}
