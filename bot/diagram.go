package bot

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Diagram limits: a picture bigger than this is unreadable in a chat
// thread, and rendering cost grows with it.
const (
	// MaxDiagramNodes is the most boxes a diagram may have.
	MaxDiagramNodes = 60
	// MaxDOTBytes is the largest DOT source the renderer accepts.
	MaxDOTBytes = 200 << 10
	// maxNodeLabel bounds one box's label in the edge-list syntax.
	maxNodeLabel = 60
	// maxEdgeLabel bounds one arrow's label.
	maxEdgeLabel = 60
	// maxDiagramEdges bounds arrows; a chain of 60 boxes needs 59.
	maxDiagramEdges = 200
)

// Diagram is a parsed MLSD edge-list diagram (scenarios/README.md,
// "Diagrams"): boxes, arrows between them, and named groups of boxes.
type Diagram struct {
	Nodes  []string // labels, in order of first appearance
	Edges  []DiagramEdge
	Groups []DiagramGroup
}

// DiagramEdge is one arrow; From and To index Diagram.Nodes.
type DiagramEdge struct {
	From, To int
	Label    string
	// Dashed arrows are asynchronous or delayed flows (labels arriving
	// weeks later, batch jobs, the feedback loop).
	Dashed bool
}

// DiagramGroup is a titled box around some nodes ("Online serving · p99 100 ms").
type DiagramGroup struct {
	Title string
	Nodes []int
}

// DiagramError is one problem in a diagram, with its 1-based line.
type DiagramError struct {
	Line    int
	Message string
}

func (e DiagramError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Message) }

// DiagramErrors are every problem of one diagram.
type DiagramErrors []DiagramError

func (es DiagramErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// arrows are the edge operators: "->" solid, "~>" dashed. A Unicode "→"
// is accepted too, since chat clients turn "->" into it.
var arrows = []struct {
	op     string
	dashed bool
}{{"->", false}, {"→", false}, {"~>", true}}

// ParseDiagram parses the edge-list syntax:
//
//	# a comment
//	group Online serving · p99 100 ms: api gateway, fraud scorer
//	app -> api gateway -> fraud scorer : card + merchant
//	chargebacks ~> label join : 30-90 days later
//
// Each arrow line is a chain of boxes joined by "->" (solid) or "~>"
// (dashed); text after the first ":" labels the line's last arrow. A
// group line puts boxes (named before or after it) in a titled cluster;
// a box belongs to at most one group. Box names are matched ignoring case
// and repeated spaces. Every problem is reported with its line.
func ParseDiagram(src string) (*Diagram, error) {
	p := diagramParser{d: &Diagram{}, index: map[string]int{}, groupOf: map[int]int{}}
	for i, line := range strings.Split(src, "\n") {
		p.line(i+1, strings.TrimSpace(line))
	}
	if len(p.errs) == 0 && len(p.d.Edges) == 0 {
		p.errs = append(p.errs, DiagramError{Line: 1, Message: "no arrows: write at least one line like `app -> ranker`"})
	}
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return p.d, nil
}

type diagramParser struct {
	d       *Diagram
	index   map[string]int // normalised label → node
	groupOf map[int]int    // node → group
	errs    DiagramErrors
}

func (p *diagramParser) fail(line int, format string, args ...any) {
	p.errs = append(p.errs, DiagramError{Line: line, Message: fmt.Sprintf(format, args...)})
}

func (p *diagramParser) line(n int, line string) {
	if line == "" || strings.HasPrefix(line, "#") {
		return
	}
	if rest, ok := cutWord(line, "group"); ok {
		p.group(n, rest)
		return
	}
	body, label, _ := strings.Cut(line, ":")
	label = strings.TrimSpace(label)
	parts, dashed := splitArrows(body)
	if len(parts) < 2 {
		p.fail(n, "expected boxes joined by `->` or `~>`, or `group TITLE: box, box`")
		return
	}
	if utf8.RuneCountInString(label) > maxEdgeLabel {
		p.fail(n, "arrow label is longer than %d characters", maxEdgeLabel)
		return
	}
	ids := make([]int, len(parts))
	for i, name := range parts {
		id, ok := p.node(n, name)
		if !ok {
			return
		}
		ids[i] = id
	}
	for i := 1; i < len(ids); i++ {
		if len(p.d.Edges) == maxDiagramEdges {
			p.fail(n, "more than %d arrows", maxDiagramEdges)
			return
		}
		e := DiagramEdge{From: ids[i-1], To: ids[i], Dashed: dashed[i-1]}
		if i == len(ids)-1 {
			e.Label = label
		}
		p.d.Edges = append(p.d.Edges, e)
	}
}

func (p *diagramParser) group(n int, rest string) {
	title, members, ok := strings.Cut(rest, ":")
	title = strings.TrimSpace(title)
	if !ok || title == "" {
		p.fail(n, "a group line is `group TITLE: box, box, ...`")
		return
	}
	if utf8.RuneCountInString(title) > maxEdgeLabel {
		p.fail(n, "group title is longer than %d characters", maxEdgeLabel)
		return
	}
	g := DiagramGroup{Title: title}
	gi := len(p.d.Groups)
	for _, name := range strings.Split(members, ",") {
		id, ok := p.node(n, name)
		if !ok {
			return
		}
		if other, taken := p.groupOf[id]; taken {
			if other == gi {
				p.fail(n, "box %q is listed twice", p.d.Nodes[id])
				return
			}
			p.fail(n, "box %q is already in group %q", p.d.Nodes[id], p.d.Groups[other].Title)
			return
		}
		p.groupOf[id] = gi
		g.Nodes = append(g.Nodes, id)
	}
	p.d.Groups = append(p.d.Groups, g)
}

// node returns the index of the box named name, adding it if new.
func (p *diagramParser) node(n int, name string) (int, bool) {
	name = strings.Join(strings.Fields(name), " ")
	switch {
	case name == "":
		p.fail(n, "empty box name")
		return 0, false
	case utf8.RuneCountInString(name) > maxNodeLabel:
		p.fail(n, "box name %q is longer than %d characters", clip(name, 20), maxNodeLabel)
		return 0, false
	}
	key := strings.ToLower(name)
	if id, ok := p.index[key]; ok {
		return id, true
	}
	if len(p.d.Nodes) == MaxDiagramNodes {
		p.fail(n, "more than %d boxes; draw a smaller diagram", MaxDiagramNodes)
		return 0, false
	}
	p.index[key] = len(p.d.Nodes)
	p.d.Nodes = append(p.d.Nodes, name)
	return len(p.d.Nodes) - 1, true
}

// cutWord reports whether line starts with word followed by a space.
func cutWord(line, word string) (string, bool) {
	if len(line) > len(word) && strings.EqualFold(line[:len(word)], word) && line[len(word)] == ' ' {
		return line[len(word)+1:], true
	}
	return "", false
}

// splitArrows splits a chain at its arrows; dashed[i] says whether the
// arrow after parts[i] is dashed.
func splitArrows(s string) (parts []string, dashed []bool) {
	for {
		at, width, dash := -1, 0, false
		for _, a := range arrows {
			if i := strings.Index(s, a.op); i >= 0 && (at < 0 || i < at) {
				at, width, dash = i, len(a.op), a.dashed
			}
		}
		if at < 0 {
			return append(parts, s), dashed
		}
		parts, dashed = append(parts, s[:at]), append(dashed, dash)
		s = s[at+width:]
	}
}

// DOT compiles the diagram to Graphviz DOT, left to right. Helvetica is
// named for Graphviz's text-width estimates; the renderer draws with its
// embedded font whatever the name.
// Labels are user text: dotQuote escapes them.
func (d *Diagram) DOT(title string) string {
	var b strings.Builder
	b.WriteString("digraph mlsd {\n")
	b.WriteString("  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=14, nodesep=0.25, ranksep=0.45, pad=0.2, bgcolor=\"white\"")
	if title != "" {
		b.WriteString(", labelloc=t, label=" + dotQuote(title))
	}
	b.WriteString("];\n")
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#e8f0fe\", color=\"#3c5a99\", fontname=\"Helvetica\", fontsize=11, margin=\"0.12,0.06\"];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\", fontcolor=\"#333333\"];\n")
	grouped := make(map[int]bool)
	for gi, g := range d.Groups {
		fmt.Fprintf(&b, "  subgraph cluster_%d {\n    label=%s; style=\"rounded,dashed\"; color=\"#888888\"; fontsize=11;\n", gi, dotQuote(g.Title))
		for _, id := range g.Nodes {
			grouped[id] = true
			fmt.Fprintf(&b, "    n%d [label=%s];\n", id, dotQuote(d.Nodes[id]))
		}
		b.WriteString("  }\n")
	}
	for id, label := range d.Nodes {
		if !grouped[id] {
			fmt.Fprintf(&b, "  n%d [label=%s];\n", id, dotQuote(label))
		}
	}
	for _, e := range d.Edges {
		attrs := []string{}
		if e.Label != "" {
			attrs = append(attrs, "label="+dotQuote(e.Label))
		}
		if e.Dashed {
			attrs = append(attrs, "style=dashed")
		}
		fmt.Fprintf(&b, "  n%d -> n%d", e.From, e.To)
		if len(attrs) > 0 {
			b.WriteString(" [" + strings.Join(attrs, ", ") + "]")
		}
		b.WriteString(";\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// Text lists the diagram's arrows as plain lines: the text alternative of
// its picture, and the words a whiteboard adds to an answer.
func (d *Diagram) Text() string {
	lines := make([]string, 0, len(d.Edges))
	for _, e := range d.Edges {
		arrow := " → "
		if e.Dashed {
			arrow = " ⇢ "
		}
		line := d.Nodes[e.From] + arrow + d.Nodes[e.To]
		if e.Label != "" {
			line += " (" + e.Label + ")"
		}
		lines = append(lines, line)
	}
	for _, g := range d.Groups {
		names := make([]string, len(g.Nodes))
		for i, id := range g.Nodes {
			names[i] = d.Nodes[id]
		}
		lines = append(lines, g.Title+": "+strings.Join(names, ", "))
	}
	return strings.Join(lines, "\n")
}

// dotQuote makes s a DOT double-quoted string that shows s literally:
// backslashes would start Graphviz escapes (\N, \G, \l), quotes would end
// the string, and control characters break lines.
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n':
			b.WriteString(`\n`)
		case r < ' ' || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
