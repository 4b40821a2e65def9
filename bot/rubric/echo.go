package rubric

// Echo recognises sentences copied from a text the candidate was given
// (the case prompt): restating the question is not an answer, so a
// sentence made mostly of the prompt's own word runs earns no credit, no
// depth and no length, whatever rubric phrases it happens to contain.
type Echo struct {
	grams map[uint64]struct{}
	// words are the text's normalised words: given words that tell
	// nothing of the candidate's own understanding (related.go).
	words map[string]bool
}

// Echo thresholds. A run of echoGram normalised words in a row is
// "copied" when the prompt has the same run; a sentence is an echo when at
// least echoShare of its words lie in copied runs and it has at least
// echoMinWords words, so a short restated fact ("p99 under 100 ms") inside
// a candidate's own reasoning is left alone.
const (
	echoGram     = 3
	echoShare    = 0.7
	echoMinWords = 6
)

// NewEcho indexes text (the case prompt) for echo detection. An empty
// text gives an Echo that matches nothing.
func NewEcho(text string) *Echo {
	e := &Echo{grams: map[uint64]struct{}{}, words: map[string]bool{}}
	var z tokenizer
	z.tokenize(text)
	for _, t := range z.toks {
		e.words[string(z.text(t))] = true
	}
	for i := 0; i+echoGram <= len(z.toks); i++ {
		if h, ok := e.gram(&z, i); ok {
			e.grams[h] = struct{}{}
		}
	}
	return e
}

// gram hashes the echoGram tokens from i, or reports false when they cross
// a sentence break (a run never spans two sentences).
func (*Echo) gram(z *tokenizer, i int) (uint64, bool) {
	// FNV-1a, with a zero byte between words.
	h := uint64(14695981039346656037)
	for k := i; k < i+echoGram; k++ {
		if k > i && z.toks[k].brk&brkSentence != 0 {
			return 0, false
		}
		for _, c := range z.text(z.toks[k]) {
			h = (h ^ uint64(c)) * 1099511628211
		}
		h *= 1099511628211
	}
	return h, true
}

// mark sets echoed[n] for every sentence n of the tokenised answer that
// is an echo, and returns how many there are. sent holds each token's
// sentence number; covered is scratch space.
func (e *Echo) mark(z *tokenizer, sent []int32, covered []bool, echoed []bool) int {
	if e == nil || len(e.grams) == 0 {
		return 0
	}
	// A run can only be copied where every word is one of the prompt's:
	// most answer words are not, and need no hashing.
	run := 0
	for i := 0; i < len(z.toks); i++ {
		if !e.words[string(z.text(z.toks[i]))] {
			run = 0
			continue
		}
		if run++; run < echoGram {
			continue
		}
		if h, ok := e.gram(z, i-echoGram+1); ok {
			if _, hit := e.grams[h]; hit {
				for k := i - echoGram + 1; k <= i; k++ {
					covered[k] = true
				}
			}
		}
	}
	n := 0
	for start := 0; start < len(z.toks); {
		end := start
		words, copied := 0, 0
		for ; end < len(z.toks) && sent[end] == sent[start]; end++ {
			if z.toks[end].brk&brkJoined == 0 {
				words++
				if covered[end] {
					copied++
				}
			}
		}
		if words >= echoMinWords && float64(copied) >= echoShare*float64(words) {
			echoed[sent[start]] = true
			n++
		}
		start = end
	}
	return n
}
