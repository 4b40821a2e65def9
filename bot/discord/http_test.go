package discord_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot/chattest/fakediscord"
	"github.com/mlsdbot/mlsd/bot/discord"
)

// TestHTTPInteractions is acceptance 3: Discord's signed POSTs to the
// interactions endpoint: a good signature is accepted, a bad, stale or
// missing one gets 401, a PING gets PONG, an oversized body is refused,
// and a modal submission is graded (practice mode shows the feedback).
func TestHTTPInteractions(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	alice := srv.AddUser("alice", false)
	b, _, lib := realBot(t)
	cfg := discordConfig(b, lib)
	cfg.PublicKey = publicKeyHex(srv)
	cfg.MaxBodyBytes = 64 << 10
	e := start(t, srv, cfg, true)
	mux := http.NewServeMux()
	e.a.RegisterHTTP(mux)
	web := httptest.NewServer(mux)
	t.Cleanup(web.Close)
	endpoint := web.URL + discord.InteractionsPath
	ctx := context.Background()

	if !e.a.Ready() {
		t.Error("HTTP mode is not ready")
	}
	for _, ev := range srv.GatewayEvents() {
		t.Errorf("HTTP mode touched the gateway: %+v", ev)
	}

	t.Run("ping", func(t *testing.T) {
		status, body, err := srv.Deliver(ctx, endpoint, srv.Ping())
		if err != nil || status != 200 {
			t.Fatalf("PING: %d %s %v", status, body, err)
		}
		var r struct{ Type int }
		if json.Unmarshal(body, &r) != nil || r.Type != fakediscord.ResponsePong {
			t.Fatalf("PING answered %s, want type 1", body)
		}
	})

	now := strconv.FormatInt(time.Now().Unix(), 10)
	stale := strconv.FormatInt(time.Now().Add(-6*time.Minute).Unix(), 10)
	future := strconv.FormatInt(time.Now().Add(6*time.Minute).Unix(), 10)
	bad := []struct {
		name, ts, sig string
		body          []byte
	}{
		{"wrong signature", now, srv.Sign(now, []byte(`{"type":1}`)), []byte(`{"type":1,"x":1}`)},
		{"signature of another timestamp", now, srv.Sign(stale, []byte(`{"type":1}`)), []byte(`{"type":1}`)},
		{"stale timestamp", stale, srv.Sign(stale, []byte(`{"type":1}`)), []byte(`{"type":1}`)},
		{"future timestamp", future, srv.Sign(future, []byte(`{"type":1}`)), []byte(`{"type":1}`)},
		{"no signature", now, "", []byte(`{"type":1}`)},
		{"not hex", now, "zz", []byte(`{"type":1}`)},
		{"no timestamp", "", srv.Sign("", []byte(`{"type":1}`)), []byte(`{"type":1}`)},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			status, body, _ := srv.DeliverRaw(ctx, endpoint, srv.Ping(), c.body, c.ts, c.sig)
			if status != http.StatusUnauthorized {
				t.Fatalf("got %d %s, want 401", status, body)
			}
		})
	}
	t.Run("oversized body", func(t *testing.T) {
		big := []byte(`{"type":1,"pad":"` + strings.Repeat("x", 70<<10) + `"}`)
		status, _, _ := srv.DeliverRaw(ctx, endpoint, srv.Ping(), big, now, srv.Sign(now, big))
		if status != http.StatusRequestEntityTooLarge {
			t.Fatalf("got %d, want 413", status)
		}
	})

	t.Run("interview over HTTP", func(t *testing.T) {
		deliver := func(in *fakediscord.Interaction) {
			t.Helper()
			status, body, err := srv.Deliver(ctx, endpoint, in)
			if err != nil || status != 200 {
				t.Fatalf("interaction %d: %d %s %v", in.Type, status, body, err)
			}
		}
		thread, q := startInterview(t, srv, alice, "visual-search", "practice", deliver)
		click := srv.Click(t, alice, q, formButton)
		deliver(click)
		if typ := srv.AwaitResponse(t, click); typ != fakediscord.ResponseModal {
			t.Fatalf("the form button answered %d, want the modal (9) as the HTTP reply", typ)
		}
		m := srv.AwaitModal(t, click)
		for i := 0; i < 3; i++ {
			deliver(srv.Submit(t, alice, m, answerText))
			next := srv.AwaitMessage(t, "after the submission", isQuestionOrReport(thread.ID))
			if strings.Contains(next.Content, "Step 2/7") {
				break
			}
			// A follow-up question on a missing concept: answer it too.
			click = srv.Click(t, alice, next, formButton)
			deliver(click)
			m = srv.AwaitModal(t, click)
		}
		fb := srv.AwaitMessage(t, "practice feedback", containing("create", thread.ID, "Feedback — Clarify requirements"))
		if !strings.Contains(fb.Content, "%") {
			t.Errorf("feedback %q carries no grade", fb.Content)
		}
	})
	assertNoPings(t, srv)
}
