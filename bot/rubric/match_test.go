package rubric_test

import (
	"slices"
	"testing"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

// smallRubric compiles a rubric with a few concepts and the word lists
// the cases below need, so each case is about one matching rule.
func smallRubric(t *testing.T) *rubric.Rubric {
	t.Helper()
	lex, err := rubric.NewLexicon(rubric.Terms{
		ModelTerms:       []string{"transformer", "bi encoder"},
		Justification:    []string{"because", "so"},
		Negations:        []string{"no", "not", "without", "don't", "wouldn't"},
		Dismissals:       []string{"can wait", "is overkill", "isn't really needed"},
		DismissalsBefore: []string{"no need for", "we can skip"},
		Rejections:       []string{"leak", "is not"},
		RejectionsBefore: []string{"avoid", "instead of"},
		Tradeoffs:        []string{"rather than", "at the cost of"},
		FailureModes:     []string{"falls back", "times out"},
		Synonyms:         [][]string{{"pr auc", "average precision", "auprc"}, {"two tower", "dual encoder"}, {"p99", "99th percentile"}},
		GenericTerms:     []string{"cache"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := rubric.Compile(rubric.Spec{
		Concepts: []rubric.Concept{
			{ID: "label_maturity", Label: "Label maturity", Weight: 2, Important: true, Phrases: []string{"label maturity", "wait & dispute window & close"}},
			{ID: "metric", Label: "PR-AUC", Weight: 1, Phrases: []string{"pr auc"}},
			{ID: "retrieval", Label: "Two-tower retrieval", Weight: 1, Phrases: []string{"two tower"}},
			{ID: "latency", Label: "Latency", Weight: 1, Phrases: []string{"p99"}},
			{ID: "model_name", Label: "ResNet-50 backbone", Weight: 1, Phrases: []string{"resnet50"}},
			{ID: "cache", Label: "Cache", Weight: 1, Phrases: []string{"cache"}},
		},
		Own: 1,
		RedFlags: []rubric.RedFlag{
			{ID: "random_split", Label: "Random split", Phrases: []string{"random split", "shuffle & test set"}},
			{ID: "waves_away", Label: "Waves the asymmetry away", Phrases: []string{"wouldn't let & asymmetry & drive"}},
			{ID: "latency_ignored", Label: "Latency budget ignored", Phrases: []string{"isn't the binding constraint"}},
		},
		Saturation: 0.5,
	}, lex)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// compiled is spec compiled with a lexicon of terms.
func compiled(t *testing.T, terms rubric.Terms, spec rubric.Spec) *rubric.Rubric {
	t.Helper()
	lex, err := rubric.NewLexicon(terms)
	if err != nil {
		t.Fatal(err)
	}
	r, err := rubric.Compile(spec, lex)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func credited(g rubric.StepGrade) []string {
	var out []string
	for _, m := range g.Matches {
		out = append(out, m.Concept)
	}
	return out
}

func flagged(g rubric.StepGrade) []string {
	var out []string
	for _, f := range g.RedFlags {
		out = append(out, f.ID)
	}
	return out
}

func TestMatchingRules(t *testing.T) {
	r := smallRubric(t)
	tests := []struct {
		name        string
		text        string
		wantConcept []string
		wantFlags   []string
	}{
		{"near parts in any order", "Only once the dispute window is closed do we wait for nothing else.", []string{"label_maturity"}, nil},
		{"near parts in another sentence do not meet", "We wait. The dispute window may close.", nil, nil},
		{"a negated near part does not count", "We don't wait for the dispute window to close.", nil, nil},
		{"thesaurus: average precision is pr auc", "Average precision on the test month.", []string{"metric"}, nil},
		{"thesaurus both ways: auprc", "AUPRC, since positives are rare.", []string{"metric"}, nil},
		{"thesaurus on multi-word terms", "A dual encoder retrieves candidates.", []string{"retrieval"}, nil},
		{"percentile spelled out", "The 99th percentile must stay low.", []string{"latency"}, nil},
		{"digits glued to a name stay whole", "A ResNet-50 backbone.", []string{"model_name"}, nil},
		{"a name without its digits is another name", "A ResNet backbone.", nil, nil},
		{"dismissive verb before", "There is no need for label maturity here.", nil, []string{"dismissed:label_maturity"}},
		{"dismissal after", "Label maturity can wait.", nil, []string{"dismissed:label_maturity"}},
		{"a framework concept dismissed is not flagged", "The cache is overkill.", nil, nil},
		{"flag raised", "We do a random split of the payments.", nil, []string{"random_split"}},
		{"flag rejected after", "A random split would leak the future.", nil, nil},
		{"a dash starts a new statement", "We do a random split — the order is not a concern here.", nil, []string{"random_split"}},
		{"flag rejected before", "We avoid a random split.", nil, nil},
		{"and we starts a new statement", "We use a random split and we make sure nothing can leak.", nil, []string{"random_split"}},
		{"rejection between near parts", "To shuffle would leak the future into the test set.", nil, nil},
		{"near flag raised", "Shuffle everything, then carve out a test set.", nil, []string{"random_split"}},
		{"the rejected half of X, not Y raises no flag", "We hold out the last month of payments, not the usual quick and easy random split.", nil, nil},
		{"the rejected half of X, not Y earns nothing", "Recall at a fixed alert rate, not some ranked summary like PR-AUC.", nil, nil},
		{"not X but Y endorses Y", "Not a time-based holdout but a random split of the payments.", nil, []string{"random_split"}},
		{"not only is no contrast", "Not only the p99 of the scorer matters here.", []string{"latency"}, nil},
		{"a question raises no flag", "Should we use a random split here?", nil, nil},
		{"a flagged sentence earns nothing", "A random split and PR-AUC.", nil, []string{"random_split"}},
		{"a negation that is the phrase's own part", "I wouldn't let that asymmetry drive the design.", nil, []string{"waves_away"}},
		{"an intensifier inside a phrase is passed over", "Latency isn't really the binding constraint here.", nil, []string{"latency_ignored"}},
		{"a phrase that spells the intensifier still matches", "Label maturity isn't really needed here.", nil, []string{"dismissed:label_maturity"}},
		{"a negation outside the phrase still negates", "Nobody said I wouldn't let it, but don't let the asymmetry drive it.", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := r.Grade(rubric.Answer{Text: tt.text})
			if got := credited(g); !slices.Equal(got, tt.wantConcept) {
				t.Errorf("credited %q, want %q", got, tt.wantConcept)
			}
			if got := flagged(g); !slices.Equal(got, tt.wantFlags) {
				t.Errorf("flags %q, want %q", got, tt.wantFlags)
			}
		})
	}
}

// Arrows, in-line colons and "vs" relate terms: a terse bullet answer is
// reasoning, not a keyword list.
func TestTerseFormIsReasoning(t *testing.T) {
	r := smallRubric(t)
	terse := "- metric: PR-AUC (rare positives)\n- serving: two-tower -> cache -> p99 budget\n- labels: label maturity, wait for the dispute window to close"
	list := "PR-AUC, two tower, cache, p99, label maturity"
	if g := r.Grade(rubric.Answer{Text: terse}); g.KeywordList || g.NoJustification {
		t.Errorf("terse bullets: keyword list %v, no reasoning %v", g.KeywordList, g.NoJustification)
	}
	if g := r.Grade(rubric.Answer{Text: list}); !g.KeywordList || !g.NoJustification {
		t.Errorf("bare list: keyword list %v, no reasoning %v", g.KeywordList, g.NoJustification)
	}
}

func TestDepthSigns(t *testing.T) {
	r := smallRubric(t)
	for _, tt := range []struct {
		text  string
		depth float64
	}{
		{"PR-AUC on the test month.", 0},
		{"PR-AUC at 0.1% positives.", 1.0 / 3},
		{"PR-AUC on the first twenty results, a few hundred a second.", 1.0 / 3}, // figures spelled out
		{"PR-AUC from one model for two groups.", 0},                             // counting, not an estimate
		{"PR-AUC rather than accuracy at 0.1% positives.", 2.0 / 3},
		{"PR-AUC rather than accuracy at 0.1% positives; if scoring times out it falls back to rules.", 1},
	} {
		if g := r.Grade(rubric.Answer{Text: tt.text}); g.Depth != tt.depth {
			t.Errorf("%q: depth %.2f, want %.2f", tt.text, g.Depth, tt.depth)
		}
	}
}

// A figure the question gave is not the candidate's own: repeating
// "10×" or "30 accounts" shows no depth, a figure of their own does.
func TestDepthIgnoresTheQuestionsFigures(t *testing.T) {
	lex, err := rubric.NewLexicon(rubric.Terms{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := rubric.Compile(rubric.Spec{
		Concepts:  []rubric.Concept{{ID: "revert", Label: "Revert", Weight: 1, Phrases: []string{"revert"}}},
		Questions: "Traffic grows 10× in an hour.\nThe agent added 30 accounts to a privileged group.",
	}, lex)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		text  string
		depth float64
	}{
		{"Revert all 30 grants.", 0},
		{"At 10x we revert.", 0},
		{"Revert all 30 grants within 5 minutes.", 1.0 / 3},
		{"At 10x that is about 200 conversations a minute, so we revert.", 1.0 / 3},
	} {
		if g := r.Grade(rubric.Answer{Text: tt.text}); g.Depth != tt.depth {
			t.Errorf("%q: depth %.2f, want %.2f", tt.text, g.Depth, tt.depth)
		}
	}
}

func TestGenericEvidence(t *testing.T) {
	r := smallRubric(t)
	g := r.Grade(rubric.Answer{Text: "We cache results and report PR-AUC."})
	for _, m := range g.Matches {
		if want := m.Concept == "cache"; m.Generic != want {
			t.Errorf("%s: Generic %v, want %v", m.Concept, m.Generic, want)
		}
		if want := m.Concept == "label_maturity"; m.Case != want {
			t.Errorf("%s: Case %v, want %v", m.Concept, m.Case, want)
		}
	}
}

// A red flag's Unless phrases excuse the sentence they share with it: a
// randomised experiment is no random train/test split.
func TestFlagUnless(t *testing.T) {
	r := compiled(t, rubric.Terms{RejectionsBefore: []string{"avoid"}, Negations: []string{"no"}}, rubric.Spec{
		Concepts: []rubric.Concept{{ID: "split", Label: "Split by time", Weight: 1, Phrases: []string{"split by time"}}},
		RedFlags: []rubric.RedFlag{
			{ID: "random_split", Label: "Random split", Phrases: []string{"randomly split", "split * at random"},
				Unless: []string{"treatment and control", "variants"}},
			{ID: "future", Label: "Future features", Phrases: []string{"as of the end of the log"}, Unless: []string{"as of the"}},
			{ID: "never_retrain", Label: "Never retrains", Phrases: []string{"no retrain"}, Unless: []string{"content based"}},
		},
	})
	for _, tt := range []struct {
		text    string
		flagged bool
	}{
		{"We randomly split the payments into train and test.", true},
		{"We randomly split users into treatment and control.", false},
		{"Traffic is split at random between the two variants.", false},
		{"We randomly split users into treatment and control. Offline we also split the data at random.", true},
		// An unless phrase that is the flag's own words excuses nothing.
		{"Views counted as of the end of the log, per video.", true},
		{"Views counted as of the impression, per video.", false},
		// A rejected excuse excuses nothing, a few words away too.
		{"We randomly split the users, which avoids the hassle of treatment and control.", true},
		// The flag's own negation does not reach into an aside.
		{"No retrain (content-based).", false},
		{"No retrain, no content-based tower.", true},
	} {
		if got := len(r.Grade(rubric.Answer{Text: tt.text}).RedFlags) > 0; got != tt.flagged {
			t.Errorf("%q: flagged %v, want %v", tt.text, got, tt.flagged)
		}
	}
	lex, err := rubric.NewLexicon(rubric.Terms{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rubric.Compile(rubric.Spec{
		Concepts: []rubric.Concept{{ID: "c", Label: "C", Weight: 1, Phrases: []string{"c c"}}},
		RedFlags: []rubric.RedFlag{{ID: "f", Label: "F", Phrases: []string{"f f"}, Unless: []string{"a & b"}}},
	}, lex); err == nil {
		t.Error("an unless phrase with & compiled; want an error")
	}
}

// A dismissive verb among a phrase's own words is the rubric's: "we can skip
// the sky" is the concept of skipping redundant work, not a dismissal of it
// (a strong street-view reply was flagged "Dismissed" for "drop the sky").
// In a phrase's gap it still dismisses: "no * leakage" is not met by "no
// need for leakage checks".
func TestDismissiveVerbInsideAPhrase(t *testing.T) {
	lex, err := rubric.NewLexicon(rubric.Terms{DismissalsBefore: []string{"we can skip", "no need for"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := rubric.Compile(rubric.Spec{
		Concepts: []rubric.Concept{
			{ID: "skip_redundant", Label: "Skip redundant work", Weight: 2, Important: true, Phrases: []string{"we can skip the sky"}},
			{ID: "no_leakage", Label: "No leakage", Weight: 1, Phrases: []string{"no * leakage"}},
		},
		Own: 2,
	}, lex)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		text      string
		credited  []string
		dismissed bool
	}{
		{"Upper third is empty, so we can skip the sky band entirely.", []string{"skip_redundant"}, false},
		{"There is no need for leakage checks.", nil, true},
		{"Features are point-in-time, so there is no leakage.", []string{"no_leakage"}, false},
	} {
		g := r.Grade(rubric.Answer{Text: tt.text})
		if got := credited(g); !slices.Equal(got, tt.credited) {
			t.Errorf("%q: credited %q, want %q", tt.text, got, tt.credited)
		}
		if got := len(g.Dismissed) > 0; got != tt.dismissed {
			t.Errorf("%q: dismissed %v, want %v", tt.text, got, tt.dismissed)
		}
	}
}

// TestDismissedPractice: a red flag's Dismissed phrases name a sound
// practice; dismissing it states the flag's mistake, while endorsing it,
// negating it or rejecting its dismissal does not.
func TestDismissedPractice(t *testing.T) {
	lex, err := rubric.NewLexicon(rubric.Terms{
		Justification:    []string{"because", "so"},
		Negations:        []string{"no", "not", "never", "don't", "wouldn't", "isn't"},
		Dismissals:       []string{"isn't really necessary", "a waste of time", "is a formality"},
		DismissalsBefore: []string{"no need to", "no real need to", "wouldn't spend effort", "skip the", "don't need"},
		Rejections:       []string{"mistake", "is not", "isn't"},
		RejectionsBefore: []string{"a mistake to", "never", "not"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := rubric.Compile(rubric.Spec{
		Concepts: []rubric.Concept{{ID: "baseline", Label: "Baseline", Weight: 1, Phrases: []string{"baseline"}}},
		RedFlags: []rubric.RedFlag{
			{ID: "no_baseline", Label: "No baseline", Dismissed: []string{"baseline", "benchmark against", "benchmarking against", "comparing against"}},
			{ID: "offline_only", Label: "Offline only", Dismissed: []string{"online test"}},
		},
	}, lex)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"dismissive verb before", "There's no real need to benchmark against the routing engine.", []string{"no_baseline"}},
		{"dismissive verb with words of its own", "I wouldn't spend effort benchmarking against the BM25 system.", []string{"no_baseline"}},
		{"dismissal later in the clause", "Comparing against the legacy blurring system isn't really necessary.", []string{"no_baseline"}},
		{"dismissal after another practice", "The online test is a formality once offline looks good.", []string{"offline_only"}},
		{"endorsed", "We benchmark against the routing engine first.", nil},
		{"plain negation is no dismissal", "We don't benchmark against the old rules because they were retired.", nil},
		{"the dismissive verb rejected", "It would be a mistake to skip the baseline.", nil},
		{"the dismissive verb negated", "We should never skip the baseline.", nil},
		{"the dismissal negated", "A baseline is not a waste of time here.", nil},
		{"rejected after", "To skip the baseline is a mistake.", nil},
		{"a comma ends the clause", "Comparing against the old rules, which took a week, is not a waste of time.", nil},
		{"a question states no position", "Is there no need to benchmark against the old rules?", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := r.Grade(rubric.Answer{Text: tc.text})
			if got := flagged(g); !slices.Equal(got, tc.want) {
				t.Errorf("%q: flags %v, want %v", tc.text, got, tc.want)
			}
			if tc.want != nil && slices.Contains(credited(g), "baseline") {
				t.Errorf("%q: a sentence that raised a flag credited the baseline", tc.text)
			}
		})
	}
}

// TestNearAlternatives: a near-phrase part may list alternatives, each
// pairing with every alternative of the other parts; "|" elsewhere is
// refused.
func TestNearAlternatives(t *testing.T) {
	lex, err := rubric.NewLexicon(rubric.Terms{Negations: []string{"no", "not"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := rubric.Compile(rubric.Spec{
		Concepts: []rubric.Concept{{ID: "c", Label: "C", Weight: 1, Phrases: []string{"index"}}},
		RedFlags: []rubric.RedFlag{{ID: "stale", Label: "Stale", Phrases: []string{"removed|sold out & nightly|each night"}}},
	}, lex)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want bool
	}{
		{"Removed items leave the index nightly.", true},
		{"Sold-out products drop out each night.", true},
		{"Sold-out products drop out within a minute.", false},
		{"We rebuild nightly.", false},
		{"Removed items leave the index. We rebuild each night.", false},
	}
	for _, tc := range tests {
		if got := slices.Contains(flagged(r.Grade(rubric.Answer{Text: tc.text})), "stale"); got != tc.want {
			t.Errorf("%q: flagged %v, want %v", tc.text, got, tc.want)
		}
	}
	for _, bad := range []string{"removed|sold out", "removed & nightly|"} {
		_, err := rubric.Compile(rubric.Spec{RedFlags: []rubric.RedFlag{{ID: "x", Label: "X", Phrases: []string{bad}}}}, lex)
		if why := rubric.PhraseProblem(bad, nil); err == nil && why == "" {
			t.Errorf("%q: accepted, want a problem", bad)
		}
	}
}

// TestDismissedPracticeQuote: the flag quotes the dismissal with the
// practice, so the report shows why it was raised.
func TestDismissedPracticeQuote(t *testing.T) {
	lex, err := rubric.NewLexicon(rubric.Terms{
		Negations:        []string{"no", "not"},
		Dismissals:       []string{"isn't really necessary"},
		DismissalsBefore: []string{"no real need to"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := rubric.Compile(rubric.Spec{
		RedFlags: []rubric.RedFlag{{ID: "no_baseline", Label: "No baseline", Dismissed: []string{"benchmark against", "comparing against"}}},
	}, lex)
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]string{
		"There's no real need to benchmark against the rules.":                       "no real need to benchmark against",
		"Comparing against the legacy system isn't really necessary, since it goes.": "Comparing against the legacy system isn't really necessary",
	} {
		g := r.Grade(rubric.Answer{Text: text})
		if len(g.RedFlags) != 1 || g.RedFlags[0].Evidence != want {
			t.Errorf("%q: flags %+v, want one quoting %q", text, g.RedFlags, want)
		}
	}
}

// FuzzDismissedPractice: whatever the text, a raised flag quotes words
// that are in it, at its offset, and grading never panics.
func FuzzDismissedPractice(f *testing.F) {
	lex, err := rubric.NewLexicon(rubric.Terms{
		Justification:    []string{"because"},
		Negations:        []string{"no", "not", "never"},
		Dismissals:       []string{"isn't really necessary", "a waste of time"},
		DismissalsBefore: []string{"no need to", "no real need to", "skip the"},
		Rejections:       []string{"mistake", "isn't"},
		RejectionsBefore: []string{"a mistake to", "never"},
	})
	if err != nil {
		f.Fatal(err)
	}
	r, err := rubric.Compile(rubric.Spec{
		Concepts: []rubric.Concept{{ID: "baseline", Label: "Baseline", Weight: 1, Phrases: []string{"baseline"}}},
		RedFlags: []rubric.RedFlag{
			{ID: "no_baseline", Label: "No baseline", Dismissed: []string{"baseline", "benchmark against", "comparing against"}, Unless: []string{"baseline"}},
			{ID: "stale", Label: "Stale", Phrases: []string{"removed|sold out & nightly|each night"}},
		},
	}, lex)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "no real need to benchmark against it", "skip the skip the baseline", "comparing against, isn't really necessary",
		"never skip the baseline", "no real need to", "isn't really necessary", "sold out nightly removed each night", "\xff skip the baseline"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		g := r.Grade(rubric.Answer{Text: text})
		for _, fl := range g.RedFlags {
			if fl.Offset < 0 || fl.Offset+len(fl.Evidence) > len(text) || text[fl.Offset:fl.Offset+len(fl.Evidence)] != fl.Evidence {
				t.Fatalf("flag %s quotes %q at %d, not in %q", fl.ID, fl.Evidence, fl.Offset, text)
			}
		}
	})
}

// A word of the case's stated constraints, dismissed outright in its
// clause, raises the concern flag; putting it off, asking about it or
// dismissing something else does not.
func TestDismissedConcern(t *testing.T) {
	r := compiled(t, rubric.Terms{
		Negations:  []string{"not", "no"},
		Dismissals: []string{"is a nice to have", "can wait", "doesn't really matter"},
		Deferrals:  []string{"can wait"},
	}, rubric.Spec{
		Concepts: []rubric.Concept{{ID: "c", Label: "C", Weight: 1, Phrases: []string{"quantile loss"}}},
		Concerns: rubric.ConcernWords("It must stay explainable to those teams, and privacy reviews every change."),
	})
	for _, tt := range []struct {
		text    string
		flagged bool
	}{
		{"Explainability is a nice-to-have; the teams want accuracy.", true},
		{"Honestly, privacy doesn't really matter for a first version.", true},
		{"Privacy can wait until after the pilot.", false},
		{"Is explainability a nice-to-have here?", false},
		{"The colour of the widget doesn't really matter.", false},
		{"Explainability is not a nice-to-have: pricing must trust the number.", false},
		{"Privacy comes first, and the rest of the polish doesn't really matter.", false},
	} {
		g := r.Grade(rubric.Answer{Text: tt.text})
		got := slices.ContainsFunc(g.RedFlags, func(f rubric.Flag) bool { return f.ID == rubric.DismissedConcernFlag })
		if got != tt.flagged {
			t.Errorf("%q: flagged %v, want %v (%v)", tt.text, got, tt.flagged, flagged(g))
		}
	}
	if _, err := rubric.NewLexicon(rubric.Terms{Dismissals: []string{"can wait"}, Deferrals: []string{"later"}}); err == nil {
		t.Error("a deferral that is no dismissal compiled; want an error")
	}
}

func TestConcernWords(t *testing.T) {
	got := rubric.ConcernWords("Each estimate must come back within 50 ms (p99). Pricing and dispatch rely on it, so it must stay explainable to those teams.")
	for _, w := range []string{"estimate", "pricing", "dispatch", "explainable", "explainability"} {
		if !slices.Contains(got, w) {
			t.Errorf("ConcernWords lacks %q: %q", w, got)
		}
	}
	for _, w := range []string{"must", "within", "teams", "those", "p99", "50"} {
		if slices.Contains(got, w) {
			t.Errorf("ConcernWords has %q: %q", w, got)
		}
	}
}
