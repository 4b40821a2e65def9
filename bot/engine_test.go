package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/scenarios"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func builtin(t testing.TB) *bot.Library {
	t.Helper()
	list, err := scenarios.Builtin()
	if err != nil {
		t.Fatalf("scenarios.Builtin: %v", err)
	}
	if len(list) == 0 {
		t.Fatal("no built-in scenarios")
	}
	return bot.NewLibrary(list...)
}

func newSession(sc *bot.Scenario, mode bot.Mode) bot.Session {
	return bot.Session{ID: "s1", Version: 1, User: bot.UserKey{Platform: bot.Console, Workspace: "w", UserID: "u"},
		ScenarioID: sc.ID, Mode: mode, Status: bot.Active, Step: bot.Clarify, Started: t0, Updated: t0}
}

// sessionAt drives a fresh session to the given step by skipping.
func sessionAt(t *testing.T, sc *bot.Scenario, step bot.StepID, wrapPart int) bot.Session {
	t.Helper()
	s := newSession(sc, bot.Mock)
	for s.Step < step {
		s = bot.Advance(s, sc, bot.Input{Word: bot.WordSkip}, t0).Session
	}
	for s.WrapPart < wrapPart {
		s = bot.Advance(s, sc, bot.Input{Word: bot.WordSkip}, t0).Session
	}
	return s
}

const fullAnswer = "Because we must be careful, I would first clarify the business goal and the scale, so that we know the latency budget and what data is available. This answer is long enough to count as a real answer with reasoning and a trade-off."

// TestAdvanceEveryStepEveryWord covers each (step, in-session word) pair.
func TestAdvanceEveryStepEveryWord(t *testing.T) {
	lib := builtin(t)
	sc := lib.All()[0]
	type place struct {
		step bot.StepID
		part int
	}
	var places []place
	for st := bot.Clarify; st <= bot.Monitoring; st++ {
		places = append(places, place{st, 0})
	}
	for p := 0; p < 3; p++ {
		places = append(places, place{bot.WrapUp, p})
	}
	words := []bot.Word{"", bot.WordHint, bot.WordNext, bot.WordSkip, bot.WordRepeat, bot.WordStatus, bot.WordEnd, bot.WordHelp, bot.WordAnswer}
	for _, pl := range places {
		for _, w := range words {
			name := fmt.Sprintf("%s-%d/%s", pl.step.Key(), pl.part, w)
			if w == "" {
				name = fmt.Sprintf("%s-%d/answer-text", pl.step.Key(), pl.part)
			}
			t.Run(name, func(t *testing.T) {
				s := sessionAt(t, sc, pl.step, pl.part)
				in := bot.Input{Word: w}
				if w == "" {
					in.Text = fullAnswer
				}
				turn := bot.Advance(s, sc, in, t0.Add(time.Minute))
				got := turn.Session
				if len(turn.Replies) == 0 {
					t.Fatal("no reply")
				}
				last := turn.Replies[len(turn.Replies)-1]
				wrap := pl.step == bot.WrapUp
				lastPart := wrap && pl.part == 2
				switch w {
				case "":
					if !turn.Changed {
						t.Fatal("answer did not change the session")
					}
					switch {
					case lastPart:
						if got.Status != bot.Completed || got.Final == nil || last.Report == nil {
							t.Fatalf("last wrap-up answer: status %s, final %v, report %v", got.Status, got.Final != nil, last.Report != nil)
						}
					case got.Probing != "":
						if got.Step != pl.step || !last.Question.Probe {
							t.Fatalf("probe asked but step moved to %v or reply is not a probe", got.Step)
						}
					default:
						if !moved(s, got) {
							t.Fatalf("answer did not move on: step %v part %d", got.Step, got.WrapPart)
						}
					}
				case bot.WordHint:
					if wrap {
						if turn.Changed {
							t.Fatal("hint in the wrap-up changed the session")
						}
						return
					}
					if !turn.Changed || got.Answers[pl.step].Hints != 1 || !strings.Contains(last.Text, "Hint 1/2") {
						t.Fatalf("first hint: changed %v hints %d text %q", turn.Changed, got.Answers[pl.step].Hints, last.Text)
					}
					second := bot.Advance(got, sc, in, t0)
					if second.Session.Answers[pl.step].Hints != 2 || !strings.Contains(second.Replies[0].Text, "Hint 2/2") {
						t.Fatalf("second hint: %q", second.Replies[0].Text)
					}
					third := bot.Advance(second.Session, sc, in, t0)
					if third.Changed {
						t.Fatal("third hint changed the session")
					}
				case bot.WordNext, bot.WordSkip:
					if !turn.Changed {
						t.Fatal("did not change the session")
					}
					if lastPart {
						if got.Status != bot.Completed {
							t.Fatalf("status %s after skipping the last wrap-up question", got.Status)
						}
						return
					}
					if !moved(s, got) {
						t.Fatalf("did not move on: step %v part %d", got.Step, got.WrapPart)
					}
					if !wrap && !got.Answers[pl.step].Skipped {
						t.Fatal("unanswered step not marked skipped")
					}
				case bot.WordRepeat, bot.WordStatus, bot.WordHelp:
					if turn.Changed {
						t.Fatal("changed the session")
					}
					if w == bot.WordRepeat && last.Question == nil {
						t.Fatal("repeat did not re-ask the question")
					}
				case bot.WordEnd:
					if !turn.Changed || got.Status != bot.Abandoned || got.Final != nil {
						t.Fatalf("end: changed %v status %s", turn.Changed, got.Status)
					}
				case bot.WordAnswer:
					if turn.Changed || last.Form == nil || last.Form.MaxLength != bot.FormMaxLength {
						t.Fatalf("answer form: changed %v form %+v", turn.Changed, last.Form)
					}
				}
			})
		}
	}
}

func moved(before, after bot.Session) bool {
	if after.Step != before.Step {
		return after.Step == before.Step+1
	}
	return after.Step == bot.WrapUp && after.WrapPart == before.WrapPart+1
}

func TestAdvanceProbeMergesIntoStep(t *testing.T) {
	lib := builtin(t)
	for _, sc := range lib.All() {
		t.Run(sc.ID, func(t *testing.T) {
			s := newSession(sc, bot.Mock)
			turn := bot.Advance(s, sc, bot.Input{Text: "I would like to understand the problem better before anything else, so let me think about it for a while."}, t0)
			if turn.Session.Probing == "" {
				t.Fatal("a vague answer got no follow-up question")
			}
			reply := "Good point: here is more detail about that, because it matters for the design."
			after := bot.Advance(turn.Session, sc, bot.Input{Text: reply}, t0)
			if after.Session.Step != bot.Frame || after.Session.Probing != "" {
				t.Fatalf("after the follow-up: step %v probing %q", after.Session.Step, after.Session.Probing)
			}
			if got := after.Session.Answers[bot.Clarify].Text; !strings.Contains(got, reply) {
				t.Fatalf("follow-up reply not merged into step 1: %q", got)
			}
		})
	}
}

func TestAdvanceRefusesBadAnswers(t *testing.T) {
	lib := builtin(t)
	sc := lib.All()[0]
	s := newSession(sc, bot.Mock)
	for name, text := range map[string]string{
		"empty":    "   \n\t ",
		"too long": strings.Repeat("word ", bot.MaxAnswerRunes),
	} {
		t.Run(name, func(t *testing.T) {
			turn := bot.Advance(s, sc, bot.Input{Text: text}, t0)
			if turn.Changed {
				t.Fatal("bad answer changed the session")
			}
			if len(turn.Replies) != 1 || turn.Replies[0].Text == "" {
				t.Fatalf("replies = %+v, want one explanation", turn.Replies)
			}
		})
	}
}

func TestAdvancePracticeFeedback(t *testing.T) {
	lib := builtin(t)
	sc := lib.All()[0]
	s := newSession(sc, bot.Practice)
	turn := bot.Advance(s, sc, bot.Input{Word: bot.WordSkip}, t0)
	if !strings.Contains(turn.Replies[0].Text, "skipped") {
		t.Fatalf("practice feedback for a skipped step = %q", turn.Replies[0].Text)
	}
	mock := bot.Advance(newSession(sc, bot.Mock), sc, bot.Input{Word: bot.WordSkip}, t0)
	if len(mock.Replies) != 1 {
		t.Fatalf("mock mode gave %d replies after a step, want only the next question", len(mock.Replies))
	}

	// A red flag is named with the words that raised it.
	toy := testScenario(t)
	ps := sessionAt(t, toy, bot.Evaluation, 0)
	ps.Mode = bot.Practice
	ps.Answers[bot.Evaluation].Probed = true
	answer := "We would report accuracy on the test set, because it is simple." + pad
	turn = bot.Advance(ps, toy, bot.Input{Text: answer}, t0.Add(time.Minute))
	if fb := turn.Replies[0].Text; !strings.Contains(fb, "✗ plain accuracy: “accuracy”") {
		t.Errorf("practice feedback does not name the red flag with its words:\n%s", fb)
	}
}

// The probe asks for the heaviest important concept the answer lacks, and
// never for one it just credited, whatever order the probes are listed in.
func TestProbePrefersHeaviestMissing(t *testing.T) {
	sc := testScenarioWith(t, func(sc *bot.Scenario) {
		goal := concept("goal_metric", 3, "watch time per session", "time spent & per session")
		goal.Important = true
		sc.Steps[0].Concepts = append(sc.Steps[0].Concepts, goal)
		sc.Steps[0].Probes = []bot.Probe{
			{Concept: "cold_start", Question: "What about new users?"},
			{Concept: "goal_metric", Question: "Which number should move?"},
		}
	})
	for _, tt := range []struct {
		answer, want string
	}{
		{"We would ask about latency and the business goal, because users leave." + pad, "Which number should move?"},
		{"The number that should move is time spent per session, because users leave." + pad, "What about new users?"},
		{"Time spent per session is the goal and cold start matters, because users leave." + pad, ""},
	} {
		s := sessionAt(t, sc, bot.Clarify, 0)
		turn := bot.Advance(s, sc, bot.Input{Text: tt.answer}, t0.Add(time.Minute))
		got := ""
		if last := turn.Replies[len(turn.Replies)-1]; last.Question != nil && last.Question.Probe {
			got = last.Question.Question
		}
		if got != tt.want {
			t.Errorf("answer %q: probe %q, want %q", tt.answer, got, tt.want)
		}
	}
}
