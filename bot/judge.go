package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

// Judge is the optional AI judge: a language model reads one answer
// against its rubric. bot/llm implements it over any OpenAI-compatible
// endpoint. Nothing it says is trusted: the bot checks every quote against
// the answer (see Verify) before any of it reaches a score.
type Judge interface {
	Judge(ctx context.Context, req JudgeRequest) (JudgeVerdict, error)
}

// JudgeRequest is what the model is told. Answer is the candidate's text
// alone, verbatim: implementations send it as its own message, as data,
// never inside the instructions.
type JudgeRequest struct {
	Case     string // the case title
	Prompt   string // the case prompt
	Step     string // "Step 4/7 — Model", "Wrap-up — Bottlenecks"
	Question string
	Concepts []JudgeConcept
	RedFlags []JudgeFlag
	Answer   string
}

// JudgeConcept is one rubric concept as the model sees it.
type JudgeConcept struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Earns string `json:"earns"` // what earns it, in words
}

// JudgeFlag is one of the rubric's red flags as the model sees it.
type JudgeFlag struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// JudgeVerdict is the model's structured reply, unchecked.
type JudgeVerdict struct {
	Credits         []JudgedCredit `json:"credits"`
	Flags           []JudgedFlag   `json:"flags"`
	FollowUp        string         `json:"follow_up"`
	FollowUpConcept string         `json:"follow_up_concept"`
	Summary         string         `json:"summary"`
	// Tokens is what the call cost (prompt + completion), for the budget.
	Tokens int `json:"-"`
}

// JudgedCredit is a concept the model says the answer earned.
type JudgedCredit struct {
	Concept string `json:"concept"`
	Quote   string `json:"quote"`
	Stance  string `json:"stance"` // StanceEndorses or StanceRejects
}

// JudgedFlag is a mistake the model found: a rubric red flag's id, or ""
// with Why for a wrong claim the rubric has no phrase for.
type JudgedFlag struct {
	ID    string `json:"id"`
	Quote string `json:"quote"`
	Why   string `json:"why"`
}

// Stances a judged credit may take; only an endorsement earns.
const (
	StanceEndorses = "endorses"
	StanceRejects  = "rejects"
)

// Reasons a judge call fails, as JudgeError.Reason and metric labels.
const (
	JudgeTimeout     = "timeout"
	JudgeRateLimited = "rate_limited"
	JudgeUnavailable = "unavailable"
	JudgeBadOutput   = "bad_output"
)

// JudgeError is a failed judge call; the answer is then graded by the
// rubric alone.
type JudgeError struct {
	Reason string
	// RetryAfter is how long the endpoint asked callers to wait, if it did.
	RetryAfter time.Duration
	Err        error
}

func (e *JudgeError) Error() string {
	if e.Err == nil {
		return "ai judge: " + e.Reason
	}
	return "ai judge: " + e.Reason + ": " + e.Err.Error()
}

func (e *JudgeError) Unwrap() error { return e.Err }

// judgeFailure names why a judge call failed.
func judgeFailure(err error) string {
	var je *JudgeError
	switch {
	case errors.As(err, &je):
		return je.Reason
	case errors.Is(err, context.DeadlineExceeded):
		return JudgeTimeout
	}
	return JudgeUnavailable
}

// Judgment is what survived the evidence check of one reading of an
// answer, kept with the answer so every later grading of it (the probe
// choice, practice feedback, the report) applies the same credits.
type Judgment struct {
	Credits  []rubric.Credit `json:"credits,omitempty"`
	Claims   []rubric.Claim  `json:"claims,omitempty"`
	FollowUp string          `json:"follow_up,omitempty"`
	Summary  string          `json:"summary,omitempty"`
	// Offline says why the latest text was graded by the rubric alone
	// (credits of an earlier reading of the answer's start still hold:
	// answers only grow).
	Offline string `json:"offline,omitempty"`
	// Length is the length of the text it read; a judgment for another
	// text is not applied.
	Length int `json:"length"`
}

// Evidence-check limits.
const (
	// MinQuoteWords: a shorter quote ("use XGBoost") can back anything.
	MinQuoteWords = 4
	// MaxConceptsPerQuote: one sentence rarely makes more than two points;
	// a quote used for more is the model crediting everything at once.
	MaxConceptsPerQuote = 2
	// MaxFollowUpRunes bounds a model-written follow-up question.
	MaxFollowUpRunes = 300
	maxSummaryRunes  = 200
	maxWhyRunes      = 200
)

// errJudgeOutput marks a verdict discarded whole.
var errJudgeOutput = errors.New("verdict discarded")

// Verify checks a verdict against the answer it is about: every quote
// must occur in text (whitespace and case folded) and be at least
// MinQuoteWords long; unknown concept ids and rejections earn nothing; a
// verdict that quotes nothing it claims, or credits more than
// MaxConceptsPerQuote concepts with one span, is discarded whole. It
// returns the judgment and how many quotes it rejected.
func Verify(v JudgeVerdict, r *rubric.Rubric, text string) (Judgment, int, error) {
	if r == nil {
		return Judgment{}, 0, errJudgeOutput
	}
	l, rejected, err := locate(v, text)
	if err != nil {
		return Judgment{}, rejected, err
	}
	j := l.judgment(r, text, "", true)
	j.Summary = clip(plainText(v.Summary), maxSummaryRunes)
	j.FollowUp = followUp(v, r, text, j.Credits)
	return j, rejected, nil
}

// located is a verdict whose quotes were all found in the answer.
type located struct {
	credits []locatedQuote // endorsements only
	flags   []locatedQuote
}

type locatedQuote struct {
	id, why string
	off, n  int
}

// locate finds every quote of v in text and applies the checks that
// concern the verdict as a whole.
func locate(v JudgeVerdict, text string) (located, int, error) {
	var l located
	folded := foldText(text)
	rejected, quoted, claimed := 0, 0, 0
	perSpan := map[int]int{}
	for _, c := range v.Credits {
		if c.Stance != StanceEndorses && c.Stance != StanceRejects {
			return located{}, rejected, fmt.Errorf("%w: stance %q", errJudgeOutput, c.Stance)
		}
		claimed++
		off, n, ok := folded.find(c.Quote)
		if !ok {
			rejected++
			continue
		}
		quoted++
		if perSpan[off]++; perSpan[off] > MaxConceptsPerQuote {
			return located{}, rejected, fmt.Errorf("%w: one quote credits %d concepts", errJudgeOutput, perSpan[off])
		}
		if c.Stance == StanceEndorses {
			l.credits = append(l.credits, locatedQuote{id: c.Concept, off: off, n: n})
		}
	}
	for _, f := range v.Flags {
		claimed++
		off, n, ok := folded.find(f.Quote)
		if !ok {
			rejected++
			continue
		}
		quoted++
		l.flags = append(l.flags, locatedQuote{id: f.ID, why: clip(plainText(f.Why), maxWhyRunes), off: off, n: n})
	}
	if claimed > 0 && quoted == 0 {
		return located{}, rejected, fmt.Errorf("%w: no quote found in the answer", errJudgeOutput)
	}
	return l, rejected, nil
}

// judgment keeps what r knows: credits and flags whose ids, with prefix
// removed, are r's; free-text claims (no id) too when freeText is set.
func (l located) judgment(r *rubric.Rubric, text, prefix string, freeText bool) Judgment {
	var j Judgment
	for _, c := range l.credits {
		id, ok := strings.CutPrefix(c.id, prefix)
		if ok && slices.ContainsFunc(r.Concepts, func(x rubric.Concept) bool { return x.ID == id }) {
			j.Credits = append(j.Credits, rubric.Credit{Concept: id, Evidence: text[c.off : c.off+c.n], Offset: c.off})
		}
	}
	for _, f := range l.flags {
		id, ok := strings.CutPrefix(f.id, prefix)
		switch {
		case ok && f.id != "" && slices.ContainsFunc(r.RedFlags, func(x rubric.RedFlag) bool { return x.ID == id }):
		case freeText && f.why != "" && (f.id == "" || !strings.Contains(f.id, "/")):
			id = "" // a claim the rubric has no flag for; it must say what is wrong
		default:
			continue
		}
		j.Claims = append(j.Claims, rubric.Claim{ID: id, Evidence: text[f.off : f.off+f.n], Offset: f.off, Why: f.why})
	}
	return j
}

// followUp returns the model's follow-up question when it is fit to ask:
// one question, under MaxFollowUpRunes, plain text, and not about a
// concept the answer already earned.
func followUp(v JudgeVerdict, r *rubric.Rubric, text string, credits []rubric.Credit) string {
	q := plainText(v.FollowUp)
	if q == "" || utf8.RuneCountInString(q) >= MaxFollowUpRunes || strings.Count(q, "?") != 1 || !strings.HasSuffix(q, "?") {
		return ""
	}
	earned := map[string]bool{}
	for _, m := range r.Grade(rubric.Answer{Text: text, Credits: credits}).Matches {
		earned[m.Concept] = true
	}
	if earned[v.FollowUpConcept] {
		return ""
	}
	// A question that names only concepts already earned asks for what
	// was just said, whatever concept the model says it is about.
	mentions := r.Mentions(q)
	for _, m := range mentions {
		if !earned[m.Concept] {
			return q
		}
	}
	if len(mentions) > 0 {
		return ""
	}
	return q
}

// plainText makes model output safe to show: one line, no markup, links
// or mentions that could ping anyone.
func plainText(s string) string {
	s = pingWords.ReplaceAllString(s, "")
	var b strings.Builder
	for _, w := range strings.Fields(s) {
		lw := strings.ToLower(w)
		if strings.Contains(lw, "://") || strings.HasPrefix(lw, "www.") {
			continue
		}
		w = strings.Map(func(r rune) rune {
			switch {
			case strings.ContainsRune("<>@*_~`|[]#", r), unicode.IsControl(r), r >= 0x200B && r <= 0x200F, r == 0x2060, r == 0xFEFF:
				return -1
			}
			return r
		}, w)
		if w == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return spaceBeforePunct.Replace(b.String())
}

// spaceBeforePunct closes the gaps a removed mention leaves ("code ?").
var spaceBeforePunct = strings.NewReplacer(" ?", "?", " ,", ",", " .", ".", " !", "!")

// pingWords are Slack and Discord mention syntax and @-words.
var pingWords = regexp.MustCompile(`<[@#!&][^>]*>|@[\pL\pN_.-]+`)

// foldedText is an answer lower-cased with whitespace runs collapsed,
// with the byte offset in the original text of each folded byte.
type foldedText struct {
	text string
	orig []int // len(text)+1 entries; orig[len] is the end of the original
	end  []int // per folded byte: the original end of its rune
}

func foldText(s string) foldedText {
	var b strings.Builder
	f := foldedText{}
	space := false
	for i, r := range s {
		size := utf8.RuneLen(r)
		if size < 0 {
			size = 1
		}
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			f.orig = append(f.orig, i)
			f.end = append(f.end, i)
			space = false
		}
		n := b.Len()
		b.WriteString(string(unicode.ToLower(r)))
		for range b.Len() - n {
			f.orig = append(f.orig, i)
			f.end = append(f.end, i+size)
		}
	}
	f.text = b.String()
	return f
}

// find locates quote in the folded text and returns its byte offset and
// length in the original; quotes shorter than MinQuoteWords are refused.
func (f foldedText) find(quote string) (off, n int, ok bool) {
	q := foldText(strings.Trim(strings.TrimSpace(quote), "\"'“”‘’«»")).text
	q = strings.TrimSuffix(strings.TrimPrefix(q, "..."), "...")
	q = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(q, "…"), "…"))
	if len(strings.Fields(q)) < MinQuoteWords {
		return 0, 0, false
	}
	at := strings.Index(f.text, q)
	if at < 0 {
		return 0, 0, false
	}
	start, end := f.orig[at], f.end[at+len(q)-1]
	return start, end - start, true
}

// AddressedGraderID is the flag raised on an answer that talks to the
// grader instead of the interviewer ("ignore previous instructions").
const AddressedGraderID = "addressed_grader"

// graderAddresses are the words of an answer that speaks to its grader
// rather than about the design, folded like foldText.
var graderAddresses = []string{
	"ignore previous instructions", "ignore all previous", "ignore the previous", "ignore all prior",
	"ignore your instructions", "ignore the above", "ignore the rubric", "disregard previous",
	"disregard all previous", "disregard the above", "disregard your instructions", "disregard the rubric",
	"forget your instructions", "forget all previous", "new instructions:",
	"full marks", "give this answer", "give me 100", "score this answer", "grade this answer",
	"rate this answer", "mark this answer", "maximum score", "perfect score", "give it 100",
	"you are now a", "you are now an", "you are now the", "you are a grader", "as the grader",
	"dear grader", "to the grader", "the grader should", "note to the judge", "the judge should",
	"dear judge", "to the ai judge", "credit every concept", "credit all concepts", "mark every concept",
	"<system>", "</system>", "[system]", "[inst]", "<|im_start|>", "<|system|>",
	`"credits":`, `"credits" :`, `"stance":`, `"follow_up":`, `{"concept":`, `"concept":`,
}

// aboutAttacks are words that make a sentence a discussion of prompt
// injection (a fair point in an LLM design), not an attempt at one.
var aboutAttacks = []string{"inject", "jailbreak", "attack", "red team", "red-team", "adversarial", "such as", "e.g.", "for example", "like \"", "like “"}

// AddressesGrader finds words of text that speak to the grader; the
// answer is then graded by the rubric alone and flagged.
func AddressesGrader(text string) (rubric.Claim, bool) {
	// Every grading asks, and almost no answer does it: look for the
	// words first in a plain folded copy (the same text foldText makes,
	// without the offset maps), and map offsets only on a hit.
	flat := strings.Join(strings.Fields(strings.ToLower(text)), " ")
	if !slices.ContainsFunc(graderAddresses, func(p string) bool { return strings.Contains(flat, p) }) {
		return rubric.Claim{}, false
	}
	f := foldText(text)
	for _, p := range graderAddresses {
		from := 0
		for {
			at := strings.Index(f.text[from:], p)
			if at < 0 {
				break
			}
			at += from
			from = at + len(p)
			if discussesAttacks(f.text, at) {
				continue
			}
			start, end := f.orig[at], f.end[at+len(p)-1]
			return rubric.Claim{
				ID: AddressedGraderID, Label: "Addressed the grader", Evidence: text[start:end], Offset: start,
				Why: "an answer is for the interviewer: instructions to the grader earn nothing and the AI judge does not read them",
			}, true
		}
	}
	return rubric.Claim{}, false
}

// discussesAttacks reports whether the sentence around folded offset at
// talks about attacks on a model rather than making one.
func discussesAttacks(folded string, at int) bool {
	start := strings.LastIndexAny(folded[:at], ".!?\n") + 1
	end := len(folded)
	if e := strings.IndexAny(folded[at:], ".!?\n"); e >= 0 {
		end = at + e
	}
	sentence := folded[start:end]
	for _, w := range aboutAttacks {
		if strings.Contains(sentence, w) {
			return true
		}
	}
	return false
}
