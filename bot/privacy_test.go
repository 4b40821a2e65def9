package bot_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/clocktest"
	"github.com/mlsdbot/mlsd/bot/schedule"
)

// newPrivacyHarness is the daily harness with the progress port wired.
func newPrivacyHarness(t *testing.T) *dailyHarness {
	t.Helper()
	h := newDailyHarness(t, time.UTC)
	clk := clocktest.New(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	store, err := bolt.Open(filepath.Join(t.TempDir(), "privacy.db"), bolt.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	n := 0
	b, err := bot.New(bot.Config{
		Store: store, Daily: store, Progress: store, Calendar: &schedule.Calendar{}, Library: h.lib, Now: clk.Now, Location: time.UTC,
		Intn: func(k int) int { n++; return n % k },
	})
	if err != nil {
		t.Fatal(err)
	}
	h.bot, h.store, h.clock = b, store, clk
	return h
}

// TestOptOutHidesNameOnBoardAndReveal is issue 14's acceptance point 2 for
// the leaderboard and the daily reveal (the standings post has its own
// test): after /mlsd optout a person shows as "anonymous", keeps their own
// numbers, and /mlsd optin brings the name back.
func TestOptOutHidesNameOnBoardAndReveal(t *testing.T) {
	h := newPrivacyHarness(t)
	start := h.clock.Now()
	if out := one(t, h.cmd("admin", true, "daily on 0 9 * * * UTC reveal 17:00")); !strings.Contains(out.Text, "Daily challenge on") {
		t.Fatalf("daily on: %q", out.Text)
	}
	rec := schedule.New(h.bot, schedule.Options{Posters: map[bot.Platform]schedule.Poster{bot.Slack: h.post}})
	const reply = "I would start from the business goal and the latency budget, then build features from the logs, train a model, evaluate offline and with an A/B test, and monitor drift."
	thread, answered := "", false
	for now := start.Add(5 * time.Minute); !now.After(start.Add(10 * time.Hour)); now = now.Add(5 * time.Minute) {
		h.clock.Set(now)
		if err := rec.Tick(context.Background(), now); err != nil {
			t.Fatal(err)
		}
		if s, err := h.schedule(); err == nil && s.Last != nil && thread == "" {
			thread = s.Last.Thread
		}
		if thread != "" && !answered {
			answered = true
			h.reply("ada", thread, reply)
			h.reply("bob", thread, reply)
			if out := one(t, h.cmd("ada", false, "optout")); !strings.Contains(out.Text, "anonymous") {
				t.Fatalf("optout: %q", out.Text)
			}
		}
	}
	var reveal string
	for _, o := range h.post.inThread(thread) {
		if strings.Contains(o.Text, "**Reveal —") {
			reveal = o.Text
		}
	}
	if !strings.Contains(reveal, "anonymous — ") || strings.Contains(reveal, "ADA") || !strings.Contains(reveal, "BOB — ") {
		t.Errorf("reveal does not hide ada's name (and only hers):\n%s", reveal)
	}
	board := one(t, h.cmd("bob", false, "leaderboard")).Text
	if !strings.Contains(board, "anonymous — ") || strings.Contains(board, "ADA") || !strings.Contains(board, "BOB — ") {
		t.Errorf("leaderboard does not hide ada's name:\n%s", board)
	}
	if me := one(t, h.cmd("ada", false, "leaderboard")).Text; !strings.Contains(me, "You: #") {
		t.Errorf("ada lost her own standing:\n%s", me)
	}
	one(t, h.cmd("ada", false, "optin"))
	if board := one(t, h.cmd("bob", false, "leaderboard all")).Text; !strings.Contains(board, "ADA — ") || strings.Contains(board, "anonymous") {
		t.Errorf("after optin the board still hides ada:\n%s", board)
	}
}

// TestForgetMe: forget asks first, then deletes and says what; the board
// ranks without the person.
func TestForgetMe(t *testing.T) {
	h := newPrivacyHarness(t)
	for _, u := range []string{"ada", "bob"} {
		h.cmd(u, false, "daily optout")
	}
	ask := one(t, h.cmd("ada", false, "forget me")).Text
	if !strings.Contains(ask, "/mlsd forget me confirm") || !strings.Contains(ask, "cannot be undone") {
		t.Fatalf("forget me does not ask for confirmation: %q", ask)
	}
	done := one(t, h.cmd("ada", false, "forget me confirm")).Text
	if !strings.Contains(done, "other records") {
		t.Errorf("forget me confirm = %q, want what was deleted (the daily opt-out)", done)
	}
	if again := one(t, h.cmd("ada", false, "forget me confirm")).Text; !strings.Contains(again, "nothing stored") {
		t.Errorf("second forget = %q", again)
	}
}
