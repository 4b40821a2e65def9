package bot

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

// FuzzVerify: whatever the model quotes, every credit and claim that
// survives the check is the answer's own words at its offset, at least
// MinQuoteWords long, for a concept the rubric has; Grade then holds them
// without panicking; and a model follow-up is one plain question.
func FuzzVerify(f *testing.F) {
	lex, err := rubric.NewLexicon(rubric.Terms{Justification: []string{"because"}})
	if err != nil {
		f.Fatal(err)
	}
	r, err := rubric.Compile(rubric.Spec{
		Concepts: []rubric.Concept{
			{ID: "latency", Label: "Latency budget", Weight: 2, Phrases: []string{"p99"}},
			{ID: "labels", Label: "Label delay", Weight: 1, Phrases: []string{"label delay"}},
		},
		Own: 1, Saturation: 0.5,
	}, lex)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("We keep  the P99 under 100 ms because checkout waits.", "keep the p99 under 100", "latency", "How late do labels arrive?")
	f.Add("Ünïcödé  ſtraße İstanbul text with   spaces\tand tabs.", "istanbul text with spaces", "labels", "@here what? <@U1>")
	f.Add("a b c d e", "A B C D E", "latency", "")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, text, quote, concept, followUp string) {
		v := JudgeVerdict{
			Credits:  []JudgedCredit{{Concept: concept, Quote: quote, Stance: StanceEndorses}},
			Flags:    []JudgedFlag{{Quote: quote, Why: followUp}},
			FollowUp: followUp,
		}
		j, _, err := Verify(v, r, text)
		if err != nil {
			return
		}
		for _, c := range j.Credits {
			if c.Offset < 0 || c.Offset+len(c.Evidence) > len(text) || text[c.Offset:c.Offset+len(c.Evidence)] != c.Evidence {
				t.Fatalf("credit evidence %q at %d is not the answer's words", c.Evidence, c.Offset)
			}
			if len(strings.Fields(c.Evidence)) < MinQuoteWords || (c.Concept != "latency" && c.Concept != "labels") {
				t.Fatalf("credit %+v should have been refused", c)
			}
		}
		for _, c := range j.Claims {
			if text[c.Offset:c.Offset+len(c.Evidence)] != c.Evidence {
				t.Fatalf("claim evidence %q at %d is not the answer's words", c.Evidence, c.Offset)
			}
		}
		if q := j.FollowUp; q != "" && (strings.Count(q, "?") != 1 || utf8.RuneCountInString(q) >= MaxFollowUpRunes || strings.ContainsAny(q, "<>@`*_")) {
			t.Fatalf("follow-up %q should have been refused", q)
		}
		r.Grade(rubric.Answer{Text: text, Credits: j.Credits, Claims: j.Claims})
		AddressesGrader(text)
	})
}

// BenchmarkAddressesGrader is the check every grading makes, on a
// 4,000-character answer that does not address the grader, beside the
// rubric's tokeniser-bound Grade of the same text as a baseline.
func BenchmarkAddressesGrader(b *testing.B) {
	text := strings.Repeat("We keep the p99 under 100 ms because checkout waits, and we shadow the model before a 5% canary. ", 40)
	b.Run("addresses-grader", func(b *testing.B) {
		for b.Loop() {
			AddressesGrader(text)
		}
	})
	b.Run("fold-with-offsets", func(b *testing.B) {
		for b.Loop() {
			foldText(text)
		}
	})
}
