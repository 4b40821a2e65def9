package bot_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mlsdbot/mlsd/bot"
)

func TestParseDiagram(t *testing.T) {
	d, err := bot.ParseDiagram(`
# the authorisation path
group Serving · 100 ms: gateway, Scorer
checkout -> gateway -> scorer : card + merchant
chargebacks ~> label join : 30-90 days
gateway → decision
`)
	if err != nil {
		t.Fatal(err)
	}
	want := &bot.Diagram{
		Nodes: []string{"gateway", "Scorer", "checkout", "chargebacks", "label join", "decision"},
		Edges: []bot.DiagramEdge{
			{From: 2, To: 0}, {From: 0, To: 1, Label: "card + merchant"},
			{From: 3, To: 4, Label: "30-90 days", Dashed: true}, {From: 0, To: 5},
		},
		Groups: []bot.DiagramGroup{{Title: "Serving · 100 ms", Nodes: []int{0, 1}}},
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("ParseDiagram (-want +got):\n%s", diff)
	}
}

func TestParseDiagramErrors(t *testing.T) {
	many := make([]string, bot.MaxDiagramNodes+1)
	for i := range many {
		many[i] = "n" + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	tests := []struct {
		name, src string
		want      bot.DiagramErrors
	}{
		{"empty", "", bot.DiagramErrors{{Line: 1, Message: "no arrows: write at least one line like `app -> ranker`"}}},
		{"no arrow", "a -> b\nhello", bot.DiagramErrors{{Line: 2, Message: "expected boxes joined by `->` or `~>`, or `group TITLE: box, box`"}}},
		{"empty box", "a -> ", bot.DiagramErrors{{Line: 1, Message: "empty box name"}}},
		{"group without colon", "a -> b\ngroup Serving", bot.DiagramErrors{{Line: 2, Message: "a group line is `group TITLE: box, box, ...`"}}},
		{"too many boxes", strings.Join(many, " -> "), bot.DiagramErrors{{Line: 1, Message: "more than 60 boxes; draw a smaller diagram"}}},
		{"long box", "a -> " + strings.Repeat("b", 61), bot.DiagramErrors{{Line: 1, Message: `box name "bbbbbbbbbbbbbbbbbbbb…" is longer than 60 characters`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := bot.ParseDiagram(tt.src)
			var got bot.DiagramErrors
			if !errors.As(err, &got) {
				t.Fatalf("ParseDiagram error = %v, want DiagramErrors", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// Labels are user text: quotes, backslashes (Graphviz's \N, \l escapes)
// and newlines must come out literally and never end the DOT string.
func TestDiagramDOTEscapes(t *testing.T) {
	d, err := bot.ParseDiagram(`say "hi" -> back\slash \N -> x : a "label"`)
	if err != nil {
		t.Fatal(err)
	}
	dot := d.DOT("Title with \"quotes\"\nand a newline")
	for _, want := range []string{
		`n0 [label="say \"hi\""];`,
		`n1 [label="back\\slash \\N"];`,
		`n1 -> n2 [label="a \"label\""];`,
		`label="Title with \"quotes\"\nand a newline"`,
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("DOT lacks %s:\n%s", want, dot)
		}
	}
}

func FuzzParseDiagram(f *testing.F) {
	f.Add("a -> b -> c : x\ngroup G: a, b")
	f.Add("a ~> b\n# c\n\ngroup : \n")
	f.Add(`q"\ -> \"`)
	f.Fuzz(func(t *testing.T, src string) {
		d, err := bot.ParseDiagram(src)
		if err != nil {
			return
		}
		if len(d.Nodes) > bot.MaxDiagramNodes || len(d.Edges) == 0 {
			t.Fatalf("accepted %d boxes, %d arrows", len(d.Nodes), len(d.Edges))
		}
		dot := d.DOT("t")
		// Every quote that opens a string is closed on the same line.
		for _, line := range strings.Split(dot, "\n") {
			unescaped := strings.Count(strings.ReplaceAll(line, `\\`, ""), `"`) - strings.Count(strings.ReplaceAll(line, `\\`, ""), `\"`)
			if unescaped%2 != 0 {
				t.Fatalf("unbalanced quotes in %q", line)
			}
		}
	})
}
