package storetest

import (
	"errors"

	"github.com/google/go-cmp/cmp"

	"github.com/mlsdbot/mlsd/bot"
)

func refOf(s bot.Session) bot.ThreadRef {
	return bot.ThreadRef{Platform: s.User.Platform, Workspace: s.User.Workspace, Channel: s.Channel, Thread: s.Thread}
}

func (f *fixture) wantThread(ref bot.ThreadRef, s bot.Session) {
	f.t.Helper()
	got, err := f.s.Thread(f.ctx, ref)
	if err != nil {
		f.t.Fatalf("Thread(%+v) = %v, want binding to %s", ref, err, s.ID)
	}
	want := bot.ThreadBinding{User: s.User, UserName: s.UserName, SessionID: s.ID}
	if d := cmp.Diff(want, got); d != "" {
		f.t.Errorf("Thread(%+v) mismatch (-want +got):\n%s", ref, d)
	}
}

func (f *fixture) wantNoThread(ref bot.ThreadRef) {
	f.t.Helper()
	if got, err := f.s.Thread(f.ctx, ref); !errors.Is(err, bot.ErrNotFound) {
		f.t.Fatalf("Thread(%+v) = %+v, %v; want ErrNotFound", ref, got, err)
	}
}

var threadCases = []testCase{
	{name: "BoundOnCreate", run: func(f *fixture) {
		s := f.session(f.user("U1"), "s1")
		s.Thread = f.id("th1")
		f.create(s)
		f.wantThread(refOf(s), s)
	}},
	{name: "BoundByLaterSave", run: func(f *fixture) {
		s := f.create(f.session(f.user("U1"), "s1"))
		ref := refOf(s)
		ref.Thread = f.id("th1")
		f.wantNoThread(ref)
		n := next(s, "thread attached")
		n.Thread = ref.Thread
		if err := f.s.Save(f.ctx, bot.Change{Session: n, Expected: s.Version, TTL: ttl}); err != nil {
			f.t.Fatalf("Save(attach thread) = %v", err)
		}
		f.wantThread(ref, n)
		// Later changes keep it bound.
		n = f.answer(n, "m2", "in the thread")
		f.wantThread(ref, n)
	}},
	{name: "UnknownNotFound", run: func(f *fixture) {
		s := f.session(f.user("U1"), "s1")
		s.Thread = f.id("th1")
		f.create(s)
		ref := refOf(s)
		for _, change := range []func(*bot.ThreadRef){
			func(r *bot.ThreadRef) { r.Thread = f.id("th-other") },
			func(r *bot.ThreadRef) { r.Channel = "C-other-" + f.ns },
			func(r *bot.ThreadRef) { r.Workspace = f.workspace(2).ID },
			func(r *bot.ThreadRef) { r.Platform = bot.Discord },
		} {
			other := ref
			change(&other)
			f.wantNoThread(other)
		}
	}},
	{name: "TwoSessionsTwoThreads", run: func(f *fixture) {
		a := f.session(f.user("U1"), "s1")
		a.Thread = f.id("th-a")
		b := f.session(f.user("U2"), "s2")
		b.Thread = f.id("th-b")
		f.create(a)
		f.create(b)
		f.wantThread(refOf(a), a)
		f.wantThread(refOf(b), b)
	}},
	{name: "FailedSaveBindsNothing", run: func(f *fixture) {
		s := f.create(f.session(f.user("U1"), "s1"))
		n := next(next(s, "imagined"), "stale")
		n.Thread = f.id("th1")
		err := f.s.Save(f.ctx, bot.Change{Session: n, Expected: s.Version + 1, TTL: ttl})
		wantErr(f.t, "Save(stale, with thread)", err, bot.ErrConflict)
		f.wantNoThread(refOf(n))
	}},
}
