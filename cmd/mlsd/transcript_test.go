package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/transcripts")

// calibration mirrors scenarios/testdata/calibration/<id>.yaml: candidate
// answers written as people speak, reused here as scripted candidates.
type calibration struct {
	Scenario string `yaml:"scenario"`
	Steps    map[string]struct {
		Strong, Medium, Weak string
	} `yaml:"steps"`
	WrapUp map[string]struct {
		Strong, Weak string
	} `yaml:"wrapup"`
	KeywordList struct {
		Step, Text string
	} `yaml:"keyword_list"`
	JumpToModel string `yaml:"jump_to_model"`
}

// candidate says what to send at each step; "" sends "skip".
type candidate struct {
	name   string
	step   func(c *calibration, key string) string
	wrapUp func(c *calibration, key string) string
	hints  bool // asks for a hint before answering steps 3 and 5
}

var candidates = []candidate{
	{
		name:   "strong",
		step:   func(c *calibration, key string) string { return c.Steps[key].Strong },
		wrapUp: func(c *calibration, key string) string { return c.WrapUp[key].Strong },
	},
	{
		name:   "weak",
		step:   func(c *calibration, key string) string { return c.Steps[key].Weak },
		wrapUp: func(c *calibration, key string) string { return c.WrapUp[key].Weak },
		hints:  true,
	},
	{
		// Names a model before any requirement, then skips the data
		// pipeline, deployment and monitoring.
		name: "pitfalls",
		step: func(c *calibration, key string) string {
			switch key {
			case "clarify":
				return c.JumpToModel
			case "data", "deployment", "monitoring":
				return ""
			}
			return c.Steps[key].Medium
		},
		wrapUp: func(c *calibration, key string) string { return c.WrapUp[key].Weak },
	},
}

func readCalibration(t *testing.T, id string) *calibration {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "testdata", "calibration", id+".yaml"))
	if err != nil {
		t.Fatalf("calibration set: %v", err)
	}
	var cal calibration
	if err := yaml.Unmarshal(raw, &cal); err != nil {
		t.Fatal(err)
	}
	return &cal
}

var wrapKeys = []string{"bottleneck", "monitoring", "future"}

// script plans the console input for a candidate. It replays the pure
// engine to learn where the interviewer will ask a follow-up, and answers
// each follow-up with "next", so the piped lines stay aligned with the
// questions.
func script(t *testing.T, sc *bot.Scenario, cal *calibration, cand candidate) []string {
	t.Helper()
	lines := []string{"/mlsd start " + sc.ID}
	s := bot.Session{ID: "plan", Version: 1, ScenarioID: sc.ID, Mode: bot.Mock, Status: bot.Active, Step: bot.Clarify}
	send := func(line string) {
		lines = append(lines, line)
		in := bot.Input{Text: line}
		if w, ok := bot.ParseWord(line); ok {
			in = bot.Input{Word: w}
		}
		s = bot.Advance(s, sc, in, time.Time{}).Session
	}
	for step := bot.Clarify; step <= bot.Monitoring; step++ {
		if cand.hints && (step == bot.Data || step == bot.Evaluation) {
			send("hint")
		}
		text := cand.step(cal, step.Key())
		if text == "" {
			send("skip")
			continue
		}
		send(multiLine(text))
		if s.Probing != "" {
			send("next")
		}
	}
	for _, key := range wrapKeys {
		if text := cand.wrapUp(cal, key); text != "" {
			send(multiLine(text))
		} else {
			send("skip")
		}
	}
	if s.Status != bot.Completed {
		t.Fatalf("planned script does not complete the interview (status %s, step %v)", s.Status, s.Step)
	}
	return append(lines, "/mlsd me")
}

// multiLine wraps a multi-line answer in the console's """ fences.
func multiLine(text string) string {
	text = strings.TrimSpace(text)
	if !strings.Contains(text, "\n") {
		return text
	}
	return "\"\"\"\n" + text + "\n\"\"\""
}

var scoreLine = regexp.MustCompile(`Score: (\d+)/100`)

// TestTranscripts runs a full console interview through run() for every
// built-in scenario and three scripted candidates, compares each
// transcript with its golden file, and checks the strong candidate scores
// clearly higher and the pitfall candidate's pitfalls are named.
func TestTranscripts(t *testing.T) {
	list, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range list {
		t.Run(sc.ID, func(t *testing.T) {
			t.Parallel()
			cal := readCalibration(t, sc.ID)
			scores := map[string]int{}
			for _, cand := range candidates {
				lines := script(t, sc, cal, cand)
				dataDir := t.TempDir()
				// Pictures are off here (drawing 120 of them costs minutes
				// under -race); TestConsoleInterviewPictures draws them.
				out, errOut, err := runWith(t, env("MLSD_DATA_DIR", dataDir, "USER", "ada", "MLSD_PICTURES", "off"), strings.Join(lines, "\n")+"\n")
				if err != nil {
					t.Fatalf("%s: run: %v\n%s", cand.name, err, errOut)
				}
				if errOut != "" {
					t.Errorf("%s: unexpected log output:\n%s", cand.name, errOut)
				}
				m := scoreLine.FindStringSubmatch(out)
				if m == nil {
					t.Fatalf("%s: no score in the transcript:\n%s", cand.name, out)
				}
				scores[cand.name], _ = strconv.Atoi(m[1])
				if band := bot.BandFor(scores[cand.name]); !strings.Contains(out, "/100 — "+band) {
					t.Errorf("%s: the report does not show its level band %q", cand.name, band)
				}
				compareGolden(t, filepath.Join("testdata", "transcripts", sc.ID+"-"+cand.name+".golden"), out)
				if cand.name == "pitfalls" {
					for _, p := range []string{"Jumped to the model", "Ignored the data pipeline", "Overlooked deployment"} {
						if !strings.Contains(strings.ToLower(out), strings.ToLower(p)) {
							t.Errorf("pitfall candidate: report does not name %q", p)
						}
					}
				}
				if cand.name == "strong" && strings.Contains(out, "Pitfalls") {
					t.Errorf("strong candidate: report lists pitfalls")
				}
			}
			if scores["strong"] < scores["weak"]+25 || scores["strong"] < scores["pitfalls"]+25 {
				t.Errorf("scores %v: the strong candidate should lead the others by 25+ points", scores)
			}
			t.Logf("scores: strong %d, weak %d, pitfalls %d", scores["strong"], scores["weak"], scores["pitfalls"])
		})
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/mlsd -run TestTranscripts -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the transcript; rerun with -update if the change is intended.\n%s", path, firstDiff(string(want), got))
	}
}

// firstDiff shows the first differing line.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\nwant: %q\n got: %q", i+1, a, b)
		}
	}
	return ""
}
