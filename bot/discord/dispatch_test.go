package discord_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/chattest/fakediscord"
	"github.com/mlsdbot/mlsd/bot/discord"
)

// recorder is an Interviewer that records the order and the concurrency of
// the events it is given; hold, when set, keeps each call until released.
type recorder struct {
	mu       sync.Mutex
	texts    map[string][]string // user → texts, in the order calls began
	running  int
	maxRun   int
	handled  int
	hold     chan struct{}
	progress chan struct{}
	started  chan struct{} // optional: told when a call begins
}

func (r *recorder) Handle(_ context.Context, in bot.Inbound) ([]bot.Outbound, error) {
	r.mu.Lock()
	r.texts[in.UserID] = append(r.texts[in.UserID], in.Text)
	r.running++
	r.maxRun = max(r.maxRun, r.running)
	r.mu.Unlock()
	if r.started != nil {
		r.started <- struct{}{}
	}
	if r.hold != nil {
		<-r.hold
	}
	r.mu.Lock()
	r.running--
	r.handled++
	r.mu.Unlock()
	r.progress <- struct{}{}
	return nil, nil
}

func (r *recorder) Delivered(context.Context, bot.Inbound, []bot.Outbound) {}

func (r *recorder) AttachThread(context.Context, bot.UserKey, string, string, string) error {
	return nil
}

// TestDiscordEventsOrderedAndBounded (issue 12, review 5): discordgo starts
// a goroutine per gateway event, so one user's rapid events could apply in
// any order and any number could run at once. Now one user's events run in
// the order Discord sent them, and at most MaxRunning run at once.
func TestDiscordEventsOrderedAndBounded(t *testing.T) {
	t.Run("one user's 40 rapid events in order", func(t *testing.T) {
		srv := fakediscord.New(t, fakediscord.Options{})
		alice := srv.AddUser("alice", false)
		rec := &recorder{texts: map[string][]string{}, progress: make(chan struct{}, 64)}
		start(t, srv, discord.Config{Interviewer: rec, MaxRunning: 8}, true)
		srv.AwaitGateway(t, "identify")
		var want []string
		for i := range 40 {
			// Alternating commands stand for an answer and the button after it.
			sub := []string{"status", "help"}[i%2]
			srv.Dispatch(srv.Command(alice, srv.Channel, "mlsd", []string{sub}))
			want = append(want, sub)
		}
		for range 40 {
			<-rec.progress
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if got := rec.texts[alice.ID]; !slices.Equal(got, want) {
			t.Fatalf("alice's events ran in order\n%v\nwant\n%v", got, want)
		}
	})
	t.Run("200 users never more than MaxRunning at once", func(t *testing.T) {
		const users, maxRunning = 200, 4
		srv := fakediscord.New(t, fakediscord.Options{})
		rec := &recorder{texts: map[string][]string{}, hold: make(chan struct{}), progress: make(chan struct{}, users)}
		start(t, srv, discord.Config{Interviewer: rec, MaxRunning: maxRunning}, true)
		srv.AwaitGateway(t, "identify")
		for i := range users {
			u := srv.AddUser(fmt.Sprintf("user%03d", i), false)
			srv.Dispatch(srv.Command(u, srv.Channel, "mlsd", []string{"status"}))
		}
		for range users {
			rec.hold <- struct{}{} // let one held call finish
			<-rec.progress
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if rec.handled != users || rec.maxRun > maxRunning {
			t.Fatalf("handled %d events with up to %d at once; want %d handled, never more than %d at once", rec.handled, rec.maxRun, users, maxRunning)
		}
		t.Logf("%d events, at most %d at once", rec.handled, rec.maxRun)
	})
}

// TestShutdownFinishesEventsInFlight (issue 12, acceptance 4 for Discord,
// at the adapter: SIGTERM cancels Run's context): 50 users' events are
// being handled when the adapter is told to stop. Run returns only after
// every one finished and its reply was delivered.
func TestShutdownFinishesEventsInFlight(t *testing.T) {
	const users = 50
	srv := fakediscord.New(t, fakediscord.Options{})
	rec := &replier{recorder: recorder{texts: map[string][]string{}, hold: make(chan struct{}),
		progress: make(chan struct{}, users), started: make(chan struct{}, users)}}
	e := start(t, srv, discord.Config{Interviewer: rec, MaxRunning: users}, true)
	srv.AwaitGateway(t, "identify")
	var cmds []*fakediscord.Interaction
	for i := range users {
		u := srv.AddUser(fmt.Sprintf("user%03d", i), false)
		cmd := srv.Command(u, srv.Channel, "mlsd", []string{"status"})
		srv.Dispatch(cmd)
		cmds = append(cmds, cmd)
	}
	for range users { // all 50 are being handled, held
		<-rec.started
	}
	stopped := make(chan struct{})
	go func() { e.stop(); close(stopped) }()
	for range users {
		select {
		case <-stopped:
			t.Fatal("Run returned while events were still being handled")
		case rec.hold <- struct{}{}:
		}
		<-rec.progress
	}
	<-stopped
	for _, cmd := range cmds {
		if typ := srv.AwaitResponse(t, cmd); typ == 0 {
			t.Fatalf("interaction %s got no response", cmd.ID)
		}
	}
	replies := 0
	for _, m := range srv.AllMessages() {
		if strings.Contains(m.Text(), "status for ") {
			replies++
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.handled != users || replies != users {
		t.Fatalf("handled %d, replied %d; want all %d before Run returned", rec.handled, replies, users)
	}
}

// replier answers every event with a private note naming its user.
type replier struct{ recorder }

func (r *replier) Handle(ctx context.Context, in bot.Inbound) ([]bot.Outbound, error) {
	r.recorder.Handle(ctx, in)
	return []bot.Outbound{{Where: bot.Where{Kind: bot.Ephemeral, User: in.UserID}, Text: "status for " + in.UserName}}, nil
}

// TestQueuedInteractionDeferredInTime (issue 12, acceptance 4: interactions
// answered within Discord's 3 s): an interaction that waits for a run slot
// (every slot busy, or the user's earlier events still running) gets its
// deferral when it arrives, over the gateway and over HTTP, not when its
// handler starts, which may be past the 3 s after which Discord drops it.
func TestQueuedInteractionDeferredInTime(t *testing.T) {
	for _, mode := range []string{"gateway", "http"} {
		t.Run(mode, func(t *testing.T) {
			srv := fakediscord.New(t, fakediscord.Options{})
			rec := &recorder{texts: map[string][]string{}, hold: make(chan struct{}), progress: make(chan struct{}, 4),
				started: make(chan struct{}, 4)}
			defer close(rec.hold)
			cfg := discord.Config{Interviewer: rec, MaxRunning: 1}
			deliver := srv.Dispatch
			if mode == "http" {
				cfg.PublicKey = publicKeyHex(srv)
			}
			e := start(t, srv, cfg, true)
			if mode == "http" {
				mux := http.NewServeMux()
				e.a.RegisterHTTP(mux)
				app := httptest.NewServer(mux)
				defer app.Close()
				deliver = func(in *fakediscord.Interaction) {
					go srv.Deliver(context.Background(), app.URL+discord.InteractionsPath, in)
				}
			} else {
				srv.AwaitGateway(t, "identify")
			}
			alice, bob := srv.AddUser("alice", false), srv.AddUser("bob", false)
			deliver(srv.Command(alice, srv.Channel, "mlsd", []string{"status"}))
			<-rec.started // alice's event holds the only run slot
			queued := srv.Command(bob, srv.Channel, "mlsd", []string{"status"})
			deliver(queued)
			if typ := srv.AwaitResponse(t, queued); typ != fakediscord.ResponseDeferredMessage {
				t.Fatalf("queued command answered with type %d, want a deferral", typ)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if rec.handled != 0 || len(rec.texts[bob.ID]) != 0 {
				t.Fatalf("bob's command ran before alice's finished (handled %d)", rec.handled)
			}
		})
	}
}
