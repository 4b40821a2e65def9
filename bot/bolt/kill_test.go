package bolt

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/mlsdbot/mlsd/bot"
)

// childEnv, when set to a file path, turns the test binary into the writer
// process of TestAcknowledgedAnswersSurviveKill9.
const childEnv = "MLSD_BOLT_KILL_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(killChild(path))
	}
	os.Exit(m.Run())
}

var killUser = bot.UserKey{Platform: bot.Console, Workspace: "local", UserID: "kill9"}

const (
	// killAfter is the acknowledgement after which the parent kills the
	// child, which by then is busy writing the next answers.
	killAfter = 20
	// childLimit stops a child whose parent never killed it.
	childLimit = 10_000
)

// killChild saves answers one by one, printing "saved N" only after Save
// returned nil, exactly as the bot acknowledges an answer to a user.
func killChild(path string) int {
	ctx := context.Background()
	s, err := Open(path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cur := bot.Session{ID: "kill9-session", Version: 1, User: killUser, UserName: "K", Channel: "c", Status: bot.Active, Step: bot.Clarify}
	if err := s.Save(ctx, bot.Change{Session: cur, MessageID: "start", TTL: time.Hour}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for i := 1; i <= childLimit; i++ {
		id := fmt.Sprintf("msg-%d", i)
		if first, err := s.FirstDelivery(ctx, id, time.Hour); err != nil || !first {
			fmt.Fprintln(os.Stderr, "FirstDelivery", id, first, err)
			return 2
		}
		n := cur
		a := n.Answers[bot.Clarify]
		a.Text += fmt.Sprintf("[answer %d]", i)
		a.Turns++
		n.Answers[bot.Clarify] = a
		n.Version++
		if err := s.Save(ctx, bot.Change{Session: n, Expected: cur.Version, MessageID: id, TTL: time.Hour}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		cur = n
		// A write to a closed pipe kills the child with SIGPIPE, so it
		// cannot outlive a parent that went away.
		fmt.Printf("saved %d\n", i)
	}
	fmt.Fprintln(os.Stderr, "child: never killed")
	return 3
}

// TestAcknowledgedAnswersSurviveKill9 runs a real writer process, SIGKILLs
// it while it is committing further answers, and checks that every answer
// it acknowledged is in the reopened file, which bbolt finds consistent.
func TestAcknowledgedAnswersSurviveKill9(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mlsd.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := 0
	sc := bufio.NewScanner(stdout)
	for acked < killAfter && sc.Scan() {
		n, ok := strings.CutPrefix(sc.Text(), "saved ")
		if !ok {
			continue
		}
		if acked, err = strconv.Atoi(n); err != nil {
			t.Fatalf("child printed %q", sc.Text())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v (stderr: %s), want killed by SIGKILL", err, stderr.String())
	}
	if acked < killAfter {
		t.Fatalf("child acknowledged only %d answers before exiting (stderr: %s)", acked, stderr.String())
	}

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer s.Close()
	if err := s.db.View(func(tx *bbolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}); err != nil {
		t.Fatalf("bbolt consistency check after kill -9: %v", err)
	}
	ctx := context.Background()
	got, err := s.ActiveSession(ctx, killUser)
	if err != nil {
		t.Fatalf("ActiveSession after kill -9 = %v", err)
	}
	a := got.Answers[bot.Clarify]
	// The file holds some committed prefix: at least every acknowledged
	// answer, perhaps one more committed just before the kill.
	saved := int(got.Version) - 1
	if saved < acked || a.Turns != saved {
		t.Fatalf("after kill -9: version %d, turns %d; acknowledged %d", got.Version, a.Turns, acked)
	}
	for i := 1; i <= saved; i++ {
		if c := strings.Count(a.Text, fmt.Sprintf("[answer %d]", i)); c != 1 {
			t.Errorf("answer %d appears %d times", i, c)
		}
	}
	if first, err := s.FirstDelivery(ctx, fmt.Sprintf("msg-%d", acked), time.Hour); first || err != nil {
		t.Errorf("dedupe mark of acknowledged message %d lost: first=%v err=%v", acked, first, err)
	}
	// The applied set survived too: the last acknowledged answer is a
	// duplicate, not applied again.
	replay := got
	replay.Version++
	err = s.Save(ctx, bot.Change{Session: replay, Expected: got.Version, MessageID: fmt.Sprintf("msg-%d", acked), TTL: time.Hour})
	if !errors.Is(err, bot.ErrDuplicate) {
		t.Errorf("replaying acknowledged message %d after kill -9 = %v, want ErrDuplicate", acked, err)
	}
	t.Logf("acknowledged %d answers, found %d after kill -9", acked, saved)
}
