package plot_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/plot"
)

var card = &bot.ReportCard{
	Title: "Real-time payment fraud detection",
	Steps: [bot.Steps]string{"Clarify", "Frame", "Data", "Model", "Evaluation", "Deployment", "Monitoring"},
	This:  [bot.Steps]float64{0.9, 0.7, 0.55, 0.8, 0.4, 0.65, 0.3},
	Own:   [bot.Steps]float64{0.8, 0.6, 0.5, 0.7, 0.5, 0.6, 0.35}, OwnSessions: 3,
	Workspace: [bot.Steps]float64{0.7, 0.6, 0.6, 0.6, 0.55, 0.5, 0.45}, WorkspaceSessions: 41,
	Score: 62, Band: bot.BandLeanHire,
}

func decode(t testing.TB, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img
}

// hasColor reports whether some pixel has exactly c's colour.
func countColor(img image.Image, r, g, b uint8) int {
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if uint8(cr>>8) == r && uint8(cg>>8) == g && uint8(cb>>8) == b {
				n++
			}
		}
	}
	return n
}

func TestReportCard(t *testing.T) {
	data, err := plot.Renderer{}.ReportCard(context.Background(), card)
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, data)
	if b := img.Bounds(); b.Dx() != 880 || b.Dy() != 440 {
		t.Errorf("image is %dx%d, want 880x440", b.Dx(), b.Dy())
	}
	// All three series are drawn as bars of their colour.
	for _, c := range [][3]uint8{{0x3c, 0x5a, 0x99}, {0x9b, 0xb7, 0xe8}, {0xc8, 0xc8, 0xc8}} {
		if n := countColor(img, c[0], c[1], c[2]); n < 500 {
			t.Errorf("colour %x: %d pixels, want bars", c, n)
		}
	}
	if os.Getenv("MLSD_KEEP_CHARTS") != "" {
		os.WriteFile("report-card.png", data, 0o644)
	}
	// Without averages only this session's bars are drawn.
	data, err = plot.Renderer{}.ReportCard(context.Background(), &bot.ReportCard{Title: "x", Steps: card.Steps, This: card.This, Score: 10, Band: bot.BandNoHire})
	if err != nil {
		t.Fatal(err)
	}
	if n := countColor(decode(t, data), 0x9b, 0xb7, 0xe8); n != 0 {
		t.Errorf("average bars drawn without averages (%d pixels)", n)
	}
}

func TestProgress(t *testing.T) {
	chart := &bot.ProgressChart{
		Labels: []string{"11-02", "11-09", "11-16", "11-23", "11-30"},
		Scores: []int{41, 48, 55, 53, 67}, Weakest: "Monitoring", Step: []float64{0.2, 0.3, 0.25, 0.4, 0.5},
	}
	data, err := plot.Renderer{}.Progress(context.Background(), chart)
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, data)
	if n := countColor(img, 0x3c, 0x5a, 0x99); n < 100 {
		t.Errorf("score line: %d pixels", n)
	}
	if n := countColor(img, 0xe0, 0x8a, 0x1e); n < 50 {
		t.Errorf("weakest step line: %d pixels", n)
	}
	if os.Getenv("MLSD_KEEP_CHARTS") != "" {
		os.WriteFile("progress.png", data, 0o644)
	}
	if _, err := (plot.Renderer{}).Progress(context.Background(), &bot.ProgressChart{}); err == nil {
		t.Error("an empty chart was drawn")
	}
}

// BenchmarkReportCardOneSeries is the baseline: this session's bars only
// (no averages known yet).
func BenchmarkReportCardOneSeries(b *testing.B) {
	one := &bot.ReportCard{Title: card.Title, Steps: card.Steps, This: card.This, Score: card.Score, Band: card.Band}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (plot.Renderer{}).ReportCard(context.Background(), one); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReportCard(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (plot.Renderer{}).ReportCard(context.Background(), card); err != nil {
			b.Fatal(err)
		}
	}
}
