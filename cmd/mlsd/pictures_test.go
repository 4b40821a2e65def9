package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/scenarios"
)

var picturePath = regexp.MustCompile(`🖼 picture: (\S+)`)

// checkPictures: a console interview prints, after the report, the paths
// of the report card and the reference diagram, both PNGs under the data
// dir.
func checkPictures(t *testing.T, out, dataDir, scenario string) {
	t.Helper()
	report := strings.Index(out, "Score: ")
	paths := picturePath.FindAllStringSubmatchIndex(out, -1)
	if len(paths) != 2 || report < 0 || paths[0][0] < report {
		t.Fatalf("want two picture paths after the report, got %d", len(paths))
	}
	want := []string{scenario + "-report-card.png", scenario + "-architecture.png"}
	for i, m := range paths {
		path := out[m[2]:m[3]]
		if !strings.HasPrefix(path, filepath.Join(dataDir, "pictures")+string(filepath.Separator)) || !strings.HasSuffix(path, want[i]) {
			t.Errorf("picture %d at %s, want <data dir>/pictures/…%s", i, path, want[i])
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(data)); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// TestConsoleInterviewPictures: a console interview (pictures on, the
// default) writes the report card and the reference diagram under the
// data dir and prints their paths after the report.
func TestConsoleInterviewPictures(t *testing.T) {
	list, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	sc := list[0]
	lines := script(t, sc, readCalibration(t, sc.ID), candidates[0])
	dataDir := t.TempDir()
	out, errOut, err := runWith(t, env("MLSD_DATA_DIR", dataDir, "USER", "ada"), strings.Join(lines, "\n")+"\n")
	if err != nil || errOut != "" {
		t.Fatalf("run: %v\n%s", err, errOut)
	}
	checkPictures(t, out, dataDir, sc.ID)

	// /mlsd diagram draws one on request.
	out, _, err = runWith(t, env("MLSD_DATA_DIR", dataDir, "USER", "ada"), "/mlsd diagram rag-assistant\n")
	want := filepath.Join(dataDir, "pictures", "rag-assistant-architecture.png")
	if err != nil || !strings.Contains(out, "🖼 picture: "+want) {
		t.Fatalf("/mlsd diagram: %v\n%s", err, out)
	}
	if _, err := os.Stat(want); err != nil {
		t.Fatal(err)
	}
}
