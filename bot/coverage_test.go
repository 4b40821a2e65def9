package bot_test

import (
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
)

// TestEvaluateCoverage: every concept of every step gets one mark, earned
// exactly when the step report credits it; case concepts are keyed by the
// scenario, framework ones are not; raised red flags follow.
func TestEvaluateCoverage(t *testing.T) {
	sc := testScenario(t)
	answers := strongAnswers
	answers[bot.Monitoring] = ""
	answers[bot.Evaluation] = "We report plain accuracy on a held-out set because it is simple, then calibration."
	rep := bot.Evaluate(sc, session(answers, strongWrap))
	for step := bot.Clarify; step <= bot.Monitoring; step++ {
		sr := rep.Steps[step-1]
		credited := map[string]bool{}
		for _, m := range sr.Matches {
			credited[m.Concept] = true
		}
		seen := map[string]bool{}
		for _, m := range rep.Coverage {
			if m.Step != step || m.Outcome == bot.Flagged {
				continue
			}
			id := m.Key[strings.LastIndex(m.Key, ":")+1:]
			seen[id] = true
			if (m.Outcome == bot.Earned) != credited[id] {
				t.Errorf("step %v concept %s: outcome %c, credited %v", step, id, m.Outcome, credited[id])
			}
			caseConcept := strings.HasPrefix(m.Key, "c:"+sc.ID+":"+step.Key()+":")
			if !caseConcept && !strings.HasPrefix(m.Key, "f:"+step.Key()+":") {
				t.Errorf("mark key %q is neither a case nor a framework key", m.Key)
			}
		}
		if n := len(sc.Rubric(step).Concepts); len(seen) != n {
			t.Errorf("step %v: %d concepts marked, rubric has %d", step, len(seen), n)
		}
		if step == bot.Monitoring && credited["drift"] {
			t.Errorf("an empty step credited a concept")
		}
	}
	flags, kinds := 0, map[byte]int{}
	for _, m := range rep.Coverage {
		kinds[m.Key[0]]++
		if m.Outcome == bot.Flagged {
			flags++
			if !strings.HasPrefix(m.Key, "r:") {
				t.Errorf("flag mark key %q", m.Key)
			}
		}
	}
	raised := 0
	for _, sr := range rep.Steps {
		for _, f := range sr.Flags {
			if !strings.HasPrefix(f.Label, "Dismissed") {
				raised++
			}
		}
	}
	if kinds['c'] == 0 || kinds['f'] == 0 || flags == 0 {
		t.Errorf("marks by kind %v: want case, framework and flag marks", kinds)
	}
	if flags != raised {
		t.Errorf("%d flag marks, the steps raised %d red flags", flags, raised)
	}
}
