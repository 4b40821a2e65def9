package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/scenarios"
)

// missedLine is one line of /mlsd me's "Concepts you miss most".
var missedLine = regexp.MustCompile(`(?m)^  - (.+) \(([^()]+)\) — missed (?:(\d+) of the last (\d+) times|the one time it came up)$`)

// TestProgressAcceptance is issue 14's first acceptance point, through the
// console with several people: after three interviews and two drills,
// /mlsd me names the concepts actually missed, with counts that match the
// reports (each re-derived from the stored session by bot.Evaluate or
// bot.EvaluateDrill); /mlsd drill takes the weakest step; /mlsd history
// and /mlsd report N show the sessions; /mlsd team shows aggregates and
// nobody's score.
func TestProgressAcceptance(t *testing.T) {
	lib, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*bot.Scenario{}
	for _, sc := range lib {
		byID[sc.ID] = sc
	}
	weak, pitfalls := candidates[1], candidates[2]
	plan := []struct {
		user, scenario string
		cand           candidate
	}{
		{"ada", "email-spam-filtering", weak},
		{"grace", "visual-search", pitfalls},
		{"ada", "ad-click-prediction", pitfalls},
		{"ada", "ecommerce-search-ranking", weak},
	}
	var lines []string
	for _, p := range plan {
		lines = append(lines, "/as "+p.user)
		s := script(t, byID[p.scenario], readCalibration(t, p.scenario), p.cand)
		lines = append(lines, s[:len(s)-1]...) // without its /mlsd me
	}
	// Two drills: the default step (the weakest), then monitoring. "next"
	// skips the follow-up when one is asked, and is harmless when none is.
	drillAnswer := "I would log every prediction with its features and label, watch for drift in the inputs, retrain on a schedule, and alert on a drop in precision because silent failures are costly."
	lines = append(lines, "/as ada", "/mlsd drill", drillAnswer, "next", "/mlsd drill monitoring", drillAnswer, "next")
	lines = append(lines, "/as grace", "/mlsd team", "/as ada", "/mlsd history", "/mlsd report 2", "/mlsd report 9", "/mlsd me")
	dir := t.TempDir()
	out, errOut, err := runWith(t, env("MLSD_DATA_DIR", dir, "USER", "ada"), strings.Join(lines, "\n")+"\n")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut)
	}
	me := out[strings.LastIndex(out, "ada> /mlsd me"):]

	store, err := bolt.Open(filepath.Join(dir, "mlsd.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	ada := bot.UserKey{Platform: bot.Console, Workspace: "local", UserID: "ada"}
	prog, err := store.Progress(ctx, ada)
	if err != nil {
		t.Fatal(err)
	}
	if len(prog.History) != 5 || prog.History[0].Kind != bot.KindDrill || prog.History[1].Kind != bot.KindDrill {
		t.Fatalf("ada's history has %d entries (%+v), want 2 drills, then 3 interviews", len(prog.History), prog.History)
	}
	// /mlsd drill took the weakest step (drills leave the step averages as they were).
	st, err := store.Stats(ctx, ada)
	if err != nil {
		t.Fatal(err)
	}
	if weakest := bot.DrillStep(st, nil); prog.History[1].Step != weakest || !strings.Contains(out, "Drill for ada: "+weakest.Title()) {
		t.Errorf("the default drill took %v, want the weakest step %v", prog.History[1].Step, weakest)
	}
	if prog.History[0].Step != bot.Monitoring || st.Sessions != 3 {
		t.Errorf("second drill on %v, sessions %d; want monitoring and 3 interviews", prog.History[0].Step, st.Sessions)
	}
	if !strings.Contains(out, "Drill done — ") || !strings.Contains(out, "Questions to study") {
		t.Errorf("a drill ended without its feedback")
	}
	// What the reports say: per concept label, chances and misses.
	type tally struct{ chances, misses int }
	want := map[string]*tally{}
	for _, h := range prog.History {
		ses, err := store.Session(ctx, ada, h.SessionID)
		if err != nil {
			t.Fatal(err)
		}
		rep := bot.Evaluate(byID[ses.ScenarioID], &ses)
		shown := fmt.Sprintf("Score: %d/100", rep.Score)
		if h.Kind == bot.KindDrill {
			rep = bot.EvaluateDrill(byID[ses.ScenarioID], &ses)
			shown = fmt.Sprintf("` %d%% · +", rep.Score)
		}
		if rep.Score != h.Score || ses.Final == nil || ses.Final.Score != rep.Score {
			t.Fatalf("session %s: re-derived score %d, history %d", ses.ID, rep.Score, h.Score)
		}
		if !strings.Contains(out, shown) {
			t.Errorf("transcript lacks the report's score %q", shown)
		}
		for _, m := range rep.Coverage {
			if m.Outcome == bot.Flagged {
				continue
			}
			k := m.Label + " (" + m.Step.Title() + ")"
			if want[k] == nil {
				want[k] = &tally{}
			}
			want[k].chances++
			if m.Outcome != bot.Earned {
				want[k].misses++
			}
		}
	}
	// /mlsd history lists ada's drills and interviews, newest first;
	// report 2 shows the first drill again.
	hist := between(out, "ada> /mlsd history", "ada> /mlsd report 2")
	for i, h := range prog.History {
		result := fmt.Sprintf("interview · %d/100 — %s", h.Score, h.Band)
		if h.Kind == bot.KindDrill {
			result = fmt.Sprintf("drill: %s · %d%%", h.Step.Title(), h.Score)
		}
		row := fmt.Sprintf("  %d. %s · %s · %s", i+1, h.At.UTC().Format("2006-01-02"), h.Title, result)
		if !strings.Contains(hist, row+"\n") {
			t.Errorf("/mlsd history lacks %q:\n%s", row, hist)
		}
	}
	if strings.Contains(hist, "Visual") {
		t.Errorf("ada's history shows grace's interview:\n%s", hist)
	}
	rep2 := between(out, "ada> /mlsd report 2", "ada> /mlsd report 9")
	for _, want := range []string{"Report 2 of your history", "Drill done — " + prog.History[1].Step.Title() + " on " + prog.History[1].Title, fmt.Sprintf("` %d%% · +", prog.History[1].Score)} {
		if !strings.Contains(rep2, want) {
			t.Errorf("/mlsd report 2 lacks %q:\n%s", want, rep2)
		}
	}
	if r9 := between(out, "ada> /mlsd report 9", "ada> /mlsd me"); !strings.Contains(r9, "Your history has 5 entries") {
		t.Errorf("/mlsd report 9 = %s", r9)
	}

	// /mlsd team: aggregates of all four interviews, nobody's name or score.
	team := between(out, "grace> /mlsd team", "grace> /as ada")
	for _, want := range []string{"Team progress — 4 interviews finished this week", "4 in all", "Average per step", "Concepts the team misses most", "Most attempted:", "least attempted:"} {
		if !strings.Contains(team, want) {
			t.Errorf("/mlsd team lacks %q:\n%s", want, team)
		}
	}
	_, body, _ := strings.Cut(team, "\n") // after the echoed command
	if regexp.MustCompile(`\b(ada|grace)\b|/100|Score`).MatchString(body) {
		t.Errorf("/mlsd team shows a person or a score:\n%s", team)
	}

	rows := missedLine.FindAllStringSubmatch(me, -1)
	if len(rows) != 5 {
		t.Fatalf("/mlsd me lists %d missed concepts, want 5:\n%s", len(rows), me)
	}
	most := 0
	for _, w := range want {
		most = max(most, w.misses)
	}
	for i, r := range rows {
		k := strings.Trim(r[1], "_") + " (" + r[2] + ")"
		w := want[k]
		if w == nil {
			t.Errorf("/mlsd me names %q, which no report has", k)
			continue
		}
		misses, chances := 1, 1
		if r[3] != "" {
			misses, _ = strconv.Atoi(r[3])
			chances, _ = strconv.Atoi(r[4])
		}
		if misses != w.misses || chances != w.chances {
			t.Errorf("%s: /mlsd me says %d of %d, the reports %d of %d", k, misses, chances, w.misses, w.chances)
		}
		if i == 0 && misses != most {
			t.Errorf("first missed concept %s has %d misses; the reports' most missed has %d", k, misses, most)
		}
	}
	if !strings.Contains(me, "Weakest step trend:") || !strings.Contains(me, "Next: a drill on") {
		t.Errorf("/mlsd me lacks the trend or the plan:\n%s", me)
	}
	if t.Failed() {
		t.Logf("/mlsd me:\n%s", me)
	}
}

// between returns the text of out from the first from to the next to.
func between(out, from, to string) string {
	i := strings.Index(out, from)
	if i < 0 {
		return ""
	}
	rest := out[i:]
	if j := strings.Index(rest, to); j >= 0 {
		return rest[:j]
	}
	return rest
}
