package bot

import (
	"fmt"
	"strings"
	"time"
)

// Limits on what one message may carry.
const (
	// MaxAnswerRunes bounds one answer; longer ones are refused unchanged.
	MaxAnswerRunes = 8000
	// maxHintsPerStep is the number of hint tiers.
	maxHintsPerStep = 2
	// FormMaxLength is the longest answer a form (modal) accepts; Discord's
	// text input allows 4,000 characters.
	FormMaxLength = 4000
)

// Input is one thing the candidate did inside an interview: a word
// (hint, next, ...) or an answer.
type Input struct {
	Word Word   // "" for an answer
	Text string // the answer when Word is ""
	// Judged is the AI judge's reading of the answer with Text added,
	// made before Advance (which does no I/O); nil when the judge is off.
	Judged *Judgment
}

// Turn is the engine's result: the new state, the replies, and whether
// the state changed (replies such as "status" change nothing).
type Turn struct {
	Session Session
	Replies []Outbound // addressed by the caller; Ephemeral ones keep Kind
	Changed bool
}

// Advance applies one input to a session. It is pure: no I/O, no clock
// reads, no randomness; now is the time of the input.
func Advance(s Session, sc *Scenario, in Input, now time.Time) Turn {
	t := Turn{Session: s}
	if s.Status != Active {
		t.say("This interview has ended. Start a new one with `/mlsd start`.")
		return t
	}
	switch in.Word {
	case "":
		return t.answer(sc, in, now)
	case WordHint:
		return t.hint(sc, now)
	case WordNext, WordSkip:
		return t.moveOn(sc, now)
	case WordRepeat:
		t.Replies = append(t.Replies, currentQuestion(&t.Session, sc))
		return t
	case WordStatus:
		t.say(StatusText(&t.Session, sc))
		return t
	case WordEnd:
		t.Session.Status = Abandoned
		t.Session.Probing = ""
		t.Session.Updated = now
		t.Changed = true
		t.say("Interview ended — no points for this one. Start another any time with `/mlsd start`.")
		return t
	case WordHelp:
		t.say(inSessionHelp)
		return t
	case WordAnswer:
		t.Replies = append(t.Replies, Outbound{
			Text: "Write your answer in the form.",
			Form: &Form{
				Title:     clip(stepHeading(&t.Session, sc), 45),
				Label:     clip(questionText(&t.Session, sc), 45),
				MaxLength: FormMaxLength,
				Context:   s.ID,
			},
		})
		return t
	}
	t.say("I don't know `" + string(in.Word) + "`. " + inSessionHelp)
	return t
}

const inSessionHelp = "In an interview you can type your answer, or one of: `hint` (costs points), `next`, `skip`, `repeat`, `status`, `end`."

func (t *Turn) say(text string) {
	t.Replies = append(t.Replies, Outbound{Text: text})
}

func (t Turn) answer(sc *Scenario, in Input, now time.Time) Turn {
	text := strings.TrimSpace(in.Text)
	if text == "" {
		t.say("That message was empty. Type your answer, or `hint`, `next`, `skip`.")
		return t
	}
	if n := len([]rune(text)); n > MaxAnswerRunes {
		t.say(fmt.Sprintf("That answer is too long (%d characters; the limit is %d). Please shorten it and send it again — nothing was saved.", n, MaxAnswerRunes))
		return t
	}
	s := &t.Session
	s.Updated = now
	t.Changed = true
	if s.Step == WrapUp {
		a := &s.Wrap[s.WrapPart]
		a.add(text, in.Judged)
		return t.nextWrapPart(sc)
	}
	a := &s.Answers[s.Step]
	a.add(text, in.Judged)
	a.Skipped = false
	if s.Probing != "" {
		s.Probing = ""
		return t.finishStep(sc)
	}
	if !a.Probed {
		if p := probeFor(sc, s.Step, a); p != nil {
			a.Probed = true
			s.Probing = p.Concept
			if a.Judged != nil {
				a.FollowUp = a.Judged.FollowUp
			}
			t.Replies = append(t.Replies, probeQuestion(s, sc, p))
			return t
		}
	}
	return t.finishStep(sc)
}

// add appends one message to the answer, with the judge's reading of
// the result when it read exactly that text.
func (a *StepAnswer) add(text string, judged *Judgment) {
	a.Text = joinAnswer(a.Text, text)
	a.Turns++
	if judged != nil && judged.Length == len(a.Text) {
		a.Judged = judged
	}
}

func joinAnswer(old, add string) string {
	if old == "" {
		return add
	}
	return old + "\n\n" + add
}

// probeFor picks the follow-up for the heaviest important concept the
// answer so far does not credit (ties in the order the scenario lists its
// probes), so a probe never asks for what was just said.
func probeFor(sc *Scenario, step StepID, a *StepAnswer) *Probe {
	spec := sc.Spec(step)
	if spec == nil || len(spec.Probes) == 0 {
		return nil
	}
	g := gradeAnswer(sc.Rubric(step), a)
	var best *Probe
	bestWeight := 0.0
	for i := range spec.Probes {
		p := &spec.Probes[i]
		for _, c := range g.Missing {
			if c.ID == p.Concept && c.Important && c.Weight > bestWeight {
				best, bestWeight = p, c.Weight
			}
		}
	}
	return best
}

func (t Turn) hint(sc *Scenario, now time.Time) Turn {
	s := &t.Session
	if s.Step == WrapUp {
		t.say("No hints in the wrap-up — say what you would do, even briefly, or type `skip`.")
		return t
	}
	a := &s.Answers[s.Step]
	if a.Hints >= maxHintsPerStep {
		t.say("You have used both hints for this step. Give it your best shot, or type `next`.")
		return t
	}
	spec := sc.Spec(s.Step)
	tier := a.Hints + 1
	var text string
	named := false
	if tier == 1 {
		text = spec.Hints.Nudge
	} else {
		if h := namedHintFor(sc, s.Step, a); h != nil {
			text = h.Text
			a.Named = append(a.Named, h.Concept)
			named = true
		} else {
			text = "Your answer already covers every concept a hint would name — add your reasoning and trade-offs, then move on."
			if strings.TrimSpace(a.Text) == "" {
				text = "No more specific hint for this step: answer the question above, and say why each choice matters for this case."
			}
		}
	}
	if text == "" {
		text = "Think about what an interviewer would need to hear before moving on."
	}
	a.Hints = tier
	s.Updated = now
	t.Changed = true
	cost := "−0.05 of this step"
	if named { // the grader charges a named hint 0.10 and caps its concept
		cost = "−0.10 of this step, and the concept it names earns half credit"
	}
	t.say(fmt.Sprintf("💡 **Hint %d/%d** (%s): %s", tier, maxHintsPerStep, cost, text))
	return t
}

// namedHintFor returns the tier-2 hint for the heaviest concept the answer
// so far has not covered.
func namedHintFor(sc *Scenario, step StepID, a *StepAnswer) *NamedHint {
	spec := sc.Spec(step)
	g := gradeAnswer(sc.Rubric(step), a)
	for _, c := range g.Missing { // heaviest first
		for i := range spec.Hints.Named {
			if spec.Hints.Named[i].Concept == c.ID && !contains(a.Named, c.ID) {
				return &spec.Hints.Named[i]
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (t Turn) moveOn(sc *Scenario, now time.Time) Turn {
	s := &t.Session
	s.Updated = now
	t.Changed = true
	if s.Step == WrapUp {
		return t.nextWrapPart(sc)
	}
	if s.Probing != "" { // next/skip during a follow-up skips only the follow-up
		s.Probing = ""
	} else if a := &s.Answers[s.Step]; a.Text == "" {
		a.Skipped = true
	}
	return t.finishStep(sc)
}

// finishStep closes the current step and asks the next question.
func (t Turn) finishStep(sc *Scenario) Turn {
	s := &t.Session
	if s.Drill != 0 {
		return t.finishDrill(sc)
	}
	if s.Mode == Practice {
		t.say(practiceFeedback(sc, s.Step, &s.Answers[s.Step]))
	}
	if s.Step == Monitoring {
		s.Step = WrapUp
		s.WrapPart = 0
	} else {
		s.Step++
	}
	t.Replies = append(t.Replies, currentQuestion(s, sc))
	return t
}

func (t Turn) nextWrapPart(sc *Scenario) Turn {
	s := &t.Session
	if s.WrapPart < len(s.Wrap)-1 {
		s.WrapPart++
		t.Replies = append(t.Replies, currentQuestion(s, sc))
		return t
	}
	report := Evaluate(sc, s)
	report.SessionID = s.ID
	s.Final = &report
	s.Status = Completed
	t.Replies = append(t.Replies, Outbound{Text: ReportText(&report), Report: &report})
	return t
}

var wrapTitles = [...]string{"Bottlenecks", "Monitoring follow-up", "Future improvements"}

func stepHeading(s *Session, sc *Scenario) string {
	if s.Step == WrapUp {
		return fmt.Sprintf("Wrap-up %d/3 — %s", s.WrapPart+1, wrapTitles[s.WrapPart])
	}
	return fmt.Sprintf("Step %d/%d — %s", s.Step, Steps, s.Step.Title())
}

func questionText(s *Session, sc *Scenario) string {
	if s.Step == WrapUp {
		return sc.WrapUp.Parts()[s.WrapPart].Question
	}
	if s.Step == Deployment {
		return sc.Spec(s.Step).Question + "\n\n" + WhiteboardTip
	}
	return sc.Spec(s.Step).Question
}

// Progress renders the steps done as dots: ●●●○○○○.
func Progress(s *Session) string {
	var b strings.Builder
	for st := Clarify; st <= Monitoring; st++ {
		if st < s.Step {
			b.WriteString("●")
		} else {
			b.WriteString("○")
		}
	}
	return b.String()
}

// interviewChoices are the buttons under a question. Each value carries
// the question's position, so a click on an older question's button is
// recognised instead of acting on the current one.
func interviewChoices(s *Session) []Choice {
	at := "@" + Position(s)
	c := []Choice{{Label: "Answer in a form", Value: string(WordAnswer) + at, Kind: ChoiceForm, Primary: true}}
	if s.Step != WrapUp {
		c = append(c, Choice{Label: "Hint", Value: string(WordHint) + at})
	}
	return append(c,
		Choice{Label: "Next", Value: string(WordNext) + at},
		Choice{Label: "Skip", Value: string(WordSkip) + at},
		Choice{Label: "End", Value: string(WordEnd) + at},
	)
}

// Position names the question being asked: "3" for step 3, "8.1" for the
// second wrap-up question.
func Position(s *Session) string {
	if s.Step == WrapUp {
		return fmt.Sprintf("%d.%d", s.Step, s.WrapPart)
	}
	return fmt.Sprintf("%d", s.Step)
}

func currentQuestion(s *Session, sc *Scenario) Outbound {
	if s.Probing != "" {
		spec := sc.Spec(s.Step)
		for i := range spec.Probes {
			if spec.Probes[i].Concept == s.Probing {
				return probeQuestion(s, sc, &spec.Probes[i])
			}
		}
	}
	heading := stepHeading(s, sc)
	q := questionText(s, sc)
	return Outbound{
		Text:    fmt.Sprintf("**%s**  %s\n\n%s", heading, Progress(s), q),
		Choices: interviewChoices(s),
		Question: &QuestionView{
			Scenario: sc.ID, Step: s.Step, Title: heading, Question: q, Progress: Progress(s),
		},
	}
}

func probeQuestion(s *Session, sc *Scenario, p *Probe) Outbound {
	heading, question := stepHeading(s, sc)+" (follow-up)", p.Question
	if q := s.Answers[s.Step].FollowUp; q != "" {
		heading, question = stepHeading(s, sc)+" (follow-up from the AI interviewer)", q
	}
	return Outbound{
		Text:    fmt.Sprintf("**%s**\n\n%s", heading, question),
		Choices: interviewChoices(s),
		Question: &QuestionView{
			Scenario: sc.ID, Step: s.Step, Title: heading, Question: question, Progress: Progress(s), Probe: true,
		},
	}
}

// practiceFeedback is the short per-step note of practice mode.
func practiceFeedback(sc *Scenario, step StepID, a *StepAnswer) string {
	if a.Skipped || a.Text == "" {
		return fmt.Sprintf("_%s: skipped (0 points)._", step.Title())
	}
	g := gradeAnswer(sc.Rubric(step), a)
	var b strings.Builder
	fmt.Fprintf(&b, "**Feedback — %s:** %s %d%%", step.Title(), Bar(g.Score, 10), int(g.Score*100+0.5))
	for i, m := range g.Matches {
		if i == 3 {
			break
		}
		fmt.Fprintf(&b, "\n- ✓ %s: “%s”", m.Label, m.Evidence)
	}
	// Every red flag, with the words that raised it: a practice round is
	// where a candidate most needs to see which sentence cost the points.
	for _, f := range g.RedFlags {
		fmt.Fprintf(&b, "\n- ✗ %s: “%s”", f.Label, f.Evidence)
	}
	for i, c := range g.Missing {
		if i == 2 {
			break
		}
		fmt.Fprintf(&b, "\n- ? %s", c.StudyQuestion())
	}
	for _, n := range answerNotes(g, a) {
		fmt.Fprintf(&b, "\n- ! %s", n)
	}
	return b.String()
}

// Bar renders a 0..1 value as a bar of width cells.
func Bar(v float64, width int) string {
	v = max(0, min(1, v))
	full := int(v*float64(width) + 0.5)
	return strings.Repeat("█", full) + strings.Repeat("░", width-full)
}
