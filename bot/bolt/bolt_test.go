package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/clocktest"
	"github.com/mlsdbot/mlsd/bot/storetest"
)

func newClock() *clocktest.Clock { return clocktest.New(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)) }

func mustOpen(t *testing.T, path string, opts bolt.Options) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s) = %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
	})
	return s
}

// TestContract runs the shared store contract against a real file.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) bot.Store {
		clk := newClock()
		s := mustOpen(t, filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{Now: clk.Now})
		return storetest.WithOptions(s, storetest.Options{Advance: clk.Advance})
	})
}

func TestOpenCreatesPrivateDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "mlsd")
	path := filepath.Join(dir, "mlsd.db")
	mustOpen(t, path, bolt.Options{})
	for _, c := range []struct {
		path string
		mode os.FileMode
	}{{dir, 0o700}, {path, 0o600}} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != c.mode {
			t.Errorf("%s has mode %v, want %v", c.path, got, c.mode)
		}
	}
}

func TestOpenLockedFileSaysWho(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mlsd.db")
	mustOpen(t, path, bolt.Options{})
	// bbolt locks with flock, which also excludes a second open file
	// description in the same process, so this stands in for a second mlsd.
	s, err := bolt.Open(path, bolt.Options{LockTimeout: 20 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
	if want := "another mlsd is using " + path; !strings.Contains(err.Error(), want) {
		t.Fatalf("Open(locked) = %q, want it to say %q", err, want)
	}
}

func TestOpenFailsClearlyOnBadPath(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := bolt.Open(filepath.Join(file, "mlsd.db"), bolt.Options{})
	if err == nil || !strings.Contains(err.Error(), "not-a-dir") {
		t.Fatalf("Open under a file = %v, want an error naming the path", err)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mlsd.db")
	clk := newClock()
	s, err := bolt.Open(path, bolt.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	u := bot.UserKey{Platform: bot.Console, Workspace: "local", UserID: "ada"}
	sess := bot.Session{ID: "s1", Version: 1, User: u, UserName: "Ada", Channel: "c", Thread: "t", Status: bot.Active, Step: bot.Clarify}
	if err := s.Save(ctx, bot.Change{Session: sess, MessageID: "m1", TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if first, err := s.FirstDelivery(ctx, "ev1", time.Hour); !first || err != nil {
		t.Fatalf("FirstDelivery = %v, %v", first, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = mustOpen(t, path, bolt.Options{Now: clk.Now})
	got, err := s.ActiveSession(ctx, u)
	if err != nil || got.ID != "s1" || got.Version != 1 {
		t.Fatalf("ActiveSession after reopen = %+v, %v", got, err)
	}
	if b, err := s.Thread(ctx, bot.ThreadRef{Platform: bot.Console, Workspace: "local", Channel: "c", Thread: "t"}); err != nil || b.SessionID != "s1" {
		t.Fatalf("Thread after reopen = %+v, %v", b, err)
	}
	if first, err := s.FirstDelivery(ctx, "ev1", time.Hour); first || err != nil {
		t.Fatalf("FirstDelivery after reopen = %v, %v; want false", first, err)
	}
	err = s.Save(ctx, bot.Change{Session: sess, Expected: 0, MessageID: "m2", TTL: time.Hour})
	if !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("create over the reopened active session = %v, want ErrConflict", err)
	}
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	s, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	u := bot.UserKey{Platform: bot.Console, Workspace: "local", UserID: "ada"}
	err = s.Save(context.Background(), bot.Change{Session: bot.Session{ID: "s1", Version: 1, User: u, Status: bot.Active}, TTL: time.Hour})
	if !errors.Is(err, bot.ErrUnavailable) {
		t.Fatalf("Save on a closed store = %v, want ErrUnavailable", err)
	}
	if _, err := s.ActiveSession(context.Background(), u); !errors.Is(err, bot.ErrUnavailable) {
		t.Fatalf("ActiveSession on a closed store = %v, want ErrUnavailable", err)
	}
}

func TestCancelledContextWritesNothing(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	u := bot.UserKey{Platform: bot.Console, Workspace: "local", UserID: "ada"}
	err := s.Save(ctx, bot.Change{Session: bot.Session{ID: "s1", Version: 1, User: u, Status: bot.Active}, TTL: time.Hour})
	if !errors.Is(err, bot.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Save with a cancelled context = %v, want ErrUnavailable wrapping context.Canceled", err)
	}
	if _, err := s.ActiveSession(context.Background(), u); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("ActiveSession = %v, want ErrNotFound", err)
	}
}

func TestInvalidChangesRejected(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{})
	u := bot.UserKey{Platform: bot.Console, Workspace: "local", UserID: "ada"}
	ok := bot.Session{ID: "s1", Version: 1, User: u, Status: bot.Active}
	badDay := &bot.Completion{SessionID: "s1", Day: "25/11/2026", Week: "2026-W48", Month: "2026-11"}
	for name, ch := range map[string]bot.Change{
		"no id":       {Session: bot.Session{Version: 1, User: u}, TTL: time.Hour},
		"no owner":    {Session: bot.Session{ID: "s1", Version: 1}, TTL: time.Hour},
		"no ttl":      {Session: ok},
		"bad version": {Session: bot.Session{ID: "s1", Version: 3, User: u}, TTL: time.Hour},
		"bad day":     {Session: ok, Completion: badDay, TTL: time.Hour},
	} {
		if err := s.Save(context.Background(), ch); err == nil {
			t.Errorf("Save(%s) = nil, want an error", name)
		}
	}
	if _, err := s.ActiveSession(context.Background(), u); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("ActiveSession after rejected changes = %v, want ErrNotFound", err)
	}
}

// Issue 12-C: a data file truncated to half was accepted ("store ready")
// and then panicked inside bbolt on the first read of a missing page. It
// is refused at open now, with the problems and the recovery path, and
// the last clean open left a backup that opens and holds the data.
func TestDamagedFileRefusedAtOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mlsd.db")
	clk := newClock()
	s := mustOpen(t, path, bolt.Options{Now: clk.Now})
	u := bot.UserKey{Platform: bot.Console, Workspace: "local", UserID: "ada"}
	// Enough sessions that the file spans many pages.
	for i := range 300 {
		user := u
		user.UserID = fmt.Sprintf("user-%03d", i)
		sess := bot.Session{ID: fmt.Sprintf("s%03d", i), Version: 1, User: user, Channel: "c", Status: bot.Active, Step: bot.Clarify,
			Answers: [bot.WrapUp + 1]bot.StepAnswer{bot.Clarify: {Text: strings.Repeat("an answer with some words ", 40)}}}
		if err := s.Save(ctx, bot.Change{Session: sess, MessageID: fmt.Sprintf("m%d", i), TTL: time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopen once so the backup holds all 300 sessions, then damage the file.
	s = mustOpen(t, path, bolt.Options{Now: clk.Now})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, info.Size()/2); err != nil {
		t.Fatal(err)
	}

	_, err = bolt.Open(path, bolt.Options{Now: clk.Now})
	var damaged *bolt.DamagedError
	if !errors.As(err, &damaged) || len(damaged.Problems) == 0 {
		t.Fatalf("Open(truncated file) = %v, want a DamagedError with problems", err)
	}
	for _, want := range []string{"is damaged", "mlsd store check", path + ".bak"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	problems, err := bolt.Check(path)
	if err != nil || len(problems) == 0 {
		t.Errorf("Check(truncated) = %v, %v; want problems", problems, err)
	}

	// The recovery path works: the backup is sound and has the data.
	if err := os.Rename(path+".bak", path); err != nil {
		t.Fatal(err)
	}
	if problems, err := bolt.Check(path); err != nil || len(problems) != 0 {
		t.Fatalf("Check(backup) = %v, %v; want no problems", problems, err)
	}
	s = mustOpen(t, path, bolt.Options{Now: clk.Now})
	defer s.Close()
	user := u
	user.UserID = "user-299"
	if got, err := s.ActiveSession(ctx, user); err != nil || got.ID != "s299" {
		t.Fatalf("ActiveSession from the backup = %+v, %v", got, err)
	}
}

// TestProgressContract runs the coverage and history contract.
func TestProgressContract(t *testing.T) {
	storetest.RunProgress(t, func(t *testing.T) storetest.ProgressStore {
		return mustOpen(t, filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{Now: newClock().Now})
	})
}
