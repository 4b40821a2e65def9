// Package rubric is MLSD's deterministic grader: it normalises an answer,
// matches it against a step's concepts and red flags, settles the stance of
// every mention (endorsed, negated, dismissed, rejected) and scores it. It
// knows nothing of interviews, sessions or platforms; package bot builds
// rubrics from scenarios and turns grades into reports. Standard library only.
package rubric

import (
	"errors"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Concept is one rubric item: a thing a good answer mentions.
type Concept struct {
	ID     string  `yaml:"id"`
	Label  string  `yaml:"label"`
	Weight float64 `yaml:"weight"`
	// Important concepts trigger their probe when missing.
	Important bool `yaml:"important"`
	// Phrases are synonyms; any one of them matching credits the concept.
	Phrases []string `yaml:"phrases"`
	// Study is the gap phrased as a question, shown in the report when the
	// concept is missed. Defaults to "What about <label>?".
	Study string `yaml:"study"`
	// Override marks a scenario concept that deliberately replaces the
	// framework concept with the same id in the same step; without it a
	// clash is reported as a duplicate id.
	Override bool `yaml:"override,omitempty"`
}

// RedFlag is a named mistake detected by its phrases; it costs Penalty
// (default 0.1) of the step score.
type RedFlag struct {
	ID      string   `yaml:"id"`
	Label   string   `yaml:"label"`
	Phrases []string `yaml:"phrases"`
	Penalty float64  `yaml:"penalty"`
	// Unless phrases mark a sentence where the flag's words mean something
	// sound: "split users at random into treatment and control" is an
	// experiment, not a random train/test split. A sentence with one of
	// them does not raise the flag.
	Unless []string `yaml:"unless,omitempty"`
	// Dismissed names the sound practice whose dismissal is this mistake
	// (no_baseline: "benchmark against", "baseline"): a mention of one
	// that is dismissed ("no need to benchmark against it", "comparing
	// against the old system isn't really necessary") raises the flag
	// in any step. Plain words only; a rejection still excuses it ("it
	// would be a mistake to skip the baseline").
	Dismissed []string `yaml:"dismissed,omitempty"`
}

// Terms are the framework-wide word lists every rubric shares.
type Terms struct {
	// ModelTerms name models and architectures (the jumped-to-model pitfall).
	ModelTerms []string
	// Justification cues ("because", "trade-off", ...) show reasoning.
	Justification []string
	// Negations cancel a mention that follows within three words.
	Negations []string
	// Dismissals cancel a mention they follow in the same clause
	// ("latency is not needed").
	Dismissals []string
	// Deferrals are the Dismissals that only put a thing off ("can
	// wait", "revisit later"): a plan may do that to a stated concern,
	// so they do not raise DismissedConcernFlag (Spec.Concerns).
	Deferrals []string
	// RejectionsBefore keep a red flag from being raised when they end
	// just before its phrase ("avoid a random split").
	RejectionsBefore []string
	// Rejections keep a red flag from being raised when they follow its
	// phrase in the same clause ("a random split leaks the future").
	Rejections []string
	// DismissalsBefore are dismissive verbs: a mention they end just
	// before is dismissed, not credited ("skip the baseline", "no need
	// for monitoring"), and an important concept dismissed is flagged.
	DismissalsBefore []string
	// Tradeoffs and FailureModes are signs of depth: an alternative or
	// cost weighed ("at the cost of", "rather than"), a failure named
	// ("falls back", "if it times out").
	Tradeoffs, FailureModes []string
	// Synonyms are groups of interchangeable terms, applied to every
	// concept and red-flag phrase: "pr auc", "average precision".
	Synonyms [][]string
	// GenericTerms are system words that fit any design ("shard",
	// "cache", "retrain"): a match made of one of them alone is marked
	// Generic, even on a case concept.
	GenericTerms []string
}

// Lexicon is a compiled Terms, shared by every rubric of a framework.
type Lexicon struct {
	negations, unnegations, cues, nonCues, models, funcs [][]byte
	dismissals, rejectBefore, rejections, breakers       [][]byte
	dismissBefore, tradeoffs, failures                   [][]byte
	concernDismissals                                    [][]byte               // Dismissals but Deferrals
	synonyms                                             [][][]string           // group → member → words
	generic                                              map[string]bool        // normalised keys of GenericTerms
	modelWords                                           map[string]bool        // one-word model terms, normalised
	synFirst                                             map[string][]synMember // thesaurus members by first word

	mu    sync.Mutex            // guards cache
	cache map[string][][]string // expand results by phrase: the framework's phrases repeat in every scenario
}

// Spec is what one rubric is compiled from.
type Spec struct {
	Concepts []Concept
	// Own is how many of the first Concepts are the case's own (they win
	// words shared with a framework concept).
	Own      int
	RedFlags []RedFlag
	// Saturation is the share of the total concept weight that earns full
	// coverage; 0 means DefaultSaturation.
	Saturation float64
	// MinWords: shorter answers are scaled down; 0 means MinWords.
	MinWords int
	// MinConcepts: an answer crediting fewer concepts is capped at
	// FewConceptsCap (wrap-up answers); 0 means no minimum.
	MinConcepts    int
	FewConceptsCap float64
	// Echo, when set, is the case prompt: sentences copied from it earn
	// nothing (see Echo). One Echo may be shared by many rubrics.
	Echo *Echo
	// Questions are the questions the answers reply to: a figure they
	// give ("traffic grows 10×", "30 accounts") is not a figure of the
	// candidate's own, so repeating it shows no depth.
	Questions string
	// Related: two telling words of one of a concept's phrases near each
	// other in a sentence credit it too (related.go). Words of Echo's
	// text, of Questions and of Asked (the step's question) are given,
	// and tell nothing.
	Related bool
	Asked   string
	// Concerns are words the case's stated constraints use
	// (ConcernWords): one of them, dismissed outright in its clause
	// ("explainability is a nice-to-have"), raises DismissedConcernFlag.
	Concerns []string
}

var errNoLexicon = errors.New("rubric: no lexicon")

// StudyQuestion is the concept phrased as a question to study: its Study
// text, or "What about <label>?".
func (c Concept) StudyQuestion() string {
	if s := strings.TrimSpace(c.Study); s != "" {
		return s
	}
	return "What about " + lowerFirst(strings.TrimSpace(c.Label)) + "?"
}

// lowerFirst lower-cases the first letter unless the word is an acronym.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	if r2, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsUpper(r2) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}
