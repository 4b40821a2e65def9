package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/rubric"
)

// Posting limits a scenario prompt must fit without splitting.
const (
	// SlackSectionLimit is the most text one Block Kit section holds.
	SlackSectionLimit = 3000
	// DiscordMessageLimit is the most content one Discord message holds.
	DiscordMessageLimit = 2000
)

// PromptMessage is the scenario prompt as the bot posts it
// (bot.PromptMessage). Validation measures this.
func PromptMessage(sc *bot.Scenario) string { return bot.PromptMessage(sc) }

// slackLength counts characters after Slack's mandatory escaping of &, <, >.
func slackLength(s string) int {
	n := utf8.RuneCountInString(s)
	n += 4 * strings.Count(s, "&")
	n += 3 * (strings.Count(s, "<") + strings.Count(s, ">"))
	return n
}

// checker collects problems of one file, finding lines through the YAML
// node tree.
type checker struct {
	file  string
	root  *yaml.Node
	probs Problems
	skip  map[int]bool // lines that already have a decode error
	// phrases checks phrases against the framework's negations.
	phrases *rubric.PhraseChecker
}

func (c *checker) add(at []any, format string, args ...any) {
	line := lineOf(c.root, at)
	if c.skip[line] {
		return
	}
	c.probs = append(c.probs, Problem{File: c.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) line(at ...any) int { return lineOf(c.root, at) }

// lineOf follows a path of mapping keys (string) and sequence indexes (int)
// from n and returns the line of the deepest node it reaches: a missing
// field is reported where its parent is.
func lineOf(n *yaml.Node, at []any) int {
	if n == nil {
		return 1
	}
	line := n.Line
	for _, p := range at {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		switch k := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return line
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					line, n, found = n.Content[i].Line, n.Content[i+1], true
					break
				}
			}
			if !found {
				return line
			}
		case int:
			if n.Kind != yaml.SequenceNode || k < 0 || k >= len(n.Content) {
				return line
			}
			n = n.Content[k]
			line = n.Line
		}
	}
	return line
}

func loc(parts ...any) []any { return parts }

func join(base []any, more ...any) []any {
	out := make([]any, 0, len(base)+len(more))
	return append(append(out, base...), more...)
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

func stepKeys() string {
	keys := make([]string, 0, bot.Steps)
	for s := bot.Clarify; s <= bot.Monitoring; s++ {
		keys = append(keys, s.Key())
	}
	return strings.Join(keys, ", ")
}

// parseScenario decodes and checks one scenario and prepares it: now, or,
// when later is set (the embedded files, which the tests and `mlsd
// scenarios validate` prepare in full), at the first use of a rubric.
func parseScenario(file, wantID string, data []byte, fw *bot.Framework, later bool) (*bot.Scenario, Problems) {
	sc := &bot.Scenario{}
	root, probs := decodeStrict(file, data, sc)
	if root == nil {
		return nil, probs
	}
	c := &checker{file: file, root: root, probs: probs, skip: map[int]bool{}, phrases: rubric.NewPhraseChecker(fw.Negations)}
	for _, p := range probs {
		c.skip[p.Line] = true
	}
	c.scenario(sc, wantID, fw)
	if len(c.probs) == 0 && later {
		sc.PrepareLater(fw)
	} else if len(c.probs) == 0 {
		if err := sc.Prepare(fw); err != nil {
			c.add(nil, "%v", err)
		} else {
			c.promptWords(sc)
		}
	}
	if len(c.probs) > 0 {
		c.probs.sort()
		return nil, c.probs
	}
	return sc, nil
}

// HeavyWeight is the weight from which a concept must be earned by the
// idea, never by words the case prompt already gives the candidate.
const HeavyWeight = 2

// promptWords is the lint that keeps heavy concepts from being earned by
// restating the prompt: it reads the prompt with each step's and wrap-up
// part's rubric and reports every concept of weight ≥ HeavyWeight that
// the prompt's own words would credit ("chargeback" crediting label
// delay when the prompt lists chargeback records). Such a concept's probe
// never fires for the candidate who only repeats the case.
func (c *checker) promptWords(sc *bot.Scenario) {
	type place struct {
		r    *rubric.Rubric
		own  []rubric.Concept
		at   []any
		name string
	}
	var places []place
	for i := range sc.Steps {
		id, _ := bot.StepByKey(sc.Steps[i].Step)
		places = append(places, place{sc.Rubric(id), sc.Steps[i].Concepts, loc("steps", i), "step " + quote(sc.Steps[i].Step)})
	}
	for i, q := range sc.WrapUp.Parts() {
		key := bot.WrapUpPartKey(i)
		places = append(places, place{sc.WrapUpRubric(i), q.Concepts, loc("wrapup", key), "wrapup." + key})
	}
	for _, pl := range places {
		var order []string
		words := map[string][]string{}
		for _, m := range pl.r.Mentions(sc.Prompt) {
			if m.Weight < HeavyWeight {
				continue
			}
			if _, ok := words[m.Concept]; !ok {
				order = append(order, m.Concept)
			}
			if ev := strings.ToLower(m.Evidence); !slices.Contains(words[m.Concept], ev) {
				words[m.Concept] = append(words[m.Concept], ev)
			}
		}
		for _, id := range order {
			said := quoteAll(words[id])
			if j := slices.IndexFunc(pl.own, func(con rubric.Concept) bool { return con.ID == id }); j >= 0 {
				c.add(join(pl.at, "concepts", j, "phrases"), "%s: concept %q (weight %g) is earned by the prompt's own words %s: a candidate who restates the case would earn it; make its phrases need the idea",
					pl.name, id, pl.own[j].Weight, said)
				continue
			}
			c.add(join(pl.at, "step"), "%s: framework concept %q is earned by the prompt's own words %s: override it in this step (override: true) with phrases that need the idea",
				pl.name, id, said)
		}
	}
}

func quoteAll(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = quote(w)
	}
	return strings.Join(q, ", ")
}

func (c *checker) scenario(sc *bot.Scenario, wantID string, fw *bot.Framework) {
	switch {
	case blank(sc.ID):
		c.add(loc("id"), "missing id (it must be %q, the file name)", wantID)
	case sc.ID != wantID:
		c.add(loc("id"), "id %q must equal the file name without .yaml (%q)", sc.ID, wantID)
	}
	c.diagram(sc)
	if blank(sc.Title) {
		c.add(loc("title"), "missing title")
	}
	switch sc.Difficulty {
	case bot.Easy, bot.Medium, bot.Hard:
	case "":
		c.add(loc("difficulty"), "missing difficulty (easy, medium or hard)")
	default:
		c.add(loc("difficulty"), "difficulty %q must be easy, medium or hard", sc.Difficulty)
	}
	if blank(sc.Prompt) {
		c.add(loc("prompt"), "missing prompt")
	} else {
		msg := PromptMessage(sc)
		if n := utf8.RuneCountInString(msg); n > DiscordMessageLimit {
			c.add(loc("prompt"), "prompt is %d characters as posted; a Discord message holds %d", n, DiscordMessageLimit)
		}
		if n := slackLength(msg); n > SlackSectionLimit {
			c.add(loc("prompt"), "prompt is %d characters as posted; a Slack section holds %d", n, SlackSectionLimit)
		}
	}
	for i, id := range sc.FrameworkFlags {
		if !slices.ContainsFunc(fw.RedFlags, func(f bot.FrameworkRedFlag) bool { return f.ID == id && f.OptIn }) {
			c.add(loc("framework_flags", i), "framework_flags: %q is not an opt-in red flag of the framework", id)
		}
	}
	c.steps(sc, fw)
	c.wrapUp(sc, fw)
}

func (c *checker) steps(sc *bot.Scenario, fw *bot.Framework) {
	if len(sc.Steps) == 0 {
		c.add(loc("steps"), "missing steps: want exactly %s, in that order", stepKeys())
		return
	}
	seen := map[bot.StepID]int{}
	var order []int // indexes of first occurrences of known steps
	ids := make([]bot.StepID, len(sc.Steps))
	for i := range sc.Steps {
		st := &sc.Steps[i]
		at := loc("steps", i)
		id, ok := bot.StepByKey(st.Step)
		switch {
		case blank(st.Step):
			c.add(at, "step without a name (want one of %s)", stepKeys())
			ok = false
		case !ok || id == bot.WrapUp:
			c.add(join(at, "step"), "unknown step %q (want one of %s)", st.Step, stepKeys())
			ok = false
		case seen[id] > 0:
			c.add(join(at, "step"), "duplicate step %q (first at line %d)", st.Step, seen[id])
		default:
			seen[id] = c.line("steps", i, "step")
			order = append(order, i)
		}
		ids[i] = id
		var generic []rubric.Concept
		if ok {
			if fs := frameworkStep(fw, id); fs != nil {
				generic = fs.Concepts
			}
		}
		c.step(at, st, generic, c.phrases)
	}
	// The steps outside the longest run already in framework order are the
	// ones out of place.
	inOrder := longestIncreasing(order, func(i int) bot.StepID { return ids[i] })
	for _, i := range order {
		if !inOrder[i] {
			c.add(loc("steps", i, "step"), "step %q is out of order (steps go %s)", sc.Steps[i].Step, stepKeys())
		}
	}
	for s := bot.Clarify; s <= bot.Monitoring; s++ {
		if seen[s] == 0 {
			c.add(loc("steps"), "missing step %q (want exactly %s, in that order)", s.Key(), stepKeys())
		}
	}
}

// longestIncreasing returns the members of the longest subsequence of idx
// whose keys increase; ties keep the earliest candidates.
func longestIncreasing(idx []int, key func(int) bot.StepID) map[int]bool {
	n := len(idx)
	length, prev := make([]int, n), make([]int, n)
	best := -1
	for i := range n {
		length[i], prev[i] = 1, -1
		for j := range i {
			if key(idx[j]) < key(idx[i]) && length[j]+1 > length[i] {
				length[i], prev[i] = length[j]+1, j
			}
		}
		if best < 0 || length[i] > length[best] {
			best = i
		}
	}
	in := map[int]bool{}
	for i := best; i >= 0; i = prev[i] {
		in[idx[i]] = true
	}
	return in
}

func frameworkStep(fw *bot.Framework, id bot.StepID) *bot.FrameworkStep {
	for i := range fw.Steps {
		if fw.Steps[i].Step == id.Key() {
			return &fw.Steps[i]
		}
	}
	return nil
}

func (c *checker) step(at []any, st *bot.StepSpec, generic []rubric.Concept, negations *rubric.PhraseChecker) {
	name := st.Step
	if blank(st.Question) {
		c.add(join(at, "question"), "step %q: missing question", name)
	}
	if blank(st.Outline) {
		c.add(join(at, "outline"), "step %q: missing outline (the reference answer shown in the report)", name)
	}
	c.concepts(join(at, "concepts"), "step "+quote(name), st.Concepts, generic, negations)

	known := map[string]bool{}
	for _, con := range st.Concepts {
		known[con.ID] = true
	}
	for _, con := range generic {
		known[con.ID] = true
	}
	if blank(st.Hints.Nudge) {
		c.add(join(at, "hints", "nudge"), "step %q: missing hints.nudge (the tier-1 hint)", name)
	}
	for k, h := range st.Hints.Named {
		hat := join(at, "hints", "named", k)
		switch {
		case blank(h.Concept):
			c.add(hat, "step %q: named hint without a concept", name)
		case !known[h.Concept]:
			c.add(join(hat, "concept"), "step %q: hint names unknown concept %q", name, h.Concept)
		}
		if blank(h.Text) {
			c.add(join(hat, "text"), "step %q: hint for %q has no text", name, h.Concept)
		}
	}
	for k, p := range st.Probes {
		pat := join(at, "probes", k)
		switch {
		case blank(p.Concept):
			c.add(pat, "step %q: probe without a concept", name)
		case !known[p.Concept]:
			c.add(join(pat, "concept"), "step %q: probe names unknown concept %q", name, p.Concept)
		}
		if blank(p.Question) {
			c.add(join(pat, "question"), "step %q: probe for %q has no question", name, p.Concept)
		}
	}
	c.redFlags(at, "step "+quote(name), st.RedFlags, negations)
}

// redFlags checks one list of red flags (a step's or a wrap-up part's).
func (c *checker) redFlags(at []any, where string, flags []rubric.RedFlag, negations *rubric.PhraseChecker) {
	flagLine := map[string]int{}
	for k, f := range flags {
		fat := join(at, "red_flags", k)
		switch {
		case blank(f.ID):
			c.add(fat, "%s: red flag without an id", where)
		case flagLine[f.ID] > 0:
			c.add(join(fat, "id"), "%s: duplicate red flag id %q (first at line %d)", where, f.ID, flagLine[f.ID])
		default:
			flagLine[f.ID] = c.line(join(fat, "id")...)
		}
		if blank(f.Label) {
			c.add(join(fat, "label"), "red flag %q: missing label", f.ID)
		}
		if len(f.Phrases) == 0 && len(f.Dismissed) == 0 {
			c.add(join(fat, "phrases"), "red flag %q has no phrases", f.ID)
		}
		for j, p := range f.Phrases {
			if why := negations.Problem(p); why != "" {
				c.add(join(fat, "phrases", j), "red flag %q: phrase %q %s", f.ID, p, why)
			}
		}
		for j, p := range f.Dismissed {
			if strings.ContainsAny(p, "&*") {
				c.add(join(fat, "dismissed", j), "red flag %q: dismissed phrase %q: plain words only, no \"&\" or \"*\"", f.ID, p)
			} else if why := negations.Problem(p); why != "" {
				c.add(join(fat, "dismissed", j), "red flag %q: dismissed phrase %q %s", f.ID, p, why)
			}
		}
		if f.Penalty < 0 || f.Penalty > 1 {
			c.add(join(fat, "penalty"), "red flag %q: penalty %g must be between 0 and 1 (0 means the default %g)", f.ID, f.Penalty, rubric.DefaultFlagPenalty)
		}
	}
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// concepts checks one list of scenario concepts against each other and
// against the framework's concepts for the same place.
func (c *checker) concepts(at []any, where string, cs []rubric.Concept, generic []rubric.Concept, negations *rubric.PhraseChecker) {
	fwIDs := map[string]bool{}
	for _, g := range generic {
		fwIDs[g.ID] = true
	}
	idLine := map[string]int{}
	for j, con := range cs {
		cat := join(at, j)
		switch {
		case blank(con.ID):
			c.add(cat, "%s: concept without an id", where)
		case idLine[con.ID] > 0:
			c.add(join(cat, "id"), "%s: duplicate concept id %q (first at line %d)", where, con.ID, idLine[con.ID])
		case fwIDs[con.ID] && !con.Override:
			c.add(join(cat, "id"), "%s: concept id %q duplicates a framework concept; rename it, or set override: true to replace the framework's", where, con.ID)
		case con.Override && !fwIDs[con.ID]:
			c.add(join(cat, "override"), "%s: concept %q sets override but the framework has no such concept here", where, con.ID)
		}
		if !blank(con.ID) && idLine[con.ID] == 0 {
			idLine[con.ID] = c.line(join(cat, "id")...)
		}
		if blank(con.Label) {
			c.add(join(cat, "label"), "concept %q: missing label", con.ID)
		}
		if con.Weight <= 0 {
			c.add(join(cat, "weight"), "concept %q: weight must be positive (got %g)", con.ID, con.Weight)
		}
		if len(con.Phrases) == 0 {
			c.add(join(cat, "phrases"), "concept %q: empty phrase list", con.ID)
		}
		for k, p := range con.Phrases {
			if why := negations.Problem(p); why != "" {
				c.add(join(cat, "phrases", k), "concept %q: phrase %q %s", con.ID, p, why)
			}
		}
	}
}

func (c *checker) wrapUp(sc *bot.Scenario, fw *bot.Framework) {
	generic := fw.WrapUp.Parts()
	for i, q := range sc.WrapUp.Parts() {
		key := bot.WrapUpPartKey(i)
		at := loc("wrapup", key)
		if blank(q.Question) {
			c.add(join(at, "question"), "wrapup.%s: missing question", key)
		}
		if len(q.Concepts) == 0 {
			c.add(join(at, "concepts"), "wrapup.%s: no concepts", key)
		}
		if blank(q.GoodAnswer) {
			c.add(join(at, "good_answer"), "wrapup.%s: missing good_answer (what a good answer mentions)", key)
		}
		c.concepts(join(at, "concepts"), "wrapup."+key, q.Concepts, generic[i], c.phrases)
		c.redFlags(at, "wrapup."+key, q.RedFlags, c.phrases)
	}
}

// parseFramework decodes and checks framework.yaml.
func parseFramework(file string, data []byte) (*bot.Framework, Problems) {
	fw := &bot.Framework{}
	root, probs := decodeStrict(file, data, fw)
	if root == nil {
		return nil, probs
	}
	c := &checker{file: file, root: root, probs: probs, skip: map[int]bool{}, phrases: rubric.NewPhraseChecker(fw.Negations)}
	for _, p := range probs {
		c.skip[p.Line] = true
	}
	if fw.Saturation < 0 || fw.Saturation > 1 {
		c.add(loc("saturation"), "saturation %g must be between 0 and 1 (0 means the default %g)", fw.Saturation, rubric.DefaultSaturation)
	}
	if len(fw.Steps) != bot.Steps {
		c.add(loc("steps"), "want exactly %d steps (%s), got %d", bot.Steps, stepKeys(), len(fw.Steps))
	}
	for i := range fw.Steps {
		st := &fw.Steps[i]
		at := loc("steps", i)
		if want := bot.StepID(i + 1); want <= bot.Monitoring && st.Step != want.Key() {
			c.add(join(at, "step"), "step %d must be %q, got %q", i+1, want.Key(), st.Step)
		}
		if blank(st.Question) {
			c.add(join(at, "question"), "step %q: missing question", st.Step)
		}
		if len(st.Concepts) == 0 {
			c.add(join(at, "concepts"), "step %q: no concepts", st.Step)
		}
		c.concepts(join(at, "concepts"), "step "+quote(st.Step), st.Concepts, nil, c.phrases)
	}
	for i, cs := range fw.WrapUp.Parts() {
		key := bot.WrapUpPartKey(i)
		if len(cs) == 0 {
			c.add(loc("wrapup", key), "wrapup.%s: no concepts", key)
		}
		c.concepts(loc("wrapup", key), "wrapup."+key, cs, nil, c.phrases)
	}
	// Dismissals and rejections may be empty: the grader then neither
	// dismisses mentions nor lets the words around a red flag reject it.
	for _, l := range []struct {
		key      string
		terms    []string
		optional bool
	}{
		{"negations", fw.Negations, false}, {"justification", fw.Justification, false}, {"model_terms", fw.ModelTerms, false}, {"jump_declarations", fw.JumpDeclarations, true},
		{"dismissals", fw.Dismissals, true}, {"rejections_before", fw.RejectionsBefore, true}, {"rejections", fw.Rejections, true},
	} {
		if len(l.terms) == 0 && !l.optional {
			c.add(loc(l.key), "%s: empty list", l.key)
		}
		for k, t := range l.terms {
			switch {
			case strings.Contains(t, "*"):
				c.add(loc(l.key, k), "%s: %q may not contain \"*\"", l.key, t)
			case len(rubric.NormalizeTokens(t)) == 0:
				c.add(loc(l.key, k), "%s: %q has no words after normalisation", l.key, t)
			}
		}
	}
	if len(c.probs) > 0 {
		c.probs.sort()
		return nil, c.probs
	}
	return fw, nil
}
