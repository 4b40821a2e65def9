package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Saved replies that no process delivered. A change and its replies are
// saved together, and the Save marks the replies pending (Store's pending
// outbox). The adapter that posts them calls Delivered once the platform
// took them all, which clears the mark. A process that dies in between
// (after the Save, before or during the posting) leaves the mark, and
// RunOutbox, run by every replica on start and then periodically, posts
// those replies through the platform's Poster once the mark is older than
// OutboxGrace, so it never races a live handler.
//
// Every applied message has its own mark: when a later message of the
// same user is applied before an earlier one's replies went out (the
// platform redelivers the earlier one after a crash, or another replica
// took the later one), both stay pending until each is delivered.
//
// Exactly once in the normal case: the live handler's replies are cleared
// by Delivered, the sweeper's by its own clear after posting, and the
// store's lease keeps two replicas from taking the same mark. A crash
// during the sweeper's own posting (or a post that failed half-way) repeats
// the replies that went out before it when the mark is taken again after
// its lease; nothing is lost.

// Defaults and bounds of the sweeper.
const (
	// DefaultOutboxGrace is how old a pending mark must be before the
	// sweeper delivers it: longer than a live handler takes to post.
	DefaultOutboxGrace = 30 * time.Second
	// outboxBatch bounds the marks one RunOutbox call claims.
	outboxBatch = 100
	// outboxLease hides a claimed mark from other replicas while this one
	// posts it; a replica that dies leaves it to be taken again.
	outboxLease = 2 * time.Minute
	// outboxGiveUp: a mark the platform keeps refusing is dropped (and
	// logged) once its replies are this old; they would make no sense.
	outboxGiveUp = time.Hour
)

// Delivered tells the bot that the replies Handle returned for in have all
// reached the platform, so that no other process sends them again. The
// adapters call it after posting; errors are logged, not returned (the
// replies are out; at worst the sweeper sends them once more).
func (b *Bot) Delivered(ctx context.Context, in Inbound, outs []Outbound) {
	ref, ok := outboxRefOf(in, outs)
	if !ok {
		return
	}
	if err := b.cfg.Store.OutboxDelivered(ctx, ref); err != nil {
		b.cfg.Log.Warn("outbox: could not clear the pending mark; the sweeper may send the replies again", "session", ref.SessionID, "message", ref.MessageID, "err", err)
	}
}

// outboxRefOf names the saved replies outs may be: those of in's message
// in the session the replies belong to.
func outboxRefOf(in Inbound, outs []Outbound) (OutboxRef, bool) {
	if in.MessageID == "" {
		return OutboxRef{}, false
	}
	for _, o := range outs {
		if o.Session != "" {
			return OutboxRef{User: in.User(), SessionID: o.Session, MessageID: in.MessageID}, true
		}
	}
	return OutboxRef{}, false
}

// claimPending returns the saved replies of a redelivered message that was
// applied before, while they are still pending (the process that saved
// them died before they went out), and nil once they were delivered. It
// claims them as the sweeper does, after the same grace, so the two never
// both send them; a redelivery inside the grace, or while the sweeper
// holds them, gets nothing and the sweeper sends them. A store that
// cannot tell leaves them to the sweeper too: they live only there.
func (b *Bot) claimPending(ctx context.Context, s *Session, messageID string) *Outbox {
	ref := OutboxRef{User: s.User, SessionID: s.ID, MessageID: messageID}
	ob, err := b.cfg.Store.PendingOutbox(ctx, ref)
	if err != nil {
		b.cfg.Log.Warn("outbox: could not read the saved replies of a redelivered message; the sweeper sends them if they are pending", "session", s.ID, "err", err)
		return nil
	}
	if ob == nil {
		return nil
	}
	claimed, err := b.cfg.Store.ClaimOutbox(ctx, ref, b.cfg.Now().Add(-b.cfg.OutboxGrace), outboxLease)
	if err != nil || !claimed {
		b.cfg.Log.Info("outbox: a redelivered message's saved replies are left to the sweeper", "session", s.ID, "message", messageID, "err", err)
		return nil
	}
	return ob
}

// RunOutbox delivers the saved replies whose mark is older than the grace
// at now, through posters (by platform; nil when this process has none
// there, and the mark is left for a process that has). It reports how
// many replies it posted; errors of single sessions are logged and the
// rest carry on.
func (b *Bot) RunOutbox(ctx context.Context, now time.Time, posters func(Platform) Poster) (int, error) {
	refs, err := b.cfg.Store.DueOutboxes(ctx, now.Add(-b.cfg.OutboxGrace), outboxBatch, outboxLease)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, ref := range refs {
		n, err := b.deliverLeftover(ctx, ref, now, posters)
		sent += n
		if err != nil {
			b.cfg.Log.Warn("outbox: saved replies not delivered; retried after the lease", "user", ref.User.String(), "session", ref.SessionID, "message", ref.MessageID, "err", err)
		}
	}
	return sent, nil
}

func (b *Bot) deliverLeftover(ctx context.Context, ref OutboxRef, now time.Time, posters func(Platform) Poster) (int, error) {
	ob, err := b.cfg.Store.PendingOutbox(ctx, ref)
	if err != nil {
		return 0, err
	}
	s, err := b.cfg.Store.Session(ctx, ref.User, ref.SessionID)
	if errors.Is(err, ErrNotFound) || err == nil && ob == nil {
		// Delivered meanwhile, or expired: only the list entry is left.
		return 0, b.cfg.Store.OutboxDelivered(ctx, ref)
	}
	if err != nil {
		return 0, err
	}
	p := posters(ref.User.Platform)
	if p == nil {
		return 0, fmt.Errorf("no adapter posts on %s here", ref.User.Platform)
	}
	log := b.cfg.Log.With("platform", s.User.Platform, "workspace", s.User.Workspace, "user", s.User.UserID, "session", s.ID, "message", ref.MessageID)
	replies := ob.replies(&s)
	for i, r := range replies {
		if _, err := p.Post(ctx, r); err != nil {
			if now.Sub(s.Updated) < outboxGiveUp {
				return i, err
			}
			log.Error("outbox: the platform keeps refusing saved replies; giving up", "age", now.Sub(s.Updated).Round(time.Minute).String(), "err", err)
			return i, b.cfg.Store.OutboxDelivered(ctx, ref)
		}
	}
	log.Info("outbox: delivered replies a previous process saved but did not send", "replies", len(replies))
	return len(replies), b.cfg.Store.OutboxDelivered(ctx, ref)
}
