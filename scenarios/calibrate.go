package scenarios

import (
	"cmp"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/rubric"
)

// The blind calibration set: whole interviews written by people who saw
// only the case prompt and the bot's questions (see its README.md).
//
//go:embed testdata/calibration/blind
var blindFiles embed.FS

// BlindCalibration returns the built-in blind calibration set.
func BlindCalibration() fs.FS {
	sub, err := fs.Sub(blindFiles, "testdata/calibration/blind")
	if err != nil {
		panic(err) // the path is fixed at build time
	}
	return sub
}

// Candidate names in a calibration file, in the order they are reported.
const (
	StrongNatural    = "strong-natural"
	StrongTerse      = "strong-terse"
	StrongParaphrase = "strong-paraphrase"
	MediumCandidate  = "medium"
	FluentWrong      = "fluent-wrong"
	JumpToModel      = "jump-to-model"
)

// CandidateNames lists the six candidates of a calibration file.
var CandidateNames = []string{StrongNatural, StrongTerse, StrongParaphrase, MediumCandidate, FluentWrong, JumpToModel}

// answerKeys are a candidate's ten answers: the seven steps, then the
// wrap-up parts (the second is named wrapup_monitoring, apart from the
// monitoring step).
var answerKeys = []string{"clarify", "frame", "data", "model", "evaluation", "deployment", "monitoring", "bottleneck", "wrapup_monitoring", "future"}

type calibrationFile struct {
	Scenario      string                       `yaml:"scenario"`
	Candidates    map[string]map[string]string `yaml:"candidates"`
	PlantedErrors []PlantedError               `yaml:"planted_errors"`
}

// PlantedError is one mistake planted in the fluent-wrong candidate.
type PlantedError struct {
	Answer string `yaml:"answer"` // one of answerKeys
	Quote  string `yaml:"quote"`  // verbatim words of the answer
	Error  string `yaml:"error"`
	Kind   string `yaml:"kind"`
}

// CandidateResult is one candidate's graded interview.
type CandidateResult struct {
	Name   string
	Report bot.Report
}

// HasPitfall reports whether the report names the pitfall id.
func (c *CandidateResult) HasPitfall(id string) bool {
	return slices.ContainsFunc(c.Report.Pitfalls, func(p bot.Pitfall) bool { return p.ID == id })
}

// ScenarioCalibration is one scenario's six candidates and how many of
// the planted errors the grader named.
type ScenarioCalibration struct {
	Scenario   string // the calibration file's name without .yaml: the id, or id.drawN
	HeldOut    bool
	Candidates map[string]*CandidateResult
	Planted    []PlantedError
	Flagged    []bool // per planted error: a flag was raised on its words
	Failures   []string
	// JudgeFailures counts answers the AI judge could not read (graded
	// by the rubric alone).
	JudgeFailures int
}

// Score is a candidate's session score.
func (s *ScenarioCalibration) Score(name string) int { return s.Candidates[name].Report.Score }

// CalibrationSummary aggregates a group of scenarios (held out or tuned).
type CalibrationSummary struct {
	Scenarios []*ScenarioCalibration
}

// Calibration is the whole result: held-out scenarios (never looked at
// while tuning), spent ones (held out once, their first figures reported,
// then no longer hidden), and tuned ones.
type Calibration struct {
	HeldOut, Spent, Tuned CalibrationSummary
}

// Calibrate grades every calibration file in fsys (one or more per
// scenario, plus optional HELDOUT and SPENT files naming held-out and
// spent files, one per line, without .yaml) against the scenarios of lib.
func Calibrate(fsys fs.FS, lib *bot.Library) (*Calibration, error) {
	return CalibrateJudged(fsys, lib, nil)
}

// Reader reads one calibration answer with the AI judge (bot.JudgeAnswer)
// before the rubric grades it; an error leaves the rubric alone.
type Reader func(sc *bot.Scenario, step bot.StepID, part int, text string) (*bot.Judgment, error)

// CalibrateJudged is Calibrate with every answer first read by read, when
// it is not nil, so the figures measure the rubric with the AI judge.
func CalibrateJudged(fsys fs.FS, lib *bot.Library, read Reader) (*Calibration, error) {
	heldOut, spent := listFile(fsys, "HELDOUT"), listFile(fsys, "SPENT")
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no calibration files (*.yaml)")
	}
	cal := &Calibration{}
	var probs Problems
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var f calibrationFile
		if _, p := decodeStrict(name, data, &f); len(p) > 0 {
			probs = append(probs, p...)
			continue
		}
		sc, ok := lib.Get(f.Scenario)
		if !ok {
			probs = append(probs, Problem{File: name, Line: 1, Message: fmt.Sprintf("unknown scenario %q", f.Scenario)})
			continue
		}
		res, p := calibrateOne(name, sc, &f, read)
		if len(p) > 0 {
			probs = append(probs, p...)
			continue
		}
		// A scenario may have several draws of blind answers
		// (id.yaml, id.draw4.yaml, ...): the lists name files.
		res.Scenario = strings.TrimSuffix(name, ".yaml")
		res.HeldOut = heldOut[res.Scenario]
		switch {
		case res.HeldOut:
			cal.HeldOut.Scenarios = append(cal.HeldOut.Scenarios, res)
		case spent[res.Scenario]:
			cal.Spent.Scenarios = append(cal.Spent.Scenarios, res)
		default:
			cal.Tuned.Scenarios = append(cal.Tuned.Scenarios, res)
		}
	}
	if len(probs) > 0 {
		probs.sort()
		return nil, probs
	}
	return cal, nil
}

// readerWorkers bounds the AI judge readings in flight: a calibration set
// is hundreds of answers, and endpoints limit rates.
const readerWorkers = 8

// readAll reads every answer of s with read, a few at a time, and
// returns how many readings failed.
func readAll(sc *bot.Scenario, s *bot.Session, read Reader) int {
	if read == nil {
		return 0
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures int
		slots    = make(chan struct{}, readerWorkers)
	)
	one := func(step bot.StepID, part int, a *bot.StepAnswer) {
		defer wg.Done()
		slots <- struct{}{}
		defer func() { <-slots }()
		j, err := read(sc, step, part, a.Text)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failures++
			return
		}
		a.Judged = j
	}
	for step := bot.Clarify; step <= bot.Monitoring; step++ {
		wg.Add(1)
		go one(step, 0, &s.Answers[step])
	}
	for part := range s.Wrap {
		wg.Add(1)
		go one(bot.WrapUp, part, &s.Wrap[part])
	}
	wg.Wait()
	return failures
}

func (cs CalibrationSummary) judgeFailures() int {
	n := 0
	for _, s := range cs.Scenarios {
		n += s.JudgeFailures
	}
	return n
}

// Agreement compares two gradings of the same calibration set: the mean
// absolute score difference, the share of same-scenario candidate pairs
// both order the same way, and the share of candidates given one band.
type Agreement struct {
	Candidates    int
	MeanAbsDiff   float64
	PairsSame     float64
	BandsSame     float64
	Pairs, Agreed int
}

// Agree measures how far two calibrations of the same files agree.
func Agree(a, b *Calibration) Agreement {
	var ag Agreement
	bands, diff := 0, 0.0
	index := map[string]*ScenarioCalibration{}
	for _, sum := range []CalibrationSummary{b.HeldOut, b.Spent, b.Tuned} {
		for _, s := range sum.Scenarios {
			index[s.Scenario] = s
		}
	}
	for _, sum := range []CalibrationSummary{a.HeldOut, a.Spent, a.Tuned} {
		for _, sa := range sum.Scenarios {
			sb := index[sa.Scenario]
			if sb == nil {
				continue
			}
			for i, x := range CandidateNames {
				ra, rb := sa.Candidates[x].Report, sb.Candidates[x].Report
				ag.Candidates++
				diff += math.Abs(float64(ra.Score - rb.Score))
				if ra.Band == rb.Band {
					bands++
				}
				for _, y := range CandidateNames[i+1:] {
					da := cmp.Compare(ra.Score, sa.Candidates[y].Report.Score)
					db := cmp.Compare(rb.Score, sb.Candidates[y].Report.Score)
					ag.Pairs++
					if da == db {
						ag.Agreed++
					}
				}
			}
		}
	}
	if ag.Candidates > 0 {
		ag.MeanAbsDiff = diff / float64(ag.Candidates)
		ag.BandsSame = float64(bands) / float64(ag.Candidates)
	}
	if ag.Pairs > 0 {
		ag.PairsSame = float64(ag.Agreed) / float64(ag.Pairs)
	}
	return ag
}

// listFile reads scenario ids, one per line; "#" starts a comment.
func listFile(fsys fs.FS, name string) map[string]bool {
	out := map[string]bool{}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		for _, id := range strings.Fields(line) {
			out[id] = true
		}
	}
	return out
}

func calibrateOne(file string, sc *bot.Scenario, f *calibrationFile, read Reader) (*ScenarioCalibration, Problems) {
	var probs Problems
	res := &ScenarioCalibration{Scenario: sc.ID, Candidates: map[string]*CandidateResult{}, Planted: f.PlantedErrors}
	for _, name := range CandidateNames {
		answers, ok := f.Candidates[name]
		if !ok {
			probs = append(probs, Problem{File: file, Line: 1, Message: fmt.Sprintf("candidate %q missing", name)})
			continue
		}
		s := &bot.Session{ID: "calibration-" + name, ScenarioID: sc.ID}
		for i, key := range answerKeys {
			text, ok := answers[key]
			if !ok {
				probs = append(probs, Problem{File: file, Line: 1, Message: fmt.Sprintf("candidate %q: answer %q missing", name, key)})
				continue
			}
			if i < 7 {
				s.Answers[bot.Clarify+bot.StepID(i)] = bot.StepAnswer{Text: text}
			} else {
				s.Wrap[i-7] = bot.StepAnswer{Text: text}
			}
		}
		res.JudgeFailures += readAll(sc, s, read)
		res.Candidates[name] = &CandidateResult{Name: name, Report: bot.Evaluate(sc, s)}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	wrong := f.Candidates[FluentWrong]
	rep := &res.Candidates[FluentWrong].Report
	for _, pe := range f.PlantedErrors {
		text := wrong[pe.Answer]
		at := strings.Index(text, pe.Quote)
		if at < 0 {
			probs = append(probs, Problem{File: file, Line: 1, Message: fmt.Sprintf("planted error quote not in answer %q: %q", pe.Answer, pe.Quote)})
			continue
		}
		res.Flagged = append(res.Flagged, flaggedAt(rep, pe.Answer, text, at, at+len(pe.Quote)))
	}
	res.Failures = orderFailures(res)
	return res, probs
}

// flaggedAt reports whether a flag of the answer named key lies on the
// quote text[from:to] or in the sentence around it.
func flaggedAt(rep *bot.Report, key, text string, from, to int) bool {
	var flags []bot.FlagReport
	switch i := slices.Index(answerKeys, key); {
	case i < 0:
		return false
	case i < 7:
		flags = rep.Steps[i].Flags
	default:
		for _, f := range rep.WrapUp.Flags {
			if f.Part == i-7 {
				flags = append(flags, f)
			}
		}
	}
	lo, hi := rubric.SentenceAround(text, from, to)
	for _, f := range flags {
		if f.Offset < hi && f.Offset+len(f.Evidence) > lo {
			return true
		}
		for _, q := range f.Again {
			if q.Offset < hi && q.Offset+len(q.Evidence) > lo {
				return true
			}
		}
	}
	return false
}

// orderFailures lists every ordering the calibration requires that this
// scenario breaks.
func orderFailures(s *ScenarioCalibration) []string {
	var out []string
	sc := s.Score
	ratio := func(name string) float64 {
		if sc(StrongNatural) == 0 {
			return 0
		}
		return float64(sc(name)) / float64(sc(StrongNatural))
	}
	if r := ratio(StrongParaphrase); r < MinParaphraseRatio {
		out = append(out, fmt.Sprintf("strong-paraphrase/strong-natural = %.2f < %.2f", r, MinParaphraseRatio))
	}
	if r := ratio(StrongTerse); r < MinTerseRatio {
		out = append(out, fmt.Sprintf("strong-terse/strong-natural = %.2f < %.2f", r, MinTerseRatio))
	}
	for _, strong := range []string{StrongNatural, StrongTerse, StrongParaphrase} {
		if sc(strong) <= sc(MediumCandidate) {
			out = append(out, fmt.Sprintf("%s %d ≤ medium %d", strong, sc(strong), sc(MediumCandidate)))
		}
		if s.Candidates[strong].HasPitfall(bot.PitfallIgnoredData) {
			out = append(out, strong+` named for "Ignored the data pipeline"`)
		}
	}
	for _, worse := range []string{FluentWrong, JumpToModel} {
		if sc(MediumCandidate) <= sc(worse) {
			out = append(out, fmt.Sprintf("medium %d ≤ %s %d", sc(MediumCandidate), worse, sc(worse)))
		}
	}
	if sc(FluentWrong) > MaxFluentWrong {
		out = append(out, fmt.Sprintf("fluent-wrong %d > %d", sc(FluentWrong), MaxFluentWrong))
	}
	if !s.Candidates[JumpToModel].HasPitfall(bot.PitfallJumpedToModel) {
		out = append(out, "jump-to-model not named")
	}
	return out
}

// The targets of the calibration (grader v2).
const (
	MinParaphraseRatio = 0.85
	MinTerseRatio      = 0.90
	MaxFluentWrong     = 35
	MinFlaggedShare    = 0.70
)

// FlaggedShare is the share of planted errors named by a flag.
func (cs CalibrationSummary) FlaggedShare() (flagged, planted int) {
	for _, s := range cs.Scenarios {
		for _, f := range s.Flagged {
			planted++
			if f {
				flagged++
			}
		}
	}
	return flagged, planted
}

// Text renders the summary as a table with its figures.
func (cs CalibrationSummary) Text(title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%d scenarios)\n", title, len(cs.Scenarios))
	if len(cs.Scenarios) == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "  %-28s %7s %7s %7s %7s %7s %7s\n", "scenario", "natural", "terse", "paraph", "medium", "f-wrong", "jump")
	ratios := map[string][]float64{}
	failures := 0
	for _, s := range cs.Scenarios {
		fmt.Fprintf(&b, "  %-28s", s.Scenario)
		for _, n := range CandidateNames {
			r := s.Candidates[n].Report
			fmt.Fprintf(&b, " %3d %-3s", r.Score, bandShort(r.Band))
		}
		b.WriteString("\n")
		for _, n := range []string{StrongTerse, StrongParaphrase} {
			if sn := s.Score(StrongNatural); sn > 0 {
				ratios[n] = append(ratios[n], float64(s.Score(n))/float64(sn))
			}
		}
		for _, f := range s.Failures {
			fmt.Fprintf(&b, "    ✗ %s\n", f)
			failures++
		}
	}
	minOf := func(xs []float64) float64 {
		if len(xs) == 0 {
			return math.NaN()
		}
		return slices.Min(xs)
	}
	fl, pl := cs.FlaggedShare()
	share := 0.0
	if pl > 0 {
		share = float64(fl) / float64(pl)
	}
	fmt.Fprintf(&b, "  terse/natural min %.2f (≥ %.2f); paraphrase/natural min %.2f (≥ %.2f)\n",
		minOf(ratios[StrongTerse]), MinTerseRatio, minOf(ratios[StrongParaphrase]), MinParaphraseRatio)
	fmt.Fprintf(&b, "  planted errors flagged: %d/%d (%.0f%%, ≥ %.0f%%)\n", fl, pl, 100*share, 100*MinFlaggedShare)
	fmt.Fprintf(&b, "  ordering failures: %d\n", failures)
	if jf := cs.judgeFailures(); jf > 0 {
		fmt.Fprintf(&b, "  answers the AI judge could not read (graded by the rubric alone): %d\n", jf)
	}
	return b.String()
}

// PlantedText lists each planted error and whether it was named.
func (cs CalibrationSummary) PlantedText() string {
	var b strings.Builder
	for _, s := range cs.Scenarios {
		for i, pe := range s.Planted {
			mark := "✗"
			if i < len(s.Flagged) && s.Flagged[i] {
				mark = "✓"
			}
			fmt.Fprintf(&b, "  %s %-26s %-10s %-18s %q\n", mark, s.Scenario, pe.Answer, pe.Kind, pe.Quote)
		}
	}
	return b.String()
}

func bandShort(b string) string {
	words := strings.Fields(b)
	var s string
	for _, w := range words {
		s += strings.ToUpper(w[:1])
	}
	return s
}

// SortScenarios orders results by scenario id.
func (cs *CalibrationSummary) SortScenarios() {
	slices.SortFunc(cs.Scenarios, func(a, b *ScenarioCalibration) int { return cmp.Compare(a.Scenario, b.Scenario) })
}

// Met reports whether every scenario keeps its orderings and enough
// planted errors are flagged.
func (cs CalibrationSummary) Met() bool {
	for _, s := range cs.Scenarios {
		if len(s.Failures) > 0 {
			return false
		}
	}
	fl, pl := cs.FlaggedShare()
	return pl == 0 || float64(fl) >= MinFlaggedShare*float64(pl)
}

// DetailText shows, per scenario and candidate, each step's score and
// the flags raised, for tuning content and reading a team's own set.
func (cs CalibrationSummary) DetailText() string {
	var b strings.Builder
	for _, s := range cs.Scenarios {
		fmt.Fprintf(&b, "%s\n", s.Scenario)
		for _, n := range CandidateNames {
			r := s.Candidates[n].Report
			fmt.Fprintf(&b, "  %-18s %3d |", n, r.Score)
			for _, st := range r.Steps {
				fmt.Fprintf(&b, " %3.0f", 100*st.Score)
			}
			fmt.Fprintf(&b, " | wrap %4.1f", r.WrapUpBonus)
			for _, p := range r.Pitfalls {
				fmt.Fprintf(&b, " [%s]", p.Name)
			}
			b.WriteString("\n")
			for _, st := range append(slices.Clone(r.Steps), r.WrapUp) {
				for _, f := range st.Flags {
					fmt.Fprintf(&b, "      %-10s ⚑ %s: %q\n", st.Title, f.Label, f.Evidence)
				}
			}
		}
	}
	return b.String()
}
