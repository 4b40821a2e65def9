package bot

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Config holds every dependency of a Bot; nothing is read from the
// environment inside package bot.
type Config struct {
	Store   Store
	Library *Library
	// Now is the clock; tests inject a fixed or stepping one.
	Now func() time.Time
	// Intn returns a random int in [0, n); it picks random scenarios and ids.
	Intn func(n int) int
	Log  *slog.Logger
	// SessionTTL is how long an idle session's state is kept (default 7 days).
	SessionTTL time.Duration
	// Location is the zone used for leaderboard weeks and streak days
	// (default UTC).
	Location *time.Location
}

// Bot is the interviewer: it turns inbound messages into state changes and
// replies. It is safe for concurrent use; all state lives in the Store.
type Bot struct {
	cfg Config
}

// New checks the configuration and fills in defaults.
func New(cfg Config) (*Bot, error) {
	if cfg.Store == nil {
		return nil, errors.New("bot: Config.Store is required")
	}
	if cfg.Library == nil || cfg.Library.Len() == 0 {
		return nil, errors.New("bot: Config.Library has no scenarios")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Intn == nil {
		return nil, errors.New("bot: Config.Intn is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 7 * 24 * time.Hour
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	return &Bot{cfg: cfg}, nil
}

var _ Handler = (*Bot)(nil)

// Handle processes one inbound message and returns the replies in order.
// User mistakes (unknown commands, empty answers, another user's buttons)
// come back as friendly replies with a nil error; a non-nil error means
// something failed inside, and the adapter shows a generic apology.
func (b *Bot) Handle(ctx context.Context, in Inbound) ([]Outbound, error) {
	return nil, errors.New("not implemented yet")
}

// AttachThread binds the thread an adapter created for a NewThread message
// to the session, so replies in that thread reach the interview.
func (b *Bot) AttachThread(ctx context.Context, user UserKey, sessionID, channel, thread string) error {
	return errors.New("not implemented yet")
}
