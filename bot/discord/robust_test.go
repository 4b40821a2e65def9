package discord_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/chattest/fakediscord"
	"github.com/mlsdbot/mlsd/bot/discord"
	"github.com/mlsdbot/mlsd/bot/rubric"
)

// TestLongReportAndMentions is acceptance 4: a 3,500-character report
// reaches Discord as valid messages of at most 2,000 characters (the fake
// rejects anything longer), the structured report fits the embed limits,
// and an answer containing @everyone, a user and a role mention is echoed
// with no mention allowed, so nobody is pinged.
func TestLongReportAndMentions(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	alice := srv.AddUser("alice", false)
	long := strings.Repeat("The retrieval stage trades recall for latency; measure both. ", 58) // ~3,500 chars
	if n := len(long); n < 3400 || n > 3600 {
		t.Fatalf("fixture is %d chars", n)
	}
	report := &bot.Report{ScenarioTitle: "Visual search", Score: 72, Points: 90, Mode: bot.Mock}
	for s := bot.Clarify; s <= bot.Monitoring; s++ {
		report.Steps = append(report.Steps, bot.StepReport{Step: s, Title: s.Title(), Score: 0.7, Points: 7, Max: 10,
			Matches: []rubric.Match{{Label: "Latency", Evidence: "@everyone p99 under 200 ms"}}})
		report.Strengths = append(report.Strengths, rubric.Match{Label: s.Title(), Evidence: strings.Repeat("evidence <@"+alice.ID+"> ", 20)})
		report.Outline = append(report.Outline, bot.Section{Title: s.Title(), Text: strings.Repeat("outline text ", 150)})
	}
	sc := newScripted(func(in bot.Inbound) ([]bot.Outbound, error) {
		where := bot.Where{Kind: bot.InThread, Channel: in.Channel, Thread: in.Thread}
		return []bot.Outbound{
			{Where: where, Text: long},
			{Where: where, Text: bot.ReportText(report), Report: report},
		}, nil
	})
	start(t, srv, discord.Config{Interviewer: sc}, true)
	srv.AwaitGateway(t, "identify")
	thread := srv.AddChannel("thread-parent")

	answer := "Ship it @everyone and tell <@" + alice.ID + "> and <@&42> — latency first."
	srv.Dispatch(srv.Command(alice, thread, "mlsd", []string{"status"}))
	sc.next(t)
	var chunks []fakediscord.Message
	for len(chunks) < 2 {
		chunks = append(chunks, srv.AwaitMessage(t, "long text chunk", func(e fakediscord.MessageEvent) bool {
			return e.Kind == "create" && e.Message.ChannelID == thread && e.Message.Content != "" && len(e.Message.Embeds) == 0
		}))
	}
	joined := ""
	for _, c := range chunks {
		if n := len([]rune(c.Content)); n > 2000 {
			t.Errorf("chunk of %d characters", n)
		}
		joined += c.Content + " "
	}
	if strings.Join(strings.Fields(joined), " ") != strings.Join(strings.Fields(long), " ") {
		t.Error("the chunks do not add up to the text")
	}
	var embeds []fakediscord.Embed
	for {
		m := srv.AwaitMessage(t, "report embeds", func(e fakediscord.MessageEvent) bool {
			return e.Kind == "create" && e.Message.ChannelID == thread && len(e.Message.Embeds) > 0
		})
		embeds = append(embeds, m.Embeds...)
		if strings.Contains(m.Text(), "Reference — "+bot.Monitoring.Title()) {
			break
		}
	}
	text := ""
	for _, e := range embeds {
		text += e.Title + e.Description
		for _, f := range e.Fields {
			text += f.Name + f.Value
		}
	}
	for _, want := range []string{"Score: 72/100", "Strengths", "Reference — Clarify requirements", "evidence <@" + alice.ID + ">"} {
		if !strings.Contains(text, want) {
			t.Errorf("report embeds lack %q", want)
		}
	}

	// The echo of a modal answer in an interview thread.
	sc.mu.Lock()
	sc.reply = func(in bot.Inbound) ([]bot.Outbound, error) {
		return []bot.Outbound{{Where: bot.Where{Kind: bot.InThread, Channel: in.Channel, Thread: in.Thread}, Text: "Next question"}}, nil
	}
	sc.mu.Unlock()
	parent := srv.Channel
	root := srv.Say(alice, parent, "start")
	th := srv.StartThread(t, parent, root.ID, "Visual search · alice")
	m := fakediscord.Modal{CustomID: "mlsd:m:s1", ChannelID: th,
		Components: []fakediscord.Component{{Type: 1, Components: []fakediscord.Component{{Type: 4, CustomID: "answer", Style: 2, MaxLength: 4000}}}}}
	srv.Dispatch(srv.Submit(t, alice, m, answer))
	if in := sc.next(t); in.Kind != bot.KindForm || in.Text != answer || in.Thread != th || in.Channel != parent {
		t.Fatalf("submission = %+v", in)
	}
	echo := srv.AwaitMessage(t, "echo", containing("create", th, "answered:"))
	if !strings.Contains(echo.Content, "@everyone") || !strings.Contains(echo.Content, "<@"+alice.ID+">") {
		t.Errorf("echo %q lost the user's text", echo.Content)
	}
	if echo.AllowedMentions == nil || len(echo.AllowedMentions.Parse) != 0 || len(echo.Pings) != 0 {
		t.Errorf("echo allowed_mentions %+v pinged %v; want parse [] and no pings", echo.AllowedMentions, echo.Pings)
	}
	assertNoPings(t, srv)
}

// TestRobustness: a domain that panics or fails, payloads discordgo cannot
// decode, unknown buttons and DMs all get a short reply, and the bot keeps
// serving.
func TestRobustness(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	alice := srv.AddUser("alice", false)
	sc := newScripted(func(in bot.Inbound) ([]bot.Outbound, error) {
		switch in.Text {
		case "status":
			panic("boom")
		case "me":
			return nil, errors.New("internal")
		}
		return []bot.Outbound{{Where: bot.Where{Kind: bot.Ephemeral, User: in.UserID}, Text: "ok: " + in.Text}}, nil
	})
	e := start(t, srv, discord.Config{Interviewer: sc}, true)
	srv.AwaitGateway(t, "identify")

	reply := func(in *fakediscord.Interaction, want string) {
		t.Helper()
		srv.Dispatch(in)
		srv.AwaitMessage(t, want, func(ev fakediscord.MessageEvent) bool {
			return strings.Contains(ev.Message.Content, want) && ev.Message.Ephemeral()
		})
	}
	reply(srv.Command(alice, srv.Channel, "mlsd", []string{"status"}), "Something went wrong on our side")
	reply(srv.Command(alice, srv.Channel, "mlsd", []string{"me"}), "Something went wrong on our side")
	// A modal whose input sits in a Label (type 18), which discordgo
	// v0.29.0 cannot decode: the answer is still read from the raw data.
	label := json.RawMessage(`{"custom_id":"mlsd:m:s1","components":[{"type":18,"id":1,"component":{"type":4,"custom_id":"answer","value":"an answer in a label"}}]}`)
	srv.Dispatch(srv.Raw(fakediscord.InteractionModalSubmit, alice, srv.Channel, label))
	for in := sc.next(t); in.Kind != bot.KindForm; in = sc.next(t) {
	}
	// A click on a message with a component type discordgo does not know
	// (its decoder fails on the whole payload): the click still works.
	odd := srv.Raw(fakediscord.InteractionComponent, alice, srv.Channel, json.RawMessage(`{"custom_id":"mlsd:b:hint","component_type":2}`)).
		With("message", map[string]any{"id": "1", "channel_id": srv.Channel, "content": "x",
			"components": []any{map[string]any{"type": 99}}})
	reply(odd, "ok: hint")
	reply(srv.Raw(fakediscord.InteractionComponent, alice, srv.Channel, json.RawMessage(`{"custom_id":"other-bot:x","component_type":2}`)), "no longer active")
	reply(srv.Raw(fakediscord.InteractionComponent, alice, srv.Channel, json.RawMessage(`{"custom_id":1}`)), "could not read")
	reply(srv.Command(alice, srv.Channel, "mlsd", []string{"help"}), "ok: help")
	if !e.a.Ready() {
		t.Error("not ready after the failures")
	}
	if !strings.Contains(e.logs.String(), "panic") {
		t.Error("the panic was not logged")
	}
}

// TestAutocomplete suggests scenarios from the library as the user types.
func TestAutocomplete(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	alice := srv.AddUser("alice", false)
	_, _, lib := realBot(t)
	start(t, srv, discord.Config{Interviewer: newScripted(nil), Library: lib}, true)
	srv.AwaitGateway(t, "identify")
	cases := []struct {
		typed string
		first string
		n     int
	}{
		{"", "random", min(25, lib.Len()+1)},
		{"visual", "visual-search", 1},
		{"search", "", 0}, // several; checked below
		{"zzz", "", 0},
	}
	for _, c := range cases {
		in := srv.Autocomplete(alice, srv.Channel, "mlsd", []string{"start"}, fakediscord.Opt{Name: "scenario", Value: c.typed, Focused: true})
		srv.Dispatch(in)
		if typ := srv.AwaitResponse(t, in); typ != fakediscord.ResponseAutocompleteResult {
			t.Fatalf("%q: response %d", c.typed, typ)
		}
		got := srv.Choices(in)
		switch c.typed {
		case "search":
			for _, ch := range got {
				if !strings.Contains(strings.ToLower(ch.Name+ch.Value.(string)), "search") {
					t.Errorf("%q suggested %+v", c.typed, ch)
				}
			}
			if len(got) < 2 {
				t.Errorf("%q: %d suggestions", c.typed, len(got))
			}
			continue
		}
		if len(got) != c.n || (c.n > 0 && got[0].Value != c.first) {
			t.Errorf("%q: got %+v, want %d starting with %q", c.typed, got, c.n, c.first)
		}
	}
}

// TestMessageContentReplies: with MLSD_DISCORD_MESSAGE_CONTENT the owner's
// plain replies in a thread reach the domain as KindReply; the bot's own
// messages and replies outside threads do not.
func TestMessageContentReplies(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{MessageContentAllowed: true})
	alice := srv.AddUser("alice", false)
	sc := newScripted(func(in bot.Inbound) ([]bot.Outbound, error) {
		return []bot.Outbound{{Where: bot.Where{Kind: bot.InThread, Channel: in.Channel, Thread: in.Thread}, Text: "got it"}}, nil
	})
	start(t, srv, discord.Config{Interviewer: sc, MessageContent: true}, true)
	id := srv.AwaitGateway(t, "identify")
	if want := 1 | 1<<9 | 1<<15; id.Intents != want {
		t.Errorf("intents %d, want %d (GUILDS, GUILD_MESSAGES, MESSAGE_CONTENT)", id.Intents, want)
	}
	root := srv.Say(alice, srv.Channel, "not an answer: top level")
	th := srv.StartThread(t, srv.Channel, root.ID, "Visual search · alice")
	msg := srv.Say(alice, th, "My answer: start with the requirements.")
	in := sc.next(t)
	if in.Kind != bot.KindReply || in.Text != msg.Content || in.Thread != th || in.Channel != srv.Channel || in.MessageID != msg.ID {
		t.Fatalf("reply inbound %+v", in)
	}
	srv.AwaitMessage(t, "bot reply", containing("create", th, "got it"))
	select {
	case extra := <-sc.inbound:
		t.Fatalf("unexpected inbound %+v (top-level chatter or the bot's own message)", extra)
	default:
	}
}

// TestDisallowedIntentFailsFast: without the portal toggle, asking for
// MESSAGE_CONTENT makes the gateway close with 4014, and Run reports it
// instead of retrying forever.
func TestDisallowedIntentFailsFast(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	e := start(t, srv, discord.Config{Interviewer: newScripted(nil), MessageContent: true}, false)
	err := e.a.Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "4014") {
		t.Fatalf("Run = %v, want the 4014 close", err)
	}
}
