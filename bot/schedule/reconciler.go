package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/mlsdbot/mlsd/bot"
)

// Defaults of Options.
const (
	// DefaultGrace: a post missed while every replica was down still goes
	// out when one returns within this long after its time.
	DefaultGrace = 2 * time.Hour
	// DefaultEvery is Run's tick period.
	DefaultEvery = 30 * time.Second
	// DefaultWorkers channels are handled at once in a tick: enough to
	// keep a platform's rate budget busy while each post waits on the
	// network (Discord: two requests of ~100 ms per post, 48 a second).
	DefaultWorkers = 8
	// lookbackDays bounds how far back missed posts are looked for (and
	// logged once each).
	lookbackDays = 7
)

// Daily is what the reconciler needs from the domain; *bot.Bot has it.
// The domain claims every post, reveal and nudge in the store, so a call
// that is not due any more, or that another replica already made, does
// nothing.
type Daily interface {
	DailySchedules(ctx context.Context) ([]bot.DailySchedule, error)
	PostDaily(ctx context.Context, s bot.DailySchedule, date string, now time.Time, p bot.Poster) (bool, error)
	PostRequested(ctx context.Context, s bot.DailySchedule, now time.Time, p bot.Poster) (bool, error)
	RevealDaily(ctx context.Context, s bot.DailySchedule, now time.Time, p bot.Poster) (bool, error)
	RunNudges(ctx context.Context, now time.Time, posters func(bot.Platform) bot.Poster) (int, error)
	// RunOutbox delivers replies a process saved and died before sending.
	RunOutbox(ctx context.Context, now time.Time, posters func(bot.Platform) bot.Poster) (int, error)
}

var _ Daily = (*bot.Bot)(nil)

// Poster sends proactive messages on one platform; the Slack and Discord
// adapters implement it.
type Poster interface {
	Post(ctx context.Context, out bot.Outbound) (threadID string, err error)
}

// Options configure a Reconciler.
type Options struct {
	// Posters by platform; a channel on a platform without one is skipped
	// (and logged once).
	Posters map[bot.Platform]Poster
	// Grace is how late a missed post may still go out (default
	// DefaultGrace); older ones are skipped and logged.
	Grace time.Duration
	// Every is Run's tick period (default DefaultEvery).
	Every time.Duration
	// Now is Run's clock (default time.Now); Tick takes the time as an
	// argument and reads no clock.
	Now func() time.Time
	// Wake makes Run tick at once (after `/mlsd daily now`).
	Wake <-chan struct{}
	Log  *slog.Logger
	// Calendar reads the specs (default a new one).
	Calendar *Calendar
	// Workers is how many channels a tick handles at once (default
	// DefaultWorkers); the adapters' rate limiters, not this, set the
	// pace.
	Workers int
	// Observe, when set, hears "posted" when this replica posted a daily
	// case and "claim_lost" when a due post was already another replica's
	// (metrics).
	Observe func(event string, p bot.Platform)
}

// Reconciler finds what is due and has the domain do it. Each replica runs
// one; they need no coordination beyond the store's claims.
type Reconciler struct {
	daily    Daily
	posters  map[bot.Platform]Poster
	grace    time.Duration
	every    time.Duration
	workers  int
	now      func() time.Time
	wake     <-chan struct{}
	log      *slog.Logger
	cal      *Calendar
	observer func(event string, p bot.Platform)
	zones    *bot.Zones

	mu     sync.Mutex
	warned map[string]time.Time // log-once keys → when, pruned after lookbackDays
}

// New builds a Reconciler.
func New(d Daily, opts Options) *Reconciler {
	r := &Reconciler{
		daily: d, posters: opts.Posters, grace: opts.Grace, every: opts.Every, workers: opts.Workers,
		now: opts.Now, wake: opts.Wake, log: opts.Log, cal: opts.Calendar, observer: opts.Observe,
		warned: make(map[string]time.Time), zones: bot.NewZones(),
	}
	if r.grace <= 0 {
		r.grace = DefaultGrace
	}
	if r.every <= 0 {
		r.every = DefaultEvery
	}
	if r.workers <= 0 {
		r.workers = DefaultWorkers
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.cal == nil {
		r.cal = &Calendar{}
	}
	return r
}

// Run ticks every Options.Every (and on Wake) until ctx is done, then
// returns nil. It is the only code here that reads real time.
func (r *Reconciler) Run(ctx context.Context) error {
	t := time.NewTicker(r.every)
	defer t.Stop()
	r.tick(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-r.wake:
		}
		r.tick(ctx)
	}
}

// tick runs one Tick, logging its error and surviving a panic: one bad
// schedule must not stop the others, or the process.
func (r *Reconciler) tick(ctx context.Context) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("schedule: tick panicked", "panic", fmt.Sprint(p))
		}
	}()
	if err := r.Tick(ctx, r.now()); err != nil && ctx.Err() == nil {
		r.log.Warn("schedule: tick failed", "err", err)
	}
}

// Tick does everything due at now: saved replies no process delivered
// (bot.Bot.RunOutbox), pending `/mlsd daily now` requests,
// each enabled channel's latest due post (within the grace window),
// reveals at their configured time, and idle-interview checks. Errors of
// single channels are logged; the error returned is the first one that
// stopped a whole step (reading the schedules, the nudges).
func (r *Reconciler) Tick(ctx context.Context, now time.Time) error {
	// First, and whatever happens to the schedules: these replies are
	// answers people are waiting for.
	if _, err := r.daily.RunOutbox(ctx, now, r.poster); err != nil && ctx.Err() == nil {
		r.log.Warn("schedule: delivering saved replies failed; retrying at the next tick", "err", err)
	}
	scheds, err := r.daily.DailySchedules(ctx)
	if err != nil {
		return fmt.Errorf("read daily schedules: %w", err)
	}
	// Channels go concurrently: a post spends most of its time waiting
	// for the platform (and its rate budget), and a thousand channels due
	// at one minute must not queue behind each other's round trips.
	work := make(chan bot.DailySchedule)
	var wg sync.WaitGroup
	for range min(r.workers, len(scheds)) {
		wg.Go(func() {
			for s := range work {
				r.safeChannel(ctx, s, now)
			}
		})
	}
feed:
	for _, s := range scheds {
		select {
		case work <- s:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := r.daily.RunNudges(ctx, now, r.poster); err != nil {
		return fmt.Errorf("idle checks: %w", err)
	}
	r.prune(now)
	return nil
}

func (r *Reconciler) observe(event string, p bot.Platform) {
	if r.observer != nil {
		r.observer(event, p)
	}
}

func (r *Reconciler) poster(p bot.Platform) bot.Poster {
	if ps, ok := r.posters[p]; ok && ps != nil {
		return ps
	}
	return nil
}

// safeChannel handles one channel; a panic is logged and stops only that
// channel (the workers run outside tick's recover).
func (r *Reconciler) safeChannel(ctx context.Context, s bot.DailySchedule, now time.Time) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("schedule: a channel's daily work panicked", "channel", s.Channel.String(), "panic", fmt.Sprint(p))
		}
	}()
	r.channel(ctx, s, now)
}

func (r *Reconciler) channel(ctx context.Context, s bot.DailySchedule, now time.Time) {
	log := r.log.With("platform", s.Channel.Platform, "workspace", s.Channel.Workspace, "channel", s.Channel.Channel)
	p := r.poster(s.Channel.Platform)
	if p == nil {
		if s.Config.Enabled || !s.NowRequested.IsZero() {
			r.once(now, "no-poster:"+s.Channel.String(), func() {
				log.Warn("schedule: no adapter posts on this platform; its daily challenge is skipped")
			})
		}
		return
	}
	if !s.NowRequested.IsZero() {
		if _, err := r.daily.PostRequested(ctx, s, now, p); err != nil {
			log.Warn("schedule: daily now failed; retrying at the next tick", "err", err)
		}
	}
	if s.Config.Enabled {
		loc, err := r.zones.Load(s.Config.Zone)
		if err != nil {
			r.once(now, "zone:"+s.Channel.String()+":"+s.Config.Zone, func() {
				log.Error("schedule: the channel's time zone is unknown; no posts", "zone", s.Config.Zone, "err", err)
			})
			return
		}
		date, err := r.due(log, s, loc, now)
		if err != nil {
			r.once(now, "spec:"+s.Channel.String()+":"+s.Config.Spec, func() {
				log.Error("schedule: the channel's cron spec is invalid; no posts", "spec", s.Config.Spec, "err", err)
			})
			return
		}
		if date != "" {
			posted, err := r.daily.PostDaily(ctx, s, date, now, p)
			switch {
			case err != nil:
				log.Warn("schedule: daily post failed; retrying while within the grace window", "date", date, "err", err)
			case posted:
				r.observe("posted", s.Channel.Platform)
			default:
				r.observe("claim_lost", s.Channel.Platform)
			}
		}
	}
	if _, err := r.daily.RevealDaily(ctx, s, now, p); err != nil {
		log.Warn("schedule: reveal failed", "err", err)
	}
	if st, ok := r.daily.(Standings); ok && s.Config.Enabled {
		if _, err := st.PostStandings(ctx, s, now, p); err != nil {
			log.Warn("schedule: weekly standings failed; retrying at the next tick", "err", err)
		}
	}
}

// Standings is the weekly standings post, which *bot.Bot has; a Daily
// without it posts none.
type Standings interface {
	PostStandings(ctx context.Context, s bot.DailySchedule, now time.Time, p bot.Poster) (bool, error)
}

var _ Standings = (*bot.Bot)(nil)

// due returns the local date whose post is due at now: the latest date,
// after the channel's last post, whose post time has passed, lies within
// the grace window and is later than the config's Since. Older unposted
// dates are skipped, each logged once.
func (r *Reconciler) due(log *slog.Logger, s bot.DailySchedule, loc *time.Location, now time.Time) (string, error) {
	last := ""
	if s.Last != nil {
		last = s.Last.Date
	}
	today := now.In(loc)
	due := ""
	for i := 0; i <= lookbackDays; i++ {
		d := today.AddDate(0, 0, -i)
		date := d.Format(time.DateOnly)
		if date <= last {
			break
		}
		at, ok, err := r.cal.On(s.Config.Spec, loc, d.Year(), d.Month(), d.Day())
		if err != nil {
			return "", err
		}
		if !ok || at.After(now) || !at.After(s.Config.Since) {
			continue
		}
		if due == "" && now.Sub(at) <= r.grace {
			due = date
			continue
		}
		r.once(now, "missed:"+s.Channel.String()+":"+date, func() {
			log.Warn("schedule: daily post missed beyond the grace window; skipped",
				"date", date, "due", at.Format(time.RFC3339), "late", now.Sub(at).Round(time.Minute).String(), "grace", r.grace.String())
		})
	}
	return due, nil
}

// once runs f the first time key is seen (per process, for lookbackDays).
func (r *Reconciler) once(now time.Time, key string, f func()) {
	r.mu.Lock()
	_, seen := r.warned[key]
	if !seen {
		r.warned[key] = now
	}
	r.mu.Unlock()
	if !seen {
		f()
	}
}

func (r *Reconciler) prune(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, at := range r.warned {
		if now.Sub(at) > (lookbackDays+1)*24*time.Hour {
			delete(r.warned, k)
		}
	}
}
