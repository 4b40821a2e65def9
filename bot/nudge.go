package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Idle-interview defaults (MLSD_NUDGE_AFTER, MLSD_ABANDON_AFTER).
const (
	DefaultNudgeAfter   = 24 * time.Hour
	DefaultAbandonAfter = 72 * time.Hour
	// nudgeBatch bounds the entries one RunNudges call claims.
	nudgeBatch = 100
	// nudgeLease is how long a claimed entry stays hidden from other
	// replicas; a replica that dies leaves it to be claimed again.
	nudgeLease = 5 * time.Minute
)

// How idle sessions are tracked: a session's due time is registered once,
// when it is created (one cheap write next to the create). Answers do not
// touch it, so the answer path costs no extra round trip. When the due time
// comes, RunNudges re-reads the session and decides from its own fields:
// Updated (last activity) and Nudged (last nudge). If the user has moved on
// it only re-registers the entry for Updated+NudgeAfter; otherwise it
// nudges, or closes the session, through Store.Save's compare-and-swap, so
// each nudge and each closing happens once even when two replicas hold the
// entry (the loser gets ErrConflict and sends nothing).

// trackIdle registers a new session's first idle check. A failure is
// logged, not returned: the interview itself was saved.
func (b *Bot) trackIdle(ctx context.Context, log *slog.Logger, s *Session) {
	if b.cfg.Daily == nil {
		return
	}
	if err := b.cfg.Daily.ScheduleNudge(ctx, NudgeRef{User: s.User, SessionID: s.ID}, b.nextIdleCheck(s)); err != nil {
		log.Warn("nudge: could not register the idle check", "session", s.ID, "err", err)
	}
}

// nextIdleCheck is when s should next be looked at: NudgeAfter after its
// last activity, or AbandonAfter once it has been nudged since.
func (b *Bot) nextIdleCheck(s *Session) time.Time {
	if s.Nudged.Before(s.Updated) {
		return s.Updated.Add(b.cfg.NudgeAfter)
	}
	return s.Updated.Add(b.cfg.AbandonAfter)
}

// RunNudges claims the idle checks due at now and acts on each: one nudge
// naming the step after NudgeAfter without activity, closing the session
// as abandoned after AbandonAfter. posters gives the Poster of a platform
// (nil when the bot has none there, as on the console; those sessions are
// left alone). It reports how many messages it sent; errors of single
// sessions are logged and the rest carry on.
func (b *Bot) RunNudges(ctx context.Context, now time.Time, posters func(Platform) Poster) (int, error) {
	if b.cfg.Daily == nil {
		return 0, nil
	}
	due, err := b.cfg.Daily.DueNudges(ctx, now, nudgeBatch, nudgeLease)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, ref := range due {
		ok, err := b.checkIdle(ctx, ref, now, posters)
		if errors.Is(err, errIdleRace) {
			b.cfg.Log.Debug("nudge: session changed meanwhile", "session", ref.SessionID)
			continue
		}
		if errors.Is(err, errNotDelivered) {
			// The change is saved and its check done: nothing retries it.
			b.cfg.Log.Warn("nudge: message not delivered; the session change stands and the message is not retried", "user", ref.User.String(), "session", ref.SessionID, "err", err)
			continue
		}
		if err != nil {
			b.cfg.Log.Warn("nudge: idle check failed; retried after the lease", "user", ref.User.String(), "session", ref.SessionID, "err", err)
			continue
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

func (b *Bot) checkIdle(ctx context.Context, ref NudgeRef, now time.Time, posters func(Platform) Poster) (bool, error) {
	d := b.cfg.Daily
	s, err := b.cfg.Store.Session(ctx, ref.User, ref.SessionID)
	if errors.Is(err, ErrNotFound) || err == nil && s.Status != Active {
		return false, d.CancelNudge(ctx, ref)
	}
	if err != nil {
		return false, err
	}
	p := posters(s.User.Platform)
	if p == nil {
		return false, d.CancelNudge(ctx, ref)
	}
	log := b.cfg.Log.With("platform", s.User.Platform, "workspace", s.User.Workspace, "user", s.User.UserID, "session", s.ID)
	idle := now.Sub(s.Updated)
	where := Where{Kind: InThread, Channel: s.Channel, Thread: s.Thread}
	switch {
	case idle >= b.cfg.AbandonAfter:
		next := s
		next.Status, next.Probing, next.Updated = Abandoned, "", now
		next.Version = s.Version + 1
		if err := b.saveIdle(ctx, d, ref, s, next); err != nil {
			return false, err
		}
		log.Info("nudge: interview closed as abandoned", "idle", idle.Round(time.Minute).String(), "step", s.Step)
		if _, err := p.Post(ctx, Outbound{Where: where, Text: abandonText(&s, b.cfg.AbandonAfter), Session: s.ID}); err != nil {
			return false, fmt.Errorf("%w: abandon note: %w", errNotDelivered, err)
		}
		return true, nil
	case idle >= b.cfg.NudgeAfter && s.Nudged.Before(s.Updated):
		next := s
		next.Nudged = now
		next.Version = s.Version + 1
		if err := b.saveIdle(ctx, d, ref, s, next); err != nil {
			return false, err
		}
		if err := d.ScheduleNudge(ctx, ref, b.nextIdleCheck(&next)); err != nil {
			log.Warn("nudge: could not register the abandonment check", "err", err)
		}
		log.Info("nudge: sent", "idle", idle.Round(time.Minute).String(), "step", s.Step)
		sc, _ := b.cfg.Library.Get(s.ScenarioID)
		if _, err := p.Post(ctx, Outbound{Where: where, Text: nudgeText(&s, sc, b.cfg.AbandonAfter-idle), Session: s.ID}); err != nil {
			return false, fmt.Errorf("%w: nudge: %w", errNotDelivered, err)
		}
		return true, nil
	}
	// Active since the entry was written: look again later.
	return false, d.ScheduleNudge(ctx, ref, b.nextIdleCheck(&s))
}

// saveIdle writes a nudge or abandonment with compare-and-swap on the
// version just read. Losing the race (the user answered, another replica
// acted) is not an error: the fresh state decides at the next check.
func (b *Bot) saveIdle(ctx context.Context, d DailyStore, ref NudgeRef, cur, next Session) error {
	err := b.cfg.Store.Save(ctx, Change{Session: next, Expected: cur.Version, TTL: b.cfg.SessionTTL})
	switch {
	case err == nil:
		b.memo.saved(next)
		if next.Status != Active {
			return d.CancelNudge(ctx, ref)
		}
		return nil
	case errors.Is(err, ErrConflict):
		return errIdleRace
	case errors.Is(err, ErrNotActive):
		if cerr := d.CancelNudge(ctx, ref); cerr != nil {
			return cerr
		}
		return errIdleRace
	}
	return err
}

// errNotDelivered marks a nudge or abandon note the platform refused after
// the change it announces was saved: the session is already nudged or
// closed, so no later check sends it again.
var errNotDelivered = errors.New("not delivered")

// errIdleRace means the session changed under the check; RunNudges logs
// it and the entry comes back after its lease.
var errIdleRace = errors.New("session changed meanwhile")

func nudgeText(s *Session, sc *Scenario, left time.Duration) string {
	title := s.ScenarioID
	if sc != nil {
		title = sc.Title
	}
	return fmt.Sprintf("👋 %s, your interview **%s** is waiting at **%s**. Reply here when you're ready (`repeat` shows the question again), or type `end` to close it. Without an answer it closes in about %s.",
		nameOr(s.UserName, "there"), title, stepHeadingPlain(s), humanDuration(left))
}

func abandonText(s *Session, after time.Duration) string {
	return fmt.Sprintf("⏹ This interview was closed after %s without an answer (it stopped at %s) — no points. Start a new one any time with `/mlsd start`.",
		humanDuration(after), stepHeadingPlain(s))
}

// humanDuration renders a duration in whole days or hours.
func humanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Round(24*time.Hour)/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Round(time.Hour)/time.Hour))
	case d >= time.Hour:
		return "an hour"
	}
	return fmt.Sprintf("%d minutes", max(1, int(d.Round(time.Minute)/time.Minute)))
}
