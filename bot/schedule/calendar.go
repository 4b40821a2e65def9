// Package schedule runs the daily challenge and the idle-interview checks
// on every replica: a reconciler tick finds the posts that are due, and the
// domain (package bot) claims each one in the store so it goes out once
// across replicas, restarts and DST changes. It is the only importer of
// github.com/robfig/cron/v3, used here as a parser of cron specs: the
// reconciler, not cron's runner, decides when things are due.
package schedule

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/mlsdbot/mlsd/bot"
)

// Calendar implements bot.Calendar on robfig/cron's standard five-field
// parser. The zero value is ready; parsed specs are cached.
type Calendar struct {
	mu    sync.Mutex
	specs map[string]parsed
}

var _ bot.Calendar = (*Calendar)(nil)

type parsed struct {
	spec *cron.SpecSchedule
	err  error
}

// maxCachedSpecs bounds the cache; schedules are few, typos are not.
const maxCachedSpecs = 1024

// starBit is robfig/cron's marker of a "*" field (unexported there): when
// day-of-month or day-of-week is "*", a day must match both.
const starBit = 1 << 63

// searchDays bounds the search for a next post: enough for a
// February-29th-only spec across a skipped leap year.
const searchDays = 366 * 9

// parse reads spec in loc as "CRON_TZ=<loc> <spec>", and refuses what a
// once-a-day post cannot use.
func (c *Calendar) parse(spec string, loc *time.Location) (*cron.SpecSchedule, error) {
	key := loc.String() + " " + spec
	c.mu.Lock()
	if p, ok := c.specs[key]; ok {
		c.mu.Unlock()
		return p.spec, p.err
	}
	c.mu.Unlock()

	sched, err := parseSpec(spec, loc)
	c.mu.Lock()
	if c.specs == nil || len(c.specs) >= maxCachedSpecs {
		c.specs = make(map[string]parsed)
	}
	c.specs[key] = parsed{sched, err}
	c.mu.Unlock()
	return sched, err
}

func parseSpec(spec string, loc *time.Location) (*cron.SpecSchedule, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, errors.New("the spec is empty")
	}
	if strings.Contains(strings.ToUpper(spec), "TZ=") {
		return nil, errors.New("give the time zone separately, not as TZ= inside the spec")
	}
	if loc == nil {
		loc = time.UTC
	}
	s, err := cron.ParseStandard("CRON_TZ=" + loc.String() + " " + spec)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "failed to parse int from "))
	}
	sched, ok := s.(*cron.SpecSchedule)
	if !ok {
		return nil, errors.New("`@every` repeats by duration; the daily challenge needs a time of day, like `0 9 * * 1-5`")
	}
	if n := bits.OnesCount64(sched.Hour&^starBit) * bits.OnesCount64(sched.Minute&^starBit); n > 1 {
		return nil, fmt.Errorf("it fires %d times a day, and the daily challenge posts once a day — give one minute and one hour", n)
	}
	return sched, nil
}

// Next implements bot.Calendar: the first post time strictly after after.
func (c *Calendar) Next(spec string, loc *time.Location, after time.Time) (time.Time, error) {
	sched, err := c.parse(spec, loc)
	if err != nil {
		return time.Time{}, err
	}
	local := after.In(sched.Location)
	for i := 0; i < searchDays; i++ {
		d := local.AddDate(0, 0, i)
		if at, ok := on(sched, d.Year(), d.Month(), d.Day()); ok && at.After(after) {
			return at, nil
		}
	}
	return time.Time{}, errors.New("it never fires (no date matches its day and month)")
}

// On returns the post time of spec on the local date (year, month, day)
// in loc, and whether spec posts that day at all. A time that does not
// exist that day (skipped by a spring-forward jump) posts right after the
// jump, one that exists twice (fall-back) at its first occurrence: either
// way a matching date has exactly one post time.
func (c *Calendar) On(spec string, loc *time.Location, year int, month time.Month, day int) (time.Time, bool, error) {
	sched, err := c.parse(spec, loc)
	if err != nil {
		return time.Time{}, false, err
	}
	at, ok := on(sched, year, month, day)
	return at, ok, nil
}

func on(s *cron.SpecSchedule, year int, month time.Month, day int) (time.Time, bool) {
	date := time.Date(year, month, day, 12, 0, 0, 0, time.UTC) // noon: only the calendar matters
	if s.Month&(1<<uint(date.Month())) == 0 || !dayMatches(s, date) {
		return time.Time{}, false
	}
	h := bits.TrailingZeros64(s.Hour &^ starBit)
	m := bits.TrailingZeros64(s.Minute &^ starBit)
	if h > 23 || m > 59 {
		return time.Time{}, false
	}
	return bot.WallTime(year, month, day, h, m, s.Location), true
}

// dayMatches is robfig/cron's rule, unexported there: with "*" in
// day-of-month or day-of-week both must match, otherwise either.
func dayMatches(s *cron.SpecSchedule, t time.Time) bool {
	dom := 1<<uint(t.Day())&s.Dom > 0
	dow := 1<<uint(t.Weekday())&s.Dow > 0
	if s.Dom&starBit > 0 || s.Dow&starBit > 0 {
		return dom && dow
	}
	return dom || dow
}
