package discord

import (
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/rubric"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestSplitContent(t *testing.T) {
	para := strings.Repeat("word ", 300) // 1,500 chars
	cases := []struct {
		name string
		text string
	}{
		{"short", "hello"},
		{"paragraphs", para + "\n\n" + para + "\n\n" + para},
		{"one long line", strings.Repeat("x", 4500)},
		{"emoji", strings.Repeat("🧠", 2500)}, // 2 UTF-16 units each
		{"lines", strings.Repeat("- a bullet line\n", 400)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			chunks := splitContent(c.text, maxContent)
			joined := ""
			for _, ch := range chunks {
				if n := textLen(ch); n > maxContent || n == 0 {
					t.Fatalf("chunk of %d UTF-16 units", n)
				}
				joined += ch
			}
			strip := func(s string) string { return strings.Join(strings.Fields(s), "") }
			if strip(joined) != strip(c.text) {
				t.Fatal("chunks lost text")
			}
		})
	}
}

func TestRebaseKeepsPathAndPrefix(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = append(got, r.URL.Path) }))
	defer srv.Close()
	for _, base := range []string{srv.URL, srv.URL + "/proxy/discord/"} {
		u, _ := url.Parse(base)
		c := &http.Client{Transport: rebase{base: u, next: http.DefaultTransport}}
		resp, err := c.Get("https://discord.com/api/v9/channels/1/messages")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	want := []string{"/api/v9/channels/1/messages", "/proxy/discord/api/v9/channels/1/messages"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("paths (-want +got):\n%s", diff)
	}
}

// TestRenderGolden pins the JSON Discord receives for a question with its
// buttons, the answer modal and a report's embeds.
func TestRenderGolden(t *testing.T) {
	question := bot.Outbound{
		Text: "**Step 3/7 — Data & features**  ●●○○○○○\n\nWhere do labels come from?",
		Choices: []bot.Choice{{Label: "Answer in a form", Value: "answer", Kind: bot.ChoiceForm, Primary: true},
			{Label: "Hint", Value: "hint"}, {Label: "Next", Value: "next"}, {Label: "Skip", Value: "skip"}, {Label: "End", Value: "end"}},
	}
	form, _ := modal(&bot.Form{Title: "Step 3/7 — Data & features", Label: "Where do labels come from?", MaxLength: 4000, Context: "sess1"})
	report := &bot.Report{ScenarioTitle: "Visual search", Score: 64, Points: 80, Mode: bot.Mock, HintsUsed: 1,
		Steps: []bot.StepReport{
			{Step: bot.Clarify, Title: bot.Clarify.Title(), Score: 0.8, Points: 12, Max: 15, Hints: 1},
			{Step: bot.Frame, Title: bot.Frame.Title(), Score: 0.2, Points: 3, Max: 15, RedFlags: []string{"Accuracy on imbalanced data"},
				Flags: []bot.FlagReport{{Label: "Accuracy on imbalanced data", Evidence: "we *optimise* accuracy @here"}}},
		},
		Pitfalls:  []bot.Pitfall{{Name: "Jumped to the model", Penalty: 5, Detail: "named a CNN before any requirement"}},
		Strengths: []rubric.Match{{Label: "Latency budget", Evidence: "p99 under 200 ms @everyone"}},
		Gaps:      []string{"How would you get labels at scale?"},
		Outline:   []bot.Section{{Title: "Data", Text: "Click logs, human labels, dedup."}},
	}
	payloads := func(ms []message) []*discordgo.MessageSend {
		var out []*discordgo.MessageSend
		for _, m := range ms {
			out = append(out, m.send())
		}
		return out
	}
	got := map[string]any{"question": payloads(render(question)), "modal": form, "report": payloads(reportMessages(report))}
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "render.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(b)); diff != "" {
		t.Errorf("rendering changed (-want +got); run with -update if intended:\n%s", diff)
	}
}

// TestPackEmbedsLimits: however long a report, every message fits.
func TestPackEmbedsLimits(t *testing.T) {
	var fields []field
	for i := range 60 {
		fields = append(fields, field{name: strings.Repeat("n", 300), value: strings.Repeat("v", 2500+i)})
	}
	msgs := packEmbeds(strings.Repeat("T", 300), strings.Repeat("d", 9000), fields, 1)
	if len(msgs) < 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	for i, m := range msgs {
		total := 0
		if len(m.Embeds) > maxEmbedsPerMsg {
			t.Errorf("message %d: %d embeds", i, len(m.Embeds))
		}
		for _, e := range m.Embeds {
			total += embedChars([]*discordgo.MessageEmbed{e})
			if textLen(e.Title) > maxEmbedTitle || textLen(e.Description) > maxEmbedDesc || len(e.Fields) > maxFields {
				t.Errorf("message %d: embed over a limit", i)
			}
			for _, f := range e.Fields {
				if textLen(f.Name) > maxFieldName || textLen(f.Value) > maxFieldValue || f.Value == "" {
					t.Errorf("message %d: field over a limit", i)
				}
			}
		}
		if total > maxEmbedTotal {
			t.Errorf("message %d: %d embed characters", i, total)
		}
	}
}
