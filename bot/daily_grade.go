package bot

import (
	"math"
	"slices"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

// Lightning grading constants (see GradeLightning).
const (
	// LightningBoost: a lightning answer covers all seven steps in a few
	// sentences, so a step counts as fully covered at two thirds of the
	// coverage a full step answer needs. Measured on the calibration
	// answers (two sentences per step): strong ≈ 100, medium 78-98, weak
	// 6-38, and a generic answer that names the framework's concepts but
	// nothing of the case about 60.
	LightningBoost = 1.5
	// LightningMinWords is the length below which a lightning answer's
	// score scales down linearly.
	LightningMinWords = 40
	// LightningCountWords is the length below which an answer is not
	// counted at all, so a streak cannot be kept alive with "hi".
	LightningCountWords = 12
	// DailyPointsShare is the share of an interview's points (score ×
	// difficulty multiplier) a counted daily answer earns: a few minutes'
	// answer is worth a quarter of a full interview with the same score.
	DailyPointsShare = 0.25
)

// LightningGrade explains how a lightning answer scored.
type LightningGrade struct {
	Score int // 0..100
	// Steps are the step rubrics' grades of the whole text (index step-1).
	Steps [Steps]rubric.StepGrade
	// Credit is each step's share after the boost and its red flags, 0..1.
	Credit          [Steps]float64
	Words           int
	TooShort        bool
	KeywordList     bool
	NoJustification bool
	RedFlags        []rubric.Flag // each flag once
}

// GradeLightning scores a short approach against the whole rubric: every
// step's concepts, on the same matcher as Rubric.Grade, whose behaviour it
// does not change. Deterministic and safe for concurrent use.
//
//	g_s      = Rubric(s).Grade(text)                 for s = 1..7
//	credit_s = clamp(LightningBoost × g_s.Coverage − g_s.FlagPenalty, 0, 1)
//	base     = Σ_s W_s · credit_s × min(1, words/LightningMinWords)
//	base     = min(base, rubric.KeywordListCap) when a step reads it as a keyword list
//	Score    = round(100 × clamp(base − 0.05 without any reasoning cue, 0, 1))
func GradeLightning(sc *Scenario, text string) LightningGrade {
	var lg LightningGrade
	if sc == nil {
		return lg
	}
	base := 0.0
	matched := false
	for step := Clarify; step <= Monitoring; step++ {
		g := sc.Rubric(step).Grade(rubric.Answer{Text: text})
		i := int(step) - 1
		lg.Steps[i] = g
		lg.Words = max(lg.Words, g.Words)
		lg.Credit[i] = clamp01(LightningBoost*g.Coverage - g.FlagPenalty)
		base += step.Weight() * lg.Credit[i]
		lg.KeywordList = lg.KeywordList || g.KeywordList
		if len(g.Matches) > 0 {
			matched = true
			lg.NoJustification = g.NoJustification // the cue is a property of the text
		}
		for _, f := range g.RedFlags {
			if !slices.ContainsFunc(lg.RedFlags, func(x rubric.Flag) bool { return x.ID == f.ID }) {
				lg.RedFlags = append(lg.RedFlags, f)
			}
		}
	}
	if lg.Words < LightningMinWords {
		lg.TooShort = true
		base *= float64(lg.Words) / LightningMinWords
	}
	if lg.KeywordList {
		base = min(base, rubric.KeywordListCap)
	}
	if matched && lg.NoJustification {
		base -= rubric.NoJustificationPenalty
	}
	lg.Score = int(math.Round(100 * clamp01(base)))
	return lg
}

// FollowUpGrade explains how a reply to the reveal's follow-up scored.
type FollowUpGrade struct {
	Score int // 0..100
	// Parts are the bottleneck and monitoring wrap-up grades of the reply.
	Parts [2]rubric.StepGrade
}

// GradeFollowUp scores a reply to the follow-up question against the
// scenario's bottleneck and monitoring wrap-up rubrics:
//
//	Score = round(100 × (bottleneck.Score + monitoring.Score) / 2)
func GradeFollowUp(sc *Scenario, text string) FollowUpGrade {
	var fg FollowUpGrade
	if sc == nil {
		return fg
	}
	sum := 0.0
	for part := range fg.Parts {
		g := sc.WrapUpRubric(part).Grade(rubric.Answer{Text: text})
		fg.Parts[part] = g
		sum += g.Score
	}
	fg.Score = int(math.Round(100 * sum / float64(len(fg.Parts))))
	return fg
}

// DailyPoints is what a counted daily answer with score adds to the
// leaderboards for a scenario of difficulty d.
func DailyPoints(score int, d Difficulty) float64 {
	return float64(score) * d.Multiplier() * DailyPointsShare
}
