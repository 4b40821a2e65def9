package bot

import (
	"sync"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

// Difficulty of a scenario; it sets the leaderboard multiplier.
type Difficulty string

const (
	Easy   Difficulty = "easy"
	Medium Difficulty = "medium"
	Hard   Difficulty = "hard"
)

// Multiplier converts a session score into leaderboard points.
func (d Difficulty) Multiplier() float64 {
	switch d {
	case Medium:
		return 1.25
	case Hard:
		return 1.5
	}
	return 1
}

// Scenario is one case study. Its YAML form is documented in
// scenarios/README.md; the field tags below are that schema.
type Scenario struct {
	ID         string     `yaml:"id"`
	Title      string     `yaml:"title"`
	Difficulty Difficulty `yaml:"difficulty"`
	Tags       []string   `yaml:"tags"`
	Prompt     string     `yaml:"prompt"` // Markdown
	Steps      []StepSpec `yaml:"steps"`  // exactly 7, in framework order
	WrapUp     WrapUpSpec `yaml:"wrapup"`
	// Diagram is the reference architecture in the edge-list syntax
	// (ParseDiagram); optional for a user's own scenarios.
	Diagram string `yaml:"diagram,omitempty" json:"diagram,omitempty"`
	// FrameworkFlags turns on the framework's opt-in red flags that this
	// case's constraints make mistakes (stale_eligibility, for a case
	// whose prompt says what must never be shown or how fresh it must be).
	FrameworkFlags []string `yaml:"framework_flags,omitempty" json:"framework_flags,omitempty"`

	// Source is where the scenario came from ("built-in" or a file path).
	Source string `yaml:"-"`
	// rubrics holds each step's compiled rubric (framework + case concepts),
	// built by Prepare.
	rubrics     [Monitoring + 1]*rubric.Rubric
	wrapRubrics [3]*rubric.Rubric
	// jumpRubric finds a step-1 answer setting the requirements aside
	// ("the requirements seem clear, so I'd go straight to the detector").
	jumpRubric *rubric.Rubric
	// lazy, set by PrepareLater, is the framework Prepare runs with at the
	// first use of a rubric; prepared runs it once.
	lazy     *Framework
	prepared sync.Once
}

// StepSpec is one step of a scenario.
type StepSpec struct {
	Step     string           `yaml:"step"` // "clarify", "frame", ... (StepID.Key)
	Question string           `yaml:"question"`
	Concepts []rubric.Concept `yaml:"concepts"`
	Hints    Hints            `yaml:"hints"`
	Probes   []Probe          `yaml:"probes"`
	RedFlags []rubric.RedFlag `yaml:"red_flags"`
	Outline  string           `yaml:"outline"` // Markdown reference answer
}

// Hints are the two tiers of help for a step.
type Hints struct {
	// Nudge is tier 1: a question that points in a direction without naming
	// a concept.
	Nudge string `yaml:"nudge"`
	// Named are tier 2: each names one concept; the engine offers the one
	// for the heaviest concept the answer so far is missing. Credit for a concept
	// named by a hint is capped at half.
	Named []NamedHint `yaml:"named"`
}

// NamedHint is a tier-2 hint that names a concept.
type NamedHint struct {
	Concept string `yaml:"concept"`
	Text    string `yaml:"text"`
}

// Probe is the follow-up question asked when an important concept is missing.
type Probe struct {
	Concept  string `yaml:"concept"`
	Question string `yaml:"question"`
}

// WrapUpSpec holds the three closing questions.
type WrapUpSpec struct {
	Bottleneck WrapUpQuestion `yaml:"bottleneck"`
	Monitoring WrapUpQuestion `yaml:"monitoring"`
	Future     WrapUpQuestion `yaml:"future"`
}

// Parts returns the wrap-up questions in the order they are asked.
func (w *WrapUpSpec) Parts() []*WrapUpQuestion {
	return []*WrapUpQuestion{&w.Bottleneck, &w.Monitoring, &w.Future}
}

// WrapUpQuestion is one wrap-up question with its rubric.
type WrapUpQuestion struct {
	Question string           `yaml:"question"`
	Concepts []rubric.Concept `yaml:"concepts"`
	// RedFlags are this question's own mistakes, checked besides the
	// framework's families.
	RedFlags []rubric.RedFlag `yaml:"red_flags,omitempty"`
	// GoodAnswer says what a good answer mentions (shown in the report).
	GoodAnswer string `yaml:"good_answer"`
}

// Framework is the framework-wide rubric merged into every scenario
// (scenarios/framework.yaml).
type Framework struct {
	Steps []FrameworkStep `yaml:"steps"`
	// ModelTerms name models and architectures; seeing one in steps 1-2
	// before any requirement or data concept is the "jumped to the model"
	// pitfall.
	ModelTerms []string `yaml:"model_terms"`
	// JumpDeclarations set the requirements aside ("let me go straight to
	// the model"): one in step 1, not negated, with any model term there,
	// is the "jumped to the model" pitfall too.
	JumpDeclarations []string `yaml:"jump_declarations"`
	// Justification cues ("because", "trade-off", ...) show reasoning.
	Justification []string `yaml:"justification"`
	// Negations cancel a match that follows within three words.
	Negations []string `yaml:"negations"`
	// Dismissals cancel a concept or model term they follow within three
	// words in the same clause ("latency is not needed").
	Dismissals []string `yaml:"dismissals"`
	// Deferrals are the Dismissals that only put a thing off ("can wait"):
	// they do not make a dismissed stated concern (rubric.Terms.Deferrals).
	Deferrals []string `yaml:"deferrals"`
	// RejectionsBefore keep a red flag from being raised when they end
	// within three words before its phrase, like a negation: "avoid a
	// random split", "unlike plain accuracy".
	RejectionsBefore []string `yaml:"rejections_before"`
	// Rejections keep a red flag from being raised when they follow its
	// phrase in the same clause: "a random split leaks the future",
	// "accuracy is useless here".
	Rejections []string `yaml:"rejections"`
	// DismissalsBefore are dismissive verbs ("skip", "no need for"): the
	// mention after them is dismissed, and an important one flagged.
	DismissalsBefore []string `yaml:"dismissals_before"`
	// Tradeoffs and FailureModes are the signs of depth the grader counts.
	Tradeoffs    []string `yaml:"tradeoffs"`
	FailureModes []string `yaml:"failure_modes"`
	// Synonyms are the shared ML thesaurus: each group's members are
	// interchangeable in every concept and red-flag phrase.
	Synonyms [][]string `yaml:"synonyms"`
	// GenericTerms are system words that fit any design; daily judging
	// gives a reply little for them unless it ties them to the case.
	GenericTerms []string `yaml:"generic_terms"`
	// RedFlags are the framework-wide mistakes, checked in every step of
	// every scenario (see FrameworkRedFlag).
	RedFlags []FrameworkRedFlag `yaml:"red_flags"`
	// WrapUp holds the generic concepts of the three wrap-up questions.
	WrapUp FrameworkWrapUp `yaml:"wrapup"`
	// Saturation is the share of a step's total concept weight that earns
	// full coverage (nobody mentions every concept); 0 means DefaultSaturation.
	Saturation float64 `yaml:"saturation"`

	// lex is the compiled word lists, built once and shared by every
	// scenario prepared with this framework (see lexicon).
	lexMu sync.Mutex
	lex   *rubric.Lexicon
}

// FrameworkWrapUp is the generic rubric of the wrap-up questions.
type FrameworkWrapUp struct {
	Bottleneck []rubric.Concept `yaml:"bottleneck"`
	Monitoring []rubric.Concept `yaml:"monitoring"`
	Future     []rubric.Concept `yaml:"future"`
}

// Parts returns the generic concepts in wrap-up question order.
func (w *FrameworkWrapUp) Parts() [3][]rubric.Concept {
	return [3][]rubric.Concept{w.Bottleneck, w.Monitoring, w.Future}
}

// FrameworkStep is the generic rubric of one step.
type FrameworkStep struct {
	Step     string           `yaml:"step"`
	Concepts []rubric.Concept `yaml:"concepts"`
	Question string           `yaml:"question"` // the generic question, used when a scenario omits one
}

// FrameworkRedFlag is a mistake checked in every step of every scenario,
// besides the scenario's own red flags, unless the scenario has one of
// SkipTags (accuracy is no mistake in a regression case) or a red flag of
// the same id in that step; an OptIn flag only where the scenario asks.
type FrameworkRedFlag struct {
	rubric.RedFlag `yaml:",inline"`
	SkipTags       []string `yaml:"skip_tags,omitempty"`
	// OptIn flags are checked only in scenarios that list them in
	// framework_flags: the same words are sound in a case without the
	// constraint ("rebuild the index nightly").
	OptIn bool `yaml:"opt_in,omitempty"`
}
