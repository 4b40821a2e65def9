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
	if g.Score < 0.8 || len(g.Matches) < 12 || len(g.RedFlags) > 0 || g.KeywordList || g.TooShort || g.NoJustification {
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

// Depth separates the top: a prose answer naming a handful of the concepts
// that matter lands in the middle of the scale, and the same answer with a
// trade-off weighed, a failure mode named and a figure scores higher
// without any new concept.
func TestDepthSeparatesTheTop(t *testing.T) {
	sc := fixtureScenario(t)
	for _, tt := range []struct {
		step        bot.StepID
		plain, deep string
	}{
		{bot.Data, "Labels come from the play logs: listen duration past eighty percent is a positive, because plays alone reward clickbait. " +
			"I would embed each transcript, add show affinity from the past episodes of the show the listener finished, " +
			"and keep every feature in a feature store so training and serving agree. Counts are computed point in time to avoid leakage.",
			" The store is the weak point: if it is stale or goes down, features fall back to yesterday's batch values, at the cost of 24 hours of freshness rather than failing the request."},
		{bot.Clarify, "First, does a play count, or must the listener finish the episode? Completion is what I would optimise, because plays reward catchy titles. " +
			"Then the split between followed shows and discovery of new shows, and how many requests per second the shelf gets. " +
			"New listeners have no history, so cold start needs a plan from day one.",
			" At 5,000 requests per second the shelf must answer within 100 ms, so a precomputed fallback list is the alternative if ranking times out."},
	} {
		plain := sc.Rubric(tt.step).Grade(rubric.Answer{Text: tt.plain})
		deep := sc.Rubric(tt.step).Grade(rubric.Answer{Text: tt.plain + tt.deep})
		if plain.Score < 0.45 || plain.Score > 0.8 {
			t.Errorf("step %v: plain answer scored %.2f (coverage %.2f, depth %.2f), want the middle 0.45..0.8: %q",
				tt.step, plain.Score, plain.Coverage, plain.Depth, evidence(plain))
		}
		if deep.Depth != 1 || deep.Score < plain.Score+0.1 {
			t.Errorf("step %v: with depth scored %.2f (depth %.2f) against %.2f without", tt.step, deep.Score, deep.Depth, plain.Score)
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
