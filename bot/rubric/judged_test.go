package rubric_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

// credit quotes words of text for a concept, as the bot's evidence check
// hands them to Grade.
func credit(text, concept, quote string) rubric.Credit {
	return rubric.Credit{Concept: concept, Evidence: quote, Offset: strings.Index(text, quote)}
}

func claim(text, id, quote string) rubric.Claim {
	return rubric.Claim{ID: id, Evidence: quote, Offset: strings.Index(text, quote), Why: "it is wrong"}
}

// Another judge's credits join the rubric's under the rubric's own rules,
// and its claims cost like red flags.
func TestJudgedCreditsAndClaims(t *testing.T) {
	r := smallRubric(t)
	const para = "We only count a payment as fraud once the bank's dispute period is over, because early labels are wrong. We report the area under the precision-recall curve."
	const withFlag = "We use a random split of all rows, because it is simple. We only count a payment as fraud once the bank's dispute period is over."
	const dismissive = "Label maturity can wait until later, and the bank's dispute period is not our problem."
	tests := []struct {
		name        string
		text        string
		credits     []rubric.Credit
		claims      []rubric.Claim
		wantCredit  []string
		wantSources []string
		wantFlags   []string
	}{
		{
			name:        "paraphrase credited by the judge",
			text:        para,
			credits:     []rubric.Credit{credit(para, "label_maturity", "once the bank's dispute period is over"), credit(para, "metric", "area under the precision-recall curve")},
			wantCredit:  []string{"label_maturity", "metric"},
			wantSources: []string{rubric.SourceJudge, rubric.SourceJudge},
		},
		{
			name:       "unknown concept earns nothing",
			text:       para,
			credits:    []rubric.Credit{credit(para, "no_such_concept", "once the bank's dispute period is over")},
			wantCredit: nil,
		},
		{
			name:       "a quote in a flagged sentence earns nothing",
			text:       withFlag,
			credits:    []rubric.Credit{credit(withFlag, "retrieval", "a random split of all rows"), credit(withFlag, "label_maturity", "once the bank's dispute period is over")},
			wantCredit: []string{"label_maturity"},
			wantFlags:  []string{"random_split"},
		},
		{
			name:       "a concept the answer dismissed stays dismissed",
			text:       dismissive,
			credits:    []rubric.Credit{credit(dismissive, "label_maturity", "Label maturity can wait until later")},
			wantCredit: nil,
			wantFlags:  []string{"dismissed:label_maturity"},
		},
		{
			name:        "both found it",
			text:        "We report PR-AUC because positives are rare.",
			credits:     []rubric.Credit{credit("We report PR-AUC because positives are rare.", "metric", "We report PR-AUC because positives")},
			wantCredit:  []string{"metric"},
			wantSources: []string{rubric.SourceBoth},
		},
		{
			name:       "a claim is a flag and its words earn nothing",
			text:       para,
			credits:    []rubric.Credit{credit(para, "metric", "area under the precision-recall curve")},
			claims:     []rubric.Claim{claim(para, "", "We report the area under the precision-recall curve")},
			wantCredit: nil,
			wantFlags:  []string{rubric.ClaimFlagPrefix + "wrong"},
		},
		{
			name:      "a claim the rubric raised already is charged once",
			text:      withFlag,
			claims:    []rubric.Claim{claim(withFlag, "random_split", "a random split of all rows")},
			wantFlags: []string{"random_split"},
		},
		{
			name: "at most MaxClaims claims are charged",
			text: para,
			claims: []rubric.Claim{
				claim(para, "", "We only count a payment as fraud"),
				claim(para, "", "because early labels are wrong"),
				claim(para, "", "We report the area under"),
			},
			wantFlags: []string{rubric.ClaimFlagPrefix + "wrong", rubric.ClaimFlagPrefix + "wrong"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := r.Grade(rubric.Answer{Text: tt.text, Credits: tt.credits, Claims: tt.claims})
			if got := credited(g); !slices.Equal(got, tt.wantCredit) {
				t.Errorf("credited %v, want %v", got, tt.wantCredit)
			}
			if tt.wantSources != nil {
				var got []string
				for _, m := range g.Matches {
					got = append(got, m.Source)
				}
				if !slices.Equal(got, tt.wantSources) {
					t.Errorf("sources %q, want %q", got, tt.wantSources)
				}
			}
			if got := flagged(g); !slices.Equal(got, tt.wantFlags) {
				t.Errorf("flags %v, want %v", got, tt.wantFlags)
			}
			for _, m := range g.Matches {
				if !strings.Contains(tt.text, m.Evidence) || tt.text[m.Offset:m.Offset+len(m.Evidence)] != m.Evidence {
					t.Errorf("evidence %q at %d is not the answer's words", m.Evidence, m.Offset)
				}
			}
		})
	}
}

// The score of the union follows the same formula: more verified
// concepts, a higher score; claims cost their penalty.
func TestJudgedScoreFormula(t *testing.T) {
	r := smallRubric(t)
	const text = "We only count a payment as fraud once the bank's dispute period is over, because early labels are wrong. We report the area under the precision-recall curve."
	plain := r.Grade(rubric.Answer{Text: text})
	credits := []rubric.Credit{credit(text, "label_maturity", "once the bank's dispute period is over")}
	judged := r.Grade(rubric.Answer{Text: text, Credits: credits})
	if judged.Score <= plain.Score || judged.Coverage <= plain.Coverage {
		t.Errorf("judged %.2f (coverage %.2f) should beat plain %.2f (coverage %.2f)", judged.Score, judged.Coverage, plain.Score, plain.Coverage)
	}
	charged := r.Grade(rubric.Answer{Text: text, Credits: credits, Claims: []rubric.Claim{claim(text, "", "We report the area under")}})
	if want := judged.Score - rubric.DefaultFlagPenalty; charged.Score > want+1e-9 {
		t.Errorf("a claim should cost %.2f: %.2f → %.2f", rubric.DefaultFlagPenalty, judged.Score, charged.Score)
	}
}
