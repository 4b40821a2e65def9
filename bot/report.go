package bot

import "github.com/mlsdbot/mlsd/bot/rubric"

// Report is the scored result of a whole interview.
type Report struct {
	SessionID     string       `json:"session"`
	ScenarioID    string       `json:"scenario"`
	ScenarioTitle string       `json:"scenario_title"`
	Difficulty    Difficulty   `json:"difficulty"`
	Mode          Mode         `json:"mode"`
	Score         int          `json:"score"`          // 0..100
	Band          string       `json:"band,omitempty"` // level band of Score (BandFor)
	Points        float64      `json:"points"`         // Score × difficulty multiplier
	Steps         []StepReport `json:"steps"`          // the 7 graded steps
	WrapUp        StepReport   `json:"wrapup"`
	WrapUpBonus   float64      `json:"wrapup_bonus"` // 0..10
	Pitfalls      []Pitfall    `json:"pitfalls,omitempty"`
	// FlagCount is how many red flags the steps and wrap-up raised; each
	// costs FlagSessionPenalty points of the session score.
	FlagCount int            `json:"flag_count,omitempty"`
	Strengths []rubric.Match `json:"strengths,omitempty"`
	Gaps      []string       `json:"gaps,omitempty"` // questions to study
	Outline   []Section      `json:"outline,omitempty"`
	HintsUsed int            `json:"hints_used"`
	// Coverage is every step concept's outcome and the red flags raised,
	// for the person's concept coverage. It is derived, so it is not kept
	// with the session: the completion built from this report carries it.
	Coverage []ConceptMark `json:"-"`
}

// StepReport is one step's line in the report.
type StepReport struct {
	Step     StepID         `json:"step"`
	Title    string         `json:"title"`
	Score    float64        `json:"score"`  // 0..1
	Points   float64        `json:"points"` // contribution to the 100 base points
	Max      float64        `json:"max"`    // the step's share of 100
	Skipped  bool           `json:"skipped,omitempty"`
	Hints    int            `json:"hints,omitempty"`
	Matches  []rubric.Match `json:"matches,omitempty"`
	Missing  []string       `json:"missing,omitempty"`   // concept labels
	RedFlags []string       `json:"red_flags,omitempty"` // labels
	// Flags are the red flags with the words that raised them.
	Flags []FlagReport `json:"flags,omitempty"`
	Notes []string     `json:"notes,omitempty"` // "too short", "keyword list", ...
}

// FlagReport is one red flag of a step or wrap-up part, with its words.
type FlagReport struct {
	Label    string `json:"label"`
	Evidence string `json:"evidence"`
	Offset   int    `json:"offset"`         // in the answer's text
	Part     int    `json:"part,omitempty"` // wrap-up part (0..2)
	// Again are later statements of the same mistake in that answer.
	Again []rubric.Quote `json:"again,omitempty"`
}

// Pitfall is a classic mistake detected across steps.
type Pitfall struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Penalty int    `json:"penalty"`
	Detail  string `json:"detail"`
}

// Pitfall ids.
const (
	PitfallJumpedToModel       = "jumped_to_model"
	PitfallIgnoredData         = "ignored_data_pipeline"
	PitfallOverlookedDeployMon = "overlooked_deployment_monitoring"
)

// Section is one titled part of the reference outline.
type Section struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Level bands: what a hiring committee would conclude from a score.
const (
	BandStrongHire = "Strong hire"
	BandHire       = "Hire"
	BandLeanHire   = "Lean hire"
	BandLeanNoHire = "Lean no hire"
	BandNoHire     = "No hire"
)

// Bands lists the level bands from the top, with the lowest score of each.
var Bands = []struct {
	Name string
	Min  int
}{
	{BandStrongHire, 80}, {BandHire, 65}, {BandLeanHire, 50}, {BandLeanNoHire, 35}, {BandNoHire, 0},
}

// BandFor names the level band of a session score.
func BandFor(score int) string {
	for _, b := range Bands {
		if score >= b.Min {
			return b.Name
		}
	}
	return BandNoHire
}
