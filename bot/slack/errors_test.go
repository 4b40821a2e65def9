package slack

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
)

// TestPermanentErrors: when Slack refuses a post for good, the operator
// gets one clear log line saying how to fix it and the person gets a
// short note where one can reach them.
func TestPermanentErrors(t *testing.T) {
	w := newWorld(t, worldOpts{})
	w.fake.AddChannel(fakeslack.Channel{ID: general, Name: "general", Member: true})
	w.act(1, w.fake.SlashCommand(alice, general, "start "+scenarioID))
	var thread string
	for _, m := range w.fake.Messages() {
		if m.ThreadTS == "" && m.BotID != "" && !m.Ephemeral {
			thread = m.TS
		}
	}
	tests := []struct {
		code, needed string
		wantLog      []string
		wantNotice   string // "" when nobody can be told
	}{
		{"missing_scope", "chat:write", []string{"error=missing_scope", "needed_scope=chat:write", `fix="add the bot scope \"chat:write\"`}, "missing the Slack permission `chat:write`"},
		{"not_in_channel", "", []string{"error=not_in_channel", `fix="invite the bot to the channel: /invite @mlsd"`}, "Invite me with `/invite @mlsd`"},
		{"channel_not_found", "", []string{"error=channel_not_found", "fix="}, "Invite me with `/invite @mlsd`"},
		{"is_archived", "", []string{"error=is_archived", `fix="the channel is archived`}, "archived"},
		{"invalid_auth", "", []string{"error=invalid_auth", `fix="the bot token is invalid or revoked`}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			w.fake.Fail("chat.postMessage", general, fakeslack.Failure{Error: tc.code, Needed: tc.needed})
			notes := len(w.ephemerals(alice))
			_, envs := w.fake.UserMessage(alice, general, thread, answerFor("Step 1/7"))
			w.act(1, envs...)
			var line string
			for _, l := range strings.Split(w.logs.String(), "\n") {
				if strings.Contains(l, "chat.postMessage failed") && strings.Contains(l, "error="+tc.code) {
					line = l
				}
			}
			for _, want := range tc.wantLog {
				if !strings.Contains(line, want) {
					t.Errorf("log line %q lacks %q", line, want)
				}
			}
			got := w.ephemerals(alice)[notes:]
			switch {
			case tc.wantNotice == "" && len(got) != 0:
				t.Errorf("notes after %s: %+v, want none", tc.code, got)
			case tc.wantNotice != "" && (len(got) != 1 || !strings.Contains(got[0].Text, tc.wantNotice)):
				t.Errorf("notes after %s: %+v, want one saying %q", tc.code, got, tc.wantNotice)
			}
		})
	}
	if w.ad.Ready() {
		t.Error("still Ready after invalid_auth")
	}
}

// TestRootPostFails: when the case prompt cannot be posted after all, the
// user hears why and the thread-less interview is ended, so /mlsd start
// works again once the problem is fixed.
func TestRootPostFails(t *testing.T) {
	w := newWorld(t, worldOpts{})
	w.fake.AddChannel(fakeslack.Channel{ID: general, Name: "general", Member: true})
	w.fake.Fail("chat.postMessage", general, fakeslack.Failure{Error: "restricted_action"})
	w.act(1, w.fake.SlashCommand(alice, general, "start "+scenarioID))
	notes := w.ephemerals(alice)
	if len(notes) != 1 || !strings.Contains(notes[0].Text, "doesn't allow me to post") {
		t.Errorf("notes = %+v", notes)
	}
	user := bot.UserKey{Platform: bot.Slack, Workspace: teamID, UserID: alice}
	if _, err := w.store.ActiveSession(context.Background(), user); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("the thread-less interview is still active (err %v)", err)
	}
	w.act(1, w.fake.SlashCommand(alice, general, "start "+scenarioID))
	if _, err := w.store.ActiveSession(context.Background(), user); err != nil {
		t.Errorf("a new start after the failure: %v", err)
	}
}

// stubInterviewer answers with a function, to inject failures.
type stubInterviewer func(bot.Inbound) ([]bot.Outbound, error)

func (f stubInterviewer) Handle(_ context.Context, in bot.Inbound) ([]bot.Outbound, error) {
	return f(in)
}
func (f stubInterviewer) Delivered(context.Context, bot.Inbound, []bot.Outbound) {}

func (f stubInterviewer) AttachThread(context.Context, bot.UserKey, string, string, string) error {
	return nil
}
func (f stubInterviewer) Home(context.Context, bot.UserKey) (bot.Home, error) {
	return bot.Home{}, errors.New("leaderboard unavailable")
}

// TestHandlerFailures: an internal error or a panic is logged once with
// the event id and the user is told briefly; the adapter keeps working.
func TestHandlerFailures(t *testing.T) {
	var admins []bool
	iv := stubInterviewer(func(in bot.Inbound) ([]bot.Outbound, error) {
		admins = append(admins, in.IsAdmin) // handlers of one user run one at a time
		switch in.Text {
		case "boom":
			panic("engine exploded")
		case "fail":
			return nil, errors.New("disk on fire")
		}
		return []bot.Outbound{{Where: bot.Where{Kind: bot.Ephemeral, Channel: in.Channel, User: in.UserID}, Text: "ok: " + in.Text}}, nil
	})
	w := newWorld(t, worldOpts{interviewer: iv})
	w.fake.AddUser(fakeslack.User{ID: "UCAROL", Name: "carol", DisplayName: "Carol", IsAdmin: true})
	w.act(1, w.fake.SlashCommand("UCAROL", general, "help"))
	if len(admins) != 1 || !admins[0] {
		t.Errorf("a workspace admin's inbound has IsAdmin %v", admins)
	}
	boom := w.fake.SlashCommand(alice, general, "boom")
	w.deliver(boom)
	w.obs.waitCount(t, "panic", 1)
	w.act(1, w.fake.SlashCommand(alice, general, "fail"))
	w.act(1, w.fake.SlashCommand(alice, general, "help"))
	var texts []string
	for _, m := range w.ephemerals(alice) {
		texts = append(texts, m.Text)
	}
	want := []string{Apology, Apology, "ok: help"}
	if len(admins) != 4 || admins[3] {
		t.Errorf("IsAdmin for alice = %v", admins)
	}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("alice saw %q, want %q", texts, want)
	}
	logs := w.logs.String()
	if n := strings.Count(logs, "disk on fire"); n != 1 {
		t.Errorf("the internal error was logged %d times, want once", n)
	}
	for _, want := range []string{`msg="slack: handler panicked" platform=slack event=cmd:`, "engine exploded", `msg="slack: handling failed"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q", want)
		}
	}
	// A Home tab that cannot be built is logged, not published.
	w.deliver(w.fake.HomeOpened(alice))
	w.obs.waitCount(t, "handled:home", 1)
	if !strings.Contains(w.logs.String(), "cannot build the Home tab") {
		t.Error("no log line for the failed Home tab")
	}
	if _, ok := w.fake.Home(alice); ok {
		t.Error("a Home tab was published despite the error")
	}
}
