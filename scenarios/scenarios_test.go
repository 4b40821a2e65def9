package scenarios

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/rubric"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestFramework(t *testing.T) {
	fw, err := Framework()
	if err != nil {
		t.Fatalf("Framework: %v", err)
	}
	if len(fw.Steps) != bot.Steps {
		t.Fatalf("%d framework steps, want %d", len(fw.Steps), bot.Steps)
	}
	for i, st := range fw.Steps {
		if st.Step != bot.StepID(i+1).Key() || st.Question == "" || len(st.Concepts) < 8 {
			t.Errorf("framework step %d = %q with %d concepts", i+1, st.Step, len(st.Concepts))
		}
		for _, c := range st.Concepts {
			if c.Study == "" || c.Label == "" {
				t.Errorf("framework concept %s.%s lacks a label or study question", st.Step, c.ID)
			}
		}
	}
	for i, part := range fw.WrapUp.Parts() {
		if len(part) == 0 {
			t.Errorf("wrap-up part %d has no generic concepts", i)
		}
	}
	if fw.Saturation <= 0 || len(fw.ModelTerms) == 0 || len(fw.Justification) == 0 || len(fw.Negations) == 0 {
		t.Errorf("framework lists incomplete: %+v", fw)
	}
}

// TestBuiltin parses the shipped scenarios: broken content fails go test.
func TestBuiltin(t *testing.T) {
	scs, err := Builtin()
	if err != nil {
		t.Fatalf("Builtin:\n%v", err)
	}
	if scs == nil {
		t.Fatal("Builtin returned nil, want an empty slice at least")
	}
	for i, sc := range scs {
		if i > 0 && scs[i-1].ID >= sc.ID {
			t.Errorf("not sorted by id: %s before %s", scs[i-1].ID, sc.ID)
		}
		if sc.Source != BuiltinSource {
			t.Errorf("%s: Source = %q", sc.ID, sc.Source)
		}
		checkPrepared(t, sc)
	}
	t.Logf("%d built-in scenarios", len(scs))
}

func checkPrepared(t *testing.T, sc *bot.Scenario) {
	t.Helper()
	for step := bot.Clarify; step <= bot.Monitoring; step++ {
		if sc.Rubric(step) == nil || sc.Spec(step) == nil {
			t.Errorf("%s: step %v not prepared", sc.ID, step)
		}
	}
	for part := range 3 {
		if sc.WrapUpRubric(part) == nil {
			t.Errorf("%s: wrap-up part %d not prepared", sc.ID, part)
		}
	}
}

// With only framework.yaml present (no case files yet) parsing yields an
// empty list and no error.
func TestParseFrameworkOnly(t *testing.T) {
	fwData, err := files.ReadFile(FrameworkFile)
	if err != nil {
		t.Fatal(err)
	}
	scs, err := Parse(fstest.MapFS{FrameworkFile: {Data: fwData}, "README.md": {Data: []byte("# notes")}})
	if err != nil || len(scs) != 0 {
		t.Fatalf("Parse(framework only) = %d scenarios, %v; want 0, nil", len(scs), err)
	}
}

func validFixture(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/valid/podcast-recommendation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestParseValid(t *testing.T) {
	scs, err := Parse(os.DirFS("testdata/valid"))
	if err != nil {
		t.Fatalf("Parse(testdata/valid): %v", err)
	}
	if len(scs) != 1 || scs[0].ID != "podcast-recommendation" || scs[0].Source != "podcast-recommendation.yaml" {
		t.Fatalf("Parse(testdata/valid) = %+v", scs)
	}
	sc := scs[0]
	checkPrepared(t, sc)
	// Case concepts first, the overridden framework "latency" replaced.
	r := sc.Rubric(bot.Clarify)
	if r.Concepts[0].ID != "completion_goal" || r.Concepts[3].ID != "latency" || r.Concepts[3].Label != "The 150 ms shelf budget" {
		t.Errorf("clarify concepts start %q", []string{r.Concepts[0].ID, r.Concepts[3].ID})
	}
	for _, c := range r.Concepts[4:] {
		if c.ID == "latency" {
			t.Error("framework latency concept kept next to its override")
		}
	}
	g := r.Grade(rubric.Answer{Text: "I'd ask whether listeners finish episodes, because plays reward clickbait, and what the load time budget is for 8k requests per second. I would assume most listening happens on the commute, so episode length matters."})
	if g.Score < 0.65 {
		t.Errorf("a good clarify answer scored %.2f: %+v", g.Score, g.Matches)
	}
}

// Each case is the valid fixture with one edit; every problem must come
// back with its file and line.
func TestParseProblems(t *testing.T) {
	const name = "podcast-recommendation.yaml"
	base := validFixture(t)
	tests := []struct {
		name string
		old  string // replaced once in the fixture
		new  string
		want []string // "line: message" substrings, in order
	}{
		{"id mismatch", "id: podcast-recommendation", "id: podcasts",
			[]string{`2: id "podcasts" must equal the file name without .yaml ("podcast-recommendation")`}},
		{"bad difficulty", "difficulty: medium", "difficulty: brutal",
			[]string{`4: difficulty "brutal" must be easy, medium or hard`}},
		{"unknown field", "tags: [recommendation, ranking, audio]", "tags: [a]\nowner: me",
			[]string{`6: unknown field "owner" in scenario`}},
		{"framework flag not opt-in", "tags: [recommendation, ranking, audio]", "tags: [a]\nframework_flags: [stale_eligibility, random_split, no_such_flag]",
			[]string{`6: framework_flags: "no_such_flag" is not an opt-in red flag`, `6: framework_flags: "random_split" is not an opt-in red flag`}},
		{"missing question", `question: "How would you frame this as an ML task?"`, `question: ""`,
			[]string{`57: step "frame": missing question`}},
		{"empty phrases", "phrases: [followed shows, follows, subscriptions, discovery, new shows]", "phrases: []",
			[]string{`27: concept "follow_graph": empty phrase list`}},
		{"phrase never matches", "phrases: [episode length, commute, long episodes, short episodes]", `phrases: [episode length, "—", never]`,
			[]string{`31: concept "episode_length": phrase "never" contains only negation words`, `31: concept "episode_length": phrase "—" has no words`}},
		{"zero weight", "        weight: 1.5\n        phrases: [followed", "        weight: 0\n        phrases: [followed",
			[]string{`26: concept "follow_graph": weight must be positive (got 0)`}},
		{"duplicate framework id", "      - id: follow_graph", "      - id: personalization",
			[]string{`24: step "clarify": concept id "personalization" duplicates a framework concept`}},
		{"hint names unknown concept", "        - concept: scale", "        - concept: scales",
			[]string{`42: step "clarify": hint names unknown concept "scales"`}},
		{"probe names unknown concept", "      - concept: listen_logs\n        question:", "      - concept: listen_log\n        question:",
			[]string{`113: step "data": probe names unknown concept "listen_log"`}},
		{"red flag without phrases", "        phrases: [total completions of the episode]\n", "",
			[]string{`116: red flag "future_leak" has no phrases`}},
		{"out of order", "  - step: frame\n", "  - step: evaluation\n",
			[]string{`14: missing step "frame"`, `56: step "evaluation" is out of order`, `141: duplicate step "evaluation" (first at line 56)`}},
		{"wrap-up without question", `question: "What would you do next quarter?"`, `question: ""`,
			[]string{`222: wrapup.future: missing question`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(base, tt.old) {
				t.Fatalf("fixture lacks %q", tt.old)
			}
			data := strings.Replace(base, tt.old, tt.new, 1)
			scs, err := Parse(fstest.MapFS{name: {Data: []byte(data)}})
			var probs Problems
			if !errors.As(err, &probs) {
				t.Fatalf("Parse error = %v, want Problems", err)
			}
			if len(scs) != 0 {
				t.Errorf("an invalid scenario was returned")
			}
			if len(probs) != len(tt.want) {
				t.Errorf("got %d problems, want %d:\n%v", len(probs), len(tt.want), err)
			}
			for i, w := range tt.want {
				if i < len(probs) && !strings.Contains(probs[i].String(), name+":"+w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, probs[i], name+":"+w)
				}
			}
		})
	}
}

// The broken fixture directory plants one or more errors of every kind;
// each must be reported with its file and line, and nothing else.
func TestParseBrokenDirectory(t *testing.T) {
	const missing = ` (want exactly clarify, frame, data, model, evaluation, deployment, monitoring, in that order)`
	want := []string{
		`empty.yaml:1: file is empty`,
		`header-problems.yaml:1: id "wrong-name" must equal the file name without .yaml ("header-problems")`,
		`header-problems.yaml:1: missing title`,
		`header-problems.yaml:2: difficulty "extreme" must be easy, medium or hard`,
		`header-problems.yaml:4: missing prompt`,
		`header-problems.yaml:5: unknown field "author" in scenario`,
		`header-problems.yaml:6: missing step "data"` + missing,
		`header-problems.yaml:6: missing step "deployment"` + missing,
		`header-problems.yaml:6: missing step "evaluation"` + missing,
		`header-problems.yaml:6: missing step "frame"` + missing,
		`header-problems.yaml:6: missing step "model"` + missing,
		`header-problems.yaml:6: missing step "monitoring"` + missing,
		`long-prompt.yaml:4: prompt is 3194 characters as posted; a Discord message holds 2000`,
		`long-prompt.yaml:4: prompt is 3458 characters as posted; a Slack section holds 3000`,
		`step-problems.yaml:5: missing step "monitoring"` + missing,
		`step-problems.yaml:13: step "clarify": duplicate concept id "goal" (first at line 9)`,
		`step-problems.yaml:17: step "clarify": concept id "latency" duplicates a framework concept; rename it, or set override: true to replace the framework's`,
		`step-problems.yaml:24: step "clarify": concept "invented" sets override but the framework has no such concept here`,
		`step-problems.yaml:29: step "clarify": hint names unknown concept "nonexistent"`,
		`step-problems.yaml:32: step "clarify": hint for "scale" has no text`,
		`step-problems.yaml:36: step "clarify": probe names unknown concept "ghost"`,
		`step-problems.yaml:45: concept "empty": empty phrase list`,
		`step-problems.yaml:47: concept "unmatchable": missing label`,
		`step-problems.yaml:48: concept "unmatchable": weight must be positive (got 0)`,
		`step-problems.yaml:49: concept "unmatchable": phrase "* logs" starts or ends with "*"; a gap must sit between words`,
		`step-problems.yaml:49: concept "unmatchable": phrase "--" has no words after normalisation`,
		`step-problems.yaml:49: concept "unmatchable": phrase "not" contains only negation words, so it can never count as a mention`,
		`step-problems.yaml:52: concept "negative": weight must be positive (got -1)`,
		`step-problems.yaml:53: unknown field "synonyms" in concept`,
		`step-problems.yaml:57: red flag "no_phrases" has no phrases`,
		`step-problems.yaml:59: step "data": duplicate red flag id "no_phrases" (first at line 57)`,
		`step-problems.yaml:62: red flag "no_phrases": penalty 2 must be between 0 and 1 (0 means the default 0.2)`,
		`step-problems.yaml:64: step "frame" is out of order (steps go clarify, frame, data, model, evaluation, deployment, monitoring)`,
		`step-problems.yaml:72: duplicate step "model" (first at line 68)`,
		`step-problems.yaml:76: step "evaluation": missing outline (the reference answer shown in the report)`,
		`step-problems.yaml:77: step "evaluation": missing question`,
		`step-problems.yaml:81: step "deployment": missing hints.nudge (the tier-1 hint)`,
		`step-problems.yaml:83: unknown step "summary" (want one of clarify, frame, data, model, evaluation, deployment, monitoring)`,
		`syntax-error.yaml:7: found unexpected end of stream`,
		"type-error.yaml:11: cannot unmarshal !!str `heavy` into float64",
		`type-error.yaml:20: cannot unmarshal !!seq into hints`,
		`wrapup-problems.yaml:14: wrapup.bottleneck: missing question`,
		`wrapup-problems.yaml:16: wrapup.bottleneck: concept id "scale_out" duplicates a framework concept; rename it, or set override: true to replace the framework's`,
		`wrapup-problems.yaml:23: wrapup.monitoring: no concepts`,
		`wrapup-problems.yaml:25: wrapup.future: missing good_answer (what a good answer mentions)`,
	}
	scs, err := Parse(os.DirFS("testdata/broken"))
	if len(scs) != 0 {
		t.Errorf("Parse returned %d scenarios from the broken directory", len(scs))
	}
	var probs Problems
	if !errors.As(err, &probs) {
		t.Fatalf("Parse error = %v, want Problems", err)
	}
	var got []string
	for _, p := range probs {
		got = append(got, p.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems differ.\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err.Error() != strings.Join(want, "\n") {
		t.Errorf("Error() is not one problem per line")
	}
}

func TestLoad(t *testing.T) {
	builtin, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	lib, err := Load("")
	if err != nil || lib.Len() != len(builtin) {
		t.Fatalf("Load(\"\") = %v, %v; want the %d built-ins", lib, err, len(builtin))
	}

	dir := t.TempDir()
	fixture := validFixture(t)
	if err := os.WriteFile(filepath.Join(dir, "podcast-recommendation.yaml"), []byte(fixture), 0o644); err != nil {
		t.Fatal(err)
	}
	wantLen := len(builtin) + 1
	if len(builtin) > 0 {
		// Same id as a built-in: the directory's copy replaces it.
		id := builtin[0].ID
		over := strings.Replace(fixture, "id: podcast-recommendation", "id: "+id, 1)
		over = strings.Replace(over, "title: Recommending podcast episodes", "title: Local override", 1)
		if err := os.WriteFile(filepath.Join(dir, id+".yaml"), []byte(over), 0o644); err != nil {
			t.Fatal(err)
		}
		lib, err := Load(dir)
		if err != nil {
			t.Fatalf("Load(dir): %v", err)
		}
		sc, ok := lib.Get(id)
		if !ok || sc.Title != "Local override" || sc.Source != filepath.Join(dir, id+".yaml") {
			t.Errorf("override of %s = %+v", id, sc)
		}
	}
	lib, err = Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if lib.Len() != wantLen {
		t.Errorf("Load(dir) has %d scenarios, want %d", lib.Len(), wantLen)
	}
	if sc, ok := lib.Get("podcast-recommendation"); !ok || sc.Rubric(bot.Data) == nil {
		t.Errorf("extra scenario missing or unprepared")
	}

	// Problems in the directory name the directory's files.
	if err := os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte("id: broken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(dir)
	var probs Problems
	if !errors.As(err, &probs) || !strings.HasPrefix(probs[0].File, filepath.ToSlash(dir)+"/broken.yaml") {
		t.Errorf("Load(broken dir) error = %v, want problems naming %s/broken.yaml", err, dir)
	}
	if _, err := Load(filepath.Join(dir, "nope")); err == nil {
		t.Error("Load(missing dir) succeeded")
	}
	if _, err := Load(filepath.Join(dir, "broken.yaml")); err == nil {
		t.Error("Load(a file) succeeded")
	}
}

func TestPromptMessage(t *testing.T) {
	sc := &bot.Scenario{Title: " Visual search ", Difficulty: bot.Hard, Tags: []string{"retrieval", "images"}, Prompt: "Find <similar> & fast.\n"}
	want := "**Visual search** · hard · retrieval, images\n\nFind <similar> & fast."
	if got := PromptMessage(sc); got != want {
		t.Errorf("PromptMessage = %q, want %q", got, want)
	}
	if n := slackLength(want); n != len([]rune(want))+4+3+3 {
		t.Errorf("slackLength = %d", n)
	}
}

// TestGraderFixture keeps bot/rubric/testdata/grader/fixture.json, the framework
// plus the valid fixture scenario as JSON, in sync with the YAML: the bot
// package's benchmark uses it without importing this package.
func TestGraderFixture(t *testing.T) {
	fw, err := Framework()
	if err != nil {
		t.Fatal(err)
	}
	scs, err := Parse(os.DirFS("testdata/valid"))
	if err != nil {
		t.Fatal(err)
	}
	scs[0].Source = ""
	got, err := json.MarshalIndent(struct {
		Framework *bot.Framework
		Scenario  *bot.Scenario
	}{fw, scs[0]}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const golden = "../bot/rubric/testdata/grader/fixture.json"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./scenarios -run TestGraderFixture -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s is stale; run go test ./scenarios -run TestGraderFixture -update", golden)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(validFixtureForFuzz))
	f.Add([]byte("id: x\nsteps: [{step: clarify}]\n"))
	f.Add([]byte("{{{"))
	f.Add([]byte("- a\n- b\n"))
	fw, err := Framework()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// parse is Parse without re-reading the framework on every input.
		scs, probs := parse(fstest.MapFS{"case.yaml": {Data: data}}, "", fw, func(n string) string { return n }, false)
		if len(probs) == 0 {
			if len(scs) != 1 {
				t.Fatalf("no problems but %d scenarios", len(scs))
			}
			checkPrepared(t, scs[0])
			return
		}
		if len(scs) != 0 {
			t.Fatalf("problems %v and still %d scenarios", probs, len(scs))
		}
		for _, p := range probs {
			if p.File != "case.yaml" || p.Line < 0 || p.Message == "" {
				t.Fatalf("bad problem %+v", p)
			}
		}
	})
}

const validFixtureForFuzz = `id: case
title: T
difficulty: easy
prompt: P
steps:
  - {step: clarify, question: Q, hints: {nudge: N}, outline: O, concepts: [{id: a, label: A, weight: 1, phrases: [alpha beta]}]}
  - {step: frame, question: Q, hints: {nudge: N}, outline: O}
  - {step: data, question: Q, hints: {nudge: N}, outline: O}
  - {step: model, question: Q, hints: {nudge: N}, outline: O}
  - {step: evaluation, question: Q, hints: {nudge: N}, outline: O}
  - {step: deployment, question: Q, hints: {nudge: N}, outline: O}
  - {step: monitoring, question: Q, hints: {nudge: N}, outline: O}
wrapup:
  bottleneck: {question: Q, good_answer: G, concepts: [{id: b, label: B, weight: 1, phrases: [shard it]}]}
  monitoring: {question: Q, good_answer: G, concepts: [{id: c, label: C, weight: 1, phrases: [drift]}]}
  future: {question: Q, good_answer: G, concepts: [{id: d, label: D, weight: 1, phrases: [audio]}]}
`

// Load's embedded scenarios compile at first use (PrepareLater) and grade
// exactly as the eagerly prepared ones, also when first used by several
// goroutines at once.
func TestLoadPreparesAtFirstUse(t *testing.T) {
	lib, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	eager, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	text := "I'd clarify the business goal and the latency budget first, because they decide the design, then the scale: requests per second at peak."
	for _, want := range eager {
		sc, ok := lib.Get(want.ID)
		if !ok {
			t.Fatalf("Load lacks %s", want.ID)
		}
		var wg sync.WaitGroup
		got := make([]float64, 4)
		for i := range got {
			wg.Go(func() { got[i] = sc.Rubric(bot.Clarify).Grade(rubric.Answer{Text: text}).Score })
		}
		wg.Wait()
		w := want.Rubric(bot.Clarify).Grade(rubric.Answer{Text: text}).Score
		for _, g := range got {
			if g != w {
				t.Errorf("%s: lazily prepared grade %v, eager %v", want.ID, g, w)
			}
		}
		if sc.WrapUpRubric(2) == nil {
			t.Errorf("%s: no wrap-up rubric after first use", want.ID)
		}
	}
}

// StepConcepts of a scenario prepared later lists, without compiling, the
// concept ids its compiled rubric holds.
func TestStepConceptsWithoutCompiling(t *testing.T) {
	lazy, err := parseEmbeddedLazy()
	if err != nil {
		t.Fatal(err)
	}
	eager, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for i, sc := range lazy {
		for step := bot.Clarify; step <= bot.Monitoring; step++ {
			var got, want []string
			for _, c := range sc.StepConcepts(step) {
				got = append(got, c.ID)
			}
			for _, c := range eager[i].Rubric(step).Concepts {
				want = append(want, c.ID)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s step %d: StepConcepts %q, rubric %q", sc.ID, step, got, want)
			}
		}
	}
}
