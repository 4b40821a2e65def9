package discord_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/chattest/fakediscord"
	"github.com/mlsdbot/mlsd/scenarios"
)

// realBot is the real domain on the embedded store in a temp dir.
func realBot(t *testing.T) (*bot.Bot, *bolt.Store, *bot.Library) {
	t.Helper()
	lib, err := scenarios.Load("")
	if err != nil {
		t.Fatal(err)
	}
	st, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rng := rand.New(rand.NewPCG(1, 2))
	b, err := bot.New(bot.Config{Store: st, Library: lib, Intn: rng.IntN})
	if err != nil {
		t.Fatal(err)
	}
	return b, st, lib
}

// answerText is a reasonable candidate answer; its content only has to
// be gradable, not perfect.
const answerText = `First I would clarify the requirements: who the users are, the scale (daily active users, queries per second), the latency budget (p99 under 200 ms) and the business metric we want to move. ` +
	`Then I would frame it as a ranking problem with a retrieval stage and a ranking stage, with offline metrics such as precision at k and NDCG, and online metrics from an A/B test. ` +
	`For data I would build a pipeline from logs with labels from clicks, handle class imbalance, and keep features in a feature store to avoid training-serving skew. ` +
	`I would start with a simple baseline because it is cheap, then a two-tower model with embeddings and approximate nearest neighbour search. ` +
	`Deployment behind a canary with shadow traffic, batch and online serving, caching; monitoring of data drift, latency, and model quality with alerts and retraining.`

const formButton = "Answer in a form"

// isQuestionOrReport matches what the bot posts when it waits for the
// candidate: a message with buttons, or the report's embeds.
func isQuestionOrReport(thread string) func(fakediscord.MessageEvent) bool {
	return func(e fakediscord.MessageEvent) bool {
		return e.Kind == "create" && e.Message.ChannelID == thread && (len(e.Message.Buttons()) > 0 || len(e.Message.Embeds) > 0)
	}
}

// startInterview runs /mlsd start and returns the thread and first question.
func startInterview(t *testing.T, srv *fakediscord.Server, u fakediscord.User, scenario, mode string, deliver func(*fakediscord.Interaction)) (fakediscord.Channel, fakediscord.Message) {
	t.Helper()
	opts := []fakediscord.Opt{{Name: "scenario", Value: scenario}}
	if mode != "" {
		opts = append(opts, fakediscord.Opt{Name: "mode", Value: mode})
	}
	cmd := srv.Command(u, srv.Channel, "mlsd", []string{"start"}, opts...)
	deliver(cmd)
	if typ := srv.AwaitResponse(t, cmd); typ != fakediscord.ResponseDeferredMessage {
		t.Fatalf("start answered with type %d, want a deferral", typ)
	}
	if lat, _ := srv.AckLatency(cmd); lat > 3*time.Second {
		t.Fatalf("start acknowledged after %v, past Discord's 3 s", lat)
	}
	q := srv.AwaitMessage(t, "first question", containing("create", "", "Step 1/7"))
	th, ok := srv.ChannelByID(q.ChannelID)
	if !ok || th.Type != fakediscord.ChannelPublicThread || th.ParentID != srv.Channel {
		t.Fatalf("first question in %+v, want a public thread of the channel", th)
	}
	return th, q
}

// answerByForm clicks the form button, checks the modal and submits text;
// it returns the next question or the report.
func answerByForm(t *testing.T, srv *fakediscord.Server, u fakediscord.User, q fakediscord.Message, text string, deliver func(*fakediscord.Interaction)) fakediscord.Message {
	t.Helper()
	click := srv.Click(t, u, q, formButton)
	deliver(click)
	m := srv.AwaitModal(t, click)
	if in := m.Inputs(); len(in) != 1 || in[0].Style != 2 || in[0].MaxLength != 4000 {
		t.Fatalf("modal inputs %+v, want one paragraph input of up to 4,000 characters", in)
	}
	deliver(srv.Submit(t, u, m, text))
	return srv.AwaitMessage(t, "next question or report", isQuestionOrReport(q.ChannelID))
}

// TestInterviewEndToEnd is acceptance 1: the real discordgo client on the
// fake gateway, the real bot on bbolt: /mlsd start, the public thread,
// Answer → modal for every step, Hint and Next, to the report in the
// thread, and the result in the store.
func TestInterviewEndToEnd(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	alice := srv.AddUser("alice", false)
	b, store, lib := realBot(t)
	start(t, srv, withPictures(t, discordConfig(b, lib)), true)
	srv.AwaitGateway(t, "identify")

	thread, q := startInterview(t, srv, alice, "visual-search", "", srv.Dispatch)
	if want := "Visual search"; !strings.HasPrefix(thread.Name, want) || !strings.HasSuffix(thread.Name, "· alice") {
		t.Errorf("thread name %q, want it named after the scenario and the user", thread.Name)
	}

	// Hint on the first question.
	hint := srv.Click(t, alice, q, "Hint")
	srv.Dispatch(hint)
	srv.AwaitMessage(t, "hint", containing("create", thread.ID, "Hint 1/2"))

	steps, nexts := 0, 0
	var report fakediscord.Message
	for i := 0; i < 40 && report.ID == ""; i++ {
		if strings.Contains(q.Content, "Step 5/7") && nexts == 0 && !strings.Contains(q.Content, "follow-up") {
			nexts++
			srv.Dispatch(srv.Click(t, alice, q, "Next"))
			q = srv.AwaitMessage(t, "question after next", isQuestionOrReport(thread.ID))
			continue
		}
		steps++
		next := answerByForm(t, srv, alice, q, answerText, srv.Dispatch)
		srv.AwaitMessage(t, "echo of the answer", containing("create", thread.ID, "**alice** answered:"))
		if len(next.Embeds) > 0 {
			report = next
		}
		q = next
	}
	if report.ID == "" {
		t.Fatal("no report after 40 turns")
	}
	if !strings.Contains(report.Embeds[0].Title, "Visual search") || !strings.Contains(report.Embeds[0].Description, "Score:") {
		t.Errorf("report embed %+v", report.Embeds[0])
	}
	if nexts != 1 || steps < 9 {
		t.Errorf("%d answers and %d next; want at least 6 steps + 3 wrap-up answers and one next", steps, nexts)
	}
	ctx := context.Background()
	user := bot.UserKey{Platform: bot.Discord, Workspace: srv.GuildID, UserID: alice.ID}
	stats, err := store.Stats(ctx, user)
	if err != nil || stats.Sessions != 1 || stats.LastScore <= 0 {
		t.Fatalf("stats after the interview = %+v, %v; want one scored session", stats, err)
	}
	if _, err := store.ActiveSession(ctx, user); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("active session after the report: %v, want none", err)
	}
	checkReportPictures(t, srv, thread.ID, report, "visual-search", stats.LastScore)
	assertNoPings(t, srv)
}

func assertNoPings(t *testing.T, srv *fakediscord.Server) {
	t.Helper()
	for _, m := range srv.AllMessages() {
		if m.Author.ID != srv.Bot.ID {
			continue
		}
		if len(m.Pings) > 0 {
			t.Errorf("message %s pinged %v", m.ID, m.Pings)
		}
		if !m.Loading && !m.Ephemeral() && (m.AllowedMentions == nil || len(m.AllowedMentions.Parse) != 0) {
			t.Errorf("message %s sent with allowed_mentions %+v, want parse []", m.ID, m.AllowedMentions)
		}
	}
}

// TestResumeMidInterview is acceptance 2: the fake drops the gateway in
// the middle of the interview, a click arrives while the bot is away, the
// client RESUMEs, the missed click is replayed, and the interview goes on.
func TestResumeMidInterview(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	alice := srv.AddUser("alice", false)
	b, store, lib := realBot(t)
	start(t, srv, withPictures(t, discordConfig(b, lib)), true)
	srv.AwaitGateway(t, "identify")

	thread, q := startInterview(t, srv, alice, "visual-search", "", srv.Dispatch)
	q = answerByForm(t, srv, alice, q, answerText, srv.Dispatch)

	srv.DropGateway()
	click := srv.Click(t, alice, q, formButton)
	srv.Dispatch(click) // buffered: no connection right now
	ev := srv.AwaitGateway(t, "resume")
	if ev.Session == "" {
		t.Fatal("resume without a session")
	}
	m := srv.AwaitModal(t, click)
	srv.Dispatch(srv.Submit(t, alice, m, answerText))
	next := srv.AwaitMessage(t, "question after the resume", isQuestionOrReport(thread.ID))
	if len(next.Buttons()) == 0 {
		t.Fatalf("after the resume got %q, want the next question", next.Content)
	}
	for _, e := range srv.GatewayEvents() {
		if e.Kind == "identify" && e.Session != ev.Session {
			t.Errorf("a second IDENTIFY (%s): the session was not resumed", e.Session)
		}
	}
	s, err := store.ActiveSession(context.Background(), bot.UserKey{Platform: bot.Discord, Workspace: srv.GuildID, UserID: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	turns := 0
	for _, a := range s.Answers {
		turns += a.Turns
	}
	if turns < 2 || s.Thread != thread.ID {
		t.Fatalf("stored session %+v; want the answers from before and after the drop in thread %s", s, thread.ID)
	}
}

// TestDuplicateInteraction: a replayed interaction (same id, as after a
// resume or from a second gateway consumer) is applied once. Here Discord
// refuses the second acknowledgement (40060) and the adapter stops there;
// behind that, the domain drops a repeated id anyway, since the adapter
// passes the interaction id as MessageID.
func TestDuplicateInteraction(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	alice := srv.AddUser("alice", false)
	b, store, lib := realBot(t)
	start(t, srv, discordConfig(b, lib), true)
	srv.AwaitGateway(t, "identify")
	thread, q := startInterview(t, srv, alice, "visual-search", "", srv.Dispatch)
	hint := srv.Click(t, alice, q, "Hint")
	srv.Dispatch(hint)
	srv.AwaitMessage(t, "hint", containing("create", thread.ID, "Hint 1/2"))
	srv.Dispatch(hint) // the same interaction again
	srv.AwaitRequest(t, "second callback refused", func(r fakediscord.Request) bool {
		return strings.Contains(r.Path, "/interactions/"+hint.ID+"/") && r.Status == 400
	})
	// A later, different click proves the first one was not applied twice:
	// the next hint is tier 2, not tier 3.
	srv.Dispatch(srv.Click(t, alice, q, "Hint"))
	srv.AwaitMessage(t, "second hint", containing("create", thread.ID, "Hint 2/2"))
	s, err := store.ActiveSession(context.Background(), bot.UserKey{Platform: bot.Discord, Workspace: srv.GuildID, UserID: alice.ID})
	if err != nil || s.Answers[bot.Clarify].Hints != 2 {
		t.Fatalf("hints = %d (%v), want 2", s.Answers[bot.Clarify].Hints, err)
	}
}

// TestPost covers proactive posts (the daily challenge): a new public
// thread on a root message, and a plain post in a channel.
func TestPost(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	e := start(t, srv, discordConfig(nil, nil), false)
	ctx := context.Background()
	th, err := e.a.Post(ctx, bot.Outbound{Where: bot.Where{Kind: bot.NewThread, Channel: srv.Channel},
		Text: "**Daily challenge — Visual search**\n\nHow would you build it?", Question: &bot.QuestionView{Scenario: "Daily: visual search"}})
	if err != nil {
		t.Fatal(err)
	}
	ch, ok := srv.ChannelByID(th)
	if !ok || ch.Type != fakediscord.ChannelPublicThread || ch.ParentID != srv.Channel || ch.Name != "Daily: visual search" {
		t.Fatalf("Post made %+v", ch)
	}
	if _, err := e.a.Post(ctx, bot.Outbound{Where: bot.Where{Kind: bot.InThread, Channel: srv.Channel, Thread: th}, Text: "Reveal @everyone"}); err != nil {
		t.Fatal(err)
	}
	m := srv.AwaitMessage(t, "reveal", containing("create", th, "Reveal"))
	if len(m.Pings) != 0 {
		t.Errorf("pinged %v", m.Pings)
	}
}

// TestThreadCreationFailureClosesInterview (issue 12, review 2): when
// Discord refuses to create the interview's thread, the interview is
// closed rather than left active with no thread (without the
// message-content intent the user could not even type `end`), the user is
// told why, and the next /mlsd start works.
func TestThreadCreationFailureClosesInterview(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	alice := srv.AddUser("alice", false)
	b, store, lib := realBot(t)
	start(t, srv, discordConfig(b, lib), true)
	srv.AwaitGateway(t, "identify")

	// The thread is started from the posted prompt: POST /channels/C/messages/M/threads.
	srv.FailNext("POST", "/channels/"+srv.Channel+"/messages/", 403, 50013, 1)
	cmd := srv.Command(alice, srv.Channel, "mlsd", []string{"start"}, fakediscord.Opt{Name: "scenario", Value: "visual-search"})
	srv.Dispatch(cmd)
	srv.AwaitMessage(t, "the failure explained", func(e fakediscord.MessageEvent) bool {
		return strings.Contains(e.Message.Text(), "couldn't create the thread for your interview")
	})
	user := bot.UserKey{Platform: bot.Discord, Workspace: srv.GuildID, UserID: alice.ID}
	if s, err := store.ActiveSession(context.Background(), user); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("active session %s (%v) after the thread failed, want none", s.ID, err)
	}
	startInterview(t, srv, alice, "visual-search", "", srv.Dispatch)
}

// TestStaleButtonsRetiredDiscord (issue 12, review 11): when the interview
// moves on, the earlier question's buttons are removed (message edit), so
// only the live question can be clicked.
func TestStaleButtonsRetiredDiscord(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	alice := srv.AddUser("alice", false)
	b, _, lib := realBot(t)
	start(t, srv, discordConfig(b, lib), true)
	srv.AwaitGateway(t, "identify")
	thread, q := startInterview(t, srv, alice, "visual-search", "", srv.Dispatch)
	srv.Dispatch(srv.Click(t, alice, q, "Next"))
	next := srv.AwaitMessage(t, "the next question", isQuestionOrReport(thread.ID))
	srv.AwaitMessage(t, "the old question's buttons removed", func(e fakediscord.MessageEvent) bool {
		return e.Kind != "create" && e.Message.ID == q.ID && len(e.Message.Buttons()) == 0
	})
	for _, m := range srv.AllMessages() {
		switch m.ID {
		case q.ID:
			if len(m.Buttons()) != 0 || !strings.Contains(m.Content, "Step 1/7") {
				t.Errorf("the step 1 question after moving on: %q with %d buttons; want its text without buttons", m.Content, len(m.Buttons()))
			}
		case next.ID:
			if len(m.Buttons()) == 0 {
				t.Error("the live question lost its buttons")
			}
		}
	}
}
