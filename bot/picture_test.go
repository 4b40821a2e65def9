package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
)

// /mlsd diagram answers with the scenario's reference diagram in the
// channel, a typo with suggestions.
func TestDiagramCommand(t *testing.T) {
	h := newHarness(t)
	sc := h.lib.All()[0]
	out := h.msg("u1", "", bot.KindCommand, "diagram "+sc.ID)
	if len(out) != 1 || out[0].Picture == nil || out[0].Picture.Kind != bot.PictureDiagram || out[0].Picture.Scenario != sc.ID ||
		out[0].Where.Kind != bot.InThread {
		t.Fatalf("diagram %s: %+v", sc.ID, out)
	}
	if !strings.Contains(out[0].Picture.Alt, sc.Title) || !strings.Contains(out[0].Picture.Alt, " → ") {
		t.Errorf("alt text %q lacks the title or the arrows", out[0].Picture.Alt)
	}
	out = h.msg("u1", "", bot.KindCommand, "diagram nosuchcase")
	if len(out) != 1 || out[0].Picture != nil || !strings.Contains(out[0].Text, "I don't have a scenario") {
		t.Errorf("unknown scenario: %+v", out)
	}
}

type fakeDiagrams struct {
	calls int
	err   error
}

func (f *fakeDiagrams) Render(_ context.Context, dot string) ([]byte, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return []byte("png of " + dot[:10]), nil
}

// The painter draws a reference diagram once per scenario; a failure is
// not cached and becomes a note.
func TestPainterCachesDiagrams(t *testing.T) {
	h := newHarness(t)
	sc := h.lib.All()[0]
	fd := &fakeDiagrams{err: errors.New("boom")}
	p := &bot.Painter{Library: h.lib, Diagrams: fd}
	pic := &bot.Picture{Kind: bot.PictureDiagram, Scenario: sc.ID}
	if _, err := p.Draw(context.Background(), pic); err == nil || !strings.Contains(bot.PictureNote(err), "could not be drawn: boom") {
		t.Fatalf("Draw with a failing renderer = %v", err)
	}
	fd.err = nil
	for range 3 {
		if _, err := p.Draw(context.Background(), pic); err != nil {
			t.Fatal(err)
		}
	}
	if fd.calls != 2 {
		t.Errorf("renderer called %d times, want 2 (the failure, then once)", fd.calls)
	}
	if _, err := (&bot.Painter{}).Draw(context.Background(), pic); !errors.Is(err, bot.ErrNoRenderer) {
		t.Errorf("Draw without renderers = %v, want ErrNoRenderer", err)
	}
}
