package rubric

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// functionWords mark real sentences: a keyword list has almost none of them.
// They are compared after normalisation.
var functionWords = []string{
	"i", "we", "you", "it", "they", "this", "that", "these", "those", "there",
	"is", "are", "was", "were", "be", "been", "being", "am",
	"would", "will", "should", "could", "can", "may", "might", "must", "shall",
	"do", "does", "did", "have", "has", "had", "need", "want", "use", "make", "let",
	"the", "a", "an", "to", "of", "for", "with", "so", "if", "then", "when", "which",
	"because", "since", "our", "my", "their", "its", "what", "how", "first", "also",
}

// unnegations keep a negation word from negating: "not only latency but...".
var unnegations = []string{"not only", "not just", "no matter", "not merely"}

// nonCues contain a reasoning cue word without giving a reason: "100 or
// so", "so far", "and so on".
var nonCues = []string{"or so", "so far", "and so on", "and so forth", "so called", "so much", "so many"}

// scopeBreakers end the part of a clause after a red-flag phrase in which a
// rejection counts, as reasoning cues do: in "I'd use a random split, but
// it's not ideal" or "a random split because it's not a big deal" the
// rejection belongs to another statement. So does one after "and" with the
// candidate as a new subject: in "plain accuracy is a sensible metric and
// we don't need resampling" the "don't need" is about resampling.
var scopeBreakers = []string{"but", "while", "whereas", "although", "though", "however", "yet", "then", "and we", "and i", "and we'd", "and i'd", "and we'll", "and i'll"}

// NewLexicon compiles the framework-wide word lists.
func NewLexicon(terms Terms) (*Lexicon, error) {
	t := &Lexicon{}
	var errs []error
	// Content words also compile without the final "e" of their words, as
	// concept phrases do: "inflate" meets "inflated" ("inflat"). Negations
	// and function words stay exact ("none" must not meet "non").
	list := func(what string, in []string, eless bool) [][]byte {
		var out [][]byte
		for _, p := range in {
			k, wild := phraseKey(p)
			if len(k) == 0 || wild {
				errs = append(errs, fmt.Errorf("framework %s %q: not a usable phrase", what, p))
				continue
			}
			if eless {
				out = append(out, phraseVariants(p)...)
			} else {
				out = append(out, k)
			}
		}
		return out
	}
	for _, g := range terms.Synonyms {
		var group [][]string
		for _, m := range g {
			if w := NormalizeTokens(m); len(w) > 0 {
				group = append(group, w)
			} else {
				errs = append(errs, fmt.Errorf("framework synonym %q: no words", m))
			}
		}
		if len(group) < 2 {
			errs = append(errs, fmt.Errorf("framework synonym group %q: needs two members or more", g))
			continue
		}
		t.synonyms = append(t.synonyms, group)
	}
	t.synFirst = map[string][]synMember{}
	for g, group := range t.synonyms {
		for _, m := range group {
			t.synFirst[m[0]] = append(t.synFirst[m[0]], synMember{g, m})
		}
	}
	t.cache = map[string][][]string{}
	t.unnegations = list("unnegation", unnegations, false)
	t.nonCues = list("non-cue", nonCues, false)
	t.breakers = list("scope breaker", scopeBreakers, false)
	t.funcs = list("function word", functionWords, false)
	t.negations = list("negation", terms.Negations, false)
	t.cues = list("justification cue", terms.Justification, true)
	// Model terms take the thesaurus too: "dual encoder" is "bi encoder".
	t.modelWords = map[string]bool{}
	for _, m := range terms.ModelTerms {
		if len(NormalizeTokens(m)) == 0 {
			errs = append(errs, fmt.Errorf("framework model term %q: not a usable phrase", m))
			continue
		}
		for _, words := range t.expand(NormalizeTokens(m)) {
			t.models = append(t.models, variantsOf(words)...)
			if len(words) == 1 {
				t.modelWords[words[0]] = true
			}
		}
	}
	t.dismissals = list("dismissal", terms.Dismissals, true)
	for _, d := range terms.Deferrals {
		if !slices.Contains(terms.Dismissals, d) {
			errs = append(errs, fmt.Errorf("framework deferral %q: not one of the dismissals", d))
		}
	}
	var outright []string
	for _, d := range terms.Dismissals {
		if !slices.Contains(terms.Deferrals, d) {
			outright = append(outright, d)
		}
	}
	t.concernDismissals = list("dismissal", outright, true)
	t.rejectBefore = list("rejection before", terms.RejectionsBefore, true)
	t.rejections = list("rejection", terms.Rejections, true)
	t.generic = map[string]bool{}
	for _, g := range terms.GenericTerms {
		for _, k := range list("generic term", []string{g}, true) {
			t.generic[string(k)] = true
		}
	}
	t.dismissBefore = list("dismissal before", terms.DismissalsBefore, false)
	t.tradeoffs = list("trade-off cue", terms.Tradeoffs, true)
	t.failures = list("failure-mode cue", terms.FailureModes, true)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// phraseKey normalises a phrase without "*" to its concatenated tokens.
func phraseKey(p string) (key []byte, wild bool) {
	if strings.Contains(p, "*") {
		return nil, true
	}
	var z tokenizer
	z.tokenize(p)
	for _, t := range z.toks {
		key = append(key, z.text(t)...)
	}
	return key, false
}

// phraseSegments normalises a phrase, split at "*" gaps, into the
// concatenated tokens of each segment.
func phraseSegments(p string) [][]byte {
	var segs [][]byte
	for _, part := range strings.Split(p, "*") {
		var z tokenizer
		z.tokenize(part)
		var key []byte
		for _, t := range z.toks {
			key = append(key, z.text(t)...)
		}
		segs = append(segs, key)
	}
	return segs
}

// maxEVariants bounds the words per phrase that get an e-less variant.
const maxEVariants = 3

// phraseVariants normalises one phrase segment (no "*") into the keys it is
// compiled under (see variantsOf).
func phraseVariants(seg string) [][]byte {
	return variantsOf(NormalizeTokens(seg))
}

// variantsOf returns the keys of a normalised word sequence: its
// concatenated words, plus every combination with the final "e" dropped
// from words of four letters or more, because the stemmer turns "caching"
// into "cach" and "served" into "serv". A word whose e-less form is a short
// consonant-vowel-consonant stem ("mape" → "map", "tune" → "tun") gets no
// such variant: the stemmer gives those stems their "e" back ("tuning" →
// "tune"), and "map" must not meet "mape".
func variantsOf(words []string) [][]byte {
	if len(words) == 0 {
		return nil
	}
	var eWords []int
	for i, w := range words {
		if len(w) >= 4 && w[len(w)-1] == 'e' && !shortCVC([]byte(w[:len(w)-1])) && len(eWords) < maxEVariants {
			eWords = append(eWords, i)
		}
	}
	var out [][]byte
	for mask := 0; mask < 1<<len(eWords); mask++ {
		var key []byte
		for i, w := range words {
			if k := slices.Index(eWords, i); k >= 0 && mask&(1<<k) != 0 {
				w = w[:len(w)-1]
			}
			key = append(key, w...)
		}
		out = append(out, key)
	}
	return out
}

// PhraseChecker finds rubric phrases that can never match.
type PhraseChecker struct {
	negations map[string]bool
}

// NewPhraseChecker prepares a checker for a framework's negation words: a
// phrase made only of them would be read as negating whatever follows,
// never as a mention.
func NewPhraseChecker(negations []string) *PhraseChecker {
	pc := &PhraseChecker{negations: make(map[string]bool)}
	for _, n := range negations {
		for _, t := range NormalizeTokens(n) {
			pc.negations[t] = true
		}
	}
	return pc
}

// Problem says why phrase can never match, or returns "".
func (pc *PhraseChecker) Problem(phrase string) string {
	if strings.Contains(phrase, "&") {
		parts := strings.Split(phrase, "&")
		switch {
		case strings.Contains(phrase, "*"):
			return `mixes "&" and "*"; use one or the other`
		case len(parts) > maxNearParts:
			return fmt.Sprintf(`has %d parts joined by "&"; at most %d`, len(parts), maxNearParts)
		}
		for _, part := range parts {
			for _, alt := range strings.Split(part, "|") {
				if len(NormalizeTokens(alt)) == 0 {
					return `has an empty part around "&" or alternative around "|"`
				}
			}
		}
		// A part may be a negation word ("new items & never & shown"):
		// parts are checked for a negation before them, not made of one.
		return ""
	}
	if strings.Contains(phrase, "|") {
		return `uses "|" outside a near phrase; alternatives go inside parts joined by "&"`
	}
	segs := phraseSegments(phrase)
	for i, s := range segs {
		if len(s) == 0 {
			if len(segs) == 1 {
				return "has no words after normalisation"
			}
			if i == 0 || i == len(segs)-1 {
				return `starts or ends with "*"; a gap must sit between words`
			}
			return `has two "*" gaps in a row`
		}
	}
	for _, t := range NormalizeTokens(strings.ReplaceAll(phrase, "*", " ")) {
		if !pc.negations[t] {
			return ""
		}
	}
	return "contains only negation words, so it can never count as a mention"
}

// PhraseProblem is NewPhraseChecker(negations).Problem(phrase).
func PhraseProblem(phrase string, negations []string) string {
	return NewPhraseChecker(negations).Problem(phrase)
}

// Compile builds a rubric's matcher. Concepts need a positive weight and
// at least one phrase; red flags without a Penalty cost DefaultFlagPenalty.
func Compile(spec Spec, terms *Lexicon) (*Rubric, error) {
	if terms == nil {
		return nil, errNoLexicon
	}
	concepts := spec.Concepts
	flags := make([]RedFlag, len(spec.RedFlags))
	for i, f := range spec.RedFlags {
		if f.Penalty <= 0 {
			f.Penalty = DefaultFlagPenalty
		}
		flags[i] = f
	}
	sat := spec.Saturation
	if sat <= 0 || sat > 1 {
		sat = DefaultSaturation
	}
	minWords := spec.MinWords
	if minWords <= 0 {
		minWords = MinWords
	}
	b := newTrieBuilder()
	c := &compiledRubric{saturation: sat, minWords: minWords, own: spec.Own, generic: terms.generic,
		minConcepts: spec.MinConcepts, fewConceptsCap: spec.FewConceptsCap, echo: spec.Echo,
		givenFigures: questionFigures(spec.Questions)}
	var errs []error
	// keys are a segment's trie keys, with every synonym of the thesaurus.
	keys := func(seg string) [][]byte {
		var out [][]byte
		for _, words := range terms.expand(NormalizeTokens(seg)) {
			for _, k := range variantsOf(words) {
				if !slices.ContainsFunc(out, func(x []byte) bool { return bytes.Equal(x, k) }) {
					out = append(out, k)
				}
			}
		}
		return out
	}
	addPhrase := func(owner string, p string, target payload) {
		if strings.Contains(p, "&") {
			parts := strings.Split(p, "&")
			if len(parts) > maxNearParts || strings.Contains(p, "*") {
				errs = append(errs, fmt.Errorf("%s: phrase %q: at most %d parts joined by \"&\", and no \"*\" with them", owner, p, maxNearParts))
				return
			}
			c.near = append(c.near, nearPhrase{target: target, parts: len(parts)})
			for i, part := range parts {
				// A part may list alternatives ("removed|sold out &
				// nightly|each night"): one phrase instead of every pairing.
				var ks [][]byte
				for _, alt := range strings.Split(part, "|") {
					ks = append(ks, keys(alt)...)
				}
				if len(ks) == 0 {
					errs = append(errs, fmt.Errorf("%s: phrase %q can never match", owner, p))
					return
				}
				for _, k := range ks {
					b.add(k, payload{kind: hitNearPart, part: uint8(i), idx: int32(len(c.near) - 1)})
				}
			}
			return
		}
		if strings.Contains(p, "|") {
			errs = append(errs, fmt.Errorf("%s: phrase %q: alternatives (\"|\") only inside parts joined by \"&\"", owner, p))
			return
		}
		parts := strings.Split(p, "*")
		segs := make([][][]byte, len(parts))
		for i, part := range parts {
			if segs[i] = keys(part); len(segs[i]) == 0 {
				errs = append(errs, fmt.Errorf("%s: phrase %q can never match", owner, p))
				return
			}
		}
		if len(segs) == 1 {
			for _, k := range segs[0] {
				b.add(k, target)
			}
			return
		}
		c.wild = append(c.wild, wildPhrase{target: target, segs: segs[1:]})
		for _, k := range segs[0] {
			b.add(k, payload{kind: hitWildHead, idx: int32(len(c.wild) - 1)})
		}
	}
	for i, con := range concepts {
		if con.Weight <= 0 {
			errs = append(errs, fmt.Errorf("concept %q: weight must be positive", con.ID))
		}
		if len(con.Phrases) == 0 {
			errs = append(errs, fmt.Errorf("concept %q: no phrases", con.ID))
		}
		c.totalWeight += max(0, con.Weight)
		c.weights = append(c.weights, con.Weight)
		for _, p := range con.Phrases {
			addPhrase(fmt.Sprintf("concept %q", con.ID), p, payload{kind: hitConcept, idx: int32(i)})
		}
	}
	if spec.Related {
		asked := map[string]bool{}
		for _, text := range []string{spec.Questions, spec.Asked} {
			var z tokenizer
			z.tokenize(text)
			for _, t := range z.toks {
				asked[string(z.text(t))] = true
			}
		}
		// A word is given in any of the forms it matches: "promise" is
		// given by a prompt that says "promised" (normalised "promis").
		// A model's name ("bert", "resnet") is no plain word of the
		// candidate's own: it says which model, not which idea.
		words, in := relatedWords(concepts, func(w string) bool {
			if terms.modelWords[w] {
				return true
			}
			for _, k := range variantsOf([]string{w}) {
				if asked[string(k)] || spec.Echo != nil && spec.Echo.words[string(k)] {
					return true
				}
			}
			return false
		})
		c.related = in
		for i, w := range words {
			for _, k := range variantsOf([]string{w}) {
				b.add(k, payload{kind: hitRelated, idx: int32(i)})
			}
		}
	}
	for i, f := range flags {
		if len(f.Phrases) == 0 && len(f.Dismissed) == 0 {
			errs = append(errs, fmt.Errorf("red flag %q: no phrases", f.ID))
		}
		for _, p := range f.Phrases {
			addPhrase(fmt.Sprintf("red flag %q", f.ID), p, payload{kind: hitFlag, idx: int32(i)})
		}
		for _, p := range f.Unless {
			if strings.ContainsAny(p, "&*") {
				errs = append(errs, fmt.Errorf("red flag %q: unless phrase %q: plain words only, no \"&\" or \"*\"", f.ID, p))
				continue
			}
			addPhrase(fmt.Sprintf("red flag %q: unless", f.ID), p, payload{kind: hitFlagUnless, idx: int32(i)})
		}
		for _, p := range f.Dismissed {
			if strings.ContainsAny(p, "&*") {
				errs = append(errs, fmt.Errorf("red flag %q: dismissed phrase %q: plain words only, no \"&\" or \"*\"", f.ID, p))
				continue
			}
			addPhrase(fmt.Sprintf("red flag %q: dismissed", f.ID), p, payload{kind: hitFlagDismissed, idx: int32(i)})
		}
	}
	for _, w := range spec.Concerns {
		for _, k := range variantsOf(NormalizeTokens(w)) {
			b.add(k, payload{kind: hitConcern})
		}
	}
	for _, l := range []struct {
		keys [][]byte
		kind hitKind
	}{
		{terms.negations, hitNegation}, {terms.unnegations, hitUnnegation},
		{terms.cues, hitCue}, {terms.nonCues, hitNonCue}, {terms.models, hitModel},
		{terms.funcs, hitFunc}, {terms.dismissals, hitDismissal},
		{terms.rejectBefore, hitRejectBefore}, {terms.rejections, hitRejection},
		{terms.breakers, hitBreaker}, {terms.dismissBefore, hitDismissBefore},
		{terms.tradeoffs, hitTradeoff}, {terms.failures, hitFailure},
		{terms.concernDismissals, hitConcernDismissal},
	} {
		for _, k := range l.keys {
			b.add(k, payload{kind: l.kind})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	c.trie = b.build()
	return &Rubric{Concepts: concepts, RedFlags: flags, compiled: c}, nil
}

// trieBuilder collects phrases before they are flattened into a trie.
type trieBuilder struct {
	entries []trieEntry
}

type trieEntry struct {
	key []byte
	p   payload
}

func newTrieBuilder() *trieBuilder { return &trieBuilder{} }

func (b *trieBuilder) add(key []byte, p payload) {
	b.entries = append(b.entries, trieEntry{key, p})
}

// build inserts the keys in sorted order, so the child to follow is always
// the last one added, then lays the nodes out with sorted, contiguous edges.
func (b *trieBuilder) build() trie {
	// Payloads order equal keys, so the layout is the same on every run.
	slices.SortFunc(b.entries, func(x, y trieEntry) int {
		return cmp.Or(bytes.Compare(x.key, y.key), cmp.Compare(x.p.kind, y.p.kind), cmp.Compare(x.p.idx, y.p.idx), cmp.Compare(x.p.part, y.p.part))
	})
	type bnode struct {
		b                 byte
		first, last, next int32
	}
	type nodePay struct {
		node int32
		p    payload
	}
	size := 1
	for _, e := range b.entries {
		size += len(e.key)
	}
	nodes := make([]bnode, 1, size)
	nodes[0] = bnode{first: -1, last: -1, next: -1}
	pays := make([]nodePay, 0, len(b.entries))
	for _, e := range b.entries {
		n := int32(0)
		for _, c := range e.key {
			if last := nodes[n].last; last >= 0 && nodes[last].b == c {
				n = last
				continue
			}
			child := int32(len(nodes))
			nodes = append(nodes, bnode{b: c, first: -1, last: -1, next: -1})
			if last := nodes[n].last; last >= 0 {
				nodes[last].next = child
			} else {
				nodes[n].first = child
			}
			nodes[n].last = child
			n = child
		}
		// Equal keys are adjacent, so a duplicate payload is among the last.
		dup := false
		for k := len(pays) - 1; k >= 0 && pays[k].node == n; k-- {
			dup = dup || pays[k].p == e.p
		}
		if !dup {
			pays = append(pays, nodePay{n, e.p})
		}
	}
	// Number the nodes breadth first: each node's children (already in
	// byte order) get consecutive numbers.
	order := make([]int32, 1, len(nodes))
	newID := make([]int32, len(nodes))
	t := trie{first: make([]int32, len(nodes)+1), label: make([]byte, len(nodes)), denseOf: make([]int32, len(nodes))}
	for k := 0; k < len(order); k++ {
		old := order[k]
		t.first[k] = int32(len(order))
		for c := nodes[old].first; c >= 0; c = nodes[c].next {
			newID[c] = int32(len(order))
			t.label[len(order)] = nodes[c].b
			order = append(order, c)
		}
	}
	t.first[len(nodes)] = int32(len(nodes))
	for n := range t.denseOf {
		kids := t.first[n+1] - t.first[n]
		t.denseOf[n] = -1
		switch {
		case n == 0:
			for c := t.first[0]; c < t.first[1]; c++ {
				t.root[t.label[c]] = c
			}
		case kids >= denseMinEdges:
			var d [26]int32
			for c := t.first[n]; c < t.first[n+1]; c++ {
				if b := t.label[c]; b >= 'a' && b <= 'z' {
					d[b-'a'] = c
				}
			}
			t.denseOf[n] = int32(len(t.dense))
			t.dense = append(t.dense, d)
		}
	}
	// Payloads by new node number, keeping their order within a node.
	for k := range pays {
		pays[k].node = newID[pays[k].node]
	}
	slices.SortStableFunc(pays, func(x, y nodePay) int { return int(x.node - y.node) })
	t.payAt = make([]int32, len(nodes)+1)
	t.pays = make([]payload, len(pays))
	for k, p := range pays {
		t.pays[k] = p.p
		t.payAt[p.node+1]++
	}
	for n := 1; n <= len(nodes); n++ {
		t.payAt[n] += t.payAt[n-1]
	}
	return t
}

// maxSynonymVariants bounds the forms one phrase segment expands to.
const maxSynonymVariants = 24

// synMember is one member of a thesaurus group.
type synMember struct {
	group int
	words []string
}

// expand returns words plus its forms with thesaurus members swapped for
// their synonyms, one or more swaps each, the original first. Results are
// cached: the framework's phrases are compiled into every scenario.
func (l *Lexicon) expand(words []string) [][]string {
	if len(words) == 0 || len(l.synonyms) == 0 {
		return [][]string{words}
	}
	key := strings.Join(words, " ")
	l.mu.Lock()
	cached, ok := l.cache[key]
	l.mu.Unlock()
	if ok {
		return cached
	}
	out := [][]string{words}
	seen := map[string]bool{key: true}
	for i := 0; i < len(out) && len(out) < maxSynonymVariants; i++ {
		cur := out[i]
		for at := range cur {
			for _, m := range l.synFirst[cur[at]] {
				if at+len(m.words) > len(cur) || !slices.Equal(cur[at:at+len(m.words)], m.words) {
					continue
				}
				for _, o := range l.synonyms[m.group] {
					if slices.Equal(o, m.words) || len(out) >= maxSynonymVariants {
						continue
					}
					v := slices.Concat(cur[:at], o, cur[at+len(m.words):])
					if k := strings.Join(v, " "); !seen[k] {
						seen[k] = true
						out = append(out, v)
					}
				}
			}
		}
	}
	l.mu.Lock()
	l.cache[key] = out
	l.mu.Unlock()
	return out
}

// questionFigures lists the figures a question gives, as the tokenizer
// writes them.
func questionFigures(question string) map[string]bool {
	var z tokenizer
	z.tokenize(question)
	var out map[string]bool
	for i, t := range z.toks {
		if isFigure(&z, i) {
			if out == nil {
				out = map[string]bool{}
			}
			out[string(z.text(t))] = true
		}
	}
	return out
}
