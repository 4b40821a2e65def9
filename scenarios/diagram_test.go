package scenarios

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/mlsdbot/mlsd/bot"
)

// Every built-in draws its reference design: enough boxes to show the
// serving path, training and monitoring, at least one group (the serving
// path with its latency budget), and a dashed arrow for the feedback loop
// or delayed labels.
func TestBuiltinDiagrams(t *testing.T) {
	scs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(scs) < 20 {
		t.Fatalf("got %d built-ins, want at least 20", len(scs))
	}
	for _, sc := range scs {
		t.Run(sc.ID, func(t *testing.T) {
			d, err := bot.ParseDiagram(sc.Diagram)
			if err != nil {
				t.Fatalf("diagram: %v", err)
			}
			if len(d.Nodes) < 10 || len(d.Nodes) > bot.MaxDiagramNodes {
				t.Errorf("diagram has %d boxes, want 10..%d", len(d.Nodes), bot.MaxDiagramNodes)
			}
			if len(d.Groups) == 0 || !strings.ContainsAny(d.Groups[0].Title, "0123456789") {
				t.Errorf("first group %+v should be the serving path with its budget", d.Groups)
			}
			dashed, monitoring, registry := false, false, false
			for _, e := range d.Edges {
				dashed = dashed || e.Dashed
			}
			for _, n := range d.Nodes {
				monitoring = monitoring || strings.Contains(n, "monitoring") || strings.Contains(n, "audit")
				registry = registry || strings.Contains(n, "registry")
			}
			if !dashed || !monitoring || !registry {
				t.Errorf("diagram lacks a dashed feedback arrow (%v), monitoring (%v) or a model registry (%v)", dashed, monitoring, registry)
			}
		})
	}
}

// Diagram problems are reported at their own line of the YAML file.
func TestParseDiagramProblems(t *testing.T) {
	const name = "podcast-recommendation.yaml"
	base := validFixture(t)
	first := strings.Count(base, "\n") + 2 // the line after "diagram: |"
	tests := []struct {
		name    string
		diagram string
		line    int // of the diagram, 1-based; 0: valid
		want    string
	}{
		{"ok", "  app -> ranker\n  group Serving: app\n", 0, ""},
		{"no arrows", "  group Serving: app\n", 1, "diagram: no arrows"},
		{"bad line", "  app -> ranker\n  just words\n", 2, "diagram: expected boxes joined by"},
		{"box in two groups", "  app -> ranker\n  group A: app\n  group B: app, ranker\n", 3, `diagram: box "app" is already in group "A"`},
		{"empty box", "  app -> -> ranker\n", 1, "diagram: empty box name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := base + "diagram: |\n" + tt.diagram
			scs, err := Parse(fstest.MapFS{name: {Data: []byte(data)}})
			if tt.line == 0 {
				if err != nil || len(scs) != 1 {
					t.Fatalf("Parse = %v, %v", scs, err)
				}
				return
			}
			var probs Problems
			if !errors.As(err, &probs) || len(probs) != 1 {
				t.Fatalf("Parse error = %v, want one problem", err)
			}
			want := fmt.Sprintf("%s:%d: %s", name, first+tt.line-1, tt.want)
			if !strings.HasPrefix(probs[0].String(), want) {
				t.Errorf("problem = %q, want it to start %q", probs[0], want)
			}
		})
	}
}
