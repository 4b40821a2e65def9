package bot

import (
	"cmp"
	"slices"
	"sync"
)

// Rubric is one step's compiled rubric: the framework's concepts for the
// step merged with the scenario's own, ready for matching.
type Rubric struct {
	Step     StepID
	Concepts []Concept
	RedFlags []RedFlag
	// matchers are built by Prepare; unexported so a Rubric is only made by it.
	compiled *compiledRubric
}

// Answer is one step's text plus how much help it took.
type Answer struct {
	Text  string
	Hints int
	// Named are concept ids a tier-2 hint named; their credit is capped at half.
	Named []string
}

// StepGrade explains how an answer scored against a rubric.
type StepGrade struct {
	Step     StepID
	Coverage float64 // weighted share of concepts credited, 0..1, before penalties
	Score    float64 // 0..1 after caps and penalties
	Matches  []Match // credited concepts with quoted evidence
	Missing  []Concept
	RedFlags []RedFlag
	Words    int
	// Caps and penalties, each shown in feedback when set.
	TooShort        bool
	KeywordList     bool
	NoJustification bool
	HintPenalty     float64
	FlagPenalty     float64
}

// Match is one credited concept with the answer text that earned it.
type Match struct {
	Concept  string  `json:"concept"`
	Label    string  `json:"label"`
	Evidence string  `json:"evidence"` // the matched words as the candidate wrote them
	Credit   float64 `json:"credit"`   // 1, or 0.5 after a hint named it
	Weight   float64 `json:"weight"`
	Offset   int     `json:"offset"` // byte offset of Evidence in the answer
}

// Grading constants. The formula they feed is documented on Grade.
const (
	// DefaultSaturation is the share of a step's total concept weight that
	// earns full coverage when framework.yaml does not set one. With
	// framework and case concepts merged a step has 15-25 concepts; a strong
	// answer names the 5-7 that matter, which is about 40% of the weight.
	DefaultSaturation = 0.4
	// MinWords is the length below which a step answer's score is scaled
	// down linearly (10 words keep 10/25 of the coverage).
	MinWords = 25
	// MinWrapUpWords is the same threshold for the shorter wrap-up answers.
	MinWrapUpWords = 15
	// KeywordListCap caps an answer that reads like a bare keyword list.
	KeywordListCap = 0.6
	// NoJustificationPenalty applies when no reasoning cue appears.
	NoJustificationPenalty = 0.05
	// NudgePenalty and NamedHintPenalty are the tier-1 and tier-2 hint costs.
	NudgePenalty     = 0.05
	NamedHintPenalty = 0.10
	// NamedHintCredit caps a concept a tier-2 hint named.
	NamedHintCredit = 0.5
	// DefaultFlagPenalty is a red flag's cost when it sets none.
	DefaultFlagPenalty = 0.1
	// Keyword-list detection: at least keywordMinConcepts credited, fewer
	// than two real sentences, and either more than keywordDensity concepts
	// per word or fewer than keywordFuncShare function words per word.
	keywordMinConcepts = 3
	keywordDensity     = 0.25
	keywordFuncShare   = 0.08
	// A sentence counts when it has this many words and a function word.
	sentenceMinWords = 4
	// negationWindow is how many tokens before a phrase a negation reaches.
	negationWindow = 3
	// wildGap is how many tokens a "*" in a phrase may stand for.
	wildGap = 8
)

// What a phrase in the trie stands for.
type hitKind uint8

const (
	hitConcept hitKind = iota
	hitFlag
	hitNegation
	hitUnnegation
	hitCue
	hitModel
	hitFunc
	hitWildHead
)

type payload struct {
	kind hitKind
	idx  int32
}

// trie matches phrases as concatenated normalised bytes, anchored at token
// boundaries. Nodes keep their outgoing edges sorted in one flat slice; the
// root has a direct table because every walk starts there.
type trie struct {
	root  [256]int32
	nodes []trieNode
	edges []trieEdge
	dense [][26]int32
	pays  []payload
}

type trieNode struct {
	edgeLo, edgeHi, payLo, payHi int32
	dense                        int32 // index into trie.dense, or -1
}

// denseMinEdges: nodes with this many children get a direct a-z table.
const denseMinEdges = 3

type trieEdge struct {
	b    byte
	next int32
}

func (t *trie) child(n int32, b byte) int32 {
	if n == 0 {
		return t.root[b]
	}
	nd := &t.nodes[n]
	if nd.dense >= 0 && b >= 'a' && b <= 'z' {
		return t.dense[nd.dense][b-'a']
	}
	for _, e := range t.edges[nd.edgeLo:nd.edgeHi] {
		if e.b == b {
			return e.next
		}
		if e.b > b {
			break
		}
	}
	return 0
}

// wildPhrase is a phrase with "*" gaps: the trie matches its head, then
// the remaining segments must follow, each within wildGap tokens.
type wildPhrase struct {
	target payload
	segs   [][][]byte // per segment, its variants (see phraseVariants)
}

// span is a run of tokens i..j (inclusive); i < 0 means none.
type span struct{ i, j int32 }

var noSpan = span{-1, -1}

// compiledRubric is the matcher behind a Rubric.
type compiledRubric struct {
	trie        trie
	wild        []wildPhrase
	totalWeight float64
	saturation  float64
	minWords    int
	// parts are the wrap-up rubrics; only the WrapUp slot of a scenario uses them.
	parts [3]*Rubric

	pool sync.Pool // *scratch
}

// scratch holds one grading's buffers so Grade allocates only its result.
type scratch struct {
	z          tokenizer
	negEnd     []bool
	conceptHit []span
	flagHit    []span
	order      [][2]int32 // (first token, concept) of each credited concept
}

// scan is what one pass over an answer found.
type scan struct {
	words, sentences, funcWords int
	hasCue                      bool
	model                       span // first non-negated model term
}

func (c *compiledRubric) getScratch(concepts, flags int) *scratch {
	s, _ := c.pool.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	s.z.reset()
	s.conceptHit = resetSpans(s.conceptHit, concepts)
	s.flagHit = resetSpans(s.flagHit, flags)
	return s
}

func resetSpans(s []span, n int) []span {
	s = slices.Grow(s[:0], n)[:n]
	for i := range s {
		s[i] = noSpan
	}
	return s
}

// run tokenizes text and walks the trie from every token.
func (c *compiledRubric) run(text string, s *scratch) scan {
	s.z.tokenize(text)
	toks := s.z.toks
	s.negEnd = slices.Grow(s.negEnd[:0], len(toks))[:len(toks)]
	clear(s.negEnd)
	res := scan{model: noSpan, words: wordCount(toks)}
	segWords, segFunc := 0, false
	endSentence := func() {
		if segWords >= sentenceMinWords && segFunc {
			res.sentences++
		}
		segWords, segFunc = 0, false
	}
	for i := range toks {
		if toks[i].brk&brkSentence != 0 {
			endSentence()
		}
		if toks[i].brk&brkJoined == 0 {
			segWords++
		}
		c.walk(s, i, &res, &segFunc)
	}
	endSentence()
	return res
}

// walk follows the trie from token i and records every phrase that ends on
// a token boundary. Phrases never span a comma or sentence break.
func (c *compiledRubric) walk(s *scratch, i int, res *scan, segFunc *bool) {
	t := &c.trie
	toks, norm := s.z.toks, s.z.norm
	n := int32(0)
	for j := i; j < len(toks); j++ {
		tk := toks[j]
		if j > i && tk.brk&(brkClause|brkSentence) != 0 {
			return
		}
		for _, b := range norm[tk.ns:tk.ne] {
			if n = t.child(n, b); n == 0 {
				return
			}
		}
		if nd := &t.nodes[n]; nd.payHi > nd.payLo {
			for _, p := range t.pays[nd.payLo:nd.payHi] {
				c.hit(s, p, span{int32(i), int32(j)}, res, segFunc)
			}
		}
	}
}

func (c *compiledRubric) hit(s *scratch, p payload, sp span, res *scan, segFunc *bool) {
	switch p.kind {
	case hitConcept:
		if s.conceptHit[p.idx].i < 0 && !negated(s, sp.i) {
			s.conceptHit[p.idx] = sp
		}
	case hitFlag:
		if s.flagHit[p.idx].i < 0 && !negated(s, sp.i) {
			s.flagHit[p.idx] = sp
		}
	case hitNegation:
		s.negEnd[sp.j] = true
	case hitUnnegation:
		// "not only", "not just": the negation word does not negate.
		for k := sp.i; k <= sp.j; k++ {
			s.negEnd[k] = false
		}
	case hitCue:
		res.hasCue = true
	case hitModel:
		if res.model.i < 0 && !negated(s, sp.i) {
			res.model = sp
		}
	case hitFunc:
		if sp.i == sp.j {
			res.funcWords++
			*segFunc = true
		}
	case hitWildHead:
		w := &c.wild[p.idx]
		end := sp.j
		for _, variants := range w.segs {
			found := false
			for _, seg := range variants {
				if next, ok := findSegment(s, end+1, seg); ok {
					end, found = next, true
					break
				}
			}
			if !found {
				return
			}
		}
		c.hit(s, w.target, span{sp.i, end}, res, segFunc)
	}
}

// negated reports whether a negation ends within negationWindow tokens
// before token i, with no comma or sentence break in between.
func negated(s *scratch, i int32) bool {
	toks := s.z.toks
	for e := i - 1; e >= 0 && e >= i-negationWindow; e-- {
		if toks[e+1].brk&(brkClause|brkSentence) != 0 {
			return false
		}
		if s.negEnd[e] {
			return true
		}
	}
	return false
}

// findSegment looks for seg starting at a token in from..from+wildGap,
// within the sentence, and returns the index of its last token.
func findSegment(s *scratch, from int32, seg []byte) (int32, bool) {
	toks, norm := s.z.toks, s.z.norm
	for p := from; p < int32(len(toks)) && p <= from+wildGap; p++ {
		if toks[p].brk&brkSentence != 0 {
			return 0, false
		}
		rest := seg
		for q := p; q < int32(len(toks)); q++ {
			if q > p && toks[q].brk&(brkClause|brkSentence) != 0 {
				break
			}
			w := norm[toks[q].ns:toks[q].ne]
			if len(w) > len(rest) || string(rest[:len(w)]) != string(w) {
				break
			}
			rest = rest[len(w):]
			if len(rest) == 0 {
				return q, true
			}
		}
	}
	return 0, false
}

func (s *scratch) quote(text string, sp span) (string, int) {
	start, end := s.z.toks[sp.i].os, s.z.toks[sp.j].oe
	return text[start:end], int(start)
}

// Grade scores one answer. Deterministic and safe for concurrent use.
//
//	credit_i  = 1 if concept i is mentioned (not negated), 0.5 if a tier-2
//	            hint named it, else 0; each concept counts once
//	coverage  = min(1, Σ w_i·credit_i / (saturation × Σ w_i))
//	base      = coverage × min(1, words/MinWords)
//	base      = min(base, 0.6) when the answer reads like a keyword list
//	score     = clamp(base − hints − red flags − 0.05 if no reasoning cue, 0, 1)
//	hints     = 0.05 per nudge + 0.10 per named hint
func (r *Rubric) Grade(a Answer) StepGrade {
	if r == nil {
		return StepGrade{}
	}
	g := StepGrade{Step: r.Step}
	c := r.compiled
	if c == nil {
		g.Missing = sortedMissing(slices.Clone(r.Concepts))
		return g
	}
	s := c.getScratch(len(r.Concepts), len(r.RedFlags))
	defer c.pool.Put(s)
	res := c.run(a.Text, s)
	g.Words = res.words

	// Matches in order of appearance: sort the (small) hit records, not Matches.
	s.order = s.order[:0]
	for k, sp := range s.conceptHit {
		if sp.i >= 0 {
			s.order = append(s.order, [2]int32{sp.i, int32(k)})
		}
	}
	slices.SortFunc(s.order, func(x, y [2]int32) int { return cmp.Or(cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1])) })
	if len(s.order) > 0 {
		g.Matches = make([]Match, 0, len(s.order))
	}
	credited := 0.0
	for _, o := range s.order {
		k := o[1]
		con, sp := r.Concepts[k], s.conceptHit[k]
		credit := 1.0
		if slices.Contains(a.Named, con.ID) {
			credit = NamedHintCredit
		}
		credited += con.Weight * credit
		ev, off := s.quote(a.Text, sp)
		g.Matches = append(g.Matches, Match{
			Concept: con.ID, Label: con.Label, Evidence: ev,
			Credit: credit, Weight: con.Weight, Offset: off,
		})
	}
	if missing := len(r.Concepts) - len(g.Matches); missing > 0 {
		g.Missing = make([]Concept, 0, missing)
		for k, con := range r.Concepts {
			if s.conceptHit[k].i < 0 {
				g.Missing = append(g.Missing, con)
			}
		}
		g.Missing = sortedMissing(g.Missing)
	}
	for k, f := range r.RedFlags {
		if s.flagHit[k].i >= 0 {
			g.RedFlags = append(g.RedFlags, f)
			g.FlagPenalty += f.Penalty
		}
	}

	if target := c.saturation * c.totalWeight; target > 0 {
		g.Coverage = min(1, credited/target)
	}
	base := g.Coverage
	if g.Words < c.minWords {
		g.TooShort = true
		base *= float64(g.Words) / float64(c.minWords)
	}
	if m := len(g.Matches); m >= keywordMinConcepts && res.sentences < 2 && g.Words > 0 {
		w := float64(g.Words)
		if float64(m)/w > keywordDensity || float64(res.funcWords)/w < keywordFuncShare {
			g.KeywordList = true
			base = min(base, KeywordListCap)
		}
	}
	g.NoJustification = len(g.Matches) > 0 && !res.hasCue
	named := len(a.Named)
	g.HintPenalty = NudgePenalty*float64(max(0, a.Hints-named)) + NamedHintPenalty*float64(named)
	score := base - g.HintPenalty - g.FlagPenalty
	if g.NoJustification {
		score -= NoJustificationPenalty
	}
	g.Score = clamp01(score)
	return g
}

func sortedMissing(m []Concept) []Concept {
	slices.SortStableFunc(m, func(x, y Concept) int { return cmp.Compare(y.Weight, x.Weight) })
	return m
}

func clamp01(x float64) float64 { return max(0, min(1, x)) }

// firstMention returns the byte offset of the earliest credited concept in
// text, or -1.
func (r *Rubric) firstMention(text string) int {
	if r == nil || r.compiled == nil {
		return -1
	}
	c := r.compiled
	s := c.getScratch(len(r.Concepts), len(r.RedFlags))
	defer c.pool.Put(s)
	c.run(text, s)
	first := -1
	for _, sp := range s.conceptHit {
		if sp.i >= 0 {
			if off := int(s.z.toks[sp.i].os); first < 0 || off < first {
				first = off
			}
		}
	}
	return first
}

// firstModelTerm returns the earliest model or architecture term in text
// that is not negated, with its offset, or "" and -1.
func (r *Rubric) firstModelTerm(text string) (string, int) {
	if r == nil || r.compiled == nil {
		return "", -1
	}
	c := r.compiled
	s := c.getScratch(len(r.Concepts), len(r.RedFlags))
	defer c.pool.Put(s)
	res := c.run(text, s)
	if res.model.i < 0 {
		return "", -1
	}
	return s.quote(text, res.model)
}
