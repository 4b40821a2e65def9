package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mlsdbot/mlsd/bot"
)

// Pending outbox (bot.Store's PendingOutbox, OutboxDelivered, DueOutboxes):
//
//	P:iv:{…}:ob          HASH "session:message" (escaped) → the saved replies
//	                     (JSON), one field per pending message, written by
//	                     save.lua (the user's slot), so it is atomic with the
//	                     change; the authority. Its TTL is the session's.
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

// outboxOf returns the ref a Save keeps pending, if any.
func outboxOf(ch bot.Change) (bot.OutboxRef, bool) {
	ob := ch.Outbox
	if ch.MessageID == "" || ob == nil || ob.MessageID != ch.MessageID {
		return bot.OutboxRef{}, false
	}
	return bot.OutboxRef{User: ch.Session.User, SessionID: ch.Session.ID, MessageID: ch.MessageID}, true
}

// outboxField names a message's saved replies in the user's hash.
func outboxField(r bot.OutboxRef) string { return esc(r.SessionID) + ":" + esc(r.MessageID) }

// PendingOutbox implements bot.Store.
func (s *Store) PendingOutbox(ctx context.Context, ref bot.OutboxRef) (*bot.Outbox, error) {
	if ref.MessageID == "" {
		return nil, nil
	}
	body, err := s.rdb.HGet(ctx, s.keys.outboxMark(ref.User), outboxField(ref)).Bytes()
	if err == goredis.Nil {
		return nil, nil
	}
	if err != nil {
		return nil, s.fail("pending outbox", err)
	}
	var ob bot.Outbox
	if err := json.Unmarshal(body, &ob); err != nil {
		return nil, fmt.Errorf("redis: decode saved replies of %s: %w", ref.MessageID, err)
	}
	return &ob, nil
}

// OutboxDelivered implements bot.Store: the mark (user's slot), then the
// list entry. Should the second fail, the sweeper finds the entry, sees no
// mark and clears it.
func (s *Store) OutboxDelivered(ctx context.Context, ref bot.OutboxRef) error {
	// One round trip for both: the adapters call this after every
	// answer's replies are posted. Either half left behind is harmless
	// (a due entry without saved replies sends nothing; saved replies
	// without an entry are only found by a redelivery).
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		p.HDel(ctx, s.keys.outboxMark(ref.User), outboxField(ref))
		p.ZRem(ctx, s.keys.outboxes(), outboxMember(ref))
		return nil
	})
	if err != nil {
		return s.fail("outbox delivered", err)
	}
	return nil
}

// claimOutboxScript moves one member of the due set to before+lease when
// it is due at or before before.
var claimOutboxScript = goredis.NewScript(`
local at = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not at or tonumber(at) > tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
return 1`)

// ClaimOutbox implements bot.Store.
func (s *Store) ClaimOutbox(ctx context.Context, ref bot.OutboxRef, before time.Time, lease time.Duration) (bool, error) {
	n, err := claimOutboxScript.Run(ctx, s.rdb, []string{s.keys.outboxes()}, outboxMember(ref), before.UnixMilli(), max(lease, 0).Milliseconds()).Int()
	if err != nil {
		return false, s.fail("claim outbox", err)
	}
	return n == 1, nil
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
