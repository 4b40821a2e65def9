package rubric

import (
	"slices"
	"strings"
)

// Related words: a candidate who says an idea in words of their own often
// still uses two of the telling words of one of the concept's phrases
// close together ("split shoppers into two groups" for "split users into
// groups"). Two distinct such words of the same phrase, within
// relatedWindow tokens of one sentence, credit the concept, unless a
// phrase of another concept claims those words (see resolve) or the words
// are negated. A word is telling when it is no function word, has three
// letters or more, and belongs to at most relatedMaxShare concepts of the
// rubric: "model" or "data" tell nothing, "groups" in A/B test design does.
const (
	relatedWindow   = 6
	relatedMaxShare = 2
	relatedMinLen   = 3
)

// relatedStop are words too common to tell one concept from another.
var relatedStop = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields("a an the of to in on for and or is are be by with as at from that this it its we our i you they their them what which how when where who why than then so if not no do does did can could would should will just only into over under per each every any all some more most less few many much one two three new old same other own also very about up out off like use used using via vs versus between after before there here make makes made get gets take takes keep kept see show shown need needs way ways thing things first time times part set it's don't won't isn't can't doesn't i'd we'd we'll i'll well good better best really still even may might must been being was were has have had") {
		for _, t := range NormalizeTokens(w) {
			m[t] = true
		}
	}
	for _, w := range functionWords {
		for _, t := range NormalizeTokens(w) {
			m[t] = true
		}
	}
	return m
}()

// relatedContrast are words that make a phrase hinge on a contrast
// ("recall over precision", "matrix factorization won't"): its words,
// said together, can mean the very opposite, so such a phrase lends none.
var relatedContrast = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields("not no never without instead rather over than versus vs nor won't wont don't dont can't cant doesn't isn't aren't wouldn't shouldn't avoid against unless except beyond") {
		for _, t := range NormalizeTokens(w) {
			m[t] = true
		}
	}
	return m
}()

type relatedOcc struct {
	word int32
	sp   span
}

// relatedWords returns the telling words of concepts and, for each, the
// phrases it belongs to, each as concept<<16 | phrase, sorted. Words the
// candidate was given (the case prompt, the questions) tell nothing and
// are left out.
func relatedWords(concepts []Concept, given func(string) bool) (words []string, in [][]uint32) {
	perConcept := make([]map[string][]uint32, len(concepts))
	share := map[string]int{}
	for k, con := range concepts {
		perConcept[k] = map[string][]uint32{}
		for p, phrase := range con.Phrases {
			if strings.Contains(phrase, "*") {
				continue // a gap phrase says its own words must be apart
			}
			clean := strings.NewReplacer("&", " ", "|", " ").Replace(phrase)
			toks := NormalizeTokens(clean)
			if slices.ContainsFunc(toks, func(w string) bool { return relatedContrast[w] }) {
				continue
			}
			for _, w := range toks {
				if len(w) < relatedMinLen || relatedStop[w] || w[0] >= '0' && w[0] <= '9' || given(w) {
					continue
				}
				ids := perConcept[k][w]
				if id := uint32(k)<<16 | uint32(p); len(ids) == 0 || ids[len(ids)-1] != id {
					perConcept[k][w] = append(ids, id)
				}
			}
		}
		for w := range perConcept[k] {
			share[w]++
		}
	}
	index := map[string]int{}
	for k := range concepts {
		for w, ids := range perConcept[k] {
			if share[w] > relatedMaxShare {
				continue
			}
			i, ok := index[w]
			if !ok {
				i = len(words)
				index[w] = i
				words = append(words, w)
				in = append(in, nil)
			}
			in[i] = append(in[i], ids...)
		}
	}
	for i := range in {
		slices.Sort(in[i])
	}
	return words, in
}

// resolveRelated turns two telling words of one phrase, near each other
// in a sentence, into a mention of the phrase's concept.
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
			for i, j := 0, 0; i < len(x) && j < len(y); {
				switch {
				case x[i] < y[j]:
					i++
				case x[i] > y[j]:
					j++
				default:
					k := int32(x[i] >> 16)
					if !slices.ContainsFunc(s.occ, func(o occurrence) bool { return o.concept == k && o.related }) {
						s.occ = append(s.occ, occurrence{concept: k, sp: span{oa.sp.i, ob.sp.j}, head: oa.sp, tail: ob.sp, related: true})
					}
					i++
					j++
				}
			}
		}
	}
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
