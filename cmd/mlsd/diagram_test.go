package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/scenarios"
)

// `mlsd scenarios diagram ID -o FILE` writes a PNG for every built-in
// (bot/graphviz's tests check that its boxes carry their labels; under
// the race detector, which makes each render take seconds, this test
// draws three of them).
func TestScenariosDiagramCommand(t *testing.T) {
	// Mostly waiting on child processes: runs beside the other slow
	// end-to-end tests, which keeps CI inside its time budget.
	t.Parallel()
	scs, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if raceEnabled {
		scs = scs[:3]
	}
	dir := t.TempDir()
	for _, sc := range scs {
		file := filepath.Join(dir, sc.ID+".png")
		out, errOut, err := runWith(t, env(), "", "scenarios", "diagram", sc.ID, "-o", file)
		if err != nil {
			t.Fatalf("%s: %v\n%s", sc.ID, err, errOut)
		}
		if !strings.Contains(out, "wrote "+file) {
			t.Errorf("%s: stdout %q", sc.ID, out)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: not a PNG: %v", sc.ID, err)
		}
		if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 200 {
			t.Errorf("%s: %dx%d image", sc.ID, b.Dx(), b.Dy())
		}
	}
}

func TestScenariosDiagramCommandErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"scenarios", "diagram"}, "usage: mlsd scenarios diagram ID -o FILE.png"},
		{[]string{"scenarios", "diagram", "rag-assistant"}, "usage: mlsd scenarios diagram ID -o FILE.png"},
		{[]string{"scenarios", "diagram", "nope", "-o", "x.png"}, `no scenario "nope"`},
	}
	for _, tt := range tests {
		_, _, err := runWith(t, env(), "", tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run %q = %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}
