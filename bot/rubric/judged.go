package rubric

import "slices"

// Credit is a concept another judge (the AI judge) credited, with the
// answer's own words that back it. The caller has checked that Evidence
// occurs in the answer at byte Offset.
type Credit struct {
	Concept  string `json:"concept"`
	Evidence string `json:"evidence"`
	Offset   int    `json:"offset"`
}

// Claim is a wrong claim another judge found in the answer, with the words
// that state it. ID names one of the rubric's red flags, or is empty for a
// mistake the rubric has no phrase for; Why says what is wrong with it.
type Claim struct {
	ID       string  `json:"id,omitempty"`
	Label    string  `json:"label,omitempty"`
	Evidence string  `json:"evidence"`
	Offset   int     `json:"offset"`
	Why      string  `json:"why,omitempty"`
	Penalty  float64 `json:"penalty,omitempty"` // DefaultFlagPenalty when 0
}

// Sources of a credit or a flag, shown beside it in the report.
const (
	SourceRubric = ""      // the rubric's phrases alone
	SourceJudge  = "judge" // the AI judge alone, with its quote
	SourceBoth   = "both"  // both found it
)

// MaxClaims bounds how many of another judge's claims one answer can be
// charged for: a model that objects to every sentence must not zero a
// step the rubric found sound.
const MaxClaims = 2

// ClaimFlagPrefix starts the id of a flag raised for a claim that names
// none of the rubric's red flags.
const ClaimFlagPrefix = "claim:"

// tokenSpan maps the bytes [off, off+n) of the text to the tokens they
// cover; ok is false when they cover none.
func (s *scratch) tokenSpan(off, n int) (span, bool) {
	toks := s.z.toks
	end := int32(off + n)
	i, _ := slices.BinarySearchFunc(toks, int32(off), func(t token, off int32) int {
		if t.oe <= off {
			return -1
		}
		return 1
	})
	j := i
	for j < len(toks) && toks[j].os < end {
		j++
	}
	if j == i {
		return noSpan, false
	}
	return span{int32(i), int32(j - 1)}, true
}

// echoedOrKilled reports whether sp touches a sentence that restates the
// prompt or raised a red flag: such words earn nothing, whoever credits them.
func (s *scratch) echoedOrKilled(sp span) bool {
	for _, k := range []int32{s.sent[sp.i], s.sent[sp.j]} {
		if s.echoed[k] || slices.Contains(s.killed, k) {
			return true
		}
	}
	return false
}

func overlaps(a, b span) bool { return a.i <= b.j && b.i <= a.j }

// applyClaims raises flags for another judge's claims that the rubric did
// not raise itself, at most MaxClaims, and returns their spans.
func (r *Rubric) applyClaims(a *Answer, s *scratch, g *StepGrade, raised []span) []span {
	var spans []span
	for _, cl := range a.Claims {
		if len(spans) == MaxClaims {
			break
		}
		sp, ok := s.tokenSpan(cl.Offset, len(cl.Evidence))
		if !ok || s.echoed[s.sent[sp.i]] || slices.ContainsFunc(raised, func(x span) bool { return overlaps(x, sp) }) ||
			slices.ContainsFunc(spans, func(x span) bool { return overlaps(x, sp) }) {
			continue
		}
		f := Flag{ID: cl.ID, Label: cl.Label, Evidence: cl.Evidence, Offset: cl.Offset, Penalty: cl.Penalty, Why: cl.Why, Source: SourceJudge}
		if k := slices.IndexFunc(r.RedFlags, func(rf RedFlag) bool { return rf.ID == cl.ID }); k >= 0 {
			if s.flagHit[k].i >= 0 {
				continue // the rubric raised it already, elsewhere: one mistake, one charge
			}
			f.Label, f.Penalty = r.RedFlags[k].Label, r.RedFlags[k].Penalty
		} else if cl.ID == "" {
			f.ID = ClaimFlagPrefix + "wrong"
		}
		if f.Label == "" {
			f.Label = "Wrong claim"
		}
		if f.Penalty == 0 {
			f.Penalty = DefaultFlagPenalty
		}
		spans = append(spans, sp)
		g.RedFlags = append(g.RedFlags, f)
		g.FlagPenalty += f.Penalty
	}
	return spans
}

// applyCredits records in s.judgeHit the concepts another judge credited
// that survive the rubric's rules: a known concept, words outside
// sentences that restate the prompt or state a mistake, and not the words
// with which the answer dismissed that concept.
func (r *Rubric) applyCredits(a *Answer, s *scratch, claimed []span) {
	for _, cr := range a.Credits {
		k := slices.IndexFunc(r.Concepts, func(c Concept) bool { return c.ID == cr.Concept })
		if k < 0 || s.judgeHit[k].i >= 0 {
			continue
		}
		sp, ok := s.tokenSpan(cr.Offset, len(cr.Evidence))
		if !ok || s.echoedOrKilled(sp) || slices.ContainsFunc(claimed, func(x span) bool { return overlaps(x, sp) }) {
			continue
		}
		if slices.ContainsFunc(s.dismissals, func(d occurrence) bool { return int(d.concept) == k && overlaps(d.sp, sp) }) {
			continue
		}
		s.judgeHit[k] = sp
	}
}
