package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/scenarios"
)

// TestTwoProcessesShareOneInterview runs two mlsd processes on one Redis
// and sends one user's interview to them alternately: the start and the
// odd answers to A, the even answers to B. The final report must equal
// the report of the same answers in one process on the embedded store.
// It runs on a single Redis node, and on the real Cluster and Sentinel
// setups CI starts (.ci/redis-topologies.sh).
func TestTwoProcessesShareOneInterview(t *testing.T) {
	for _, tp := range []struct{ name, env string }{{"single", ""}, {"cluster", "REDIS_CLUSTER_URL"}, {"sentinel", "REDIS_SENTINEL_URL"}} {
		t.Run(tp.name, func(t *testing.T) {
			redisURL := os.Getenv(tp.env)
			switch {
			case tp.env == "":
				redisURL = "redis://" + redisTarget(t) + "/0"
			case redisURL == "" && os.Getenv("CI") == "true":
				t.Fatalf("CI=true but %s is unset: .ci/run starts the topology and exports it", tp.env)
			case redisURL == "":
				t.Skipf("%s unset: run .ci/redis-topologies.sh and export its output to test this topology", tp.env)
			}
			twoProcesses(t, redisURL)
		})
	}
}

func twoProcesses(t *testing.T, redisURL string) {
	user := fmt.Sprintf("ada%d", time.Now().UnixNano())
	// A strong candidate's messages, planned like the golden transcripts.
	sc, cal := loadCalibrated(t, "email-spam-filtering")
	answers := script(t, sc, cal, candidates[0])[1:] // without the start command
	answers = answers[:len(answers)-1]               // without the closing /mlsd me

	_, prefix := redisPrefixEnv(t) // one bot, two replicas: one prefix
	a := startChild(t, []string{"REDIS_URL=" + redisURL, prefix, "USER=" + user}, "console")
	b := startChild(t, []string{"REDIS_URL=" + redisURL, prefix, "USER=" + user}, "console")
	a.send(t, "/mlsd start email-spam-filtering")
	a.waitFor(t, "Step 1/7")
	var last string
	for i, ans := range answers {
		p, name := a, "A"
		if i%2 == 1 {
			p, name = b, "B"
		}
		p.send(t, ans)
		if i == len(answers)-1 {
			last = p.waitFor(t, "Score: ")
			break
		}
		// Each message is acknowledged by the question that follows it.
		p.waitForMatch(t, heading)
		t.Logf("answer %d handled by %s", i+1, name)
	}
	a.stdin.Close()
	b.stdin.Close()
	if err := a.cmd.Wait(); err != nil {
		t.Fatalf("process A: %v", err)
	}
	if err := b.cmd.Wait(); err != nil {
		t.Fatalf("process B: %v", err)
	}

	// The same interview in one process on the embedded store.
	single, errOut, err := runWith(t, env("MLSD_DATA_DIR", t.TempDir(), "USER", user),
		"/mlsd start email-spam-filtering\n"+strings.Join(answers, "\n")+"\n")
	if err != nil {
		t.Fatalf("single process: %v\n%s", err, errOut)
	}
	want := regexp.MustCompile(`Score: \d+/100.*`).FindString(single)
	if got := strings.TrimSpace(last); !strings.Contains(got, want) || want == "" {
		t.Fatalf("alternating processes reported %q, one process %q", got, want)
	}
	t.Logf("both: %s", want)
}

var heading = regexp.MustCompile(`^\s+(Step \d/7|Wrap-up \d/3) — `)

// loadCalibrated returns a built-in scenario and its calibration answers.
func loadCalibrated(t *testing.T, id string) (*bot.Scenario, *calibration) {
	t.Helper()
	list, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range list {
		if sc.ID == id {
			return sc, readCalibration(t, id)
		}
	}
	t.Fatalf("no built-in scenario %q", id)
	return nil, nil
}
