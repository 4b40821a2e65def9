package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
)

// TestSoak is the soak harness (issue 15). It is not part of the default
// run; one command runs it:
//
//	MLSD_SOAK_USERS=200 MLSD_SOAK_FOR=10m REDIS_URL=redis://127.0.0.1:6379/0 \
//	  go test ./cmd/mlsd -run TestSoak -v -timeout 60m
//
// It starts the real binary in Slack Socket Mode against the in-repo fake
// Slack, on Redis, and has N users (MLSD_SOAK_PER_CHANNEL to a channel,
// default 1, each in their own thread) do mock interviews back to back for the given time: each sends
// an answer, waits for the bot's next message, and sends the next. It then
// reports answers/s, the answer-to-reply time (p50/p99) beside the bot's
// own handling time from its /metrics histogram (the rest is outbound
// queueing and the per-channel pacing of 1 message/s), peak RSS, CPU
// seconds, goroutines over time, and lost or duplicated replies, which must
// both be 0.
func TestSoak(t *testing.T) {
	users, _ := strconv.Atoi(os.Getenv("MLSD_SOAK_USERS"))
	if users <= 0 {
		t.Skip("the soak harness runs on demand: MLSD_SOAK_USERS=N MLSD_SOAK_FOR=10m go test ./cmd/mlsd -run TestSoak -v -timeout 60m")
	}
	dur, err := time.ParseDuration(os.Getenv("MLSD_SOAK_FOR"))
	if err != nil || dur <= 0 {
		dur = time.Minute
	}
	// Users per channel (MLSD_SOAK_PER_CHANNEL, default 1): Slack paces a
	// channel at 1 message/s, so several users in one channel measure the
	// pacing more than the bot.
	perChannel, _ := strconv.Atoi(os.Getenv("MLSD_SOAK_PER_CHANNEL"))
	perChannel = max(1, perChannel)
	team := fmt.Sprintf("TS%d", time.Now().UnixNano())
	fake := fakeslack.Start(t, fakeslack.Options{TeamID: team})
	channels := (users + perChannel - 1) / perChannel
	for c := range channels {
		fake.AddChannel(fakeslack.Channel{ID: fmt.Sprintf("C%d", c), Name: fmt.Sprintf("room%d", c), Member: true})
	}
	name := func(i int) string { return fmt.Sprintf("soak%04d", i) }
	for i := range users {
		fake.AddUser(fakeslack.User{ID: fmt.Sprintf("U%04d", i), Name: name(i)})
	}
	opts := fake.Options()
	httpAddr := reservePort(t)
	child := startChild(t, []string{
		"SLACK_BOT_TOKEN=" + opts.BotToken, "SLACK_APP_TOKEN=" + opts.AppToken, "SLACK_API_URL=" + fake.APIURL(),
		// The soak measures the bot, not Slack's workspace cap (the fake enforces none).
		"MLSD_SLACK_WORKSPACE_RATE=1000",
		"REDIS_URL=redis://" + redisTarget(t) + "/0", "MLSD_HTTP_ADDR=" + httpAddr, "MLSD_LOG_LEVEL=warn",
	})
	fake.WaitConnected(t, 1)
	pid := child.cmd.Process.Pid

	// One reader follows every bot message and routes it to its user by
	// thread; a new thread's first message names its candidate.
	type reply struct {
		m  fakeslack.Message
		at time.Time
	}
	inbox := make([]chan reply, users)
	for i := range inbox {
		inbox[i] = make(chan reply, 16)
	}
	candidate := regexp.MustCompile(`Candidate: (soak\d{4})`)
	var (
		threadMu sync.Mutex
		owner    = map[string]int{} // thread ts → user
	)
	stopReader := make(chan struct{})
	var extra atomic.Int64 // bot messages no user was waiting for
	go func() {
		seen := 0
		for {
			msgs, changed := fake.MessagesSince(seen)
			seen += len(msgs)
			now := time.Now()
			for _, m := range msgs {
				if m.BotID == "" || m.Ephemeral {
					continue
				}
				if m.ThreadTS == "" {
					continue // an interview's top-level intro; its thread names the user
				}
				threadMu.Lock()
				u, ok := owner[m.ThreadTS]
				if !ok {
					u = -1
					if g := candidate.FindStringSubmatch(m.Text); g != nil {
						u, _ = strconv.Atoi(strings.TrimPrefix(g[1], "soak"))
						owner[m.ThreadTS] = u
					}
				}
				threadMu.Unlock()
				if u < 0 {
					extra.Add(1)
					continue
				}
				select {
				case inbox[u] <- reply{m, now}:
				default:
					extra.Add(1)
				}
			}
			select {
			case <-changed:
			case <-stopReader:
				return
			}
		}
	}()

	answers := []string{
		"I would first pin down the goal and how success is measured, the scale in users and requests per second, the latency budget, and the data we already log, because every later choice depends on them.",
		"I would frame it as a ranking problem: predict the probability of the outcome we care about for each candidate, with labels from logged interactions, trained as a pointwise classifier first.",
		"Data: user features (history, recent activity), item features (content, popularity), context (time, device). I would build training examples with point-in-time joins so no future information leaks, and keep features in a feature store.",
		"Model: start with a gradient-boosted trees baseline, then a two-tower model for retrieval and a ranker on top, trading accuracy against the latency budget.",
		"Evaluation: offline on a later time window with AUC and calibration, sliced by segment, then an online A/B test on the business metric with guardrails.",
		"Deployment: shadow mode first, then a 5% canary with automatic rollback, serving from a low-latency service with precomputed embeddings and a cache, p99 under budget.",
		"Monitoring: feature drift and prediction drift dashboards, label-delayed quality, latency and error rates, alerts, and scheduled retraining when quality drops.",
		"The bottleneck is the feature store reads at peak; I would shard by user and cache hot items.",
		"I would watch the online metric by segment and roll back on a drop, then look for drift or a broken upstream feed.",
		"Next I would add better cold-start handling and exploration, and a faster retraining loop.",
	}
	var (
		sent, replied, lost, completed atomic.Int64
		latMu                          sync.Mutex
		lat                            []time.Duration
		wg                             sync.WaitGroup
	)
	deadline := time.Now().Add(dur)
	wait := func(u int) (reply, bool) {
		select {
		case r := <-inbox[u]:
			return r, true
		case <-time.After(30 * time.Second):
			return reply{}, false
		}
	}
	started := time.Now()
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			uid, ch := fmt.Sprintf("U%04d", i), fmt.Sprintf("C%d", i/perChannel)
			for time.Now().Before(deadline) {
				fake.Send(fake.SlashCommand(uid, ch, "start random mock"))
				first, ok := wait(i) // the first question, in the new thread
				if !ok {
					lost.Add(1)
					return
				}
				thread := first.m.ThreadTS
				for k := 0; time.Now().Before(deadline); k++ {
					text := answers[k%len(answers)]
					if k >= 12 { // past the wrap-up: move on until the report
						text = "next"
					}
					_, envs := fake.UserMessage(uid, ch, thread, text)
					at := time.Now()
					fake.Send(envs...)
					sent.Add(1)
					r, ok := wait(i)
					if !ok {
						lost.Add(1)
						return
					}
					replied.Add(1)
					latMu.Lock()
					lat = append(lat, r.at.Sub(at))
					latMu.Unlock()
					if strings.Contains(r.m.Text, "Score:") || strings.Contains(r.m.Text, "Report —") {
						completed.Add(1)
						break
					}
				}
			}
		}()
	}

	// Sample the process every 10 s while the load runs.
	type sample struct {
		at         time.Duration
		goroutines int
		rssKB      int
	}
	var samples []sample
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(10 * time.Second)
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-tick.C:
			samples = append(samples, sample{time.Since(started).Round(time.Second), goroutines(t, httpAddr), procStatus(pid, "VmRSS")})
		}
	}
	tick.Stop()
	elapsed := time.Since(started)
	// Let stray duplicates arrive before counting them.
	time.Sleep(2 * time.Second)
	close(stopReader)
	for i := range inbox {
		extra.Add(int64(len(inbox[i])))
	}
	handleP50, handleP99 := handleQuantiles(t, httpAddr)
	endGoroutines := goroutines(t, httpAddr)
	peakKB := procStatus(pid, "VmHWM")
	cpu := cpuSeconds(pid)

	slices.Sort(lat)
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(math.Ceil(p*float64(len(lat))))-1)]
	}
	t.Logf("soak: %d users, %s: %d answers sent, %d replied (%.0f answers/s), %d interviews completed",
		users, elapsed.Round(time.Second), sent.Load(), replied.Load(), float64(replied.Load())/elapsed.Seconds(), completed.Load())
	t.Logf("soak: answer → reply p50 %v p99 %v; bot handling (its /metrics) p50 %v p99 %v; the rest is outbound queueing and per-channel pacing (%d users per channel)",
		q(0.5).Round(time.Millisecond), q(0.99).Round(time.Millisecond), handleP50.Round(100*time.Microsecond), handleP99.Round(100*time.Microsecond), perChannel)
	t.Logf("soak: peak RSS %.1f MiB, CPU %.1f s (%.0f%% of one core), goroutines at the end %d", float64(peakKB)/1024, cpu, 100*cpu/elapsed.Seconds(), endGoroutines)
	for _, s := range samples {
		t.Logf("soak: at %v: %d goroutines, RSS %.1f MiB", s.at, s.goroutines, float64(s.rssKB)/1024)
	}
	t.Logf("soak: lost %d, duplicated %d", lost.Load(), extra.Load())
	if lost.Load() != 0 || extra.Load() != 0 {
		t.Fatalf("lost %d and duplicated %d replies, want 0 and 0", lost.Load(), extra.Load())
	}
}

// procStatus reads a kB field of /proc/PID/status (VmRSS, VmHWM).
func procStatus(pid int, field string) int {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}

// cpuSeconds is the process's user + system CPU time so far.
func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which ends with ')'.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

func scrape(t *testing.T, addr string) string {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Logf("scrape: %v", err)
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func goroutines(t *testing.T, addr string) int {
	for _, line := range strings.Split(scrape(t, addr), "\n") {
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return int(n)
		}
	}
	return -1
}

// handleQuantiles estimates the p50 and p99 of the bot's reply handling
// time from its histogram, interpolating inside buckets as Prometheus's
// histogram_quantile does.
func handleQuantiles(t *testing.T, addr string) (p50, p99 time.Duration) {
	re := regexp.MustCompile(`^mlsd_inbound_handle_duration_seconds_bucket\{(.*)\} (\S+)$`)
	le := regexp.MustCompile(`le="([^"]+)"`)
	type bucket struct{ le, n float64 }
	var bs []bucket
	for _, line := range strings.Split(scrape(t, addr), "\n") {
		g := re.FindStringSubmatch(line)
		if g == nil || !strings.Contains(g[1], `kind="reply"`) || !strings.Contains(g[1], `platform="slack"`) {
			continue
		}
		if l := le.FindStringSubmatch(g[1]); l != nil {
			v, _ := strconv.ParseFloat(l[1], 64)
			n, _ := strconv.ParseFloat(g[2], 64)
			bs = append(bs, bucket{v, n})
		}
	}
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return 0, 0
	}
	total := bs[len(bs)-1].n
	q := func(p float64) time.Duration {
		rank, prevLe, prevN := p*total, 0.0, 0.0
		for _, b := range bs {
			if b.n >= rank {
				if math.IsInf(b.le, 1) {
					return time.Duration(prevLe * float64(time.Second))
				}
				frac := (rank - prevN) / math.Max(b.n-prevN, 1)
				return time.Duration((prevLe + frac*(b.le-prevLe)) * float64(time.Second))
			}
			prevLe, prevN = b.le, b.n
		}
		return 0
	}
	return q(0.5), q(0.99)
}
