package bot_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/rubric"
)

// Red flags: a negation or rejection just before the phrase, or a
// rejection after it in its clause, means the candidate names the mistake
// to reject it; a plain endorsement is still flagged.
func TestGradeRedFlagRejection(t *testing.T) {
	sc := testScenario(t)
	tests := []struct {
		name string
		step bot.StepID
		text string
		flag bool
	}{
		{"plain endorsement", bot.Evaluation, "We'll measure accuracy on the holdout.", true},
		{"endorsement with a reason", bot.Evaluation, "We report accuracy because it is not hard to explain.", true},
		{"endorsement, then another statement", bot.Evaluation, "We report accuracy but the team is not sure yet.", true},
		{"rejection after a comma is another clause", bot.Evaluation, "We report accuracy, not calibration.", true},
		{"a bare not after the phrase contrasts", bot.Evaluation, "We report accuracy not calibration.", true},
		{"avoid after the phrase is about something else", bot.Evaluation, "We report accuracy and avoid exotic metrics.", true},
		{"negation just before", bot.Evaluation, "We must not use accuracy here.", false},
		{"instead of", bot.Evaluation, "Calibration instead of plain accuracy.", false},
		{"rather than", bot.Evaluation, "Calibration rather than accuracy.", false},
		{"rejection just before", bot.Evaluation, "We avoid accuracy on a rare class.", false},
		{"unlike", bot.Evaluation, "Unlike accuracy, calibration shows the cost.", false},
		{"rejection after", bot.Evaluation, "Accuracy is useless here.", false},
		{"rejection verb after", bot.Evaluation, "Accuracy would inflate the results.", false},
		{"stemmed rejection after", bot.Evaluation, "Accuracy inflated every number we saw.", false},
		{"multi-word rejection after", bot.Evaluation, "Accuracy would be a big mistake.", false},
		{"negation after rejects", bot.Evaluation, "Accuracy is not informative on rare positives.", false},
		{"negated rejection endorses", bot.Evaluation, "Accuracy is not misleading here.", true},
		{"negated rejection endorses, other negation", bot.Evaluation, "Accuracy doesn't leak anything.", true},
		{"negation-type rejection alone rejects", bot.Evaluation, "Accuracy doesn't tell us much here.", false},
		{"rejection out of reach", bot.Evaluation, "Accuracy is what the team in the other office thinks is useless.", true},
		{"later endorsement still flags", bot.Evaluation, "Accuracy is useless alone. Later we report accuracy anyway.", true},
		{"model step phrase rejected after", bot.Model, "Starting with the biggest model would be a mistake.", false},
		{"model step phrase endorsed", bot.Model, "Start with the biggest model we can afford.", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := sc.Rubric(tt.step).Grade(rubric.Answer{Text: tt.text})
			if got := len(g.RedFlags) > 0; got != tt.flag {
				t.Errorf("Grade(%q) red flags = %v, want raised=%v", tt.text, g.RedFlags, tt.flag)
			}
			if tt.flag && g.FlagPenalty == 0 || !tt.flag && g.FlagPenalty != 0 {
				t.Errorf("Grade(%q) flag penalty = %v", tt.text, g.FlagPenalty)
			}
		})
	}
}

// A dismissal just after a concept ("latency is not needed") cancels it;
// further away or in another clause it does not.
func TestGradeDismissal(t *testing.T) {
	sc := testScenario(t)
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"dismissed", "Latency is not needed here, because it is a batch job." + pad, nil},
		{"dismissed, other concept kept", "Latency doesn't matter but the business goal does, because." + pad,
			[]string{"business_goal=business goal"}},
		{"dismissed right after", "P99 irrelevant; the kpi matters because it pays." + pad, []string{"business_goal=kpi"}},
		{"not dismissed", "Latency is needed under p99 of 50 ms because users wait." + pad, []string{"latency=Latency"}},
		{"dismissal too far", "Latency on the mobile checkout page is not needed, because." + pad, []string{"latency=Latency"}},
		{"dismissal in another clause", "Latency, and the rest is not needed, because." + pad, []string{"latency=Latency"}},
		{"a later mention still counts", "Latency is not needed for training. For serving, p99 latency matters because users wait." + pad,
			[]string{"latency=p99"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := sc.Rubric(bot.Clarify).Grade(rubric.Answer{Text: tt.text})
			if got := evidence(g); !slices.Equal(got, tt.want) {
				t.Errorf("Grade(%q) matches = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

// Reasoning cues come from the framework's justification list; a bare
// "so" counts unless it is part of "or so", "so far"...
func TestGradeReasoningCues(t *testing.T) {
	sc := testScenario(t)
	tests := []struct {
		text string
		cue  bool
	}{
		{"20k requests per second, so brute force is out.", true},
		{"So latency drives the design.", true},
		{"A region query at p99, which means a detection step first.", true},
		{"Latency matters because users wait.", true},
		{"Latency of 50 ms or so is the target.", false},
		{"Latency so far is fine and so on.", false},
		{"Latency is the target.", false},
	}
	for _, tt := range tests {
		g := sc.Rubric(bot.Clarify).Grade(rubric.Answer{Text: tt.text + pad})
		if len(g.Matches) == 0 {
			t.Fatalf("Grade(%q) matched nothing; the test needs a concept", tt.text)
		}
		if g.NoJustification == tt.cue {
			t.Errorf("Grade(%q) NoJustification = %v, want %v", tt.text, g.NoJustification, !tt.cue)
		}
	}
}

// overlapScenario has concepts whose phrases share words: a case concept
// and a framework concept on "triplet loss", and framework concepts where
// one phrase holds another.
func overlapScenario(t testing.TB) *bot.Scenario {
	t.Helper()
	fw := testFramework()
	fw.Steps[3].Concepts = []rubric.Concept{
		concept("embeddings", 1, "triplet loss", "embedding", "metric learning"),
		concept("heavy", 2, "feature store"),
		concept("light", 1, "store", "storage"),
		concept("user_feats", 1, "user embedding"),
		concept("encoding", 1, "embedding", "one hot"),
	}
	fw.Steps[1].Concepts = append(fw.Steps[1].Concepts, concept("ml_objective2", 1, "predict the probability"))
	sc := testScenario(t)
	sc.Steps[3].Concepts = []rubric.Concept{concept("metric_learning", 1, "triplet loss", "siamese")}
	if err := sc.Prepare(fw); err != nil {
		t.Fatal(err)
	}
	return sc
}

// Each word of an answer credits at most one concept: the case's own
// concept first, then the heavier, then the longer phrase, unless a
// concept has another mention of its own.
func TestGradeOneConceptPerSpan(t *testing.T) {
	sc := overlapScenario(t)
	tests := []struct {
		name string
		step bot.StepID
		text string
		want []string
	}{
		{"case concept wins the shared phrase", bot.Model, "We train with a triplet loss because pairs are cheap.",
			[]string{"metric_learning=triplet loss"}},
		{"framework concept with its own mention", bot.Model, "A triplet loss, because pairs are cheap, gives each item an embedding.",
			[]string{"metric_learning=triplet loss", "embeddings=embedding"}},
		{"case concept moves to its unshared mention", bot.Model, "A triplet loss on a siamese network, because pairs are cheap.",
			[]string{"embeddings=triplet loss", "metric_learning=siamese"}},
		{"heavier concept wins", bot.Model, "A feature store because training and serving must agree.",
			[]string{"heavy=feature store"}},
		{"lighter concept with its own mention", bot.Model, "A feature store because of skew, and cheap storage.",
			[]string{"heavy=feature store", "light=storage"}},
		{"longer phrase wins at equal weight", bot.Model, "A user embedding because users repeat themselves.",
			[]string{"user_feats=user embedding"}},
		{"two concepts on one phrase, one credit", bot.Model, "Metric learning because the catalogue changes.",
			[]string{"embeddings=Metric learning"}},
		{"one shared word is not the same phrase", bot.Frame, "Given a user, we predict the probability of a click because.",
			[]string{"io_spec=Given a user, we predict", "ml_objective=predict the probability"}},
		{"wildcard gap words are free", bot.Frame, "Given the label history we predict churn, because.",
			[]string{"io_spec=Given the label history we predict", "labels=label"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.text + pad
			g := sc.Rubric(tt.step).Grade(rubric.Answer{Text: text})
			if got := evidence(g); !slices.Equal(got, tt.want) {
				t.Errorf("Grade(%q) matches = %q, want %q", tt.text, got, tt.want)
			}
			for _, m := range g.Matches {
				if text[m.Offset:m.Offset+len(m.Evidence)] != m.Evidence {
					t.Errorf("evidence %q not at offset %d", m.Evidence, m.Offset)
				}
			}
			if len(g.Matches)+len(g.Missing) != len(sc.Rubric(tt.step).Concepts) {
				t.Errorf("%d matches + %d missing != %d concepts", len(g.Matches), len(g.Missing), len(sc.Rubric(tt.step).Concepts))
			}
		})
	}
}

// A wrap-up answer that credits a single concept is capped at a floor;
// two concepts lift the cap, so a strong answer stays above a weak one.
func TestWrapUpFewConcepts(t *testing.T) {
	sc := testScenario(t)
	r := sc.WrapUpRubric(0) // index_rebuild (2), bottleneck_named (1), scale_out (1)
	one := r.Grade(rubric.Answer{Text: "The servers would get slow, so we would add a shard or two and see what happens next."})
	two := r.Grade(rubric.Answer{Text: "The index rebuild is the bottleneck, so we would shard it by region and rebuild offline."})
	if !one.FewConcepts || !near(one.Score, rubric.WrapUpFewConceptsCap) || one.Coverage <= rubric.WrapUpFewConceptsCap {
		t.Errorf("one concept: score %.3f coverage %.3f few=%v, want capped at %.2f", one.Score, one.Coverage, one.FewConcepts, rubric.WrapUpFewConceptsCap)
	}
	if !slices.ContainsFunc(one.Notes(), func(n string) bool { return strings.HasPrefix(n, "one idea only") }) {
		t.Errorf("notes %q lack the one-idea note", one.Notes())
	}
	// Full coverage without trade-offs or failure modes keeps 1 − DepthShare.
	if two.FewConcepts || two.Score <= one.Score || two.Score < 1-rubric.DepthShare-1e-9 {
		t.Errorf("two concepts: score %.3f few=%v, want ≥ %.2f and above %.3f", two.Score, two.FewConcepts, 1-rubric.DepthShare, one.Score)
	}
	// Step rubrics have no minimum.
	if g := sc.Rubric(bot.Clarify).Grade(rubric.Answer{Text: "Latency matters because users leave." + pad}); g.FewConcepts || !near(g.Score, math.Pow(0.4, rubric.CoverageCurve)*(1-rubric.DepthShare)) {
		t.Errorf("step answer with one concept: score %.3f few=%v", g.Score, g.FewConcepts)
	}
}
