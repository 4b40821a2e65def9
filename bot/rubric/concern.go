package rubric

import (
	"slices"
	"strings"
)

// DismissedConcernFlag is the id of the flag raised for a concern the
// case's constraints state, dismissed outright (Spec.Concerns).
const DismissedConcernFlag = "dismissed_concern"

// concernWindow is how many tokens before an outright dismissal a word of
// the stated constraints may sit as its subject: "camera photos versus
// catalogue shots doesn't really matter".
const concernWindow = 6

// concernFlags raises DismissedConcernFlag once, at the first sentence
// that dismisses outright ("is a nice-to-have", "doesn't really matter",
// "isn't worth it") a thing named by a word of the case's constraints,
// in the same clause; later ones are its Again. A sentence that already
// raised a flag, a question and words copied from the prompt raise none.
func concernFlags(text string, s *scratch) []Flag {
	if len(s.concerns) == 0 || len(s.outright) == 0 {
		return nil
	}
	var out []Flag
	for _, d := range s.outright {
		sent := s.sent[d.i]
		if s.echoed[sent] || slices.Contains(s.killed, sent) || inQuestion(text, s, d) {
			continue
		}
		subject := int32(-1)
		for _, c := range s.concerns {
			if c.j < d.i && d.i-c.j <= concernWindow && c.i > subject {
				subject = c.i
			}
		}
		if subject < 0 || negatedBy(s, subject, tfNegEnd) || s.sent[subject] != sent || clauseBetween(s, subject, d.i) {
			continue
		}
		ev, off := s.quote(text, span{subject, d.j})
		if len(out) == 0 {
			out = append(out, Flag{ID: DismissedConcernFlag, Label: "Dismisses a concern the case states",
				Evidence: ev, Offset: off, Penalty: DismissPenalty, Dismissed: true})
		} else {
			out[0].Again = append(out[0].Again, Quote{Evidence: ev, Offset: off})
		}
		s.killed = append(s.killed, sent)
	}
	return out
}

// concernStop are words of a constraint that name no concern of their own:
// units, amounts, time and the parts every design has.
var concernStop = normalizedSet(strings.Fields("must within never always least under model models system systems data user users people person team teams request requests time times second seconds millisecond milliseconds minute minutes hour hours day days week weeks month months year years rate rates share percent million millions billion billions thousand thousands only both also keep kept come comes back stay stays case cases today still every each"))

// ConcernWords are the words of a case's stated constraints that can name
// a concern ("explainable", "privacy", "appeal"): letters only, four or
// more, no function word and no unit or system word. Each is returned as
// written, once per normalised form.
func ConcernWords(constraints string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(constraints), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r == '\'' || r == '-')
	}) {
		w = strings.Trim(w, "'-")
		if len(w) < 4 || strings.ContainsAny(w, "'-") {
			continue
		}
		n := NormalizeTokens(w)
		if len(n) != 1 || relatedStop[n[0]] || concernStop[n[0]] || seen[n[0]] {
			continue
		}
		seen[n[0]] = true
		out = append(out, w)
		// The quality's noun: "explainable" states "explainability".
		for _, end := range [...][2]string{{"able", "ability"}, {"ible", "ibility"}} {
			if stem, ok := strings.CutSuffix(w, end[0]); ok {
				out = append(out, stem+end[1])
			}
		}
	}
	return out
}
