package bot

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

// Session scoring constants (see Evaluate).
const (
	// PitfallPenalty is what each detected pitfall costs, in points of 100.
	PitfallPenalty = 5
	// JumpPenalty is what jumping to the model costs instead: it is the
	// pitfall interviewers hold against a candidate most, since every
	// later choice then rests on requirements nobody asked about.
	JumpPenalty = 10
	// MaxWrapUpBonus is the wrap-up's bonus at a perfect wrap-up.
	MaxWrapUpBonus = 10
	// DataCoverageFloor: step-3 coverage below it is "ignored the data pipeline".
	DataCoverageFloor = 0.35
	// DataSubstantialWords and DataSubstantialCoverage: a data answer this
	// long, with at least this coverage, is never "ignored the data".
	DataSubstantialWords    = 120
	DataSubstantialCoverage = 0.15
	// DeployMonitorFloor: a mean step-6/7 score below it is
	// "overlooked deployment/monitoring".
	DeployMonitorFloor = 0.35
	// jumpMinModelTerms: a step-1 answer naming this many models or
	// architecture parts, more than the requirements it asks about, jumped.
	jumpMinModelTerms = 3
	// FlagSessionPenalty is what each red flag raised anywhere costs the
	// session, in points of 100, besides its cost to the step: a candidate
	// who states many mistakes fluently is not a hire.
	FlagSessionPenalty = 7
	// MaxFlagSessionPenalty caps what red flags cost the session, so a
	// candidate's score still tells their right ideas apart.
	MaxFlagSessionPenalty = 40

	maxMissingShown = 5
	maxStrengths    = 5
	maxGaps         = 8
	strengthMinimum = 0.5 // a step must score this much to yield a strength
	gapThreshold    = 0.85
)

// Evaluate grades a whole session against its scenario (prepared).
//
//	step_s  = Rubric(s).Grade(answer_s).Score, 0 for a skipped or empty step
//	base    = 100 × Σ_s W_s·step_s              (W = 0.15 0.15 0.20 0.15 0.15 0.10 0.10)
//	bonus   = 10 × mean(wrap-up part scores)    (0..10; a part crediting
//	          fewer than 2 concepts scores at most 0.2, see Grade)
//	Score   = clamp(round(base + bonus − pitfalls − min(40, 7 × red flags)), 0, 100)
//	Points  = Score × difficulty multiplier     (1, 1.25, 1.5)
//	Band    = BandFor(Score)
//
// Pitfalls (5 points each, 10 for jumping): jumped to the model (a model term in step 1 or
// 2 before any requirement or data concept outside the model's own noun
// phrase, or step 1 naming 3+ model terms and fewer requirements; see
// jumpedToModel), ignored the data pipeline
// (step-3 coverage < 0.35), overlooked deployment/monitoring (mean of the
// step-6 and step-7 scores < 0.35).
func Evaluate(sc *Scenario, s *Session) Report {
	rep := Report{
		SessionID: s.ID, ScenarioID: sc.ID, ScenarioTitle: sc.Title,
		Difficulty: sc.Difficulty, Mode: s.Mode,
	}
	var grades [WrapUp + 1]rubric.StepGrade
	base := 0.0
	for step := Clarify; step <= Monitoring; step++ {
		ans := s.Answers[step]
		g, answered := gradeStep(sc, step, &ans)
		grades[step] = g
		rep.Coverage = append(rep.Coverage, conceptMarks(sc, step, sc.Rubric(step), &g)...)
		sr := StepReport{
			Step: step, Title: step.Title(), Score: g.Score,
			Max: 100 * step.Weight(), Skipped: ans.Skipped, Hints: ans.Hints,
			Matches: g.Matches, Missing: labels(g.Missing, maxMissingShown),
			RedFlags: flagLabels(g.RedFlags), Flags: flagReports(g.RedFlags, 0),
		}
		sr.Points = sr.Score * sr.Max
		switch {
		case ans.Skipped:
			sr.Notes = []string{"skipped"}
		case !answered:
			sr.Notes = []string{"no answer"}
		default:
			sr.Notes = answerNotes(g, &ans)
		}
		base += sr.Points
		rep.HintsUsed += ans.Hints
		rep.Steps = append(rep.Steps, sr)
	}

	rep.WrapUp = StepReport{Step: WrapUp, Title: WrapUp.Title(), Max: MaxWrapUpBonus}
	var wrapGrades [3]rubric.StepGrade
	sum := 0.0
	for part := range 3 {
		ans := s.Wrap[part]
		answered := !ans.Skipped && strings.TrimSpace(ans.Text) != ""
		rep.HintsUsed += ans.Hints
		rep.WrapUp.Hints += ans.Hints
		r := sc.WrapUpRubric(part)
		if !answered {
			wrapGrades[part] = rubric.StepGrade{}
			if r != nil {
				rep.WrapUp.Missing = append(rep.WrapUp.Missing, labels(rubric.SortedMissing(slices.Clone(r.Concepts)), 2)...)
			}
			rep.WrapUp.Notes = append(rep.WrapUp.Notes, strings.ToLower(WrapUpPartTitle(part))+": no answer")
			continue
		}
		g := gradeAnswer(r, &ans)
		wrapGrades[part] = g
		sum += g.Score
		rep.WrapUp.Matches = append(rep.WrapUp.Matches, g.Matches...)
		rep.WrapUp.RedFlags = append(rep.WrapUp.RedFlags, flagLabels(g.RedFlags)...)
		rep.WrapUp.Flags = append(rep.WrapUp.Flags, flagReports(g.RedFlags, part)...)
		rep.WrapUp.Missing = append(rep.WrapUp.Missing, labels(g.Missing, 2)...)
		for _, n := range answerNotes(g, &ans) {
			rep.WrapUp.Notes = append(rep.WrapUp.Notes, strings.ToLower(WrapUpPartTitle(part))+": "+n)
		}
	}
	rep.WrapUp.Score = sum / 3
	rep.WrapUpBonus = MaxWrapUpBonus * rep.WrapUp.Score
	rep.WrapUp.Points = rep.WrapUpBonus

	rep.Pitfalls = pitfalls(sc, s, &grades)
	rep.FlagCount = len(rep.WrapUp.Flags)
	for _, st := range rep.Steps {
		rep.FlagCount += len(st.Flags)
	}
	pitfalls := 0
	for _, p := range rep.Pitfalls {
		pitfalls += p.Penalty
	}
	total := base + rep.WrapUpBonus - float64(pitfalls) - float64(min(MaxFlagSessionPenalty, FlagSessionPenalty*rep.FlagCount))
	rep.Score = int(max(0, min(100, math.Round(total))))
	rep.Points = float64(rep.Score) * sc.Difficulty.Multiplier()
	rep.Band = BandFor(rep.Score)

	rep.Strengths = strengths(s, &grades)
	rep.Gaps = gaps(&grades)
	rep.Outline = outline(sc)
	return rep
}

// gradeStep grades a step's answer as the report counts it: a skipped or
// empty step scores 0 (its hints still cost nothing more).
func gradeStep(sc *Scenario, step StepID, ans *StepAnswer) (g rubric.StepGrade, answered bool) {
	answered = !ans.Skipped && strings.TrimSpace(ans.Text) != ""
	graded := *ans
	if !answered {
		graded.Text = ""
	}
	g = gradeAnswer(sc.Rubric(step), &graded)
	if !answered {
		g.Score, g.Coverage = 0, 0
	}
	return g, answered
}

// gradeAnswer grades one answer with its AI judgment's checked credits
// and claims. An answer that addresses the grader is graded by the rubric
// alone, and flagged.
func gradeAnswer(r *rubric.Rubric, a *StepAnswer) rubric.StepGrade {
	ans := rubric.Answer{Text: a.Text, Hints: a.Hints, Named: a.Named}
	if c, ok := AddressesGrader(a.Text); ok {
		ans.Claims = []rubric.Claim{c}
	} else if a.Judged != nil {
		ans.Credits, ans.Claims = a.Judged.Credits, a.Judged.Claims
	}
	return r.Grade(ans)
}

// answerNotes are the grade's notes, and why the AI judge did not read
// the answer when it did not.
func answerNotes(g rubric.StepGrade, a *StepAnswer) []string {
	notes := g.Notes()
	if a.Judged != nil && a.Judged.Offline != "" {
		notes = append(notes, a.Judged.Offline)
	}
	return notes
}

func labels(cs []rubric.Concept, limit int) []string {
	var out []string
	for _, c := range cs {
		if len(out) == limit {
			break
		}
		out = append(out, c.Label)
	}
	return out
}

func flagReports(fs []rubric.Flag, part int) []FlagReport {
	var out []FlagReport
	for _, f := range fs {
		label := f.Label
		if f.Source == rubric.SourceJudge && f.Why != "" {
			label += " (AI judge: " + f.Why + ")"
		}
		out = append(out, FlagReport{Label: label, Evidence: f.Evidence, Offset: f.Offset, Part: part, Again: f.Again})
	}
	return out
}

func flagLabels(fs []rubric.Flag) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Label)
	}
	return out
}

func pitfalls(sc *Scenario, s *Session, grades *[WrapUp + 1]rubric.StepGrade) []Pitfall {
	var out []Pitfall
	if p, ok := jumpedToModel(sc, s, &grades[Clarify]); ok {
		out = append(out, p)
	}
	// A long data answer the rubric credits a little has not ignored the
	// data: its low coverage already costs the step, and "ignored" would
	// be a false charge against ideas put in words the rubric lacks.
	if c, g := grades[Data].Coverage, &grades[Data]; c < DataCoverageFloor &&
		!(g.Words >= DataSubstantialWords && c >= DataSubstantialCoverage) {
		out = append(out, Pitfall{
			ID: PitfallIgnoredData, Name: "Ignored the data pipeline", Penalty: PitfallPenalty,
			Detail: fmt.Sprintf("Data & features covered %d%% of the expected ground (under %d%%): "+
				"sources, labels, features and leakage decide the result more than the model does.",
				pct(c), pct(DataCoverageFloor)),
		})
	}
	if m := (grades[Deployment].Score + grades[Monitoring].Score) / 2; m < DeployMonitorFloor {
		out = append(out, Pitfall{
			ID: PitfallOverlookedDeployMon, Name: "Overlooked deployment/monitoring", Penalty: PitfallPenalty,
			Detail: fmt.Sprintf("Deployment and monitoring averaged %d%% (under %d%%): "+
				"say how the model is served and rolled out, and how you would notice it going wrong.",
				pct(m), pct(DeployMonitorFloor)),
		})
	}
	return out
}

// jumpedToModel looks at steps 1 and 2 in order: a model or architecture
// term before any requirement (step-1 concept) or data (step-3 concept)
// mention is the pitfall. A mention inside the model's own noun phrase
// ("fine-tune a multimodal transformer") is not "before" it, and one that
// comes only after the model term does not help. Once a requirement is on
// the table, later model talk is fine, so step 2 is only looked at when
// step 1 names no requirement or data at all.
func jumpedToModel(sc *Scenario, s *Session, clarify *rubric.StepGrade) (Pitfall, bool) {
	// Step 1 spent on architectures: more model terms than requirements.
	if ans := s.Answers[Clarify]; !ans.Skipped && strings.TrimSpace(ans.Text) != "" {
		if n, term := sc.Rubric(Clarify).ModelTerms(ans.Text); n >= jumpMinModelTerms && n > len(clarify.Matches) {
			return Pitfall{
				ID: PitfallJumpedToModel, Name: "Jumped to the model", Penalty: JumpPenalty,
				Detail: fmt.Sprintf("Step 1 named %d models or architecture parts (first %q) and only %d requirement%s: "+
					"pin down the goal, scale and data first, then choose a model.", n, term, len(clarify.Matches), plural(len(clarify.Matches))),
			}, true
		}
	}
	// Step 1 announcing the jump ("the requirements seem clear, so I'd go
	// straight to the detector") and naming a model: however many
	// requirement words it mentions on the way.
	if ans := s.Answers[Clarify]; sc.jump() != nil && !ans.Skipped && strings.TrimSpace(ans.Text) != "" {
		if g := sc.jump().Grade(rubric.Answer{Text: ans.Text}); len(g.Matches) > 0 {
			if n, term := sc.Rubric(Clarify).ModelTerms(ans.Text); n > 0 {
				return Pitfall{
					ID: PitfallJumpedToModel, Name: "Jumped to the model", Penalty: JumpPenalty,
					Detail: fmt.Sprintf("Step 1 set the requirements aside (%q) and went to %q: "+
						"pin down the goal, scale and data first, then choose a model.", g.Matches[0].Evidence, term),
				}, true
			}
		}
	}
	for _, step := range []StepID{Clarify, Frame} {
		ans := s.Answers[step]
		if ans.Skipped || strings.TrimSpace(ans.Text) == "" {
			continue
		}
		first, term, off := -1, "", -1
		for _, r := range []*rubric.Rubric{sc.Rubric(Clarify), sc.Rubric(Data)} {
			m, t, o := r.JumpScan(ans.Text)
			if m >= 0 && (first < 0 || m < first) {
				first = m
			}
			if o >= 0 {
				term, off = t, o
			}
		}
		if off >= 0 && (first < 0 || off < first) {
			return Pitfall{
				ID: PitfallJumpedToModel, Name: "Jumped to the model", Penalty: JumpPenalty,
				Detail: fmt.Sprintf("Step %d named %q before any requirement or data: "+
					"pin down the goal, scale and data first, then choose a model.", int(step), term),
			}, true
		}
		if first >= 0 {
			return Pitfall{}, false
		}
	}
	return Pitfall{}, false
}

// strengths quotes the best evidence of each step that went well: the
// heaviest credited concept whose sentence neither raised a red flag nor
// dismissed a concept, so a mistake is never quoted as a strength.
func strengths(s *Session, grades *[WrapUp + 1]rubric.StepGrade) []rubric.Match {
	type cand struct {
		step  StepID
		score float64
		m     rubric.Match
	}
	var cands []cand
	for step := Clarify; step <= Monitoring; step++ {
		g := &grades[step]
		if g.Score < strengthMinimum || len(g.Matches) == 0 {
			continue
		}
		text := s.Answers[step].Text
		ms := slices.Clone(g.Matches)
		slices.SortStableFunc(ms, func(a, b rubric.Match) int { return cmp.Compare(b.Weight*b.Credit, a.Weight*a.Credit) })
		for _, m := range ms {
			if m.Related {
				continue // loose words are credited, not held up as a strength
			}
			quote, off := rubric.QuoteSentence(text, m.Offset, len(m.Evidence))
			if tainted(g, off, off+len(quote)) {
				continue
			}
			m.Evidence, m.Offset = quote, off
			cands = append(cands, cand{step, g.Score, m})
			break
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Compare(b.score, a.score) })
	cands = cands[:min(len(cands), maxStrengths)]
	slices.SortFunc(cands, func(a, b cand) int { return cmp.Compare(a.step, b.step) })
	var out []rubric.Match
	for _, c := range cands {
		out = append(out, c.m)
	}
	return out
}

// tainted reports whether text[from:to] holds the words of a red flag or
// of a dismissed concept.
func tainted(g *rubric.StepGrade, from, to int) bool {
	overlaps := func(off, n int) bool { return off < to && off+n > from }
	for _, f := range g.RedFlags {
		if overlaps(f.Offset, len(f.Evidence)) {
			return true
		}
		for _, q := range f.Again {
			if overlaps(q.Offset, len(q.Evidence)) {
				return true
			}
		}
	}
	for _, d := range g.Dismissed {
		if overlaps(d.Offset, len(d.Evidence)) {
			return true
		}
	}
	return false
}

// gaps turns each weak step's most important missed concepts into
// questions to study.
func gaps(grades *[WrapUp + 1]rubric.StepGrade) []string {
	var out []string
	for step := Clarify; step <= Monitoring && len(out) < maxGaps; step++ {
		g := &grades[step]
		if g.Score >= gapThreshold {
			continue
		}
		n := 1
		if g.Score < strengthMinimum {
			n = 2
		}
		missing := slices.Clone(g.Missing)
		// Important concepts first, then by weight (Missing is already by weight).
		slices.SortStableFunc(missing, func(a, b rubric.Concept) int {
			switch {
			case a.Important && !b.Important:
				return -1
			case b.Important && !a.Important:
				return 1
			}
			return 0
		})
		for _, c := range missing {
			if n == 0 || len(out) == maxGaps {
				break
			}
			if q := c.StudyQuestion(); !slices.Contains(out, q) {
				out = append(out, q)
				n--
			}
		}
	}
	return out
}

func outline(sc *Scenario) []Section {
	var out []Section
	for step := Clarify; step <= Monitoring; step++ {
		if spec := sc.Spec(step); spec != nil && strings.TrimSpace(spec.Outline) != "" {
			out = append(out, Section{
				Title: fmt.Sprintf("Step %d — %s", int(step), step.Title()),
				Text:  strings.TrimSpace(spec.Outline),
			})
		}
	}
	for i, q := range sc.WrapUp.Parts() {
		if t := strings.TrimSpace(q.GoodAnswer); t != "" {
			out = append(out, Section{Title: "Wrap-up — " + WrapUpPartTitle(i), Text: t})
		}
	}
	return out
}

func pct(x float64) int { return int(math.Round(x * 100)) }

func clamp01(x float64) float64 { return max(0, min(1, x)) }
