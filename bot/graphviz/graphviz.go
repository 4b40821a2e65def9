// Package graphviz renders Graphviz DOT to PNG in process with
// github.com/goccy/go-graphviz (Graphviz compiled to WebAssembly, run by
// wazero: no cgo, no dot binary, no font files). It is the only importer of
// that module.
//
// go-graphviz keeps one WebAssembly module per process, so renders are
// serialised here; a deadline bounds how long a caller waits, and checks
// made before any DOT reaches Graphviz bound how much work a render can be.
package graphviz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing/fstest"
	"time"

	"github.com/goccy/go-graphviz"
	"github.com/golang/freetype/truetype"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// Limits on what is drawn. A reference diagram is 15-30 boxes; a
// candidate's whiteboard is smaller still.
const (
	// MaxNodes is the most boxes a diagram may have.
	MaxNodes = 60
	// MaxDOTBytes is the largest DOT source accepted.
	MaxDOTBytes = 200 << 10
	// MaxEdges is the most arrows; a dense graph of 60 boxes would take
	// seconds to lay out.
	MaxEdges = 300
	// MaxNesting is the deepest nesting of { } (subgraphs) accepted.
	MaxNesting = 8
	// MaxLabel is the longest quoted string (a label) accepted.
	MaxLabel = 500
	// DefaultTimeout is how long a render may take, queueing included.
	DefaultTimeout = 10 * time.Second
	// maxInches caps the drawing (Graphviz's size attribute shrinks a
	// larger layout to fit), so a hostile width= cannot ask for a
	// gigapixel image: 40 × 96 dpi = 3840 pixels.
	maxInches = 40
	dpi       = 96
)

// wasm is the right to call into go-graphviz: its WebAssembly module is a
// package variable of that library, one per process, and concurrent calls
// corrupt its memory, so every Renderer in the process shares this slot.
// (A channel, so a waiting caller can give up when its deadline passes.)
var wasm = make(chan struct{}, 1)

// ErrRefused wraps every refusal of the input (too large, nested too
// deep, syntax errors); its message is meant for the person who drew it.
var ErrRefused = errors.New("diagram refused")

// ErrTimeout is returned when a render does not finish in time.
var ErrTimeout = errors.New("diagram rendering timed out")

// Renderer draws DOT as PNG. It is safe for concurrent use; renders run
// one at a time in the whole process.
type Renderer struct {
	gv        *graphviz.Graphviz
	timeout   time.Duration
	closeOnce sync.Once
}

// Options configure a Renderer.
type Options struct {
	// Timeout bounds each render, waiting included (default DefaultTimeout).
	Timeout time.Duration
}

// New starts the Graphviz runtime. Create one per process and Close it at
// shutdown.
func New(ctx context.Context, opts Options) (*Renderer, error) {
	// Labels render with the Go fonts embedded in the binary, never a
	// system font: output is the same on every host, distroless included.
	// (go-graphviz keeps the loader in a package variable; every Renderer
	// installs an equivalent one.)
	graphviz.SetFontLoader((&goFonts{faces: map[string]font.Face{}}).load)
	// Nothing in a diagram may read the host's files (image=, shapefile=
	// are refused by check as well).
	graphviz.SetFileSystem(fstest.MapFS{})
	select {
	case wasm <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-wasm }()
	plugs, err := plugins(ctx)
	if err != nil {
		return nil, fmt.Errorf("graphviz: %w", err)
	}
	gv, err := graphviz.NewWithPlugins(ctx, plugs...)
	if err != nil {
		return nil, fmt.Errorf("graphviz: %w", err)
	}
	r := &Renderer{gv: gv, timeout: opts.Timeout}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	return r, nil
}

// Close waits for a running render and releases the runtime.
func (r *Renderer) Close() error {
	var err error
	r.closeOnce.Do(func() {
		wasm <- struct{}{}
		defer func() { <-wasm }()
		err = r.gv.Close()
	})
	return err
}

// Render checks dot against the limits, lays it out and returns the PNG.
// Refusals wrap ErrRefused; a render that takes longer than the timeout
// (or ctx) returns ErrTimeout while the render finishes in the background
// and holds up later ones until it does.
func (r *Renderer) Render(ctx context.Context, dot string) ([]byte, error) {
	if err := Check(dot); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	select {
	case wasm <- struct{}{}:
	case <-ctx.Done():
		return nil, ErrTimeout
	}
	type result struct {
		png []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-wasm }()
		png, err := r.render(context.WithoutCancel(ctx), dot)
		done <- result{png, err}
	}()
	select {
	case res := <-done:
		return res.png, res.err
	case <-ctx.Done():
		return nil, ErrTimeout
	}
}

// render runs holding the wasm slot. The WebAssembly call cannot be interrupted
// midway (go-graphviz's runtime does not close on context), which is why
// Check bounds the input first.
func (r *Renderer) render(ctx context.Context, dot string) (_ []byte, err error) {
	defer func() {
		// A trap inside the module surfaces as a panic in the bindings.
		if p := recover(); p != nil {
			err = fmt.Errorf("graphviz: %v", p)
		}
	}()
	g, err := graphviz.ParseBytes([]byte(dot))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrRefused, oneLine(err.Error()))
	}
	defer g.Close()
	n, err := g.NodeNum()
	if err != nil {
		return nil, fmt.Errorf("graphviz: %w", err)
	}
	if n > MaxNodes {
		return nil, fmt.Errorf("%w: it has %d boxes; the limit is %d", ErrRefused, n, MaxNodes)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: it has no boxes", ErrRefused)
	}
	if e, err := g.EdgeNum(); err != nil || e > MaxEdges {
		return nil, fmt.Errorf("%w: it has %d arrows; the limit is %d", ErrRefused, e, MaxEdges)
	}
	// Whatever the DOT says, draw at screen resolution within maxInches:
	// every root attribute that scales the image is reset.
	for _, a := range [][2]string{
		{"dpi", strconv.Itoa(dpi)}, {"resolution", strconv.Itoa(dpi)},
		{"size", fmt.Sprintf("%d,%d", maxInches, maxInches)},
		{"ratio", "auto"}, {"scale", "1"}, {"pad", "0.2"}, {"margin", "0"},
		{"viewport", ""}, {"page", ""},
	} {
		if err := g.SafeSet(a[0], a[1], ""); err != nil {
			return nil, fmt.Errorf("graphviz: %w", err)
		}
	}
	var buf bytes.Buffer
	if err := r.gv.Render(ctx, g, graphviz.PNG, &buf); err != nil {
		return nil, fmt.Errorf("graphviz: %s", oneLine(err.Error()))
	}
	return buf.Bytes(), nil
}

// forbiddenAttrs read files or change fonts by path.
var forbiddenAttrs = map[string]bool{
	"image": true, "shapefile": true, "imagepath": true, "fontpath": true, "fontnames": true, "charset": true,
}

// Check applies the limits to DOT source without running Graphviz: size,
// nesting of braces (subgraphs) and of HTML labels, label length, and
// attributes that read files. Node count is checked after parsing.
func Check(dot string) error {
	if len(dot) > MaxDOTBytes {
		return fmt.Errorf("%w: it is %d KB of DOT; the limit is %d KB", ErrRefused, (len(dot)+1023)>>10, MaxDOTBytes>>10)
	}
	if strings.TrimSpace(dot) == "" {
		return fmt.Errorf("%w: it is empty", ErrRefused)
	}
	depth := 0
	var ident strings.Builder
	lastIdent := ""
	for i := 0; i < len(dot); i++ {
		c := dot[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(dot) && dot[j] != '"' {
				if dot[j] == '\\' {
					j++
				}
				j++
			}
			if j-i-1 > MaxLabel {
				return fmt.Errorf("%w: a label is %d characters long; the limit is %d", ErrRefused, j-i-1, MaxLabel)
			}
			i = j
			lastIdent = ""
		case c == '<':
			// An HTML-like label: nested <...>, bounded like braces.
			j, nest, longest := i, 0, 0
			for ; j < len(dot); j++ {
				if dot[j] == '<' {
					nest++
					longest = max(longest, nest)
				} else if dot[j] == '>' {
					if nest--; nest == 0 {
						break
					}
				}
			}
			if longest > MaxNesting || j-i > MaxLabel*4 {
				return fmt.Errorf("%w: an HTML label is too large or nested too deep", ErrRefused)
			}
			i = j
		case c == '/' && i+1 < len(dot) && dot[i+1] == '*':
			end := strings.Index(dot[i+2:], "*/")
			if end < 0 {
				return nil // unterminated: Graphviz reports the syntax error
			}
			i += end + 3
		case (c == '/' && i+1 < len(dot) && dot[i+1] == '/') || (c == '#' && (i == 0 || dot[i-1] == '\n')):
			end := strings.IndexByte(dot[i:], '\n')
			if end < 0 {
				return nil
			}
			i += end
		case c == '{' || c == '[':
			if depth++; depth > MaxNesting {
				return fmt.Errorf("%w: subgraphs are nested more than %d deep", ErrRefused, MaxNesting)
			}
		case c == '}' || c == ']':
			depth--
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			ident.Reset()
			for i < len(dot) && (dot[i] == '_' || dot[i] >= 'a' && dot[i] <= 'z' || dot[i] >= 'A' && dot[i] <= 'Z' || dot[i] >= '0' && dot[i] <= '9') {
				ident.WriteByte(dot[i])
				i++
			}
			i--
			lastIdent = strings.ToLower(ident.String())
		case c == '=':
			if forbiddenAttrs[lastIdent] {
				return fmt.Errorf("%w: the %s attribute is not allowed", ErrRefused, lastIdent)
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			lastIdent = ""
		}
	}
	return nil
}

// oneLine keeps the first line of a Graphviz message ("syntax error in
// line 3 near 'x'").
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimPrefix(s, "Error: ")
}

// goFonts parses the embedded Go fonts once and keeps a face per size.
type goFonts struct {
	once          sync.Once
	regular, bold *truetype.Font
	err           error
	mu            sync.Mutex
	faces         map[string]font.Face
}

// load is go-graphviz's font loader: Go Regular, or Go Bold when the font
// name asks for bold, at the requested size.
func (g *goFonts) load(_ context.Context, job *graphviz.Job, f *graphviz.TextFont) (font.Face, error) {
	g.once.Do(func() {
		if g.regular, g.err = truetype.Parse(goregular.TTF); g.err == nil {
			g.bold, g.err = truetype.Parse(gobold.TTF)
		}
	})
	if g.err != nil {
		return nil, g.err
	}
	size := f.Size() * job.Zoom()
	bold := strings.Contains(strings.ToLower(f.Name()), "bold")
	key := fmt.Sprintf("%t:%.2f", bold, size)
	g.mu.Lock()
	defer g.mu.Unlock()
	if face, ok := g.faces[key]; ok {
		return face, nil
	}
	ft := g.regular
	if bold {
		ft = g.bold
	}
	face := truetype.NewFace(ft, &truetype.Options{Size: size, DPI: 72})
	g.faces[key] = face
	return face, nil
}
