package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
)

// TestDrillsAvoidRecentScenarios: each drill runs one step, finishes with
// feedback, and the next drill picks a scenario not drilled lately.
func TestDrillsAvoidRecentScenarios(t *testing.T) {
	h := newPrivacyHarness(t)
	seen := map[string]bool{}
	for i := range 4 {
		out := h.cmd("ada", false, "drill evaluation")
		if len(out) != 2 || out[0].Where.Kind != bot.NewThread || !strings.Contains(out[1].Text, "Step 5/7 — Evaluation") {
			t.Fatalf("drill %d: %s", i, texts(out))
		}
		done := texts(h.reply("ada", "", "skip"))
		if !strings.Contains(done, "Drill done — Evaluation") {
			t.Fatalf("drill %d did not finish on skip: %s", i, done)
		}
		p, err := h.store.Progress(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "ada"})
		if err != nil {
			t.Fatal(err)
		}
		e := p.History[0]
		if e.Kind != bot.KindDrill || e.Step != bot.Evaluation || e.Score != 0 {
			t.Fatalf("history entry after drill %d = %+v", i, e)
		}
		if seen[e.ScenarioID] {
			t.Errorf("drill %d repeats scenario %s", i, e.ScenarioID)
		}
		seen[e.ScenarioID] = true
	}
	st, err := h.store.Stats(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Sessions != 0 || st.BestStreak != 1 {
		t.Errorf("stats after drills = %+v: want no session counted, a streak of 1", st)
	}
}

func TestDrillStep(t *testing.T) {
	st := bot.Stats{Sessions: 2, StepTotals: [bot.Steps]float64{2, 2, 2, 0.4, 2, 2, 1}}
	if got := bot.DrillStep(st, nil); got != bot.Model {
		t.Errorf("DrillStep = %v, want the weakest, model", got)
	}
	tracks := []bot.ConceptTrack{{Key: "f:deployment:canary", Step: bot.Deployment, Recent: "MM"}}
	if got := bot.DrillStep(bot.Stats{}, tracks); got != bot.Deployment {
		t.Errorf("DrillStep with no interview = %v, want the step of the concept missed most", got)
	}
	if got := bot.DrillStep(bot.Stats{}, nil); got != bot.Clarify {
		t.Errorf("DrillStep with nothing known = %v, want clarify", got)
	}
}
