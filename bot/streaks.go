package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// StreaksText renders the current and best streaks of the people on the
// given boards (and the viewer): consecutive local days with a counted
// daily answer or a completed interview. A streak whose last day is
// before yesterday (in the workspace zone) has ended, so it shows 0 now.
// The leaderboard reply appends it; it reads everyone's Stats in one
// round trip where the store can (ProgressStore.StatsOf).
func (b *Bot) StreaksText(ctx context.Context, ws Workspace, viewer string, boards ...Board) (string, error) {
	type row struct {
		name      string
		now, best int
	}
	var ids []string
	names := map[string]string{}
	for _, board := range boards {
		for _, st := range board.Top {
			if _, ok := names[st.UserID]; !ok {
				ids = append(ids, st.UserID)
			}
			names[st.UserID] = displayName(st)
		}
	}
	if _, ok := names[viewer]; !ok && viewer != "" {
		ids = append(ids, viewer)
		names[viewer] = "You"
	}
	local := b.cfg.Now().In(b.cfg.Location)
	today, yesterday := local.Format(time.DateOnly), local.AddDate(0, 0, -1).Format(time.DateOnly)
	stats, err := b.statsOf(ctx, ws, ids)
	if err != nil {
		return "", err
	}
	var rows []row
	for _, id := range ids {
		st := stats[id]
		if st.BestStreak == 0 {
			continue
		}
		r := row{name: names[id], best: st.BestStreak}
		if st.LastDay == today || st.LastDay == yesterday {
			r.now = st.Streak
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return "", nil
	}
	slices.SortStableFunc(rows, func(x, y row) int { return y.now - x.now })
	var t strings.Builder
	t.WriteString("**Streaks** (days in a row with a daily answer or a finished interview)\n")
	for _, r := range rows {
		fmt.Fprintf(&t, "- %s: %d now, best %d\n", r.name, r.now, r.best)
	}
	return strings.TrimRight(t.String(), "\n"), nil
}

// statsOf reads the Stats of several people of ws: in one call with a
// ProgressStore, else one Stats call each.
func (b *Bot) statsOf(ctx context.Context, ws Workspace, ids []string) (map[string]Stats, error) {
	if b.cfg.Progress != nil {
		return b.cfg.Progress.StatsOf(ctx, ws, ids)
	}
	out := make(map[string]Stats, len(ids))
	for _, id := range ids {
		st, err := b.cfg.Store.Stats(ctx, UserKey{Platform: ws.Platform, Workspace: ws.ID, UserID: id})
		if err != nil {
			return nil, err
		}
		out[id] = st
	}
	return out, nil
}
