package storetest

import (
	"errors"
	"fmt"
	"sync"

	"github.com/mlsdbot/mlsd/bot"
)

var createCases = []testCase{
	{name: "MakesActive", run: func(f *fixture) {
		u := f.user("U1")
		s := f.create(f.session(u, "s1"))
		f.wantActive(u, s)
		f.wantSession(u, s)
	}},
	{name: "SecondActiveConflicts", run: func(f *fixture) {
		u := f.user("U1")
		first := f.create(f.session(u, "s1"))
		second := f.session(u, "s2")
		err := f.s.Save(f.ctx, bot.Change{Session: second, MessageID: f.id("m2"), TTL: ttl})
		wantErr(f.t, "Save(create while active)", err, bot.ErrConflict)
		f.wantActive(u, first)
		if _, err := f.s.Session(f.ctx, u, second.ID); !errors.Is(err, bot.ErrNotFound) {
			f.t.Fatalf("Session(rejected create) = %v, want ErrNotFound: a failed Save writes nothing", err)
		}
	}},
	{name: "VersionMustBeOne", run: func(f *fixture) {
		u := f.user("U1")
		for _, v := range []int64{0, 2} {
			s := f.session(u, fmt.Sprintf("v%d", v))
			s.Version = v
			if err := f.s.Save(f.ctx, bot.Change{Session: s, MessageID: f.id(s.ID), TTL: ttl}); err == nil {
				f.t.Fatalf("Save(create at version %d) = nil, want an error", v)
			}
			if _, err := f.s.Session(f.ctx, u, s.ID); !errors.Is(err, bot.ErrNotFound) {
				f.t.Fatalf("Session(create at version %d) = %v, want ErrNotFound", v, err)
			}
		}
		f.wantNoActive(u)
		f.create(f.session(u, "ok"))
	}},
	{name: "MessageIDJoinsAppliedSet", run: func(f *fixture) {
		u := f.user("U1")
		s := f.session(u, "s1")
		msg := f.id("start")
		if err := f.s.Save(f.ctx, bot.Change{Session: s, MessageID: msg, TTL: ttl}); err != nil {
			f.t.Fatalf("Save(create) = %v", err)
		}
		err := f.s.Save(f.ctx, bot.Change{Session: next(s, "replayed"), Expected: 1, MessageID: msg, TTL: ttl})
		wantErr(f.t, "Save(with the create's message id)", err, bot.ErrDuplicate)
		f.wantSession(u, s)
	}},
	{name: "AfterCompletedOrAbandoned", run: func(f *fixture) {
		u := f.user("U1")
		s1 := f.create(f.session(u, "s1"))
		f.finish(s1, bot.Abandoned, nil)
		s2 := f.create(f.session(u, "s2"))
		f.wantActive(u, s2)
		f.finish(s2, bot.Completed, completion(s2, 70, 70, t0))
		s3 := f.create(f.session(u, "s3"))
		f.wantActive(u, s3)
	}},
	{name: "UsersIndependent", run: func(f *fixture) {
		u1, u2 := f.user("U1"), f.user("U2")
		elsewhere := f.userIn(f.workspace(2), "U1")
		discord := u1
		discord.Platform = bot.Discord
		s1 := f.create(f.session(u1, "s1"))
		s2 := f.create(f.session(u2, "s2"))
		s3 := f.create(f.session(elsewhere, "s3"))
		s4 := f.create(f.session(discord, "s4"))
		f.wantActive(u1, s1)
		f.wantActive(u2, s2)
		f.wantActive(elsewhere, s3)
		f.wantActive(discord, s4)
	}},
	{name: "ConcurrentOnlyOneWins", run: func(f *fixture) {
		const n = 10
		u := f.user("U1")
		errs := make([]error, n)
		sessions := make([]bot.Session, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			sessions[i] = f.session(u, fmt.Sprintf("s%d", i))
			wg.Go(func() {
				<-start
				errs[i] = f.s.Save(f.ctx, bot.Change{Session: sessions[i], MessageID: f.id(fmt.Sprintf("m%d", i)), TTL: ttl})
			})
		}
		close(start)
		wg.Wait()
		winner := soleWinner(f.t, "create", errs)
		f.wantActive(u, sessions[winner])
	}},
}
