package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Retention of period leaderboards (and the users' period totals) after
// the period ends; all-time boards never expire. Every store applies the
// same rule through PeriodExpiry.
const (
	WeekRetention  = 35 * 24 * time.Hour
	MonthRetention = 400 * 24 * time.Hour
	// periodSlack covers time zones: a local week or month ends up to 14
	// hours after its UTC counterpart.
	periodSlack = 24 * time.Hour
)

// PeriodExpiry is when a board of p (and the period totals behind it)
// written at now may be deleted: the retention after the period ends, and
// never less than the retention from now, so a completion filed late into
// a past period does not vanish at once. ok is false for AllTime, which is
// kept for good.
func PeriodExpiry(p Period, now time.Time) (at time.Time, ok bool, err error) {
	if p == AllTime {
		return time.Time{}, false, nil
	}
	end, err := PeriodEnd(p)
	if err != nil {
		return time.Time{}, false, err
	}
	retention := WeekRetention
	if strings.HasPrefix(string(p), "m:") {
		retention = MonthRetention
	}
	from := end.Add(periodSlack)
	if now.After(from) {
		from = now
	}
	return from.Add(retention), true, nil
}

// AdvanceStreak counts one activity on the local date day (YYYY-MM-DD) in
// st's streak. The same day changes nothing, the next day adds one, a
// later day starts again at one; an earlier day changes nothing either,
// since it is the same moment read in another time zone (a completion in
// the bot's zone, a daily answer in the channel's) or a late write, and
// moving LastDay back would break the streak at the next activity. The
// Redis scripts hold the same rule in Lua; storetest checks both.
func AdvanceStreak(st *Stats, day string) {
	if day <= st.LastDay {
		return
	}
	if d, err := time.Parse(time.DateOnly, day); err == nil && st.LastDay == d.AddDate(0, 0, -1).Format(time.DateOnly) {
		st.Streak++
	} else {
		st.Streak = 1
	}
	st.BestStreak = max(st.BestStreak, st.Streak)
	st.LastDay = day
}

// PeriodEnd is the UTC midnight after a week or month period, and checks
// its form; AllTime has no end.
func PeriodEnd(p Period) (time.Time, error) {
	switch s := string(p); {
	case strings.HasPrefix(s, "w:"):
		return weekEnd(s[2:])
	case strings.HasPrefix(s, "m:"):
		t, err := time.Parse("2006-01", s[2:])
		if err != nil {
			return time.Time{}, fmt.Errorf("month %q is not like 2026-11", s[2:])
		}
		return t.AddDate(0, 1, 0), nil
	}
	return time.Time{}, fmt.Errorf("period %q has no end (want w:2026-W48 or m:2026-11)", p)
}

// weekEnd returns the UTC midnight after the ISO week "2026-W48".
func weekEnd(week string) (time.Time, error) {
	bad := fmt.Errorf("week %q is not an ISO week like 2026-W48", week)
	y, w, ok := strings.Cut(week, "-W")
	if !ok || len(y) != 4 || len(w) != 2 {
		return time.Time{}, bad
	}
	year, err1 := strconv.Atoi(y)
	n, err2 := strconv.Atoi(w)
	if err1 != nil || err2 != nil || n < 1 || n > 53 {
		return time.Time{}, bad
	}
	jan4 := time.Date(year, time.January, 4, 0, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+7*(n-1))
	if gy, gw := monday.ISOWeek(); gy != year || gw != n {
		return time.Time{}, bad // week 53 of a 52-week year
	}
	return monday.AddDate(0, 0, 7), nil
}
