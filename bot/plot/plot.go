// Package plot draws the report card and progress charts as PNGs with
// gonum.org/v1/plot, whose fonts (Liberation) are embedded, so charts look
// the same on every host. It is the only importer of gonum's plot module.
package plot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/mlsdbot/mlsd/bot"
)

// Chart sizes: wide enough for seven labelled steps in a chat client.
const (
	width  = 8 * vg.Inch
	height = 4 * vg.Inch
	dpi    = 110
	// maxPoints bounds a progress chart; older sessions are dropped.
	maxPoints = 100
)

var (
	thisColor      = color.RGBA{R: 0x3c, G: 0x5a, B: 0x99, A: 0xff}
	ownColor       = color.RGBA{R: 0x9b, G: 0xb7, B: 0xe8, A: 0xff}
	workspaceColor = color.RGBA{R: 0xc8, G: 0xc8, B: 0xc8, A: 0xff}
	bandColor      = color.RGBA{R: 0xb0, G: 0x40, B: 0x40, A: 0xff}
	weakestColor   = color.RGBA{R: 0xe0, G: 0x8a, B: 0x1e, A: 0xff}
)

// Renderer draws the charts. The zero value is ready; it is safe for
// concurrent use (each chart is drawn on its own canvas).
type Renderer struct{}

var _ bot.ChartRenderer = Renderer{}

// ReportCard draws a session's step scores as bars beside the candidate's
// and the workspace's averages (when known), with the level bands' lower
// bounds as dashed lines.
func (Renderer) ReportCard(ctx context.Context, card *bot.ReportCard) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s — %d/100 · %s", card.Title, card.Score, card.Band)
	p.Y.Label.Text = "step score (%)"
	p.Y.Min, p.Y.Max = 0, 105
	p.NominalX(card.Steps[:]...)
	p.Legend.Top = true
	p.Legend.Left = false

	type series struct {
		name   string
		values [bot.Steps]float64
		color  color.Color
	}
	all := []series{{"this session", card.This, thisColor}}
	if card.OwnSessions > 0 {
		all = append(all, series{fmt.Sprintf("your average (%d)", card.OwnSessions), card.Own, ownColor})
	}
	if card.WorkspaceSessions > 0 {
		all = append(all, series{fmt.Sprintf("workspace average (%d)", card.WorkspaceSessions), card.Workspace, workspaceColor})
	}
	barWidth := vg.Points(54 / float64(len(all)))
	for i, s := range all {
		vals := make(plotter.Values, bot.Steps)
		for j, v := range s.values {
			vals[j] = clamp(v) * 100
		}
		bars, err := plotter.NewBarChart(vals, barWidth)
		if err != nil {
			return nil, err
		}
		bars.Color = s.color
		bars.LineStyle.Width = 0
		bars.Offset = barWidth * vg.Length(float64(i)-float64(len(all)-1)/2)
		p.Add(bars)
		p.Legend.Add(s.name, bars)
	}
	if err := addBands(p, 0, bot.Steps-1); err != nil {
		return nil, err
	}
	return png(p)
}

// Progress draws session scores over time and the weakest step's score
// in the same sessions.
func (Renderer) Progress(ctx context.Context, chart *bot.ProgressChart) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := len(chart.Scores)
	if n == 0 {
		return nil, errors.New("no sessions to draw")
	}
	first := max(0, n-maxPoints)
	p := plot.New()
	p.Title.Text = "Your interview scores over time"
	p.Y.Label.Text = "score"
	p.Y.Min, p.Y.Max = 0, 105
	p.Legend.Top = true
	p.Legend.Left = true
	scores := make(plotter.XYs, 0, n-first)
	weakest := make(plotter.XYs, 0, n-first)
	for i := first; i < n; i++ {
		x := float64(i - first)
		scores = append(scores, plotter.XY{X: x, Y: float64(chart.Scores[i])})
		if i < len(chart.Step) {
			weakest = append(weakest, plotter.XY{X: x, Y: clamp(chart.Step[i]) * 100})
		}
	}
	line, points, err := plotter.NewLinePoints(scores)
	if err != nil {
		return nil, err
	}
	line.Color, points.Color = thisColor, thisColor
	line.Width = vg.Points(2)
	p.Add(line, points)
	p.Legend.Add("session score", line, points)
	if len(weakest) > 0 {
		wl, wp, err := plotter.NewLinePoints(weakest)
		if err != nil {
			return nil, err
		}
		wl.Color, wp.Color = weakestColor, weakestColor
		wl.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(wl, wp)
		p.Legend.Add(chart.Weakest+" (weakest step, %)", wl, wp)
	}
	labels := chart.Labels[first:min(n, len(chart.Labels))]
	if len(labels) > 0 {
		ticks := make([]plot.Tick, 0, len(labels))
		step := max(1, len(labels)/10) // at most ~10 dates on the axis
		for i, l := range labels {
			t := plot.Tick{Value: float64(i)}
			if i%step == 0 || i == len(labels)-1 {
				t.Label = l
			}
			ticks = append(ticks, t)
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
	}
	p.X.Min, p.X.Max = -0.5, float64(max(1, n-first-1))+0.5
	if err := addBands(p, p.X.Min, p.X.Max); err != nil {
		return nil, err
	}
	return png(p)
}

// addBands draws each level band's lower bound as a dashed line from x0
// to x1 and names it on the y axis ("Hire 65"), where no bar covers it.
func addBands(p *plot.Plot, x0, x1 float64) error {
	ticks := []plot.Tick{{Value: 0, Label: "0"}, {Value: 100, Label: "100"}}
	for _, band := range bot.Bands {
		if band.Min == 0 {
			continue
		}
		y := float64(band.Min)
		line, err := plotter.NewLine(plotter.XYs{{X: x0 - 0.5, Y: y}, {X: x1 + 0.5, Y: y}})
		if err != nil {
			return err
		}
		line.Color = bandColor
		line.Width = vg.Points(0.6)
		line.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
		p.Add(line)
		ticks = append(ticks, plot.Tick{Value: y, Label: fmt.Sprintf("%s %d", band.Name, band.Min)})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	return nil
}

func png(p *plot.Plot) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func clamp(v float64) float64 { return max(0, min(1, v)) }
