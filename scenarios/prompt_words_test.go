package scenarios_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/rubric"
	"github.com/mlsdbot/mlsd/scenarios"
)

// TestPromptWords: no heavy concept of a built-in is earned by its own
// prompt's words (issue 18). Run one case with -run TestPromptWords/ID.
func TestPromptWords(t *testing.T) {
	probs, err := scenarios.PromptWordProblems()
	if err != nil {
		t.Fatal(err)
	}
	scs, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		t.Run(sc.ID, func(t *testing.T) {
			for _, p := range probs {
				if strings.HasSuffix(p.File, "/"+sc.ID+".yaml") {
					t.Error(p)
				}
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
