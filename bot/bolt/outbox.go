package bolt

import (
	"context"
	"errors"
	"time"

	"go.etcd.io/bbolt"

	"github.com/mlsdbot/mlsd/bot"
)

// Pending outbox (bot.Store's PendingOutbox, OutboxDelivered, DueOutboxes).
// The pending bucket holds each message's saved replies until they are
// delivered, and is the authority; the due index lists them by time for
// the sweeper, one entry per (session, message), like the nudge index.
var (
	bucketOutboxPending = []byte("outbox-pending") // user, session id, message id → replies (JSON)
	bucketOutboxDue     = []byte("outbox-due")     // time (8 bytes), member → ""
	bucketOutboxIndex   = []byte("outbox-index")   // member → time (8 bytes)
)

func outboxMember(r bot.OutboxRef) []byte {
	return encodeKey(string(r.User.Platform), r.User.Workspace, r.User.UserID, r.SessionID, r.MessageID)
}

func decodeOutboxMember(b []byte) (bot.OutboxRef, error) {
	var parts [5]string
	for i := range parts {
		var err error
		if parts[i], b, err = decodePart(b); err != nil {
			return bot.OutboxRef{}, err
		}
	}
	return bot.OutboxRef{User: bot.UserKey{Platform: bot.Platform(parts[0]), Workspace: parts[1], UserID: parts[2]}, SessionID: parts[3], MessageID: parts[4]}, nil
}

// markOutbox runs inside Save's transaction.
func markOutbox(tx *bbolt.Tx, ch bot.Change) error {
	ob := ch.Outbox
	if ch.MessageID == "" || ob == nil || ob.MessageID != ch.MessageID {
		return nil
	}
	ref := bot.OutboxRef{User: ch.Session.User, SessionID: ch.Session.ID, MessageID: ch.MessageID}
	member := outboxMember(ref)
	if err := putJSON(tx.Bucket(bucketOutboxPending), member, ob); err != nil {
		return err
	}
	return outboxesDue.set(tx, member, ch.Session.Updated)
}

// PendingOutbox implements bot.Store.
func (s *Store) PendingOutbox(ctx context.Context, ref bot.OutboxRef) (*bot.Outbox, error) {
	if ref.MessageID == "" {
		return nil, nil
	}
	var ob *bot.Outbox
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var saved bot.Outbox
		err := getJSON(tx.Bucket(bucketOutboxPending), outboxMember(ref), &saved)
		if errors.Is(err, bot.ErrNotFound) {
			return nil
		}
		if err == nil {
			ob = &saved
		}
		return err
	})
	return ob, err
}

// OutboxDelivered implements bot.Store.
func (s *Store) OutboxDelivered(ctx context.Context, ref bot.OutboxRef) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		member := outboxMember(ref)
		if err := tx.Bucket(bucketOutboxPending).Delete(member); err != nil {
			return err
		}
		return outboxesDue.drop(tx, member)
	})
}

// ClaimOutbox implements bot.Store.
func (s *Store) ClaimOutbox(ctx context.Context, ref bot.OutboxRef, before time.Time, lease time.Duration) (bool, error) {
	claimed := false
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		var err error
		claimed, err = outboxesDue.claimOne(tx, outboxMember(ref), before, lease)
		return err
	})
	return claimed, err
}

// DueOutboxes implements bot.Store.
func (s *Store) DueOutboxes(ctx context.Context, before time.Time, limit int, lease time.Duration) ([]bot.OutboxRef, error) {
	if limit <= 0 {
		return nil, nil
	}
	// Polled every minute and rarely non-empty: look first in a read
	// transaction, which costs no fsync.
	anyDue := false
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		k, _ := tx.Bucket(bucketOutboxDue).Cursor().First()
		anyDue = len(k) >= 8 && !decodeTime(k[:8]).After(before)
		return nil
	})
	if err != nil || !anyDue {
		return nil, err
	}
	var out []bot.OutboxRef
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		out = out[:0]
		members, err := outboxesDue.claim(tx, before, limit, lease)
		if err != nil {
			return err
		}
		for _, m := range members {
			ref, err := decodeOutboxMember(m)
			if err != nil {
				return err
			}
			out = append(out, ref)
		}
		return nil
	})
	return out, err
}
