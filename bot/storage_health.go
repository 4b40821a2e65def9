package bot

import (
	"errors"
	"log/slog"
	"sync"
	"time"
)

// StorageHealth follows whether a store can write. The store reports the
// outcome of its writes with Wrote; readiness asks Full. An incident (the
// first write refused for lack of space, up to the next write that
// succeeds) is logged once when it starts, with its cause, and once when it
// ends, however many writes fail in between, so a full disk does not
// flood the log. bot/bolt and bot/redis each keep one.
type StorageHealth struct {
	// Log receives the two lines of each incident; nil discards them.
	Log *slog.Logger
	// Now dates incidents (default time.Now).
	Now func() time.Time

	mu    sync.Mutex
	full  error // the write that started the incident; nil when writes work
	since time.Time
	fails int
}

// Wrote records a write's outcome: an error wrapping ErrStorageFull starts
// or continues an incident; nil (a write went through) ends one; any other
// error says nothing about space and changes nothing.
func (h *StorageHealth) Wrote(err error) {
	if err != nil && !errors.Is(err, ErrStorageFull) {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	switch {
	case err != nil && h.full == nil:
		h.full, h.since, h.fails = err, now(), 1
		h.log().Error("storage full: writes are refused; users are told nothing was saved and /readyz reports 503 until a write succeeds",
			"cause", err.Error())
	case err != nil:
		h.fails++
	case h.full != nil:
		h.log().Info("storage writable again", "full_for", now().Sub(h.since).Round(time.Second).String(), "refused_writes", h.fails,
			"cause", h.full.Error())
		h.full = nil
	}
}

// Full returns the error of the write that started the current incident,
// nil while writes work.
func (h *StorageHealth) Full() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.full
}

func (h *StorageHealth) log() *slog.Logger {
	if h.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Log
}
