package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text normalisation shared by the grader and scenario validation.
//
// A text becomes a list of tokens: runs of letters, or runs of digits, folded
// to lower-case ASCII where a Latin letter carries an accent ("Café" → "cafe"),
// with apostrophes dropped inside words ("don't" → "dont"), and every other
// character (spaces, hyphens, slashes, quotes, symbols) separating tokens. A
// light stemmer then maps plurals and -ing/-ed forms onto one stem, so
// "embeddings", "embedded" and "embedding" all become "embed".
//
// Phrases are compared as the concatenation of their tokens, anchored on token
// boundaries, so "a/b test", "A/B testing", "ab test" and "a-b tests" are the
// same phrase, as are "re-ranking" and "reranking".

// Break kinds recorded on a token: what separated it from the token before.
const (
	brkClause   uint8 = 1 << iota // , or :
	brkSentence                   // . ! ? ; newline
	brkJoined                     // no separator at all: a letter/digit switch ("p99")
)

// token is one normalised word. ns:ne index the normalised bytes, os:oe the
// original text, so evidence can be quoted exactly as the candidate wrote it.
type token struct {
	ns, ne int32
	os, oe int32
	brk    uint8
}

// tokenizer turns text into tokens; its buffers are reused across calls.
type tokenizer struct {
	norm []byte
	toks []token

	open    bool
	digit   bool // class of the open token
	cur     token
	pending uint8 // break seen since the last token
}

func (z *tokenizer) reset() {
	z.norm = z.norm[:0]
	z.toks = z.toks[:0]
	z.open = false
	z.pending = 0
}

// text returns the normalised form of token t.
func (z *tokenizer) text(t token) []byte { return z.norm[t.ns:t.ne] }

func (z *tokenizer) brk(kind uint8) {
	z.close()
	z.pending |= kind
}

func (z *tokenizer) close() {
	if !z.open {
		return
	}
	z.open = false
	t := z.cur
	if !z.digit {
		n := stem(z.norm[t.ns:])
		z.norm = z.norm[:int(t.ns)+n]
	}
	t.ne = int32(len(z.norm))
	z.toks = append(z.toks, t)
}

// emitByte appends one normalised ASCII byte that came from text[start:end].
func (z *tokenizer) emitByte(b byte, digit bool, start, end int) {
	z.begin(digit, start)
	z.norm = append(z.norm, b)
	z.cur.oe = int32(end)
}

func (z *tokenizer) emitString(s string, digit bool, start, end int) {
	z.begin(digit, start)
	z.norm = append(z.norm, s...)
	z.cur.oe = int32(end)
}

func (z *tokenizer) emitBytes(b []byte, digit bool, start, end int) {
	z.begin(digit, start)
	z.norm = append(z.norm, b...)
	z.cur.oe = int32(end)
}

func (z *tokenizer) begin(digit bool, start int) {
	if z.open && z.digit == digit {
		return
	}
	joined := z.open
	z.close()
	z.open = true
	z.digit = digit
	z.cur = token{ns: int32(len(z.norm)), os: int32(start), brk: z.pending}
	if joined {
		z.cur.brk |= brkJoined
	}
	z.pending = 0
}

// tokenize appends the tokens of s.
func (z *tokenizer) tokenize(s string) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			z.ascii(s, c, i, i+1)
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		z.unicode(s, r, i, i+w)
		i += w
	}
	z.close()
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func (z *tokenizer) ascii(s string, c byte, start, end int) {
	switch {
	case 'a' <= c && c <= 'z':
		z.emitByte(c, false, start, end)
	case 'A' <= c && c <= 'Z':
		z.emitByte(c+'a'-'A', false, start, end)
	case '0' <= c && c <= '9':
		z.emitByte(c, true, start, end)
	case c == '\'' || c == '`':
		// Apostrophes join: "don't" → "dont", "user's" → "users".
	case c == '.':
		// "0.5" and "node.js" are not sentence ends.
		if end < len(s) && isAlnum(s[end]) {
			z.close()
		} else {
			z.brk(brkSentence)
		}
	case c == '!' || c == '?' || c == ';' || c == '\n':
		z.brk(brkSentence)
	case c == ',' || c == ':':
		z.brk(brkClause)
	case c == '@':
		// "recall@k" reads "recall at k".
		z.close()
		z.emitString("at", false, start, end)
		z.close()
	default:
		z.close()
	}
}

func (z *tokenizer) unicode(s string, r rune, start, end int) {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		z.ascii(s, byte(r-0xFEE0), start, end)
		return
	case r >= 0xC0 && r <= 0x17F:
		if f := latinFold[r-0xC0]; f != "" {
			z.emitString(f, false, start, end)
		} else {
			z.close() // × and ÷
		}
		return
	case r >= 0xFB00 && r <= 0xFB06:
		z.emitString(ligatures[r-0xFB00], false, start, end)
		return
	}
	switch r {
	case 0x2018, 0x2019, 0x201B, 0x02BC, 0x2032, 0x00B4, // apostrophes
		0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD: // zero-width, soft hyphen
		return
	case 0x2026, 0x3002, 0x203C, 0x2047, 0x2048, 0x2049, 0x2028, 0x2029, 0x0085:
		z.brk(brkSentence)
		return
	case 0x3001:
		z.brk(brkClause)
		return
	}
	switch {
	case unicode.Is(unicode.Mn, r):
		// Combining accents of decomposed text: "e\u0301" → "e".
	case unicode.IsLetter(r):
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], unicode.ToLower(r))
		z.emitBytes(buf[:n], false, start, end)
	case unicode.IsDigit(r):
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], r)
		z.emitBytes(buf[:n], true, start, end)
	default:
		z.close() // dashes, quotes, symbols, spaces
	}
}

var ligatures = [...]string{"ff", "fi", "fl", "ffi", "ffl", "st", "st"}

// latinFold maps U+00C0..U+017F to ASCII, lower-cased, accents removed
// (the NFKD base letters). Built once; never modified.
var latinFold = func() (t [0x17F - 0xC0 + 1]string) {
	set := func(lo, hi rune, s string) {
		for r := lo; r <= hi; r++ {
			t[r-0xC0] = s
		}
	}
	// Latin-1 Supplement, upper then lower case.
	for _, base := range []rune{0xC0, 0xE0} {
		set(base+0x00, base+0x05, "a")
		set(base+0x06, base+0x06, "ae")
		set(base+0x07, base+0x07, "c")
		set(base+0x08, base+0x0B, "e")
		set(base+0x0C, base+0x0F, "i")
		set(base+0x10, base+0x10, "d")
		set(base+0x11, base+0x11, "n")
		set(base+0x12, base+0x16, "o")
		set(base+0x18, base+0x18, "o")
		set(base+0x19, base+0x1C, "u")
		set(base+0x1D, base+0x1D, "y")
		set(base+0x1E, base+0x1E, "th")
	}
	set(0xDF, 0xDF, "ss")
	set(0xFF, 0xFF, "y")
	// Latin Extended-A.
	for _, g := range []struct {
		lo, hi rune
		s      string
	}{
		{0x100, 0x105, "a"}, {0x106, 0x10D, "c"}, {0x10E, 0x111, "d"},
		{0x112, 0x11B, "e"}, {0x11C, 0x123, "g"}, {0x124, 0x127, "h"},
		{0x128, 0x131, "i"}, {0x132, 0x133, "ij"}, {0x134, 0x135, "j"},
		{0x136, 0x138, "k"}, {0x139, 0x142, "l"}, {0x143, 0x14B, "n"},
		{0x14C, 0x151, "o"}, {0x152, 0x153, "oe"}, {0x154, 0x159, "r"},
		{0x15A, 0x161, "s"}, {0x162, 0x167, "t"}, {0x168, 0x173, "u"},
		{0x174, 0x175, "w"}, {0x176, 0x178, "y"}, {0x179, 0x17E, "z"},
		{0x17F, 0x17F, "s"},
	} {
		set(g.lo, g.hi, g.s)
	}
	return t
}()

// stemExceptions are words the suffix rules would split from their plural
// or singular; each maps to a stem no longer than the word. Never modified.
var stemExceptions = map[string]string{
	"bias": "bias", "biases": "bias", "alias": "alias", "aliases": "alias",
	"canvas": "canvas", "atlas": "atlas", "lens": "lens", "lenses": "lens",
	"status": "status", "statuses": "status", "focus": "focus", "focuses": "focus",
	"bonus": "bonus", "bonuses": "bonus", "corpus": "corpus", "corpora": "corpus",
	"virus": "virus", "viruses": "virus", "campus": "campus", "census": "census",
	"consensus": "consensus", "radius": "radius", "analysis": "analysis",
	"analyses": "analysis", "basis": "basis", "axis": "axis", "axes": "axis",
	"hypothesis": "hypothesis", "hypotheses": "hypothesis", "thesis": "thesis",
	"diagnosis": "diagnosis", "crisis": "crisis", "crises": "crisis",
	"emphasis": "emphasis", "synopsis": "synopsis", "index": "index",
	"indices": "index", "indexes": "index", "matrix": "matrix", "matrices": "matrix",
	"vertex": "vertex", "vertices": "vertex", "series": "series", "species": "species",
	"news": "news", "this": "this", "always": "always", "perhaps": "perhaps",
	"plus": "plus", "minus": "minus", "embed": "embed", "embeds": "embed",
	"does": "does", "goes": "goes", "yes": "yes", "its": "its", "was": "was",
	"has": "has", "is": "is", "us": "us", "gas": "gas", "bus": "bus",
}

// stem shortens the lower-case word in b in place and returns its new length.
// It is deliberately light: plurals, -ing, -ed, a final -e and a final
// doubled consonant, enough for "caches/caching/cache" or
// "labelled/labeling/labels" to meet. Words with non-ASCII letters are left
// alone.
func stem(b []byte) int {
	n := len(b)
	if n < 3 {
		return n
	}
	for _, c := range b {
		if c < 'a' || c > 'z' {
			return n
		}
	}
	if last := b[n-1]; last == 's' || last == 'd' || last == 'x' || last == 'a' {
		if s, ok := stemExceptions[string(b)]; ok {
			return copy(b, s)
		}
	}
	if n == 3 {
		if b[2] == 's' && b[1] != 's' {
			return 2 // "ads" → "ad", "ids" → "id"
		}
		return n
	}
	// Plurals.
	switch {
	case n > 4 && hasSuffix(b, "ies"):
		b[n-3] = 'y'
		n -= 2
	case hasSuffix(b, "sses"):
		n -= 2
	case hasSuffix(b, "ss"):
	case b[n-1] == 's':
		n--
	}
	b = b[:n]
	// -ing and -ed, keeping at least three letters and a vowel.
	switch {
	case n >= 6 && hasSuffix(b, "ing") && hasVowel(b[:n-3]):
		n -= 3
	case n >= 5 && hasSuffix(b, "ed") && !hasSuffix(b, "eed") && hasVowel(b[:n-2]):
		n -= 2
	}
	b = b[:n]
	if n >= 4 && b[n-1] == 'e' {
		n--
	}
	if n >= 4 && b[n-1] == b[n-2] && !isVowel(b[n-1]) && b[n-1] != 's' {
		n--
	}
	return n
}

func hasSuffix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[len(b)-len(s):]) == s
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

func hasVowel(b []byte) bool {
	for _, c := range b {
		if isVowel(c) {
			return true
		}
	}
	return false
}

// NormalizeTokens returns the normalised, stemmed tokens of s, the form in
// which answers and phrases are compared: NormalizeTokens("A/B-Testing's
// results") is ["a", "b", "test", "result"].
func NormalizeTokens(s string) []string {
	var z tokenizer
	z.tokenize(s)
	out := make([]string, len(z.toks))
	for i, t := range z.toks {
		out[i] = string(z.text(t))
	}
	return out
}

// NormalizeText is NormalizeTokens joined by single spaces.
func NormalizeText(s string) string { return strings.Join(NormalizeTokens(s), " ") }

// CountWords counts the words of s as the grader does for minimum lengths.
func CountWords(s string) int {
	var z tokenizer
	z.tokenize(s)
	return wordCount(z.toks)
}

func wordCount(toks []token) int {
	n := 0
	for _, t := range toks {
		if t.brk&brkJoined == 0 {
			n++
		}
	}
	return n
}
