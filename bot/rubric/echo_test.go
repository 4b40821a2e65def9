package rubric_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

const echoPrompt = "The fraud check gets 100 ms (p99) of a 300 ms authorisation. Chargebacks arrive 30 to 90 days after the payment, so we wait for the dispute window to close before a label counts. Report PR-AUC on the held-out month."

func echoRubric(t *testing.T) *rubric.Rubric {
	t.Helper()
	lex, err := rubric.NewLexicon(rubric.Terms{Justification: []string{"because", "so"}, Tradeoffs: []string{"rather than"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := rubric.Compile(rubric.Spec{
		Concepts: []rubric.Concept{
			{ID: "label_maturity", Label: "Label maturity", Weight: 2, Phrases: []string{"wait & dispute window & close"}},
			{ID: "metric", Label: "PR-AUC", Weight: 1, Phrases: []string{"pr auc"}},
			{ID: "latency", Label: "Latency", Weight: 1, Phrases: []string{"p99"}},
		},
		Own: 1, Saturation: 0.5, Echo: rubric.NewEcho(echoPrompt),
	}, lex)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A sentence copied from the prompt earns nothing; the same words inside
// the candidate's own reasoning still do.
func TestEchoEarnsNothing(t *testing.T) {
	r := echoRubric(t)
	for _, tt := range []struct {
		name, text string
		credited   []string
		echoed     int
	}{
		{"copied sentence", "Chargebacks arrive 30 to 90 days after the payment, so we wait for the dispute window to close before a label counts.", nil, 1},
		{"copied with other casing and spacing", "CHARGEBACKS arrive 30 to 90 days after the payment,  so we WAIT for the dispute window to close before a label counts!", nil, 1},
		{"whole prompt", echoPrompt, nil, 3},
		{"own sentence reusing a prompt phrase", "Because fraud labels mature late, I would wait until the dispute window is closed for each payment before training on it.", []string{"label_maturity"}, 0},
		{"short restated fact", "Budget: p99 100 ms.", []string{"latency"}, 0},
		{"copy then own words", "Report PR-AUC on the held-out month. I would also report PR-AUC per merchant segment rather than one number, because fraud is lumpy.", []string{"metric"}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := r.Grade(rubric.Answer{Text: tt.text})
			if got := credited(g); !slices.Equal(got, tt.credited) {
				t.Errorf("credited %v, want %v", got, tt.credited)
			}
			if g.Echoed != tt.echoed {
				t.Errorf("echoed %d sentences, want %d", g.Echoed, tt.echoed)
			}
		})
	}
}

// Echoed words count for nothing: a copied prompt is an empty answer, and
// the note tells the candidate why.
func TestEchoLengthAndNote(t *testing.T) {
	r := echoRubric(t)
	g := r.Grade(rubric.Answer{Text: echoPrompt})
	if g.Words != 0 || g.Score != 0 || g.Depth != 0 {
		t.Errorf("copied prompt: words %d, score %.2f, depth %.2f; want 0, 0, 0", g.Words, g.Score, g.Depth)
	}
	if notes := strings.Join(g.Notes(), "\n"); !strings.Contains(notes, "3 sentences restate the prompt") {
		t.Errorf("notes %q do not say the prompt was restated", notes)
	}
}

// Mentions reads the prompt itself (the prompt-words lint), echo or not.
func TestMentionsIgnoresEcho(t *testing.T) {
	r := echoRubric(t)
	var got []string
	for _, m := range r.Mentions(echoPrompt) {
		got = append(got, m.Concept+"="+m.Evidence)
	}
	want := []string{"latency=p99", "label_maturity=wait for the dispute window to close", "metric=PR-AUC"}
	if !slices.Equal(got, want) {
		t.Errorf("Mentions = %q, want %q", got, want)
	}
}
