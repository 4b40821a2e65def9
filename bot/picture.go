package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// PictureKind names what a picture shows.
type PictureKind string

const (
	// PictureDiagram is a scenario's reference architecture.
	PictureDiagram PictureKind = "diagram"
	// PictureWhiteboard is the candidate's own diagram from an answer.
	PictureWhiteboard PictureKind = "whiteboard"
	// PictureReportCard is a session's step scores against averages.
	PictureReportCard PictureKind = "report_card"
	// PictureProgress is a person's scores over time.
	PictureProgress PictureKind = "progress"
)

// Picture describes an image an Outbound carries. It is a description,
// not pixels: replies are saved with the session (the crash-safety
// outbox), so a redelivered reply draws its picture again. Adapters draw
// it with a Drawer when they deliver it, upload the PNG with Alt as its
// text alternative, and post the Outbound's Text either way.
type Picture struct {
	Kind PictureKind `json:"kind"`
	// Name is the file name shown by the platform ("fraud-report.png").
	Name string `json:"name"`
	// Alt is the text alternative: the same facts as the picture.
	Alt string `json:"alt"`
	// Scenario is the scenario id of a diagram.
	Scenario string `json:"scenario,omitempty"`
	// DOT is a whiteboard's Graphviz source, already checked for size.
	DOT string `json:"dot,omitempty"`
	// Card and Progress hold a chart's numbers.
	Card     *ReportCard    `json:"card,omitempty"`
	Progress *ProgressChart `json:"progress,omitempty"`
}

// ReportCard is the numbers of a report card picture: this session's
// seven step scores next to the candidate's and the workspace's averages.
type ReportCard struct {
	Title string         `json:"title"` // scenario title
	Steps [Steps]string  `json:"steps"` // short step names
	This  [Steps]float64 `json:"this"`  // 0..1
	// Own is the candidate's average over OwnSessions sessions (this one
	// included); Workspace the workspace's over WorkspaceSessions (0: not
	// known).
	Own               [Steps]float64 `json:"own"`
	OwnSessions       int            `json:"own_sessions"`
	Workspace         [Steps]float64 `json:"workspace"`
	WorkspaceSessions int            `json:"workspace_sessions"`
	Score             int            `json:"score"`
	Band              string         `json:"band"`
}

// ProgressChart is the numbers of the /mlsd me chart: session scores in
// time order and the weakest step's score in the same sessions.
type ProgressChart struct {
	Labels  []string  `json:"labels"` // dates, "11-25"
	Scores  []int     `json:"scores"` // 0..100
	Weakest string    `json:"weakest"`
	Step    []float64 `json:"step"` // the weakest step, 0..1 per session
}

// DiagramRenderer draws Graphviz DOT as a PNG (bot/graphviz). Errors are
// one line and may be shown to the person who drew the diagram.
type DiagramRenderer interface {
	Render(ctx context.Context, dot string) ([]byte, error)
}

// ChartRenderer draws the charts as PNGs (bot/plot).
type ChartRenderer interface {
	ReportCard(ctx context.Context, card *ReportCard) ([]byte, error)
	Progress(ctx context.Context, chart *ProgressChart) ([]byte, error)
}

// ErrNoRenderer means pictures of that kind are not set up.
var ErrNoRenderer = errors.New("pictures are not set up")

// Painter draws Pictures for the adapters. Reference diagrams are drawn
// once per scenario and kept. A nil renderer turns its kinds off
// (ErrNoRenderer). It is safe for concurrent use.
type Painter struct {
	Library  *Library
	Diagrams DiagramRenderer
	Charts   ChartRenderer

	mu    sync.Mutex
	cache map[string][]byte // scenario id → reference diagram PNG
}

// Draw returns the PNG of a picture.
func (p *Painter) Draw(ctx context.Context, pic *Picture) ([]byte, error) {
	switch pic.Kind {
	case PictureDiagram:
		return p.diagram(ctx, pic.Scenario)
	case PictureWhiteboard:
		if p.Diagrams == nil {
			return nil, ErrNoRenderer
		}
		return p.Diagrams.Render(ctx, pic.DOT)
	case PictureReportCard:
		if p.Charts == nil {
			return nil, ErrNoRenderer
		}
		if pic.Card == nil {
			return nil, errors.New("report card without numbers")
		}
		return p.Charts.ReportCard(ctx, pic.Card)
	case PictureProgress:
		if p.Charts == nil {
			return nil, ErrNoRenderer
		}
		if pic.Progress == nil {
			return nil, errors.New("progress chart without numbers")
		}
		return p.Charts.Progress(ctx, pic.Progress)
	}
	return nil, fmt.Errorf("unknown picture kind %q", pic.Kind)
}

func (p *Painter) diagram(ctx context.Context, id string) ([]byte, error) {
	if p.Diagrams == nil {
		return nil, ErrNoRenderer
	}
	p.mu.Lock()
	png, ok := p.cache[id]
	p.mu.Unlock()
	if ok {
		return png, nil
	}
	if p.Library == nil {
		return nil, fmt.Errorf("no scenario %q", id)
	}
	sc, ok := p.Library.Get(id)
	if !ok {
		return nil, fmt.Errorf("no scenario %q", id)
	}
	dot, err := sc.DiagramDOT()
	if err != nil {
		return nil, err
	}
	png, err = p.Diagrams.Render(ctx, dot)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	if p.cache == nil {
		p.cache = make(map[string][]byte)
	}
	p.cache[id] = png
	p.mu.Unlock()
	return png, nil
}

// ErrNoDiagram means the scenario has no reference diagram.
var ErrNoDiagram = errors.New("this scenario has no diagram")

// DiagramDOT compiles the scenario's reference diagram to DOT, titled
// with the scenario's title.
func (sc *Scenario) DiagramDOT() (string, error) {
	if strings.TrimSpace(sc.Diagram) == "" {
		return "", ErrNoDiagram
	}
	d, err := ParseDiagram(sc.Diagram)
	if err != nil {
		return "", err
	}
	return d.DOT(sc.Title + " — reference architecture"), nil
}

// ErrPictureNotSent is what an adapter reports when a drawn picture could
// not be uploaded (the platform's reason goes to the log).
var ErrPictureNotSent = errors.New("the upload failed")

// PictureNote is the line an adapter adds to a picture's text when the
// picture could not be drawn or sent, so nothing but the image is lost.
func PictureNote(err error) string {
	reason := "it could not be drawn"
	switch {
	case errors.Is(err, ErrNoRenderer):
		reason = "pictures are not set up here"
	case errors.Is(err, ErrPictureNotSent):
		reason = "it could not be sent"
	case err != nil:
		reason = "it could not be drawn: " + clip(strings.Join(strings.Fields(err.Error()), " "), 160)
	}
	return "_(No picture: " + reason + ".)_"
}

// diagramPicture is the Outbound that shows a scenario's reference diagram.
func diagramPicture(sc *Scenario, where Where) (Outbound, bool) {
	if strings.TrimSpace(sc.Diagram) == "" {
		return Outbound{}, false
	}
	d, err := ParseDiagram(sc.Diagram)
	if err != nil {
		return Outbound{}, false
	}
	alt := "Reference architecture of " + sc.Title + ":\n" + d.Text()
	return Outbound{
		Where: where,
		Text:  "**Reference architecture** — " + sc.Title,
		Picture: &Picture{
			Kind: PictureDiagram, Name: sc.ID + "-architecture.png", Alt: alt, Scenario: sc.ID,
		},
	}, true
}

// diagramCommand answers `/mlsd diagram SCENARIO` with the scenario's
// reference architecture, posted where the command was typed.
func (b *Bot) diagramCommand(ctx context.Context, in Inbound, query string) ([]Outbound, error) {
	var sc *Scenario
	if query == "random" {
		sc = b.randomScenario(nil)
	} else {
		var problem string
		var err error
		if sc, problem, err = b.pickScenario(ctx, in.User(), query); err != nil {
			return nil, err
		}
		if sc == nil {
			return []Outbound{b.ephemeral(in, problem)}, nil
		}
	}
	out, ok := diagramPicture(sc, Where{Kind: InThread, Channel: in.Channel, Thread: in.Thread})
	if !ok {
		return []Outbound{b.ephemeral(in, fmt.Sprintf("**%s** has no reference diagram yet.", sc.Title))}, nil
	}
	return []Outbound{out}, nil
}
