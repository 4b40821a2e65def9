package bolt

import (
	"context"
	"time"

	"go.etcd.io/bbolt"

	"github.com/mlsdbot/mlsd/bot"
)

// Pending outbox (bot.Store's OutboxPending, OutboxDelivered, DueOutboxes).
// The session's mark is the authority; the due index lists marks by time
// for the sweeper, one entry per (session, message), like the nudge index.
var (
	bucketOutboxPending = []byte("outbox-pending") // user, session id → message id
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
	ob := ch.Session.Outbox
	if ch.MessageID == "" || ob == nil || ob.MessageID != ch.MessageID {
		return nil
	}
	ref := bot.OutboxRef{User: ch.Session.User, SessionID: ch.Session.ID, MessageID: ch.MessageID}
	if err := tx.Bucket(bucketOutboxPending).Put(sessionKey(ref.User, ref.SessionID), []byte(ref.MessageID)); err != nil {
		return err
	}
	return outboxesDue.set(tx, outboxMember(ref), ch.Session.Updated)
}

// OutboxPending implements bot.Store.
func (s *Store) OutboxPending(ctx context.Context, ref bot.OutboxRef) (bool, error) {
	pending := false
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		pending = ref.MessageID != "" && string(tx.Bucket(bucketOutboxPending).Get(sessionKey(ref.User, ref.SessionID))) == ref.MessageID
		return nil
	})
	return pending, err
}

// OutboxDelivered implements bot.Store.
func (s *Store) OutboxDelivered(ctx context.Context, ref bot.OutboxRef) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		pb, key := tx.Bucket(bucketOutboxPending), sessionKey(ref.User, ref.SessionID)
		if string(pb.Get(key)) == ref.MessageID {
			if err := pb.Delete(key); err != nil {
				return err
			}
		}
		return outboxesDue.drop(tx, outboxMember(ref))
	})
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
