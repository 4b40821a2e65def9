package bolt_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/scenarios"
)

// tmpfsEnv names the directory where the re-run test finds its tmpfs.
const tmpfsEnv = "MLSD_TEST_TMPFS"

// onSmallTmpfs runs the calling test again in a user and mount namespace
// (unshare -rm, no root needed) with a 4 MiB tmpfs mounted on a fresh
// directory, and returns "" in the parent; in that child it returns the
// tmpfs directory.
func onSmallTmpfs(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv(tmpfsEnv); dir != "" {
		return dir
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skipf("a private tmpfs needs unshare(1): %v", err)
	}
	if out, err := exec.Command(unshare, "--user", "--map-root-user", "--mount", "true").CombinedOutput(); err != nil {
		t.Skipf("user namespaces are not available here, so no private tmpfs: %v %s", err, out)
	}
	dir := t.TempDir()
	cmd := exec.Command(unshare, "--user", "--map-root-user", "--mount", "sh", "-c",
		`mount -t tmpfs -o size=4m mlsd-test "$`+tmpfsEnv+`" && exec "$0" "$@"`,
		os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v")
	cmd.Env = append(os.Environ(), tmpfsEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	t.Logf("on a 4 MiB tmpfs:\n%s", out)
	if err != nil {
		t.Fatalf("the test on the tmpfs failed: %v", err)
	}
	return ""
}

// fill writes a file in dir until the file system is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{'x'}, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !strings.Contains(err.Error(), "no space left") {
				t.Fatalf("filling the disk: %v", err)
			}
			return path
		}
	}
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestFullDiskRefusesWritesThenRecovers (issue 12, E) on a real full
// tmpfs: once the disk is full, the bot's writes fail as bot.ErrStorageFull
// naming the cause, people are told nothing was saved (not "storage is not
// answering"), the log says "storage full" once for the whole incident,
// and WriteProblem (what /readyz reports) holds the reason; once space is
// freed WriteProblem's probe write succeeds, it returns nil, the log says
// so once, and the bot saves again.
func TestFullDiskRefusesWritesThenRecovers(t *testing.T) {
	dir := onSmallTmpfs(t)
	if dir == "" {
		return
	}
	ctx := context.Background()
	logs := &syncBuffer{}
	s, err := bolt.Open(filepath.Join(dir, "mlsd.db"), bolt.Options{Log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Config{Store: s, Library: bot.NewLibrary(list...), Log: slog.New(slog.NewTextHandler(logs, nil)),
		Intn: func(n int) int { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	seq := 0
	send := func(user, text string) string {
		t.Helper()
		seq++
		out, err := b.Handle(ctx, bot.Inbound{Platform: bot.Console, Workspace: "local", Channel: "c", UserID: user, UserName: user,
			MessageID: fmt.Sprintf("m%d", seq), Text: text, Kind: bot.KindCommand})
		if err != nil {
			t.Fatalf("Handle(%q) = %v, want a friendly reply", text, err)
		}
		var texts []string
		for _, o := range out {
			texts = append(texts, o.Text)
		}
		return strings.Join(texts, "\n")
	}
	if got := send("ada", "start email-spam-filtering practice"); !strings.Contains(got, "Step 1/7") {
		t.Fatalf("start before the disk fills: %q", got)
	}
	if err := s.WriteProblem(ctx); err != nil {
		t.Fatalf("WriteProblem with room = %v, want nil", err)
	}

	filler := fill(t, dir)
	// bbolt reuses the pages it freed, so a few writes may still fit;
	// people starting interviews soon need the file to grow.
	var refused []string
	for i := 0; i < 200 && len(refused) < 5; i++ {
		if got := send(fmt.Sprintf("user%d", i), "start email-spam-filtering practice"); !strings.Contains(got, "Step 1/7") {
			refused = append(refused, got)
		}
	}
	if len(refused) < 5 {
		t.Fatalf("200 starts on a full disk all went through")
	}
	for _, got := range refused {
		if !strings.Contains(got, "storage is full") || !strings.Contains(got, "Nothing was changed") || strings.Contains(got, "not answering") {
			t.Fatalf("reply on a full disk = %q, want the storage-full message", got)
		}
	}
	// The store's own error (the bot turned it into the reply above).
	for i := 0; i < 200 && err == nil; i++ {
		_, err = s.FirstDelivery(ctx, fmt.Sprintf("%04d-%s", i, strings.Repeat("x", 2000)), time.Hour)
	}
	if !errors.Is(err, bot.ErrStorageFull) || !errors.Is(err, bot.ErrUnavailable) || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("a write on a full disk = %v, want ErrStorageFull (and ErrUnavailable) naming the cause", err)
	}
	problem := s.WriteProblem(ctx)
	if !errors.Is(problem, bot.ErrStorageFull) || !strings.Contains(problem.Error(), "disk is full") {
		t.Fatalf("WriteProblem on a full disk = %v, want the full-disk error", problem)
	}
	if n := strings.Count(logs.String(), "storage writable again"); n != 0 {
		t.Errorf("the incident ended %d times while the disk was full (a write that reused freed pages):\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "storage full: writes are refused"); n != 1 {
		t.Errorf("%d log lines about the full disk for %d refused messages, want 1:\n%s", n, len(refused), logs.String())
	}
	if !strings.Contains(logs.String(), "no space left on device") {
		t.Errorf("the log does not name the cause:\n%s", logs.String())
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteProblem(ctx); err != nil {
		t.Fatalf("WriteProblem once space is freed = %v, want nil (its probe write succeeds)", err)
	}
	if n := strings.Count(logs.String(), "storage writable again"); n != 1 {
		t.Errorf("%d log lines about the recovery, want 1:\n%s", n, logs.String())
	}
	if got := send("bob", "start email-spam-filtering practice"); !strings.Contains(got, "Step 1/7") {
		t.Fatalf("start after the disk was freed: %q", got)
	}
}
