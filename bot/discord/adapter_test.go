package discord_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/chattest/fakediscord"
	"github.com/mlsdbot/mlsd/bot/discord"
)

// question is what a scripted domain returns for a step.
func question(text string) bot.Outbound {
	return bot.Outbound{
		Text: text,
		Choices: []bot.Choice{
			{Label: "Answer", Value: "answer", Kind: bot.ChoiceForm, Primary: true},
			{Label: "Hint", Value: "hint"}, {Label: "Next", Value: "next"},
			{Label: "Skip", Value: "skip"}, {Label: "End", Value: "end"},
		},
		Question: &bot.QuestionView{Scenario: "Visual search", Step: bot.Clarify, Title: "Step 1/7 — Clarify requirements"},
	}
}

// TestTranslation drives the real discordgo client through the fake
// gateway with a scripted domain and checks each translation: command
// words, the public thread, the modal, the form submission's channel and
// thread, button values, ephemeral replies.
func TestTranslation(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	alice := srv.AddUser("alice", false)
	bob := srv.AddUser("bob", false)
	var sc *scripted
	sc = newScripted(func(in bot.Inbound) ([]bot.Outbound, error) {
		switch {
		case in.Kind == bot.KindCommand && strings.HasPrefix(in.Text, "start"):
			return []bot.Outbound{
				{Where: bot.Where{Kind: bot.NewThread, Channel: in.Channel}, Text: "**Visual search**\nDesign visual search for a marketplace.", Session: "s1"},
				question("**Step 1/7 — Clarify requirements**\nWho are the users?"),
			}, nil
		case in.Kind == bot.KindAction && in.Text == "answer" && in.UserID == alice.ID:
			return []bot.Outbound{{Where: bot.Where{Kind: bot.InThread, Channel: in.Channel, Thread: in.Thread},
				Form: &bot.Form{Title: "Step 1/7 — Clarify requirements", Label: "Your answer", MaxLength: 4000, Context: "s1:1"}}}, nil
		case in.Kind == bot.KindAction && in.UserID != alice.ID:
			return []bot.Outbound{{Where: bot.Where{Kind: bot.Ephemeral, User: in.UserID}, Text: "This is alice's interview."}}, nil
		case in.Kind == bot.KindAction && in.Text == "hint":
			return []bot.Outbound{{Where: bot.Where{Kind: bot.InThread, Channel: in.Channel, Thread: in.Thread}, Text: "_Hint:_ think about latency."}}, nil
		case in.Kind == bot.KindForm:
			return []bot.Outbound{question("**Step 2/7 — Frame as an ML task**\nWhat is the ML task?")}, nil
		}
		return []bot.Outbound{{Where: bot.Where{Kind: bot.Ephemeral, User: in.UserID}, Text: "help text"}}, nil
	})
	e := start(t, srv, discord.Config{Interviewer: sc}, true)
	id := srv.AwaitGateway(t, "identify")
	if id.Intents != 1 { // GUILDS only: interactions need no intent
		t.Errorf("identify intents = %d, want 1 (GUILDS)", id.Intents)
	}

	cmd := srv.Command(alice, srv.Channel, "mlsd", []string{"start"}, fakediscord.Opt{Name: "mode", Value: "practice"}, fakediscord.Opt{Name: "scenario", Value: "visual-search"})
	srv.Dispatch(cmd)
	in := sc.next(t)
	want := bot.Inbound{Platform: bot.Discord, Workspace: srv.GuildID, Channel: srv.Channel, UserID: alice.ID, UserName: "alice",
		MessageID: cmd.ID, Text: "start visual-search practice", Kind: bot.KindCommand}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Fatalf("command inbound (-want +got):\n%s", diff)
	}
	if typ := srv.AwaitResponse(t, cmd); typ != fakediscord.ResponseDeferredMessage {
		t.Fatalf("first response type %d, want a deferral (5)", typ)
	}
	lat, _ := srv.AckLatency(cmd)
	t.Logf("start acknowledged after %v", lat)

	prompt := srv.AwaitMessage(t, "case prompt", containing("create", srv.Channel, "Design visual search"))
	q1 := srv.AwaitMessage(t, "first question", containing("create", "", "Step 1/7"))
	thread, ok := srv.ChannelByID(q1.ChannelID)
	if !ok || thread.Type != fakediscord.ChannelPublicThread || thread.ParentID != srv.Channel || thread.StartMessage != prompt.ID {
		t.Fatalf("question posted in %+v; want a public thread on the prompt", thread)
	}
	if thread.Name != "Visual search · alice" {
		t.Errorf("thread name %q", thread.Name)
	}
	got := <-sc.attached
	if got != [3]string{"s1", srv.Channel, thread.ID} {
		t.Errorf("AttachThread(%v), want session s1, channel, thread", got)
	}
	pointer := srv.AwaitMessage(t, "placeholder filled", containing("edit", srv.Channel, "<#"+thread.ID+">"))
	if !pointer.Ephemeral() {
		t.Error("the pointer to the thread is public; want ephemeral")
	}
	var labels []string
	for _, b := range q1.Buttons() {
		labels = append(labels, b.Label)
	}
	if diff := cmp.Diff([]string{"Answer", "Hint", "Next", "Skip", "End"}, labels); diff != "" {
		t.Errorf("buttons (-want +got):\n%s", diff)
	}

	// bob's click reaches the domain, whose ephemeral refusal only bob sees.
	bobClick := srv.Click(t, bob, q1, "Hint")
	srv.Dispatch(bobClick)
	if in := sc.next(t); in.UserID != bob.ID || in.Kind != bot.KindAction || in.Thread != thread.ID || in.Channel != srv.Channel {
		t.Fatalf("bob's click = %+v", in)
	}
	refusal := srv.AwaitMessage(t, "refusal", containing("create", "", "alice's interview"))
	if !refusal.Ephemeral() {
		t.Error("the refusal is public; want ephemeral")
	}

	hint := srv.Click(t, alice, q1, "Hint")
	srv.Dispatch(hint)
	if in := sc.next(t); in.Text != "hint" || in.MessageID != hint.ID {
		t.Fatalf("hint click = %+v", in)
	}
	srv.AwaitMessage(t, "hint", containing("create", thread.ID, "think about latency"))

	answer := srv.Click(t, alice, q1, "Answer")
	srv.Dispatch(answer)
	sc.next(t)
	m := srv.AwaitModal(t, answer)
	inputs := m.Inputs()
	if len(inputs) != 1 || inputs[0].Style != 2 || inputs[0].MaxLength != 4000 {
		t.Fatalf("modal inputs %+v; want one paragraph input of up to 4000", inputs)
	}
	long := strings.Repeat("We need p99 latency under 200 ms. ", 130)[:4000]
	submit := srv.Submit(t, alice, m, long)
	srv.Dispatch(submit)
	in = sc.next(t)
	if in.Kind != bot.KindForm || in.Text != long || in.Channel != srv.Channel || in.Thread != thread.ID || in.MessageID != submit.ID {
		t.Fatalf("form inbound = kind %v channel %q thread %q id %q text %d chars", in.Kind, in.Channel, in.Thread, in.MessageID, len(in.Text))
	}
	srv.AwaitMessage(t, "second question", containing("create", thread.ID, "Step 2/7"))

	for _, m := range srv.AllMessages() {
		if len(m.Pings) > 0 {
			t.Errorf("message %q pinged %v", m.Content, m.Pings)
		}
	}
	e.stop()
	if ev := srv.AwaitGateway(t, "closed"); ev.Code != 1000 {
		t.Errorf("shutdown closed the gateway with %d, want 1000", ev.Code)
	}
}

// TestRegister checks the bulk overwrite against the fake's validation of
// names, descriptions, option order and choices.
func TestRegister(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	e := start(t, srv, discord.Config{}, false)
	for _, guild := range []string{srv.GuildID, ""} {
		if err := e.a.Register(context.Background(), guild); err != nil {
			t.Fatalf("Register(%q) = %v", guild, err)
		}
		// Twice is safe: the second PUT replaces the first.
		if err := e.a.Register(context.Background(), guild); err != nil {
			t.Fatalf("Register(%q) again = %v", guild, err)
		}
		cmds := srv.Commands(guild)
		if len(cmds) != 2 || cmds[0].Name != "mlsd" || cmds[1].Name != "mlsd-admin" {
			t.Fatalf("registered %+v", cmds)
		}
		if p := cmds[1].DefaultMemberPermissions; p == nil || *p != "32" {
			t.Errorf("mlsd-admin default_member_permissions = %v, want Manage Server (32)", p)
		}
		if cmds[0].DefaultMemberPermissions != nil {
			t.Errorf("/mlsd is restricted to %v; want everyone", *cmds[0].DefaultMemberPermissions)
		}
		var subs []string
		for _, o := range cmds[0].Options {
			subs = append(subs, o.Name)
			if o.Name == "start" && (len(o.Options) != 2 || !o.Options[0].Autocomplete) {
				t.Errorf("start options %+v; want scenario (autocomplete) and mode", o.Options)
			}
		}
		if diff := cmp.Diff([]string{"start", "scenarios", "leaderboard", "me", "history", "report", "drill", "team", "optout", "optin", "forget", "status", "diagram", "help", "daily"}, subs); diff != "" {
			t.Errorf("subcommands (-want +got):\n%s", diff)
		}
	}
	if err := e.a.Register(context.Background(), "123"); err == nil {
		t.Error("registering in a guild the bot is not in succeeded")
	}
	put := 0
	for _, r := range srv.Requests() {
		if r.Method == "PUT" && strings.HasSuffix(r.Path, "/commands") {
			put++
			var cmds []json.RawMessage
			if json.Unmarshal(r.Body, &cmds) != nil || len(cmds) != 2 {
				t.Errorf("PUT %s body %s", r.Path, r.Body)
			}
		}
	}
	if put != 5 {
		t.Errorf("%d bulk PUTs, want 5", put)
	}
}
