package bot_test

import (
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
)

func TestStandingsWeek(t *testing.T) {
	ber, _ := time.LoadLocation("Europe/Berlin")
	ny, _ := time.LoadLocation("America/New_York")
	for _, tt := range []struct {
		now   string
		loc   *time.Location
		week  string
		ended string
	}{
		// Monday 00:00 Berlin after the EU change (29 March) is 22:00 UTC Sunday.
		{"2026-03-29T22:00:00Z", ber, "2026-W13", "2026-03-30T00:00:00+02:00"},
		{"2026-03-29T21:59:00Z", ber, "2026-W12", "2026-03-23T00:00:00+01:00"},
		// New York after the US change (8 March): Monday 00:00 is 04:00 UTC.
		{"2026-03-09T04:00:00Z", ny, "2026-W10", "2026-03-09T00:00:00-04:00"},
		{"2026-03-09T03:59:00Z", ny, "2026-W09", "2026-03-02T00:00:00-05:00"},
		{"2027-01-04T00:00:00Z", time.UTC, "2026-W53", "2027-01-04T00:00:00Z"},
	} {
		now, _ := time.Parse(time.RFC3339, tt.now)
		week, ended := bot.StandingsWeek(now, tt.loc)
		want, _ := time.Parse(time.RFC3339, tt.ended)
		if week != tt.week || !ended.Equal(want) {
			t.Errorf("StandingsWeek(%s, %s) = %s, %s; want %s, %s", tt.now, tt.loc, week, ended.Format(time.RFC3339), tt.week, tt.ended)
		}
	}
}

func TestClimbers(t *testing.T) {
	st := func(id string, rank int) bot.Standing { return bot.Standing{UserID: id, Rank: rank} }
	now := bot.Board{Top: []bot.Standing{st("a", 1), st("b", 2), st("c", 3), st("d", 4), st("new", 5)}}
	before := bot.Board{Top: []bot.Standing{st("d", 1), st("c", 2), st("b", 6), st("a", 5)}}
	got := bot.Climbers(now, before, 2)
	// a: 5→1 (+4), b: 6→2 (+4, worse rank now); c and d fell; new was absent
	if len(got) != 2 || got[0].UserID != "a" || got[0].From != 5 || got[1].UserID != "b" {
		t.Errorf("Climbers = %+v, want a (+4) then b (+4)", got)
	}
}
