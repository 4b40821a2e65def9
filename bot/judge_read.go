package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

// AIJudge switches the optional AI judge on (Config.AI).
type AIJudge struct {
	Judge Judge
	// Model names the model: part of the cache key, and said in help.
	Model string
	// Timeout bounds one reading, retries included (default 20s): an
	// interview never waits longer for its reply.
	Timeout time.Duration
	// DailyTokens is each workspace's budget per local day; past it the
	// rubric grades alone. 0 means no budget.
	DailyTokens int
	// Ledger caches verdicts and counts tokens; the store implements it.
	Ledger JudgeLedger
	// Observe, when set, hears how each reading went (metrics).
	Observe func(JudgeOutcome)
}

// JudgeLedger keeps what the AI judge costs: verdicts cached by the hash
// of what was asked, so a redelivered answer is not billed twice, and
// tokens spent per workspace per day.
type JudgeLedger interface {
	// CachedVerdict returns the verdict stored under key, if any.
	CachedVerdict(ctx context.Context, key string) ([]byte, bool, error)
	// CacheVerdict stores a verdict under key for ttl.
	CacheVerdict(ctx context.Context, key string, verdict []byte, ttl time.Duration) error
	// AddJudgeTokens adds n to the workspace's count for day and returns
	// the new total; the count expires ttl after its first addition.
	AddJudgeTokens(ctx context.Context, ws Workspace, day string, n int, ttl time.Duration) (int, error)
	// JudgeTokens returns the workspace's count for day (0 if none).
	JudgeTokens(ctx context.Context, ws Workspace, day string) (int, error)
}

// JudgeOutcome is how one reading went. Result is "ok", "cached",
// "injection", "budget", or a JudgeError reason.
type JudgeOutcome struct {
	Platform       Platform
	Result         string
	QuotesRejected int
	Tokens         int
}

const (
	// DefaultJudgeTimeout bounds one reading when AIJudge.Timeout is unset.
	DefaultJudgeTimeout = 20 * time.Second
	// judgeCacheTTL keeps a verdict long enough for every redelivery and
	// for a session's later gradings.
	judgeCacheTTL = 7 * 24 * time.Hour
	// judgeTokensTTL keeps a day's count past the day in every time zone.
	judgeTokensTTL = 48 * time.Hour
)

// Offline notes, shown in the step's feedback.
const (
	offlineUnavailable = "graded offline: the AI judge was unavailable"
	offlineBudget      = "graded offline: the AI judge's daily budget for this workspace is spent"
	offlineBadOutput   = "graded offline: the AI judge's reply could not be checked"
)

// readAnswer asks the AI judge to read the answer as it will be once text
// is added, and checks what it says. It returns nil when there is nothing
// for it to read. Failures fall back to the rubric, with a note.
func (b *Bot) readAnswer(ctx context.Context, log *slog.Logger, in Inbound, s *Session, sc *Scenario, text string) *Judgment {
	text = strings.TrimSpace(text)
	if b.cfg.AI == nil || s.Status != Active || text == "" || len([]rune(text)) > MaxAnswerRunes {
		return nil
	}
	a, r, req := answerUnderWay(s, sc)
	if a == nil || r == nil {
		return nil
	}
	full := joinAnswer(a.Text, text)
	req.Answer = full
	offline := func(note string) *Judgment {
		j := &Judgment{Offline: note, Length: len(full)}
		if a.Judged != nil { // an earlier reading of the answer's start still holds
			j.Credits, j.Claims = a.Judged.Credits, a.Judged.Claims
		}
		return j
	}
	outcome := JudgeOutcome{Platform: in.Platform}
	defer b.observe(&outcome)
	v, note := b.consult(ctx, log, in, &req, &outcome)
	switch {
	case outcome.Result == resultInjection:
		return nil // gradeAnswer flags it and grades by the rubric alone
	case note != "":
		return offline(note)
	}
	j, rejected, err := Verify(v, r, full)
	outcome.QuotesRejected = rejected
	if err != nil {
		outcome.Result = JudgeBadOutput
		log.Warn("ai judge verdict discarded", "err", err)
		return offline(offlineBadOutput)
	}
	j.Length = len(full)
	return &j
}

const resultInjection = "injection"

func (b *Bot) observe(o *JudgeOutcome) {
	if b.cfg.AI.Observe != nil {
		b.cfg.AI.Observe(*o)
	}
}

// consult gets the model's verdict on req.Answer: from the cache, else
// from the judge within the budget and the timeout. On failure it returns
// the note to show; outcome.Result says what happened.
func (b *Bot) consult(ctx context.Context, log *slog.Logger, in Inbound, req *JudgeRequest, outcome *JudgeOutcome) (JudgeVerdict, string) {
	ai := b.cfg.AI
	if _, ok := AddressesGrader(req.Answer); ok {
		outcome.Result = resultInjection
		return JudgeVerdict{}, ""
	}
	key := judgeCacheKey(ai.Model, req)
	if v, ok := b.cachedVerdict(ctx, log, key); ok {
		outcome.Result = "cached"
		return v, ""
	}
	ws := Workspace{Platform: in.Platform, ID: in.Workspace}
	day := b.cfg.Now().In(b.cfg.Location).Format("2006-01-02")
	if ai.DailyTokens > 0 {
		used, err := ai.Ledger.JudgeTokens(ctx, ws, day)
		if err != nil {
			log.Warn("ai judge: could not read the token count; grading offline", "err", err)
			outcome.Result = JudgeUnavailable
			return JudgeVerdict{}, offlineUnavailable
		}
		if used >= ai.DailyTokens {
			outcome.Result = "budget"
			return JudgeVerdict{}, offlineBudget
		}
	}
	callCtx, cancel := context.WithTimeout(ctx, ai.Timeout)
	v, err := ai.Judge.Judge(callCtx, *req)
	cancel()
	if v.Tokens > 0 {
		outcome.Tokens = v.Tokens
		if _, terr := ai.Ledger.AddJudgeTokens(ctx, ws, day, v.Tokens, judgeTokensTTL); terr != nil {
			log.Warn("ai judge: could not count tokens", "err", terr)
		}
	}
	if err != nil {
		outcome.Result = judgeFailure(err)
		log.Warn("ai judge unavailable; grading offline", "reason", outcome.Result, "err", err)
		if outcome.Result == JudgeBadOutput {
			return JudgeVerdict{}, offlineBadOutput
		}
		return JudgeVerdict{}, offlineUnavailable
	}
	if data, err := json.Marshal(v); err == nil {
		if err := ai.Ledger.CacheVerdict(ctx, key, data, judgeCacheTTL); err != nil {
			log.Warn("ai judge: could not cache the verdict", "err", err)
		}
	}
	outcome.Result = "ok"
	return v, ""
}

// cachedVerdict looks a verdict up; a store error is a miss.
func (b *Bot) cachedVerdict(ctx context.Context, log *slog.Logger, key string) (JudgeVerdict, bool) {
	data, ok, err := b.cfg.AI.Ledger.CachedVerdict(ctx, key)
	if err != nil {
		log.Warn("ai judge: cache unavailable", "err", err)
		return JudgeVerdict{}, false
	}
	var v JudgeVerdict
	if !ok || json.Unmarshal(data, &v) != nil {
		return JudgeVerdict{}, false
	}
	return v, true
}

// judgeCacheKey names a reading by everything that shapes it: the model,
// the rubric and case as sent, and the answer.
func judgeCacheKey(model string, req *JudgeRequest) string {
	h := sha256.New()
	h.Write([]byte(model))
	h.Write([]byte{0})
	_ = json.NewEncoder(h).Encode(req) // a hash never fails to write
	return hex.EncodeToString(h.Sum(nil))
}

// answerUnderWay returns the answer the next message adds to, its rubric,
// and the judge request for it without the answer's text.
func answerUnderWay(s *Session, sc *Scenario) (*StepAnswer, *rubric.Rubric, JudgeRequest) {
	req := JudgeRequest{Case: sc.Title, Prompt: sc.Prompt, Step: stepHeading(s, sc), Question: questionText(s, sc)}
	var a *StepAnswer
	var r *rubric.Rubric
	if s.Step == WrapUp {
		a, r = &s.Wrap[s.WrapPart], sc.WrapUpRubric(s.WrapPart)
	} else if s.Step >= Clarify && s.Step <= Monitoring {
		a, r = &s.Answers[s.Step], sc.Rubric(s.Step)
	}
	if r != nil {
		req.Concepts, req.RedFlags = judgeRubric(r)
	}
	return a, r, req
}

// judgeRubric describes a rubric to the model: each concept with what
// earns it (its study question and a few of its phrases as examples), and
// the red flags by label.
func judgeRubric(r *rubric.Rubric) ([]JudgeConcept, []JudgeFlag) {
	cs := make([]JudgeConcept, 0, len(r.Concepts))
	for _, c := range r.Concepts {
		var examples []string
		for _, p := range c.Phrases {
			if strings.Contains(p, "*") {
				continue
			}
			examples = append(examples, "“"+strings.ReplaceAll(p, " & ", " … ")+"”")
			if len(examples) == 3 {
				break
			}
		}
		earns := c.StudyQuestion()
		if len(examples) > 0 {
			earns += " For example " + strings.Join(examples, ", ") + ", or the same idea in other words."
		}
		cs = append(cs, JudgeConcept{ID: c.ID, Label: c.Label, Earns: earns})
	}
	fs := make([]JudgeFlag, 0, len(r.RedFlags))
	for _, f := range r.RedFlags {
		fs = append(fs, JudgeFlag{ID: f.ID, Label: f.Label})
	}
	return cs, fs
}

// JudgeAnswer reads one answer with judge and checks the verdict, outside
// any interview: `mlsd grade eval --judge llm` reads calibration answers
// through it, so a team measures the same path its interviews use.
func JudgeAnswer(ctx context.Context, judge Judge, sc *Scenario, step StepID, part int, text string) (*Judgment, error) {
	s := &Session{Step: step, WrapPart: part, Status: Active}
	_, r, req := answerUnderWay(s, sc)
	if r == nil {
		return nil, errors.New("no rubric for that step")
	}
	if _, ok := AddressesGrader(text); ok {
		return nil, nil
	}
	req.Answer = text
	v, err := judge.Judge(ctx, req)
	if err != nil {
		return nil, err
	}
	j, _, err := Verify(v, r, text)
	if err != nil {
		return nil, err
	}
	j.Length = len(text)
	return &j, nil
}

// helpFooter says, under the help, when answers go to an AI judge.
func (b *Bot) helpFooter() string {
	if b.cfg.AI == nil {
		return ""
	}
	return "\n\n_AI judge on (" + plainText(b.cfg.AI.Model) + "): your answers are also sent to the configured model endpoint. It can add credit only for words it quotes from your answer; the rubric's checks always apply._"
}

// dailyPart is one rubric a daily reply is read against.
type dailyPart struct {
	key, title string
	r          *rubric.Rubric
}

// lightningParts are the seven step rubrics a lightning answer spans.
func lightningParts(sc *Scenario) []dailyPart {
	var ps []dailyPart
	for step := Clarify; step <= Monitoring; step++ {
		ps = append(ps, dailyPart{step.Key(), step.Title(), sc.Rubric(step)})
	}
	return ps
}

// followUpParts are the wrap-up rubrics a follow-up reply is graded on.
func followUpParts(sc *Scenario) []dailyPart {
	return []dailyPart{{"bottleneck", WrapUpPartTitle(0), sc.WrapUpRubric(0)}, {"monitoring", WrapUpPartTitle(1), sc.WrapUpRubric(1)}}
}

// readDaily asks the AI judge to read a daily reply against several
// rubrics at once (ids prefixed "part/"), checks the verdict, and splits
// it by part. It returns no judgments when the judge is off, the reply
// addresses the grader, or the reading failed (then with the note).
func (b *Bot) readDaily(ctx context.Context, log *slog.Logger, in Inbound, sc *Scenario, step, question string, parts []dailyPart, text string) ([]*Judgment, string) {
	if b.cfg.AI == nil {
		return nil, ""
	}
	req := JudgeRequest{Case: sc.Title, Prompt: sc.Prompt, Step: step, Question: question, Answer: text}
	for _, p := range parts {
		if p.r == nil {
			continue
		}
		cs, fs := judgeRubric(p.r)
		for _, c := range cs {
			req.Concepts = append(req.Concepts, JudgeConcept{ID: p.key + "/" + c.ID, Label: p.title + ": " + c.Label, Earns: c.Earns})
		}
		for _, f := range fs {
			req.RedFlags = append(req.RedFlags, JudgeFlag{ID: p.key + "/" + f.ID, Label: p.title + ": " + f.Label})
		}
	}
	outcome := JudgeOutcome{Platform: in.Platform}
	defer b.observe(&outcome)
	v, note := b.consult(ctx, log, in, &req, &outcome)
	if outcome.Result == resultInjection || note != "" {
		return nil, note
	}
	l, rejected, err := locate(v, text)
	outcome.QuotesRejected = rejected
	if err != nil {
		outcome.Result = JudgeBadOutput
		log.Warn("ai judge verdict discarded", "err", err)
		return nil, offlineBadOutput
	}
	out := make([]*Judgment, len(parts))
	for i, p := range parts {
		if p.r != nil {
			j := l.judgment(p.r, text, p.key+"/", i == 0)
			out[i] = &j
		}
	}
	return out, ""
}
