package main

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/mlsdbot/mlsd/bot/llm/llmtest"
)

// blindAnswers reads one candidate's ten answers from the blind
// calibration set, each on one line as a console user would type it.
func blindAnswers(t *testing.T, scenario, candidate string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "testdata", "calibration", "blind", scenario+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Candidates map[string]map[string]string `yaml:"candidates"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, key := range []string{"clarify", "frame", "data", "model", "evaluation", "deployment", "monitoring", "bottleneck", "wrapup_monitoring", "future"} {
		out = append(out, strings.Join(strings.Fields(f.Candidates[candidate][key]), " "))
	}
	return out
}

// TestConsoleInterviewWithAIJudge runs the real binary in console mode
// with MLSD_LLM_URL pointing at the fake endpoint: the report marks the
// credits the AI judge found, with the candidate's quotes, and the
// interview asks at least one follow-up the model wrote.
func TestConsoleInterviewWithAIJudge(t *testing.T) {
	fake := llmtest.New(t, llmtest.Generous)
	c := startChild(t, []string{
		"MLSD_DATA_DIR=" + t.TempDir(), "USER=ada",
		"MLSD_LLM_URL=" + fake.BaseURL(), "MLSD_LLM_MODEL=fake-model", "MLSD_LLM_API_KEY=sk-console-SECRET",
	})
	c.send(t, "/mlsd help")
	c.waitFor(t, "AI judge on (fake-model)")
	c.send(t, "/mlsd start eta-prediction")
	c.waitFor(t, "Step 1/7")
	next := regexp.MustCompile(`\(follow-up|Step \d/7 —|Wrap-up \d/3|Score: `)
	followUps := 0
	for _, answer := range blindAnswers(t, "eta-prediction", "medium") {
		c.send(t, answer)
		line := c.waitForMatch(t, next)
		if strings.Contains(line, "follow-up from the AI interviewer") {
			followUps++
			c.send(t, "next")
			c.waitForMatch(t, next)
		} else if strings.Contains(line, "(follow-up") {
			c.send(t, "next")
			c.waitForMatch(t, next)
		}
	}
	credit := c.waitForMatch(t, regexp.MustCompile(`\(AI judge\): “.{12,}”`))
	c.stdin.Close()
	if followUps == 0 {
		t.Error("no follow-up written by the model was asked")
	}
	t.Logf("model-written follow-ups: %d; an AI-sourced credit: %s", followUps, strings.TrimSpace(credit))
	for _, call := range fake.Calls() {
		if call.Auth != "Bearer sk-console-SECRET" || call.Messages != 2 {
			t.Fatalf("call with auth %q and %d messages; want the key and [system, answer]", call.Auth, call.Messages)
		}
	}
}

// TestGradeEvalBothJudges runs `mlsd grade eval --judge both` against the
// fake endpoint: both tables and the agreement line are printed.
func TestGradeEvalBothJudges(t *testing.T) {
	// Mostly waiting on child processes: runs beside the other slow
	// end-to-end tests, which keeps CI inside its time budget.
	t.Parallel()
	fake := llmtest.New(t, llmtest.Generous)
	out, _, err := runWith(t, env("MLSD_LLM_URL", fake.BaseURL(), "MLSD_LLM_MODEL", "fake-model"), "", "grade", "eval", "--judge", "both", "--only", "tuned")
	if err != nil && !errors.Is(err, errCalibrationMissed) {
		t.Fatalf("grade eval: %v\n%s", err, out)
	}
	for _, want := range []string{"judge: rubric (deterministic)", "judge: rubric + AI judge (fake-model at " + fake.BaseURL() + ")", "Agreement between the two (", "candidate pairs ordered alike"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if len(fake.Calls()) == 0 {
		t.Error("no answer reached the AI judge")
	}
	t.Logf("%d readings\n%s", len(fake.Calls()), out[strings.LastIndex(out, "Agreement"):])
}

// TestGradeEvalLLMNeedsEndpoint: --judge llm without MLSD_LLM_URL says what to set.
func TestGradeEvalLLMNeedsEndpoint(t *testing.T) {
	_, _, err := runWith(t, env(), "", "grade", "eval", "--judge", "llm")
	if err == nil || !strings.Contains(err.Error(), "MLSD_LLM_URL") {
		t.Fatalf("err = %v, want one naming MLSD_LLM_URL", err)
	}
}
