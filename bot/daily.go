package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

// Daily challenge settings.
const (
	// DefaultDailySpec posts on weekdays at 09:00 in the channel's zone.
	DefaultDailySpec = "0 9 * * 1-5"
	// DailyStartAction is the value of the daily post's "Start the full
	// interview" button; a click starts the interview on the post's case.
	DailyStartAction = "daily:start"
	// DailyAnswerAction is the value of its "Answer privately" button: it
	// opens a form whose submission is graded like a reply in the thread
	// (for Discord servers without the message-content intent, where
	// plain replies never reach the bot).
	DailyAnswerAction = "daily:answer"
	// DailyClaimLease: a replica that claimed a post or reveal and neither
	// finished it nor came back within this long is presumed dead, and
	// another may take the work over.
	DailyClaimLease = 5 * time.Minute
	// DailyRevealPatience is how long a failing reveal of the previous post
	// holds the next post back before the post goes out without it.
	DailyRevealPatience = 30 * time.Minute
	// DailyKeep is how long daily threads and their answers are kept.
	DailyKeep = 30 * 24 * time.Hour
	// dailyClaimTTL is how long post and reveal claims are remembered; the
	// channel's Last post guards older dates for good.
	dailyClaimTTL = 72 * time.Hour
	// dailyQuery is the scenario argument of `/mlsd start daily`.
	dailyQuery = "daily"
	// maxTopScores bounds the reveal's table.
	maxTopScores = 5
	// maxEarnedLines bounds the quoted credits in a private daily score.
	maxEarnedLines = 3
)

const (
	msgDailyOff = "The daily challenge is not set up on this installation."

	dailyHelp = "**Daily challenge**\n" +
		"- `/mlsd daily on [cron] [time zone] [reveal HH:MM]` — post a case study here (default `" + DefaultDailySpec + "`: weekdays 09:00) _(admins)_\n" +
		"- `/mlsd daily off` — stop posting here _(admins)_\n" +
		"- `/mlsd daily now` — post today's challenge now, once _(admins)_\n" +
		"- `/mlsd daily status` — next post time and the last case posted\n" +
		"- `/mlsd daily optout` / `optin` — hide or show your score in the reveals\n" +
		"Reply in a daily thread with a short approach to get a private score; `/mlsd start daily` runs the full interview on today's case."
)

// daily handles `/mlsd daily ...`.
func (b *Bot) daily(ctx context.Context, log *slog.Logger, in Inbound, cmd Command) ([]Outbound, error) {
	if b.cfg.Daily == nil || b.cfg.Calendar == nil {
		return []Outbound{b.ephemeral(in, msgDailyOff)}, nil
	}
	sub, args := "", cmd.Args
	if len(args) > 0 {
		sub, args = strings.ToLower(args[0]), args[1:]
	}
	ch := ChannelRef{Platform: in.Platform, Workspace: in.Workspace, Channel: in.Channel}
	switch sub {
	case "", "status":
		return b.dailyStatus(ctx, in, ch)
	case "help":
		return []Outbound{b.ephemeral(in, dailyHelp)}, nil
	case "optout", "opt-out", "optin", "opt-in":
		out := strings.HasPrefix(sub, "opt-o") || sub == "optout"
		if err := b.cfg.Daily.SetDailyOptOut(ctx, in.User(), out); err != nil {
			return nil, err
		}
		if out {
			return []Outbound{b.ephemeral(in, "Done: your daily scores stay private — reveals count you as a participant but leave you out of the top scores. Your answers still earn points and streaks. `/mlsd daily optin` shows them again.")}, nil
		}
		return []Outbound{b.ephemeral(in, "Done: your daily scores can appear in the reveals' top scores. `/mlsd daily optout` hides them.")}, nil
	case "on", "off", "now":
		if !in.IsAdmin {
			log.Info("daily: refused a non-admin", "sub", sub)
			return []Outbound{b.ephemeral(in, dailyAdminsText(in.Platform))}, nil
		}
		switch sub {
		case "on":
			return b.dailyOn(ctx, log, in, ch, args)
		case "off":
			if len(args) > 0 {
				return []Outbound{b.ephemeral(in, "`daily off` takes no arguments.")}, nil
			}
			return b.dailyOff(ctx, log, in, ch)
		default:
			if len(args) > 0 {
				return []Outbound{b.ephemeral(in, "`daily now` takes no arguments.")}, nil
			}
			return b.dailyNow(ctx, log, in, ch)
		}
	}
	return []Outbound{b.ephemeral(in, "I don't know `daily "+clip(sub, 30)+"`.\n\n"+dailyHelp)}, nil
}

// DailyArgs are the parsed arguments of `/mlsd daily on`.
type DailyArgs struct {
	Spec     string // "" = DefaultDailySpec
	Zone     string // "" = the workspace zone
	RevealAt string // "" = at the next post
}

// ParseDailyOn parses the words after `daily on`: an optional cron spec
// (five fields, or one @descriptor), an optional time zone, and an
// optional `reveal HH:MM` (or `reveal=HH:MM`) anywhere. A non-empty
// problem explains what could not be read; nothing else is checked here.
func ParseDailyOn(args []string) (a DailyArgs, problem string) {
	var rest []string
	for i := 0; i < len(args); i++ {
		word, low := args[i], strings.ToLower(args[i])
		switch {
		case strings.Contains(low, "tz="):
			return DailyArgs{}, "Give the time zone after the cron spec (`/mlsd daily on 0 9 * * 1-5 Europe/Berlin`), not inside it."
		case strings.HasPrefix(low, "reveal="):
			a.RevealAt = word[len("reveal="):]
		case low == "reveal":
			if i+1 == len(args) {
				return DailyArgs{}, "`reveal` needs a local time, like `reveal 17:00`."
			}
			i++
			a.RevealAt = args[i]
		default:
			rest = append(rest, word)
		}
	}
	if a.RevealAt != "" {
		if _, err := time.Parse("15:04", a.RevealAt); err != nil {
			return DailyArgs{}, "The reveal time `" + clip(a.RevealAt, 20) + "` is not a time like `17:00` (24-hour, HH:MM)."
		}
	}
	switch {
	case len(rest) == 0:
	case strings.EqualFold(rest[0], "@every") && len(rest) > 1:
		a.Spec, rest = rest[0]+" "+rest[1], rest[2:] // refused with its reason by the calendar
	case strings.HasPrefix(rest[0], "@"):
		a.Spec, rest = rest[0], rest[1:]
	case len(rest) >= 5:
		a.Spec, rest = strings.Join(rest[:5], " "), rest[5:]
	case len(rest) == 1:
	default:
		return DailyArgs{}, "A cron spec has five fields — minute hour day-of-month month day-of-week — for example `0 9 * * 1-5` (weekdays at 09:00); I got " + fmt.Sprint(len(rest)) + " words: `" + clip(strings.Join(rest, " "), 60) + "`."
	}
	switch len(rest) {
	case 0:
	case 1:
		a.Zone = rest[0]
	default:
		return DailyArgs{}, "After the cron spec I expected one time zone, like `Europe/Berlin`; I got `" + clip(strings.Join(rest, " "), 60) + "`."
	}
	return a, ""
}

// loadZone checks a time zone name an admin typed.
func loadZone(name string) (*time.Location, string) {
	if name == "" || strings.EqualFold(name, "local") {
		return nil, "Give a time zone by its IANA name, such as `Europe/Berlin`, `America/New_York` or `UTC`."
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, code(clip(name, 40)) + " is not a time zone I know. Use an IANA name such as `Europe/Berlin`, `America/New_York` or `UTC`."
	}
	return loc, ""
}

// defaultZone is the workspace zone daily schedules default to.
func (b *Bot) defaultZone() string {
	if z := b.cfg.Location.String(); z != "" && z != "Local" {
		return z
	}
	return "UTC"
}

// zoneOf returns the location of a channel's schedule.
func (b *Bot) zoneOf(s *DailySchedule) *time.Location {
	if s.Config.Zone != "" {
		if loc, err := time.LoadLocation(s.Config.Zone); err == nil {
			return loc
		}
	}
	if loc, err := time.LoadLocation(b.defaultZone()); err == nil {
		return loc
	}
	return time.UTC
}

func (b *Bot) dailyOn(ctx context.Context, log *slog.Logger, in Inbound, ch ChannelRef, args []string) ([]Outbound, error) {
	a, problem := ParseDailyOn(args)
	if problem != "" {
		return []Outbound{b.ephemeral(in, problem+" Nothing was changed.")}, nil
	}
	if a.Spec == "" {
		a.Spec = DefaultDailySpec
	}
	if a.Zone == "" {
		a.Zone = b.defaultZone()
	}
	loc, problem := loadZone(a.Zone)
	if problem != "" {
		return []Outbound{b.ephemeral(in, problem+" Nothing was changed.")}, nil
	}
	now := b.cfg.Now()
	next, err := b.cfg.Calendar.Next(a.Spec, loc, now)
	if err != nil {
		return []Outbound{b.ephemeral(in, fmt.Sprintf("I can't use the schedule %s: %s. Use five fields — minute hour day-of-month month day-of-week — for example `%s` (weekdays at 09:00). Nothing was changed.",
			code(clip(a.Spec, 60)), strings.ReplaceAll(err.Error(), "`", "'"), DefaultDailySpec))}, nil
	}
	cfg := DailyConfig{Spec: a.Spec, Zone: loc.String(), Enabled: true, RevealAt: a.RevealAt, SetBy: in.UserID, Since: now}
	if err := b.cfg.Daily.SetDailyConfig(ctx, ch, cfg); err != nil {
		return nil, err
	}
	log.Info("daily: schedule on", "channel", ch.Channel, "spec", cfg.Spec, "zone", cfg.Zone, "reveal", cfg.RevealAt)
	text := fmt.Sprintf("🗓 **Daily challenge on** for this channel: `%s` in %s. Next post: **%s**. %s",
		cfg.Spec, cfg.Zone, formatLocal(next, loc), revealWhen(cfg.RevealAt))
	// Private: the admin asked; the channel meets the challenge at its
	// first post (and a reply here would need the bot in the channel).
	return []Outbound{b.ephemeral(in, text)}, nil
}

func (b *Bot) dailyOff(ctx context.Context, log *slog.Logger, in Inbound, ch ChannelRef) ([]Outbound, error) {
	s, err := b.cfg.Daily.DailySchedule(ctx, ch)
	if errors.Is(err, ErrNotFound) || err == nil && !s.Config.Enabled {
		return []Outbound{b.ephemeral(in, "The daily challenge is already off in this channel. `/mlsd daily on` turns it on.")}, nil
	}
	if err != nil {
		return nil, err
	}
	cfg := s.Config
	cfg.Enabled, cfg.SetBy, cfg.Since = false, in.UserID, b.cfg.Now()
	if err := b.cfg.Daily.SetDailyConfig(ctx, ch, cfg); err != nil {
		return nil, err
	}
	log.Info("daily: schedule off", "channel", ch.Channel)
	return []Outbound{b.ephemeral(in, "🗓 **Daily challenge off** for this channel. `/mlsd daily on` turns it back on; the rotation of cases continues where it stopped.")}, nil
}

func (b *Bot) dailyNow(ctx context.Context, log *slog.Logger, in Inbound, ch ChannelRef) ([]Outbound, error) {
	s, err := b.cfg.Daily.DailySchedule(ctx, ch)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	now := b.cfg.Now()
	loc := b.zoneOf(&s)
	today := now.In(loc).Format(time.DateOnly)
	if s.Last != nil && s.Last.Date >= today {
		return []Outbound{b.ephemeral(in, fmt.Sprintf("Today's challenge (%s) is already posted in this channel — one a day.", b.scenarioTitle(s.Last.ScenarioID)))}, nil
	}
	if !s.NowRequested.IsZero() && s.NowRequested.In(loc).Format(time.DateOnly) == today {
		return []Outbound{b.ephemeral(in, "Today's challenge is already on its way.")}, nil
	}
	if err := b.cfg.Daily.RequestDailyNow(ctx, ch, now); err != nil {
		return nil, err
	}
	log.Info("daily: post requested now", "channel", ch.Channel)
	if b.cfg.DailyWake != nil {
		b.cfg.DailyWake()
	}
	return []Outbound{b.ephemeral(in, "Posting today's challenge in this channel now.")}, nil
}

func (b *Bot) dailyStatus(ctx context.Context, in Inbound, ch ChannelRef) ([]Outbound, error) {
	s, err := b.cfg.Daily.DailySchedule(ctx, ch)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	opted, err := b.cfg.Daily.DailyOptedOut(ctx, Workspace{Platform: in.Platform, ID: in.Workspace}, []string{in.UserID})
	if err != nil {
		return nil, err
	}
	var t strings.Builder
	loc := b.zoneOf(&s)
	if s.Config.Enabled {
		fmt.Fprintf(&t, "**Daily challenge in this channel: on** — `%s` in %s\n", s.Config.Spec, loc)
		if next, err := b.cfg.Calendar.Next(s.Config.Spec, loc, b.cfg.Now()); err == nil {
			fmt.Fprintf(&t, "Next post: **%s**\n", formatLocal(next, loc))
		}
		t.WriteString(revealWhen(s.Config.RevealAt) + "\n")
	} else {
		t.WriteString("**Daily challenge in this channel: off** — an admin can turn it on with `/mlsd daily on`.\n")
	}
	if s.Last != nil {
		state := "reveal pending"
		if s.Last.Revealed || s.RevealedDate >= s.Last.Date {
			state = "revealed"
		}
		fmt.Fprintf(&t, "Last posted: **%s** on %s (%s)\n", b.scenarioTitle(s.Last.ScenarioID), s.Last.Date, state)
	} else {
		t.WriteString("Nothing posted here yet.\n")
	}
	if opted[in.UserID] {
		t.WriteString("Your scores stay out of the reveals (`/mlsd daily optin` to show them).")
	} else {
		t.WriteString("Your scores can appear in the reveals (`/mlsd daily optout` to hide them).")
	}
	return []Outbound{b.ephemeral(in, t.String())}, nil
}

func revealWhen(revealAt string) string {
	if revealAt == "" {
		return "The reveal of each case comes with the next post."
	}
	return "The reveal of each case comes at " + revealAt + " local time."
}

// formatLocal renders a time for people in loc: "Mon 9 Mar 2026, 09:00 CET".
func formatLocal(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04 MST")
}

func (b *Bot) scenarioTitle(id string) string {
	if sc, ok := b.cfg.Library.Get(id); ok {
		return sc.Title
	}
	return id
}

// DailySchedules returns every channel's daily record, for the reconciler.
func (b *Bot) DailySchedules(ctx context.Context) ([]DailySchedule, error) {
	if b.cfg.Daily == nil {
		return nil, nil
	}
	return b.cfg.Daily.DailySchedules(ctx)
}

// claimKey escapes the parts of an idempotency key so no channel id can
// forge another's key.
var claimEscaper = strings.NewReplacer("%", "%25", ":", "%3A")

// DailyPostKey is the idempotency key of a channel's post for a local date.
func DailyPostKey(ch ChannelRef, date string) string {
	return "daily-post:" + claimEscaper.Replace(string(ch.Platform)) + ":" + claimEscaper.Replace(ch.Workspace) + ":" + claimEscaper.Replace(ch.Channel) + ":" + date
}

// DailyRevealKey is the idempotency key of the reveal of a channel's post.
func DailyRevealKey(ch ChannelRef, date string) string {
	return "daily-reveal:" + claimEscaper.Replace(string(ch.Platform)) + ":" + claimEscaper.Replace(ch.Workspace) + ":" + claimEscaper.Replace(ch.Channel) + ":" + date
}

func revealed(s *DailySchedule) bool {
	return s.Last == nil || s.Last.Revealed || s.RevealedDate >= s.Last.Date
}

// PostDaily posts the channel's challenge for local date, once across
// replicas: it claims DailyPostKey, reveals the previous post if that is
// still pending, picks the next case of the channel's rotation, posts it in
// a new thread through p and records it. It reports whether this call
// posted; false with a nil error means the date is done or another replica
// has it. A failed post leaves the claim to expire after DailyClaimLease,
// so a later tick retries.
func (b *Bot) PostDaily(ctx context.Context, s DailySchedule, date string, now time.Time, p Poster) (bool, error) {
	d := b.cfg.Daily
	if d == nil || (s.Last != nil && s.Last.Date >= date) {
		return false, nil
	}
	key := DailyPostKey(s.Channel, date)
	won, err := d.Claim(ctx, key, DailyClaimLease, dailyClaimTTL)
	if err != nil || !won {
		return false, err
	}
	log := b.cfg.Log.With("platform", s.Channel.Platform, "workspace", s.Channel.Workspace, "channel", s.Channel.Channel, "date", date)
	// The caller's snapshot may predate another replica's post.
	switch fresh, err := d.DailySchedule(ctx, s.Channel); {
	case err == nil:
		s = fresh
	case !errors.Is(err, ErrNotFound):
		return false, err
	}
	if s.Last != nil && s.Last.Date >= date {
		return false, d.Finish(ctx, key)
	}
	if !revealed(&s) {
		if _, err := b.reveal(ctx, *s.Last, p); err != nil {
			// The reveal goes before the next post. Hold the post back (its
			// claim expires and a later tick retries both) for a while; a
			// reveal that keeps failing must not stop the channel for good.
			if waited, ok := b.lateBy(&s, date, now); ok && waited < DailyRevealPatience {
				return false, fmt.Errorf("reveal of %s before the %s post: %w", s.Last.Date, date, err)
			}
			log.Error("daily: the reveal of the previous post kept failing; posting without it", "previous", s.Last.Date, "err", err)
		}
	}
	loc := b.zoneOf(&s)
	sc, used := b.pickDaily(&s)
	post := DailyPost{Channel: s.Channel, Date: date, Zone: loc.String(), ScenarioID: sc.ID, PostedAt: now}
	thread, err := p.Post(ctx, dailyPostOutbound(sc, &s, post))
	if err != nil {
		return false, fmt.Errorf("daily post in %s: %w", s.Channel, err)
	}
	post.Thread = thread
	if thread == "" {
		log.Warn("daily: the platform returned no thread id; replies to this post cannot be graded")
	}
	// The post is out: finish the claim even if recording fails, so no
	// replica posts it again.
	recErr := d.RecordDailyPost(ctx, post, used, DailyKeep)
	if err := d.Finish(ctx, key); err != nil && recErr == nil {
		recErr = err
	}
	if recErr != nil {
		return true, fmt.Errorf("daily post in %s went out but was not recorded: %w", s.Channel, recErr)
	}
	log.Info("daily: posted", "scenario", sc.ID, "thread", thread)
	return true, nil
}

// PostRequested serves a pending `/mlsd daily now`: it posts the challenge
// of the request's local date (unless that date is already done) and
// clears the request. A failed post keeps the request for the next tick.
func (b *Bot) PostRequested(ctx context.Context, s DailySchedule, now time.Time, p Poster) (bool, error) {
	if b.cfg.Daily == nil || s.NowRequested.IsZero() {
		return false, nil
	}
	date := s.NowRequested.In(b.zoneOf(&s)).Format(time.DateOnly)
	posted, err := b.PostDaily(ctx, s, date, now, p)
	if err != nil {
		return posted, err
	}
	return posted, b.cfg.Daily.ClearDailyNow(ctx, s.Channel)
}

// lateBy is how long after its scheduled time (or the `/mlsd daily now`
// request) the post of date is being made.
func (b *Bot) lateBy(s *DailySchedule, date string, now time.Time) (time.Duration, bool) {
	if !s.NowRequested.IsZero() {
		return now.Sub(s.NowRequested), true
	}
	loc := b.zoneOf(s)
	day, err := time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil || b.cfg.Calendar == nil {
		return 0, false
	}
	due, err := b.cfg.Calendar.Next(s.Config.Spec, loc, day.Add(-time.Nanosecond))
	if err != nil {
		return 0, false
	}
	return now.Sub(due), true
}

// RevealDaily sends the reveal of the channel's last post when the
// schedule has a reveal time and it has passed; without one the next post
// reveals. It reports whether this call revealed.
func (b *Bot) RevealDaily(ctx context.Context, s DailySchedule, now time.Time, p Poster) (bool, error) {
	if b.cfg.Daily == nil || s.Config.RevealAt == "" || revealed(&s) || s.Last.Thread == "" {
		return false, nil
	}
	due, ok := revealDue(s.Last, s.Config.RevealAt, b.zoneOf(&s))
	if !ok || now.Before(due) {
		return false, nil
	}
	return b.reveal(ctx, *s.Last, p)
}

// revealDue is the first RevealAt local time after the post.
func revealDue(p *DailyPost, revealAt string, loc *time.Location) (time.Time, bool) {
	hm, err := time.Parse("15:04", revealAt)
	if err != nil {
		return time.Time{}, false
	}
	local := p.PostedAt.In(loc)
	for day := 0; day < 2; day++ {
		d := local.AddDate(0, 0, day)
		t := WallTime(d.Year(), d.Month(), d.Day(), hm.Hour(), hm.Minute(), loc)
		if t.After(p.PostedAt) {
			return t, true
		}
	}
	return time.Time{}, false
}

// WallTime is the instant a wall clock in loc shows h:m on the given day.
// A time skipped by a forward DST jump (02:30 on a spring-forward night)
// is read with the offset before the jump, so it lands as far after the
// jump as it was after its start (03:30); a time that occurs twice (01:30
// on a fall-back night) is its first occurrence.
func WallTime(year int, month time.Month, day, h, m int, loc *time.Location) time.Time {
	wall := time.Date(year, month, day, h, m, 0, 0, time.UTC)
	_, before := wall.Add(-24 * time.Hour).In(loc).Zone()
	_, after := wall.Add(24 * time.Hour).In(loc).Zone()
	var best time.Time
	for _, off := range []int{before, after} {
		t := wall.Add(-time.Duration(off) * time.Second).In(loc)
		if t.Hour() == h && t.Minute() == m && t.Day() == day && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	if best.IsZero() {
		best = wall.Add(-time.Duration(before) * time.Second).In(loc)
	}
	return best
}

// reveal posts, in the thread of prev, how many answered, the top scores
// of those who have not opted out, the reference outline, and then the
// follow-up question on bottlenecks and monitoring. It claims
// DailyRevealKey first, so it runs once across replicas, and reports
// whether this call revealed.
func (b *Bot) reveal(ctx context.Context, prev DailyPost, p Poster) (bool, error) {
	d := b.cfg.Daily
	key := DailyRevealKey(prev.Channel, prev.Date)
	won, err := d.Claim(ctx, key, DailyClaimLease, dailyClaimTTL)
	if err != nil || !won {
		return false, err
	}
	// The round closes only once the reveal is out: closing it first would
	// lose the reveal for good when the post fails, because every later
	// tick would see the post as revealed. An answer that lands while the
	// reveal is being posted is graded and counted, but not listed in it.
	answers, err := d.DailyAnswers(ctx, prev)
	if err != nil {
		return false, err
	}
	ids := make([]string, len(answers))
	for i, a := range answers {
		ids[i] = a.User.UserID
	}
	opted, err := d.DailyOptedOut(ctx, Workspace{Platform: prev.Channel.Platform, ID: prev.Channel.Workspace}, ids)
	if err != nil {
		return false, err
	}
	sc, _ := b.cfg.Library.Get(prev.ScenarioID)
	where := Where{Kind: InThread, Channel: prev.Channel.Channel, Thread: prev.Thread}
	if _, err := p.Post(ctx, Outbound{Where: where, Text: revealText(sc, prev, answers, opted)}); err != nil {
		// The claim is left to expire after DailyClaimLease, so a later
		// tick (on any replica) posts the reveal again.
		return false, fmt.Errorf("reveal in %s: %w", prev.Channel, err)
	}
	// The reveal is out: close the round and finish the claim even if
	// closing fails, so no replica reveals it twice.
	closeErr := d.MarkDailyRevealed(ctx, prev)
	if err := d.Finish(ctx, key); err != nil && closeErr == nil {
		closeErr = err
	}
	if sc != nil {
		if _, err := p.Post(ctx, Outbound{Where: where, Text: followUpText(sc)}); err != nil {
			return true, errors.Join(fmt.Errorf("follow-up in %s: %w", prev.Channel, err), closeErr)
		}
	}
	if closeErr != nil {
		return true, fmt.Errorf("reveal in %s went out but the round was not closed: %w", prev.Channel, closeErr)
	}
	b.cfg.Log.Info("daily: revealed", "channel", prev.Channel.Channel, "date", prev.Date, "answers", len(answers))
	return true, nil
}

// pickDaily picks the channel's next case: a random one not posted since
// the rotation started, starting over (without repeating the last) once
// all have been posted. used is the rotation after the pick.
func (b *Bot) pickDaily(s *DailySchedule) (*Scenario, []string) {
	all := b.cfg.Library.All()
	var used []string
	for _, id := range s.Used {
		if _, ok := b.cfg.Library.Get(id); ok && !slices.Contains(used, id) {
			used = append(used, id)
		}
	}
	var fresh []*Scenario
	for _, sc := range all {
		if !slices.Contains(used, sc.ID) {
			fresh = append(fresh, sc)
		}
	}
	if len(fresh) == 0 {
		used = nil
		for _, sc := range all {
			if len(all) == 1 || s.Last == nil || sc.ID != s.Last.ScenarioID {
				fresh = append(fresh, sc)
			}
		}
	}
	sc := fresh[b.cfg.Intn(len(fresh))]
	return sc, append(used, sc.ID)
}

func dailyPostOutbound(sc *Scenario, s *DailySchedule, post DailyPost) Outbound {
	var t strings.Builder
	fmt.Fprintf(&t, "🗓 **Daily ML system design challenge — %s** (%s", sc.Title, sc.Difficulty)
	if len(sc.Tags) > 0 {
		fmt.Fprintf(&t, " · %s", strings.Join(sc.Tags, ", "))
	}
	fmt.Fprintf(&t, ")\n\n%s\n\n**How to take part**\n", strings.TrimSpace(sc.Prompt))
	t.WriteString("- **Lightning answer:** reply in this thread (or press **Answer privately**) with a short approach — a few sentences from requirements and data through model, evaluation, serving and monitoring. I grade it against the whole rubric and show the score only to you; your first answer counts for the leaderboard and your streak.\n")
	t.WriteString("- **Full interview:** press **Start the full interview** or type `/mlsd start daily` for the 7-step mock interview on this case.\n\n")
	if s.Config.RevealAt != "" {
		fmt.Fprintf(&t, "_Reveal — participants, top scores, the reference outline and a follow-up question — at %s (%s)._", s.Config.RevealAt, post.Zone)
	} else {
		t.WriteString("_Reveal — participants, top scores, the reference outline and a follow-up question — with the next challenge._")
	}
	return Outbound{
		Where: Where{Kind: NewThread, Channel: post.Channel.Channel},
		Text:  t.String(),
		Choices: []Choice{
			{Label: "Answer privately", Value: DailyAnswerAction, Kind: ChoiceForm, Primary: true},
			{Label: "Start the full interview", Value: DailyStartAction},
		},
	}
}

func revealText(sc *Scenario, prev DailyPost, answers []DailyAnswer, opted map[string]bool) string {
	var t strings.Builder
	title := prev.ScenarioID
	if sc != nil {
		title = sc.Title
	}
	fmt.Fprintf(&t, "🔎 **Reveal — %s** (daily challenge of %s)\n\n", title, prev.Date)
	switch n := len(answers); n {
	case 0:
		t.WriteString("Nobody answered this one.\n")
	case 1:
		t.WriteString("**1 person** answered.\n")
	default:
		fmt.Fprintf(&t, "**%d people** answered.\n", n)
	}
	shown, hidden := 0, 0
	for _, a := range answers {
		if opted[a.User.UserID] {
			hidden++
			continue
		}
		if shown == maxTopScores {
			continue
		}
		if shown == 0 {
			t.WriteString("\n**Top scores**\n")
		}
		shown++
		fmt.Fprintf(&t, "%d. %s — %d/100\n", shown, nameOr(a.UserName, a.User.UserID), a.Score)
	}
	if hidden > 0 {
		fmt.Fprintf(&t, "_%d %s private._\n", hidden, map[bool]string{true: "person keeps their score", false: "people keep their scores"}[hidden == 1])
	}
	if sc != nil {
		t.WriteString("\n**Reference outline**\n")
		for step := Clarify; step <= Monitoring; step++ {
			if spec := sc.Spec(step); spec != nil && strings.TrimSpace(spec.Outline) != "" {
				fmt.Fprintf(&t, "\n_Step %d — %s_\n%s\n", int(step), step.Title(), strings.TrimSpace(spec.Outline))
			}
		}
	}
	return strings.TrimRight(t.String(), "\n")
}

func followUpText(sc *Scenario) string {
	return fmt.Sprintf("🧭 **Follow-up — bottlenecks and monitoring** (%s)\n\n1. %s\n2. %s\n\nReply in this thread — I'll grade your answer and show the score only to you.",
		sc.Title, strings.TrimSpace(sc.WrapUp.Bottleneck.Question), strings.TrimSpace(sc.WrapUp.Monitoring.Question))
}

// dailyReply handles a message in a daily thread: a lightning answer
// before the reveal, a follow-up answer after it. ok is false when the
// thread is not a daily thread.
func (b *Bot) dailyReply(ctx context.Context, log *slog.Logger, in Inbound) (out []Outbound, ok bool, err error) {
	if b.cfg.Daily == nil || (in.Kind != KindReply && in.Kind != KindForm) || (in.Thread == "" && in.Kind != KindForm) {
		return nil, false, nil
	}
	post, found, err := b.dailyPostOf(ctx, in)
	if err != nil || !found {
		return nil, found, err
	}
	text := strings.TrimSpace(in.Text)
	if text == "" {
		return []Outbound{b.ephemeral(in, msgEmpty)}, true, nil
	}
	if n := len([]rune(text)); n > MaxAnswerRunes {
		return []Outbound{b.ephemeral(in, fmt.Sprintf("That answer is too long (%d characters; the limit is %d). Please shorten it and send it again — nothing was counted.", n, MaxAnswerRunes))}, true, nil
	}
	sc, found := b.cfg.Library.Get(post.ScenarioID)
	if !found {
		return []Outbound{b.ephemeral(in, "The case of this challenge is no longer installed, so I can't grade answers to it.")}, true, nil
	}
	if post.Revealed {
		g := GradeFollowUp(sc, text)
		log.Info("daily: follow-up graded", "channel", in.Channel, "date", post.Date, "score", g.Score)
		return []Outbound{b.ephemeral(in, followUpGradeText(g))}, true, nil
	}
	g := GradeLightning(sc, text)
	if g.Words < LightningCountWords {
		return []Outbound{b.ephemeral(in, fmt.Sprintf("That's too short to count (%d words). Reply with a few sentences on your approach — requirements, data, model, evaluation, serving, monitoring — %d words or more; only you will see the score.", g.Words, LightningCountWords))}, true, nil
	}
	now := b.cfg.Now()
	at := now.In(b.cfg.Location)
	zone := time.UTC
	if loc, err := time.LoadLocation(post.Zone); err == nil {
		zone = loc
	}
	a := DailyAnswer{
		User: in.User(), UserName: in.UserName, Score: g.Score, Points: DailyPoints(g.Score, sc.Difficulty),
		At: now, Week: ISOWeek(at), Month: at.Format("2006-01"), Day: now.In(zone).Format(time.DateOnly),
	}
	counted, first, err := b.cfg.Daily.RecordDailyAnswer(ctx, post, a, DailyKeep)
	if err != nil {
		return nil, true, err
	}
	var st *Stats
	if first {
		if s, err := b.cfg.Store.Stats(ctx, in.User()); err == nil {
			st = &s
		}
	}
	log.Info("daily: lightning answer", "channel", in.Channel, "date", post.Date, "score", g.Score, "counted", first)
	return []Outbound{b.ephemeral(in, lightningText(g, first, counted, st))}, true, nil
}

// dailyPostOf finds the daily post a message answers: the one whose thread
// it is in, or — for a form sent from the post itself, outside its thread
// — the channel's latest post.
func (b *Bot) dailyPostOf(ctx context.Context, in Inbound) (DailyPost, bool, error) {
	if in.Thread != "" {
		post, err := b.cfg.Daily.DailyThread(ctx, ThreadRef{Platform: in.Platform, Workspace: in.Workspace, Channel: in.Channel, Thread: in.Thread})
		switch {
		case err == nil:
			return post, true, nil
		case !errors.Is(err, ErrNotFound):
			return DailyPost{}, false, err
		}
		if in.Kind != KindForm {
			return DailyPost{}, false, nil
		}
	}
	s, err := b.cfg.Daily.DailySchedule(ctx, ChannelRef{Platform: in.Platform, Workspace: in.Workspace, Channel: in.Channel})
	if errors.Is(err, ErrNotFound) || err == nil && (s.Last == nil || s.Last.Thread == "") {
		return DailyPost{}, false, nil
	}
	if err != nil {
		return DailyPost{}, false, err
	}
	// The channel record's copy may lag the binding's revealed flag.
	post, err := b.cfg.Daily.DailyThread(ctx, s.Last.Ref())
	if errors.Is(err, ErrNotFound) {
		return DailyPost{}, false, nil
	}
	return post, err == nil, err
}

// dailyAnswerForm answers the "Answer privately" button with the form.
func (b *Bot) dailyAnswerForm(ctx context.Context, in Inbound) ([]Outbound, error) {
	if b.cfg.Daily == nil {
		return []Outbound{b.ephemeral(in, msgDailyOff)}, nil
	}
	form := in
	form.Kind = KindForm // resolve as the submission will be
	post, found, err := b.dailyPostOf(ctx, form)
	if err != nil {
		return nil, err
	}
	if !found {
		return []Outbound{b.ephemeral(in, "This daily challenge is no longer open.")}, nil
	}
	title, label := "Daily challenge — your approach", "Your approach (only you see the score)"
	if post.Revealed {
		title, label = "Daily challenge — follow-up", "Bottlenecks and monitoring"
	}
	return []Outbound{{
		Where: Where{Kind: Ephemeral, Channel: in.Channel, Thread: in.Thread, User: in.UserID},
		Text:  "Write your answer in the form.",
		Form:  &Form{Title: title, Label: label, MaxLength: FormMaxLength, Context: post.Thread},
	}}, nil
}

func lightningText(g LightningGrade, first bool, counted DailyAnswer, st *Stats) string {
	var t strings.Builder
	if first {
		fmt.Fprintf(&t, "⚡ **Your daily answer: %d/100** — +%s leaderboard points", g.Score, formatPoints(counted.Points))
		if st != nil && st.Streak > 0 {
			fmt.Fprintf(&t, " · streak %d day%s (best %d)", st.Streak, plural(st.Streak), st.BestStreak)
		}
		t.WriteString(".\n")
	} else {
		fmt.Fprintf(&t, "⚡ This answer would score **%d/100**, but your first answer (%d/100) is the one that counts.\n", g.Score, counted.Score)
	}
	for i, c := range g.Credit {
		step := StepID(i + 1)
		fmt.Fprintf(&t, "`%s` %d. %s\n", Bar(c, 10), int(step), step.Title())
	}
	writeEarnedAndAdd(&t, g.Steps[:], g.Credit[:])
	if g.TooShort {
		fmt.Fprintf(&t, "- ! too short (%d words; aim for %d+)\n", g.Words, LightningMinWords)
	}
	if g.KeywordList {
		fmt.Fprintf(&t, "- ! reads like a keyword list (capped at %d%%)\n", pct(rubric.KeywordListCap))
	}
	if g.NoJustification {
		fmt.Fprintf(&t, "- ! no reasoning cue: say why, not just what (−%d%%)\n", pct(rubric.NoJustificationPenalty))
	}
	writeFlags(&t, g.RedFlags)
	t.WriteString("_Only you can see this. The reference outline comes with the reveal._")
	return t.String()
}

func followUpGradeText(g FollowUpGrade) string {
	var t strings.Builder
	fmt.Fprintf(&t, "🧭 **Your follow-up answer: %d/100**\n", g.Score)
	for i := range g.Parts {
		fmt.Fprintf(&t, "`%s` %s\n", Bar(g.Credit[i], 10), WrapUpPartTitle(i))
	}
	writeEarnedAndAdd(&t, g.Parts[:], g.Credit[:])
	if g.TooShort {
		fmt.Fprintf(&t, "- ! too short (%d words; aim for %d+)\n", g.Words, FollowUpMinWords)
	}
	writeFlags(&t, g.RedFlags)
	t.WriteString("_Only you can see this; follow-up answers are for practice and earn no points._")
	return t.String()
}

// writeEarnedAndAdd writes, one line each, what earned points (quoted,
// the case's own ideas first, at most maxEarnedLines) and the one thing to
// add: the heaviest idea of the case the weakest part missed.
func writeEarnedAndAdd(t *strings.Builder, grades []rubric.StepGrade, credit []float64) {
	var earned []rubric.Match
	for _, caseFirst := range []bool{true, false} {
		for _, g := range grades {
			for _, m := range g.Matches {
				if len(earned) < maxEarnedLines && (m.Case && !m.Generic) == caseFirst &&
					!slices.ContainsFunc(earned, func(x rubric.Match) bool { return x.Concept == m.Concept }) {
					earned = append(earned, m)
				}
			}
		}
	}
	for _, m := range earned {
		fmt.Fprintf(t, "- ✓ Earned — %s: “%s”\n", m.Label, m.Evidence)
	}
	weakest := -1
	for i, g := range grades {
		if !slices.ContainsFunc(g.Missing, func(c rubric.Concept) bool { return c.Important || c.Weight >= 2 }) {
			continue
		}
		if weakest < 0 || credit[i] < credit[weakest] {
			weakest = i
		}
	}
	if weakest >= 0 {
		for _, c := range grades[weakest].Missing { // heaviest first
			if c.Important || c.Weight >= 2 {
				fmt.Fprintf(t, "- ➕ To add — %s\n", c.StudyQuestion())
				break
			}
		}
	}
}

// writeFlags quotes each red flag of a daily reply.
func writeFlags(t *strings.Builder, flags []rubric.Flag) {
	for _, f := range flags {
		fmt.Fprintf(t, "- ! red flag — %s: “%s”\n", f.Label, f.Evidence)
	}
}

// dailyScenario resolves `/mlsd start daily`: the case of the daily thread
// the command or button came from, else the channel's latest post.
func (b *Bot) dailyScenario(ctx context.Context, in Inbound) (*Scenario, string, error) {
	if b.cfg.Daily == nil {
		return nil, msgDailyOff + " Start any case with `/mlsd start random`.", nil
	}
	id := ""
	if in.Thread != "" {
		post, err := b.cfg.Daily.DailyThread(ctx, ThreadRef{Platform: in.Platform, Workspace: in.Workspace, Channel: in.Channel, Thread: in.Thread})
		switch {
		case err == nil:
			id = post.ScenarioID
		case !errors.Is(err, ErrNotFound):
			return nil, "", err
		}
	}
	if id == "" {
		s, err := b.cfg.Daily.DailySchedule(ctx, ChannelRef{Platform: in.Platform, Workspace: in.Workspace, Channel: in.Channel})
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, "", err
		}
		if s.Last == nil {
			return nil, "No daily challenge has been posted in this channel yet. `/mlsd start random` picks a case for you.", nil
		}
		id = s.Last.ScenarioID
	}
	sc, ok := b.cfg.Library.Get(id)
	if !ok {
		return nil, "Today's case is no longer installed. `/mlsd start random` picks another.", nil
	}
	return sc, "", nil
}

// StreaksText renders the current and best streaks of the people on the
// given boards (and the viewer): consecutive local days with a counted
// daily answer or a completed interview. A streak whose last day is
// before yesterday (in the workspace zone) has ended, so it shows 0 now.
// The leaderboard reply appends it; it reads each person's Stats once.
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
	var rows []row
	for _, id := range ids {
		st, err := b.cfg.Store.Stats(ctx, UserKey{Platform: ws.Platform, Workspace: ws.ID, UserID: id})
		if err != nil {
			return "", err
		}
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

// dailyAdminsText says who may change the schedule, as each adapter
// checks it: Slack sets IsAdmin for workspace admins and owners, Discord
// for members with Manage Server or Administrator.
func dailyAdminsText(p Platform) string {
	const status = " `/mlsd daily status` shows the current schedule."
	switch p {
	case Slack:
		return "Only workspace admins and owners can change the daily challenge." + status
	case Discord:
		return "Only members with the **Manage Server** or **Administrator** permission can change the daily challenge." + status
	}
	return "Only admins can change the daily challenge." + status
}
