package bot_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/rubric"
)

func concept(id string, weight float64, phrases ...string) rubric.Concept {
	return rubric.Concept{ID: id, Label: strings.ReplaceAll(id, "_", " "), Weight: weight, Phrases: phrases}
}

// testFramework is a small framework: few concepts per step so each test
// can work out the expected coverage by hand. Saturation 0.5.
func testFramework() *bot.Framework {
	return &bot.Framework{
		Saturation: 0.5,
		Steps: []bot.FrameworkStep{
			{Step: "clarify", Question: "What would you ask?", Concepts: []rubric.Concept{
				concept("business_goal", 1, "business goal", "kpi"),
				concept("scale", 1, "qps", "requests per second", "million users"),
				concept("latency", 1, "latency", "p99"),
			}},
			{Step: "frame", Question: "How do you frame it?", Concepts: []rubric.Concept{
				concept("ml_objective", 1, "predict the probability"),
				concept("io_spec", 1, "given * predict"),
				concept("labels", 1, "implicit feedback", "label"),
			}},
			{Step: "data", Question: "Which data?", Concepts: []rubric.Concept{
				concept("sources", 1, "logs", "event stream"),
				concept("feature_store", 1, "feature store"),
				concept("skew_leakage", 1, "training serving skew", "leakage"),
				concept("neg_sampling", 1, "negative sampling"),
			}},
			{Step: "model", Question: "Which model?", Concepts: []rubric.Concept{
				concept("baseline", 1, "baseline", "logistic regression"),
				concept("deep", 1, "two tower", "transformer"),
				concept("loss", 1, "cross entropy", "log loss"),
			}},
			{Step: "evaluation", Question: "How do you evaluate?", Concepts: []rubric.Concept{
				concept("ab_test", 1, "ab test"),
				concept("off_rank", 1, "ndcg", "recall at k"),
				concept("online", 1, "ctr", "conversion"),
			}},
			{Step: "deployment", Question: "How do you serve it?", Concepts: []rubric.Concept{
				concept("ann", 1, "approximate nearest neighbor", "hnsw"),
				concept("cache", 1, "cache"),
				concept("rollout", 1, "canary", "rollback"),
			}},
			{Step: "monitoring", Question: "How do you monitor it?", Concepts: []rubric.Concept{
				concept("data_drift", 1, "data drift", "drift"),
				concept("alerting", 1, "alert", "dashboard"),
				concept("retrain", 1, "retrain"),
			}},
		},
		WrapUp: bot.FrameworkWrapUp{
			Bottleneck: []rubric.Concept{concept("bottleneck_named", 1, "bottleneck"), concept("scale_out", 1, "shard")},
			Monitoring: []rubric.Concept{concept("drift_watch", 1, "drift")},
			Future:     []rubric.Concept{concept("exploration_next", 1, "exploration")},
		},
		ModelTerms:       []string{"transformer", "two tower", "xgboost", "neural network"},
		JumpDeclarations: []string{"go straight to the model", "requirements are clear"},
		Justification:    []string{"because", "so that", "trade off", "so", "which means"},
		Negations:        []string{"no", "not", "without", "don't", "doesn't", "never", "instead of", "rather than"},
		Dismissals:       []string{"not needed", "doesn't matter", "irrelevant"},
		RejectionsBefore: []string{"avoid", "unlike", "not", "never"},
		Rejections:       []string{"is not", "doesn't", "never", "leak", "useless", "misleading", "mistake", "inflate"},
	}
}

// testScenario adds one weight-2 case concept per step, a red flag in
// evaluation and a named hint in clarify.
func testScenario(t testing.TB) *bot.Scenario {
	t.Helper()
	return testScenarioWith(t, nil)
}

// testScenarioWith is testScenario with a change made before Prepare.
func testScenarioWith(t testing.TB, change func(*bot.Scenario)) *bot.Scenario {
	t.Helper()
	step := func(key, outline string, own ...rubric.Concept) bot.StepSpec {
		return bot.StepSpec{Step: key, Question: "Case question for " + key + "?", Concepts: own, Outline: outline}
	}
	coldStart := concept("cold_start", 2, "cold start", "new users")
	coldStart.Important = true
	coldStart.Study = "How do you serve users with no history?"
	sc := &bot.Scenario{
		ID: "toy-case", Title: "Toy case", Difficulty: bot.Medium, Prompt: "Design a toy.",
		Steps: []bot.StepSpec{
			step("clarify", "Ask about goal and scale.", coldStart),
			step("frame", "Predict a click.", concept("pairwise", 2, "pairwise")),
			step("data", "Logs and features.", concept("naive_bayes_prior", 2, "naïve bayes prior")),
			step("model", "Baseline, then trees.", concept("gbdt", 2, "gradient boosted trees")),
			step("evaluation", "NDCG and an A/B test.", concept("calibration", 2, "calibration")),
			step("deployment", "Cache and canary.", concept("geo_index", 2, "geo index")),
			step("monitoring", "Drift and alerts.", concept("seasonality", 2, "seasonality", "seasonal")),
		},
		WrapUp: bot.WrapUpSpec{
			Bottleneck: bot.WrapUpQuestion{Question: "What breaks first?", Concepts: []rubric.Concept{concept("index_rebuild", 2, "index rebuild")}, GoodAnswer: "The index rebuild."},
			Monitoring: bot.WrapUpQuestion{Question: "What do you watch?", Concepts: []rubric.Concept{concept("empty_results", 2, "empty results")}, GoodAnswer: "Empty results."},
			Future:     bot.WrapUpQuestion{Question: "What next?", Concepts: []rubric.Concept{concept("multimodal", 2, "multimodal")}, GoodAnswer: "Multimodal."},
		},
	}
	sc.Steps[4].RedFlags = []rubric.RedFlag{{ID: "accuracy", Label: "plain accuracy", Phrases: []string{"accuracy"}, Penalty: 0.2}}
	sc.Steps[3].RedFlags = []rubric.RedFlag{{ID: "fancy_first", Label: "fanciest model first", Phrases: []string{"the biggest model"}}}
	if change != nil {
		change(sc)
	}
	if err := sc.Prepare(testFramework()); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return sc
}

// pad is neutral prose: enough words and sentences to pass the length and
// keyword-list checks, no concept phrase and no reasoning cue.
const pad = " We would talk this through with the team first. It is worth writing the plan down in the design doc for everyone to read."

func evidence(g rubric.StepGrade) []string {
	var out []string
	for _, m := range g.Matches {
		out = append(out, fmt.Sprintf("%s=%s", m.Concept, m.Evidence))
	}
	return out
}

func missingIDs(g rubric.StepGrade) []string {
	var out []string
	for _, c := range g.Missing {
		out = append(out, c.ID)
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestGradeMatching(t *testing.T) {
	sc := testScenario(t)
	tests := []struct {
		name string
		step bot.StepID
		text string
		want []string // concept=evidence in order of appearance
	}{
		{"plural and case", bot.Data, "We keep Feature Stores and LOGS because it helps." + pad,
			[]string{"feature_store=Feature Stores", "sources=LOGS"}},
		{"slash means the same as no slash", bot.Evaluation, "Run an A/B testing round because it is honest." + pad,
			[]string{"ab_test=A/B testing"}},
		{"hyphen", bot.Evaluation, "An a-b test because it is honest." + pad,
			[]string{"ab_test=a-b test"}},
		{"split words", bot.Evaluation, "A b tests because it is honest." + pad,
			[]string{"ab_test=A b tests"}},
		{"unicode accents quotes and dashes", bot.Data, "A “naive bayes” prior—or the naïve-Bayes prior—helps because of leakage." + pad,
			[]string{"naive_bayes_prior=naive bayes” prior", "skew_leakage=leakage"}},
		{"unicode phrase", bot.Data, "Use a Naïve Bayes prior because it is cheap." + pad,
			[]string{"naive_bayes_prior=Naïve Bayes prior"}},
		{"decomposed accent", bot.Data, "Use a Nai\u0308ve Bayes priors because it is cheap." + pad,
			[]string{"naive_bayes_prior=Nai\u0308ve Bayes priors"}},
		{"full-width", bot.Clarify, "Ｌａｔｅｎｃｙ matters because users wait." + pad,
			[]string{"latency=Ｌａｔｅｎｃｙ"}},
		{"word boundaries", bot.Clarify, "Qpsx and kpis-like numbers, latencyish, because." + pad,
			[]string{"business_goal=kpis"}},
		{"each concept once, first mention", bot.Clarify, "Latency first. Then p99 latency again, because." + pad,
			[]string{"latency=Latency"}},
		{"negation within three tokens", bot.Data, "We do not need a feature store because it is small." + pad,
			nil},
		{"negation further away", bot.Data, "No, we really would want the feature store because of skew." + pad,
			[]string{"feature_store=feature store"}},
		{"negation stops at a comma", bot.Data, "Without doubt, logs matter because they are cheap." + pad,
			[]string{"sources=logs"}},
		{"negation four tokens back", bot.Data, "We never once really used logs because of cost." + pad,
			[]string{"sources=logs"}},
		{"curly apostrophe negation", bot.Data, "We don’t need logs because of cost." + pad,
			nil},
		{"not only is not a negation", bot.Clarify, "Not only latency but also the business goal, because." + pad,
			[]string{"latency=latency", "business_goal=business goal"}},
		{"later mention counts when the first is negated", bot.Data, "No logs at first. Later logs arrive, because." + pad,
			[]string{"sources=logs"}},
		{"wildcard", bot.Frame, "Given a user and an item, we predict a click because." + pad,
			[]string{"io_spec=Given a user and an item, we predict"}},
		{"wildcard does not cross sentences", bot.Frame, "Given a user. We predict a click because." + pad,
			nil},
		{"phrase does not cross a comma", bot.Data, "Feature, store it because." + pad,
			nil},
		{"stemmed phrase", bot.Deployment, "Caching everything in a geo-indexes layer because." + pad,
			[]string{"cache=Caching", "geo_index=geo-indexes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := sc.Rubric(tt.step).Grade(rubric.Answer{Text: tt.text})
			if got := evidence(g); !slices.Equal(got, tt.want) {
				t.Errorf("Grade(%q) matches = %q, want %q", tt.text, got, tt.want)
			}
			for _, m := range g.Matches {
				if tt.text[m.Offset:m.Offset+len(m.Evidence)] != m.Evidence {
					t.Errorf("evidence %q not at offset %d", m.Evidence, m.Offset)
				}
			}
		})
	}
}

func TestGradeScoring(t *testing.T) {
	// Clarify weighs 2 (cold_start) + 1 + 1 + 1 = 5, so full coverage comes
	// at 2.5 (saturation 0.5) and latency alone is 1/2.5 = 0.4. The test
	// framework lists no trade-off or failure cues, so depth is 0 unless an
	// answer has a figure, and a step keeps 1 − DepthShare of its
	// curved coverage.
	shape := func(cov, depth float64) float64 {
		return math.Pow(cov, rubric.CoverageCurve) * (1 - rubric.DepthShare + rubric.DepthShare*depth)
	}
	sc := testScenario(t)
	long := "Latency and the business goal matter because users leave, and cold start too." + pad
	tests := []struct {
		name string
		step bot.StepID
		a    rubric.Answer
		want rubric.StepGrade // only the scalar fields are compared
	}{
		{"full coverage", bot.Clarify, rubric.Answer{Text: long},
			rubric.StepGrade{Coverage: 1, Score: shape(1, 0), Words: 37}},
		{"full coverage with a figure", bot.Clarify, rubric.Answer{Text: long + " Latency must stay under 100 ms."},
			rubric.StepGrade{Coverage: 1, Score: shape(1, 1.0/3), Words: 43}},
		{"partial coverage", bot.Clarify, rubric.Answer{Text: "Latency matters because users leave." + pad},
			rubric.StepGrade{Coverage: 0.4, Score: shape(0.4, 0), Words: 29}},
		{"no reasoning cue", bot.Clarify, rubric.Answer{Text: "Latency matters to users." + pad},
			rubric.StepGrade{Coverage: 0.4, Score: shape(0.4, 0) - 0.05, Words: 28, NoJustification: true}},
		{"too short scales down", bot.Clarify, rubric.Answer{Text: "Latency and cold start, because users wait."},
			rubric.StepGrade{Coverage: 1, Score: shape(1, 0) * 7 / 25, Words: 7, TooShort: true}},
		{"empty", bot.Clarify, rubric.Answer{},
			rubric.StepGrade{TooShort: true}},
		{"nudge costs 0.05", bot.Clarify, rubric.Answer{Text: long, Hints: 1},
			rubric.StepGrade{Coverage: 1, Score: shape(1, 0) - 0.05, Words: 37, HintPenalty: 0.05}},
		{"named hint caps the concept at half", bot.Clarify, rubric.Answer{Text: "Cold start matters because users leave." + pad, Hints: 2, Named: []string{"cold_start"}},
			rubric.StepGrade{Coverage: 0.4, Score: shape(0.4, 0) - 0.15, Words: 30, HintPenalty: 0.15}},
		{"named hint on a missed concept", bot.Clarify, rubric.Answer{Text: "Latency matters because users leave." + pad, Hints: 1, Named: []string{"cold_start"}},
			rubric.StepGrade{Coverage: 0.4, Score: shape(0.4, 0) - 0.1, Words: 29, HintPenalty: 0.1}},
		{"red flag costs its penalty", bot.Evaluation, rubric.Answer{Text: "Calibration matters, because money. We report accuracy." + pad},
			rubric.StepGrade{Coverage: 2.0 / 2.5, Score: shape(0.8, 0) - 0.2, Words: 31, FlagPenalty: 0.2}},
		{"a flagged sentence earns nothing", bot.Evaluation, rubric.Answer{Text: "Calibration and accuracy, because money." + pad},
			rubric.StepGrade{Coverage: 0, Score: 0, Words: 29, FlagPenalty: 0.2}},
		{"negated red flag is not raised", bot.Evaluation, rubric.Answer{Text: "Calibration, not accuracy, because money." + pad},
			rubric.StepGrade{Coverage: 0.8, Score: shape(0.8, 0), Words: 29}},
		{"default red flag penalty", bot.Model, rubric.Answer{Text: "Start with the biggest model because it wins." + pad},
			rubric.StepGrade{Score: 0, Words: 32, FlagPenalty: rubric.DefaultFlagPenalty}},
		{"keyword list is capped", bot.Clarify, rubric.Answer{Text: "latency, kpi, business goal, qps, cold start, new users, requests per second, million users, scale"},
			// 15 words: length scale 0.6, then −0.05 for no reasoning; the
			// 0.6 cap is above that. "million" is a figure: a third of depth.
			rubric.StepGrade{Coverage: 1, Score: shape(1, 1.0/3)*15/25 - 0.05, Words: 15, TooShort: true, KeywordList: true, NoJustification: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := sc.Rubric(tt.step).Grade(tt.a)
			w := tt.want
			if !near(g.Coverage, w.Coverage) || !near(g.Score, w.Score) || g.Words != w.Words ||
				g.TooShort != w.TooShort || g.KeywordList != w.KeywordList || g.NoJustification != w.NoJustification ||
				!near(g.HintPenalty, w.HintPenalty) || !near(g.FlagPenalty, w.FlagPenalty) {
				t.Errorf("Grade(%q) =\n cov %.4f score %.4f words %d short %v kw %v nojust %v hint %.2f flag %.2f\nwant\n cov %.4f score %.4f words %d short %v kw %v nojust %v hint %.2f flag %.2f\nmatches %q",
					tt.a.Text, g.Coverage, g.Score, g.Words, g.TooShort, g.KeywordList, g.NoJustification, g.HintPenalty, g.FlagPenalty,
					w.Coverage, w.Score, w.Words, w.TooShort, w.KeywordList, w.NoJustification, w.HintPenalty, w.FlagPenalty, evidence(g))
			}
		})
	}
}

func TestGradeNamedHintCredit(t *testing.T) {
	sc := testScenario(t)
	g := sc.Rubric(bot.Clarify).Grade(rubric.Answer{Text: "Cold start and latency, because." + pad, Hints: 2, Named: []string{"cold_start"}})
	for _, m := range g.Matches {
		want := 1.0
		if m.Concept == "cold_start" {
			want = rubric.NamedHintCredit
		}
		if m.Credit != want {
			t.Errorf("credit of %s = %v, want %v", m.Concept, m.Credit, want)
		}
	}
}

func TestGradeMissingByWeight(t *testing.T) {
	sc := testScenario(t)
	g := sc.Rubric(bot.Data).Grade(rubric.Answer{Text: "Logs, because." + pad})
	want := []string{"naive_bayes_prior", "feature_store", "skew_leakage", "neg_sampling"}
	if got := missingIDs(g); !slices.Equal(got, want) {
		t.Errorf("Missing = %q, want %q", got, want)
	}
}

func TestGradeRedFlagsListed(t *testing.T) {
	sc := testScenario(t)
	g := sc.Rubric(bot.Evaluation).Grade(rubric.Answer{Text: "Accuracy. Accuracy again." + pad})
	if len(g.RedFlags) != 1 || g.RedFlags[0].ID != "accuracy" {
		t.Fatalf("RedFlags = %+v, want the accuracy flag once", g.RedFlags)
	}
}

// A keyword dump never beats a prose answer that covers the same ground.
func TestKeywordListNeverBeatsProse(t *testing.T) {
	sc := testScenario(t)
	r := sc.Rubric(bot.Clarify)
	dump := r.Grade(rubric.Answer{Text: strings.Repeat("latency p99 kpi business goal qps cold start new users million users. ", 4)})
	prose := r.Grade(rubric.Answer{Text: "I would ask about the business goal first, because it decides the labels. " +
		"Then the scale, say requests per second at peak, and the latency budget at p99. " +
		"New users matter too, so cold start needs a plan from day one."})
	if !dump.KeywordList {
		t.Errorf("dump not flagged as a keyword list: %+v", dump)
	}
	if prose.KeywordList || prose.Score <= dump.Score {
		t.Errorf("prose score %.2f (keyword list %v) should beat dump %.2f", prose.Score, prose.KeywordList, dump.Score)
	}
}

func TestWrapUpRubricsMerged(t *testing.T) {
	sc := testScenario(t)
	for part, want := range [][]string{
		{"index_rebuild", "bottleneck_named", "scale_out"},
		{"empty_results", "drift_watch"},
		{"multimodal", "exploration_next"},
	} {
		r := sc.WrapUpRubric(part)
		if r == nil {
			t.Fatalf("WrapUpRubric(%d) = nil", part)
		}
		var got []string
		for _, c := range r.Concepts {
			got = append(got, c.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("WrapUpRubric(%d) concepts = %q, want %q", part, got, want)
		}
	}
	if sc.WrapUpRubric(3) != nil || sc.WrapUpRubric(-1) != nil {
		t.Error("WrapUpRubric out of range should be nil")
	}
}

func TestPrepareOverrideAndQuestion(t *testing.T) {
	fw := testFramework()
	sc := testScenario(t)
	sc.Steps[0].Question = ""
	sc.Steps[0].Concepts = append(sc.Steps[0].Concepts, rubric.Concept{
		ID: "latency", Label: "Sub-second search", Weight: 3, Phrases: []string{"sub second"}, Override: true,
	})
	if err := sc.Prepare(fw); err != nil {
		t.Fatal(err)
	}
	if q := sc.Spec(bot.Clarify).Question; q != "What would you ask?" {
		t.Errorf("empty question not filled from the framework: %q", q)
	}
	r := sc.Rubric(bot.Clarify)
	var ids []string
	for _, c := range r.Concepts {
		ids = append(ids, c.ID)
	}
	if want := []string{"cold_start", "latency", "business_goal", "scale"}; !slices.Equal(ids, want) {
		t.Errorf("merged concepts = %q, want %q", ids, want)
	}
	g := r.Grade(rubric.Answer{Text: "Sub-second answers and p99 targets, because users wait." + pad})
	if got := evidence(g); !slices.Equal(got, []string{"latency=Sub-second"}) {
		t.Errorf("override not used: %q", got)
	}
	if sc.Rubric(bot.WrapUp) != nil || sc.Rubric(0) != nil {
		t.Error("Rubric outside 1..7 should be nil")
	}
}

func TestPrepareErrors(t *testing.T) {
	fw := testFramework()
	sc := testScenario(t)
	sc.Steps = sc.Steps[:6]
	sc.Steps[1].Concepts = append(sc.Steps[1].Concepts, rubric.Concept{ID: "x", Weight: 0, Phrases: []string{"--"}})
	err := sc.Prepare(fw)
	if err == nil {
		t.Fatal("Prepare accepted a broken scenario")
	}
	for _, want := range []string{"step monitoring: missing", `concept "x": weight must be positive`, `phrase "--" can never match`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Prepare error %q lacks %q", err, want)
		}
	}
	if err := sc.Prepare(nil); err == nil {
		t.Error("Prepare(nil) succeeded")
	}
}

func TestGradeUnprepared(t *testing.T) {
	var r *rubric.Rubric
	if g := r.Grade(rubric.Answer{Text: "anything"}); g.Score != 0 {
		t.Errorf("nil rubric scored %v", g.Score)
	}
	r = &rubric.Rubric{Concepts: []rubric.Concept{concept("a", 1, "a"), concept("b", 2, "b")}}
	g := r.Grade(rubric.Answer{Text: "a b"})
	if g.Score != 0 || len(g.Missing) != 2 || g.Missing[0].ID != "b" {
		t.Errorf("unprepared rubric grade = %+v", g)
	}
}

func FuzzGrade(f *testing.F) {
	sc, overlap := testScenario(f), overlapScenario(f)
	for _, s := range []string{
		"", "latency", "not latency", "A/B testing, given a user we predict", "Naïve Bayes prior",
		"no no no logs logs", "\xff\xfe latency \xc3", "given * predict", strings.Repeat("kpi ", 50),
		"accuracy is not useless, not wrong", "latency is not needed", "50 ms or so, so", "not only accuracy leaks",
		"given a label we predict the probability", "index rebuild, shard", "triplet loss siamese feature store user embedding",
		"there's no real need to benchmark against the rules", "comparing against the old system isn't really necessary",
		"it would be a mistake to skip the baseline", "stock is synced nightly", "no need to no need to monitoring",
	} {
		f.Add(s, 0, "")
	}
	f.Fuzz(func(t *testing.T, text string, hints int, named string) {
		hints = max(0, min(hints, 2))
		a := rubric.Answer{Text: text, Hints: hints}
		if named != "" {
			a.Named = []string{named}
		}
		rubrics := []*rubric.Rubric{sc.WrapUpRubric(0), sc.WrapUpRubric(1), sc.WrapUpRubric(2)}
		for step := bot.Clarify; step <= bot.Monitoring; step++ {
			rubrics = append(rubrics, sc.Rubric(step), overlap.Rubric(step))
		}
		for step, r := range rubrics {
			g := r.Grade(a)
			if g.Score < 0 || g.Score > 1 || math.IsNaN(g.Score) || g.Coverage < 0 || g.Coverage > 1 {
				t.Fatalf("step %v: score %v coverage %v out of bounds", step, g.Score, g.Coverage)
			}
			if g.Score > g.Coverage+1e-9 {
				t.Fatalf("step %v: score %v above coverage %v", step, g.Score, g.Coverage)
			}
			if len(g.Matches)+len(g.Missing) != len(r.Concepts) {
				t.Fatalf("step %v: %d matches + %d missing != %d concepts", step, len(g.Matches), len(g.Missing), len(r.Concepts))
			}
			// The same words never credit two concepts.
			spans := map[[2]int]string{}
			for _, m := range g.Matches {
				k := [2]int{m.Offset, len(m.Evidence)}
				if other, ok := spans[k]; ok {
					t.Fatalf("step %v: %q credits both %s and %s", step, m.Evidence, other, m.Concept)
				}
				spans[k] = m.Concept
			}
			seen := map[string]bool{}
			for _, m := range g.Matches {
				if seen[m.Concept] {
					t.Fatalf("concept %s credited twice", m.Concept)
				}
				seen[m.Concept] = true
				if m.Offset < 0 || m.Offset+len(m.Evidence) > len(text) || text[m.Offset:m.Offset+len(m.Evidence)] != m.Evidence || m.Evidence == "" {
					t.Fatalf("evidence %q not at offset %d of %q", m.Evidence, m.Offset, text)
				}
			}
			if again := r.Grade(a); again.Score != g.Score || len(again.Matches) != len(g.Matches) {
				t.Fatalf("Grade is not deterministic")
			}
		}
	})
}

// A phrase that starts with a negation is a mention in its own right:
// "no leakage" credits a leakage concept that lists it.
func TestNegatedFormPhrase(t *testing.T) {
	fw := testFramework()
	fw.Steps[2].Concepts[2].Phrases = append(fw.Steps[2].Concepts[2].Phrases, "no leakage", "without * skew")
	sc := testScenario(t)
	if err := sc.Prepare(fw); err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string][]string{
		"Features are computed at impression time so there is no leakage." + pad:         {"skew_leakage=no leakage"},
		"We serve the same code path, without any training/serving skew, because." + pad: {"skew_leakage=without any training/serving skew"},
		"We do not worry about leakage here." + pad:                                      nil,
	} {
		if got := evidence(sc.Rubric(bot.Data).Grade(rubric.Answer{Text: text})); !slices.Equal(got, want) {
			t.Errorf("Grade(%q) = %q, want %q", text, got, want)
		}
	}
}
