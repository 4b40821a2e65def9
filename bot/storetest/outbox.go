package storetest

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mlsdbot/mlsd/bot"
)

// savedReplies is the outbox reply saves for msg.
func (f *fixture) savedReplies(channel, msg string) *bot.Outbox {
	return &bot.Outbox{MessageID: f.id(msg), Replies: []bot.Outbound{{Where: bot.Where{Kind: bot.InThread, Channel: channel}, Text: "reply to " + msg}}}
}

// reply saves the answer msg to cur together with its replies (the
// Outbox), as the bot does, and returns the new state.
func (f *fixture) reply(cur bot.Session, msg string) bot.Session {
	f.t.Helper()
	n := next(cur, "answer "+msg)
	ch := bot.Change{Session: n, Expected: cur.Version, MessageID: f.id(msg), TTL: ttl, Outbox: f.savedReplies(n.Channel, msg)}
	if err := f.s.Save(f.ctx, ch); err != nil {
		f.t.Fatalf("Save(%s with its replies) = %v, want nil", msg, err)
	}
	return n
}

func (f *fixture) outboxRef(s bot.Session, msg string) bot.OutboxRef {
	return bot.OutboxRef{User: s.User, SessionID: s.ID, MessageID: f.id(msg)}
}

func (f *fixture) pending(ref bot.OutboxRef) bool {
	f.t.Helper()
	ob, err := f.s.PendingOutbox(f.ctx, ref)
	if err != nil {
		f.t.Fatalf("PendingOutbox(%s) = %v", ref.MessageID, err)
	}
	return ob != nil
}

func (f *fixture) delivered(ref bot.OutboxRef) {
	f.t.Helper()
	if err := f.s.OutboxDelivered(f.ctx, ref); err != nil {
		f.t.Fatalf("OutboxDelivered(%s) = %v", ref.MessageID, err)
	}
}

// dueOutboxes claims the marks made at or before before, keeping only this
// subtest's (a shared Redis may hold others).
func (f *fixture) dueOutboxes(before time.Time, lease time.Duration) []bot.OutboxRef {
	f.t.Helper()
	got, err := f.s.DueOutboxes(f.ctx, before, 1000, lease)
	if err != nil {
		f.t.Fatalf("DueOutboxes = %v", err)
	}
	var mine []bot.OutboxRef
	for _, r := range got {
		if strings.HasPrefix(r.User.Workspace, f.ns) {
			mine = append(mine, r)
		}
	}
	return mine
}

var outboxCases = []testCase{
	{name: "PendingAfterSave", run: func(f *fixture) {
		cur := f.create(f.session(f.user("U1"), "s1"))
		if f.pending(f.outboxRef(cur, "create-"+cur.ID)) {
			f.t.Fatal("a create without replies is pending, want not")
		}
		cur = f.reply(cur, "m2")
		if !f.pending(f.outboxRef(cur, "m2")) {
			f.t.Fatal("OutboxPending after a Save with its replies = false, want true")
		}
		if f.pending(f.outboxRef(cur, "m9")) {
			f.t.Fatal("OutboxPending of another message = true, want false")
		}
		other := f.outboxRef(cur, "m2")
		other.SessionID = f.id("s9")
		if f.pending(other) {
			f.t.Fatal("OutboxPending of another session = true, want false")
		}
	}},
	{name: "ClearedByDelivered", run: func(f *fixture) {
		cur := f.reply(f.create(f.session(f.user("U1"), "s1")), "m2")
		ref := f.outboxRef(cur, "m2")
		f.delivered(ref)
		if f.pending(ref) {
			f.t.Fatal("OutboxPending after OutboxDelivered = true, want false")
		}
		if got := f.dueOutboxes(cur.Updated.Add(time.Hour), time.Minute); len(got) != 0 {
			f.t.Fatalf("DueOutboxes after delivery = %+v, want none", got)
		}
		f.delivered(ref) // again: a no-op
		f.delivered(bot.OutboxRef{User: f.user("U9"), SessionID: "none", MessageID: "none"})
	}},
	{name: "SavedRepliesComeBackWhole", run: func(f *fixture) {
		cur := f.reply(f.create(f.session(f.user("U1"), "s1")), "m2")
		got, err := f.s.PendingOutbox(f.ctx, f.outboxRef(cur, "m2"))
		if err != nil {
			f.t.Fatalf("PendingOutbox = %v", err)
		}
		if want := f.savedReplies(cur.Channel, "m2"); !cmp.Equal(got, want) {
			f.t.Fatalf("PendingOutbox = %+v, want the saved replies %+v", got, want)
		}
	}},
	{name: "EachMessageItsOwnMark", run: func(f *fixture) {
		// The process that applied m2 died before posting its replies; m3
		// was applied next (another replica, or the platform's order). m2's
		// replies must still be there for its redelivery or the sweeper.
		cur := f.reply(f.create(f.session(f.user("U1"), "s1")), "m2")
		cur = f.reply(cur, "m3")
		if !f.pending(f.outboxRef(cur, "m2")) || !f.pending(f.outboxRef(cur, "m3")) {
			f.t.Fatal("after a second Save with replies, want both messages' replies pending")
		}
		f.delivered(f.outboxRef(cur, "m3"))
		if !f.pending(f.outboxRef(cur, "m2")) {
			f.t.Fatal("delivering the second message cleared the first's mark")
		}
		if got := f.dueOutboxes(cur.Updated.Add(time.Hour), time.Minute); !cmp.Equal(got, []bot.OutboxRef{f.outboxRef(cur, "m2")}) {
			f.t.Fatalf("DueOutboxes = %+v, want only m2's", got)
		}
		f.delivered(f.outboxRef(cur, "m2"))
		if f.pending(f.outboxRef(cur, "m2")) || f.pending(f.outboxRef(cur, "m3")) {
			f.t.Fatal("a mark survived its delivery")
		}
	}},
	{name: "ClaimOneAgainstTheSweeper", run: func(f *fixture) {
		cur := f.reply(f.reply(f.create(f.session(f.user("U1"), "s1")), "m2"), "m3")
		m2, m3 := f.outboxRef(cur, "m2"), f.outboxRef(cur, "m3")
		at := cur.Updated
		claim := func(ref bot.OutboxRef, before time.Time) bool {
			f.t.Helper()
			ok, err := f.s.ClaimOutbox(f.ctx, ref, before, time.Minute)
			if err != nil {
				f.t.Fatalf("ClaimOutbox(%s) = %v", ref.MessageID, err)
			}
			return ok
		}
		if claim(m2, at.Add(-time.Hour)) {
			f.t.Fatal("ClaimOutbox of a mark made after before = true, want false (its process may still be sending)")
		}
		if !claim(m2, at) {
			f.t.Fatal("ClaimOutbox of a due mark = false, want true")
		}
		if claim(m2, at.Add(30*time.Second)) {
			f.t.Fatal("a second ClaimOutbox inside the lease = true, want false")
		}
		// The sweeper skips what a redelivery holds, and takes the rest.
		if got := f.dueOutboxes(at.Add(30*time.Second), time.Minute); !cmp.Equal(got, []bot.OutboxRef{m3}) {
			f.t.Fatalf("DueOutboxes inside m2's lease = %+v, want only m3", got)
		}
		if claim(m3, at.Add(30*time.Second)) {
			f.t.Fatal("ClaimOutbox of a mark the sweeper holds = true, want false")
		}
		if !claim(m2, at.Add(time.Minute)) {
			f.t.Fatal("ClaimOutbox after the lease ran out = false, want true (the claimer died)")
		}
		f.delivered(m2)
		if claim(m2, at.Add(time.Hour)) {
			f.t.Fatal("ClaimOutbox of a delivered mark = true, want false")
		}
		if claim(f.outboxRef(cur, "m9"), at.Add(time.Hour)) {
			f.t.Fatal("ClaimOutbox of a message with no mark = true, want false")
		}
	}},
	{name: "OtherSavesLeaveMark", run: func(f *fixture) {
		cur := f.reply(f.create(f.session(f.user("U1"), "s1")), "m2")
		ref := f.outboxRef(cur, "m2")
		f.delivered(ref)
		// A change with no message (a nudge) must not make delivered
		// replies pending again.
		n := next(cur, "")
		if err := f.s.Save(f.ctx, bot.Change{Session: n, Expected: cur.Version, TTL: ttl}); err != nil {
			f.t.Fatalf("Save(no message) = %v", err)
		}
		if f.pending(ref) {
			f.t.Fatal("a Save without a message id re-marked the kept Outbox pending")
		}
		if got := f.dueOutboxes(n.Updated.Add(time.Hour), time.Minute); len(got) != 0 {
			f.t.Fatalf("DueOutboxes = %+v, want none", got)
		}
	}},
	{name: "FailedSaveMarksNothing", run: func(f *fixture) {
		cur := f.reply(f.create(f.session(f.user("U1"), "s1")), "m2")
		f.delivered(f.outboxRef(cur, "m2"))
		for _, tc := range []struct {
			name string
			from bot.Session
			msg  string
		}{{"duplicate", cur, "m2"}, {"stale", next(cur, "imagined"), "m3"}} {
			n := next(tc.from, "again")
			ob := &bot.Outbox{MessageID: f.id(tc.msg), Replies: []bot.Outbound{{Text: "x"}}}
			if err := f.s.Save(f.ctx, bot.Change{Session: n, Expected: tc.from.Version, MessageID: f.id(tc.msg), TTL: ttl, Outbox: ob}); err == nil {
				f.t.Fatalf("Save(%s) = nil, want an error", tc.name)
			}
			if f.pending(f.outboxRef(cur, tc.msg)) {
				f.t.Fatalf("a failed Save (%s) marked its replies pending", tc.name)
			}
		}
	}},
	{name: "ListedWhenOlderThanGrace", run: func(f *fixture) {
		cur := f.reply(f.create(f.session(f.user("U1"), "s1")), "m2")
		ref := f.outboxRef(cur, "m2")
		at := cur.Updated
		if got := f.dueOutboxes(at.Add(-time.Second), time.Minute); len(got) != 0 {
			f.t.Fatalf("DueOutboxes before the mark's time = %+v, want none", got)
		}
		if got := f.dueOutboxes(at, time.Minute); !cmp.Equal(got, []bot.OutboxRef{ref}) {
			f.t.Fatalf("DueOutboxes at the mark's time = %+v, want %+v", got, ref)
		}
		if got := f.dueOutboxes(at.Add(59*time.Second), time.Minute); len(got) != 0 {
			f.t.Fatalf("DueOutboxes inside the lease = %+v, want none", got)
		}
		if got := f.dueOutboxes(at.Add(time.Minute), time.Minute); !cmp.Equal(got, []bot.OutboxRef{ref}) {
			f.t.Fatalf("DueOutboxes after the lease = %+v, want %+v back", got, ref)
		}
	}},
	{name: "IdsWithSeparators", run: func(f *fixture) {
		u := bot.UserKey{Platform: bot.Slack, Workspace: f.ns + ":T{1}", UserID: "U:1%"}
		s := f.session(u, "s:{x}")
		cur := f.create(s)
		cur = f.reply(cur, "m:{2}%")
		ref := f.outboxRef(cur, "m:{2}%")
		if got := f.dueOutboxes(cur.Updated, time.Minute); !cmp.Equal(got, []bot.OutboxRef{ref}) {
			f.t.Fatalf("DueOutboxes = %+v, want %+v decoded exactly", got, ref)
		}
	}},
	{name: "ClaimIsExclusive", run: func(f *fixture) {
		const sessions, pollers = 20, 6
		var latest time.Time
		for i := range sessions {
			cur := f.reply(f.create(f.session(f.user(fmt.Sprintf("U%02d", i)), fmt.Sprintf("s%02d", i))), "m")
			latest = cur.Updated
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range pollers {
			wg.Go(func() {
				<-start
				for {
					got, err := f.s.DueOutboxes(f.ctx, latest, 3, time.Hour)
					if err != nil {
						f.t.Errorf("DueOutboxes = %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, r := range got {
						seen[r.SessionID]++
					}
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		n := 0
		for id, c := range seen {
			if !strings.HasPrefix(id, f.ns) {
				continue
			}
			n++
			if c != 1 {
				f.t.Errorf("mark of %s handed out %d times within its lease, want once", id, c)
			}
		}
		if n != sessions {
			f.t.Fatalf("pollers got %d distinct marks, want %d", n, sessions)
		}
	}},
}
