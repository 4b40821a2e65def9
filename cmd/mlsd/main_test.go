package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as mlsd in a child process, so tests
// can signal and kill a real process.
func TestMain(m *testing.M) {
	if os.Getenv("MLSD_TEST_RUN_MAIN") == "1" {
		ctx, stop := signalNotifyContext()
		err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			os.Stderr.WriteString("mlsd: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child is a running mlsd process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

func startChild(t *testing.T, env []string, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append([]string{"MLSD_TEST_RUN_MAIN=1", "PATH=" + os.Getenv("PATH")}, env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &testLogWriter{t: t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin, lines: make(chan string, 1024)}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return c
}

func (c *child) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(c.stdin, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// waitFor reads output until a line contains want; the deadline only
// guards against a hang.
func (c *child) waitFor(t *testing.T, want string) string {
	t.Helper()
	guard := time.After(90 * time.Second)
	var seen []string
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				t.Fatalf("process ended before printing %q; output:\n%s", want, strings.Join(seen, "\n"))
			}
			seen = append(seen, line)
			if strings.Contains(line, want) {
				return line
			}
		case <-guard:
			t.Fatalf("no %q within 90s; output:\n%s", want, strings.Join(seen, "\n"))
		}
	}
}

// waitForMatch reads output until a line matches re.
func (c *child) waitForMatch(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	guard := time.After(90 * time.Second)
	var seen []string
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				t.Fatalf("process ended before printing a line matching %s; output:\n%s", re, strings.Join(seen, "\n"))
			}
			seen = append(seen, line)
			if re.MatchString(line) {
				return line
			}
		case <-guard:
			t.Fatalf("no line matching %s within 90s; output:\n%s", re, strings.Join(seen, "\n"))
		}
	}
}

type testLogWriter struct{ t *testing.T }

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.t.Logf("child stderr: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestKill9KeepsAcknowledgedAnswers kills mlsd with SIGKILL mid-interview;
// started again on the same data directory, /mlsd status shows the same
// step and every answer that was acknowledged before the kill.
func TestKill9KeepsAcknowledgedAnswers(t *testing.T) {
	// Mostly waiting on child processes: runs beside the other slow
	// end-to-end tests, which keeps CI inside its time budget.
	t.Parallel()
	env := []string{"MLSD_DATA_DIR=" + t.TempDir(), "USER=ada"}
	first := startChild(t, env, "console")
	first.send(t, "/mlsd start visual-search")
	first.waitFor(t, "Step 1/7")
	answers := []string{
		"First I would clarify the business goal and how success is measured, because everything else depends on it.",
		"We should frame it as retrieval: an image encoder maps the query into an embedding space and we return nearest neighbours.",
	}
	first.send(t, answers[0])
	first.waitFor(t, "Step 1/7 — Clarify requirements (follow-up)") // acknowledged
	first.send(t, "next")
	first.waitFor(t, "Step 2/7")
	first.send(t, answers[1])
	first.waitFor(t, "Step 2/7 — Frame as an ML task (follow-up)") // acknowledged
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := first.cmd.Wait()
	if ws, ok := first.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("first process did not die of SIGKILL: %v", err)
	}

	second := startChild(t, env, "console")
	second.send(t, "/mlsd status")
	status := second.waitFor(t, "step 2/7")
	if !strings.Contains(status, "Frame as an ML task") {
		t.Fatalf("status after restart: %q, want step 2/7 (Frame as an ML task)", status)
	}
	for _, a := range answers {
		second.waitFor(t, a[:60])
	}
	second.send(t, "repeat")
	second.waitFor(t, "Step 2/7 — Frame as an ML task (follow-up)")
	second.stdin.Close()
	if err := second.cmd.Wait(); err != nil {
		t.Fatalf("second process: %v (want exit 0 at EOF)", err)
	}
}
