package slack

import (
	"bytes"
	"fmt"
	"image/png"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
)

// checkReportPictures: two uploads after the report — the report card
// (its alt text carrying the score), then the reference diagram — each
// a PNG.
func checkReportPictures(t *testing.T, pics []fakeslack.Message, reportTS string, score int) {
	t.Helper()
	if len(pics) != 2 {
		t.Fatalf("got %d pictures in the thread, want the report card and the diagram", len(pics))
	}
	want := []struct{ name, comment, alt string }{
		{scenarioID + "-report-card.png", "*Report card*", fmt.Sprintf("%d/100", score)},
		{scenarioID + "-architecture.png", "*Reference architecture*", "driver GPS pings → GPS stream processor"},
	}
	for i, m := range pics {
		if m.TS <= reportTS || m.Via != "files.completeUploadExternal" {
			t.Errorf("picture %d (ts %s via %s) did not follow the report (ts %s) as an upload", i, m.TS, m.Via, reportTS)
		}
		if len(m.Files) != 1 {
			t.Fatalf("picture %d has %d files", i, len(m.Files))
		}
		f := m.Files[0]
		if f.Name != want[i].name || !strings.HasPrefix(m.Text, want[i].comment) || !strings.Contains(f.AltText, want[i].alt) {
			t.Errorf("picture %d: %s, comment %q, alt %q; want %s, %q…, alt with %q", i, f.Name, m.Text, f.AltText, want[i].name, want[i].comment, want[i].alt)
		}
		if _, err := png.Decode(bytes.NewReader(f.Data)); err != nil {
			t.Errorf("picture %d is not a PNG: %v", i, err)
		}
	}
}
