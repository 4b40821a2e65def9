package slack

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
)

// BenchmarkFloodedChannel (issue 12-B) measures how long users in quiet
// channels wait for the reply to an answer, first with every channel quiet,
// then while 10 users in one channel flood it with answers whose replies
// Slack's pacing (1 message/s per channel, bursts of 3) holds back. It is a
// load measurement, not a timed test:
//
//	go test -run NONE -bench FloodedChannel -benchtime 1x ./bot/slack/
//
// It reports p50/p99 of the quiet users' reply latency in both phases and
// the p99 difference; the aim is a difference under 50 ms.
func BenchmarkFloodedChannel(b *testing.B) {
	const flooders, quiet, samples = 10, 5, 20
	w := newWorld(b, worldOpts{rate: 1, burst: 3})
	b.Cleanup(w.stop)
	const flood = "CFLOOD"
	w.fake.AddChannel(fakeslack.Channel{ID: flood, Name: "flood", Member: true})
	type user struct{ id, channel, thread string }
	var users []user
	for i := range flooders {
		users = append(users, user{id: fmt.Sprintf("UF%02d", i), channel: flood})
	}
	for i := range quiet {
		ch := fmt.Sprintf("CQ%d", i)
		w.fake.AddChannel(fakeslack.Channel{ID: ch, Name: fmt.Sprintf("quiet%d", i), Member: true})
		users = append(users, user{id: fmt.Sprintf("UQ%02d", i), channel: ch})
	}
	rootsIn := func(sn *fakeslack.Snapshot, channel string) []string {
		var out []string
		for _, m := range sn.Messages() {
			if m.BotID != "" && m.Channel == channel && m.ThreadTS == "" && !m.Ephemeral {
				out = append(out, m.TS)
			}
		}
		return out
	}
	for i := range users {
		u := &users[i]
		w.fake.AddUser(fakeslack.User{ID: u.id, Name: strings.ToLower(u.id)})
		w.fake.Send(w.fake.SlashCommand(u.id, u.channel, "start "+scenarioID))
		// One start at a time, so each user's thread is the newest root.
		w.fake.Wait(b, "the thread of "+u.id, func(sn *fakeslack.Snapshot) bool {
			r := rootsIn(sn, u.channel)
			if len(r) == 0 || slices.ContainsFunc(users[:i], func(v user) bool { return v.thread == r[len(r)-1] }) {
				return false
			}
			u.thread = r[len(r)-1]
			return true
		})
	}
	replies := func(thread string) int {
		n := 0
		for _, m := range w.fake.Messages() {
			if m.BotID != "" && m.ThreadTS == thread && !m.Ephemeral {
				n++
			}
		}
		return n
	}
	answer := "I would clarify the goal, the scale and the latency budget first, because they decide the design."
	measure := func() []time.Duration {
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		for _, u := range users[flooders:] {
			wg.Go(func() {
				for range samples / quiet {
					before := replies(u.thread)
					start := time.Now()
					_, envs := w.fake.UserMessage(u.id, u.channel, u.thread, answer)
					w.fake.Send(envs...)
					w.fake.Wait(b, "reply in "+u.channel, func(sn *fakeslack.Snapshot) bool {
						n := 0
						for _, m := range sn.Messages() {
							if m.BotID != "" && m.ThreadTS == u.thread && !m.Ephemeral {
								n++
							}
						}
						return n > before
					})
					mu.Lock()
					lat = append(lat, time.Since(start))
					mu.Unlock()
					time.Sleep(1100 * time.Millisecond) // stay under the quiet channel's own pacing
				}
			})
		}
		wg.Wait()
		slices.Sort(lat)
		return lat
	}
	pct := func(l []time.Duration, p float64) time.Duration { return l[min(len(l)-1, int(p*float64(len(l))))] }
	b.ResetTimer()
	base := measure()
	for _, u := range users[:flooders] {
		for k := range 3 {
			_, envs := w.fake.UserMessage(u.id, u.channel, u.thread, fmt.Sprintf("%s (%d)", answer, k))
			w.fake.Send(envs...)
		}
	}
	flooded := measure()
	b.StopTimer()
	b.ReportMetric(float64(pct(base, 0.5).Milliseconds()), "quiet-p50-ms")
	b.ReportMetric(float64(pct(base, 0.99).Milliseconds()), "quiet-p99-ms")
	b.ReportMetric(float64(pct(flooded, 0.5).Milliseconds()), "flooded-p50-ms")
	b.ReportMetric(float64(pct(flooded, 0.99).Milliseconds()), "flooded-p99-ms")
	b.ReportMetric(float64((pct(flooded, 0.99) - pct(base, 0.99)).Milliseconds()), "p99-delta-ms")
}
