package rubric

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
	brkArrow                      // ->, =>, →: the terse form of "leads to"
	brkColon                      // : relating a term to what follows
	brkAside                      // ( or ): an aside, which a negation does not reach into
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
	plain   bool // the open token is ASCII letters only, so it can be stemmed
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
	if z.plain && t.brk&brkJoined == 0 {
		n := stem(z.norm[t.ns:])
		z.norm = z.norm[:int(t.ns)+n]
	}
	t.ne = int32(len(z.norm))
	z.toks = append(z.toks, t)
}

// emitString appends normalised text that came from text[start:end].
func (z *tokenizer) emitString(s string, digit bool, start, end int) {
	z.begin(digit, start)
	z.norm = append(z.norm, s...)
	z.cur.oe = int32(end)
}

func (z *tokenizer) emitBytes(b []byte, digit bool, start, end int) {
	z.begin(digit, start)
	z.norm = append(z.norm, b...)
	z.cur.oe = int32(end)
	z.plain = false
}

func (z *tokenizer) begin(digit bool, start int) {
	if z.open && z.digit == digit {
		return
	}
	joined := z.open
	if joined {
		z.plain = false // "resnet50", "llama3": a word glued to digits stays whole
	}
	z.close()
	z.open = true
	z.digit = digit
	z.plain = !digit
	z.cur = token{ns: int32(len(z.norm)), os: int32(start), brk: z.pending}
	if joined {
		z.cur.brk |= brkJoined
	}
	z.pending = 0
}

// ASCII character classes, for the fast path.
const (
	clsSep       uint8 = iota // spaces, hyphens, slashes, quotes, symbols
	clsLetter                 // A-Z a-z
	clsDigit                  // 0-9
	clsJoin                   // apostrophes: "don't" → "dont"
	clsDot                    // . ends a sentence unless a letter or digit follows
	clsStop                   // ! ? ; newline
	clsComma                  // , :
	clsAt                     // @ reads "at"
	clsParen                  // ( ) open or close an aside
	clsArrowHead              // - or = that starts "->" or "=>"
)

var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = clsLetter, clsLetter
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = clsDigit
	}
	t['\''], t['`'] = clsJoin, clsJoin
	t['.'] = clsDot
	t['!'], t['?'], t[';'], t['\n'] = clsStop, clsStop, clsStop, clsStop
	t[','], t[':'] = clsComma, clsComma
	t['@'] = clsAt
	t['('], t[')'] = clsParen, clsParen
	t['-'], t['='] = clsArrowHead, clsArrowHead
	return t
}()

// tokenize appends the tokens of s.
func (z *tokenizer) tokenize(s string) {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, w := utf8.DecodeRuneInString(s[i:])
			z.unicode(r, i, i+w)
			i += w
			continue
		}
		switch asciiClass[c] {
		case clsLetter, clsDigit:
			// Take the whole run of one class at once.
			cls := asciiClass[c]
			j := i + 1
			for j < len(s) && s[j] < utf8.RuneSelf && asciiClass[s[j]] == cls {
				j++
			}
			if !z.open && cls == clsLetter && (j == len(s) || s[j] < utf8.RuneSelf && asciiClass[s[j]] != clsDigit && asciiClass[s[j]] != clsJoin) {
				// Fast path: a plain word with a separator after it.
				ns := len(z.norm)
				z.norm = append(z.norm, s[i:j]...)
				for k := ns; k < len(z.norm); k++ {
					z.norm[k] |= 0x20
				}
				z.norm = z.norm[:ns+stem(z.norm[ns:])]
				z.toks = append(z.toks, token{ns: int32(ns), ne: int32(len(z.norm)), os: int32(i), oe: int32(j), brk: z.pending})
				z.pending = 0
				i = j
				continue
			}
			z.begin(cls == clsDigit, i)
			n := len(z.norm)
			z.norm = append(z.norm, s[i:j]...)
			if cls == clsLetter {
				for k := n; k < len(z.norm); k++ {
					z.norm[k] |= 0x20 // lower case
				}
			}
			z.cur.oe = int32(j)
			i = j
			continue
		case clsJoin:
		case clsDot:
			// "0.5" and "node.js" are not sentence ends.
			if i+1 < len(s) && s[i+1] < utf8.RuneSelf && (asciiClass[s[i+1]] == clsLetter || asciiClass[s[i+1]] == clsDigit) {
				z.close()
			} else {
				z.brk(brkSentence)
			}
		case clsStop:
			z.brk(brkSentence)
		case clsComma:
			if c == ':' {
				z.brk(brkClause | brkColon)
			} else {
				z.brk(brkClause)
			}
		case clsArrowHead:
			if i+1 < len(s) && s[i+1] == '>' {
				z.brk(brkClause | brkArrow)
				i++
			} else {
				z.close()
			}
		case clsAt:
			z.close()
			z.emitString("at", false, i, i+1)
			z.close()
		case clsParen:
			z.brk(brkAside)
		default:
			z.close()
		}
		i++
	}
	z.close()
}

func isAlnum(c byte) bool {
	return c < utf8.RuneSelf && (asciiClass[c] == clsLetter || asciiClass[c] == clsDigit)
}

// ascii handles one ASCII character reached through full-width folding.
func (z *tokenizer) ascii(c byte, start, end int) {
	switch asciiClass[c] {
	case clsLetter:
		z.emitByte(c|0x20, false, start, end)
	case clsDigit:
		z.emitByte(c, true, start, end)
	case clsJoin:
	case clsDot, clsStop:
		z.brk(brkSentence)
	case clsComma:
		z.brk(brkClause)
	default:
		z.close()
	}
}

func (z *tokenizer) emitByte(b byte, digit bool, start, end int) {
	z.begin(digit, start)
	z.norm = append(z.norm, b)
	z.cur.oe = int32(end)
}

// isFullWidth reports whether r is a full-width form of an ASCII
// character; r - fullWidthOffset is that character.
func isFullWidth(r rune) bool { return r >= 0xFF01 && r <= 0xFF5E }

const fullWidthOffset = 0xFEE0

// isZeroWidth reports whether r is invisible: zero-width space, joiners,
// word joiner, byte-order mark, soft hyphen.
func isZeroWidth(r rune) bool {
	switch r {
	case 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD:
		return true
	}
	return false
}

// FoldWidth drops invisible characters and folds full-width ASCII, as the
// tokenizer does: "ｎｅｘｔ" and "n\u200bext" are "next".
func FoldWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case isZeroWidth(r):
			return -1
		case isFullWidth(r):
			return r - fullWidthOffset
		case r == 0x3000: // ideographic space
			return ' '
		}
		return r
	}, s)
}

func (z *tokenizer) unicode(r rune, start, end int) {
	switch {
	case isFullWidth(r):
		z.ascii(byte(r-fullWidthOffset), start, end)
		return
	case isZeroWidth(r):
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
	case 0x2018, 0x2019, 0x201B, 0x02BC, 0x2032, 0x00B4: // apostrophes
		return
	case 0x2026, 0x3002, 0x203C, 0x2047, 0x2048, 0x2049, 0x2028, 0x2029, 0x0085:
		z.brk(brkSentence)
		return
	case 0x3001, 0x2014: // 、 and the em dash, which starts a new statement ("X — the vocabulary doesn't change")
		z.brk(brkClause)
		return
	case 0x2192, 0x21D2, 0x27F6, 0x279C, 0x21D4, 0x2194: // → ⇒ ⟶ ➜ ⇔ ↔
		z.brk(brkClause | brkArrow)
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
// or singular, or turn into a negation; each maps to a stem no longer than
// the word. Never modified.
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
	"has": "has", "gas": "gas", "bus": "bus", "buses": "bus", "noting": "note",
	// Five-letter -ed forms the -ed rule leaves alone (it needs six letters
	// so that "noted" never becomes "not").
	"tuned": "tune", "based": "base", "named": "name", "saved": "save", "timed": "time",
	"sized": "size", "typed": "type", "voted": "vote", "rated": "rate", "hosted": "host", "added": "add",
	// "video clips" must not read as the CLIP model.
	"clips": "clips",
}

// exceptionFilter has bit len(w) set at [first][last] letter for every
// exception w, so most words skip the map lookup. Never modified.
var exceptionFilter = func() (f [26][26]uint32) {
	for w := range stemExceptions {
		f[w[0]-'a'][w[len(w)-1]-'a'] |= 1 << min(len(w), 31)
	}
	return f
}()

// stem shortens the lower-case ASCII word in b in place and returns its new
// length. It is deliberately light: plurals (-s, -es, -ies), -ing and -ed,
// and a final doubled consonant, enough for "labels/labelled/labeling" or
// "embeddings/embedded" to meet. A stem that lost a final "e"
// ("caching" → "cach") still meets "cache" because every phrase is also
// compiled without the final "e" of its words (see phraseVariants).
func stem(b []byte) int {
	n := len(b)
	if n < 3 {
		return n
	}
	if exceptionFilter[b[0]-'a'][b[n-1]-'a']&(1<<min(n, 31)) != 0 {
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
	if b[n-1] == 's' {
		switch {
		case n > 4 && b[n-2] == 'e' && b[n-3] == 'i':
			b[n-3] = 'y' // "queries" → "query"
			n -= 2
		case b[n-2] == 'e' && (hasSuffix(b, "sses") || hasSuffix(b, "ches") || hasSuffix(b, "shes") ||
			n > 4 && (b[n-3] == 'x' || b[n-3] == 'z')):
			n -= 2 // "batches" → "batch", "boxes" → "box"
		case b[n-2] == 's':
		default:
			n--
		}
		b = b[:n]
	}
	// -ing keeping three letters, -ed keeping four (so "noted" never
	// becomes "not"); the rest must hold a vowel ("string" stays).
	stripped := false
	switch b[n-1] {
	case 'g':
		if n >= 6 && b[n-2] == 'n' && b[n-3] == 'i' && hasVowel(b[:n-3]) {
			n -= 3
			stripped = true
		}
	case 'd':
		if n >= 6 && b[n-2] == 'e' && b[n-3] != 'e' && hasVowel(b[:n-2]) {
			n -= 2
			stripped = true
		}
	}
	b = b[:n]
	switch {
	case n >= 4 && b[n-1] == b[n-2] && !isVowel(b[n-1]) && b[n-1] != 's':
		n--
	case stripped && shortCVC(b):
		// "tuning" → "tune", "scaled" → "scale", as Porter's stemmer does,
		// so "mapping" ("map") never meets "mape".
		b = b[:n+1]
		b[n] = 'e'
		n++
	}
	return n
}

// shortCVC reports whether w is a stem of one syllable ending
// consonant-vowel-consonant (not w, x or y): "tun", "scal", "stor", "map".
func shortCVC(w []byte) bool {
	n := len(w)
	if n < 3 || isVowel(w[n-1]) || w[n-1] == 'w' || w[n-1] == 'x' || w[n-1] == 'y' || !isVowel(w[n-2]) || isVowel(w[n-3]) {
		return false
	}
	groups := 0
	for i, c := range w {
		if isVowel(c) && (i == 0 || !isVowel(w[i-1])) {
			groups++
		}
	}
	return groups == 1
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
