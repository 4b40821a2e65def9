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

// Issue 12-D: a line of 1 MiB or more stopped the console ("token too
// long"). It is now cut to 1 MiB, so the domain refuses it politely, and
// the lines after it are read as usual.
func TestConsoleSurvives2MiBLine(t *testing.T) {
	long := strings.Repeat("a", 2<<20)
	input := "/mlsd start x\n" + long + "\n/mlsd status\n"
	rec := &recorder{}
	var out bytes.Buffer
	c := console.New(console.Config{Bot: rec, In: strings.NewReader(input), Out: &out, User: "ada", RunID: "r1"})
	if err := c.Run(context.Background()); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if len(rec.got) != 3 {
		t.Fatalf("%d messages, want 3", len(rec.got))
	}
	if n := len(rec.got[1].Text); n != 1<<20 || rec.got[1].Kind != bot.KindReply {
		t.Errorf("long line arrived as %d bytes (%v), want 1 MiB as a reply", n, rec.got[1].Kind)
	}
	if got := rec.got[2]; got.Kind != bot.KindCommand || got.Text != "status" {
		t.Errorf("line after the long one: %+v", got)
	}
}

// Issue 12-D: "/MLSD status", "/mlsd<TAB>status" and "/mlsdstatus" were
// graded as answers; the chat adapters accept any casing and spacing.
func TestConsoleCommandCasingAndSpacing(t *testing.T) {
	for _, tt := range []struct{ line, want string }{
		{"/MLSD status", "status"},
		{"/mlsd\tstatus", "status"},
		{"/mlsdstatus", "status"},
		{"  /Mlsd   start  x ", "start  x"},
		{"/mlsd", ""},
	} {
		rec := &recorder{}
		c := console.New(console.Config{Bot: rec, In: strings.NewReader(tt.line + "\n"), Out: io.Discard, RunID: "r"})
		if err := c.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(rec.got) != 1 || rec.got[0].Kind != bot.KindCommand || rec.got[0].Text != tt.want {
			t.Errorf("%q: got %+v, want command %q", tt.line, rec.got, tt.want)
		}
	}
	rec := &recorder{}
	c := console.New(console.Config{Bot: rec, In: strings.NewReader("/mlsdx is an answer?\n"), Out: io.Discard, RunID: "r"})
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rec.got[0].Kind != bot.KindCommand {
		t.Errorf("/mlsdx: %v, want a command (the domain answers an unknown command)", rec.got[0].Kind)
	}
}

// Issue 12-D: raw escape sequences and NUL bytes a user typed reached the
// terminal when echoed or quoted back; they are shown as \xNN text now.
func TestConsoleNeutralisesControlCharacters(t *testing.T) {
	rec := &recorder{}
	var out bytes.Buffer
	in := "hi \x1b[31mred\x1b[0m, a nul \x00 and a bell \a\n/as eve\x1b]0;pwned\a\n"
	c := console.New(console.Config{Bot: rec, In: strings.NewReader(in), Out: &out, User: "ada", RunID: "r"})
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, raw := range []string{"\x1b", "\x00", "\a"} {
		if strings.Contains(got, raw) {
			t.Errorf("output holds a raw %q:\n%q", raw, got)
		}
	}
	if !strings.Contains(got, `\x1b[31mred`) || !strings.Contains(got, `\x00`) {
		t.Errorf("control characters not shown as text:\n%s", got)
	}
	if rec.got[0].Text != "hi \x1b[31mred\x1b[0m, a nul \x00 and a bell \a" {
		t.Errorf("the domain should get the text as typed: %q", rec.got[0].Text)
	}
}

// Issue 12-E: a 40,000-character /as name became a user id and made the
// store fail ("Something went wrong"). Names are bounded, with a message.
func TestConsoleRefusesHugeName(t *testing.T) {
	rec := &recorder{}
	var out bytes.Buffer
	in := "/as " + strings.Repeat("n", 40000) + "\nhello\n"
	c := console.New(console.Config{Bot: rec, In: strings.NewReader(in), Out: &out, User: "ada", RunID: "r"})
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "a name has at most 64 characters; you are still ada") {
		t.Errorf("no refusal in:\n%.300s", out.String())
	}
	if len(rec.got) != 1 || rec.got[0].UserID != "ada" {
		t.Errorf("messages %+v, want hello from ada", rec.got)
	}
}
