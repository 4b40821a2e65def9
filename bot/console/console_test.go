package console_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/console"
)

// recorder is a fake interviewer that remembers what it was sent.
type recorder struct {
	got []bot.Inbound
}

func (r *recorder) Handle(_ context.Context, in bot.Inbound) ([]bot.Outbound, error) {
	r.got = append(r.got, in)
	return []bot.Outbound{{Text: "**ok** " + in.Text, Choices: []bot.Choice{{Label: "Hint", Value: "hint"}, {Label: "Form", Value: "answer", Kind: bot.ChoiceForm}}}}, nil
}

func TestConsoleTranslatesLines(t *testing.T) {
	input := strings.Join([]string{
		"/mlsd start visual-search practice",
		"",
		"a one-line answer",
		`"""`,
		"first line",
		"second line",
		`"""`,
		"/as grace",
		"hint",
		`"""`,
		"unterminated at EOF",
	}, "\n")
	rec := &recorder{}
	var out bytes.Buffer
	c := console.New(console.Config{Bot: rec, In: strings.NewReader(input), Out: &out, User: "ada", RunID: "r1"})
	if err := c.Run(context.Background()); err != nil {
		t.Fatalf("Run = %v, want nil at EOF", err)
	}
	type msg struct {
		User, Text, ID string
		Kind           bot.InboundKind
	}
	var got []msg
	for _, in := range rec.got {
		if in.Platform != bot.Console || in.Workspace != console.Workspace || in.Channel != console.Channel || in.Thread != "" {
			t.Errorf("inbound addressed to %s/%s/%s/%q", in.Platform, in.Workspace, in.Channel, in.Thread)
		}
		got = append(got, msg{in.UserID, in.Text, in.MessageID, in.Kind})
	}
	want := []msg{
		{"ada", "start visual-search practice", "r1-1", bot.KindCommand},
		{"ada", "a one-line answer", "r1-2", bot.KindReply},
		{"ada", "first line\nsecond line", "r1-3", bot.KindReply},
		{"grace", "hint", "r1-4", bot.KindReply},
		{"grace", "unterminated at EOF", "r1-5", bot.KindReply},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("inbound messages (-want +got):\n%s", diff)
	}
	transcript := out.String()
	for _, s := range []string{"ada> a one-line answer", "ok a one-line answer", "→ type your answer, or: hint", "(you are now grace)"} {
		if !strings.Contains(transcript, s) {
			t.Errorf("transcript lacks %q:\n%s", s, transcript)
		}
	}
	if strings.Contains(transcript, "**") {
		t.Errorf("transcript shows raw Markdown bold markers:\n%s", transcript)
	}
}

func TestConsoleStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, w := io.Pipe() // never reaches EOF on its own, like a terminal
	defer w.Close()
	c := console.New(console.Config{Bot: &recorder{}, In: r, Out: &bytes.Buffer{}})
	if err := c.Run(ctx); err != nil {
		t.Fatalf("Run after cancel = %v", err)
	}
}

func TestRender(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"**Step 1/7 — Clarify**", "Step 1/7 — Clarify"},
		{"_Candidate: ada · mock mode._", "Candidate: ada · mock mode."},
		{"`█░` 3. Data — 0/20 _(1 hint(s); too short)_", "`█░` 3. Data — 0/20 (1 hint(s); too short)"},
		{"- `email-spam-filtering` — Spam _(nlp, trust_and_safety)_", "- `email-spam-filtering` — Spam (nlp, trust_and_safety)"},
		{"snake_case_id stays", "snake_case_id stays"},
	} {
		if got := console.Render(tt.in); got != tt.want {
			t.Errorf("Render(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
