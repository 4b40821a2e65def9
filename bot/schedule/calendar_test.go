package schedule

import (
	"strings"
	"testing"
	"time"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestCalendarOn(t *testing.T) {
	ny, berlin := mustZone(t, "America/New_York"), mustZone(t, "Europe/Berlin")
	tests := []struct {
		name   string
		spec   string
		loc    *time.Location
		date   string
		want   string // RFC 3339 in UTC; "" = no post that day
		wantOK bool
	}{
		{"weekday", "0 9 * * 1-5", ny, "2026-03-09", "2026-03-09T13:00:00Z", true},
		{"weekend skipped", "0 9 * * 1-5", ny, "2026-03-08", "", false},
		{"names", "0 9 * * MON-FRI", berlin, "2026-03-27", "2026-03-27T08:00:00Z", true},
		// 02:30 does not exist on a spring-forward night: post right after the jump.
		{"NY spring forward 02:30", "30 2 * * *", ny, "2026-03-08", "2026-03-08T07:30:00Z", true},
		{"NY day before", "30 2 * * *", ny, "2026-03-07", "2026-03-07T07:30:00Z", true},
		{"NY day after", "30 2 * * *", ny, "2026-03-09", "2026-03-09T06:30:00Z", true},
		{"Berlin spring forward 02:30", "30 2 * * *", berlin, "2026-03-29", "2026-03-29T01:30:00Z", true},
		// 01:30 happens twice on a fall-back night: the first one.
		{"NY fall back 01:30", "30 1 * * *", ny, "2026-11-01", "2026-11-01T05:30:00Z", true},
		{"Berlin fall back 02:30", "30 2 * * *", berlin, "2026-10-25", "2026-10-25T00:30:00Z", true},
		{"day of month or weekday", "0 8 13 * 5", berlin, "2026-03-13", "2026-03-13T07:00:00Z", true},
		{"dom and dow both set: either", "0 8 1 * 5", berlin, "2026-03-06", "2026-03-06T07:00:00Z", true},
		{"month", "0 8 * 4 *", berlin, "2026-03-06", "", false},
	}
	c := &Calendar{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := time.Parse(time.DateOnly, tt.date)
			got, ok, err := c.On(tt.spec, tt.loc, d.Year(), d.Month(), d.Day())
			if err != nil {
				t.Fatalf("On(%q, %s) = %v", tt.spec, tt.date, err)
			}
			if ok != tt.wantOK {
				t.Fatalf("On(%q, %s) ok = %v, want %v", tt.spec, tt.date, ok, tt.wantOK)
			}
			if ok && got.UTC().Format(time.RFC3339) != tt.want {
				t.Errorf("On(%q, %s) = %s, want %s", tt.spec, tt.date, got.UTC().Format(time.RFC3339), tt.want)
			}
			if ok && got.In(tt.loc).Format(time.DateOnly) != tt.date {
				t.Errorf("On(%q, %s) lands on local date %s", tt.spec, tt.date, got.In(tt.loc).Format(time.DateOnly))
			}
		})
	}
}

func TestCalendarNext(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	c := &Calendar{}
	after := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC) // Friday 10:00 in New York
	got, err := c.Next("0 9 * * 1-5", ny, after)
	if err != nil || !got.Equal(time.Date(2026, 3, 9, 13, 0, 0, 0, time.UTC)) {
		t.Fatalf("Next(weekdays 09:00) = %v, %v; want Monday 09:00 EDT", got, err)
	}
	// Strictly after: at the post time itself, the next day's.
	got, err = c.Next("0 9 * * *", ny, time.Date(2026, 3, 9, 13, 0, 0, 0, time.UTC))
	if err != nil || !got.Equal(time.Date(2026, 3, 10, 13, 0, 0, 0, time.UTC)) {
		t.Fatalf("Next at a post time = %v, %v", got, err)
	}
	got, err = c.Next("0 9 29 2 *", time.UTC, after)
	if err != nil || !got.Equal(time.Date(2028, 2, 29, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("Next(29 Feb) = %v, %v; want 2028-02-29", got, err)
	}
}

func TestCalendarRefuses(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"0 25 * * *", "above maximum (23)"},
		{"60 9 * * *", "above maximum (59)"},
		{"0 9 * *", "expected exactly 5 fields"},
		{"0 0 9 * * *", "expected exactly 5 fields"},
		{"bogus", "expected exactly 5 fields"},
		{"", "empty"},
		{"@every 1h", "@every"},
		{"@hourly", "24 times a day"},
		{"0 9,17 * * *", "2 times a day"},
		{"*/15 9 * * *", "4 times a day"},
		{"0 9 31 2 *", "never fires"},
		{"CRON_TZ=Europe/Berlin 0 9 * * *", "time zone separately"},
		{"TZ=UTC 0 9 * * *", "time zone separately"},
	}
	c := &Calendar{}
	for _, tt := range tests {
		_, err := c.Next(tt.spec, time.UTC, time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Next(%q) = %v, want an error containing %q", tt.spec, err, tt.want)
		}
	}
}

// FuzzCalendar: any spec either is refused or yields a post time after
// the given time that On agrees with.
func FuzzCalendar(f *testing.F) {
	for _, s := range []string{"0 9 * * 1-5", "30 2 * * *", "@daily", "0 25 * * *", "*/5 * * * *", "0 0 29 2 *", "@every 5m", "x y z"} {
		f.Add(s, int64(1772800000))
	}
	zones := []*time.Location{mustZone(f, "America/New_York"), mustZone(f, "Europe/Berlin"), mustZone(f, "Australia/Lord_Howe"), time.UTC}
	c := &Calendar{}
	f.Fuzz(func(t *testing.T, spec string, unix int64) {
		if len(spec) > 200 {
			return
		}
		after := time.Unix(unix%(1<<34), 0)
		loc := zones[int(uint64(unix)%uint64(len(zones)))]
		next, err := c.Next(spec, loc, after)
		if err != nil {
			return
		}
		if !next.After(after) {
			t.Fatalf("Next(%q, %v) = %v, not after", spec, after, next)
		}
		local := next.In(loc)
		on, ok, err := c.On(spec, loc, local.Year(), local.Month(), local.Day())
		if err != nil || !ok || !on.Equal(next) {
			t.Fatalf("On(%q, %s) = %v, %v, %v; Next said %v", spec, local.Format(time.DateOnly), on, ok, err, next)
		}
	})
}
