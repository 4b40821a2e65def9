package bot

import (
	"math"
	"slices"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

// Daily judging constants (see GradeLightning and GradeFollowUp).
const (
	// GenericShare is what the framework's generic concepts (shard,
	// cache, monitor, drift, retrain...) earn in a daily reply, against 1
	// for the case's own: a reply that names nothing of this case cannot
	// score like one that does.
	GenericShare = 0.25
	// GenericCap bounds what generic words can add to a step or part, as
	// a share of its target: boilerplate alone stays low.
	GenericCap = 0.3
	// LightningCaseTarget: a lightning answer covers seven steps in a few
	// sentences, so a step is fully covered at this share of the weight
	// of its case concepts (about one heavy concept per step).
	LightningCaseTarget = 0.25
	// FollowUpCaseTarget is the same for a follow-up part, which has the
	// reply's whole attention.
	FollowUpCaseTarget = 0.5
	// BreadthShare is the part of a step's or part's credit earned between
	// its target and twice the target.
	BreadthShare = 0.15
	// LightningMinWords is the length below which a lightning answer's
	// score scales down linearly.
	LightningMinWords = 40
	// FollowUpMinWords is the same for a follow-up reply.
	FollowUpMinWords = 30
	// LightningCountWords is the length below which an answer is not
	// counted at all, so a streak cannot be kept alive with "hi".
	LightningCountWords = 12
	// DailyFlagFactor is what each red flag of a daily reply leaves of
	// its score: a short reply that states a mistake has little else to
	// stand on, and one that states two is not a good reply.
	DailyFlagFactor = 0.5
	// DailyFlagPenalty is what each red flag costs besides, in points.
	DailyFlagPenalty = 10
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
	// Credit is each step's share of its case-weighted target, 0..1.
	Credit          [Steps]float64
	Words           int
	Depth           float64
	TooShort        bool
	KeywordList     bool
	NoJustification bool
	RedFlags        []rubric.Flag // each flag once
}

// caseCredit is a grade's credit in a daily reply: the case's own
// concepts at full weight, the framework's, and generic system words
// ("cache", "retrain") not tied to the case in their sentence, at
// GenericShare; against target × the weight of the rubric's case concepts.
func caseCredit(g rubric.StepGrade, text string, target float64) float64 {
	if g.CaseWeight <= 0 {
		return 0
	}
	own, generic := 0.0, 0.0
	for _, m := range g.Matches {
		w := m.Weight * m.Credit
		// Related words (rubric.Match.Related) are looser evidence than a
		// phrase, and a daily reply is short: it is judged by phrases, as
		// its calibration was.
		if m.Related {
			continue
		}
		if !m.Case || m.Generic && !tiedToCase(g, text, m) {
			generic += GenericShare * w
		} else {
			own += w
		}
	}
	// Generic words alone reach at most GenericCap of the target.
	got := own + min(generic, GenericCap*target*g.CaseWeight)
	// Most of the credit comes at the target; the rest rewards saying more
	// of the case, up to twice the target, so that a complete reply is
	// told apart from one that only reaches it.
	return (1-BreadthShare)*min(1, got/(target*g.CaseWeight)) + BreadthShare*min(1, got/(2*target*g.CaseWeight))
}

// tiedToCase reports whether m's sentence also names a case concept in
// words of its own: "cache the embeddings of the top listings" ties the
// cache to the case, "add caching layers" does not.
func tiedToCase(g rubric.StepGrade, text string, m rubric.Match) bool {
	quote, from := rubric.QuoteSentence(text, m.Offset, len(m.Evidence))
	to := from + len(quote)
	for _, o := range g.Matches {
		if o.Case && !o.Generic && o.Offset >= from && o.Offset < to {
			return true
		}
	}
	return false
}

// GradeLightning scores a short approach against the whole rubric: every
// step's concepts, on the same matcher as Rubric.Grade (stance, red flags,
// paraphrase). Deterministic and safe for concurrent use.
//
//	g_s      = Rubric(s).Grade(text)                 for s = 1..7
//	credit_s = min(1, (Σ case w + 0.25 × Σ generic w) / (0.25 × case weight of s))
//	base     = Σ_s W_s · credit_s × (0.75 + 0.25 × depth) × min(1, words/40)
//	base     = min(base, rubric.KeywordListCap) when a step reads it as a keyword list
//	Score    = round(100 × clamp(base − 0.05 without any reasoning cue, 0, 1) × 0.5^flags) − 10 × flags
//
// Generic contributions (framework concepts, and generic words alone) are
// capped at GenericCap of each step's target.
func GradeLightning(sc *Scenario, text string) LightningGrade {
	return GradeLightningJudged(sc, text, nil)
}

// dailyAnswer is the rubric answer for part i of a daily reply: its AI
// judgment's credits and claims, or, for a reply that addresses the
// grader, that flag on the first part and nothing from the judge.
func dailyAnswer(text string, judged []*Judgment, i int) rubric.Answer {
	a := rubric.Answer{Text: text}
	if c, ok := AddressesGrader(text); ok {
		if i == 0 {
			a.Claims = []rubric.Claim{c}
		}
		return a
	}
	if i < len(judged) && judged[i] != nil {
		a.Credits, a.Claims = judged[i].Credits, judged[i].Claims
	}
	return a
}

// GradeLightningJudged is GradeLightning with each step's AI judgment
// (judged[step-1], nil for none) applied as Grade applies it.
func GradeLightningJudged(sc *Scenario, text string, judged []*Judgment) LightningGrade {
	var lg LightningGrade
	if sc == nil {
		return lg
	}
	base := 0.0
	matched := false
	for step := Clarify; step <= Monitoring; step++ {
		i := int(step) - 1
		g := sc.Rubric(step).Grade(dailyAnswer(text, judged, i))
		lg.Steps[i] = g
		lg.Words = max(lg.Words, g.Words)
		lg.Depth = max(lg.Depth, g.Depth) // a property of the text
		lg.Credit[i] = caseCredit(g, text, LightningCaseTarget)
		base += step.Weight() * lg.Credit[i]
		lg.KeywordList = lg.KeywordList || g.KeywordList
		if len(g.Matches) > 0 {
			matched = true
			lg.NoJustification = g.NoJustification // the cue is a property of the text
		}
		lg.RedFlags = addFlags(lg.RedFlags, lightningFlags(step, g.RedFlags))
	}
	base *= rubric.DepthFactor(lg.Depth)
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
	lg.Score = dailyScore(base, len(lg.RedFlags))
	return lg
}

// interviewOrderFlags are step-1 red flags that judge the order of an
// interview ("picks a model before asking anything"). A lightning answer
// is a whole approach in a few sentences, so naming the model in it is
// not jumping to it.
var interviewOrderFlags = []string{"model_first", "model_before_requirements"}

// lightningFlags drops the interview-order flags of step 1.
func lightningFlags(step StepID, flags []rubric.Flag) []rubric.Flag {
	if step != Clarify {
		return flags
	}
	return slices.DeleteFunc(slices.Clone(flags), func(f rubric.Flag) bool { return slices.Contains(interviewOrderFlags, f.ID) })
}

// dailyScore turns a base of 0..1 into points: each red flag halves the
// score and costs DailyFlagPenalty more.
func dailyScore(base float64, flags int) int {
	score := 100 * clamp01(base) * math.Pow(DailyFlagFactor, float64(flags))
	return max(0, int(math.Round(score))-DailyFlagPenalty*flags)
}

// addFlags adds each flag once: the seven step rubrics read the same text.
func addFlags(have, more []rubric.Flag) []rubric.Flag {
	for _, f := range more {
		if !slices.ContainsFunc(have, func(x rubric.Flag) bool { return x.ID == f.ID || x.Offset == f.Offset }) {
			have = append(have, f)
		}
	}
	return have
}

// FollowUpGrade explains how a reply to the reveal's follow-up scored.
type FollowUpGrade struct {
	Score int // 0..100
	// Parts are the bottleneck and monitoring wrap-up grades of the reply.
	Parts [2]rubric.StepGrade
	// Credit is each part's share of its case-weighted target, 0..1.
	Credit   [2]float64
	Words    int
	TooShort bool
	RedFlags []rubric.Flag
}

// GradeFollowUp scores a reply to the follow-up question against the
// scenario's bottleneck and monitoring wrap-up rubrics, case concepts
// first, as GradeLightning does:
//
//	credit_p = min(1, (Σ case w + 0.25 × Σ generic w) / (0.5 × case weight of p))
//	Score    = round(100 × mean(credit_p) × (0.75 + 0.25 × depth) × min(1, words/30) × 0.5^flags) − 10 × flags
func GradeFollowUp(sc *Scenario, text string) FollowUpGrade {
	return GradeFollowUpJudged(sc, text, nil)
}

// GradeFollowUpJudged is GradeFollowUp with each part's AI judgment.
func GradeFollowUpJudged(sc *Scenario, text string, judged []*Judgment) FollowUpGrade {
	var fg FollowUpGrade
	if sc == nil {
		return fg
	}
	sum, depth := 0.0, 0.0
	for part := range fg.Parts {
		g := sc.WrapUpRubric(part).Grade(dailyAnswer(text, judged, part))
		fg.Parts[part] = g
		fg.Credit[part] = caseCredit(g, text, FollowUpCaseTarget)
		sum += fg.Credit[part]
		depth = max(depth, g.Depth)
		fg.Words = max(fg.Words, g.Words)
		fg.RedFlags = addFlags(fg.RedFlags, g.RedFlags)
	}
	base := sum / float64(len(fg.Parts)) * rubric.DepthFactor(depth)
	if fg.Words < FollowUpMinWords {
		fg.TooShort = true
		base *= float64(fg.Words) / FollowUpMinWords
	}
	fg.Score = dailyScore(base, len(fg.RedFlags))
	return fg
}

// DailyPoints is what a counted daily answer with score adds to the
// leaderboards for a scenario of difficulty d.
func DailyPoints(score int, d Difficulty) float64 {
	return float64(score) * d.Multiplier() * DailyPointsShare
}
