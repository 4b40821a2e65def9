package bot

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// WhiteboardTip is added to the deployment step's question: that is where
// a real interview goes to the whiteboard.
// It names the dot fence without writing three backticks, which would open
// a code block in Slack and Discord.
const WhiteboardTip = "_Whiteboard: sketch the serving path as arrow lines (`app -> api gateway -> ranker -> feature store`) or as Graphviz DOT in a code block tagged `dot`, and I'll draw it._"

// Whiteboard is a diagram found in an answer.
type Whiteboard struct {
	// DOT is what gets drawn: the candidate's own ```dot block, or their
	// arrow lines compiled to DOT.
	DOT string
	// Labels are the boxes' and arrows' words, which count as answer text.
	Labels []string
	// Text is the answer with a dot block replaced by its labels, so the
	// grader reads words, not DOT syntax.
	Text string
	// Problem, when set, is why the diagram cannot be drawn (too large);
	// the answer is graded all the same.
	Problem string
}

// maxArrowPart bounds one box of an arrow line in prose: longer parts
// are sentences that happen to contain "->", not diagrams.
const maxArrowPart = 60

// FindWhiteboard looks for a diagram in an answer: a fenced ```dot (or
// ```graphviz) block, else two or more boxes joined by arrows on a line.
// ok is false when there is none.
func FindWhiteboard(answer string) (wb Whiteboard, ok bool) {
	if dot, rest, found := cutDOTBlock(answer); found {
		wb.Labels = dotLabels(dot)
		wb.Text = strings.TrimSpace(rest)
		if len(wb.Labels) > 0 {
			wb.Text = strings.TrimSpace(wb.Text + "\nDiagram: " + strings.Join(wb.Labels, ", ") + ".")
		}
		if len(dot) > MaxDOTBytes {
			wb.Problem = fmt.Sprintf("it is %d KB of DOT; the limit is %d KB", (len(dot)+1023)>>10, MaxDOTBytes>>10)
			return wb, true
		}
		if !startsGraph(dot) {
			// Arrow lines in a dot fence: make them a graph.
			dot = "digraph {\n" + dot + "\n}"
		}
		wb.DOT = dot
		return wb, true
	}
	var lines []string
	for _, line := range strings.Split(answer, "\n") {
		if l, ok := arrowLine(line); ok {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return Whiteboard{}, false
	}
	wb.Text = answer // the words are already there
	d, err := ParseDiagram(strings.Join(lines, "\n"))
	if err != nil {
		wb.Problem = firstProblem(err)
		return wb, true
	}
	wb.DOT = d.DOT("")
	wb.Labels = append(wb.Labels, d.Nodes...)
	for _, e := range d.Edges {
		if e.Label != "" {
			wb.Labels = append(wb.Labels, e.Label)
		}
	}
	return wb, true
}

// firstProblem is the first problem of a diagram error, for a one-line note.
func firstProblem(err error) string {
	if es, ok := err.(DiagramErrors); ok && len(es) > 0 {
		return es[0].Message
	}
	return err.Error()
}

// cutDOTBlock finds the first ```dot or ```graphviz fence and returns its
// content and the text around it.
func cutDOTBlock(s string) (dot, rest string, ok bool) {
	for _, tag := range []string{"```dot", "```graphviz", "```gv"} {
		i := indexFold(s, tag)
		if i < 0 {
			continue
		}
		body := s[i+len(tag):]
		nl := strings.IndexByte(body, '\n')
		if nl < 0 || strings.TrimSpace(body[:nl]) != "" {
			continue // "```dotted" or a fence with no body
		}
		body = body[nl+1:]
		end := strings.Index(body, "```")
		after := ""
		if end >= 0 {
			after = body[end+3:]
			body = body[:end]
		}
		return strings.TrimSpace(body), s[:i] + "\n" + after, true
	}
	return "", s, false
}

// arrowLine reports whether a line is a chain of boxes ("app -> api ->
// ranker"), list markers and surrounding backticks removed.
func arrowLine(line string) (string, bool) {
	l := strings.TrimSpace(line)
	l = strings.TrimLeft(l, "-*•> ")
	l = strings.ReplaceAll(l, "`", "")
	if strings.HasPrefix(strings.ToLower(l), "group ") {
		return "", false
	}
	body, _, _ := strings.Cut(l, ":")
	parts, _ := splitArrows(body)
	if len(parts) < 2 {
		return "", false
	}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" || utf8.RuneCountInString(p) > maxArrowPart || len(strings.Fields(p)) > 8 {
			return "", false
		}
	}
	return l, true
}

// dotKeywords are DOT's words; they are not labels.
var dotKeywords = map[string]bool{"digraph": true, "graph": true, "subgraph": true, "node": true, "edge": true, "strict": true}

// labelAttrs are the attributes whose values are shown as text.
var labelAttrs = map[string]bool{"label": true, "xlabel": true, "headlabel": true, "taillabel": true}

// dotLabels reads the words a DOT drawing shows: node ids that have no
// label of their own, and label values. It is a lexer, not a parser:
// Graphviz checks the syntax when it draws. Ids' underscores become
// spaces ("feature_store" reads as "feature store").
func dotLabels(dot string) []string {
	type token struct {
		text   string
		quoted bool
	}
	var toks []token
	for i := 0; i < len(dot); {
		c := dot[i]
		switch {
		case c == '"':
			j := i + 1
			var b strings.Builder
			for j < len(dot) && dot[j] != '"' {
				if dot[j] == '\\' && j+1 < len(dot) {
					j++
					if dot[j] == 'n' || dot[j] == 'l' || dot[j] == 'r' {
						b.WriteByte(' ')
						j++
						continue
					}
				}
				b.WriteByte(dot[j])
				j++
			}
			toks = append(toks, token{b.String(), true})
			i = j + 1
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80:
			j := i
			for j < len(dot) && (dot[j] == '_' || dot[j] == '.' || dot[j] >= 'a' && dot[j] <= 'z' || dot[j] >= 'A' && dot[j] <= 'Z' || dot[j] >= '0' && dot[j] <= '9' || dot[j] >= 0x80) {
				j++
			}
			toks = append(toks, token{dot[i:j], false})
			i = j
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';' || c == ',':
			i++ // separators carry no meaning here
		case c == '/' && i+1 < len(dot) && dot[i+1] == '/', c == '#':
			for i < len(dot) && dot[i] != '\n' {
				i++
			}
		default:
			toks = append(toks, token{string(c), false})
			i++
		}
	}
	var labels []string
	seen := map[string]bool{}
	add := func(s string) {
		s = strings.Join(strings.Fields(s), " ")
		if s != "" && !seen[strings.ToLower(s)] && len(labels) < MaxDiagramNodes*2 {
			seen[strings.ToLower(s)] = true
			labels = append(labels, s)
		}
	}
	for i, t := range toks {
		next := func(k int) string {
			if i+k < len(toks) && !toks[i+k].quoted {
				return toks[i+k].text
			}
			return ""
		}
		prev := func(k int) string {
			if i-k >= 0 && !toks[i-k].quoted {
				return toks[i-k].text
			}
			return ""
		}
		switch {
		case next(1) == "=":
			// an attribute name
		case prev(1) == "=":
			if i >= 2 && labelAttrs[strings.ToLower(toks[i-2].text)] {
				add(t.text)
			}
		case t.quoted:
			add(t.text) // a quoted node id
		case len(t.text) == 1 && !isWordByte(t.text[0]):
			// punctuation
		case dotKeywords[strings.ToLower(t.text)]:
		case prev(1) == "subgraph" || (prev(1) == "graph" || prev(1) == "digraph") && next(1) == "{":
			// the graph's or a subgraph's name
		default:
			add(strings.ReplaceAll(t.text, "_", " "))
		}
	}
	return labels
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// whiteboardReply is the picture of a whiteboard, or a one-line note when
// it is too large to draw.
func whiteboardReply(wb Whiteboard, step StepID) Outbound {
	if wb.Problem != "" {
		return Outbound{Text: "_(I couldn't draw your diagram: " + wb.Problem + ". Your answer is graded as written.)_"}
	}
	alt := "Your diagram"
	if len(wb.Labels) > 0 {
		alt += ": " + strings.Join(wb.Labels, ", ")
	}
	return Outbound{
		Text: "**Your whiteboard** — drawn from your answer",
		Picture: &Picture{
			Kind: PictureWhiteboard, Name: fmt.Sprintf("whiteboard-step%d.png", step), Alt: clip(alt, 1000), DOT: wb.DOT,
		},
	}
}

// startsGraph reports whether DOT source begins with its graph keyword
// (after comments).
func startsGraph(dot string) bool {
	for _, line := range strings.Split(dot, "\n") {
		l := strings.ToLower(strings.TrimSpace(line))
		if l == "" || strings.HasPrefix(l, "//") || strings.HasPrefix(l, "#") {
			continue
		}
		return strings.HasPrefix(l, "digraph") || strings.HasPrefix(l, "graph") || strings.HasPrefix(l, "strict")
	}
	return false
}

// indexFold is strings.Index ignoring ASCII case; unlike lowering s first,
// it keeps byte offsets valid for s.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
