package storetest

import (
	"errors"

	"github.com/mlsdbot/mlsd/bot"
)

// errSome stands for "an error, which one the contract does not say".
var errSome = errors.New("some error")

// saveCase starts from a session created as v1 and answered once (message
// "m1") to v2.
type saveCase struct {
	name string
	// prepare moves the session on before the change, returning its state.
	prepare func(f *fixture, cur bot.Session) bot.Session
	// change builds the change to try; v1 is the session as created.
	change func(f *fixture, v1, cur bot.Session) bot.Change
	want   error
}

func saveCases() []testCase {
	complete := func(f *fixture, cur bot.Session) bot.Session {
		return f.finish(cur, bot.Completed, completion(cur, 80, 80, t0))
	}
	abandon := func(f *fixture, cur bot.Session) bot.Session { return f.finish(cur, bot.Abandoned, nil) }
	fresh := func(f *fixture, cur bot.Session, msg string) bot.Change {
		return bot.Change{Session: next(cur, "new answer"), Expected: cur.Version, MessageID: f.id(msg), TTL: ttl}
	}
	table := []saveCase{
		{name: "Applied",
			change: func(f *fixture, _, cur bot.Session) bot.Change { return fresh(f, cur, "m2") }},
		{name: "EmptyMessageIDSkipsCheck",
			prepare: func(f *fixture, cur bot.Session) bot.Session {
				n := next(cur, "no id")
				if err := f.s.Save(f.ctx, bot.Change{Session: n, Expected: cur.Version, TTL: ttl}); err != nil {
					f.t.Fatalf("Save(no message id) = %v", err)
				}
				return n
			},
			change: func(f *fixture, _, cur bot.Session) bot.Change {
				return bot.Change{Session: next(cur, "no id again"), Expected: cur.Version, TTL: ttl}
			}},
		{name: "DuplicateMessageID", want: bot.ErrDuplicate,
			change: func(f *fixture, _, cur bot.Session) bot.Change { return fresh(f, cur, "m1") }},
		{name: "StaleVersion", want: bot.ErrConflict,
			change: func(f *fixture, v1, _ bot.Session) bot.Change { return fresh(f, v1, "m2") }},
		{name: "VersionAhead", want: bot.ErrConflict,
			change: func(f *fixture, _, cur bot.Session) bot.Change { return fresh(f, next(cur, "imagined"), "m2") }},
		{name: "StaleAndDuplicateIsDuplicate", want: bot.ErrDuplicate,
			change: func(f *fixture, v1, _ bot.Session) bot.Change { return fresh(f, v1, "m1") }},
		{name: "VersionNotExpectedPlusOne", want: errSome,
			change: func(f *fixture, _, cur bot.Session) bot.Change {
				ch := fresh(f, cur, "m2")
				ch.Session.Version = cur.Version + 3
				return ch
			}},
		{name: "VersionUnchanged", want: errSome,
			change: func(f *fixture, _, cur bot.Session) bot.Change {
				ch := fresh(f, cur, "m2")
				ch.Session.Version = cur.Version
				return ch
			}},
		{name: "CompletedNotActive", want: bot.ErrNotActive, prepare: complete,
			change: func(f *fixture, _, cur bot.Session) bot.Change { return fresh(f, cur, "m2") }},
		{name: "AbandonedNotActive", want: bot.ErrNotActive, prepare: abandon,
			change: func(f *fixture, _, cur bot.Session) bot.Change { return fresh(f, cur, "m2") }},
		{name: "NotActiveWinsOverDuplicate", want: bot.ErrNotActive, prepare: complete,
			change: func(f *fixture, _, cur bot.Session) bot.Change { return fresh(f, cur, "m1") }},
		{name: "NotActiveWinsOverStale", want: bot.ErrNotActive, prepare: abandon,
			change: func(f *fixture, v1, _ bot.Session) bot.Change { return fresh(f, v1, "m2") }},
		{name: "MissingNotActive", want: bot.ErrNotActive,
			change: func(f *fixture, _, cur bot.Session) bot.Change {
				ch := fresh(f, cur, "m2")
				ch.Session.ID = f.id("never-created")
				return ch
			}},
		{name: "AnotherUsersSessionNotActive", want: bot.ErrNotActive,
			change: func(f *fixture, _, cur bot.Session) bot.Change {
				ch := fresh(f, cur, "m2")
				ch.Session.User = f.user("intruder")
				return ch
			}},
	}
	var cases []testCase
	for _, sc := range table {
		cases = append(cases, testCase{name: sc.name, run: func(f *fixture) {
			u := f.user("U1")
			v1 := f.create(f.session(u, "s1"))
			cur := f.answer(v1, "m1", "first answer")
			if sc.prepare != nil {
				cur = sc.prepare(f, cur)
			}
			ch := sc.change(f, v1, cur)
			err := f.s.Save(f.ctx, ch)
			if sc.want == errSome {
				if err == nil {
					f.t.Fatalf("Save(%s) = nil, want an error", sc.name)
				}
			} else {
				wantErr(f.t, "Save", err, sc.want)
			}
			if err == nil {
				f.wantSession(u, ch.Session)
				f.wantActive(u, ch.Session)
				return
			}
			// A failed Save writes nothing.
			f.wantSession(u, cur)
			if cur.Status == bot.Active {
				f.wantActive(u, cur)
			} else {
				f.wantNoActive(u)
			}
			if ch.Session.User != u || ch.Session.ID != cur.ID {
				if got, err := f.s.Session(f.ctx, ch.Session.User, ch.Session.ID); !errors.Is(err, bot.ErrNotFound) {
					f.t.Fatalf("Session(target of failed Save) = %+v, %v; want ErrNotFound", got.ID, err)
				}
			}
			// The session still takes a correct next change, unless it ended.
			if cur.Status == bot.Active {
				f.answer(cur, "after", "still works")
			}
		}})
	}
	return cases
}
