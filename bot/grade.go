package bot

// Rubric is one step's compiled rubric: the framework's concepts for the
// step merged with the scenario's own, ready for matching.
type Rubric struct {
	Step     StepID
	Concepts []Concept
	RedFlags []RedFlag
	// matchers are built by Prepare; unexported so a Rubric is only made by it.
	compiled *compiledRubric
}

// Answer is one step's text plus how much help it took.
type Answer struct {
	Text  string
	Hints int
	// Named are concept ids a tier-2 hint named; their credit is capped at half.
	Named []string
}

// StepGrade explains how an answer scored against a rubric.
type StepGrade struct {
	Step     StepID
	Coverage float64 // weighted share of concepts credited, 0..1, before penalties
	Score    float64 // 0..1 after caps and penalties
	Matches  []Match // credited concepts with quoted evidence
	Missing  []Concept
	RedFlags []RedFlag
	Words    int
	// Caps and penalties, each shown in feedback when set.
	TooShort        bool
	KeywordList     bool
	NoJustification bool
	HintPenalty     float64
	FlagPenalty     float64
}

// Match is one credited concept with the answer text that earned it.
type Match struct {
	Concept  string  `json:"concept"`
	Label    string  `json:"label"`
	Evidence string  `json:"evidence"` // the matched words as the candidate wrote them
	Credit   float64 `json:"credit"`   // 1, or 0.5 after a hint named it
	Weight   float64 `json:"weight"`
	Offset   int     `json:"offset"` // byte offset of Evidence in the answer
}

// compiledRubric is a placeholder until the grader lands.
type compiledRubric struct{}
