package fakeslack

import "strings"

// hold parks calls of one Web API method until released.
type hold struct {
	method  string
	arrived chan string // the parked call's raw body
	release chan struct{}
}

// HoldNext parks the next call of method (e.g. "chat.postMessage") before
// it is handled: arrived receives its body when it comes in, and the call
// completes normally once release is called. Tests use it to act (send a
// signal, drop a connection) while the app is in the middle of a call.
func (s *Server) HoldNext(method string) (arrived <-chan string, release func()) {
	h := &hold{method: method, arrived: make(chan string, 1), release: make(chan struct{})}
	s.mu.Lock()
	s.holds = append(s.holds, h)
	s.mu.Unlock()
	var once bool
	return h.arrived, func() {
		if !once {
			once = true
			close(h.release)
		}
	}
}

// parkIfHeld blocks a call that matches a pending hold.
func (s *Server) parkIfHeld(method string, body []byte) {
	s.mu.Lock()
	var h *hold
	for i, x := range s.holds {
		if strings.EqualFold(x.method, method) {
			h = x
			s.holds = append(s.holds[:i], s.holds[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	if h == nil {
		return
	}
	h.arrived <- string(body)
	<-h.release
}
