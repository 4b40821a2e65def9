package rubric_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/rubric"
)

// fixtureScenario loads the real framework and a full scenario from
// testdata/grader/fixture.json (kept in sync with scenarios/framework.yaml
// by the scenarios package's TestGraderFixture).
func fixtureScenario(tb testing.TB) *bot.Scenario {
	tb.Helper()
	data, err := os.ReadFile("testdata/grader/fixture.json")
	if err != nil {
		tb.Fatal(err)
	}
	var f struct {
		Framework *bot.Framework
		Scenario  *bot.Scenario
	}
	if err := json.Unmarshal(data, &f); err != nil {
		tb.Fatal(err)
	}
	if err := f.Scenario.Prepare(f.Framework); err != nil {
		tb.Fatal(err)
	}
	return f.Scenario
}

func benchAnswer(tb testing.TB) string {
	tb.Helper()
	data, err := os.ReadFile("testdata/grader/answer-data.txt")
	if err != nil {
		tb.Fatal(err)
	}
	return string(data[:4000])
}

// The benchmark's answer is a strong one: it must grade as such, so the
// benchmark measures real matching work.
func TestFixtureAnswerGrades(t *testing.T) {
	sc := fixtureScenario(t)
	g := sc.Rubric(bot.Data).Grade(rubric.Answer{Text: benchAnswer(t)})
	if g.Score < 0.9 || len(g.Matches) < 12 || g.KeywordList || g.TooShort || g.NoJustification {
		t.Errorf("strong 4,000-character answer graded %+v", g)
	}
	if n := len(sc.Rubric(bot.Data).Concepts); n < 20 {
		t.Errorf("data rubric has %d concepts, want a full step (20+)", n)
	}
	for _, m := range g.Matches {
		t.Logf("%-20s %q", m.Concept, m.Evidence)
	}
}

// BenchmarkGrade grades a 4,000-character answer against the data step's
// full rubric (15 framework + 6 case concepts, ~130 phrases, plus red flags,
// negations, cues and model terms).
func BenchmarkGrade(b *testing.B) {
	sc := fixtureScenario(b)
	r := sc.Rubric(bot.Data)
	a := rubric.Answer{Text: benchAnswer(b), Hints: 1}
	b.SetBytes(int64(len(a.Text)))
	b.ReportAllocs()
	for b.Loop() {
		r.Grade(a)
	}
}

// BenchmarkEvaluate is a whole session: seven steps and three wrap-up parts
// of about 4,000 characters each.
func BenchmarkEvaluate(b *testing.B) {
	sc := fixtureScenario(b)
	text := benchAnswer(b)
	s := &bot.Session{ID: "bench"}
	for step := bot.Clarify; step <= bot.Monitoring; step++ {
		s.Answers[step] = bot.StepAnswer{Text: text}
	}
	for i := range s.Wrap {
		s.Wrap[i] = bot.StepAnswer{Text: text}
	}
	b.ReportAllocs()
	for b.Loop() {
		bot.Evaluate(sc, s)
	}
}

// BenchmarkBaselineFields is the yardstick for BenchmarkGrade, measured in
// the same run: lower-casing the same answer and splitting it into words
// with the standard library, which any grader must at least do.
func BenchmarkBaselineFields(b *testing.B) {
	text := benchAnswer(b)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		_ = strings.Fields(strings.ToLower(text))
	}
}

// Coverage saturates: with the real framework merged in, a step has 20+
// concepts, and a strong prose answer naming about six relevant ones
// (half of them the case's own) reaches 0.85 or more.
func TestCoverageSaturates(t *testing.T) {
	sc := fixtureScenario(t)
	for _, tt := range []struct {
		step bot.StepID
		text string
	}{
		{bot.Data, "Labels come from the play logs: listen duration past eighty percent is a positive, because plays alone reward clickbait. " +
			"I would embed each transcript, add show affinity from the past episodes of the show the listener finished, " +
			"and keep every feature in a feature store so training and serving agree. Counts are computed point in time to avoid leakage, " +
			"and impressions far outnumber completions, so I would downsample the negatives."},
		{bot.Clarify, "First, does a play count, or must the listener finish the episode? Completion is what I would optimise, because plays reward catchy titles. " +
			"Then the split between followed shows and discovery of new shows, and how many requests per second the shelf gets. " +
			"New listeners have no history, so cold start needs a plan from day one."},
	} {
		g := sc.Rubric(tt.step).Grade(rubric.Answer{Text: tt.text})
		if g.Score < 0.85 || len(g.Matches) > 9 {
			t.Errorf("step %v: %d matches scored %.2f (coverage %.2f), want ≥ 0.85 from a handful of concepts: %q",
				tt.step, len(g.Matches), g.Score, g.Coverage, evidence(g))
		}
	}
}

// Grading is safe for concurrent use: the per-rubric scratch pool never
// leaks one answer's state into another's grade.
func TestGradeConcurrent(t *testing.T) {
	sc := fixtureScenario(t)
	r := sc.Rubric(bot.Data)
	answers := []string{benchAnswer(t), "No logs. We do not need a feature store.", "Play logs and transcripts, because.", ""}
	want := make([]rubric.StepGrade, len(answers))
	for i, a := range answers {
		want[i] = r.Grade(rubric.Answer{Text: a})
	}
	done := make(chan error)
	for w := range 8 {
		go func() {
			for k := range 50 {
				i := (w + k) % len(answers)
				if g := r.Grade(rubric.Answer{Text: answers[i]}); g.Score != want[i].Score || len(g.Matches) != len(want[i].Matches) {
					done <- fmt.Errorf("answer %d graded %.3f with %d matches, want %.3f with %d", i, g.Score, len(g.Matches), want[i].Score, len(want[i].Matches))
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func evidence(g rubric.StepGrade) []string {
	var out []string
	for _, m := range g.Matches {
		out = append(out, m.Evidence)
	}
	return out
}
