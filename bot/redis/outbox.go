package redis

import (
	"context"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mlsdbot/mlsd/bot"
)

// Pending outbox (bot.Store's OutboxPending, OutboxDelivered, DueOutboxes):
//
//	P:iv:{…}:ob          HASH session id → message id: the session's pending
//	                     mark, written by save.lua (the user's slot), so it is
//	                     atomic with the change; the authority
//	P:due:{outbox}       ZSET escaped "platform:workspace:user:session:message"
//	                     → time (unix ms): the list the sweeper reads
//
// The list is in its own slot, so in a Cluster it cannot be inside
// save.lua: Save adds the entry in the same pipeline, just before the
// script (one round trip, as for the thread index). An entry whose Save
// failed, or whose mark a later Save replaced, is only a pointer to
// nothing: the sweeper checks the mark and clears the entry.

func (k keys) outboxMark(u bot.UserKey) string { return k.user(u) + ":ob" }

func (k keys) outboxes() string { return k.prefix + ":due:{outbox}" }

func outboxMember(r bot.OutboxRef) string {
	return esc(string(r.User.Platform)) + ":" + esc(r.User.Workspace) + ":" + esc(r.User.UserID) + ":" + esc(r.SessionID) + ":" + esc(r.MessageID)
}

func parseOutboxMember(m string) (bot.OutboxRef, error) {
	parts := strings.Split(m, ":")
	if len(parts) != 5 {
		return bot.OutboxRef{}, fmt.Errorf("redis: corrupt outbox entry %q", m)
	}
	return bot.OutboxRef{
		User:      bot.UserKey{Platform: bot.Platform(unesc(parts[0])), Workspace: unesc(parts[1]), UserID: unesc(parts[2])},
		SessionID: unesc(parts[3]),
		MessageID: unesc(parts[4]),
	}, nil
}

// outboxOf returns the ref a Save marks pending, if any.
func outboxOf(ch bot.Change) (bot.OutboxRef, bool) {
	ob := ch.Session.Outbox
	if ch.MessageID == "" || ob == nil || ob.MessageID != ch.MessageID {
		return bot.OutboxRef{}, false
	}
	return bot.OutboxRef{User: ch.Session.User, SessionID: ch.Session.ID, MessageID: ch.MessageID}, true
}

// clearOutboxScript drops the session's mark when it is for this message.
var clearOutboxScript = goredis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 1`)

// OutboxPending implements bot.Store.
func (s *Store) OutboxPending(ctx context.Context, ref bot.OutboxRef) (bool, error) {
	if ref.MessageID == "" {
		return false, nil
	}
	msg, err := s.rdb.HGet(ctx, s.keys.outboxMark(ref.User), ref.SessionID).Result()
	if err == goredis.Nil {
		return false, nil
	}
	if err != nil {
		return false, s.fail("outbox pending", err)
	}
	return msg == ref.MessageID, nil
}

// OutboxDelivered implements bot.Store: the mark (user's slot), then the
// list entry. Should the second fail, the sweeper finds the entry, sees no
// mark and clears it.
func (s *Store) OutboxDelivered(ctx context.Context, ref bot.OutboxRef) error {
	if err := clearOutboxScript.Run(ctx, s.rdb, []string{s.keys.outboxMark(ref.User)}, ref.SessionID, ref.MessageID).Err(); err != nil {
		return s.fail("outbox delivered", err)
	}
	if err := s.rdb.ZRem(ctx, s.keys.outboxes(), outboxMember(ref)).Err(); err != nil {
		return s.fail("outbox delivered", err)
	}
	return nil
}

// DueOutboxes implements bot.Store with the idle checks' claim script.
func (s *Store) DueOutboxes(ctx context.Context, before time.Time, limit int, lease time.Duration) ([]bot.OutboxRef, error) {
	if limit <= 0 {
		return nil, nil
	}
	members, err := dailyDueScript.Run(ctx, s.rdb, []string{s.keys.outboxes()}, before.UnixMilli(), limit, max(lease, 0).Milliseconds()).StringSlice()
	if err != nil {
		return nil, s.fail("due outboxes", err)
	}
	out := make([]bot.OutboxRef, 0, len(members))
	for _, m := range members {
		r, err := parseOutboxMember(m)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
