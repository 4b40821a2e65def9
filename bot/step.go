package bot

// StepID numbers the framework's steps; WrapUp follows step 7.
type StepID int

const (
	Clarify StepID = iota + 1
	Frame
	Data
	Model
	Evaluation
	Deployment
	Monitoring
	WrapUp
)

// Steps is the number of graded framework steps (the wrap-up is a bonus).
const Steps = 7

var stepTitles = [...]string{
	Clarify:    "Clarify requirements",
	Frame:      "Frame as an ML task",
	Data:       "Data & features",
	Model:      "Model development",
	Evaluation: "Evaluation",
	Deployment: "Deployment & serving",
	Monitoring: "Monitoring & infrastructure",
	WrapUp:     "Wrap-up",
}

var stepKeys = [...]string{
	Clarify:    "clarify",
	Frame:      "frame",
	Data:       "data",
	Model:      "model",
	Evaluation: "evaluation",
	Deployment: "deployment",
	Monitoring: "monitoring",
	WrapUp:     "wrapup",
}

// Title is the canonical step title used in every message.
func (s StepID) Title() string {
	if s < Clarify || s > WrapUp {
		return "Unknown step"
	}
	return stepTitles[s]
}

// Key is the step's name in scenario files ("clarify", "frame", ...).
func (s StepID) Key() string {
	if s < Clarify || s > WrapUp {
		return ""
	}
	return stepKeys[s]
}

func (s StepID) String() string { return s.Key() }

// StepByKey maps a scenario-file key to its StepID; ok is false for unknown keys.
func StepByKey(key string) (StepID, bool) {
	for s := Clarify; s <= WrapUp; s++ {
		if stepKeys[s] == key {
			return s, true
		}
	}
	return 0, false
}

// DefaultStepWeights are W_s of the score formula (they sum to 1).
var defaultStepWeights = [...]float64{
	Clarify: 0.15, Frame: 0.15, Data: 0.20, Model: 0.15,
	Evaluation: 0.15, Deployment: 0.10, Monitoring: 0.10,
}

// StepWeight is the step's share of the 100 base points.
func (s StepID) Weight() float64 {
	if s < Clarify || s > Monitoring {
		return 0
	}
	return defaultStepWeights[s]
}
