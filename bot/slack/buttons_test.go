package slack

import (
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
)

// TestStaleButtonsRetired (issue 12, review 11): when the interview moves
// on, the earlier question keeps its text but loses its buttons
// (chat.update), so only the live question can be clicked.
func TestStaleButtonsRetired(t *testing.T) {
	w := newWorld(t, worldOpts{})
	w.act(1, w.fake.SlashCommand(alice, general, "start "+scenarioID))
	var thread string
	for _, m := range w.fake.Messages() {
		if m.Channel == general && m.ThreadTS == "" && m.BotID != "" && !m.Ephemeral {
			thread = m.TS
		}
	}
	first := w.last(general, thread)
	if !isQuestion(first) {
		t.Fatalf("first thread message is not a question: %s", first.Blocks)
	}
	w.act(1, w.click(alice, first, "Next"))
	second := w.last(general, thread)
	if !isQuestion(second) || second.TS == first.TS {
		t.Fatalf("after Next, the last message is not a new question: %s", second.Blocks)
	}
	for _, m := range w.threadMsgs(general, thread) {
		switch m.TS {
		case first.TS:
			if strings.Contains(string(m.Blocks), `"mlsd_actions"`) || !strings.Contains(m.Text, "Step 1/7") {
				t.Errorf("the step 1 question after moving on: text %q blocks %s; want its text without buttons", m.Text, m.Blocks)
			}
		case second.TS:
			if !isQuestion(m) {
				t.Errorf("the live question lost its buttons: %s", m.Blocks)
			}
		}
	}
	if !slicesContain(w.fake.Calls(), "chat.update") {
		t.Error("no chat.update call")
	}
}

func slicesContain(calls []fakeslack.Call, method string) bool {
	for _, c := range calls {
		if c.Method == method {
			return true
		}
	}
	return false
}
