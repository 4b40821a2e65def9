package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Weekly standings: every channel with a daily schedule gets one post when
// its local week ends (the first tick after Monday 00:00 in the channel's
// zone), claimed in the store like the daily post, so replicas post it once.
const (
	// standingsGrace: a week's standings still go out this long after the
	// week ended (a replica down over midnight catches up); later, never.
	// It is well inside dailyClaimTTL, so a finished claim outlives it.
	standingsGrace = 24 * time.Hour
	// standingsTop is the length of the posted board; climbers are looked
	// for among this many of this and last week's standings.
	standingsTop      = 10
	standingsClimbers = 50
	standingsShown    = 3 // climbers and streaks listed
)

// StandingsKey is the idempotency key of a channel's standings of a week.
func StandingsKey(ch ChannelRef, week string) string {
	return "standings:" + claimEscaper.Replace(string(ch.Platform)) + ":" + claimEscaper.Replace(ch.Workspace) + ":" + claimEscaper.Replace(ch.Channel) + ":" + week
}

// StandingsWeek returns the ISO week that ended last in loc before now
// and the moment it ended (Monday 00:00 local).
func StandingsWeek(now time.Time, loc *time.Location) (week string, ended time.Time) {
	local := now.In(loc)
	back := (int(local.Weekday()) + 6) % 7 // days since Monday
	monday := time.Date(local.Year(), local.Month(), local.Day()-back, 0, 0, 0, 0, loc)
	return ISOWeek(monday.AddDate(0, 0, -1)), monday
}

// PostStandings posts the weekly standings of s's workspace in s's
// channel when its local week has just ended: once across replicas (a
// claim on StandingsKey), within standingsGrace of the week's end, and
// only for weeks that ended after the schedule was turned on. It reports
// whether this call posted; a failed post leaves the claim to expire, so
// a later tick retries.
func (b *Bot) PostStandings(ctx context.Context, s DailySchedule, now time.Time, p Poster) (bool, error) {
	d := b.cfg.Daily
	if d == nil || !s.Config.Enabled {
		return false, nil
	}
	week, ended := StandingsWeek(now, b.zoneOf(&s))
	if now.Sub(ended) > standingsGrace || !ended.After(s.Config.Since) {
		return false, nil
	}
	key := StandingsKey(s.Channel, week)
	won, err := d.Claim(ctx, key, DailyClaimLease, dailyClaimTTL)
	if err != nil || !won {
		return false, err
	}
	log := b.cfg.Log.With("platform", s.Channel.Platform, "workspace", s.Channel.Workspace, "channel", s.Channel.Channel, "week", week)
	// Like the daily post, the claim's note keeps a takeover from posting
	// the standings twice (see claimed).
	w, err := b.claimedWork(ctx, key, p, log)
	if err != nil {
		return false, err
	}
	text, err := b.standingsText(ctx, Workspace{Platform: s.Channel.Platform, ID: s.Channel.Workspace}, week, ended)
	if err != nil {
		return false, err
	}
	_, posted, err := w.send(ctx, 0, Outbound{Where: Where{Kind: InThread, Channel: s.Channel.Channel}, Text: text})
	if err != nil {
		return false, fmt.Errorf("standings in %s: %w", s.Channel, err)
	}
	if err := d.Finish(ctx, key); err != nil {
		return posted, fmt.Errorf("standings in %s went out but the claim was not finished: %w", s.Channel, err)
	}
	log.Info("standings: posted", "by_this_call", posted)
	return posted, nil
}

// standingsText reads the week's board, last week's (for climbers) and the
// streaks of the people on it: a fixed number of round trips.
func (b *Bot) standingsText(ctx context.Context, ws Workspace, week string, ended time.Time) (string, error) {
	this, err := b.cfg.Store.Leaderboard(ctx, ws, WeekPeriod(week), standingsClimbers, "")
	if err != nil {
		return "", err
	}
	prevWeek := ISOWeek(ended.AddDate(0, 0, -8))
	prev, err := b.cfg.Store.Leaderboard(ctx, ws, WeekPeriod(prevWeek), standingsClimbers, "")
	if err != nil {
		return "", err
	}
	if err := b.anonymize(ctx, ws, &this); err != nil {
		return "", err
	}
	var t strings.Builder
	fmt.Fprintf(&t, "🏆 **Weekly standings — %s** (the week to %s)\n", week, ended.AddDate(0, 0, -1).Format("Mon 2 Jan"))
	if len(this.Top) == 0 {
		t.WriteString("Nobody scored this week. A fresh week starts now: `/mlsd start` or `/mlsd drill`.")
		return t.String(), nil
	}
	top := this.Top[:min(standingsTop, len(this.Top))]
	for _, st := range top {
		fmt.Fprintf(&t, "%d. %s — %s pts\n", st.Rank, displayName(st), formatPoints(st.Points))
	}
	if climbers := Climbers(this, prev, standingsShown); len(climbers) > 0 {
		t.WriteString("\n**Biggest climbers** (rank against last week)\n")
		for _, c := range climbers {
			fmt.Fprintf(&t, "- %s: #%d → #%d (+%d)\n", displayName(c.Standing), c.From, c.Rank, c.From-c.Rank)
		}
	}
	ids := make([]string, len(top))
	for i, st := range top {
		ids[i] = st.UserID
	}
	stats, err := b.statsOf(ctx, ws, ids)
	if err != nil {
		return "", err
	}
	// A streak counts when it was alive at the week's end.
	lastDay := ended.AddDate(0, 0, -1).Format(time.DateOnly)
	type streak struct {
		name string
		days int
	}
	var streaks []streak
	for _, st := range top {
		if s := stats[st.UserID]; s.Streak > 1 && s.LastDay >= lastDay {
			streaks = append(streaks, streak{displayName(st), s.Streak})
		}
	}
	slices.SortStableFunc(streaks, func(x, y streak) int { return y.days - x.days })
	if len(streaks) > 0 {
		t.WriteString("\n**Longest streaks**\n")
		for _, s := range streaks[:min(standingsShown, len(streaks))] {
			fmt.Fprintf(&t, "- %s: %d days\n", s.name, s.days)
		}
	}
	return strings.TrimRight(t.String(), "\n"), nil
}

// Climb is a standing that rose against an earlier board.
type Climb struct {
	Standing
	From int // the rank on the earlier board
}

// Climbers returns up to n people ranked on both boards whose rank rose
// most, biggest climb first (then the better rank now).
func Climbers(now, before Board, n int) []Climb {
	was := map[string]int{}
	for _, st := range before.Top {
		was[st.UserID] = st.Rank
	}
	var out []Climb
	for _, st := range now.Top {
		if r, ok := was[st.UserID]; ok && r > st.Rank {
			out = append(out, Climb{Standing: st, From: r})
		}
	}
	slices.SortStableFunc(out, func(x, y Climb) int {
		if d := (y.From - y.Rank) - (x.From - x.Rank); d != 0 {
			return d
		}
		return x.Rank - y.Rank
	})
	return out[:min(n, len(out))]
}
