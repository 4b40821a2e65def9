package scenarios_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/rubric"
	"github.com/mlsdbot/mlsd/scenarios"
)

// These tests check framework.yaml's word lists (model terms, reasoning
// cues, dismissals, rejections) on the built-in scenarios, so a list edit
// that stops catching what authors reported fails here.

func builtinByID(t *testing.T, id string) *bot.Scenario {
	t.Helper()
	scs, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		if sc.ID == id {
			return sc
		}
	}
	t.Fatalf("no built-in scenario %q", id)
	return nil
}

func jumped(sc *bot.Scenario, clarify, frame string) (bot.Pitfall, bool) {
	s := &bot.Session{ID: "terms", ScenarioID: sc.ID}
	s.Answers[bot.Clarify] = bot.StepAnswer{Text: clarify, Skipped: clarify == ""}
	s.Answers[bot.Frame] = bot.StepAnswer{Text: frame, Skipped: frame == ""}
	for _, p := range bot.Evaluate(sc, s).Pitfalls {
		if p.ID == bot.PitfallJumpedToModel {
			return p, true
		}
	}
	return bot.Pitfall{}, false
}

func TestFrameworkModelTerms(t *testing.T) {
	sc := builtinByID(t, "video-recommendation")
	for _, tt := range []struct{ term, named string }{
		{"a deep and cross network", "deep and cross network"}, {"a Deep & Cross Network", "Deep & Cross Network"},
		{"DeepFM", "DeepFM"}, {"a factorization machine", "factorization machine"},
		{"a field-aware factorisation machine", "factorisation machine"}, {"GraphSAGE", "GraphSAGE"},
		{"skip gram", "skip gram"}, {"skip-gram embeddings", "skip-gram"}, {"MMoE", "MMoE"},
		{"a mixture of experts", "mixture of experts"}, {"XGBoost", "XGBoost"}, {"XG-Boost", "XG-Boost"},
		{"LightGBM", "LightGBM"}, {"BERT", "BERT"}, {"ResNet-50", "ResNet"}, {"a ViT", "ViT"}, {"CLIP", "CLIP"},
		{"an LLM", "LLM"}, {"GPT-4", "GPT"}, {"an LSTM", "LSTM"}, {"a GRU", "GRU"}, {"a GNN", "GNN"},
		{"a random forest", "random forest"}, {"a two tower model", "two tower"}, {"a two-tower model", "two-tower"},
		{"a Siamese network", "Siamese"}, {"an autoencoder", "autoencoder"}, {"an auto-encoder", "auto-encoder"},
		{"YOLO", "YOLO"}, {"Faster R-CNN", "Faster R-CNN"}, {"a U-Net", "U-Net"}, {"word2vec", "word2vec"},
		{"matrix factorization", "matrix factorization"}, {"collaborative filtering", "collaborative filtering"},
		{"LambdaMART", "LambdaMART"}, {"SASRec", "SASRec"},
	} {
		text := "I would start with " + tt.term + ". After that I would ask about the business goal and latency, because they decide the design."
		p, ok := jumped(sc, text, "")
		if !ok {
			t.Errorf("%q before any requirement in step 1 was not flagged as jumping to the model", tt.term)
			continue
		}
		if want := `named "` + tt.named + `"`; !strings.Contains(p.Detail, want) {
			t.Errorf("%q: detail %q does not say %s", tt.term, p.Detail, want)
		}
	}
	// Framing terms are fine in step 2 once step 1 has stated requirements,
	// and a requirement first in step 1 is enough.
	clarify := "The business goal is long-term watch time, at a few thousand requests per second, because that is what pays."
	if _, ok := jumped(sc, clarify, "I would frame it as collaborative filtering over the watch history, then rank, because it scales."); ok {
		t.Error("collaborative filtering as a step-2 framing after stated requirements was flagged")
	}
	if _, ok := jumped(sc, "", "Collaborative filtering over the watch history, then a ranker, because it scales."); !ok {
		t.Error("collaborative filtering in step 2 with no requirement anywhere was not flagged")
	}
	// A requirement word in the model's own noun phrase is not "before" it.
	hc := builtinByID(t, "harmful-content-detection")
	if _, ok := jumped(hc, "I would fine-tune a multimodal transformer on the posts, then ask about latency because it matters.", ""); !ok {
		t.Error("\"fine-tune a multimodal transformer\" dodged the jumped-to-model pitfall")
	}
	if _, ok := jumped(hc, "Posts are multimodal, so text and images matter; a transformer may come later because of memes.", ""); ok {
		t.Error("a multimodal requirement stated in its own clause did not count as a requirement")
	}
	// Announcing the jump counts however many requirement words come with it.
	pu := builtinByID(t, "promotion-uplift")
	if _, ok := jumped(pu, "The core here is a multi-treatment uplift model, so I'd go straight to that: a shared-bottom neural network with one head per coupon.", ""); !ok {
		t.Error("\"I'd go straight to that\" with a network named dodged the jumped-to-model pitfall")
	}
	if _, ok := jumped(pu, "The core here is which customers change their behaviour, so first: what is the budget, and who is eligible?", ""); ok {
		t.Error("a declaration without any model named raised the jumped-to-model pitfall")
	}
}

func TestFrameworkReasoningCues(t *testing.T) {
	sc := builtinByID(t, "visual-search")
	r := sc.Rubric(bot.Deployment)
	if g := r.Grade(rubric.Answer{Text: "We serve from an HNSW index."}); !g.NoJustification {
		t.Fatalf("control without a cue was not penalised: %+v", g)
	}
	for _, text := range []string{
		"We expect 20k QPS, so brute force is out and an HNSW index serves it.",
		"We serve from an HNSW index; that's why recall is bounded.",
		"Since the catalogue is huge we serve from an HNSW index.",
		"Given that the catalogue is huge we serve from an HNSW index.",
		"We serve from an HNSW index in order to stay under budget.",
		"We serve from an HNSW index to avoid a full scan.",
		"We serve from an HNSW index; otherwise a scan takes seconds.",
		"We serve from an HNSW index, which means recall is approximate.",
		"We serve from an HNSW index; the reason is the scan cost.",
		"A huge catalogue means we need an HNSW index.",
	} {
		if g := r.Grade(rubric.Answer{Text: text}); len(g.Matches) == 0 || g.NoJustification {
			t.Errorf("Grade(%q): %d matches, NoJustification %v; want a reasoning cue", text, len(g.Matches), g.NoJustification)
		}
	}
	sv := builtinByID(t, "street-view-blurring")
	if g := sv.Rubric(bot.Model).Grade(rubric.Answer{Text: "A region query means I need a detection step, with a Faster R-CNN detector."}); len(g.Matches) == 0 || g.NoJustification {
		t.Errorf("\"means I need\" is not a reasoning cue: %+v", g)
	}
}

func TestFrameworkRejections(t *testing.T) {
	sc := builtinByID(t, "payment-fraud-detection")
	tests := []struct {
		step bot.StepID
		text string
		flag string // "" for none
	}{
		{bot.Model, "We hold out the last weeks because a random train/test split leaks future fraud into training.", ""},
		{bot.Model, "We split by time rather than a random train/test split, since fraud patterns drift.", ""},
		{bot.Model, "We must not use a random split; we split by time because fraud drifts.", ""},
		{bot.Model, "To randomly split the data would be a mistake here, so we split by time.", ""},
		{bot.Model, "I'd use a random split and train gradient-boosted trees on it.", "random_split"},
		{bot.Model, "A random train/test split does not leak anything here, so we use it.", "random_split"},
		{bot.Evaluation, "A high accuracy is useless here, so we report precision and recall at the threshold.", ""},
		{bot.Evaluation, "We report recall at a fixed precision instead of accuracy on the test set, since fraud is rare.", ""},
		{bot.Evaluation, "Reporting accuracy would be misleading on a 0.1% class.", ""},
		{bot.Evaluation, "We'll measure accuracy on the holdout and ship it.", "accuracy_rare"},
		{bot.Evaluation, "We measure accuracy not recall because it is simple.", "accuracy_rare"},
		{bot.Model, "We avoid a random train/test split because fraud drifts.", ""},
	}
	for _, tt := range tests {
		g := sc.Rubric(tt.step).Grade(rubric.Answer{Text: tt.text})
		var got []string
		for _, f := range g.RedFlags {
			got = append(got, f.ID)
		}
		want := []string{}
		if tt.flag != "" {
			want = []string{tt.flag}
		}
		if !slices.Equal(got, want) {
			t.Errorf("Grade(%q) red flags = %q, want %q", tt.text, got, want)
		}
	}
}

func TestFrameworkDismissals(t *testing.T) {
	sc := builtinByID(t, "visual-search")
	g := sc.Rubric(bot.Clarify).Grade(rubric.Answer{Text: "Latency is not needed here; what matters is the scale of the catalogue."})
	var ids []string
	for _, m := range g.Matches {
		ids = append(ids, m.Concept)
	}
	if slices.Contains(ids, "latency") || !slices.Contains(ids, "scale") {
		t.Errorf("matches = %q, want scale without latency", ids)
	}
	// An adjective before a noun dismisses nothing.
	rag := builtinByID(t, "rag-assistant")
	g = rag.Rubric(bot.Frame).Grade(rubric.Answer{Text: "The retrieval returns irrelevant chunks sometimes, so we rerank them."})
	if len(g.Matches) == 0 || g.Matches[0].Concept != "retrieval" {
		t.Errorf("\"retrieval returns irrelevant chunks\" lost its retrieval mention: %+v", g.Matches)
	}
}

// One phrase credits one concept: "precision and recall" is the fraud
// case's own metric concept and holds the framework's "precision".
func TestBuiltinOneConceptPerSpan(t *testing.T) {
	sc := builtinByID(t, "payment-fraud-detection")
	r := sc.Rubric(bot.Evaluation)
	ids := func(text string) []string {
		var out []string
		for _, m := range r.Grade(rubric.Answer{Text: text}).Matches {
			out = append(out, m.Concept)
		}
		return out
	}
	if got := ids("We report precision and recall at the chosen threshold because fraud is rare."); !slices.Equal(got, []string{"pr_metrics"}) {
		t.Errorf("matches = %q, want only the case's pr_metrics", got)
	}
	if got := ids("We report precision and recall because fraud is rare, and the PR AUC across thresholds."); !slices.Equal(got, []string{"pr_metrics", "off_cls"}) {
		t.Errorf("matches = %q, want pr_metrics and off_cls from its own mention", got)
	}
}

// A wrap-up answer with one generic idea earns the floor on every scenario.
func TestBuiltinWrapUpOneIdea(t *testing.T) {
	scs, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		for part, text := range []string{
			"The servers would be overloaded by then, so we would have to add a cache in front of everything.",
			"I would look at it when something seems off and then retrain the model on the latest data we have.",
		} {
			g := sc.WrapUpRubric(part).Grade(rubric.Answer{Text: text})
			if len(g.Matches) != 1 {
				t.Errorf("%s wrap-up %s: want exactly one generic concept matched, got %+v", sc.ID, bot.WrapUpPartKey(part), g.Matches)
			}
			if g.Score > rubric.WrapUpFewConceptsCap+1e-9 {
				t.Errorf("%s wrap-up %s: one-idea answer scored %.2f (matches %+v)", sc.ID, bot.WrapUpPartKey(part), g.Score, g.Matches)
			}
		}
	}
}

// Each stance pattern of framework.yaml, on real rubrics: the endorsed
// sentence earns the concept; the dismissed one earns nothing and, for an
// important concept, raises a "Dismissed" flag that names it.
func TestStancePatterns(t *testing.T) {
	lib, err := scenarios.Load("")
	if err != nil {
		t.Fatal(err)
	}
	fraud, _ := lib.Get("payment-fraud-detection")
	// decision_actions is an important clarify concept; feature_store a
	// plain framework data concept.
	important := fraud.Rubric(bot.Clarify)
	plain := fraud.Rubric(bot.Data)
	tests := []struct {
		pattern   string
		r         *rubric.Rubric
		concept   string
		endorsed  string
		dismissed string
	}{
		{"doesn't really matter", important, "decision_actions", "Step-up authentication gives us a middle ground.", "Step-up authentication doesn't really matter here."},
		{"is a nice-to-have", important, "decision_actions", "A 3-D Secure challenge is our third action.", "A 3-D Secure challenge is a nice-to-have."},
		{"won't bother with", important, "decision_actions", "We send grey-zone payments to manual review.", "We won't bother with manual review."},
		{"can wait", important, "decision_actions", "Manual review takes the uncertain band.", "Manual review can wait until next year."},
		{"is overkill", important, "decision_actions", "Step-up authentication handles the grey zone.", "Step-up authentication is overkill for this."},
		{"skip the", important, "decision_actions", "Use the review queue for borderline scores.", "We skip the review queue entirely."},
		{"ignore the", important, "decision_actions", "Use the review queue for borderline scores.", "Let's ignore the review queue."},
		{"drop the", important, "decision_actions", "Keep the review queue for borderline scores.", "I'd drop the review queue."},
		{"no need for", plain, "feature_store", "A feature store keeps training and serving features identical.", "There is no need for a feature store."},
		{"instead of", plain, "feature_store", "A feature store serves the velocity counters.", "We compute features in the request instead of a feature store."},
		{"a waste of time", plain, "feature_store", "A feature store serves the velocity counters.", "A feature store is a waste of time at this size."},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			g := tt.r.Grade(rubric.Answer{Text: tt.endorsed})
			if !slices.ContainsFunc(g.Matches, func(m rubric.Match) bool { return m.Concept == tt.concept }) {
				t.Errorf("endorsed %q does not earn %s (matches %v)", tt.endorsed, tt.concept, g.Matches)
			}
			g = tt.r.Grade(rubric.Answer{Text: tt.dismissed})
			if slices.ContainsFunc(g.Matches, func(m rubric.Match) bool { return m.Concept == tt.concept }) {
				t.Errorf("dismissed %q still earns %s", tt.dismissed, tt.concept)
			}
			flagged := slices.ContainsFunc(g.RedFlags, func(f rubric.Flag) bool {
				return f.Dismissed && f.ID == rubric.DismissedFlagPrefix+tt.concept && strings.HasPrefix(f.Label, "Dismissed: ")
			})
			c := tt.r.Concepts[slices.IndexFunc(tt.r.Concepts, func(c rubric.Concept) bool { return c.ID == tt.concept })]
			if want := c.Important; flagged != want && tt.pattern != "instead of" {
				t.Errorf("dismissed %q: Dismissed flag %v, want %v (flags %+v)", tt.dismissed, flagged, want, g.RedFlags)
			}
		})
	}
}

// Phrases that are negative on purpose ("no leakage") count when the
// clause endorses the practice, and not when it is dismissed.
func TestNegativePhraseStance(t *testing.T) {
	lib, err := scenarios.Load("")
	if err != nil {
		t.Fatal(err)
	}
	fraud, _ := lib.Get("payment-fraud-detection")
	r := fraud.Rubric(bot.Data)
	has := func(text string) bool {
		g := r.Grade(rubric.Answer{Text: text})
		return slices.ContainsFunc(g.Matches, func(m rubric.Match) bool { return m.Concept == "skew_leakage" })
	}
	if !has("Features are joined as of the authorisation time, so there is no leakage.") {
		t.Error("'no leakage' as a practice is not credited")
	}
	for _, text := range []string{"Guaranteeing no leakage is overkill for a first version.", "There's no need to worry about leakage here."} {
		if has(text) {
			t.Errorf("dismissed leakage credited: %q", text)
		}
	}
}
