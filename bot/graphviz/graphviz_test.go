package graphviz_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/graphviz"
	"github.com/mlsdbot/mlsd/scenarios"
)

func newRenderer(t testing.TB, timeout time.Duration) *graphviz.Renderer {
	t.Helper()
	r, err := graphviz.New(context.Background(), graphviz.Options{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// Every built-in's reference diagram renders to a PNG of sensible size in
// which each box holds text: the labels were drawn with the embedded font.
func TestBuiltinDiagramsRender(t *testing.T) {
	r := newRenderer(t, time.Minute)
	scs, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		t.Run(sc.ID, func(t *testing.T) {
			d, err := bot.ParseDiagram(sc.Diagram)
			if err != nil {
				t.Fatal(err)
			}
			data, err := r.Render(context.Background(), d.DOT(sc.Title))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			img := decode(t, data)
			b := img.Bounds()
			if b.Dx() < 600 || b.Dy() < 200 || b.Dx() > 4000 || b.Dy() > 4000 {
				t.Errorf("image is %dx%d, want between 600x200 and 4000x4000", b.Dx(), b.Dy())
			}
			boxes := nodeBoxes(img)
			if len(boxes) < len(d.Nodes) {
				t.Errorf("found %d filled boxes, want one per node (%d)", len(boxes), len(d.Nodes))
			}
			for _, box := range boxes {
				if ink := darkPixels(img, box.Inset(6)); ink < 40 {
					t.Errorf("box at %v has %d dark pixels: its label did not render", box, ink)
				}
			}
		})
	}
}

// The same DOT gives the same bytes: no host font is consulted.
func TestRenderDeterministic(t *testing.T) {
	r := newRenderer(t, time.Minute)
	dot := `digraph { a [label="feature store"]; a -> b [label="p99 50 ms"]; }`
	first, err := r.Render(context.Background(), dot)
	if err != nil {
		t.Fatal(err)
	}
	second, err := r.Render(context.Background(), dot)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Error("two renders of the same DOT differ")
	}
}

// Hostile input is refused with a clear message before Graphviz lays it
// out, and the renderer keeps working afterwards.
func TestRenderRefusesHostileInput(t *testing.T) {
	r := newRenderer(t, time.Minute)
	var many strings.Builder
	many.WriteString("digraph{")
	for i := range 10000 {
		fmt.Fprintf(&many, "n%d->n%d;", i, i+1)
	}
	many.WriteString("}")
	dense := "digraph{" + strings.Repeat("a->b;b->c;c->a;", 120) + "}"
	tests := []struct {
		name, dot, want string
	}{
		{"10,000 nodes", many.String(), "it has 10001 boxes; the limit is 60"},
		{"deep nesting", "digraph{" + strings.Repeat("subgraph{", 500) + "a" + strings.Repeat("}", 500) + "}", "subgraphs are nested more than 8 deep"},
		{"1 MB label", `digraph{a [label="` + strings.Repeat("x", 1<<20) + `"]}`, "it is 1025 KB of DOT; the limit is 200 KB"},
		{"long label", `digraph{a [label="` + strings.Repeat("x", 5000) + `"]}`, "a label is 5000 characters long; the limit is 500"},
		{"too many arrows", dense, "it has 360 arrows; the limit is 300"},
		{"reads a file", `digraph{a [image="/etc/passwd"]}`, "the image attribute is not allowed"},
		{"syntax error", "digraph { a -> }", "syntax error"},
		{"empty", "  ", "it is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Render(context.Background(), tt.dot)
			if !errors.Is(err, graphviz.ErrRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Render error = %v, want ErrRefused saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is more than one line", err)
			}
		})
	}
	if _, err := r.Render(context.Background(), "digraph{a->b}"); err != nil {
		t.Errorf("render after the refusals: %v", err)
	}
}

// Attributes that would blow the image up are overridden: the PNG stays
// within the size cap.
func TestRenderCapsImageSize(t *testing.T) {
	r := newRenderer(t, time.Minute)
	dot := `digraph { graph [dpi=5000, resolution=5000, pad=500, margin=100, ratio=fill, size="500,500!", scale=50, page="100,100"];
		node [width=300, height=300, fontsize=2000]; a -> b -> c }`
	data, err := r.Render(context.Background(), dot)
	if err != nil {
		t.Fatal(err)
	}
	if b := decode(t, data).Bounds(); b.Dx() > 4000 || b.Dy() > 4000 {
		t.Errorf("image is %dx%d, want at most 40 in × 96 dpi (plus padding) on each side", b.Dx(), b.Dy())
	}
}

// A render that cannot finish in time returns ErrTimeout at once; it never
// blocks the caller past its deadline.
func TestRenderTimeout(t *testing.T) {
	r := newRenderer(t, time.Nanosecond)
	_, err := r.Render(context.Background(), "digraph{a->b}")
	if !errors.Is(err, graphviz.ErrTimeout) {
		t.Fatalf("Render error = %v, want ErrTimeout", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = newRenderer(t, time.Minute).Render(ctx, "digraph{a->b}")
	if !errors.Is(err, graphviz.ErrTimeout) {
		t.Fatalf("Render with a cancelled context = %v, want ErrTimeout", err)
	}
}

func FuzzCheck(f *testing.F) {
	f.Add(`digraph{a->b [label="x"]; subgraph cluster_1 {c}}`)
	f.Add(`digraph{a [label=<<b>x</b>>]} // c`)
	f.Add("graph { /* { */ a -- b }")
	f.Fuzz(func(t *testing.T, dot string) {
		_ = graphviz.Check(dot) // must not panic or loop
	})
}

// BenchmarkRenderTinyDiagram is the baseline: two boxes, one arrow —
// the fixed cost of a render (parse, layout, PNG encode).
func BenchmarkRenderTinyDiagram(b *testing.B) {
	r := newRenderer(b, time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(context.Background(), "digraph { a -> b }"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderReferenceDiagram(b *testing.B) {
	r := newRenderer(b, time.Minute)
	scs, err := scenarios.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	var sc *bot.Scenario
	for _, s := range scs {
		if s.ID == "payment-fraud-detection" {
			sc = s
		}
	}
	d, err := bot.ParseDiagram(sc.Diagram)
	if err != nil {
		b.Fatal(err)
	}
	dot := d.DOT(sc.Title)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(context.Background(), dot); err != nil {
			b.Fatal(err)
		}
	}
}

// fill is the node colour bot.Diagram.DOT uses (#e8f0fe).
func isFill(c [3]uint32) bool {
	near := func(v, want uint32) bool { return v+6 >= want && v <= want+6 }
	return near(c[0], 0xe8) && near(c[1], 0xf0) && near(c[2], 0xfe)
}

func rgb(img *image.RGBA, x, y int) [3]uint32 {
	i := img.PixOffset(x, y)
	return [3]uint32{uint32(img.Pix[i]), uint32(img.Pix[i+1]), uint32(img.Pix[i+2])}
}

// decode reads a PNG into RGBA, which the pixel checks index directly.
func decode(t testing.TB, data []byte) *image.RGBA {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	return rgba
}

// nodeBoxes finds the filled node boxes: connected regions of the fill
// colour larger than a few hundred pixels, as bounding rectangles.
func nodeBoxes(img *image.RGBA) []image.Rectangle {
	b := img.Bounds()
	seen := make([]bool, b.Dx()*b.Dy())
	var boxes []image.Rectangle
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			i := (y-b.Min.Y)*b.Dx() + x - b.Min.X
			if seen[i] || !isFill(rgb(img, x, y)) {
				continue
			}
			box, area := image.Rect(x, y, x+1, y+1), 0
			stack := []image.Point{{x, y}}
			seen[i] = true
			for len(stack) > 0 {
				p := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				area++
				box = box.Union(image.Rect(p.X, p.Y, p.X+1, p.Y+1))
				for _, q := range []image.Point{{p.X + 1, p.Y}, {p.X - 1, p.Y}, {p.X, p.Y + 1}, {p.X, p.Y - 1}} {
					if !q.In(b) {
						continue
					}
					j := (q.Y-b.Min.Y)*b.Dx() + q.X - b.Min.X
					if !seen[j] && isFill(rgb(img, q.X, q.Y)) {
						seen[j] = true
						stack = append(stack, q)
					}
				}
			}
			if area > 400 {
				boxes = append(boxes, box)
			}
		}
	}
	return boxes
}

// darkPixels counts pixels inside r clearly darker than the box fill:
// the label's glyphs, anti-aliased edges included.
func darkPixels(img *image.RGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if c := rgb(img, x, y); c[0]+c[1]+c[2] < 560 {
				n++
			}
		}
	}
	return n
}

// The label check itself: boxes drawn with blank labels are found and
// fail it.
func TestLabelCheckSeesBlankBoxes(t *testing.T) {
	r := newRenderer(t, time.Minute)
	d, err := bot.ParseDiagram("a -> b -> c")
	if err != nil {
		t.Fatal(err)
	}
	dot := strings.NewReplacer(`label="a"`, `label=" "`, `label="b"`, `label=" "`, `label="c"`, `label=" "`).Replace(d.DOT(""))
	data, err := r.Render(context.Background(), dot)
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, data)
	boxes := nodeBoxes(img)
	if len(boxes) != 3 {
		t.Fatalf("found %d boxes, want 3", len(boxes))
	}
	for _, box := range boxes {
		if ink := darkPixels(img, box.Inset(6)); ink >= 40 {
			t.Errorf("blank box at %v has %d dark pixels", box, ink)
		}
	}
}
