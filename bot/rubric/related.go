package rubric

import (
	"slices"
	"strings"
)

// Related words: a candidate who says an idea in words of their own often
// still uses two of the telling words of the concept's phrases close
// together ("split shoppers into two groups" for "split users into random
// groups", "labels take a while to come" for "label delay"). Two distinct
// such words of the same concept, within relatedWindow tokens of one
// clause, credit the concept, unless a phrase of another concept claims
// those words (see resolve) or the words are negated. A word is telling
// when it is no function word, has three letters or more, and belongs to
// at most relatedMaxShare concepts of the rubric: "model" or "data" tell
// nothing, "groups" in A/B test design does. At least one of the two must
// belong to that concept alone, so two words that each also tell of
// another concept do not add up to either.
//
// The words may come from different phrases of the concept: people who
// avoid the textbook term mix the words of its several phrasings.
const (
	relatedWindow   = 6
	relatedMaxShare = 2
	relatedMinLen   = 3
)

// relatedStop are words too common to tell one concept from another.
var relatedStop = normalizedSet(functionWords, strings.Fields("a an the of to in on for and or is are be by with as at from that this it its we our i you they their them what which how when where who why than then so if not no do does did can could would should will just only into over under per each every any all some more most less few many much one two three new old same other own also very about up out off like use used using via vs versus between after before there here make makes made get gets take takes keep kept see show shown need needs way ways thing things first time times part set it's don't won't isn't can't doesn't i'd we'd we'll i'll well good better best really still even may might must been being was were has have had"))

// intensifiers add emphasis, not meaning: phrase matching passes over them
// inside a phrase ("latency isn't really the binding constraint").
// Every one ends in "-ly" (TestIntensifiersEndInLy), which isIntensifier
// checks first: the trie walk asks about every word it passes.
var intensifiers = normalizedSet(strings.Fields("really actually truly genuinely honestly frankly basically simply definitely certainly necessarily ultimately"))

func isIntensifier(w []byte) bool {
	n := len(w)
	return n > 3 && w[n-1] == 'y' && w[n-2] == 'l' && intensifiers[string(w)]
}

// relatedContrast are words that make a phrase hinge on a contrast
// ("recall over precision", "matrix factorization won't"): its words,
// said together, can mean the very opposite, so such a phrase lends none.
var relatedContrast = normalizedSet(strings.Fields("not no never without instead rather over than versus vs nor won't wont don't dont can't cant doesn't isn't aren't wouldn't shouldn't avoid against unless except beyond"))

// phraseOperators turns a phrase's "&" and "|" into plain word breaks.
var phraseOperators = strings.NewReplacer("&", " ", "|", " ")

// normalizedSet is the set of the normalised tokens of words.
func normalizedSet(lists ...[]string) map[string]bool {
	m := map[string]bool{}
	for _, words := range lists {
		for _, w := range words {
			for _, t := range NormalizeTokens(w) {
				m[t] = true
			}
		}
	}
	return m
}

type relatedOcc struct {
	word int32
	sp   span
}

// relatedWords returns the telling words of concepts and, for each, the
// phrases it belongs to, each as concept<<16 | phrase, sorted. Words the
// candidate was given (the case prompt, the questions) tell nothing and
// are left out.
func relatedWords(concepts []Concept, given func(string) bool) (words []string, in [][]uint32) {
	index := map[string]int{}
	for k, con := range concepts {
		for p, phrase := range con.Phrases {
			if strings.Contains(phrase, "*") {
				continue // a gap phrase says its own words must be apart
			}
			toks := NormalizeTokens(phraseOperators.Replace(phrase))
			if slices.ContainsFunc(toks, func(w string) bool { return relatedContrast[w] }) {
				continue
			}
			for _, w := range toks {
				if len(w) < relatedMinLen || relatedStop[w] || w[0] >= '0' && w[0] <= '9' || given(w) {
					continue
				}
				i, ok := index[w]
				if !ok {
					i = len(words)
					index[w] = i
					words = append(words, w)
					in = append(in, nil)
				}
				if id := uint32(k)<<16 | uint32(p); len(in[i]) == 0 || in[i][len(in[i])-1] != id {
					in[i] = append(in[i], id)
				}
			}
		}
	}
	// Keep the words that tell of few concepts.
	kept := 0
	for i, w := range words {
		if conceptsOf(in[i]) <= relatedMaxShare {
			words[kept], in[kept] = w, in[i]
			kept++
		}
	}
	return words[:kept], in[:kept]
}

// conceptsOf counts the distinct concepts of sorted phrase ids.
func conceptsOf(ids []uint32) int {
	n := 0
	for i, id := range ids {
		if i == 0 || id>>16 != ids[i-1]>>16 {
			n++
		}
	}
	return n
}

// resolveRelated turns two telling words of one concept, near each other
// in a clause, into a mention of that concept.
func (c *compiledRubric) resolveRelated(s *scratch) {
	occ := s.relOcc
	for a := range occ {
		oa := occ[a]
		for b := a + 1; b < len(occ); b++ {
			ob := occ[b]
			if ob.sp.i-oa.sp.j > relatedWindow || s.sent[ob.sp.i] != s.sent[oa.sp.i] {
				break
			}
			if ob.word == oa.word || ob.sp.i <= oa.sp.j {
				continue
			}
			if clauseBetween(s, oa.sp.j, ob.sp.i) {
				break // "feature, store it" is two clauses, not a feature store
			}
			x, y := c.related[oa.word], c.related[ob.word]
			alone := conceptsOf(x) == 1 && conceptsOf(y) == 1
			for i, j := 0, 0; i < len(x) && j < len(y); {
				switch kx, ky := x[i]>>16, y[j]>>16; {
				case kx < ky:
					i++
				case kx > ky:
					j++
				default:
					// Same concept: words of one phrase, or two words
					// that tell of this concept alone.
					if alone || samePhrase(x[i:], y[j:], kx) {
						k := int32(kx)
						if !slices.ContainsFunc(s.occ, func(o occurrence) bool { return o.concept == k && o.related }) {
							s.occ = append(s.occ, occurrence{concept: k, sp: span{oa.sp.i, ob.sp.j}, head: oa.sp, tail: ob.sp, related: true})
						}
					}
					for i < len(x) && x[i]>>16 == kx {
						i++
					}
					for j < len(y) && y[j]>>16 == kx {
						j++
					}
				}
			}
		}
	}
}

// samePhrase reports whether the sorted phrase ids x and y, from concept
// k on, share a phrase of k.
func samePhrase(x, y []uint32, k uint32) bool {
	for i, j := 0, 0; i < len(x) && j < len(y) && x[i]>>16 == k && y[j]>>16 == k; {
		switch {
		case x[i] < y[j]:
			i++
		case x[i] > y[j]:
			j++
		default:
			return true
		}
	}
	return false
}

// clauseBetween reports whether a clause break (a comma, a semicolon)
// falls after token i and up to token j.
func clauseBetween(s *scratch, i, j int32) bool {
	for k := i + 1; k <= j; k++ {
		if s.z.toks[k].brk&brkClause != 0 {
			return true
		}
	}
	return false
}
