package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// shortStepNames label the report card's bars.
var shortStepNames = [Steps]string{"Clarify", "Frame", "Data", "Model", "Evaluation", "Deployment", "Monitoring"}

// reportPictures are the pictures that follow a finished interview's
// report: the report card, then the reference diagram. They are built
// before the completion is saved (and saved with it, in the outbox), so
// the candidate's average counts this session in by hand; a store that
// cannot be read leaves the averages out rather than the picture.
func (b *Bot) reportPictures(ctx context.Context, log *slog.Logger, s *Session, sc *Scenario) []Outbound {
	r := s.Final
	if r == nil {
		return nil
	}
	card := &ReportCard{Title: sc.Title, Steps: shortStepNames, Score: r.Score, Band: r.Band}
	for i, st := range r.Steps {
		if i < Steps {
			card.This[i] = st.Score
		}
	}
	if st, err := b.cfg.Store.Stats(ctx, s.User); err != nil {
		log.Warn("report card drawn without the candidate's average", "session", s.ID, "err", err)
	} else {
		card.OwnSessions = st.Sessions + 1
		for i := range card.Own {
			card.Own[i] = (st.StepTotals[i] + card.This[i]) / float64(card.OwnSessions)
		}
	}
	if ta := b.cfg.TeamAverages; ta != nil {
		avg, n, err := ta.StepAverages(ctx, Workspace{Platform: s.User.Platform, ID: s.User.Workspace})
		if err != nil {
			log.Warn("report card drawn without the workspace average", "session", s.ID, "err", err)
		} else if n > 0 {
			card.Workspace, card.WorkspaceSessions = avg, n
		}
	}
	out := []Outbound{{
		Text: fmt.Sprintf("**Report card** — %d/100 · %s", card.Score, card.Band),
		Picture: &Picture{
			Kind: PictureReportCard, Name: sc.ID + "-report-card.png", Alt: card.Alt(), Card: card,
		},
	}}
	if d, ok := diagramPicture(sc, Where{}); ok {
		out = append(out, d)
	}
	return out
}

// TeamAverages gives the average step scores of a workspace's completed
// interviews, and how many there are (bot/bolt and bot/redis offer it).
type TeamAverages interface {
	StepAverages(ctx context.Context, ws Workspace) ([Steps]float64, int, error)
}

// Alt is the report card's text alternative: every number on the chart.
func (c *ReportCard) Alt() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Report card — %s: %d/100, %s.\n", c.Title, c.Score, c.Band)
	cols := []string{"this session"}
	if c.OwnSessions > 0 {
		cols = append(cols, fmt.Sprintf("your average (%d)", c.OwnSessions))
	}
	if c.WorkspaceSessions > 0 {
		cols = append(cols, fmt.Sprintf("workspace average (%d)", c.WorkspaceSessions))
	}
	fmt.Fprintf(&b, "Step scores, %s:\n", strings.Join(cols, " · "))
	for i, name := range c.Steps {
		vals := []string{percent(c.This[i])}
		if c.OwnSessions > 0 {
			vals = append(vals, percent(c.Own[i]))
		}
		if c.WorkspaceSessions > 0 {
			vals = append(vals, percent(c.Workspace[i]))
		}
		fmt.Fprintf(&b, "- %s: %s\n", name, strings.Join(vals, " · "))
	}
	fmt.Fprintf(&b, "Level bands: %s.", bandsText())
	return b.String()
}

func percent(v float64) string { return fmt.Sprintf("%d%%", pct(v)) }

func bandsText() string {
	parts := make([]string, len(Bands))
	for i, band := range Bands {
		parts[i] = fmt.Sprintf("%s ≥ %d", band.Name, band.Min)
	}
	return strings.Join(parts, ", ")
}
