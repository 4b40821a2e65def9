package rubric

// MaxQuoteBytes bounds a quoted sentence in feedback.
const MaxQuoteBytes = 160

// SentenceAround widens text[from:to] to the whole sentence (or sentences)
// around it, keeping the full stop: the grader's own sentence breaks.
func SentenceAround(text string, from, to int) (start, end int) {
	start, end = from, to
	for start > 0 && !sentenceEnd(text, start-1) {
		start--
	}
	for end < len(text) && !sentenceEnd(text, end) {
		end++
	}
	if end < len(text) && text[end] != '\n' {
		end++ // keep the full stop
	}
	return start, end
}

// QuoteSentence widens evidence at text[off:off+n] to its sentence, at most
// MaxQuoteBytes long, cut at spaces. The result is still a verbatim
// substring of text, returned with its offset.
func QuoteSentence(text string, off, n int) (string, int) {
	start, end := SentenceAround(text, off, off+n)
	if end-start > MaxQuoteBytes {
		room := max(0, MaxQuoteBytes-n) / 2
		if s := off - room; s > start {
			start = s
			for start < off && text[start-1] != ' ' {
				start++
			}
		}
		if e := off + n + room; e < end {
			end = e
			for end > off+n && text[end] != ' ' {
				end--
			}
		}
	}
	for start < off && (text[start] == ' ' || text[start] == '\n' || text[start] == '\t') {
		start++
	}
	for end > off+n && (text[end-1] == ' ' || text[end-1] == '\n' || text[end-1] == '\t') {
		end--
	}
	return text[start:end], start
}

func sentenceEnd(text string, i int) bool {
	switch text[i] {
	case '\n', '!', '?', ';':
		return true
	case '.':
		return i+1 >= len(text) || !isAlnum(text[i+1])
	}
	return false
}
