package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

// DrillPointShare is the share of points a drill earns: what a full
// interview with the drilled step's score would earn, times this. Small
// and fixed, so drills keep a streak alive without outranking interviews.
const DrillPointShare = 0.1

// drillRecent is how many of the latest drills' scenarios a new drill
// avoids.
const drillRecent = 5

// EvaluateDrill grades a drill: the drilled step alone, with its concept
// marks, red flags and study questions. Score is the step's score in
// percent; Points is DrillPointShare of Score × the difficulty multiplier.
func EvaluateDrill(sc *Scenario, s *Session) Report {
	step := s.Drill
	ans := s.Answers[step]
	g, answered := gradeStep(sc, step, &ans)
	sr := StepReport{
		Step: step, Title: step.Title(), Score: g.Score, Max: 100, Points: 100 * g.Score,
		Skipped: ans.Skipped, Hints: ans.Hints, Matches: g.Matches, Missing: labels(g.Missing, maxMissingShown),
		RedFlags: flagLabels(g.RedFlags), Flags: flagReports(g.RedFlags, 0),
	}
	if answered {
		sr.Notes = answerNotes(g, &ans)
	} else {
		sr.Notes = []string{"skipped"}
	}
	var grades [WrapUp + 1]rubric.StepGrade
	grades[step] = g
	rep := Report{
		SessionID: s.ID, ScenarioID: sc.ID, ScenarioTitle: sc.Title, Difficulty: sc.Difficulty, Mode: s.Mode,
		Score: pct(g.Score), Steps: []StepReport{sr}, HintsUsed: ans.Hints, FlagCount: len(sr.Flags),
		Gaps:     gaps(&grades),
		Coverage: conceptMarks(sc, step, sc.Rubric(step), &g),
	}
	rep.Band = BandFor(rep.Score)
	rep.Points = math.Round(DrillPointShare*float64(rep.Score)*sc.Difficulty.Multiplier()*100) / 100
	return rep
}

// finishDrill closes a drill after its one step: feedback and the drill's
// report, and the session completes.
func (t Turn) finishDrill(sc *Scenario) Turn {
	s := &t.Session
	rep := EvaluateDrill(sc, s)
	s.Final = &rep
	s.Status = Completed
	s.Probing = ""
	t.say(practiceFeedback(sc, s.Drill, &s.Answers[s.Drill]))
	t.say(DrillReportText(&rep))
	return t
}

// DrillReportText renders a drill's report.
func DrillReportText(r *Report) string {
	var b strings.Builder
	st := StepReport{}
	if len(r.Steps) > 0 {
		st = r.Steps[0]
	}
	fmt.Fprintf(&b, "**Drill done — %s** on %s\n", st.Title, r.ScenarioTitle)
	fmt.Fprintf(&b, "`%s` %d%% · +%s leaderboard points", Bar(st.Score, 10), r.Score, formatPoints(r.Points))
	if len(st.Notes) > 0 {
		fmt.Fprintf(&b, " _(%s)_", strings.Join(st.Notes, "; "))
	}
	b.WriteString("\n")
	if len(st.Matches) > 0 {
		b.WriteString("\n**You covered**\n")
		for _, m := range st.Matches {
			fmt.Fprintf(&b, "- %s: “%s”\n", m.Label, m.Evidence)
		}
	}
	if len(st.Flags) > 0 {
		b.WriteString("\n**Red flags**\n")
		for _, f := range st.Flags {
			fmt.Fprintf(&b, "- %s: “%s”\n", f.Label, f.Evidence)
		}
	}
	if len(r.Gaps) > 0 {
		b.WriteString("\n**Questions to study**\n")
		for _, g := range r.Gaps {
			fmt.Fprintf(&b, "- %s\n", g)
		}
	}
	b.WriteString("\nAnother one: `/mlsd drill` · your progress: `/mlsd me`")
	return b.String()
}

// drill answers /mlsd drill [step] [scenario]: it starts a one-step
// session in a new thread, on the step asked for (default: the weakest)
// and a scenario chosen for the concepts the person misses most.
func (b *Bot) drill(ctx context.Context, log *slog.Logger, in Inbound, cmd Command) ([]Outbound, error) {
	if b.cfg.Progress == nil {
		return []Outbound{b.ephemeral(in, msgNoProgress)}, nil
	}
	if s, err := b.cfg.Store.ActiveSession(ctx, in.User()); err == nil {
		return []Outbound{b.ephemeral(in, alreadyRunning(&s, b.cfg.Library))}, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	st, err := b.cfg.Store.Stats(ctx, in.User())
	if err != nil {
		return nil, err
	}
	p, err := b.cfg.Progress.Progress(ctx, in.User())
	if err != nil {
		return nil, err
	}
	step := cmd.Step
	if step == 0 {
		step = DrillStep(st, p.Tracks)
	}
	var sc *Scenario
	if cmd.Scenario != "" {
		var problem string
		if sc, problem, err = b.pickScenario(ctx, in.User(), cmd.Scenario); err != nil {
			return nil, err
		} else if sc == nil {
			return []Outbound{b.ephemeral(in, problem)}, nil
		}
	} else {
		sc = b.drillScenario(step, p)
	}
	now := b.cfg.Now()
	s := Session{
		ID: b.newID(now), Version: 1, User: in.User(), UserName: in.UserName, Channel: in.Channel,
		ScenarioID: sc.ID, Mode: Practice, Status: Active, Step: step, Drill: step, Started: now, Updated: now,
	}
	if out, err := b.create(ctx, in, &s); out != nil || err != nil {
		return out, err
	}
	log.Info("drill started", "session", s.ID, "scenario", sc.ID, "step", step.Key())
	b.trackIdle(ctx, log, &s)
	intro := Outbound{Where: Where{Kind: NewThread, Channel: in.Channel}, Text: PromptMessage(sc), Session: s.ID}
	first := currentQuestion(&s, sc)
	first.Text = fmt.Sprintf("_Drill for %s: %s on this case — one question, one follow-up, then feedback (2–5 minutes). Answer in this thread; `hint`, `skip` or `end` at any time._\n\n",
		clip(nameOr(s.UserName, s.User.UserID), 40), step.Title()) + first.Text
	first.Where = Where{Kind: InThread, Channel: in.Channel}
	first.Session = s.ID
	return []Outbound{intro, first}, nil
}

// DrillStep is the step a drill takes by default: the weakest on average
// after an interview; before any, the step of the concept missed most;
// with nothing known, the first step.
func DrillStep(st Stats, tracks []ConceptTrack) StepID {
	if st.Sessions > 0 {
		step, _ := weakestStep(st)
		return step
	}
	if missed := MostMissed(tracks, 1); len(missed) > 0 && missed[0].Step >= Clarify && missed[0].Step <= Monitoring {
		return missed[0].Step
	}
	return Clarify
}

// drillScenario picks a scenario for a drill of step: none of the latest
// drills' scenarios (when others remain), and among the rest the one whose
// step asks most for what the person misses — each concept of its rubric
// for that step weighs the person's recent misses of it — then the one
// done least recently, then at random.
func (b *Bot) drillScenario(step StepID, p PersonProgress) *Scenario {
	var recentDrills []string
	for _, e := range p.History {
		if e.Kind == KindDrill && len(recentDrills) < drillRecent {
			recentDrills = append(recentDrills, e.ScenarioID)
		}
	}
	misses := map[string]int{}
	for _, t := range p.Tracks {
		if m := t.Misses(); m > 0 && !t.IsFlag() {
			misses[t.Key] = m
		}
	}
	type cand struct {
		sc          *Scenario
		score, seen int // seen: position in the history, len(History) if absent
	}
	var cands []cand
	for _, sc := range b.cfg.Library.All() {
		if slices.Contains(recentDrills, sc.ID) {
			continue
		}
		c := cand{sc: sc, seen: len(p.History)}
		if i := slices.IndexFunc(p.History, func(e HistoryEntry) bool { return e.ScenarioID == sc.ID }); i >= 0 {
			c.seen = i
		}
		if concepts := sc.StepConcepts(step); concepts != nil {
			own := map[string]bool{}
			if spec := sc.Spec(step); spec != nil {
				for _, con := range spec.Concepts {
					own[con.ID] = true
				}
			}
			for _, con := range concepts {
				c.score += misses[conceptKey(sc.ID, step, con.ID, own[con.ID])]
			}
		}
		cands = append(cands, c)
	}
	if len(cands) == 0 { // every scenario drilled lately: any will do
		return b.cfg.Library.All()[b.cfg.Intn(b.cfg.Library.Len())]
	}
	slices.SortStableFunc(cands, func(x, y cand) int {
		if x.score != y.score {
			return y.score - x.score
		}
		return y.seen - x.seen
	})
	best := 1
	for best < len(cands) && cands[best].score == cands[0].score && cands[best].seen == cands[0].seen {
		best++
	}
	return cands[b.cfg.Intn(best)].sc
}
