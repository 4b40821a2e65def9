package scenarios_test

import (
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/rubric"
	"github.com/mlsdbot/mlsd/scenarios"
)

// TestPromptWords: the lint that keeps heavy concepts from being earned by
// the prompt's own words (issue 18) runs on every scenario Parse and Load
// read, built-ins included (TestBuiltin), and reports the concept, the
// words and the line of its phrases.
func TestPromptWords(t *testing.T) {
	data, err := os.ReadFile("testdata/valid/podcast-recommendation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, old, new string
		want           string // "" = valid
	}{
		{"valid as shipped", "", "", ""},
		{"heavy concept credited by a prompt word", "phrases: [finish the episode,", "phrases: [likely to finish, finish the episode,",
			`podcast-recommendation.yaml:22: step "clarify": concept "completion_goal" (weight 2) is earned by the prompt's own words "likely to finish"`},
		{"light concepts may use prompt words", "phrases: [followed shows, follows,", "phrases: [followed shows, follows, new episodes,", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Replace(string(data), tt.old, tt.new, 1)
			if tt.old != "" && text == string(data) {
				t.Fatalf("fixture lacks %q", tt.old)
			}
			_, err := scenarios.Parse(fstest.MapFS{"podcast-recommendation.yaml": {Data: []byte(text)}})
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Parse = %v, want no problem", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Parse = %v, want a problem containing %q", err, tt.want)
			}
		})
	}
}

// TestPromptOnlyAnswer: an interview answered only with the case prompt's
// own sentences scores at most 20, and no probed concept is earned by the
// prompt, so each probe still fires (issue 18).
func TestPromptOnlyAnswer(t *testing.T) {
	scs, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		t.Run(sc.ID, func(t *testing.T) {
			prompt := strings.ReplaceAll(sc.Prompt, "**", "")
			s := &bot.Session{ID: "prompt-only", ScenarioID: sc.ID}
			for st := bot.Clarify; st <= bot.Monitoring; st++ {
				s.Answers[st] = bot.StepAnswer{Text: prompt}
			}
			for i := range s.Wrap {
				s.Wrap[i] = bot.StepAnswer{Text: prompt}
			}
			if rep := bot.Evaluate(sc, s); rep.Score > 20 {
				t.Errorf("prompt-only interview scores %d, want ≤ 20", rep.Score)
			}
			for st := bot.Clarify; st <= bot.Monitoring; st++ {
				spec := sc.Spec(st)
				if len(spec.Probes) == 0 {
					continue
				}
				g := sc.Rubric(st).Grade(rubric.Answer{Text: prompt})
				for _, p := range spec.Probes {
					if !slices.ContainsFunc(g.Missing, func(c rubric.Concept) bool { return c.ID == p.Concept }) {
						t.Errorf("step %s: the prompt alone earns %q, so its probe never fires", st.Key(), p.Concept)
					}
				}
			}
		})
	}
}
