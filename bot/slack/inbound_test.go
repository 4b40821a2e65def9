package slack

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

func parseEnvelope(t *testing.T, env fakeslack.Envelope) slackevents.EventsAPIEvent {
	t.Helper()
	ev, err := slackevents.ParseEvent(env.Payload, slackevents.OptionNoVerifyToken())
	if err != nil {
		t.Fatalf("slack-go cannot parse the fake's event: %v", err)
	}
	return ev
}

// translate runs an Events API payload through the same decoding as the
// adapter and returns what reaches the interviewer.
func translate(t *testing.T, env fakeslack.Envelope) (bot.Inbound, bool) {
	t.Helper()
	ev := parseEnvelope(t, env)
	switch inner := ev.InnerEvent.Data.(type) {
	case *slackevents.MessageEvent:
		return fromMessage(ev.TeamID, "U0BOT", inner)
	case *slackevents.AppMentionEvent:
		return fromMention(ev.TeamID, "U0BOT", inner)
	}
	t.Fatalf("unexpected event %T", ev.InnerEvent.Data)
	return bot.Inbound{}, false
}

func TestTranslateMessages(t *testing.T) {
	fake := fakeslack.New(fakeslack.Options{})
	fake.AddChannel(fakeslack.Channel{ID: general, Name: "general", Member: true})
	root, _ := fake.UserMessage(alice, general, "", "top-level chatter")
	reply, replyEnvs := fake.UserMessage(alice, general, root.TS, "my answer &lt;b&gt;")
	_, mentionEnvs := fake.UserMessage(alice, general, root.TS, "<@U0BOT> with a mention")
	_, topMentionEnvs := fake.UserMessage(alice, general, "", "<@U0BOT> start eta-prediction")
	_, topEnvs := fake.UserMessage(alice, general, "", "hello")

	want := bot.Inbound{Platform: bot.Slack, Workspace: teamID, Channel: general, Thread: root.TS, UserID: alice,
		MessageID: messageID(general, reply.TS), Text: "my answer <b>", Kind: bot.KindReply}
	if got, ok := translate(t, replyEnvs[0]); !ok || !cmp.Equal(got, want) {
		t.Errorf("thread reply: ok=%v %s", ok, cmp.Diff(want, got))
	}

	// The app_mention and the message event of one message are one inbound.
	m1, ok1 := translate(t, mentionEnvs[0])
	m2, ok2 := translate(t, mentionEnvs[1])
	if !ok1 || !ok2 || m1 != m2 || m1.Text != "with a mention" || m1.Kind != bot.KindReply {
		t.Errorf("mention pair: %+v / %+v", m1, m2)
	}
	if got, ok := translate(t, topMentionEnvs[0]); !ok || got.Kind != bot.KindCommand || got.Text != "start eta-prediction" {
		t.Errorf("top-level mention = %+v, want the command", got)
	}

	fake.AddChannel(fakeslack.Channel{ID: "D1", IM: true, Member: true})
	_, dmEnvs := fake.UserMessage(alice, "D1", "", "start practice")
	if got, ok := translate(t, dmEnvs[0]); !ok || got.Kind != bot.KindCommand || got.Text != "start practice" || got.Thread != "" {
		t.Errorf("top-level DM = %+v, want a command", got)
	}

	ignored := map[string]fakeslack.Envelope{
		"top-level message":      topEnvs[0],
		"top-level mention twin": topMentionEnvs[1],
		"bot's own echo":         fake.BotEcho(fakeslack.Message{Channel: general, TS: "1.1", ThreadTS: root.TS, User: "U0BOT", BotID: "B0BOT", Text: "Step 2/7"}),
		"other bot":              fake.BotMessage("B0OTHER", general, root.TS, "beep"),
		"edit (message_changed)": fake.Edit(reply, "changed"),
		"deletion":               fake.Delete(reply),
		"join":                   fake.Join(bob, general),
	}
	for name, env := range ignored {
		if got, ok := translate(t, env); ok {
			t.Errorf("%s reached the interviewer: %+v", name, got)
		}
	}
}

func TestTranslateInteractions(t *testing.T) {
	fake := fakeslack.New(fakeslack.Options{})
	blocks, _ := json.Marshal(render(sampleQuestion())[0].blocks)
	q := fakeslack.Message{Channel: general, TS: "1700000000.000005", ThreadTS: "1700000000.000001", Blocks: blocks}
	env, err := fake.Click(bob, q, "Skip")
	if err != nil {
		t.Fatal(err)
	}
	var ic slack.InteractionCallback
	if err := json.Unmarshal(env.Payload, &ic); err != nil {
		t.Fatal(err)
	}
	in, ok := fromBlockAction(&ic)
	want := bot.Inbound{Platform: bot.Slack, Workspace: teamID, Channel: general, Thread: "1700000000.000001",
		UserID: bob, UserName: "UBOB", MessageID: "act:" + ic.TriggerID, Text: "skip", Kind: bot.KindAction}
	if !ok || !cmp.Equal(in, want) {
		t.Errorf("click: ok=%v %s", ok, cmp.Diff(want, in))
	}

	view, _ := formView(&bot.Form{Title: "Answer", Context: "sess-1"}, formMeta{Context: "sess-1", Channel: general, Thread: "1700000000.000001"})
	raw, _ := json.Marshal(view)
	sub, err := fake.Submit(alice, fakeslack.View{ID: "V1", JSON: raw}, "a long answer\nwith <b>lines</b>")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(sub.Payload, &ic); err != nil {
		t.Fatal(err)
	}
	in, ok = fromViewSubmission(&ic)
	want = bot.Inbound{Platform: bot.Slack, Workspace: teamID, Channel: general, Thread: "1700000000.000001",
		UserID: alice, UserName: "UALICE", MessageID: "view:V1", Text: "a long answer\nwith <b>lines</b>", Kind: bot.KindForm}
	if !ok || !cmp.Equal(in, want) {
		t.Errorf("submission: ok=%v %s", ok, cmp.Diff(want, in))
	}
}

func TestReadText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<@U0BOT> hint", "hint"},
		{"ask <@U123|carol> and <@U456>", "ask @carol and @U456"},
		{"<!channel> <!here> <!subteam^S1|@oncall> <!date^1|x>", "@channel @here @oncall x"},
		{"see <#C1|general> and <https://a.example|the doc> or <https://b.example>", "see #general and the doc or https://b.example"},
		{"p &lt; 0.05 &amp;&amp; n &gt; 100", "p < 0.05 && n > 100"},
		{"&amp;lt;", "&lt;"},
	}
	for _, tc := range tests {
		if got := readText(tc.in, "U0BOT"); got != tc.want {
			t.Errorf("readText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzReadText(f *testing.F) {
	for _, s := range []string{"<@U1> <!channel> &lt;x&gt;", "<<>>", "<|>", "&amp;", "<@U0BOT>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Whatever arrives, the text echoed back can never ping.
		out := mrkdwn(readText(s, "U0BOT"))
		for _, bad := range []string{"<!", "<@", "<#"} {
			if strings.Contains(out, bad) {
				t.Fatalf("mrkdwn(readText(%q)) = %q contains %q", s, out, bad)
			}
		}
	})
}
