package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
)

// maxAttempts bounds a retry loop so a broken store fails instead of
// spinning; a correct one needs at most one attempt per competitor.
const maxAttempts = 10_000

var concurrencyCases = []testCase{
	{name: "RaceFromSameVersionOneWins", run: func(f *fixture) {
		const n = 10
		u := f.user("U1")
		cur := f.create(f.session(u, "s1"))
		changes := make([]bot.Change, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			changes[i] = bot.Change{Session: next(cur, fmt.Sprintf("answer %d", i)), Expected: cur.Version, MessageID: f.id(fmt.Sprintf("m%d", i)), TTL: ttl}
			wg.Go(func() {
				<-start
				errs[i] = f.s.Save(f.ctx, changes[i])
			})
		}
		close(start)
		wg.Wait()
		winner := soleWinner(f.t, "save", errs)
		f.wantSession(u, changes[winner].Session)
	}},
	{name: "RetryLoopNoLostUpdate", run: func(f *fixture) {
		const n = 50
		u := f.user("U1")
		f.create(f.session(u, "s1"))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				token := fmt.Sprintf("[answer-%02d]", i)
				msg := f.id(fmt.Sprintf("m%02d", i))
				for attempt := 0; ; attempt++ {
					if attempt == maxAttempts {
						f.t.Errorf("%s: still conflicting after %d attempts", token, attempt)
						return
					}
					cur, err := f.s.ActiveSession(f.ctx, u)
					if err != nil {
						f.t.Errorf("%s: ActiveSession = %v", token, err)
						return
					}
					err = f.s.Save(f.ctx, bot.Change{Session: next(cur, token), Expected: cur.Version, MessageID: msg, TTL: ttl})
					if errors.Is(err, bot.ErrConflict) {
						continue
					}
					if err != nil {
						f.t.Errorf("%s: Save = %v", token, err)
					}
					return
				}
			})
		}
		close(start)
		wg.Wait()
		if f.t.Failed() {
			return
		}
		got, err := f.s.ActiveSession(f.ctx, u)
		if err != nil {
			f.t.Fatalf("ActiveSession = %v", err)
		}
		a := got.Answers[bot.Clarify]
		if got.Version != 1+n || a.Turns != 1+n {
			f.t.Errorf("after %d concurrent answers: version %d, turns %d; want %d, %d", n, got.Version, a.Turns, 1+n, 1+n)
		}
		for i := range n {
			token := fmt.Sprintf("[answer-%02d]", i)
			if c := strings.Count(a.Text, token); c != 1 {
				f.t.Errorf("%s appears %d times in the final answer, want 1", token, c)
			}
		}
		// Every answer stays applied: replaying any of them is a duplicate.
		for _, i := range []int{0, n / 2, n - 1} {
			err := f.s.Save(f.ctx, bot.Change{Session: next(got, "replay"), Expected: got.Version, MessageID: f.id(fmt.Sprintf("m%02d", i)), TTL: ttl})
			wantErr(f.t, fmt.Sprintf("replay of answer %d", i), err, bot.ErrDuplicate)
		}
	}},
	{name: "SameMessageTenTimesAppliedOnce", run: func(f *fixture) {
		const n = 10
		u := f.user("U1")
		cur := f.create(f.session(u, "s1"))
		msg := f.id("m-replayed")
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			// Each delivery is computed from the same state, as replicas
			// receiving the same redelivered event would.
			ch := bot.Change{Session: next(cur, fmt.Sprintf("delivery %d", i)), Expected: cur.Version, MessageID: msg, TTL: ttl}
			wg.Go(func() {
				<-start
				errs[i] = f.s.Save(f.ctx, ch)
			})
		}
		close(start)
		wg.Wait()
		applied := 0
		for i, err := range errs {
			switch {
			case err == nil:
				applied++
			case !errors.Is(err, bot.ErrDuplicate):
				f.t.Errorf("delivery %d = %v, want nil or ErrDuplicate", i, err)
			}
		}
		if applied != 1 {
			f.t.Fatalf("message applied %d times, want 1", applied)
		}
		// Sequential redeliveries after reloading are duplicates too.
		got, err := f.s.ActiveSession(f.ctx, u)
		if err != nil {
			f.t.Fatalf("ActiveSession = %v", err)
		}
		for i := range n {
			err := f.s.Save(f.ctx, bot.Change{Session: next(got, "again"), Expected: got.Version, MessageID: msg, TTL: ttl})
			wantErr(f.t, fmt.Sprintf("redelivery %d", i), err, bot.ErrDuplicate)
		}
		if got.Version != cur.Version+1 || got.Answers[bot.Clarify].Turns != cur.Answers[bot.Clarify].Turns+1 {
			f.t.Fatalf("after one applied delivery: version %d, turns %d", got.Version, got.Answers[bot.Clarify].Turns)
		}
		f.wantSession(u, got)
	}},
	{name: "ConcurrentCompletionsCountEach", run: func(f *fixture) {
		const n = 8
		ws := f.workspace(1)
		u := f.userIn(ws, "U1")
		// Different users finishing at once in one workspace: no update of
		// the shared board may be lost.
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			other := f.userIn(ws, fmt.Sprintf("V%d", i))
			s := f.session(other, fmt.Sprintf("s%d", i))
			s.UserName = "name-" + other.UserID
			f.create(s)
			done := next(s, "done")
			done.Status = bot.Completed
			ch := bot.Change{Session: done, Expected: s.Version, MessageID: f.id(fmt.Sprintf("end%d", i)), Completion: completion(s, 10, float64(10*(i+1)), t0), TTL: ttl}
			wg.Go(func() {
				<-start
				if err := f.s.Save(f.ctx, ch); err != nil {
					f.t.Errorf("Save(complete %d) = %v", i, err)
				}
			})
		}
		close(start)
		wg.Wait()
		b := f.board(ws, bot.AllTime, n, u.UserID)
		if len(b.Top) != n || b.Viewer != nil {
			f.t.Fatalf("board has %d rows (viewer %+v), want %d and no viewer", len(b.Top), b.Viewer, n)
		}
		for r, row := range b.Top {
			want := standing(r+1, fmt.Sprintf("V%d", n-1-r), float64(10*(n-r)), 1)
			if row != want {
				f.t.Errorf("row %d = %+v, want %+v", r, row, want)
			}
		}
	}},
}

// soleWinner checks that exactly one of racing calls succeeded and every
// other lost with ErrConflict, and returns the winner's index.
func soleWinner(t *testing.T, what string, errs []error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("%ss %d and %d both succeeded", what, winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, bot.ErrConflict):
			t.Fatalf("%s %d = %v, want nil or ErrConflict", what, i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("no concurrent %s succeeded", what)
	}
	return winner
}
