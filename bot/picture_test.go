package bot_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// /mlsd me adds the score-over-time chart once there are two sessions,
// with the weakest step's scores in the same sessions.
func TestMeProgressChart(t *testing.T) {
	h := newHarness(t)
	for i, sc := range h.lib.All()[:2] {
		thread := fmt.Sprintf("th%d", i)
		h.start("u1", sc.ID, thread)
		for range 40 {
			out := h.msg("u1", thread, bot.KindReply, answer)
			if slices.ContainsFunc(out, func(o bot.Outbound) bool { return o.Report != nil }) {
				break
			}
		}
		me := h.msg("u1", "", bot.KindCommand, "me")
		if i == 0 {
			if len(me) != 1 {
				t.Fatalf("me after one session: %d replies, want the text alone", len(me))
			}
			continue
		}
		if len(me) != 2 || me[1].Picture == nil || me[1].Picture.Kind != bot.PictureProgress || me[1].Where.Kind != bot.Ephemeral {
			t.Fatalf("me after two sessions: %+v", me)
		}
		chart := me[1].Picture.Progress
		if len(chart.Scores) != 2 || len(chart.Step) != 2 || len(chart.Labels) != 2 || chart.Weakest == "" {
			t.Errorf("chart %+v, want two points and the weakest step", chart)
		}
		if alt := me[1].Picture.Alt; !strings.Contains(alt, fmt.Sprintf("%d, ", chart.Scores[0])) || !strings.Contains(alt, "Weakest step") {
			t.Errorf("alt text %q lacks the numbers", alt)
		}
	}
}

type fixedAverages struct{}

func (fixedAverages) StepAverages(context.Context, bot.Workspace) ([bot.Steps]float64, int, error) {
	return [bot.Steps]float64{0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25}, 12, nil
}

// The report card carries the workspace's averages when the bot has them.
func TestReportCardWorkspaceAverages(t *testing.T) {
	h := newHarness(t)
	b, err := bot.New(bot.Config{Store: h.store, Library: h.lib, Now: h.clock.Now, Intn: func(int) int { return 0 }, TeamAverages: fixedAverages{}})
	if err != nil {
		t.Fatal(err)
	}
	h.bot = b
	sc := h.lib.All()[0]
	h.start("u1", sc.ID, "th1")
	for range 40 {
		for _, o := range h.msg("u1", "th1", bot.KindReply, answer) {
			if o.Picture == nil || o.Picture.Kind != bot.PictureReportCard {
				continue
			}
			card := o.Picture.Card
			if card.WorkspaceSessions != 12 || card.Workspace[6] != 0.25 {
				t.Fatalf("card %+v, want the workspace's averages", card)
			}
			if !strings.Contains(o.Picture.Alt, "workspace average (12)") || !strings.Contains(o.Picture.Alt, "- Monitoring: ") || !strings.Contains(o.Picture.Alt, " · 25%") {
				t.Errorf("alt text lacks the workspace column:\n%s", o.Picture.Alt)
			}
			return
		}
	}
	t.Fatal("no report card after 40 answers")
}
