package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
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
	// dailyRevealPatience is how long a failing reveal of the previous post
	// holds the next post back before the post goes out without it.
	dailyRevealPatience = 30 * time.Minute
	// dailyKeep is how long daily threads and their answers are kept.
	dailyKeep = 30 * 24 * time.Hour
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
		if loc, err := b.zones.Load(s.Config.Zone); err == nil {
			return loc
		}
	}
	if loc, err := b.zones.Load(b.defaultZone()); err == nil {
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
