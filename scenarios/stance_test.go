package scenarios_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/rubric"
	"github.com/mlsdbot/mlsd/scenarios"
)

// testdata/stance/*.yaml pin what each red flag and each paraphrase
// pattern means: sentences that state a mistake raise its flag, sentences
// that name the mistake to reject it do not, and plain-language forms of
// an idea earn its concept. One file per scenario (framework.yaml holds
// the framework-wide families, checked on the scenario it names).
type stanceFile struct {
	Scenario string       `yaml:"scenario"`
	Flags    []stanceFlag `yaml:"flags"`
	Concepts []stanceIdea `yaml:"concepts"`
}

type stanceFlag struct {
	Flag     string   `yaml:"flag"`
	Step     string   `yaml:"step"`
	Endorsed []string `yaml:"endorsed"`
	Rejected []string `yaml:"rejected"`
}

type stanceIdea struct {
	Concept     string   `yaml:"concept"`
	Step        string   `yaml:"step"`
	Credited    []string `yaml:"credited"`
	NotCredited []string `yaml:"not_credited"`
}

// stepRubric finds a step's rubric by key; wrap-up parts are
// "bottleneck", "wrapup_monitoring" and "future".
func stepRubric(t *testing.T, sc *bot.Scenario, key string) *rubric.Rubric {
	t.Helper()
	switch key {
	case "bottleneck":
		return sc.WrapUpRubric(0)
	case "wrapup_monitoring":
		return sc.WrapUpRubric(1)
	case "future":
		return sc.WrapUpRubric(2)
	}
	for step := bot.Clarify; step <= bot.Monitoring; step++ {
		if step.Key() == key {
			return sc.Rubric(step)
		}
	}
	t.Fatalf("unknown step %q", key)
	return nil
}

func TestStance(t *testing.T) {
	lib, err := scenarios.Load("")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("testdata/stance/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no stance files: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var f stanceFile
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&f); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		sc, ok := lib.Get(f.Scenario)
		if !ok {
			t.Fatalf("%s: unknown scenario %q", file, f.Scenario)
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			for _, fl := range f.Flags {
				r := stepRubric(t, sc, fl.Step)
				if !slices.ContainsFunc(r.RedFlags, func(x rubric.RedFlag) bool { return x.ID == fl.Flag }) {
					t.Errorf("step %s has no red flag %q", fl.Step, fl.Flag)
					continue
				}
				if len(fl.Endorsed) == 0 || len(fl.Rejected) == 0 {
					t.Errorf("flag %q: want endorsed and rejected sentences", fl.Flag)
				}
				for _, text := range fl.Endorsed {
					if g := r.Grade(rubric.Answer{Text: text}); !hasFlag(g, fl.Flag) {
						t.Errorf("%s/%s: %q does not raise it (flags %v)", fl.Step, fl.Flag, text, flagIDs(g))
					}
				}
				for _, text := range fl.Rejected {
					if g := r.Grade(rubric.Answer{Text: text}); hasFlag(g, fl.Flag) {
						t.Errorf("%s/%s: %q rejects the mistake but raises it", fl.Step, fl.Flag, text)
					}
				}
			}
			for _, ci := range f.Concepts {
				r := stepRubric(t, sc, ci.Step)
				for _, text := range ci.Credited {
					if g := r.Grade(rubric.Answer{Text: text}); !slices.ContainsFunc(g.Matches, func(m rubric.Match) bool { return m.Concept == ci.Concept }) {
						t.Errorf("%s/%s: %q not credited (credited %v)", ci.Step, ci.Concept, text, matchIDs(g))
					}
				}
				for _, text := range ci.NotCredited {
					if g := r.Grade(rubric.Answer{Text: text}); slices.ContainsFunc(g.Matches, func(m rubric.Match) bool { return m.Concept == ci.Concept }) {
						t.Errorf("%s/%s: %q credited but should not be", ci.Step, ci.Concept, text)
					}
				}
			}
		})
	}
}

func hasFlag(g rubric.StepGrade, id string) bool {
	return slices.ContainsFunc(g.RedFlags, func(f rubric.Flag) bool { return f.ID == id })
}

func flagIDs(g rubric.StepGrade) []string {
	var out []string
	for _, f := range g.RedFlags {
		out = append(out, f.ID)
	}
	return out
}

func matchIDs(g rubric.StepGrade) []string {
	var out []string
	for _, m := range g.Matches {
		out = append(out, m.Concept)
	}
	return out
}
