package slack

import (
	"bytes"
	"fmt"
	"image/png"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
)

// checkReportPictures: two uploads after the report — the report card
// (its alt text carrying the score), then the reference diagram — each
// a PNG.
func checkReportPictures(t *testing.T, pics []fakeslack.Message, reportTS string, score int) {
	t.Helper()
	if len(pics) != 2 {
		t.Fatalf("got %d pictures in the thread, want the report card and the diagram", len(pics))
	}
	want := []struct{ name, comment, alt string }{
		{scenarioID + "-report-card.png", "*Report card*", fmt.Sprintf("%d/100", score)},
		{scenarioID + "-architecture.png", "*Reference architecture*", "driver GPS pings → GPS stream processor"},
	}
	for i, m := range pics {
		if m.TS <= reportTS || m.Via != "files.completeUploadExternal" {
			t.Errorf("picture %d (ts %s via %s) did not follow the report (ts %s) as an upload", i, m.TS, m.Via, reportTS)
		}
		if len(m.Files) != 1 {
			t.Fatalf("picture %d has %d files", i, len(m.Files))
		}
		f := m.Files[0]
		if f.Name != want[i].name || !strings.HasPrefix(m.Text, want[i].comment) || !strings.Contains(f.AltText, want[i].alt) {
			t.Errorf("picture %d: %s, comment %q, alt %q; want %s, %q…, alt with %q", i, f.Name, m.Text, f.AltText, want[i].name, want[i].comment, want[i].alt)
		}
		if _, err := png.Decode(bytes.NewReader(f.Data)); err != nil {
			t.Errorf("picture %d is not a PNG: %v", i, err)
		}
	}
}

// A whiteboard in an answer comes back as a picture in the thread right
// after the answer; a diagram Graphviz refuses comes back as a one-line
// note with the text alternative, and the interview goes on.
func TestWhiteboardSlack(t *testing.T) {
	w := newWorld(t, worldOpts{})
	w.fake.AddChannel(fakeslack.Channel{ID: general, Name: "general", Member: true})
	w.act(1, w.fake.SlashCommand(alice, general, "start "+scenarioID))
	thread := ""
	for _, m := range w.fake.Messages() {
		if m.Channel == general && m.ThreadTS == "" && m.BotID != "" && !m.Ephemeral {
			thread = m.TS
		}
	}
	answer, envs := w.fake.UserMessage(alice, general, thread, "Users, scale, a 50 ms budget.\nrider app -> eta service -> routing engine -> eta model")
	w.act(1, envs...)
	pics := w.pictures(general, thread)
	if len(pics) != 1 || pics[0].Files[0].Name != "whiteboard-step1.png" || !strings.Contains(pics[0].Files[0].AltText, "rider app, eta service, routing engine, eta model") {
		t.Fatalf("pictures after the whiteboard answer: %+v", pics)
	}
	if _, err := png.Decode(bytes.NewReader(pics[0].Files[0].Data)); err != nil {
		t.Fatalf("whiteboard is not a PNG: %v", err)
	}
	next := w.last(general, thread)
	if pics[0].TS <= answer.TS || next.TS <= pics[0].TS || !isQuestion(next) {
		t.Errorf("order: answer %s, picture %s, then %q at %s; want the picture right after the answer", answer.TS, pics[0].TS, headerOf(next), next.TS)
	}

	// 300 boxes in a dot block: refused by the renderer, noted, graded.
	var dot strings.Builder
	dot.WriteString("```dot\ndigraph {")
	for i := range 300 {
		fmt.Fprintf(&dot, "n%d->n%d;", i, i+1)
	}
	dot.WriteString("}\n```\nI would frame it as regression on arrival time.")
	_, envs = w.fake.UserMessage(alice, general, thread, dot.String())
	w.act(1, envs...)
	msgs := w.threadMsgs(general, thread)
	note := msgs[len(msgs)-2]
	if !strings.Contains(note.Text, "No picture: it could not be drawn: diagram refused: it has 301 boxes; the limit is 60") {
		t.Errorf("note for a refused whiteboard: %q", note.Text)
	}
	if next := msgs[len(msgs)-1]; !isQuestion(next) || next.TS <= note.TS {
		t.Errorf("after the refused whiteboard: %q, want the next question", next.Text)
	}

	// Bad DOT: Graphviz's one-line syntax error, and the answer is graded.
	_, envs = w.fake.UserMessage(alice, general, thread, "```dot\ndigraph { feature_store -> }\n```\nOffline: AUC and calibration; online: an A/B test.")
	w.act(1, envs...)
	msgs = w.threadMsgs(general, thread)
	if note := msgs[len(msgs)-2]; !strings.Contains(note.Text, "No picture: it could not be drawn: diagram refused: syntax error in line 1") ||
		strings.Count(strings.SplitN(note.Text, "\n", 3)[1], "\n") != 0 {
		t.Errorf("note for bad DOT: %q", note.Text)
	}
	if next := msgs[len(msgs)-1]; !isQuestion(next) {
		t.Errorf("after bad DOT: %q, want the next question", next.Text)
	}

	// Subgraphs nested 500 deep: refused before Graphviz runs.
	nested := "```dot\ndigraph {" + strings.Repeat("subgraph {", 500) + "a" + strings.Repeat("}", 501) + "\n```\nI would use gradient-boosted trees first."
	_, envs = w.fake.UserMessage(alice, general, thread, nested)
	w.act(1, envs...)
	msgs = w.threadMsgs(general, thread)
	if note := msgs[len(msgs)-2]; !strings.Contains(note.Text, "diagram refused: subgraphs are nested more than 8 deep") {
		t.Errorf("note for nested subgraphs: %q", note.Text)
	}
	if next := msgs[len(msgs)-1]; !isQuestion(next) {
		t.Errorf("after the nested subgraphs: %q, want the next question", next.Text)
	}
}

// A private picture (the /mlsd me chart) goes to the user's DM with the
// bot, since Slack has no ephemeral files; without im:write the text
// alternative is shown privately instead.
func TestPrivatePictureSlack(t *testing.T) {
	chart := &bot.Picture{Kind: bot.PictureProgress, Name: "progress.png", Alt: "Your last 2 interview scores, oldest first: 11-25 41, 11-26 67.",
		Progress: &bot.ProgressChart{Labels: []string{"11-25", "11-26"}, Scores: []int{41, 67}, Weakest: "Monitoring", Step: []float64{0.2, 0.4}}}
	iv := stubInterviewer(func(in bot.Inbound) ([]bot.Outbound, error) {
		where := bot.Where{Kind: bot.Ephemeral, Channel: in.Channel, User: in.UserID}
		return []bot.Outbound{{Where: where, Text: "**Your progress**"}, {Where: where, Text: "**Your scores over time**", Picture: chart}}, nil
	})
	for _, tc := range []struct {
		name   string
		scopes []string
	}{{"with im:write", nil}, {"without im:write", []string{"chat:write", "commands", "files:write", "users:read", "channels:read"}}} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, worldOpts{interviewer: iv, fake: fakeslack.Options{Scopes: tc.scopes}})
			w.act(1, w.fake.SlashCommand(alice, general, "me"))
			dm := w.pictures("D"+alice, "")
			notes := w.ephemerals(alice)
			if tc.scopes == nil {
				if len(dm) != 1 || dm[0].Files[0].Name != "progress.png" || dm[0].Files[0].AltText != chart.Alt {
					t.Fatalf("DM pictures: %+v, want the chart", dm)
				}
				if _, err := png.Decode(bytes.NewReader(dm[0].Files[0].Data)); err != nil {
					t.Fatalf("chart is not a PNG: %v", err)
				}
				return
			}
			if len(dm) != 0 || len(notes) != 2 || !strings.Contains(notes[1].Text, "11-26 67") {
				t.Fatalf("without im:write: DM %+v, private notes %+v; want the text alternative privately", dm, notes)
			}
		})
	}
}

// Without files:write the upload fails; the picture's caption, a note and
// its text alternative still go out, and the log names the scope.
func TestPictureUploadFailsSlack(t *testing.T) {
	scopes := []string{"app_mentions:read", "channels:history", "channels:join", "channels:read", "chat:write", "commands", "users:read"}
	w := newWorld(t, worldOpts{fake: fakeslack.Options{Scopes: scopes}})
	w.fake.AddChannel(fakeslack.Channel{ID: general, Name: "general", Member: true})
	w.act(1, w.fake.SlashCommand(alice, general, "diagram "+scenarioID))
	msgs := w.threadMsgs(general, "")
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "No picture: it could not be sent.") ||
		!strings.Contains(msgs[0].Text, "driver GPS pings → GPS stream processor") {
		t.Fatalf("messages after a failed upload: %+v", msgs)
	}
	if !strings.Contains(w.logs.String(), "files:write") {
		t.Errorf("the log does not name the missing scope:\n%s", w.logs.String())
	}
}
