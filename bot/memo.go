package bot

import (
	"context"
	"slices"
	"sync"
)

// DefaultSessionMemo is how many active sessions a Bot remembers by
// default (Config.SessionMemo): a few MiB for the busiest users.
const DefaultSessionMemo = 1024

// sessionMemo remembers the active session this process last saved for
// each user, so the next answer can skip reading it back: the answer is
// applied to the remembered copy and saved with compare-and-swap on its
// version, which a change made elsewhere (another replica, a sweeper)
// makes fail. The copy is only ever trusted through such a save; a reply
// that saves nothing is given from a fresh read.
type sessionMemo struct {
	mu    sync.Mutex
	limit int
	byKey map[UserKey]Session
}

func newSessionMemo(limit int) *sessionMemo {
	return &sessionMemo{limit: limit, byKey: map[UserKey]Session{}}
}

// get returns a copy the caller may change: appends to its slices must
// not write into the remembered one's backing arrays.
func (m *sessionMemo) get(user UserKey) (Session, bool) {
	if m.limit <= 0 {
		return Session{}, false
	}
	m.mu.Lock()
	s, ok := m.byKey[user]
	m.mu.Unlock()
	if !ok {
		return Session{}, false
	}
	for i := range s.Answers {
		s.Answers[i].Named = slices.Clip(s.Answers[i].Named)
	}
	for i := range s.Wrap {
		s.Wrap[i].Named = slices.Clip(s.Wrap[i].Named)
	}
	return s, true
}

// saved records a session that was just saved: an active one is
// remembered, a finished one forgotten.
func (m *sessionMemo) saved(s Session) {
	if m.limit <= 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.Status != Active {
		delete(m.byKey, s.User)
		return
	}
	if _, ok := m.byKey[s.User]; !ok && len(m.byKey) >= m.limit {
		// Full: drop any one entry. Map order is arbitrary, which is all
		// the fairness a cache of optional shortcuts needs.
		for k := range m.byKey {
			delete(m.byKey, k)
			break
		}
	}
	m.byKey[s.User] = s
}

func (m *sessionMemo) forget(user UserKey) {
	if m.limit <= 0 {
		return
	}
	m.mu.Lock()
	delete(m.byKey, user)
	m.mu.Unlock()
}

// recaller is a Store (a decorator, such as bot/metrics's) that wants to
// know when the engine uses a remembered session in place of a read, as
// it would have seen the read.
type recaller interface {
	RecalledSession(ctx context.Context, s *Session)
}
