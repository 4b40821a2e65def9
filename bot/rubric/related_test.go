package rubric_test

import (
	"slices"
	"testing"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

// relatedRubric: concepts whose phrases the answers below say in other
// words, with related-words matching on and a prompt that gives away
// "checkout".
func relatedRubric(t *testing.T) *rubric.Rubric {
	t.Helper()
	lex, err := rubric.NewLexicon(rubric.Terms{
		Justification:    []string{"because"},
		Negations:        []string{"no", "not", "never", "won't", "wouldn't"},
		DismissalsBefore: []string{"no need to", "we can skip"},
		Dismissals:       []string{"can wait"},
		ModelTerms:       []string{"bert"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := rubric.Compile(rubric.Spec{
		Concepts: []rubric.Concept{
			{ID: "ab_test", Label: "A/B test", Weight: 1, Phrases: []string{"ab test", "split users into random groups"}},
			{ID: "guardrails", Label: "Guardrails", Weight: 1, Phrases: []string{"guardrail metrics", "checkout latency must not rise"}},
			{ID: "slices", Label: "Slices", Weight: 1, Phrases: []string{"break results down by country"}},
			// "model" is in three concepts: it tells none of them apart.
			{ID: "m1", Label: "M1", Weight: 1, Phrases: []string{"model calibration"}},
			{ID: "m2", Label: "M2", Weight: 1, Phrases: []string{"model drift"}},
			{ID: "m3", Label: "M3", Weight: 1, Phrases: []string{"model registry"}},
			{ID: "label_delay", Label: "Label delay", Weight: 1, Phrases: []string{"outcome delay", "chargebacks take weeks"}},
			// "label" tells of both: it joins only words of its own phrase.
			{ID: "audit", Label: "Audit", Weight: 1, Phrases: []string{"annotators review a sample", "hand label a sample"}},
			{ID: "labeling", Label: "Labelling", Weight: 1, Phrases: []string{"label the training data"}},
			{ID: "multilingual", Label: "Multilingual", Weight: 1, Phrases: []string{"multilingual bert", "understands many languages"}},
			{ID: "broken_promise", Label: "Broken promise", Weight: 1, Phrases: []string{"promise broken"}},
		},
		Saturation: 0.5,
		Echo:       rubric.NewEcho("Shoppers abandon the checkout when it is slow. Parcels arrive later than promised."),
		Related:    true,
	}, lex)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRelatedWords(t *testing.T) {
	r := relatedRubric(t)
	tests := []struct {
		name, text string
		want       []string // concepts credited by related words
		phrase     []string // concepts credited by a phrase
	}{
		{"two telling words of one phrase", "Online we split shoppers into two groups for a fortnight.", []string{"ab_test"}, nil},
		{"in either order", "Each shopper lands in one of two random groups, decided by a hash of the id, and we split them once.", []string{"ab_test"}, nil},
		{"another phrase's words", "Then we break the numbers down by market and device.", []string{"slices"}, nil},
		{"words of two phrases, each telling of that concept alone", "Chargebacks only show the outcome much later.", []string{"label_delay"}, nil},
		{"a word of two concepts joins only its own phrase", "Annotators label the training set.", []string{"labeling"}, nil},
		{"a given word in another form tells nothing", "Each promise we have broken costs a customer.", nil, nil},
		{"a model's name is no telling word", "BERT is very good at understanding text.", nil, nil},
		{"negated", "We would never split shoppers into groups here.", nil, nil},
		{"dismissed", "We can skip the split into groups for now.", nil, nil},
		{"too far apart", "We split the work between three teams, and the dashboards show the numbers for all the regional groups.", nil, nil},
		{"different sentences", "We split the budget. Groups of engineers own each part.", nil, nil},
		{"one word twice", "Split, split, split.", nil, nil},
		{"a word in three concepts tells nothing", "The model and its calibration matter.", nil, nil},
		{"a given word tells nothing", "If the checkout is slower, the page must rise to the top.", nil, nil},
		{"the phrase itself is a phrase match", "We run an A/B test with guardrail metrics.", nil, []string{"ab_test", "guardrails"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := r.Grade(rubric.Answer{Text: tt.text})
			var rel, phrase []string
			for _, m := range g.Matches {
				if m.Related {
					rel = append(rel, m.Concept)
				} else {
					phrase = append(phrase, m.Concept)
				}
			}
			if !slices.Equal(rel, tt.want) || !slices.Equal(phrase, tt.phrase) {
				t.Errorf("related %v, phrase %v; want related %v, phrase %v", rel, phrase, tt.want, tt.phrase)
			}
		})
	}
}

// Without Spec.Related the same answer earns nothing.
func TestRelatedWordsOff(t *testing.T) {
	lex, err := rubric.NewLexicon(rubric.Terms{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := rubric.Compile(rubric.Spec{Concepts: []rubric.Concept{
		{ID: "ab_test", Label: "A/B test", Weight: 1, Phrases: []string{"split users into random groups"}},
	}}, lex)
	if err != nil {
		t.Fatal(err)
	}
	if g := r.Grade(rubric.Answer{Text: "We split shoppers into two groups."}); len(g.Matches) != 0 {
		t.Errorf("matches %+v, want none", g.Matches)
	}
}
