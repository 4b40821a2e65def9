package bot_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/rubric"
)

// strongAnswers cover every step of the test scenario fully, with reasons.
var strongAnswers = [bot.WrapUp]string{
	bot.Clarify:    "First the business goal and the kpi, because that decides labels. Then scale in requests per second and the p99 latency. Cold start for new users matters too, so we plan for it.",
	bot.Frame:      "Given a user and an item, we predict the probability of a click, because clicks are logged. Pairwise training fits, since the label comes from implicit feedback.",
	bot.Data:       "Logs from the event stream feed a feature store, so training and serving agree and we avoid training serving skew. We use negative sampling and a naive Bayes prior because positives are rare.",
	bot.Model:      "Start with a logistic regression baseline, then gradient boosted trees with log loss, because trees handle our tabular features. A two tower model comes later if the baseline stalls.",
	bot.Evaluation: "Offline we track NDCG and calibration because the scores feed pricing. Online we run an A/B test on CTR and conversion, so we see real value before launch.",
	bot.Deployment: "We serve from a geo index and an HNSW approximate nearest neighbor index, cache the user features, and ship with a canary and a rollback switch so bad models never reach everyone.",
	bot.Monitoring: "We watch data drift and seasonality on a dashboard, alert on drops because silent failures are costly, and retrain weekly so the model keeps up with new events.",
}

var strongWrap = [3]string{
	"The index rebuild is the bottleneck, so we would shard it by region and build it offline on a schedule each night.",
	"Empty results and drift on the query side, because both show silent failures early to the team on call.",
	"Exploration for new items and a multimodal model, because text alone misses what the images say about them.",
}

func session(answers [bot.WrapUp]string, wrap [3]string) *bot.Session {
	s := &bot.Session{ID: "s1", ScenarioID: "toy-case", Mode: bot.Mock}
	for step := bot.Clarify; step <= bot.Monitoring; step++ {
		s.Answers[step] = bot.StepAnswer{Text: answers[step]}
	}
	for i, w := range wrap {
		s.Wrap[i] = bot.StepAnswer{Text: w}
	}
	return s
}

func pitfallIDs(r bot.Report) []string {
	var out []string
	for _, p := range r.Pitfalls {
		out = append(out, p.ID)
	}
	return out
}

func TestEvaluateStrong(t *testing.T) {
	sc := testScenario(t)
	rep := bot.Evaluate(sc, session(strongAnswers, strongWrap))
	for _, sr := range rep.Steps {
		// Complete, but no trade-offs or failure modes: 1 − DepthShare.
		if sr.Score < 1-rubric.DepthShare-1e-9 {
			t.Errorf("step %v scored %.2f, want ≥ %.2f (matches %v, notes %v)", sr.Step, sr.Score, 1-rubric.DepthShare, sr.Matches, sr.Notes)
		}
	}
	if len(rep.Pitfalls) != 0 {
		t.Errorf("pitfalls = %+v, want none", rep.Pitfalls)
	}
	if rep.Score < 80 || rep.Score > 100 || rep.Band != bot.BandStrongHire {
		t.Errorf("Score = %d (%s), want 80..100, %s", rep.Score, rep.Band, bot.BandStrongHire)
	}
	if rep.WrapUpBonus < 7.5 || rep.WrapUpBonus > bot.MaxWrapUpBonus {
		t.Errorf("WrapUpBonus = %.2f, want 7.5..10", rep.WrapUpBonus)
	}
	if want := float64(rep.Score) * 1.25; rep.Points != want {
		t.Errorf("Points = %v, want %v (medium ×1.25)", rep.Points, want)
	}
	if len(rep.Steps) != bot.Steps || rep.Steps[2].Title != "Data & features" || rep.Steps[2].Max != 20 {
		t.Errorf("steps = %+v", rep.Steps)
	}
	if len(rep.Strengths) == 0 || len(rep.Strengths) > 5 {
		t.Fatalf("Strengths = %+v, want 1..5", rep.Strengths)
	}
	for _, m := range rep.Strengths {
		found := false
		for step := bot.Clarify; step <= bot.Monitoring; step++ {
			a := strongAnswers[step]
			if m.Offset+len(m.Evidence) <= len(a) && a[m.Offset:m.Offset+len(m.Evidence)] == m.Evidence {
				found = true
			}
		}
		if !found || len(strings.Fields(m.Evidence)) < 3 {
			t.Errorf("strength %q is not a quoted clause of an answer", m.Evidence)
		}
	}
	if len(rep.Outline) != 10 || rep.Outline[0].Title != "Step 1 — Clarify requirements" || rep.Outline[9].Title != "Wrap-up — Future improvements" {
		t.Errorf("Outline = %+v", rep.Outline)
	}
	if rep.ScenarioTitle != "Toy case" || rep.Difficulty != bot.Medium || rep.SessionID != "s1" {
		t.Errorf("report header = %+v", rep)
	}
}

// The total follows the documented formula exactly.
func TestEvaluateFormula(t *testing.T) {
	sc := testScenario(t)
	s := session(strongAnswers, [3]string{strongWrap[0], "", ""})
	s.Answers[bot.Model] = bot.StepAnswer{Text: "A logistic regression baseline first." + pad, Hints: 2, Named: []string{"gbdt"}}
	rep := bot.Evaluate(sc, s)
	base := 0.0
	for _, sr := range rep.Steps {
		want := sc.Rubric(sr.Step).Grade(rubric.Answer{Text: s.Answers[sr.Step].Text, Hints: s.Answers[sr.Step].Hints, Named: s.Answers[sr.Step].Named}).Score
		if !near(sr.Score, want) || !near(sr.Points, want*100*sr.Step.Weight()) {
			t.Errorf("step %v: score %v points %v, want %v and %v", sr.Step, sr.Score, sr.Points, want, want*100*sr.Step.Weight())
		}
		base += sr.Points
	}
	wrap0 := sc.WrapUpRubric(0).Grade(rubric.Answer{Text: strongWrap[0]}).Score
	if !near(rep.WrapUpBonus, 10*wrap0/3) {
		t.Errorf("WrapUpBonus = %v, want %v", rep.WrapUpBonus, 10*wrap0/3)
	}
	want := int(math.Round(base + rep.WrapUpBonus - 5*float64(len(rep.Pitfalls))))
	if rep.Score != want {
		t.Errorf("Score = %d, want %d", rep.Score, want)
	}
	if rep.HintsUsed != 2 || rep.Steps[3].Hints != 2 {
		t.Errorf("HintsUsed = %d", rep.HintsUsed)
	}
	if notes := rep.Steps[3].Notes; !slices.ContainsFunc(notes, func(n string) bool { return strings.HasPrefix(n, "hints used") }) {
		t.Errorf("model notes = %q, want a hint note", notes)
	}
	if !slices.Contains(rep.WrapUp.Notes, "monitoring follow-up: no answer") {
		t.Errorf("wrap-up notes = %q", rep.WrapUp.Notes)
	}
}

func TestEvaluatePitfalls(t *testing.T) {
	sc := testScenario(t)
	tests := []struct {
		name   string
		edit   func(s *bot.Session)
		want   []string
		detail string
	}{
		{"none", func(*bot.Session) {}, nil, ""},
		{"model named first in step 1", func(s *bot.Session) {
			s.Answers[bot.Clarify].Text = "I would train a transformer on it. Then I'd check the business goal and latency because they matter." + pad
		}, []string{bot.PitfallJumpedToModel}, `Step 1 named "transformer"`},
		{"model after a requirement is fine", func(s *bot.Session) {
			s.Answers[bot.Clarify].Text = "The business goal first, then maybe a transformer, because latency matters." + pad
		}, nil, ""},
		{"negated model term is fine", func(s *bot.Session) {
			s.Answers[bot.Clarify].Text = "Not a transformer yet. The business goal and latency come first, because they decide everything." + pad
		}, nil, ""},
		{"requirement inside the model's noun phrase is not before it", func(s *bot.Session) {
			s.Answers[bot.Clarify].Text = "I would fine-tune a cold-start two-tower model, then ask about latency because it matters." + pad
		}, []string{bot.PitfallJumpedToModel}, `Step 1 named "two-tower"`},
		{"data word inside the model's noun phrase", func(s *bot.Session) {
			s.Answers[bot.Clarify].Text = "An event stream transformer first. The business goal, because it decides the labels." + pad
		}, []string{bot.PitfallJumpedToModel}, `Step 1 named "transformer"`},
		{"requirement after the model does not help", func(s *bot.Session) {
			s.Answers[bot.Clarify].Text = "A two tower model for cold start and latency, because they matter." + pad
		}, []string{bot.PitfallJumpedToModel}, `Step 1 named "two tower"`},
		{"function word between: a requirement of its own", func(s *bot.Session) {
			s.Answers[bot.Clarify].Text = "Cold start with a two tower model later, because latency matters." + pad
		}, nil, ""},
		{"three words between: a requirement of its own", func(s *bot.Session) {
			s.Answers[bot.Clarify].Text = "Cold start users deserve proper two tower treatment, because latency matters." + pad
		}, nil, ""},
		{"comma between: a requirement of its own", func(s *bot.Session) {
			s.Answers[bot.Clarify].Text = "Latency, transformer or not, decides it because users wait." + pad
		}, nil, ""},
		{"dismissed model term is fine", func(s *bot.Session) {
			s.Answers[bot.Clarify].Text = "A transformer is not needed yet. The business goal and latency first, because they decide everything." + pad
		}, nil, ""},
		{"declared jump after requirement words", func(s *bot.Session) {
			s.Answers[bot.Clarify].Text = "The latency and the business goal seem clear, so the requirements are clear and I'd go straight to the model: a two tower network, because it scales." + pad
		}, []string{bot.PitfallJumpedToModel}, `set the requirements aside`},
		{"a negated declaration is fine", func(s *bot.Session) {
			s.Answers[bot.Clarify].Text = "I would not go straight to the model: the business goal and latency first, because they decide whether a two tower model fits." + pad
		}, nil, ""},
		{"step 2 model with no requirement in step 1", func(s *bot.Session) {
			s.Answers[bot.Clarify] = bot.StepAnswer{Skipped: true}
			s.Answers[bot.Frame].Text = "A Two-Tower network, given a user we predict a click, because it scales." + pad
		}, []string{bot.PitfallJumpedToModel}, `Step 2 named "Two-Tower"`},
		{"step 2 model after a data concept", func(s *bot.Session) {
			s.Answers[bot.Clarify] = bot.StepAnswer{Skipped: true}
			s.Answers[bot.Frame].Text = "From the logs, a two tower model, given a user we predict a click, because." + pad
		}, nil, ""},
		{"ignored the data pipeline", func(s *bot.Session) {
			s.Answers[bot.Data] = bot.StepAnswer{Skipped: true}
		}, []string{bot.PitfallIgnoredData}, "Data & features covered 0%"},
		{"thin data answer", func(s *bot.Session) {
			s.Answers[bot.Data].Text = "We would look at the data and clean it up, because quality matters." + pad
		}, []string{bot.PitfallIgnoredData}, "under 35%"},
		{"a long data answer in other words is not ignored", func(s *bot.Session) {
			s.Answers[bot.Data].Text = "The training examples come from the logs, because that is where the clicks are." +
				strings.Repeat(" Every record the shop keeps about what people looked at and bought goes into one table, checked and joined by day.", 7) + pad
		}, nil, ""},
		{"overlooked deployment and monitoring", func(s *bot.Session) {
			s.Answers[bot.Deployment].Text = ""
			s.Answers[bot.Monitoring].Text = "We would look at it now and then because things change." + pad
		}, []string{bot.PitfallOverlookedDeployMon}, "Deployment and monitoring averaged 0%"},
		{"one of the two strong is enough", func(s *bot.Session) {
			s.Answers[bot.Monitoring] = bot.StepAnswer{Skipped: true}
		}, nil, ""},
		{"all three", func(s *bot.Session) {
			s.Answers[bot.Clarify].Text = "XGBoost, obviously." + pad
			s.Answers[bot.Data] = bot.StepAnswer{Skipped: true}
			s.Answers[bot.Deployment] = bot.StepAnswer{Skipped: true}
			s.Answers[bot.Monitoring] = bot.StepAnswer{Skipped: true}
		}, []string{bot.PitfallJumpedToModel, bot.PitfallIgnoredData, bot.PitfallOverlookedDeployMon}, "Jumped"},
	}
	// No wrap-up, so the clean total stays under the 100 clamp.
	clean := bot.Evaluate(sc, session(strongAnswers, [3]string{}))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := session(strongAnswers, [3]string{})
			tt.edit(s)
			rep := bot.Evaluate(sc, s)
			if got := pitfallIDs(rep); !slices.Equal(got, tt.want) {
				t.Fatalf("pitfalls = %q, want %q (%+v)", got, tt.want, rep.Pitfalls)
			}
			var text []string
			for _, p := range rep.Pitfalls {
				want := bot.PitfallPenalty
				if p.ID == bot.PitfallJumpedToModel {
					want = bot.JumpPenalty
				}
				if p.Penalty != want || p.Name == "" || p.Detail == "" {
					t.Errorf("pitfall %+v lacks name, detail or −%d", p, want)
				}
				text = append(text, p.Name+": "+p.Detail)
			}
			if !strings.Contains(strings.Join(text, "\n"), tt.detail) {
				t.Errorf("pitfall text %q lacks %q", text, tt.detail)
			}
			if len(tt.want) > 0 && rep.Score >= clean.Score {
				t.Errorf("score with pitfalls %d not below clean %d", rep.Score, clean.Score)
			}
		})
	}
}

func TestEvaluateSkippedAndGaps(t *testing.T) {
	sc := testScenario(t)
	s := session(strongAnswers, strongWrap)
	s.Answers[bot.Clarify] = bot.StepAnswer{Skipped: true, Text: "ignored when skipped: business goal kpi latency"}
	s.Answers[bot.Evaluation] = bot.StepAnswer{Text: "   "}
	rep := bot.Evaluate(sc, s)
	c := rep.Steps[0]
	if c.Score != 0 || !c.Skipped || len(c.Matches) != 0 || !slices.Equal(c.Notes, []string{"skipped"}) {
		t.Errorf("skipped step report = %+v", c)
	}
	if want := []string{"cold start", "business goal", "scale", "latency"}; !slices.Equal(c.Missing, want) {
		t.Errorf("skipped step Missing = %q, want %q", c.Missing, want)
	}
	if e := rep.Steps[4]; e.Score != 0 || !slices.Equal(e.Notes, []string{"no answer"}) {
		t.Errorf("empty step report = %+v", e)
	}
	// Gaps: the important concept's own study question first, then
	// "What about <label>?" for the rest.
	if len(rep.Gaps) < 3 || rep.Gaps[0] != "How do you serve users with no history?" || rep.Gaps[1] != "What about business goal?" {
		t.Errorf("Gaps = %q", rep.Gaps)
	}
	if len(rep.Gaps) > 8 {
		t.Errorf("%d gaps, want at most 8", len(rep.Gaps))
	}
}

func TestStepGradeNotes(t *testing.T) {
	g := rubric.StepGrade{MinWords: rubric.MinWords, Words: 12, TooShort: true, KeywordList: true, NoJustification: true, HintPenalty: 0.15, FlagPenalty: 0.1}
	want := []string{
		"too short (12 words; aim for 25+)", "reads like a keyword list (capped at 60%)",
		"no reasoning cue: say why, not just what (−5%)", "hints used (−15%)", "red flags (−10%)",
	}
	if got := g.Notes(); !slices.Equal(got, want) {
		t.Errorf("Notes() = %q, want %q", got, want)
	}
	g = rubric.StepGrade{MinWords: rubric.MinWrapUpWords, Words: 3, TooShort: true}
	if got := g.Notes(); !slices.Equal(got, []string{"too short (3 words; aim for 15+)"}) {
		t.Errorf("wrap-up Notes() = %q", got)
	}
}

func TestStudyQuestion(t *testing.T) {
	for _, tt := range []struct {
		c    rubric.Concept
		want string
	}{
		{rubric.Concept{Label: "Latency target"}, "What about latency target?"},
		{rubric.Concept{Label: "ANN index"}, "What about ANN index?"},
		{rubric.Concept{Label: "x", Study: " Why now? "}, "Why now?"},
	} {
		if got := tt.c.StudyQuestion(); got != tt.want {
			t.Errorf("StudyQuestion(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}

// A strength is never quoted from a sentence that raised a red flag or
// dismissed a concept, even when that sentence named a heavier concept.
func TestStrengthsSkipFlaggedAndDismissedSentences(t *testing.T) {
	sc := testScenario(t)
	s := &bot.Session{ID: "s"}
	s.Answers[bot.Evaluation] = bot.StepAnswer{Text: "Calibration and accuracy are what I report, because money. " +
		"NDCG offline and an A/B test on CTR online, because users decide."}
	s.Answers[bot.Data] = bot.StepAnswer{Text: "Negative sampling doesn't matter here. " +
		"Logs from the event stream feed a feature store, because training and serving must agree, with no leakage and a naive Bayes prior."}
	rep := bot.Evaluate(sc, s)
	for _, m := range rep.Strengths {
		if strings.Contains(m.Evidence, "accuracy") || strings.Contains(m.Evidence, "doesn't matter") {
			t.Errorf("strength quotes a flagged or dismissed sentence: %q", m.Evidence)
		}
	}
	if len(rep.Steps[bot.Evaluation-1].Flags) != 1 || rep.Steps[bot.Evaluation-1].Flags[0].Evidence != "accuracy" {
		t.Errorf("evaluation flags = %+v, want the accuracy flag with its words", rep.Steps[bot.Evaluation-1].Flags)
	}
	if len(rep.Strengths) == 0 {
		t.Error("no strengths at all: the clean sentences should yield some")
	}
}
