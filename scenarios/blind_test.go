package scenarios_test

import (
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/scenarios"
)

// TestBlindCalibration holds the grader to the blind calibration set
// (testdata/calibration/blind: whole interviews written by people who saw
// only the case prompt and the questions): held-out and tuned scenarios
// alike must keep every ordering and flag enough planted errors. The
// figures are logged, held-out first; `mlsd grade eval` prints the same.
func TestBlindCalibration(t *testing.T) {
	lib, err := scenarios.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := scenarios.Calibrate(scenarios.BlindCalibration(), lib)
	if err != nil {
		t.Fatal(err)
	}
	if len(cal.HeldOut.Scenarios) < 3 || len(cal.Tuned.Scenarios) < 5 {
		t.Fatalf("%d held-out and %d tuned scenarios, want at least 3 and 5", len(cal.HeldOut.Scenarios), len(cal.Tuned.Scenarios))
	}
	for _, part := range []struct {
		title string
		sum   scenarios.CalibrationSummary
	}{{"Held out", cal.HeldOut}, {"Tuned on", cal.Tuned}} {
		part.sum.SortScenarios()
		t.Log("\n" + part.sum.Text(part.title))
		for _, s := range part.sum.Scenarios {
			for _, f := range s.Failures {
				t.Errorf("%s (%s): %s", s.Scenario, part.title, f)
			}
			// A strength is never a sentence that raised a flag.
			for _, c := range s.Candidates {
				for _, m := range c.Report.Strengths {
					for _, st := range c.Report.Steps {
						for _, f := range st.Flags {
							if f.Offset < m.Offset+len(m.Evidence) && m.Offset < f.Offset+len(f.Evidence) && m.Evidence != "" &&
								st.Step == stepOfStrength(c.Report.Steps, m.Concept) {
								t.Errorf("%s/%s: strength %q overlaps flag %q", s.Scenario, c.Name, m.Evidence, f.Evidence)
							}
						}
					}
				}
			}
		}
		if fl, pl := part.sum.FlaggedShare(); float64(fl) < scenarios.MinFlaggedShare*float64(pl) {
			t.Errorf("%s: %d of %d planted errors flagged, want ≥ %.0f%%", part.title, fl, pl, 100*scenarios.MinFlaggedShare)
		}
	}
}

// stepOfStrength finds the step whose matches hold the concept.
func stepOfStrength(steps []bot.StepReport, concept string) bot.StepID {
	for _, st := range steps {
		for _, m := range st.Matches {
			if m.Concept == concept {
				return st.Step
			}
		}
	}
	return 0
}
