package rubric

import (
	"fmt"
	"math"
)

// Notes are the caps and penalties of a grade in words, for feedback.
func (g StepGrade) Notes() []string {
	var notes []string
	if g.Echoed > 0 {
		notes = append(notes, fmt.Sprintf("%s the prompt: restating the case earns nothing, say what you would ask or decide", plural(g.Echoed, "sentence restates", "sentences restate")))
	}
	if g.TooShort {
		notes = append(notes, fmt.Sprintf("too short (%d words; aim for %d+)", g.Words, g.MinWords))
	}
	if g.FewConcepts {
		notes = append(notes, fmt.Sprintf("one idea only: name at least %d (capped at %d%%)", WrapUpMinConcepts, pct(WrapUpFewConceptsCap)))
	}
	if g.KeywordList {
		notes = append(notes, fmt.Sprintf("reads like a keyword list (capped at %d%%)", pct(KeywordListCap)))
	}
	if g.NoJustification {
		notes = append(notes, fmt.Sprintf("no reasoning cue: say why, not just what (−%d%%)", pct(NoJustificationPenalty)))
	}
	if g.HintPenalty > 0 {
		notes = append(notes, fmt.Sprintf("hints used (−%d%%)", pct(g.HintPenalty)))
	}
	if g.FlagPenalty > 0 {
		notes = append(notes, fmt.Sprintf("red flags (−%d%%)", pct(g.FlagPenalty)))
	}
	return notes
}

func pct(x float64) int { return int(math.Round(x * 100)) }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
