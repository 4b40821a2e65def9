package rubric

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync"
)

// Rubric is one step's compiled rubric: the framework's concepts for the
// step merged with the scenario's own, ready for matching.
type Rubric struct {
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
	// Credits and Claims come from another judge (the AI judge), each
	// quoting the answer; Grade holds them to its own rules (see applyCredits
	// and applyClaims) and scores the union with the same formula.
	Credits []Credit
	Claims  []Claim
}

// StepGrade explains how an answer scored against a rubric.
type StepGrade struct {
	Coverage float64 // weighted share of concepts credited, 0..1, before penalties
	Depth    float64 // share of depth signs shown: figures, trade-offs, failure modes
	// CaseWeight is the total weight of the case's own concepts in the
	// rubric, the yardstick of case-specific credit (daily judging).
	CaseWeight float64
	Score      float64 // 0..1 after caps and penalties
	Matches    []Match // credited concepts with quoted evidence
	Missing    []Concept
	// Dismissed are concepts the answer mentioned only to dismiss them
	// ("monitoring can wait"), with those words; they earn nothing.
	Dismissed []Match
	// RedFlags are the flags raised, each with the words that raised it:
	// the rubric's red flags, then the important concepts the answer dismissed.
	RedFlags []Flag
	Words    int
	MinWords int // the length below which the score was scaled down
	// Caps and penalties, each shown in feedback when set.
	TooShort        bool
	KeywordList     bool
	FewConcepts     bool // a wrap-up answer credited fewer than WrapUpMinConcepts
	NoJustification bool
	HintPenalty     float64
	FlagPenalty     float64
	// Echoed counts the sentences that restate the prompt: they earn
	// nothing and their words do not count towards the length.
	Echoed int
}

// Flag is a red flag raised on an answer.
type Flag struct {
	ID       string  `json:"id"`
	Label    string  `json:"label"`
	Evidence string  `json:"evidence"` // the words that raised it, as written
	Offset   int     `json:"offset"`   // byte offset of Evidence in the answer
	Penalty  float64 `json:"penalty"`
	// Again are later statements of the same mistake in the answer; the
	// flag costs its penalty once.
	Again []Quote `json:"again,omitempty"`
	// Dismissed marks a flag raised because the answer dismissed one of
	// the step's important concepts ("a baseline is a waste of time").
	Dismissed bool `json:"dismissed,omitempty"`
	// Source is SourceJudge for a flag raised by another judge's claim,
	// which then says Why the words are wrong.
	Source string `json:"source,omitempty"`
	Why    string `json:"why,omitempty"`
}

// Quote is words of the answer with their byte offset.
type Quote struct {
	Evidence string `json:"evidence"`
	Offset   int    `json:"offset"`
}

// Match is one credited concept with the answer text that earned it.
type Match struct {
	Concept  string  `json:"concept"`
	Label    string  `json:"label"`
	Evidence string  `json:"evidence"` // the matched words as the candidate wrote them
	Credit   float64 `json:"credit"`   // 1, or 0.5 after a hint named it
	Weight   float64 `json:"weight"`
	Offset   int     `json:"offset"` // byte offset of Evidence in the answer
	// Case marks a concept of the case itself, not one of the framework's
	// generic concepts: what a reply specific to this case earns.
	Case bool `json:"case,omitempty"`
	// Generic marks evidence made of one generic system word alone
	// ("cache", "retrain"): it fits any design, whatever concept it earned.
	Generic bool `json:"generic,omitempty"`
	// Related marks evidence that is two telling words of one of the
	// concept's phrases near each other, not a phrase (related.go).
	Related bool `json:"related,omitempty"`
	// Source says who credited it: the rubric's phrases (""), the AI judge
	// with its quote as Evidence, or both (Evidence is the rubric's words).
	Source string `json:"source,omitempty"`
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
	// RelatedCredit is what a concept earns from related words alone
	// (related.go): weaker evidence than one of its phrases.
	RelatedCredit = 1.0
	// DefaultFlagPenalty is a red flag's cost when it sets none. The
	// sentence that raised it earns nothing besides, so stating a mistake
	// always costs more than leaving the sentence out.
	DefaultFlagPenalty = 0.2
	// DismissPenalty is the cost of dismissing an important concept, or
	// one of weight dismissFlagWeight or more ("a baseline is a waste of time").
	DismissPenalty    = 0.15
	dismissFlagWeight = 2
	// DismissedFlagPrefix starts the id of a flag for a dismissed concept.
	DismissedFlagPrefix = "dismissed:"
	// CoverageCurve bends coverage so a short answer with the right shape
	// keeps a fair share: coverage 0.25 scores 0.38 before depth.
	CoverageCurve = 0.7
	// DepthShare is how much of a step's score depends on depth: without
	// figures, trade-offs or failure modes a complete answer keeps 1−DepthShare.
	DepthShare = 0.25
	// nearWindow bounds the tokens an "&" phrase's parts may spread over.
	nearWindow   = 12
	maxNearParts = 4
	// relationMinWords: a line this long with an arrow, a colon or a
	// reasoning cue counts as a sentence, not a keyword list.
	relationMinWords = 3
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
	// dismissWindow is how many tokens after a phrase a dismissal ("is not
	// needed") may start and still cancel it.
	dismissWindow = 3
	// rejectWindow is how many tokens after a red-flag phrase a rejection
	// ("leaks", "is useless") reaches, within the clause.
	rejectWindow = 8
	// excuseRejectWindow is how far back a rejection voids a flag's excuse.
	excuseRejectWindow = 6
	// attachGap is how many words may sit between a concept mention and a
	// model term for the mention to be part of the model's noun phrase
	// ("a multimodal transformer", "real-time two-tower model").
	attachGap = 2
	// wildGap is how many tokens a "*" in a phrase may stand for.
	wildGap = 8
	// WrapUpMinConcepts is how many concepts a wrap-up answer must credit
	// to score above WrapUpFewConceptsCap: one generic word ("retrain",
	// "fall back") is a floor, not half the part.
	WrapUpMinConcepts    = 2
	WrapUpFewConceptsCap = 0.2
)

// What a phrase in the trie stands for.
type hitKind uint8

const (
	hitConcept hitKind = iota
	hitFlag
	hitNegation
	hitUnnegation
	hitCue
	hitNonCue
	hitModel
	hitFunc
	hitDismissal
	hitRejectBefore
	hitRejection
	hitBreaker
	hitWildHead
	hitNearPart
	hitDismissBefore
	hitTradeoff
	hitFailure
	hitFlagUnless
	hitFlagDismissed
	hitRelated
	hitConcern          // a word of the case's stated constraints (Spec.Concerns)
	hitConcernDismissal // an outright dismissal (Terms.Dismissals but Deferrals)
)

type payload struct {
	kind hitKind
	part uint8 // which part of a near phrase (hitNearPart)
	idx  int32
}

// trie matches phrases as concatenated normalised bytes, anchored at token
// boundaries. Nodes are numbered breadth first, so a node's children are
// contiguous and sorted: node n's children are first[n] .. first[n+1]-1,
// and label[c] is the byte into c. That keeps about 13 bytes a node; the
// 220 rubrics of the built-in scenarios hold some 2.8 million nodes. The
// root has a direct table because every walk starts there, and nodes with
// many children an a-z table.
type trie struct {
	root    [256]int32
	first   []int32 // len nodes+1
	label   []byte
	payAt   []int32 // node n's payloads are pays[payAt[n]:payAt[n+1]]; len nodes+1
	denseOf []int32 // index into dense, or -1
	dense   [][26]int32
	pays    []payload
}

// denseMinEdges: nodes with this many children get a direct a-z table.
const denseMinEdges = 3

func (t *trie) child(n int32, b byte) int32 {
	if n == 0 {
		return t.root[b]
	}
	if d := t.denseOf[n]; d >= 0 && b >= 'a' && b <= 'z' {
		return t.dense[d][b-'a']
	}
	for c, end := t.first[n], t.first[n+1]; c < end; c++ {
		if l := t.label[c]; l == b {
			return c
		} else if l > b {
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

// nearPhrase is a phrase of parts joined by "&": every part must occur,
// in any order, within nearWindow tokens of the sentence's same stretch.
type nearPhrase struct {
	target payload
	parts  int
}

type nearOcc struct {
	near  int32
	part  uint8
	sp    span
	negAt int32 // last token of the negation before the part, or -1
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
	// own is how many of the rubric's first concepts are the case's own;
	// weights are every concept's weight. Both rank concepts that share
	// the same words of an answer (see resolve).
	own     int
	weights []float64
	near    []nearPhrase
	related [][]uint32      // per telling word, its phrases: concept<<16 | phrase (related.go)
	generic map[string]bool // see Terms.GenericTerms; shared, read-only
	// minConcepts and fewConceptsCap: fewer credited concepts cap the
	// score (wrap-up only; 0 means no minimum).
	minConcepts    int
	fewConceptsCap float64
	echo           *Echo // nil: no prompt to compare with
	// givenFigures are the figures of the questions (Spec.Questions).
	givenFigures map[string]bool

	pool sync.Pool // *scratch
}

// Per-token marks set while walking an answer.
const (
	tfNegEnd      uint8 = 1 << iota // a negation ends on this token
	tfRejEnd                        // a rejection of what follows ends on this token
	tfNonCue                        // inside "or so", "so far"...: no reasoning here
	tfBreak                         // a reasoning cue or scope breaker starts here
	tfDismiss                       // a dismissal ("not needed") starts here
	tfFunc                          // a one-word function word
	tfDismissEnd                    // a dismissive verb ("skip", "no need for") ends here
	tfDismissBody                   // a word of a dismissive verb
)

// occurrence is one non-negated mention of a concept. head and tail are
// the literal words of the phrase: for a phrase with a "*" gap, the words
// in the gap are not part of the mention.
type occurrence struct {
	concept    int32
	sp         span
	head, tail span
	shared     bool // shares its words with another concept's mention
	dismissed  bool // negated by a dismissive verb or followed by a dismissal
	related    bool // two telling words of a phrase, not the phrase (related.go)
}

type flagOcc struct {
	flag int32
	sp   span
	// tail is the first word after a "*" gap, or 0 when the phrase has
	// none: a negation in the gap ("split by time rather than randomly")
	// is checked once the whole answer is walked, because it comes after
	// the phrase's head (a negation, not a rejection: "compare the query
	// against every image"); headEnd is the head's last word, so a negation
	// that is part of the phrase ("compute isn't * constraint") counts
	// for nothing.
	tail, headEnd int32
	// near marks a phrase of "&" parts: its span holds other words too.
	near bool
	// practice marks a Dismissed phrase, and afterVerb one right after a
	// dismissive verb.
	practice, afterVerb bool
}

// scratch holds one grading's buffers so Grade allocates only its result.
type scratch struct {
	z          tokenizer
	tf         []uint8 // per-token marks (tf*)
	occ        []occurrence
	flagOcc    []flagOcc
	rejs       []span  // rejections, in order, none overlapping
	cues       []int32 // first token of each reasoning cue
	models     []span  // model terms, gathered only when collect is set
	collect    bool
	noEcho     bool    // Mentions: look at the prompt itself
	contested  []int32 // resolve: mentions that share words with another concept's
	conceptHit []span
	relHit     []bool // conceptHit came from related words
	flagHit    []span
	judgeHit   []span     // concepts another judge credited (applyCredits)
	order      [][2]int32 // (first token, concept) of each credited concept
	nearOcc    []nearOcc
	relOcc     []relatedOcc
	nearBuf    []nearOcc // nearOcc grouped by phrase (resolveNear)
	nearStart  []int32
	sent       []int32 // sentence number of each token
	dismissals []occurrence
	killed     []int32   // sentences a red flag was raised in
	echoed     []bool    // per sentence: copied from the prompt (Echo)
	covered    []bool    // per token: inside a run the prompt also has
	flagMore   []flagOcc // a raised flag's later statements
	unless     []flagOcc // Unless phrases of red flags
	practices  []flagOcc // Dismissed phrases of red flags
	concerns   []span    // words of the case's stated constraints
	outright   []span    // outright dismissals
}

// scan is what one pass over an answer found.
type scan struct {
	words, sentences, funcWords int
	hasCue                      bool
	// Depth signals: figures, trade-offs weighed, failure modes named.
	numbers, tradeoffs, failures int
	// echoed counts the sentences copied from the prompt (see Echo).
	echoed int
}

func (c *compiledRubric) getScratch(concepts, flags int) *scratch {
	s, _ := c.pool.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	s.z.reset()
	s.conceptHit = resetSpans(s.conceptHit, concepts)
	s.relHit = slices.Grow(s.relHit[:0], concepts)[:concepts]
	clear(s.relHit)
	s.flagHit = resetSpans(s.flagHit, flags)
	s.judgeHit = resetSpans(s.judgeHit, concepts)
	s.occ, s.flagOcc, s.rejs, s.cues, s.models = s.occ[:0], s.flagOcc[:0], s.rejs[:0], s.cues[:0], s.models[:0]
	s.nearOcc, s.dismissals, s.killed, s.flagMore = s.nearOcc[:0], s.dismissals[:0], s.killed[:0], s.flagMore[:0]
	s.relOcc = s.relOcc[:0]
	s.unless, s.practices = s.unless[:0], s.practices[:0]
	s.concerns, s.outright = s.concerns[:0], s.outright[:0]
	s.collect, s.noEcho = false, false
	return s
}

func resetSpans(s []span, n int) []span {
	s = slices.Grow(s[:0], n)[:n]
	for i := range s {
		s[i] = noSpan
	}
	return s
}

// run tokenizes text, walks the trie from every token, then settles what
// needs the whole clause: dismissals after a mention, rejections after a
// red flag, and reasoning cues inside "or so"-like phrases.
func (c *compiledRubric) run(text string, s *scratch) scan {
	s.z.tokenize(text)
	toks := s.z.toks
	s.tf = slices.Grow(s.tf[:0], len(toks))[:len(toks)]
	clear(s.tf)
	s.sent = slices.Grow(s.sent[:0], len(toks))[:len(toks)]
	sent := int32(0)
	for i := range toks {
		if toks[i].brk&brkSentence != 0 {
			sent++
		}
		s.sent[i] = sent
	}
	s.echoed = slices.Grow(s.echoed[:0], int(sent)+1)[:sent+1]
	clear(s.echoed)
	s.covered = slices.Grow(s.covered[:0], len(toks))[:len(toks)]
	clear(s.covered)
	res := scan{words: wordCount(toks)}
	if !s.noEcho {
		res.echoed = c.echo.mark(&s.z, s.sent, s.covered, s.echoed)
	}
	if res.echoed > 0 {
		for i := range toks {
			if s.echoed[s.sent[i]] && toks[i].brk&brkJoined == 0 {
				res.words--
			}
		}
	}
	// A segment between sentence breaks is a sentence when it has a few
	// words and either a function word or a relation (an arrow, a colon
	// inside the line, a reasoning cue): "shadow -> 5% canary -> full" is
	// a sentence of a terse expert, "shadow canary rollback" is a list.
	segWords, segFunc, segRel := 0, false, false
	endSentence := func() {
		if segWords >= sentenceMinWords && segFunc || segWords >= relationMinWords && segRel {
			res.sentences++
		}
		segWords, segFunc, segRel = 0, false, false
	}
	for i := range toks {
		if toks[i].brk&brkSentence != 0 {
			endSentence()
		}
		if i > 0 && (toks[i].brk&brkArrow != 0 || toks[i].brk&brkColon != 0 && toks[i].brk&brkSentence == 0) {
			segRel, res.hasCue = true, true
		}
		if toks[i].brk&brkJoined == 0 {
			segWords++
		}
		if isFigure(&s.z, i) && !s.echoed[s.sent[i]] && !c.givenFigures[string(s.z.text(toks[i]))] {
			res.numbers++
		}
		nCues := len(s.cues)
		c.walk(s, i, &res, &segFunc)
		if len(s.cues) > nCues {
			segRel = true
		}
	}
	endSentence()

	for _, k := range s.cues {
		if s.tf[k]&tfNonCue == 0 {
			res.hasCue = true
			break
		}
	}
	c.resolveNear(s)
	if len(s.relOcc) > 1 {
		c.resolveRelated(s)
		slices.SortStableFunc(s.occ, func(a, b occurrence) int { return cmp.Compare(a.sp.i, b.sp.i) })
	}
	kept := s.occ[:0]
	for _, o := range s.occ {
		if s.echoed[s.sent[o.sp.i]] || s.echoed[s.sent[o.sp.j]] || contrasted(s, o.sp.i) {
			continue
		}
		if o.related && (o.dismissed || dismissed(s, o.sp) || dismissedWithin(s, o)) {
			continue // loose words are no evidence of a dismissal either
		}
		if o.dismissed || dismissed(s, o.sp) || dismissedWithin(s, o) {
			o.dismissed = true
			s.dismissals = append(s.dismissals, o)
			continue
		}
		kept = append(kept, o)
	}
	s.occ = kept
	for _, f := range s.flagOcc {
		if f.tail > 0 && gapNegated(s, f) || rejectedAfter(s, f.sp) || contrasted(s, f.sp.i) || inQuestion(text, s, f.sp) || s.echoed[s.sent[f.sp.i]] || excused(s, f) {
			continue
		}
		s.raise(f)
	}
	for _, f := range s.practices {
		said, ok := practiceDismissed(s, f)
		if !ok || inQuestion(text, s, f.sp) || s.echoed[s.sent[f.sp.i]] || excused(s, f) {
			continue
		}
		s.raise(flagOcc{flag: f.flag, sp: said})
	}
	return res
}

// raise records red flag f.flag stated at f.sp, and its sentence as one
// that earns no credit.
func (s *scratch) raise(f flagOcc) {
	s.killed = append(s.killed, s.sent[f.sp.i])
	if s.flagHit[f.flag].i < 0 {
		s.flagHit[f.flag] = f.sp
	} else if sp := s.flagHit[f.flag]; f.sp.i > sp.j {
		s.flagMore = append(s.flagMore, f)
	}
}

// practiceDismissed reports whether a sound practice named by a red
// flag's Dismissed phrase is dismissed where it is mentioned: after a
// dismissive verb ("no need to benchmark against") that is not itself
// rejected ("it would be a mistake to skip the baseline"), or followed in
// its clause by a dismissal ("comparing against the old rules isn't
// really necessary") that is not negated ("is not a waste of time"). A
// rejection after a dismissive verb's practice excuses it ("to skip the
// baseline is a mistake"); after the mention, the dismissal is the
// verdict, and its own "isn't" no rejection.
//
// said is what the report quotes: the dismissive verb and the practice,
// or the practice and its clause up to the dismissal.
func practiceDismissed(s *scratch, f flagOcc) (said span, ok bool) {
	if f.afterVerb {
		start := dismissiveVerbStart(s, f.sp.i)
		if rejectedAfter(s, f.sp) || negatedBy(s, start, tfNegEnd|tfRejEnd) {
			return span{}, false
		}
		return span{start, f.sp.j}, true
	}
	toks := s.z.toks
	for k := f.sp.j + 1; k < int32(len(toks)) && k <= f.sp.j+rejectWindow; k++ {
		if toks[k].brk&(brkClause|brkSentence) != 0 || s.tf[k]&tfBreak != 0 && s.tf[k]&tfNonCue == 0 {
			return span{}, false
		}
		if s.tf[k]&tfDismiss != 0 {
			if negatedBy(s, k, tfNegEnd) {
				return span{}, false
			}
			end := k
			for end+1 < int32(len(toks)) && end < k+dismissalQuoteWords && toks[end+1].brk&(brkClause|brkSentence) == 0 {
				end++
			}
			return span{f.sp.i, end}, true
		}
	}
	return span{}, false
}

// dismissalQuoteWords is how many words after a dismissal starts the
// quote keeps, within its clause ("isn't really necessary").
const dismissalQuoteWords = 3

// dismissiveVerbStart is the first word of the dismissive verb ending
// just before token i ("no real need to" in "no real need to benchmark"),
// whose own negation or rejection ("never skip the baseline", "it is a
// mistake to skip the baseline") takes the dismissal back.
func dismissiveVerbStart(s *scratch, i int32) int32 {
	toks := s.z.toks
	start := negatedAt(s, i, tfDismissEnd)
	if start < 0 {
		return i
	}
	for start > 0 && s.tf[start-1]&tfDismissBody != 0 && toks[start].brk&(brkClause|brkSentence) == 0 {
		start--
	}
	return start
}

// excused reports whether the sentence of f also has one of its flag's
// Unless phrases.
func excused(s *scratch, f flagOcc) bool {
	for _, u := range s.unless {
		// An Unless phrase that is the dismissed practice itself ("no
		// need for scheduled retraining") excuses nothing.
		if f.practice && u.sp.i <= f.sp.j && f.sp.i <= u.sp.j {
			continue
		}
		// Nor do the words of a flag's plain phrase: "as of the" excuses a
		// point-in-time feature, not "as of the end of the log window".
		if !f.near && f.tail == 0 && !f.practice && u.sp.i >= f.sp.i && u.sp.j <= f.sp.j {
			continue
		}
		if u.flag == f.flag && s.sent[u.sp.i] == s.sent[f.sp.i] {
			return true
		}
	}
	return false
}

// inQuestion reports whether sp lies in a sentence that ends with "?": a
// question ("should we optimise for clicks?") states no position.
func inQuestion(text string, s *scratch, sp span) bool {
	for k := int(s.z.toks[sp.j].oe); k < len(text); k++ {
		switch text[k] {
		case '?':
			return true
		case '.', '!', ';', '\n':
			return false
		}
	}
	return false
}

// dismissedFlags raises a flag for each important concept that the answer
// dismissed and credits nowhere else, and marks its sentence.
func (r *Rubric) dismissedFlags(text string, s *scratch) []Flag {
	c := r.compiled
	var out []Flag
	for _, d := range s.dismissals {
		con := &r.Concepts[d.concept]
		// The case's own concepts are its point: dismissing one is a
		// mistake. A framework concept may be scoped out ("no
		// personalisation in v1") unless it is important or heavy.
		if int(d.concept) >= c.own && !con.Important && con.Weight < dismissFlagWeight {
			continue
		}
		if slices.ContainsFunc(s.occ, func(o occurrence) bool { return o.concept == d.concept }) ||
			slices.ContainsFunc(out, func(f Flag) bool { return f.ID == DismissedFlagPrefix+con.ID }) {
			continue
		}
		ev, off := s.quote(text, d.sp)
		out = append(out, Flag{
			ID: DismissedFlagPrefix + con.ID, Label: "Dismissed: " + lowerFirst(con.Label),
			Evidence: ev, Offset: off, Penalty: DismissPenalty, Dismissed: true,
		})
		s.killed = append(s.killed, s.sent[d.sp.i])
	}
	return out
}

// dropKilled removes the mentions made in a sentence that raised a flag:
// a sentence that states a mistake earns no credit.
func dropKilled(s *scratch) {
	if len(s.killed) == 0 {
		return
	}
	kept := s.occ[:0]
	for _, o := range s.occ {
		if !slices.Contains(s.killed, s.sent[o.sp.i]) && !slices.Contains(s.killed, s.sent[o.sp.j]) {
			kept = append(kept, o)
		}
	}
	s.occ = kept
}

// walk follows the trie from token i and records every phrase that ends on
// a token boundary. Phrases never span a comma or sentence break.
func (c *compiledRubric) walk(s *scratch, i int, res *scan, segFunc *bool) {
	c.walkFrom(s, i, i, 0, res, segFunc)
}

// walkFrom goes on from trie node n at token j of a phrase that began at
// token i.
func (c *compiledRubric) walkFrom(s *scratch, i, j int, n int32, res *scan, segFunc *bool) {
	t := &c.trie
	toks, norm := s.z.toks, s.z.norm
	for ; j < len(toks); j++ {
		tk := toks[j]
		if j > i && tk.brk&(brkClause|brkSentence) != 0 {
			return
		}
		// "isn't really the binding constraint" says what "isn't the
		// binding constraint" says: an intensifier inside a phrase may be
		// passed over, as well as matched where a phrase spells it.
		if j > i && isIntensifier(norm[tk.ns:tk.ne]) {
			c.walkFrom(s, i, j+1, n, res, segFunc)
		}
		for _, b := range norm[tk.ns:tk.ne] {
			if n = t.child(n, b); n == 0 {
				return
			}
		}
		if lo, hi := t.payAt[n], t.payAt[n+1]; hi > lo {
			for _, p := range t.pays[lo:hi] {
				c.hit(s, p, span{int32(i), int32(j)}, res, segFunc)
			}
		}
	}
}

func (c *compiledRubric) hit(s *scratch, p payload, sp span, res *scan, segFunc *bool) {
	switch p.kind {
	case hitConcept:
		switch {
		case negatedBy(s, sp.i, tfDismissEnd):
			s.occ = append(s.occ, occurrence{concept: p.idx, sp: sp, head: sp, tail: sp, dismissed: true})
		case !negatedBy(s, sp.i, tfNegEnd):
			s.occ = append(s.occ, occurrence{concept: p.idx, sp: sp, head: sp, tail: sp})
		}
	case hitFlag:
		if !negatedBy(s, sp.i, tfNegEnd|tfRejEnd) {
			s.flagOcc = append(s.flagOcc, flagOcc{flag: p.idx, sp: sp})
		}
	case hitFlagUnless:
		// A negated or dismissed excuse excuses nothing: "instead of
		// streaming updates", "no need for incremental sync".
		// A rejection reaches a little further: "a clean rebuild avoids the
		// bookkeeping of incremental updates" excuses no nightly batch.
		// An aside is the excuse's own: in "no retrain (content-based)"
		// the "no" is the flag's, not the excuse's.
		if markedBefore(s, sp.i, negationWindow, tfNegEnd|tfRejEnd, brkClause|brkSentence|brkAside) < 0 &&
			markedBefore(s, sp.i, excuseRejectWindow, tfRejEnd, brkClause|brkSentence) < 0 {
			s.unless = append(s.unless, flagOcc{flag: p.idx, sp: sp})
		}
	case hitFlagDismissed:
		if negatedBy(s, sp.i, tfDismissEnd) {
			s.practices = append(s.practices, flagOcc{flag: p.idx, sp: sp, practice: true, afterVerb: true})
		} else if !negatedBy(s, sp.i, tfNegEnd) {
			s.practices = append(s.practices, flagOcc{flag: p.idx, sp: sp, practice: true})
		}
	case hitNegation:
		s.tf[sp.j] |= tfNegEnd
	case hitDismissBefore:
		s.tf[sp.j] |= tfNegEnd | tfDismissEnd | tfRejEnd
		for k := sp.i; k <= sp.j; k++ {
			s.tf[k] |= tfDismissBody
		}
	case hitNearPart:
		mask := tfNegEnd
		if c.near[p.idx].target.kind == hitFlag {
			mask |= tfRejEnd
		}
		// A negation may belong to another part of the same phrase
		// ("wouldn't let & asymmetry & drive"): resolveNear decides.
		s.nearOcc = append(s.nearOcc, nearOcc{near: p.idx, part: p.part, sp: sp, negAt: negatedAt(s, sp.i, mask)})
	case hitRelated:
		if !negatedBy(s, sp.i, tfNegEnd|tfDismissEnd) {
			s.relOcc = append(s.relOcc, relatedOcc{word: p.idx, sp: sp})
		}
	case hitTradeoff:
		res.tradeoffs++
	case hitFailure:
		res.failures++
	case hitUnnegation:
		// "not only", "not just": the negation word neither negates nor rejects.
		for k := sp.i; k <= sp.j; k++ {
			s.tf[k] &^= tfNegEnd | tfRejEnd
		}
		for len(s.rejs) > 0 && s.rejs[len(s.rejs)-1].i >= sp.i {
			s.rejs = s.rejs[:len(s.rejs)-1]
		}
	case hitCue:
		s.tf[sp.i] |= tfBreak
		s.cues = append(s.cues, sp.i)
	case hitNonCue:
		for k := sp.i; k <= sp.j; k++ {
			s.tf[k] |= tfNonCue
		}
	case hitConcern:
		s.concerns = append(s.concerns, sp)
	case hitConcernDismissal:
		s.outright = append(s.outright, sp)
	case hitBreaker:
		s.tf[sp.i] |= tfBreak
	case hitDismissal:
		s.tf[sp.i] |= tfDismiss
	case hitRejectBefore:
		s.tf[sp.j] |= tfRejEnd
	case hitRejection:
		// Phrases are found in order of their first token; one nested in
		// the previous ("mistake" in "a big mistake") is the same rejection.
		if n := len(s.rejs); n == 0 || s.rejs[n-1].j < sp.i {
			s.rejs = append(s.rejs, sp)
		}
	case hitModel:
		if s.collect && !negatedBy(s, sp.i, tfNegEnd) {
			s.models = append(s.models, sp)
		}
	case hitFunc:
		if sp.i == sp.j {
			res.funcWords++
			*segFunc = true
			s.tf[sp.i] |= tfFunc
		}
	case hitWildHead:
		w := &c.wild[p.idx]
		end, tailStart := sp.j, sp.i
		for _, variants := range w.segs {
			found := false
			for _, seg := range variants {
				if from, to, ok := findSegment(s, end+1, seg); ok {
					tailStart, end, found = from, to, true
					break
				}
			}
			if !found {
				return
			}
		}
		full := span{sp.i, end}
		if w.target.kind == hitFlag {
			// "split by time, not randomly": a negation before the words
			// after the gap cancels a red flag too (checked in run).
			if !negatedBy(s, sp.i, tfNegEnd|tfRejEnd) {
				s.flagOcc = append(s.flagOcc, flagOcc{flag: w.target.idx, sp: full, tail: tailStart, headEnd: sp.j})
			}
			return
		}
		if w.target.kind == hitConcept {
			switch {
			case negatedBy(s, sp.i, tfDismissEnd):
				s.occ = append(s.occ, occurrence{concept: w.target.idx, sp: full, head: sp, tail: span{tailStart, end}, dismissed: true})
			case !negatedBy(s, sp.i, tfNegEnd):
				s.occ = append(s.occ, occurrence{concept: w.target.idx, sp: full, head: sp, tail: span{tailStart, end}})
			}
			return
		}
		c.hit(s, w.target, full, res, segFunc)
	}
}

// negatedBy reports whether a phrase marked with mask (tfNegEnd, tfRejEnd)
// ends within negationWindow tokens before token i, with no comma or
// sentence break in between.
func negatedBy(s *scratch, i int32, mask uint8) bool { return negatedAt(s, i, mask) >= 0 }

// negatedAt is negatedBy returning the negation's last token, or -1.
func negatedAt(s *scratch, i int32, mask uint8) int32 {
	return markedBefore(s, i, negationWindow, mask, brkClause|brkSentence)
}

// markedBefore returns the nearest token up to window tokens before token
// i (window < 0: any distance) whose marks meet mask, or -1; a break in
// stop between them ends the search.
func markedBefore(s *scratch, i, window int32, mask, stop uint8) int32 {
	toks := s.z.toks
	for e := i - 1; e >= 0 && (window < 0 || e >= i-window); e-- {
		if toks[e+1].brk&stop != 0 {
			return -1
		}
		if s.tf[e]&mask != 0 {
			return e
		}
	}
	return -1
}

// dismissed reports whether a dismissal ("not needed", "doesn't matter")
// starts within dismissWindow tokens after sp, in the same clause:
// "latency is not needed".
func dismissed(s *scratch, sp span) bool {
	toks := s.z.toks
	for k := sp.j + 1; k < int32(len(toks)) && k <= sp.j+dismissWindow; k++ {
		if toks[k].brk&(brkClause|brkSentence) != 0 {
			return false
		}
		if s.tf[k]&tfDismiss != 0 {
			return true
		}
	}
	return false
}

// dismissedWithin reports whether a dismissive verb ends in the gap of a
// phrase with one, between its first and last words: a phrase that is
// negative on purpose ("no * leakage") does not endorse the practice in
// "no need to worry about leakage". A verb among a phrase's own words is
// the rubric's, not a dismissal: "drop the sky" is the concept of skipping
// redundant work.
func dismissedWithin(s *scratch, o occurrence) bool {
	for k := o.head.j + 1; k < o.tail.i; k++ {
		if s.tf[k]&tfDismissEnd != 0 {
			return true
		}
	}
	return false
}

// rejectedAfter reports whether the words after a red-flag phrase reject
// it: a rejection ("leaks", "is useless", "is not useful") within
// rejectWindow tokens, before the clause ends or a reasoning cue or "but"
// starts another statement. A negated rejection endorses the phrase
// instead, and takes its negation with it: "does not leak", "is not
// wrong", "with no leakage".
func rejectedAfter(s *scratch, sp span) bool {
	if len(s.rejs) == 0 {
		return false
	}
	toks := s.z.toks
	end := min(int32(len(toks)), sp.j+1+rejectWindow)
	for k := sp.j + 1; k < end; k++ {
		// ", which is meaningless" judges the phrase before the comma.
		if toks[k].brk&brkSentence == 0 && toks[k].brk&brkClause != 0 && s.wordIs(k, "which") {
			continue
		}
		// A cue inside "so far" or "or so" starts no new statement.
		if toks[k].brk&(brkClause|brkSentence) != 0 || s.tf[k]&tfBreak != 0 && s.tf[k]&tfNonCue == 0 {
			end = k
			break
		}
	}
	r := 0
	for r < len(s.rejs) && s.rejs[r].i <= sp.j {
		r++
	}
	lastNeg, open := int32(-1), false
	for k := sp.j + 1; k < end; k++ {
		if r < len(s.rejs) && s.rejs[r].i == k {
			rej := s.rejs[r]
			r++
			switch {
			case lastNeg >= 0 && k-lastNeg <= negationWindow:
				lastNeg, open = -1, false // "not wrong": the two cancel
			case s.tf[rej.j]&tfNegEnd != 0:
				lastNeg, open = rej.j, true // "not": rejects unless a rejection follows
			default:
				return true
			}
			k = rej.j
			continue
		}
		if s.tf[k]&tfNegEnd != 0 {
			lastNeg = k
		}
	}
	return open
}

// resolveNear turns the parts of "&" phrases found in one sentence, all
// within nearWindow tokens, into mentions of their concept or red flag.
// Each part was already checked for a negation before it.
func (c *compiledRubric) resolveNear(s *scratch) {
	occ := s.nearOcc
	if len(occ) == 0 {
		return
	}
	// Group by phrase with a counting sort: occ is already in token order,
	// and the scatter keeps that order inside each group.
	s.nearStart = slices.Grow(s.nearStart[:0], len(c.near)+1)[:len(c.near)+1]
	clear(s.nearStart)
	for _, o := range occ {
		s.nearStart[o.near+1]++
	}
	for k := 1; k < len(s.nearStart); k++ {
		s.nearStart[k] += s.nearStart[k-1]
	}
	s.nearBuf = slices.Grow(s.nearBuf[:0], len(occ))[:len(occ)]
	for _, o := range occ {
		s.nearBuf[s.nearStart[o.near]] = o
		s.nearStart[o.near]++
	}
	occ = s.nearBuf
	var have [maxNearParts]span
	var negs [maxNearParts]int32
	for lo := 0; lo < len(occ); {
		hi := lo
		for hi < len(occ) && occ[hi].near == occ[lo].near {
			hi++
		}
		np := &c.near[occ[lo].near]
		// Slide over the group's mentions in token order: for each start,
		// take the nearest later mention of every part.
		for a := lo; a < hi; a++ {
			start := occ[a].sp
			for k := range np.parts {
				have[k] = noSpan
			}
			have[occ[a].part] = start
			negs[occ[a].part] = occ[a].negAt
			found := 1
			first, last := start, start
			for b := a + 1; b < hi && found < np.parts; b++ {
				o := occ[b]
				if o.sp.j-start.i > nearWindow || s.sent[o.sp.i] != s.sent[start.i] {
					break
				}
				if have[o.part].i < 0 {
					have[o.part] = o.sp
					negs[o.part] = o.negAt
					found++
					last = o.sp
				}
			}
			if found < np.parts || negatedOutside(have[:np.parts], negs[:np.parts]) {
				continue
			}
			full := span{first.i, max(first.j, last.j)}
			if np.target.kind == hitFlag && (anyRejected(s, have[:np.parts]) || negatedInClause(s, first.i)) {
				continue // "shuffling would leak into the test set"
			}
			switch np.target.kind {
			case hitConcept:
				s.occ = append(s.occ, occurrence{concept: np.target.idx, sp: full, head: first, tail: last})
			case hitFlag:
				s.flagOcc = append(s.flagOcc, flagOcc{flag: np.target.idx, sp: full, near: true})
			}
			break
		}
		lo = hi
	}
	// Mentions from near phrases join the others in token order.
	slices.SortStableFunc(s.occ, func(a, b occurrence) int { return cmp.Compare(a.sp.i, b.sp.i) })
	slices.SortStableFunc(s.flagOcc, func(a, b flagOcc) int { return cmp.Compare(a.sp.i, b.sp.i) })
}

// gapNegated reports whether a negation in a "*" phrase's gap cancels
// it: "split by time rather than randomly". A dismissive verb there does
// not ("skip the heuristic baselines": "skip the" is the flag's own verb).
func gapNegated(s *scratch, f flagOcc) bool {
	e := negatedAt(s, f.tail, tfNegEnd)
	return e > f.headEnd && s.tf[e]&tfDismissEnd == 0
}

// negatedInClause reports whether a negation ends anywhere before token i
// in its clause. A near phrase's parts sit far apart, so "we never use
// the review verdict as a feature" negates it from further away than
// negationWindow; a flag is raised only on a position the clause states.
func negatedInClause(s *scratch, i int32) bool {
	return markedBefore(s, i, -1, tfNegEnd, brkClause|brkSentence) >= 0
}

// wordIs reports whether token k's normalised text is w (no allocation).
// contrasted reports whether token i lies in a clause that opens with
// "not", the rejected half of "X, not Y" ("a cascade of stages, not a
// single classifier with a 0.5 cutoff"), with no "but" or "rather" turning
// it around before i ("not X but Y" endorses Y).
func contrasted(s *scratch, i int32) bool {
	for k := i; k >= 0; k-- {
		if s.wordIs(k, "but") || s.wordIs(k, "rather") {
			return false
		}
		if k == 0 || s.z.toks[k].brk&(brkClause|brkSentence) != 0 {
			return k < i && s.wordIs(k, "not") && s.tf[k]&tfNegEnd != 0 // "not only" is no contrast
		}
	}
	return false
}

func (s *scratch) wordIs(k int32, w string) bool {
	t := s.z.toks[k]
	return string(s.z.norm[t.ns:t.ne]) == w
}

// negatedOutside reports whether a part is negated by words that are not
// themselves one of the phrase's parts.
func negatedOutside(parts []span, negs []int32) bool {
	for k, at := range negs {
		if at < 0 {
			continue
		}
		own := false
		for m, p := range parts {
			if m != k && p.i <= at && at <= p.j {
				own = true
				break
			}
		}
		if !own {
			return true
		}
	}
	return false
}

// anyRejected reports whether a rejection stands between two parts of a
// near phrase ("shuffling would leak into the test set"); one that runs
// into the next part belongs to it ("latency is not a concern").
func anyRejected(s *scratch, parts []span) bool {
	if len(s.rejs) == 0 {
		return false
	}
	var sorted [maxNearParts]span
	n := copy(sorted[:], parts)
	slices.SortFunc(sorted[:n], func(a, b span) int { return cmp.Compare(a.i, b.i) })
	for k := 0; k+1 < n; k++ {
		a, b := sorted[k], sorted[k+1]
		for _, r := range s.rejs {
			if r.i > a.j && r.j < b.i {
				return true
			}
		}
	}
	return false
}

// findSegment looks for seg starting at a token in from..from+wildGap,
// within the sentence, and returns the indexes of its first and last token.
func findSegment(s *scratch, from int32, seg []byte) (int32, int32, bool) {
	toks, norm := s.z.toks, s.z.norm
	for p := from; p < int32(len(toks)) && p <= from+wildGap; p++ {
		if toks[p].brk&brkSentence != 0 {
			return 0, 0, false
		}
		rest := seg
		for q := p; q < int32(len(toks)); q++ {
			if q > p && toks[q].brk&(brkClause|brkSentence) != 0 {
				break
			}
			w := norm[toks[q].ns:toks[q].ne]
			if len(w) > len(rest) || string(rest[:len(w)]) != string(w) {
				if q > p && isIntensifier(w) {
					continue
				}
				break
			}
			rest = rest[len(w):]
			if len(rest) == 0 {
				return p, q, true
			}
		}
	}
	return 0, 0, false
}

// resolve credits each concept with one mention so that no words of the
// answer credit two concepts: "triplet loss" is both a case concept's
// phrase and the framework's embeddings phrase, and "precision and recall"
// holds the framework's "precision"; each counts once. Two mentions share
// words when the literal words of one lie within the other's (a partial
// overlap such as "given a user, predict" and "predict the probability"
// is two ideas). A concept with a mention that shares words with no other
// concept's gets its earliest such mention. The rest compete for their
// shared words: the case's own concept first, then the heavier one, then
// the longer phrase, then the earlier one; a concept whose every mention
// was taken by another is not credited.
func (c *compiledRubric) resolve(s *scratch) {
	occ := s.occ
	for k := range occ {
		for m := k + 1; m < len(occ) && occ[m].sp.i <= occ[k].sp.j; m++ {
			if occ[m].concept != occ[k].concept && (occ[k].holds(&occ[m]) || occ[m].holds(&occ[k])) {
				occ[k].shared, occ[m].shared = true, true
			}
		}
	}
	s.contested = s.contested[:0]
	for k := range occ {
		o := &occ[k]
		switch {
		case s.conceptHit[o.concept].i >= 0:
		case o.related:
			// Related words only after every phrase has had its say,
			// contested or not (the sort below puts them last).
			s.contested = append(s.contested, int32(k))
		case !o.shared:
			s.conceptHit[o.concept] = o.sp
		default:
			s.contested = append(s.contested, int32(k))
		}
	}
	if len(s.contested) == 0 {
		return
	}
	slices.SortFunc(s.contested, func(x, y int32) int {
		a, b := &occ[x], &occ[y]
		return cmp.Or(
			cmp.Compare(boolRank(a.related), boolRank(b.related)),
			cmp.Compare(c.rank(b.concept), c.rank(a.concept)),
			cmp.Compare(c.weights[b.concept], c.weights[a.concept]),
			cmp.Compare(b.size(), a.size()),
			cmp.Compare(a.sp.i, b.sp.i),
			cmp.Compare(a.concept, b.concept),
		)
	})
	// Winners move to the front of contested as they are chosen.
	won := 0
	for _, k := range s.contested {
		o := &occ[k]
		if s.conceptHit[o.concept].i >= 0 {
			continue
		}
		free := true
		for _, w := range s.contested[:won] {
			if o.holds(&occ[w]) || occ[w].holds(o) {
				free = false
				break
			}
		}
		if free {
			s.conceptHit[o.concept], s.relHit[o.concept] = o.sp, o.related
			s.contested[won] = k
			won++
		}
	}
}

func boolRank(v bool) int {
	if v {
		return 1
	}
	return 0
}

// isGeneric reports whether the words of sp are one generic term.
func (c *compiledRubric) isGeneric(s *scratch, sp span) bool {
	if len(c.generic) == 0 {
		return false
	}
	var key [64]byte
	k := key[:0]
	for t := sp.i; t <= sp.j; t++ {
		k = append(k, s.z.text(s.z.toks[t])...)
	}
	return c.generic[string(k)]
}

func (c *compiledRubric) caseWeight() float64 {
	w := 0.0
	for _, x := range c.weights[:c.own] {
		w += x
	}
	return w
}

// rank is 1 for the case's own concepts, 0 for the framework's.
func (c *compiledRubric) rank(concept int32) int {
	if int(concept) < c.own {
		return 1
	}
	return 0
}

// holds reports whether every literal word of p lies within o's literal words.
func (o *occurrence) holds(p *occurrence) bool {
	in := func(x span) bool {
		return (x.i >= o.head.i && x.j <= o.head.j) || (x.i >= o.tail.i && x.j <= o.tail.j)
	}
	return in(p.head) && in(p.tail)
}

// size is how many literal words the mention has.
func (o *occurrence) size() int32 {
	n := o.head.j - o.head.i + 1
	if o.tail != o.head {
		n += o.tail.j - o.tail.i + 1
	}
	return n
}

func (s *scratch) quote(text string, sp span) (string, int) {
	start, end := s.z.toks[sp.i].os, s.z.toks[sp.j].oe
	return text[start:end], int(start)
}

// Grade scores one answer. Deterministic and safe for concurrent use.
//
//	credit_i  = 1 if concept i is mentioned, 0.5 if a tier-2 hint named it,
//	            else 0; each concept counts once, and each word of the
//	            answer credits at most one concept (see resolve)
//	coverage  = min(1, Σ w_i·credit_i / (saturation × Σ w_i))
//	base      = coverage × min(1, words/MinWords)     (wrap-up: MinWrapUpWords)
//	base      = min(base, 0.2) for a wrap-up answer crediting fewer than 2 concepts
//	base      = min(base, 0.6) when the answer reads like a keyword list
//	score     = clamp(base − hints − red flags − 0.05 if no reasoning cue, 0, 1)
//	hints     = 0.05 per nudge + 0.10 per named hint
//
// A mention does not count when a negation ends up to three words before
// it ("no feature store") or a dismissal starts up to three words after it
// ("latency is not needed"), in the same clause. A red flag is not raised
// when a negation or a rejection ends up to three words before it ("avoid
// a random split"), or when a rejection that is not itself negated follows
// it in its clause ("a random split leaks the future", "accuracy is
// useless here"; see rejectedAfter).
func (r *Rubric) Grade(a Answer) StepGrade {
	if r == nil {
		return StepGrade{}
	}
	c := r.compiled
	if c == nil {
		return StepGrade{Missing: SortedMissing(slices.Clone(r.Concepts))}
	}
	g := StepGrade{MinWords: c.minWords, CaseWeight: c.caseWeight()}
	s := c.getScratch(len(r.Concepts), len(r.RedFlags))
	defer c.pool.Put(s)
	res := c.run(a.Text, s)
	dismissals := r.dismissedFlags(a.Text, s)
	dismissals = append(dismissals, concernFlags(a.Text, s)...)
	dropKilled(s)
	c.resolve(s)
	g.Words = res.words
	g.Echoed = res.echoed

	var raised []span
	for k, f := range r.RedFlags {
		// One mistake stated once is one flag: the step's own flag comes
		// first and keeps the words a framework family also matched.
		if sp := s.flagHit[k]; sp.i >= 0 && !slices.ContainsFunc(raised, func(x span) bool { return x.i <= sp.j && sp.i <= x.j }) {
			raised = append(raised, sp)
			ev, off := s.quote(a.Text, sp)
			flag := Flag{ID: f.ID, Label: f.Label, Evidence: ev, Offset: off, Penalty: f.Penalty}
			for _, m := range s.flagMore {
				if int(m.flag) == k {
					ev, off := s.quote(a.Text, m.sp)
					flag.Again = append(flag.Again, Quote{Evidence: ev, Offset: off})
				}
			}
			g.RedFlags = append(g.RedFlags, flag)
			g.FlagPenalty += f.Penalty
		}
	}
	for _, f := range dismissals {
		g.RedFlags = append(g.RedFlags, f)
		g.FlagPenalty += f.Penalty
	}
	r.applyCredits(&a, s, r.applyClaims(&a, s, &g, raised))

	// Matches in order of appearance: sort the (small) hit records, not Matches.
	s.order = s.order[:0]
	for k, sp := range s.conceptHit {
		if j := s.judgeHit[k]; j.i >= 0 && (sp.i < 0 || j.i < sp.i) {
			sp = j
		}
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
		con, sp, source := r.Concepts[k], s.conceptHit[k], SourceRubric
		switch j := s.judgeHit[k]; {
		case j.i >= 0 && sp.i >= 0:
			source = SourceBoth
		case j.i >= 0:
			sp, source = j, SourceJudge
		}
		credit := 1.0
		if s.relHit[k] && source == SourceRubric {
			credit = RelatedCredit
		}
		if slices.Contains(a.Named, con.ID) {
			credit = min(credit, NamedHintCredit)
		}
		credited += con.Weight * credit
		ev, off := s.quote(a.Text, sp)
		g.Matches = append(g.Matches, Match{
			Concept: con.ID, Label: con.Label, Evidence: ev,
			Credit: credit, Weight: con.Weight, Offset: off, Case: int(k) < c.own,
			Generic: c.isGeneric(s, sp), Source: source, Related: s.relHit[k] && source != SourceJudge,
		})
	}
	if missing := len(r.Concepts) - len(g.Matches); missing > 0 {
		g.Missing = make([]Concept, 0, missing)
		for k, con := range r.Concepts {
			if s.conceptHit[k].i < 0 && s.judgeHit[k].i < 0 {
				g.Missing = append(g.Missing, con)
			}
		}
		g.Missing = SortedMissing(g.Missing)
	}
	for _, d := range s.dismissals {
		con := &r.Concepts[d.concept]
		if s.conceptHit[d.concept].i >= 0 || s.judgeHit[d.concept].i >= 0 || slices.ContainsFunc(g.Dismissed, func(m Match) bool { return m.Concept == con.ID }) {
			continue
		}
		ev, off := s.quote(a.Text, d.sp)
		g.Dismissed = append(g.Dismissed, Match{Concept: con.ID, Label: con.Label, Evidence: ev, Weight: con.Weight, Offset: off})
	}

	if target := c.saturation * c.totalWeight; target > 0 {
		g.Coverage = min(1, credited/target)
	}
	g.Depth = depth(res)
	base := math.Pow(g.Coverage, CoverageCurve) * DepthFactor(g.Depth)
	if g.Words < c.minWords {
		g.TooShort = true
		base *= float64(g.Words) / float64(c.minWords)
	}
	if len(g.Matches) > 0 && len(g.Matches) < c.minConcepts {
		g.FewConcepts = true
		base = min(base, c.fewConceptsCap)
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

// DepthFactor is what a score keeps for its depth (0..1): all of it with
// a figure, a trade-off and a failure mode, 1 − DepthShare with none.
func DepthFactor(depth float64) float64 { return 1 - DepthShare + DepthShare*depth }

// figureWords are quantities spelled out: a candidate who avoids jargon
// writes "the first twenty" or "a few hundred a second" as often as digits.
// "one" to "nine" are left out: "one model", "two groups" are no estimate.
var figureWords = normalizedSet(strings.Fields("ten eleven twelve fifteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands million millions billion billions dozen dozens percent"))

// isFigure reports whether token i is a number: digits standing alone
// ("100 ms", "10m"), a percentile ("p99") or a quantity spelled out
// ("twenty"), not part of a name ("resnet50").
func isFigure(z *tokenizer, i int) bool {
	norm := z.text(z.toks[i])
	if len(norm) == 0 {
		return false
	}
	if norm[0] < '0' || norm[0] > '9' {
		// Most words start with another letter: skip the map for them.
		switch norm[0] {
		case 't', 'e', 'f', 's', 'n', 'h', 'm', 'b', 'd', 'p':
			return len(norm) >= 3 && figureWords[string(norm)]
		}
		return false
	}
	return z.toks[i].brk&brkJoined == 0 || i > 0 && string(z.text(z.toks[i-1])) == "p"
}

// depth is the share of the three signs of depth an answer shows: a
// figure, a trade-off or alternative weighed, a failure mode named.
func depth(res scan) float64 {
	d := 0.0
	for _, n := range []int{res.numbers, res.tradeoffs, res.failures} {
		if n > 0 {
			d++
		}
	}
	return d / 3
}

// SortedMissing orders concepts heaviest first, keeping ties in order.
func SortedMissing(m []Concept) []Concept {
	slices.SortStableFunc(m, func(x, y Concept) int { return cmp.Compare(y.Weight, x.Weight) })
	return m
}

func clamp01(x float64) float64 { return max(0, min(1, x)) }

// JumpScan finds, for the jumped-to-model pitfall, the byte offset of the
// earliest mention of one of the rubric's concepts that is not part of a
// model term's noun phrase (-1 if none), and the earliest model or
// architecture term that is neither negated nor dismissed, with its offset
// ("" and -1 if none). "A multimodal transformer" names a model, not the
// multimodal requirement.
func (r *Rubric) JumpScan(text string) (mention int, term string, termOff int) {
	mention, termOff = -1, -1
	if r == nil || r.compiled == nil {
		return
	}
	c := r.compiled
	s := c.getScratch(len(r.Concepts), len(r.RedFlags))
	defer c.pool.Put(s)
	s.collect = true
	c.run(text, s)
	models := s.models[:0]
	for _, m := range s.models {
		if !dismissed(s, m) {
			models = append(models, m)
		}
	}
	s.models = models
	if len(models) > 0 {
		term, termOff = s.quote(text, models[0])
	}
	for _, o := range s.occ {
		if !attached(s, o.sp, models) {
			mention = int(s.z.toks[o.sp.i].os)
			break
		}
	}
	return
}

// Mentions lists every mention of a concept in text, each with its words,
// before the answer-level rules (one concept per word, echo, red flags)
// decide what earns credit: the lint that keeps a concept from being
// earned by the case prompt's own words reads the prompt with it.
func (r *Rubric) Mentions(text string) []Match {
	if r == nil || r.compiled == nil {
		return nil
	}
	c := r.compiled
	s := c.getScratch(len(r.Concepts), len(r.RedFlags))
	defer c.pool.Put(s)
	s.noEcho = true
	c.run(text, s)
	var out []Match
	for _, list := range [][]occurrence{s.occ, s.dismissals} {
		for _, o := range list {
			con := &r.Concepts[o.concept]
			ev, off := s.quote(text, o.sp)
			out = append(out, Match{Concept: con.ID, Label: con.Label, Evidence: ev, Weight: con.Weight, Offset: off, Case: int(o.concept) < c.own, Related: o.related})
		}
	}
	slices.SortFunc(out, func(a, b Match) int {
		return cmp.Or(cmp.Compare(a.Offset, b.Offset), cmp.Compare(a.Concept, b.Concept))
	})
	return out
}

// ModelTerms counts the distinct model and architecture terms an answer
// names and neither negates nor dismisses, and quotes the first of them
// as JumpScan does.
func (r *Rubric) ModelTerms(text string) (n int, first string) {
	if r == nil || r.compiled == nil {
		return 0, ""
	}
	c := r.compiled
	s := c.getScratch(len(r.Concepts), len(r.RedFlags))
	defer c.pool.Put(s)
	s.collect = true
	c.run(text, s)
	for _, m := range s.models { // in the order they were found
		if !dismissed(s, m) {
			first, _ = s.quote(text, m)
			break
		}
	}
	var seen []string
	last := noSpan
	slices.SortStableFunc(s.models, func(a, b span) int { return cmp.Or(cmp.Compare(a.i, b.i), cmp.Compare(b.j, a.j)) })
	for _, m := range s.models {
		// "Faster R-CNN" holds "R-CNN" and "CNN": one term.
		if dismissed(s, m) || last.i >= 0 && m.i >= last.i && m.j <= last.j {
			continue
		}
		last = m
		var key []byte
		for k := m.i; k <= m.j; k++ {
			key = append(key, s.z.text(s.z.toks[k])...)
		}
		if !slices.Contains(seen, string(key)) {
			seen = append(seen, string(key))
		}
	}
	return len(seen), first
}

// attached reports whether mention m is part of a model term's noun
// phrase: inside the term's own words, or ending at most attachGap words
// before it with no function word, comma or sentence break in between.
func attached(s *scratch, m span, models []span) bool {
	toks := s.z.toks
	for _, t := range models {
		// Inside the term ("a multimodal transformer"), or a mention that
		// holds the term ("build & embedding tables" spanning "a DCN").
		if t.i <= m.i && m.j <= t.j || m.i <= t.i && t.j <= m.j {
			return true
		}
		if m.j >= t.i || t.i-m.j-1 > attachGap {
			continue
		}
		joined := true
		for k := m.j + 1; k <= t.i && joined; k++ {
			joined = toks[k].brk&(brkClause|brkSentence) == 0 && (k == t.i || s.tf[k]&tfFunc == 0)
		}
		if joined {
			return true
		}
	}
	return false
}
