package scenarios_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/scenarios"
)

// testdata/calibration/daily holds blind daily replies: per scenario a
// strong, a short-but-specific, a generic and a wrong lightning answer,
// and the same four kinds of follow-up reply. Daily judging must rank them
// in that order in every scenario, and boilerplate must stay at 40 or less.
type dailyCase struct {
	Scenario               string   `yaml:"scenario"`
	LightningStrong        string   `yaml:"lightning_strong"`
	LightningShortSpecific string   `yaml:"lightning_short_specific"`
	LightningGeneric       string   `yaml:"lightning_generic"`
	LightningWrong         string   `yaml:"lightning_wrong"`
	LightningWrongMistakes []string `yaml:"lightning_wrong_mistakes"`
	FollowupStrong         string   `yaml:"followup_strong"`
	FollowupShortSpecific  string   `yaml:"followup_short_specific"`
	FollowupGeneric        string   `yaml:"followup_generic"`
	FollowupWrong          string   `yaml:"followup_wrong"`
	FollowupWrongMistakes  []string `yaml:"followup_wrong_mistakes"`
}

// MaxDailyBoilerplate is the most a generic daily reply may score.
const maxDailyBoilerplate = 40

func TestDailyCalibration(t *testing.T) {
	lib, err := scenarios.Load("")
	if err != nil {
		t.Fatal(err)
	}
	// The tuned set and the spent held-out draws (graded, read and tuned on
	// since) must hold every ordering. A new held-out draw is added first,
	// with assert false, and measured and logged, not asserted, until it
	// has been graded once and read, so it never becomes a tuning target
	// before its figures are taken (the README lists each draw's).
	for _, set := range []struct {
		file   string
		assert bool
	}{{"daily-heldout8.yaml", false}, // graded and read, not tuned on
		{"daily-heldout7.yaml", true}, {"daily-heldout6.yaml", true}, {"daily-heldout5.yaml", true}, {"daily-heldout4.yaml", true}, {"daily-heldout3.yaml", true}, {"daily-heldout2.yaml", true}, {"daily-heldout.yaml", true}, {"daily.yaml", true}} {
		table, failures := gradeDailySet(t, lib, "testdata/calibration/daily/"+set.file)
		t.Logf("%s\n%s", set.file, table)
		if set.assert {
			for _, f := range failures {
				t.Error(f)
			}
		} else if len(failures) > 0 {
			t.Logf("%s (held out, not asserted):\n%s", set.file, strings.Join(failures, "\n"))
		}
	}
}

func gradeDailySet(t *testing.T, lib *bot.Library, path string) (string, []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []dailyCase `yaml:"cases"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) < 3 {
		t.Fatalf("%s: %d cases, want at least 3", path, len(f.Cases))
	}
	var failures []string
	var table strings.Builder
	fmt.Fprintf(&table, "%-26s %-9s %6s %6s %6s %6s\n", "scenario", "kind", "strong", "short", "generic", "wrong")
	for _, c := range f.Cases {
		sc, ok := lib.Get(c.Scenario)
		if !ok {
			t.Fatalf("unknown scenario %q", c.Scenario)
		}
		for _, kind := range []struct {
			name  string
			texts [4]string
			grade func(string) int
		}{
			{"lightning", [4]string{c.LightningStrong, c.LightningShortSpecific, c.LightningGeneric, c.LightningWrong},
				func(s string) int { return bot.GradeLightning(sc, s).Score }},
			{"follow-up", [4]string{c.FollowupStrong, c.FollowupShortSpecific, c.FollowupGeneric, c.FollowupWrong},
				func(s string) int { return bot.GradeFollowUp(sc, s).Score }},
		} {
			var s [4]int
			for i, text := range kind.texts {
				s[i] = kind.grade(text)
			}
			fmt.Fprintf(&table, "%-26s %-9s %6d %6d %6d %6d\n", c.Scenario, kind.name, s[0], s[1], s[2], s[3])
			if !(s[0] > s[1] && s[1] > s[2] && s[2] > s[3]) {
				failures = append(failures, fmt.Sprintf("%s %s: strong %d > short-specific %d > generic %d > wrong %d does not hold", c.Scenario, kind.name, s[0], s[1], s[2], s[3]))
			}
			if s[2] > maxDailyBoilerplate {
				failures = append(failures, fmt.Sprintf("%s %s: generic boilerplate scored %d, want ≤ %d", c.Scenario, kind.name, s[2], maxDailyBoilerplate))
			}
		}
	}
	return table.String(), failures
}
