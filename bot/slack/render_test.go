package slack

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
	"github.com/mlsdbot/mlsd/bot/rubric"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// payload is a rendered message as Slack receives it.
func payload(t *testing.T, msgs []message) []byte {
	t.Helper()
	type post struct {
		Text   string        `json:"text"`
		Blocks []slack.Block `json:"blocks,omitempty"`
	}
	var posts []post
	for _, m := range msgs {
		posts = append(posts, post{Text: m.text, Blocks: m.blocks})
		if m.blocks != nil {
			raw, err := json.Marshal(m.blocks)
			if err != nil {
				t.Fatal(err)
			}
			if err := fakeslack.ValidateBlocks(raw, maxBlocks); err != nil {
				t.Errorf("Slack would reject these blocks: %v", err)
			}
		}
	}
	return pretty(t, posts)
}

func pretty(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sampleQuestion() bot.Outbound {
	q := "What data would you train on, how do you get labels, and which features matter most at request time?"
	return bot.Outbound{
		Where: bot.Where{Kind: bot.InThread, Channel: general, Thread: "1700000000.000001"},
		Text:  "**Step 3/7 — Data & features**  ●●○○○○○\n\n" + q,
		Choices: []bot.Choice{
			{Label: "Answer in a form", Value: "answer", Kind: bot.ChoiceForm, Primary: true},
			{Label: "Hint", Value: "hint"}, {Label: "Next", Value: "next"},
			{Label: "Skip", Value: "skip"}, {Label: "End", Value: "end"},
		},
		Question: &bot.QuestionView{Scenario: scenarioID, Step: bot.Data, Title: "Step 3/7 — Data & features", Question: q, Progress: "●●○○○○○"},
	}
}

func sampleReport() *bot.Report {
	steps := []bot.StepReport{}
	scores := []float64{0.9, 0.48, 1, 0.83, 0.95, 0, 0.55}
	for i, sc := range scores {
		st := bot.StepID(i + 1)
		steps = append(steps, bot.StepReport{Step: st, Title: st.Title(), Score: sc, Max: st.Weight() * 100, Points: sc * st.Weight() * 100, Skipped: st == bot.Deployment, Hints: map[bool]int{true: 1}[st == bot.Frame]})
	}
	steps[3].Flags = []bot.FlagReport{{Label: "Random split of time-ordered data", Evidence: "a random 80/20 split <!channel> *now*"}}
	return &bot.Report{
		SessionID: "s1", ScenarioID: scenarioID, ScenarioTitle: "Trip ETA prediction", Difficulty: bot.Easy, Mode: bot.Mock,
		Score: 71, Points: 71, Steps: steps, WrapUpBonus: 4.5, HintsUsed: 1,
		Pitfalls: []bot.Pitfall{{ID: bot.PitfallOverlookedDeployMon, Name: "Overlooked deployment/monitoring", Penalty: 5, Detail: "Deployment was skipped and monitoring named no signal."}},
		Strengths: []rubric.Match{
			{Concept: "leakage", Label: "Point-in-time features", Evidence: "computed as of request time to avoid leakage"},
			{Concept: "baseline", Label: "Baseline", Evidence: "Baseline: the routing engine estimate"},
		},
		Gaps:    []string{"How would you serve the model within **50 ms** at p99?", "What would you alert on when GPS data lags?"},
		Outline: []bot.Section{{Title: "Deployment & serving", Text: "- A stateless ETA service\n- Features in an in-memory store\n- Fall back to the routing estimate"}},
	}
}

func TestGoldenQuestion(t *testing.T) {
	golden(t, "question.golden.json", payload(t, render(sampleQuestion())))
}

func TestGoldenReport(t *testing.T) {
	r := sampleReport()
	golden(t, "report.golden.json", payload(t, render(bot.Outbound{Text: "**Report** — Score: 71/100", Report: r})))
}

func TestGoldenForm(t *testing.T) {
	v, err := formView(&bot.Form{Title: "Step 3/7 — Data & features", Label: "What data would you train on?", MaxLength: 4000, Context: "s1"},
		formMeta{Context: "s1", Channel: general, Thread: "1700000000.000001"})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(v)
	if err := fakeslack.ValidateModal(raw); err != nil {
		t.Errorf("Slack would reject the modal: %v", err)
	}
	golden(t, "form.golden.json", pretty(t, v))
}

func TestGoldenHome(t *testing.T) {
	h := bot.Home{
		Week: bot.Board{Top: []bot.Standing{
			{Rank: 1, UserID: alice, UserName: "Alice", Points: 142.5, Sessions: 2},
			{Rank: 2, UserID: "not-a-slack-id", UserName: "<!channel> Mallory", Points: 60, Sessions: 1},
		}, Viewer: &bot.Standing{Rank: 2, UserID: bob, Points: 60, Sessions: 1}},
		Stats: bot.Stats{Sessions: 2, Points: 60, BestScore: 71, LastScore: 49, Streak: 2, BestStreak: 3,
			StepTotals: [bot.Steps]float64{1.8, 0.9, 1.5, 1.2, 1.6, 0.4, 1.0}},
		Progress: "**Concepts you miss most**\n- *Feedback loop* (Monitoring): missed 4 of the last 5 times\nNext: a drill on Monitoring.",
		History:  "**Your history** — 1 entry\n1. 2026-12-07 · <!channel> Case · interview · 71/100 — Hire · https://app.slack.com/client/T1/C1/thread/C1-1700000000.000001",
		Team:     "**Team progress** — 3 interviews finished this week, 9 this month, 20 in all",
		Drill:    bot.Deployment,
	}
	blocks := homeBlocks(h)
	raw, _ := json.Marshal(blocks)
	if err := fakeslack.ValidateBlocks(raw, maxViewBlocks); err != nil {
		t.Errorf("Slack would reject the Home tab: %v", err)
	}
	golden(t, "home.golden.json", pretty(t, blocks))
}

// hostile is user text as it might reach a renderer: Slack's broadcast
// and mention syntax, links, entities and look-alikes.
const hostile = "<!channel> <!here> <!everyone> <@U0123ABC> <#C1|general> <!subteam^S1|@oncall> <https://evil.example|click> &amp; @channel @here @everyone"

// visible returns every string Slack shows from a payload.
func visible(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var anyv any
	_ = json.Unmarshal(raw, &anyv) // undo JSON's \u003c so the text is as Slack reads it
	var b strings.Builder
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case string:
			b.WriteString(x + "\n")
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				// Values and ids travel back to the app; Slack never shows them.
				if k == "value" || k == "private_metadata" || strings.HasSuffix(k, "_id") {
					continue
				}
				walk(e)
			}
		}
	}
	walk(anyv)
	return b.String()
}

func assertInert(t *testing.T, where, s string) {
	t.Helper()
	for _, bad := range []string{"<!", "<@", "<#", "<http", "@channel", "@here", "@everyone"} {
		if strings.Contains(s, bad) {
			t.Errorf("%s: rendered text contains %q:\n%s", where, bad, s)
		}
	}
	if !strings.Contains(s, "&lt;!channel&gt;") && !strings.Contains(s, "‹!channel›") {
		t.Errorf("%s: the user's text was dropped instead of shown:\n%s", where, s)
	}
}

// TestEscaping puts hostile text in every field a renderer shows.
func TestEscaping(t *testing.T) {
	q := sampleQuestion()
	q.Text = "**Feedback** you wrote " + hostile + "\n\n**Step 3/7 — Data & features**\n\n" + q.Question.Question
	q.Choices = append(q.Choices, bot.Choice{Label: hostile, Value: "x"})
	r := sampleReport()
	r.ScenarioTitle = hostile
	r.Strengths[0].Evidence = hostile
	r.Strengths[0].Label = hostile
	r.Pitfalls[0].Name = hostile
	r.Pitfalls[0].Detail = hostile
	r.Gaps = append(r.Gaps, hostile)
	r.Outline = append(r.Outline, bot.Section{Title: hostile, Text: "- " + hostile + "\n> " + hostile})
	home := bot.Home{Week: bot.Board{Top: []bot.Standing{{Rank: 1, UserID: hostile, UserName: hostile, Points: 1, Sessions: 1}}}}
	form, err := formView(&bot.Form{Title: hostile, Label: hostile, Context: "s"}, formMeta{Channel: general})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]any{
		"plain":    render(bot.Outbound{Text: "You said: " + hostile + "\n- " + hostile + "\n> " + hostile + "\n`" + hostile + "`"}),
		"choices":  render(bot.Outbound{Text: hostile, Choices: []bot.Choice{{Label: hostile, Value: hostile}}}),
		"question": render(q),
		"report":   render(bot.Outbound{Text: hostile, Report: r}),
		"home":     homeBlocks(home),
		"form":     form,
	}
	for name, v := range cases {
		if msgs, ok := v.([]message); ok {
			for _, m := range msgs {
				assertInert(t, name+" text", visible(t, m.text))
				if m.blocks != nil {
					assertInert(t, name+" blocks", visible(t, m.blocks))
				}
			}
			continue
		}
		assertInert(t, name, visible(t, v))
	}
}

func TestMrkdwn(t *testing.T) {
	tests := []struct{ in, want string }{
		{"**bold** and _italic_ and `co**de**`", "*bold* and _italic_ and `co**de**`"},
		{"- one\n- two", "• one\n• two"},
		{"> quoted <b>", "> quoted &lt;b&gt;"},
		{"a & b < c > d", "a &amp; b &lt; c &gt; d"},
		{"unmatched ` tick **x**", "unmatched ` tick *x*"},
		{"ping @Channel now", "ping @\u2060Channel now"},
	}
	for _, tc := range tests {
		if got := mrkdwn(tc.in); got != tc.want {
			t.Errorf("mrkdwn(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestSplitLongContent: long text is cut below Slack's limits on
// paragraph, line or word boundaries, never inside an entity, and loses
// nothing.
func TestSplitLongContent(t *testing.T) {
	para := strings.Repeat("The label is the actual trip time & nothing else. ", 40) // ~2,000 runes
	long := strings.Join([]string{para, para, para, strings.Repeat("x", 5000)}, "\n\n")
	msgs := render(bot.Outbound{Text: long})
	if len(msgs) < 3 {
		t.Fatalf("%d messages for %d characters", len(msgs), len(long))
	}
	var joined strings.Builder
	for _, m := range msgs {
		if n := utf8.RuneCountInString(m.text); n > maxPlainText {
			t.Errorf("a message of %d characters exceeds %d", n, maxPlainText)
		}
		if i := strings.LastIndexByte(m.text, '&'); i >= 0 && !strings.HasPrefix(m.text[i:], "&amp;") {
			t.Errorf("an entity was cut: …%q", m.text[max(0, i-10):])
		}
		joined.WriteString(m.text)
	}
	stripped := func(s string) string { return strings.NewReplacer(" ", "", "\n", "").Replace(s) }
	if stripped(joined.String()) != stripped(mrkdwn(long)) {
		t.Error("splitting lost or changed text")
	}

	// A long question keeps within section limits and the 50-block cap.
	q := sampleQuestion()
	q.Question.Question = strings.Repeat("Explain your features in depth. ", 700)
	q.Text = q.Question.Question
	for _, m := range render(q) {
		raw, _ := json.Marshal(m.blocks)
		if err := fakeslack.ValidateBlocks(raw, maxBlocks); err != nil {
			t.Errorf("long question: %v", err)
		}
		if n := utf8.RuneCountInString(m.text); n > maxFallback {
			t.Errorf("fallback text of %d characters", n)
		}
	}
	// A report with a huge outline is spread over several messages.
	r := sampleReport()
	for range 60 {
		r.Outline = append(r.Outline, bot.Section{Title: "Part", Text: "Details."})
	}
	parts := render(bot.Outbound{Text: "report", Report: r})
	if len(parts) < 2 {
		t.Errorf("a %d-section outline fit in %d message", len(r.Outline), len(parts))
	}
	for _, m := range parts {
		raw, _ := json.Marshal(m.blocks)
		if err := fakeslack.ValidateBlocks(raw, maxBlocks); err != nil {
			t.Errorf("long report: %v", err)
		}
	}
}
