package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
)

// twoReplicas opens two stores on one Redis with one key prefix, as two
// bot processes sharing a server would.
func twoReplicas(t *testing.T) [2]*Store {
	redisURL, _ := testServer(t)
	prefix := testPrefix(t)
	return [2]*Store{
		openTestStore(t, redisURL, Options{Prefix: prefix}),
		openTestStore(t, redisURL, Options{Prefix: prefix}),
	}
}

// TestReplicasRaceOneUser (issue 4, acceptance 2) across two replicas: 50
// goroutines, alternating between the replicas, each send a different
// answer for one user (load, compute, CAS, retry on conflict) and then
// replay it 10 times. Every answer lands exactly once, the transcript order
// is the order of versions, and no update is lost.
func TestReplicasRaceOneUser(t *testing.T) {
	ctx := context.Background()
	reps := twoReplicas(t)
	u := testUser("U1")
	mustSave(t, reps[0], bot.Change{Session: newSession(u, "S1"), TTL: time.Hour})

	const n = 50
	appliedAt := make([]int64, n) // the version each answer created
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s := reps[i%2]
			<-start
			msg := fmt.Sprintf("m%02d", i)
			line := fmt.Sprintf("[answer-%02d]", i)
			for {
				cur, err := s.ActiveSession(ctx, u)
				if err != nil {
					t.Errorf("%s: ActiveSession = %v", msg, err)
					return
				}
				ch := withMsg(next(cur, func(x *bot.Session) {
					x.Answers[bot.Clarify].Text += line + "\n"
					x.Answers[bot.Clarify].Turns++
				}), msg)
				err = s.Save(ctx, ch)
				if errors.Is(err, bot.ErrConflict) {
					continue
				}
				if err != nil {
					t.Errorf("%s: Save = %v", msg, err)
					return
				}
				appliedAt[i] = ch.Session.Version
				break
			}
			// The platform redelivers it 10 times, to either replica.
			for r := range 10 {
				cur, err := reps[r%2].ActiveSession(ctx, u)
				if err != nil {
					t.Errorf("%s: ActiveSession = %v", msg, err)
					return
				}
				if err := reps[r%2].Save(ctx, withMsg(next(cur, nil), msg)); !errors.Is(err, bot.ErrDuplicate) && !errors.Is(err, bot.ErrConflict) {
					t.Errorf("%s redelivery %d = %v, want ErrDuplicate (or ErrConflict while others move)", msg, r, err)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}
	got, err := reps[1].ActiveSession(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != n+1 || got.Answers[bot.Clarify].Turns != n {
		t.Fatalf("final session v%d with %d turns, want v%d with %d", got.Version, got.Answers[bot.Clarify].Turns, n+1, n)
	}
	// Versions 2..51 were each created by exactly one answer, and the
	// transcript lists the answers in that order.
	byVersion := make([]int, n)
	for i, v := range appliedAt {
		byVersion[v-2] = i
	}
	var want []string
	for _, i := range byVersion {
		want = append(want, fmt.Sprintf("[answer-%02d]", i))
	}
	lines := strings.Fields(got.Answers[bot.Clarify].Text)
	if !slices.Equal(lines, want) {
		t.Errorf("transcript order differs from version order:\n got %v\nwant %v", lines, want)
	}
	sorted := slices.Clone(appliedAt)
	slices.Sort(sorted)
	for i, v := range sorted {
		if v != int64(i+2) {
			t.Fatalf("versions created: %v, want each of 2..%d once", sorted, n+1)
		}
	}
}

// TestReplicasAlternate (issue 4, acceptance 3 at the store level): one
// interview served alternately by two replicas, to a completion counted once.
func TestReplicasAlternate(t *testing.T) {
	ctx := context.Background()
	reps := twoReplicas(t)
	u := testUser("U1")
	ses := newSession(u, "S1")
	ses.Thread = "th1"
	ses = mustSave(t, reps[0], bot.Change{Session: ses, TTL: time.Hour})
	for i := range 20 {
		s := reps[(i+1)%2]
		cur, err := s.ActiveSession(ctx, u)
		if err != nil || cur.Version != ses.Version {
			t.Fatalf("answer %d on replica %d: ActiveSession = v%d, %v; want v%d", i, (i+1)%2, cur.Version, err, ses.Version)
		}
		ch := withMsg(next(cur, func(x *bot.Session) { x.Answers[bot.Clarify].Turns++ }), fmt.Sprintf("m%d", i))
		if i == 19 {
			ch.Session.Status = bot.Completed
			ch.Completion = &bot.Completion{SessionID: "S1", ScenarioID: "feed", UserName: "Ada", Score: 81, Points: 101.25,
				At: t0, Week: bot.ISOWeek(t0), Month: "2026-11", Day: "2026-11-25"}
		}
		ses = mustSave(t, s, ch)
		// The other replica sees the change at once (no cache).
		if b, err := reps[i%2].Thread(ctx, bot.ThreadRef{Platform: u.Platform, Workspace: u.Workspace, Channel: "C1", Thread: "th1"}); err != nil || b.SessionID != "S1" {
			t.Fatalf("Thread on the other replica = %+v, %v", b, err)
		}
	}
	for _, s := range reps {
		st, err := s.Stats(ctx, u)
		if err != nil || st.Sessions != 1 || st.Points != 101.25 || st.LastScore != 81 {
			t.Errorf("Stats = %+v, %v; want one session of 101.25 points", st, err)
		}
		got, err := s.Session(ctx, u, "S1")
		if err != nil || got.Version != 21 || got.Status != bot.Completed || got.Answers[bot.Clarify].Turns != 20 {
			t.Errorf("Session = v%d %s turns %d, %v; want v21 completed with 20 turns", got.Version, got.Status, got.Answers[bot.Clarify].Turns, err)
		}
	}
}
