package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// teamMissedShown is how many concepts the team view lists.
const teamMissedShown = 5

// team answers /mlsd team: the workspace's aggregate, which holds counts
// only, so nobody's score can appear in it.
func (b *Bot) team(ctx context.Context, in Inbound) ([]Outbound, error) {
	if b.cfg.Progress == nil {
		return []Outbound{b.ephemeral(in, msgNoProgress)}, nil
	}
	now := b.cfg.Now().In(b.cfg.Location)
	ts, err := b.cfg.Progress.Team(ctx, Workspace{Platform: in.Platform, ID: in.Workspace}, ISOWeek(now), now.Format("2006-01"), teamMissedShown)
	if err != nil {
		return nil, err
	}
	return []Outbound{b.ephemeral(in, TeamText(ts, b.cfg.Library))}, nil
}

// TeamText renders a workspace's aggregate.
func TeamText(ts TeamStats, lib *Library) string {
	if ts.Sessions == 0 {
		return "**Team progress**: nobody here has finished an interview yet. Be the first: `/mlsd start`."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**Team progress** — %d interview%s finished this week, %d this month, %d in all\n",
		ts.Week, plural(ts.Week), ts.Month, ts.Sessions)
	b.WriteString("**Average per step**\n")
	for i, total := range ts.StepTotals {
		avg := total / float64(ts.Sessions)
		step := StepID(i + 1)
		fmt.Fprintf(&b, "`%s` %d. %s — %d%%\n", Bar(avg, 10), step, step.Title(), pct(avg))
	}
	if len(ts.Missed) > 0 {
		b.WriteString("**Concepts the team misses most**\n")
		for _, m := range ts.Missed {
			fmt.Fprintf(&b, "- _%s_ (%s) — missed %d time%s\n", mdSafe(m.Label), m.Step.Title(), m.Misses, plural(m.Misses))
		}
	}
	if most, least := attempted(ts.Scenarios, lib); most != "" {
		fmt.Fprintf(&b, "**Most attempted:** %s · **least attempted:** %s\n", most, least)
	}
	return strings.TrimRight(b.String(), "\n")
}

// attempted names the most and least attempted scenarios of the library
// (a scenario nobody tried counts as 0); ties list up to three.
func attempted(counts map[string]int, lib *Library) (most, least string) {
	if lib == nil || lib.Len() == 0 {
		return "", ""
	}
	type row struct {
		title string
		n     int
	}
	var rows []row
	for _, sc := range lib.All() {
		rows = append(rows, row{sc.Title, counts[sc.ID]})
	}
	slices.SortStableFunc(rows, func(a, b row) int { return b.n - a.n })
	name := func(pick func(row) bool) string {
		var names []string
		n, count := 0, 0
		for _, r := range rows {
			if pick(r) {
				n, count = r.n, count+1
				if len(names) < 3 {
					names = append(names, r.title)
				}
			}
		}
		text := strings.Join(names, ", ")
		if more := count - len(names); more > 0 {
			text += fmt.Sprintf(" and %d more", more)
		}
		if count == 1 {
			return fmt.Sprintf("%s (%d)", text, n)
		}
		return fmt.Sprintf("%s (%d each)", text, n)
	}
	top, bottom := rows[0].n, rows[len(rows)-1].n
	return name(func(r row) bool { return r.n == top }), name(func(r row) bool { return r.n == bottom })
}
