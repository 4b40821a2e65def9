package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// privateRedis starts a redis-server of the test's own on a free port
// (never the shared one on 6379, whose config the other tests rely on)
// and stops it when the test ends.
func privateRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skipf("needs redis-server: %v", err)
	}
	addr := reservePort(t)
	_, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	rdb := goredis.NewClient(&goredis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("the private redis-server did not answer within 10s")
		}
		time.Sleep(20 * time.Millisecond) // waiting for another process to listen: nothing to synchronise on
	}
	return addr
}

// TestReadyzWhileStorageIsFull (issue 12, E) on Redis: run() with the
// HTTP server on a private redis-server. With maxmemory set below the
// used memory and noeviction, people starting an interview are told the
// storage is full and nothing changed; the log says so once, naming
// maxmemory; /readyz answers 503 with the reason while /healthz stays
// 200. Once maxmemory is lifted, /readyz's probe write succeeds, it
// answers 200, and the next start works.
func TestReadyzWhileStorageIsFull(t *testing.T) {
	addr := privateRedis(t)
	admin := goredis.NewClient(&goredis.Options{Addr: addr})
	t.Cleanup(func() { admin.Close() })
	ctx := context.Background()

	logs := newLogWatch()
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	getenv := env(
		"REDIS_URL", "redis://"+addr+"/0",
		"MLSD_HTTP_ADDR", "127.0.0.1:0",
		"MLSD_LOG_LEVEL", "info",
		"MLSD_LOG_FORMAT", "text",
		"USER", "ada",
	)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"console"}, getenv, stdinR, stdoutW, logs)
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
	logs.wait(t, regexp.MustCompile(`store ready`))
	if code, body := get(t, base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d %q before Redis fills up, want 200", code, body)
	}

	for _, kv := range [][2]string{{"maxmemory-policy", "noeviction"}, {"maxmemory", "1"}} {
		if err := admin.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatalf("CONFIG SET %s %s: %v", kv[0], kv[1], err)
		}
	}
	t.Cleanup(func() { admin.ConfigSet(context.Background(), "maxmemory", "0") })
	for range 3 {
		io.WriteString(stdinW, "/mlsd start email-spam-filtering\n")
		waitOutput(t, out, "my storage is full. Nothing was changed; please try again later.")
	}
	if n := strings.Count(logs.all(), "storage full: writes are refused"); n != 1 {
		t.Errorf("%d log lines about the full storage for 3 refused starts, want 1:\n%s", n, logs.all())
	}
	if !strings.Contains(logs.all(), "maxmemory") {
		t.Errorf("the log does not name maxmemory:\n%s", logs.all())
	}
	if code, body := get(t, base+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "store cannot save") || !strings.Contains(body, "maxmemory") {
		t.Errorf("/readyz = %d %q while Redis is full, want 503 naming maxmemory", code, body)
	}
	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d while Redis is full, want 200 (the process is alive)", code)
	}

	if err := admin.ConfigSet(ctx, "maxmemory", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d %q once Redis has room, want 200", code, body)
	}
	logs.wait(t, regexp.MustCompile(`storage writable again`))
	io.WriteString(stdinW, "/mlsd start email-spam-filtering\n")
	waitOutput(t, out, "Step 1/7")
	stdinW.Close()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, logs.all())
	}
}
