package scenarios_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/rubric"
	"github.com/mlsdbot/mlsd/scenarios"
)

// The calibration set checks that the grader ranks answers the way a senior
// interviewer would. testdata/calibration/<id>.yaml holds, for one built-in
// scenario, a strong, a medium and a weak answer per step written as
// candidates speak, strong and weak wrap-up answers, one keyword-stuffed
// answer and one step-1 answer that jumps straight to a model.

const calibrationDir = "testdata/calibration"

type calibration struct {
	Scenario    string                 `yaml:"scenario"`
	Steps       map[string]stepAnswers `yaml:"steps"`
	WrapUp      map[string]wrapAnswers `yaml:"wrapup"`
	KeywordList struct {
		Step string `yaml:"step"`
		Text string `yaml:"text"`
	} `yaml:"keyword_list"`
	JumpToModel string `yaml:"jump_to_model"`

	file string
}

type stepAnswers struct {
	Strong string `yaml:"strong"`
	Medium string `yaml:"medium"`
	Weak   string `yaml:"weak"`
}

type wrapAnswers struct {
	Strong string `yaml:"strong"`
	Weak   string `yaml:"weak"`
}

// tally counts ordered pairs (a better answer against a worse one) and how
// many the grader ranked correctly.
type tally struct{ correct, total int }

func (t *tally) add(ok bool) {
	t.total++
	if ok {
		t.correct++
	}
}

func (t tally) String() string {
	if t.total == 0 {
		return "0/0"
	}
	return fmt.Sprintf("%d/%d (%.1f%%)", t.correct, t.total, 100*float64(t.correct)/float64(t.total))
}

func TestCalibration(t *testing.T) {
	builtin, err := scenarios.Builtin()
	if err != nil {
		// Report every invalid file, then still calibrate the valid ones
		// (the same files, read from the package directory) so one broken
		// scenario does not hide the others' results.
		t.Errorf("built-in scenarios: %v", err)
		builtin, _ = scenarios.Parse(os.DirFS("."))
	}
	byID := make(map[string]*bot.Scenario, len(builtin))
	for _, sc := range builtin {
		byID[sc.ID] = sc
	}
	cals := loadCalibrations(t)

	covered := make(map[string]bool)
	for _, c := range cals {
		if covered[c.Scenario] {
			t.Errorf("%s: a second calibration set for scenario %q", c.file, c.Scenario)
		}
		covered[c.Scenario] = true
		if _, ok := byID[c.Scenario]; !ok {
			t.Errorf("%s: scenario %q is not a built-in scenario", c.file, c.Scenario)
		}
	}
	for _, sc := range builtin {
		if !covered[sc.ID] {
			t.Errorf("scenario %s has no calibration set (%s/%s.yaml)", sc.ID, calibrationDir, sc.ID)
		}
	}

	var overall tally
	for _, c := range cals {
		sc := byID[c.Scenario]
		if sc == nil {
			continue
		}
		t.Run(c.Scenario, func(t *testing.T) {
			var mine tally
			checkSteps(t, sc, c, &mine)
			checkWrapUp(t, sc, c, &mine)
			checkKeywordList(t, sc, c, &mine)
			checkJumpToModel(t, sc, c)
			t.Logf("ordering accuracy %s", mine)
			overall.correct += mine.correct
			overall.total += mine.total
		})
	}
	t.Logf("ordering accuracy over %d calibration sets: %s pairs ranked correctly", len(cals), overall)
}

// checkSteps asserts strong > medium > weak on every step.
func checkSteps(t *testing.T, sc *bot.Scenario, c *calibration, tl *tally) {
	for step := bot.Clarify; step <= bot.Monitoring; step++ {
		a := c.Steps[step.Key()]
		r := sc.Rubric(step)
		strong := r.Grade(rubric.Answer{Text: a.Strong})
		medium := r.Grade(rubric.Answer{Text: a.Medium})
		weak := r.Grade(rubric.Answer{Text: a.Weak})
		if testing.Verbose() {
			t.Logf("%-10s strong %.2f (%s)  medium %.2f (%s)  weak %.2f (%s)", step.Key(),
				strong.Score, rawShare(r, strong), medium.Score, rawShare(r, medium), weak.Score, rawShare(r, weak))
		}
		for _, p := range []struct {
			better, worse         string
			betterGrade, worseGrd rubric.StepGrade
		}{
			{"strong", "medium", strong, medium},
			{"medium", "weak", medium, weak},
			{"strong", "weak", strong, weak},
		} {
			ok := p.betterGrade.Score > p.worseGrd.Score
			tl.add(ok)
			if !ok {
				t.Errorf("%s: %s answer scored %.3f, not above the %s answer's %.3f\n  %s: %s\n  %s: %s",
					step.Key(), p.better, p.betterGrade.Score, p.worse, p.worseGrd.Score,
					p.better, explain(p.betterGrade), p.worse, explain(p.worseGrd))
			}
		}
	}
}

// checkWrapUp asserts strong > weak on each wrap-up question.
func checkWrapUp(t *testing.T, sc *bot.Scenario, c *calibration, tl *tally) {
	for part := range 3 {
		key := bot.WrapUpPartKey(part)
		a := c.WrapUp[key]
		r := sc.WrapUpRubric(part)
		if r == nil {
			t.Errorf("wrap-up %s: no rubric", key)
			continue
		}
		strong := r.Grade(rubric.Answer{Text: a.Strong})
		weak := r.Grade(rubric.Answer{Text: a.Weak})
		if testing.Verbose() {
			t.Logf("wrap-up %-10s strong %.2f  weak %.2f", key, strong.Score, weak.Score)
		}
		ok := strong.Score > weak.Score
		tl.add(ok)
		if !ok {
			t.Errorf("wrap-up %s: strong answer scored %.3f, not above the weak answer's %.3f\n  strong: %s\n  weak: %s",
				key, strong.Score, weak.Score, explain(strong), explain(weak))
		}
	}
}

// checkKeywordList asserts that a bare list of buzzwords never outscores
// the strong prose answer of the same step.
func checkKeywordList(t *testing.T, sc *bot.Scenario, c *calibration, tl *tally) {
	step, _ := bot.StepByKey(c.KeywordList.Step)
	r := sc.Rubric(step)
	list := r.Grade(rubric.Answer{Text: c.KeywordList.Text})
	strong := r.Grade(rubric.Answer{Text: c.Steps[step.Key()].Strong})
	if testing.Verbose() {
		t.Logf("keyword list (%s) %.2f against strong %.2f, detected=%v", step.Key(), list.Score, strong.Score, list.KeywordList)
	}
	ok := strong.Score > list.Score
	tl.add(ok)
	if !ok {
		t.Errorf("keyword list for %s scored %.3f, not below the strong answer's %.3f (keyword list detected: %v)\n  list: %s",
			step.Key(), list.Score, strong.Score, list.KeywordList, explain(list))
	}
}

// checkJumpToModel plays an otherwise strong session twice: as written, it
// must have no pitfall at all; with the jump-to-model answer as step 1 it
// must be flagged "jumped to the model" and score lower.
func checkJumpToModel(t *testing.T, sc *bot.Scenario, c *calibration) {
	strong := strongSession(sc, c)
	rep := bot.Evaluate(sc, strong)
	for _, p := range rep.Pitfalls {
		t.Errorf("strong session flagged with pitfall %q: %s", p.Name, p.Detail)
	}

	jumped := strongSession(sc, c)
	jumped.Answers[bot.Clarify].Text = c.JumpToModel
	jrep := bot.Evaluate(sc, jumped)
	if !slices.ContainsFunc(jrep.Pitfalls, func(p bot.Pitfall) bool { return p.ID == bot.PitfallJumpedToModel }) {
		t.Errorf("jump-to-model answer as step 1 was not flagged %q (pitfalls: %v)", bot.PitfallJumpedToModel, jrep.Pitfalls)
	}
	if jrep.Score >= rep.Score {
		t.Errorf("session with the jump-to-model step 1 scored %d, not below the strong session's %d", jrep.Score, rep.Score)
	}
	if testing.Verbose() {
		t.Logf("strong session %d/100, with jump-to-model step 1 %d/100", rep.Score, jrep.Score)
	}
}

func strongSession(sc *bot.Scenario, c *calibration) *bot.Session {
	s := &bot.Session{ID: "calibration", ScenarioID: sc.ID, Status: bot.Completed}
	for step := bot.Clarify; step <= bot.Monitoring; step++ {
		s.Answers[step] = bot.StepAnswer{Text: c.Steps[step.Key()].Strong, Turns: 1}
	}
	for part := range 3 {
		s.Wrap[part] = bot.StepAnswer{Text: c.WrapUp[bot.WrapUpPartKey(part)].Strong, Turns: 1}
	}
	return s
}

// rawShare is the credited share of the rubric's total weight before
// saturation, which shows how far above or below full coverage an answer is.
func rawShare(r *rubric.Rubric, g rubric.StepGrade) string {
	total, got := 0.0, 0.0
	for _, c := range r.Concepts {
		total += c.Weight
	}
	for _, m := range g.Matches {
		got += m.Weight * m.Credit
	}
	return fmt.Sprintf("%.0f/%.0f", got, total)
}

// explain lists what a grade credited, for failure messages that say what
// to tune.
func explain(g rubric.StepGrade) string {
	var b strings.Builder
	fmt.Fprintf(&b, "coverage %.2f, %d words", g.Coverage, g.Words)
	for _, n := range g.Notes() {
		fmt.Fprintf(&b, ", %s", n)
	}
	b.WriteString("; matched")
	if len(g.Matches) == 0 {
		b.WriteString(" nothing")
	}
	for _, m := range g.Matches {
		fmt.Fprintf(&b, " %s(%q)", m.Concept, m.Evidence)
	}
	return b.String()
}

// loadCalibrations decodes every calibration file strictly and checks it
// is complete, so a typo in a key fails loudly instead of testing nothing.
func loadCalibrations(t *testing.T) []*calibration {
	t.Helper()
	fsys := os.DirFS(calibrationDir)
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatalf("no calibration sets in %s", calibrationDir)
	}
	var out []*calibration
	for _, name := range names {
		file := path.Join(calibrationDir, name)
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		c := &calibration{file: file}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if problems := c.incomplete(strings.TrimSuffix(name, ".yaml")); len(problems) > 0 {
			for _, p := range problems {
				t.Errorf("%s: %s", file, p)
			}
			continue
		}
		out = append(out, c)
	}
	return out
}

func (c *calibration) incomplete(fileID string) []string {
	var out []string
	if c.Scenario != fileID {
		out = append(out, fmt.Sprintf("scenario is %q, want the file name %q", c.Scenario, fileID))
	}
	for key := range c.Steps {
		if s, ok := bot.StepByKey(key); !ok || s == bot.WrapUp {
			out = append(out, fmt.Sprintf("steps: unknown step %q", key))
		}
	}
	for step := bot.Clarify; step <= bot.Monitoring; step++ {
		a, ok := c.Steps[step.Key()]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("steps: %s is missing", step.Key()))
		case blank(a.Strong) || blank(a.Medium) || blank(a.Weak):
			out = append(out, fmt.Sprintf("steps: %s needs strong, medium and weak answers", step.Key()))
		}
	}
	for key := range c.WrapUp {
		if !slices.Contains([]string{"bottleneck", "monitoring", "future"}, key) {
			out = append(out, fmt.Sprintf("wrapup: unknown question %q", key))
		}
	}
	for part := range 3 {
		key := bot.WrapUpPartKey(part)
		if a, ok := c.WrapUp[key]; !ok || blank(a.Strong) || blank(a.Weak) {
			out = append(out, fmt.Sprintf("wrapup: %s needs strong and weak answers", key))
		}
	}
	if s, ok := bot.StepByKey(c.KeywordList.Step); !ok || s == bot.WrapUp {
		out = append(out, fmt.Sprintf("keyword_list: step %q is not one of the seven steps", c.KeywordList.Step))
	}
	if blank(c.KeywordList.Text) {
		out = append(out, "keyword_list: text is empty")
	}
	if blank(c.JumpToModel) {
		out = append(out, "jump_to_model is empty")
	}
	return out
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }
