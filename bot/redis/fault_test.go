package redis

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
)

// faultStore opens a store that reaches the test server through a proxy
// the test controls, with short timeouts so faults surface quickly.
func faultStore(t *testing.T) (*Store, *proxy) {
	t.Helper()
	redisURL, _ := testServer(t)
	p := startProxy(t, targetOf(t, redisURL))
	s := openTestStore(t, p.urlVia(redisURL), Options{
		DialTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond,
	})
	return s, p
}

// TestRedisDownMidInterview (issue 4, acceptance 4): with Redis gone every
// call fails with ErrUnavailable and writes nothing; when it is back the
// same client carries on from the last saved step, without a restart.
func TestRedisDownMidInterview(t *testing.T) {
	ctx := context.Background()
	s, p := faultStore(t)
	u := testUser("U1")
	ses := newSession(u, "S1")
	ses.Thread = "th1"
	ses = mustSave(t, s, withMsg(bot.Change{Session: ses, TTL: time.Hour}, "m0"))
	ses = mustSave(t, s, withMsg(next(ses, func(x *bot.Session) { x.Step = bot.Frame }), "m1"))

	p.down()
	answer := withMsg(next(ses, func(x *bot.Session) { x.Step = bot.Data }), "m2")
	ws := bot.Workspace{Platform: u.Platform, ID: u.Workspace}
	ref := bot.ThreadRef{Platform: u.Platform, Workspace: u.Workspace, Channel: ses.Channel, Thread: "th1"}
	for name, call := range map[string]func() error{
		"Save":          func() error { return s.Save(ctx, answer) },
		"ActiveSession": func() error { _, err := s.ActiveSession(ctx, u); return err },
		"Session":       func() error { _, err := s.Session(ctx, u, "S1"); return err },
		"Thread":        func() error { _, err := s.Thread(ctx, ref); return err },
		"FirstDelivery": func() error { _, err := s.FirstDelivery(ctx, "ev1", time.Minute); return err },
		"Stats":         func() error { _, err := s.Stats(ctx, u); return err },
		"Leaderboard":   func() error { _, err := s.Leaderboard(ctx, ws, bot.AllTime, 5, "U1"); return err },
	} {
		if err := call(); !errors.Is(err, bot.ErrUnavailable) {
			t.Errorf("%s with Redis down = %v, want ErrUnavailable", name, err)
		}
	}

	p.up()
	got, err := s.ActiveSession(ctx, u)
	if err != nil {
		t.Fatalf("ActiveSession after Redis returned = %v", err)
	}
	if got.Version != ses.Version || got.Step != bot.Frame {
		t.Fatalf("after the outage the session is v%d at %s, want v%d at %s: something was half-written",
			got.Version, got.Step, ses.Version, bot.Frame)
	}
	// The user sends the answer again: it applies once, and the interview goes on.
	mustSave(t, s, answer)
	if err := s.Save(ctx, answer); !errors.Is(err, bot.ErrDuplicate) {
		t.Errorf("second resend = %v, want ErrDuplicate", err)
	}
	mustSave(t, s, withMsg(next(answer.Session, nil), "m3"))
	if b, err := s.Thread(ctx, ref); err != nil || b.SessionID != "S1" {
		t.Errorf("Thread after recovery = %+v, %v", b, err)
	}
}

// TestRedisHung: a server that accepts but never answers costs the
// ReadTimeout (twice, with the one retry), then ErrUnavailable.
func TestRedisHung(t *testing.T) {
	ctx := context.Background()
	s, p := faultStore(t)
	u := testUser("U1")
	ses := mustSave(t, s, withMsg(bot.Change{Session: newSession(u, "S1"), TTL: time.Hour}, "m0"))

	p.setMode(silent)
	answer := withMsg(next(ses, nil), "m1")
	if err := s.Save(ctx, answer); !errors.Is(err, bot.ErrUnavailable) {
		t.Fatalf("Save to a hung server = %v, want ErrUnavailable", err)
	}
	p.setMode(forward)
	if got, err := s.ActiveSession(ctx, u); err != nil || got.Version != 1 {
		t.Fatalf("ActiveSession = v%d, %v; want v1 (the hung Save never reached Redis)", got.Version, err)
	}
	mustSave(t, s, answer)
}

// TestLostReply: the script runs but its reply is lost. The caller sees
// ErrUnavailable (so the contract's "nothing was written" is then not
// literally true), and the user's resend is a duplicate: the answer is
// applied exactly once. (A go-redis retry that reaches Redis is
// recognised by the change token: TestSaveRetryOfOwnChange.)
func TestLostReply(t *testing.T) {
	ctx := context.Background()
	s, p := faultStore(t)
	u := testUser("U1")
	ses := mustSave(t, s, withMsg(bot.Change{Session: newSession(u, "S1"), TTL: time.Hour}, "m0"))

	p.setMode(dropReplies)
	answer := withMsg(next(ses, nil), "m1")
	if err := s.Save(ctx, answer); !errors.Is(err, bot.ErrUnavailable) {
		t.Fatalf("Save with replies lost = %v, want ErrUnavailable", err)
	}
	p.setMode(forward)
	got, err := s.ActiveSession(ctx, u)
	if err != nil || got.Version != 2 {
		t.Fatalf("ActiveSession = v%d, %v; want v2 (the change reached Redis)", got.Version, err)
	}
	if err := s.Save(ctx, answer); !errors.Is(err, bot.ErrDuplicate) {
		t.Errorf("the user's resend = %v, want ErrDuplicate", err)
	}
}
