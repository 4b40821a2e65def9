package slack

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Slack's limits that rendering respects (Block Kit reference).
const (
	maxSectionText = 3000 // section and context text
	maxFieldText   = 2000
	maxFields      = 10
	maxHeaderText  = 150
	maxButtonText  = 75
	maxButtonValue = 2000
	maxButtons     = 25
	maxBlocks      = 50  // per message
	maxViewBlocks  = 100 // per modal or Home tab
	maxPlainText   = 3900
	maxFallback    = 3000 // notification text of a message with blocks
	maxModalTitle  = 24
	maxInputLabel  = 2000
	maxInputLength = 3000
	maxPrivateMeta = 3000
)

var broadcastWords = regexp.MustCompile(`(?i)@(channel|here|everyone)\b`)

// escapeText makes text inert in mrkdwn: &, < and > become entities so
// "<!channel>", "<@U123>" or "<http://x|y>" are shown, never acted upon,
// and a word joiner after "@" keeps "@channel" from being auto-parsed
// into a broadcast should a client or setting do that.
func escapeText(s string) string {
	s = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
	return broadcastWords.ReplaceAllString(s, "@\u2060$1")
}

// mrkdwn renders the domain's Markdown subset as Slack mrkdwn. Every
// character of the input is treated as text (it contains user answers),
// so only the subset's own markers gain meaning.
func mrkdwn(md string) string {
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "- "):
			lines[i] = "• " + inline(l[2:])
		case strings.HasPrefix(l, "> "):
			lines[i] = "> " + inline(l[2:])
		case l == ">":
			lines[i] = ">"
		default:
			lines[i] = inline(l)
		}
	}
	return strings.Join(lines, "\n")
}

// inline converts **bold** to Slack's *bold* outside code spans; _italic_
// and `code` are the same in both.
func inline(s string) string {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 { // an unmatched backtick is literal
		last := len(parts) - 1
		parts[last-1] += "`" + parts[last]
		parts = parts[:last]
	}
	for i, p := range parts {
		p = escapeText(p)
		if i%2 == 0 {
			p = strings.ReplaceAll(p, "**", "*")
		}
		parts[i] = p
	}
	return strings.Join(parts, "`")
}

// plainText renders the subset for plain_text objects (headers, buttons,
// labels): markers are dropped, and angle brackets become look-alikes so
// no control sequence can form even if Slack ever parsed plain text.
func plainText(md string) string {
	r := strings.NewReplacer("**", "", "`", "", "<", "‹", ">", "›")
	return broadcastWords.ReplaceAllString(r.Replace(md), "@\u2060$1")
}

// truncate shortens s to at most n runes, ending with "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return safeCut(string(r[:n-1])) + "…"
}

// safeCut drops a trailing partial entity ("&am") left by a cut.
func safeCut(s string) string {
	if i := strings.LastIndexByte(s, '&'); i >= 0 && len(s)-i < 6 && !strings.Contains(s[i:], ";") {
		return s[:i]
	}
	return s
}

// split cuts mrkdwn into pieces of at most limit runes, preferring
// paragraph breaks, then line breaks, then spaces, and never cutting an
// entity in half.
func split(s string, limit int) []string {
	var out []string
	for utf8.RuneCountInString(s) > limit {
		r := []rune(s)
		head := string(r[:limit])
		cut := -1
		for _, sep := range []string{"\n\n", "\n", " "} {
			if i := strings.LastIndex(head, sep); i > len(head)/3 {
				cut = i
				break
			}
		}
		var piece string
		if cut < 0 {
			piece = safeCut(head)
			if piece == "" {
				piece = head
			}
			s = s[len(piece):]
		} else {
			piece = head[:cut]
			s = strings.TrimLeft(s[cut:], "\n ")
		}
		if strings.TrimSpace(piece) != "" {
			out = append(out, strings.TrimRight(piece, "\n "))
		}
	}
	if strings.TrimSpace(s) != "" {
		out = append(out, s)
	}
	return out
}
