package main

import (
	"bufio"
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// redisTarget is the Redis the proxy forwards to: the real one in CI
// (REDIS_URL), else an in-process miniredis. CI never falls back.
func redisTarget(t *testing.T) string {
	t.Helper()
	if u := os.Getenv("REDIS_URL"); u != "" {
		return strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(u, "redis://"), "rediss://"), "/0")
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true but REDIS_URL is not set: this test must run against a real redis-server")
	}
	m := miniredis.RunT(t)
	return m.Addr()
}

// redisPrefixEnv gives a test's bot processes a key prefix of their own:
// tests running in parallel on one Redis are separate bots, and a bot's
// outbox sweeper must not pick up another's unsent replies. Replicas of
// one bot in a test share the value.
func redisPrefixEnv(t *testing.T) (prefix, env string) {
	t.Helper()
	prefix = "mlsdtest:" + strconv.FormatInt(time.Now().UnixNano(), 36) + strconv.Itoa(rand.IntN(1e6))
	return prefix, "MLSD_REDIS_PREFIX=" + prefix
}

// proxy forwards TCP connections to target while started: before start
// and after stop, its address refuses connections, as a Redis that is down
// does.
type proxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func reservePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func (p *proxy) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	t.Cleanup(p.stop)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
}

// stop closes the listener and cuts every open connection.
func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// logWatch collects log lines and lets a test wait for one.
type logWatch struct {
	mu      sync.Mutex
	lines   []string
	changed chan struct{}
	partial string
}

func newLogWatch() *logWatch { return &logWatch{changed: make(chan struct{})} }

func (w *logWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial += string(p)
	for {
		i := strings.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.lines = append(w.lines, w.partial[:i])
		w.partial = w.partial[i+1:]
	}
	close(w.changed)
	w.changed = make(chan struct{})
	return len(p), nil
}

func (w *logWatch) wait(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	guard := time.After(90 * time.Second)
	for {
		w.mu.Lock()
		for _, l := range w.lines {
			if m := re.FindStringSubmatch(l); m != nil {
				w.mu.Unlock()
				return m
			}
		}
		ch := w.changed
		w.mu.Unlock()
		select {
		case <-ch:
		case <-guard:
			t.Fatalf("no log line matching %s within 90s; logs:\n%s", re, strings.Join(w.lines, "\n"))
		}
	}
}

func (w *logWatch) all() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestHTTPHealthReadinessMetrics starts run() with the HTTP server on a
// random port and Redis down: /healthz answers 200 and /readyz 503; once
// Redis is reachable /readyz answers 200, and after a scripted console
// interview /metrics shows the interview counters moving.
func TestHTTPHealthReadinessMetrics(t *testing.T) {
	p := &proxy{addr: reservePort(t), target: redisTarget(t)}
	logs := newLogWatch()
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	getenv := env(
		"REDIS_URL", "redis://"+p.addr+"/0",
		"MLSD_HTTP_ADDR", "127.0.0.1:0",
		"MLSD_LOG_LEVEL", "info",
		"MLSD_LOG_FORMAT", "text",
		"USER", "ada-"+strings.ReplaceAll(t.Name(), "/", "-")+time.Now().Format("150405.000000"),
	)
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), []string{"console"}, getenv, stdinR, stdoutW, logs)
		stdoutW.Close()
	}()
	out := make(chan string, 4096)
	go func() {
		sc := bufio.NewScanner(stdoutR)
		for sc.Scan() {
			out <- sc.Text()
		}
		close(out)
	}()

	base := "http://" + logs.wait(t, regexp.MustCompile(`http server listening" addr=(\S+)`))[1]
	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz = %d while Redis is down, want 200", code)
	}
	if code, body := get(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz = %d %q while Redis is down, want 503", code, body)
	}
	logs.wait(t, regexp.MustCompile(`store unreachable; retrying`))

	p.start(t)
	logs.wait(t, regexp.MustCompile(`store ready`))
	if code, body := get(t, base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d %q once Redis answers, want 200", code, body)
	}

	script := []string{"/mlsd start email-spam-filtering"}
	for i := 0; i < bot7Plus3; i++ {
		script = append(script, "skip")
	}
	for _, l := range script {
		io.WriteString(stdinW, l+"\n")
	}
	waitOutput(t, out, "Score: ")
	_, metricsText := get(t, base+"/metrics")
	for _, want := range []string{
		`mlsd_interviews_started_total{platform="console"} 1`,
		`mlsd_interviews_completed_total{platform="console"} 1`,
		`mlsd_inbound_events_total{kind="command",platform="console"} 1`,
	} {
		if !strings.Contains(metricsText, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", grepLines(metricsText, "mlsd_"))
	}
	stdinW.Close()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, logs.all())
	}
}

// bot7Plus3 skips the seven steps and the three wrap-up questions.
const bot7Plus3 = 10

func waitOutput(t *testing.T, out <-chan string, want string) {
	t.Helper()
	guard := time.After(90 * time.Second)
	for {
		select {
		case l, ok := <-out:
			if !ok {
				t.Fatalf("output ended before %q", want)
			}
			if strings.Contains(l, want) {
				return
			}
		case <-guard:
			t.Fatalf("no %q in the output within 90s", want)
		}
	}
}

func grepLines(s, prefix string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
