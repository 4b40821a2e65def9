package bot_test

import (
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
)

// TestPeriodEnd: ISO weeks, including week 53 and weeks across a new year,
// and months.
func TestPeriodEnd(t *testing.T) {
	for p, want := range map[bot.Period]string{
		bot.WeekPeriod("2026-W48"): "2026-11-30",
		bot.WeekPeriod("2026-W01"): "2026-01-05", // week 1 of 2026 starts on 2025-12-29
		bot.WeekPeriod("2026-W53"): "2027-01-04",
		bot.WeekPeriod("2020-W53"): "2021-01-04",
		bot.WeekPeriod("2027-W01"): "2027-01-11",
		bot.MonthPeriod("2026-11"): "2026-12-01",
		bot.MonthPeriod("2026-12"): "2027-01-01",
	} {
		got, err := bot.PeriodEnd(p)
		if err != nil || got.Format(time.DateOnly) != want {
			t.Errorf("PeriodEnd(%q) = %v, %v; want %s", p, got, err, want)
		}
		// The period's last day must be in the period.
		last := got.AddDate(0, 0, -1)
		if in := bot.WeekPeriod(bot.ISOWeek(last)); p[0] == 'w' && in != p {
			t.Errorf("PeriodEnd(%q): the day before is in %s", p, in)
		}
	}
	for _, bad := range []bot.Period{bot.WeekPeriod("2027-W53"), bot.WeekPeriod("2026-W00"), bot.WeekPeriod("2026-W54"),
		bot.WeekPeriod("2026-48"), bot.WeekPeriod("26-W48"), bot.WeekPeriod("2026-W4"), bot.MonthPeriod("2026-13"), bot.AllTime, "x"} {
		if _, err := bot.PeriodEnd(bad); err == nil {
			t.Errorf("PeriodEnd(%q) = nil error", bad)
		}
	}
}

func TestPeriodExpiry(t *testing.T) {
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		p    bot.Period
		want time.Time
		ok   bool
	}{
		{bot.WeekPeriod("2026-W48"), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(bot.WeekRetention), true},
		{bot.MonthPeriod("2026-11"), time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC).Add(bot.MonthRetention), true},
		// Filed late into a long-past week: kept the retention from now.
		{bot.WeekPeriod("2026-W10"), now.Add(bot.WeekRetention), true},
		{bot.AllTime, time.Time{}, false},
	} {
		got, ok, err := bot.PeriodExpiry(tt.p, now)
		if err != nil || ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("PeriodExpiry(%s) = %v, %v, %v; want %v, %v", tt.p, got, ok, err, tt.want, tt.ok)
		}
	}
}

func TestAdvanceStreak(t *testing.T) {
	for _, tt := range []struct {
		name         string
		days         []string
		streak, best int
		last         string
	}{
		{"first", []string{"2026-11-25"}, 1, 1, "2026-11-25"},
		{"same day", []string{"2026-11-25", "2026-11-25"}, 1, 1, "2026-11-25"},
		{"next day", []string{"2026-11-25", "2026-11-26"}, 2, 2, "2026-11-26"},
		{"gap", []string{"2026-11-25", "2026-11-26", "2026-11-28"}, 1, 2, "2026-11-28"},
		// A daily answer in the channel's zone after a completion in the
		// bot's zone can read as the day before: nothing moves back.
		{"earlier day", []string{"2026-11-26", "2026-11-25", "2026-11-27"}, 2, 2, "2026-11-27"},
	} {
		var st bot.Stats
		for _, d := range tt.days {
			bot.AdvanceStreak(&st, d)
		}
		if st.Streak != tt.streak || st.BestStreak != tt.best || st.LastDay != tt.last {
			t.Errorf("%s: streak %d best %d last %q, want %d %d %q", tt.name, st.Streak, st.BestStreak, st.LastDay, tt.streak, tt.best, tt.last)
		}
	}
}
