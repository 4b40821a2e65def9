package bot

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

// Spec returns the scenario's spec for a framework step (1..7), or nil.
func (sc *Scenario) Spec(step StepID) *StepSpec {
	key := step.Key()
	if key == "" || step == WrapUp {
		return nil
	}
	for i := range sc.Steps {
		if sc.Steps[i].Step == key {
			return &sc.Steps[i]
		}
	}
	return nil
}

// Rubric returns the compiled rubric of step 1..7, or nil before Prepare.
func (sc *Scenario) Rubric(step StepID) *rubric.Rubric {
	if step < Clarify || step > Monitoring {
		return nil
	}
	sc.ensurePrepared()
	return sc.rubrics[step]
}

// PrepareLater defers Prepare to the first use of one of the scenario's
// rubrics, so that a process compiles only the cases it serves: compiling
// all of them is most of a start-up (about 1.5 s, 15 s under -race). Only
// for scenarios already validated and prepared elsewhere (the embedded
// ones: `mlsd scenarios validate` and the tests compile every one), since
// a failure then can only be a bug, and panics.
func (sc *Scenario) PrepareLater(fw *Framework) {
	// The questions are filled now: an interview shows one before any
	// rubric is used, and Prepare must not write what others read.
	sc.fillQuestions(fw)
	sc.lazy = fw
}

// fillQuestions gives a step with no question of its own the framework's.
func (sc *Scenario) fillQuestions(fw *Framework) {
	for step := Clarify; step <= Monitoring; step++ {
		if spec, fs := sc.Spec(step), fw.step(step); spec != nil && fs != nil && strings.TrimSpace(spec.Question) == "" {
			spec.Question = fs.Question
		}
	}
}

// stepConcepts are a step's concepts: the case's own, then the
// framework's that none of them replaces.
func stepConcepts(fw *Framework, step StepID, spec *StepSpec) []rubric.Concept {
	var generic []rubric.Concept
	if fs := fw.step(step); fs != nil {
		generic = fs.Concepts
	}
	return mergeConcepts(spec.Concepts, generic)
}

func (sc *Scenario) ensurePrepared() {
	if sc.lazy == nil {
		return
	}
	sc.prepared.Do(func() {
		if err := sc.Prepare(sc.lazy); err != nil {
			panic(fmt.Sprintf("scenario %s: a validated scenario failed to compile: %v", sc.ID, err))
		}
	})
}

// StepConcepts are step 1..7's concepts as its rubric holds them (the
// case's own, then the framework's it does not replace), without
// compiling a scenario PrepareLater left for later: the drill reads every
// case's concepts to choose one.
func (sc *Scenario) StepConcepts(step StepID) []rubric.Concept {
	if step < Clarify || step > Monitoring {
		return nil
	}
	if sc.lazy != nil {
		if spec := sc.Spec(step); spec != nil {
			return stepConcepts(sc.lazy, step, spec)
		}
		return nil
	}
	if r := sc.rubrics[step]; r != nil {
		return r.Concepts
	}
	return nil
}

// jump is the rubric of a step-1 answer setting the requirements aside.
func (sc *Scenario) jump() *rubric.Rubric {
	sc.ensurePrepared()
	return sc.jumpRubric
}

// WrapUpRubric returns the rubric of wrap-up part 0 (bottleneck),
// 1 (monitoring follow-up) or 2 (future improvements), or nil.
func (sc *Scenario) WrapUpRubric(part int) *rubric.Rubric {
	if part < 0 || part >= len(sc.wrapRubrics) {
		return nil
	}
	sc.ensurePrepared()
	return sc.wrapRubrics[part]
}

// Prepare merges the framework's concepts into each step and wrap-up part
// (a scenario concept with a framework concept's id replaces it), fills a
// missing step question from the framework, and compiles every matcher.
// Scenarios from package scenarios are validated before this; Prepare
// still reports anything that would make grading impossible.
func (sc *Scenario) Prepare(fw *Framework) error {
	if fw == nil {
		return errors.New("prepare: no framework")
	}
	terms, err := fw.lexicon()
	if err != nil {
		return err
	}
	var errs []error
	sc.fillQuestions(fw)
	echo := rubric.NewEcho(sc.Prompt)
	concerns := rubric.ConcernWords(constraints(sc.Prompt))
	var rubrics [Monitoring + 1]*rubric.Rubric
	for step := Clarify; step <= Monitoring; step++ {
		spec := sc.Spec(step)
		if spec == nil {
			errs = append(errs, fmt.Errorf("step %s: missing", step.Key()))
			continue
		}
		r, err := rubric.Compile(rubric.Spec{
			Concepts: stepConcepts(fw, step, spec), Own: len(spec.Concepts),
			RedFlags: sc.stepFlags(fw, spec.RedFlags), Saturation: fw.Saturation, MinWords: rubric.MinWords, Echo: echo, Related: true,
			Asked: spec.Question, Concerns: concerns,
		}, terms)
		if err != nil {
			errs = append(errs, fmt.Errorf("step %s: %w", step.Key(), err))
			continue
		}
		rubrics[step] = r
	}
	var wrap [3]*rubric.Rubric
	generic := fw.WrapUp.Parts()
	// The daily follow-up asks two wrap-up questions at once: a figure of
	// either is given, not the candidate's own.
	var questions strings.Builder
	for _, q := range sc.WrapUp.Parts() {
		questions.WriteString(q.Question + "\n")
	}
	for i, q := range sc.WrapUp.Parts() {
		r, err := rubric.Compile(rubric.Spec{
			Concepts: mergeConcepts(q.Concepts, generic[i]), Own: len(q.Concepts),
			RedFlags: sc.stepFlags(fw, q.RedFlags), Saturation: fw.Saturation, MinWords: rubric.MinWrapUpWords,
			MinConcepts: rubric.WrapUpMinConcepts, FewConceptsCap: rubric.WrapUpFewConceptsCap, Echo: echo, Related: true,
			Questions: questions.String(), Concerns: concerns,
		}, terms)
		if err != nil {
			errs = append(errs, fmt.Errorf("wrap-up %s: %w", WrapUpPartKey(i), err))
			continue
		}
		wrap[i] = r
	}
	var jump *rubric.Rubric
	if len(fw.JumpDeclarations) > 0 {
		jump, err = rubric.Compile(rubric.Spec{
			Concepts: []rubric.Concept{{ID: "declares_jump", Label: "Sets the requirements aside", Weight: 1, Phrases: fw.JumpDeclarations}},
			Own:      1, Saturation: fw.Saturation, MinWords: 1,
		}, terms)
		if err != nil {
			errs = append(errs, fmt.Errorf("jump declarations: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("scenario %s: %w", sc.ID, err)
	}
	sc.rubrics, sc.wrapRubrics, sc.jumpRubric = rubrics, wrap, jump
	return nil
}

// stepFlags is a step's red flags: its own, then the framework's that
// apply to this scenario.
func (sc *Scenario) stepFlags(fw *Framework, own []rubric.RedFlag) []rubric.RedFlag {
	out := slices.Clone(own)
	for _, f := range fw.RedFlags {
		if slices.ContainsFunc(f.SkipTags, func(t string) bool { return slices.Contains(sc.Tags, t) }) ||
			f.OptIn && !slices.Contains(sc.FrameworkFlags, f.ID) {
			continue
		}
		// A step flag with a family's id keeps its label, gains the
		// family's phrases, and costs at least what the family costs.
		if i := slices.IndexFunc(out, func(x rubric.RedFlag) bool { return x.ID == f.ID }); i >= 0 {
			out[i].Phrases = slices.Concat(out[i].Phrases, f.Phrases)
			out[i].Unless = slices.Concat(out[i].Unless, f.Unless)
			out[i].Dismissed = slices.Concat(out[i].Dismissed, f.Dismissed)
			out[i].Penalty = max(out[i].Penalty, f.Penalty)
			continue
		}
		out = append(out, f.RedFlag)
	}
	return out
}

// lexicon compiles the framework's word lists once; a framework's lists
// must not change after its first scenario is prepared.
func (fw *Framework) lexicon() (*rubric.Lexicon, error) {
	fw.lexMu.Lock()
	defer fw.lexMu.Unlock()
	if fw.lex != nil {
		return fw.lex, nil
	}
	lex, err := rubric.NewLexicon(rubric.Terms{
		ModelTerms: fw.ModelTerms, Justification: fw.Justification, Negations: fw.Negations,
		Dismissals: fw.Dismissals, Deferrals: fw.Deferrals, RejectionsBefore: fw.RejectionsBefore, Rejections: fw.Rejections,
		DismissalsBefore: fw.DismissalsBefore, Tradeoffs: fw.Tradeoffs, FailureModes: fw.FailureModes,
		Synonyms: fw.Synonyms, GenericTerms: fw.GenericTerms,
	})
	if err != nil {
		return nil, err
	}
	fw.lex = lex
	return lex, nil
}

// WrapUpPartKey names wrap-up part 0..2 as scenario files do.
func WrapUpPartKey(part int) string {
	switch part {
	case 0:
		return "bottleneck"
	case 1:
		return "monitoring"
	case 2:
		return "future"
	}
	return ""
}

// WrapUpPartTitle is the reader-facing name of wrap-up part 0..2.
func WrapUpPartTitle(part int) string {
	switch part {
	case 0:
		return "Bottlenecks"
	case 1:
		return "Monitoring follow-up"
	case 2:
		return "Future improvements"
	}
	return ""
}

func (fw *Framework) step(step StepID) *FrameworkStep {
	for i := range fw.Steps {
		if fw.Steps[i].Step == step.Key() {
			return &fw.Steps[i]
		}
	}
	return nil
}

// mergeConcepts puts the scenario's concepts first (they are the case's
// point), then the framework's, minus any the scenario replaced by id. The
// first len(own) concepts of the result are therefore the case's own.
func mergeConcepts(own, generic []rubric.Concept) []rubric.Concept {
	out := make([]rubric.Concept, 0, len(own)+len(generic))
	out = append(out, own...)
	for _, g := range generic {
		if !slices.ContainsFunc(own, func(c rubric.Concept) bool { return c.ID == g.ID }) {
			out = append(out, g)
		}
	}
	return out
}

// constraints is the prompt's "**Constraints.**" paragraph, or "".
func constraints(prompt string) string {
	_, rest, ok := strings.Cut(prompt, "**Constraints.**")
	if !ok {
		return ""
	}
	if end := strings.Index(rest, "\n\n"); end >= 0 {
		rest = rest[:end]
	}
	if end := strings.Index(rest, "**"); end >= 0 {
		rest = rest[:end]
	}
	return rest
}
