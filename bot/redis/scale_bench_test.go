package redis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/scenarios"
)

// BenchmarkBoardsAtScale (issue 14, acceptance 5): /mlsd leaderboard and
// /mlsd team through bot.Handle on a workspace of 10,000 people with
// 100,000 completions (and, to show the round trips do not grow with it,
// one of 1,000 people with 10,000), on this store. Per call it reports
// Redis round trips and latency, and the latency as a multiple of a plain
// GET measured in the same run.
//
// The workspaces are filled through Save, as completions reach the store
// in production (create, complete: stats, boards, coverage, team
// aggregate), from 64 goroutines; that takes a minute or two.
//
// REDIS_URL=redis://127.0.0.1:6379/0 go test -run NONE -bench BoardsAtScale -benchtime 2000x ./bot/redis/
func BenchmarkBoardsAtScale(b *testing.B) {
	ctx := context.Background()
	s, _ := newTestStore(b, Options{PoolSize: 64})
	list, err := scenarios.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	lib := bot.NewLibrary(list...)
	now := time.Now()
	eng, err := bot.New(bot.Config{Store: s, Progress: s, Library: lib, Intn: rand.IntN, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	s.rdb.AddHook(&scriptRecorder{}) // counts each call's round trips (withTripCounter)
	getKey := s.keys.prefix + ":bench:get"
	if err := s.rdb.Set(ctx, getKey, "x", time.Hour).Err(); err != nil {
		b.Fatal(err)
	}
	getNs := func() float64 {
		const n = 5000
		t := time.Now()
		for range n {
			if err := s.rdb.Get(ctx, getKey).Err(); err != nil {
				b.Fatal(err)
			}
		}
		return float64(time.Since(t).Nanoseconds()) / n
	}
	var seq atomic.Int64 // message ids stay unique across every run of the sub-benchmarks
	for _, size := range []struct{ people, completions int }{{1_000, 10_000}, {10_000, 100_000}} {
		ws := fmt.Sprintf("T-scale-%d", size.people)
		fill := time.Now()
		fillWorkspace(b, s, lib, ws, size.people, size.completions, now)
		b.Logf("%s: %d completions by %d people saved in %v", ws, size.completions, size.people, time.Since(fill).Round(time.Second))
		for _, cmd := range []string{"leaderboard", "team"} {
			b.Run(fmt.Sprintf("%s/people=%d", cmd, size.people), func(b *testing.B) {
				call := func(trips *int) {
					n := seq.Add(1)
					in := bot.Inbound{Platform: bot.Slack, Workspace: ws, Channel: "C", UserID: fmt.Sprintf("u%05d", n%int64(size.people)),
						MessageID: fmt.Sprintf("m%d", n), Text: cmd, Kind: bot.KindCommand}
					out, err := eng.Handle(withTripCounter(ctx, trips), in)
					if err != nil || len(out) != 1 {
						b.Fatalf("%s: %v, %d replies", cmd, err, len(out))
					}
				}
				var warm int
				call(&warm) // loads the scripts (a first EVALSHA answers NOSCRIPT)
				base := getNs()
				trips := 0
				b.ResetTimer()
				for range b.N {
					call(&trips)
				}
				b.StopTimer()
				perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				b.ReportMetric(float64(trips)/float64(b.N), "roundtrips/op")
				b.ReportMetric(perOp/1e6, "ms/op")
				b.ReportMetric(base/1e3, "GET-µs")
				b.ReportMetric(perOp/base, "x-GET")
			})
		}
	}
}

// fillWorkspace saves completions for people in ws through Store.Save:
// each completion a created and a completed session, spread over the last
// 60 days (so this week's board has a share), with a few concept misses
// from a pool, on the library's scenarios.
func fillWorkspace(b *testing.B, s *Store, lib *bot.Library, ws string, people, completions int, now time.Time) {
	ctx := context.Background()
	all := lib.All()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	for w := range 64 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(people)))
			for {
				i := int(next.Add(1)) - 1
				if i >= completions {
					return
				}
				u := bot.UserKey{Platform: bot.Slack, Workspace: ws, UserID: fmt.Sprintf("u%05d", i%people)}
				at := now.Add(-time.Duration(rng.IntN(60*24)) * time.Hour)
				sc := all[rng.IntN(len(all))]
				ses := bot.Session{ID: fmt.Sprintf("s%07d", i), Version: 1, User: u, UserName: "Person " + u.UserID,
					ScenarioID: sc.ID, Mode: bot.Mock, Status: bot.Active, Step: bot.Clarify, Started: at, Updated: at}
				if err := s.Save(ctx, bot.Change{Session: ses, TTL: 10 * time.Minute}); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
				done := ses
				done.Version, done.Status = 2, bot.Completed
				score := 20 + rng.IntN(80)
				c := &bot.Completion{SessionID: ses.ID, ScenarioID: sc.ID, UserName: ses.UserName, Score: score, Points: float64(score),
					At: at, Week: bot.ISOWeek(at), Month: at.Format("2006-01"), Day: at.Format(time.DateOnly)}
				for k := range c.StepScores {
					c.StepScores[k] = rng.Float64()
				}
				for range 5 {
					step := bot.StepID(1 + rng.IntN(bot.Steps))
					c.Marks = append(c.Marks, bot.ConceptMark{Key: fmt.Sprintf("f:%s:concept-%02d", step.Key(), rng.IntN(30)),
						Label: "Concept", Step: step, Weight: 1, Outcome: bot.Missed})
				}
				if err := s.Save(ctx, bot.Change{Session: done, Expected: 1, Completion: c, TTL: 10 * time.Minute}); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
}
