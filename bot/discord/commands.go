package discord

import (
	"context"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/mlsdbot/mlsd/bot"
)

// Command names. Discord sets permissions per command, not per
// subcommand, so the settings-changing words live in a second command
// whose default permission is Manage Server; the domain checks IsAdmin as
// well, since server admins can change command permissions.
const (
	commandName      = "mlsd"
	adminCommandName = "mlsd-admin"
)

// Commands returns the application commands MLSD registers.
func Commands() []*discordgo.ApplicationCommand {
	guildOnly := &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	manageGuild := int64(discordgo.PermissionManageGuild)
	str := func(name, desc string) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name, Description: desc}
	}
	sub := func(name, desc string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: desc, Options: opts}
	}
	scenario := str("scenario", "Case study id, or random")
	scenario.Autocomplete = true
	required := func(o *discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
		c := *o
		c.Required = true
		return &c
	}
	mode := str("mode", "mock: feedback at the end (default); practice: after every step")
	mode.Choices = []*discordgo.ApplicationCommandOptionChoice{{Name: "mock", Value: "mock"}, {Name: "practice", Value: "practice"}}
	period := str("period", "This week, this month or all time (default: week and all time)")
	period.Choices = []*discordgo.ApplicationCommandOptionChoice{{Name: "week", Value: "week"}, {Name: "month", Value: "month"}, {Name: "all", Value: "all"}}
	step := str("step", "The step to drill (default: your weakest)")
	for st := bot.Clarify; st <= bot.Monitoring; st++ {
		step.Choices = append(step.Choices, &discordgo.ApplicationCommandOptionChoice{Name: st.Title(), Value: st.Key()})
	}
	drillScenario := str("scenario", "Case study id (default: one chosen for what you miss)")
	drillScenario.Autocomplete = true
	confirm := str("confirm", "Leave empty to see what is deleted; choose confirm to delete it")
	confirm.Choices = []*discordgo.ApplicationCommandOptionChoice{{Name: "confirm: delete everything about me", Value: "confirm"}}
	minOne := 1.0
	number := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionInteger, Name: "number",
		Description: "Which one: 1 is your latest (see /mlsd history)", Required: true, MinValue: &minOne, MaxValue: bot.HistoryLimit}
	month := str("month", "YYYY-MM (default: this month)")
	cron := str("cron", "When to post, as a cron line (default: weekdays 09:00)")
	zone := str("timezone", "IANA time zone, e.g. Europe/Berlin")
	return []*discordgo.ApplicationCommand{
		{
			Name:        commandName,
			Description: "ML system design interview coach",
			Contexts:    guildOnly,
			Options: []*discordgo.ApplicationCommandOption{
				sub("start", "Start a mock interview in a new thread", scenario, mode),
				sub("scenarios", "List the case studies"),
				sub("leaderboard", "Top candidates of this server", period),
				sub("me", "Your numbers, the concepts you miss most and what to drill next"),
				sub("history", "Your last 20 interviews and drills"),
				sub("report", "Show one of your past reports again", number),
				sub("drill", "One step, one follow-up, feedback: 2-5 minutes on what you miss", step, drillScenario),
				sub("team", "How this server is doing (no one's scores)"),
				sub("optout", "Show as anonymous on leaderboards, reveals and standings"),
				sub("optin", "Show your name on leaderboards, reveals and standings again"),
				{Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: "forget", Description: "Delete what MLSD keeps about you",
					Options: []*discordgo.ApplicationCommandOption{sub("me", "Delete everything MLSD keeps about you here (asks first)", confirm)}},
				sub("status", "Where your current interview stands"),
				sub("diagram", "Draw a case study's reference architecture", required(scenario)),
				sub("help", "How MLSD works"),
				{Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: "daily", Description: "The daily challenge",
					Options: []*discordgo.ApplicationCommandOption{
						sub("status", "Next post time and the last case posted here"),
						sub("optout", "Keep your name out of the daily reveal's top scores"),
						sub("optin", "Show your name in the daily reveal's top scores again"),
					}},
			},
		},
		{
			Name:                     adminCommandName,
			Description:              "MLSD settings for this server",
			Contexts:                 guildOnly,
			DefaultMemberPermissions: &manageGuild,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: "daily", Description: "Schedule the daily challenge in this channel",
					Options: []*discordgo.ApplicationCommandOption{
						sub("on", "Post a daily case study in this channel", cron, zone),
						sub("off", "Stop the daily challenge in this channel"),
						sub("now", "Post today's case study now"),
					}},
				sub("export", "This server's completed interviews of a month as a CSV, sent privately", month),
			},
		},
	}
}

// Register overwrites the application's commands in one bulk PUT:
// in a guild (instant, for development) or globally when guildID is "".
// Commands left out of the list are deleted, so running it twice is safe.
func (a *Adapter) Register(ctx context.Context, guildID string) error {
	_, err := a.rest.ApplicationCommandBulkOverwrite(a.cfg.AppID, guildID, Commands(), discordgo.WithContext(ctx))
	if err != nil {
		scope := "globally"
		if guildID != "" {
			scope = "in guild " + guildID
		}
		return fmt.Errorf("discord: registering commands %s: %w", scope, err)
	}
	return nil
}

// commandText turns a slash command into the shared command words:
// "/mlsd start scenario:visual-search mode:practice" becomes
// "start visual-search practice".
func commandText(d discordgo.ApplicationCommandInteractionData) string {
	words := []string{}
	opts := d.Options
	for len(opts) > 0 {
		o := opts[0]
		if o == nil {
			break
		}
		if o.Type != discordgo.ApplicationCommandOptionSubCommand && o.Type != discordgo.ApplicationCommandOptionSubCommandGroup {
			break
		}
		words = append(words, o.Name)
		opts = o.Options
	}
	// Values go in the order the command declares them, whatever order the
	// client sent.
	for _, name := range []string{"step", "scenario", "mode", "period", "number", "confirm", "month", "cron", "timezone"} {
		for _, o := range opts {
			if o != nil && o.Name == name && o.Value != nil {
				if v := strings.TrimSpace(fmt.Sprint(o.Value)); v != "" {
					words = append(words, v)
				}
			}
		}
	}
	return strings.Join(words, " ")
}

// focusedOption returns the option being typed during autocomplete.
func focusedOption(opts []*discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
	for _, o := range opts {
		if o == nil {
			continue
		}
		if o.Focused {
			return o
		}
		if f := focusedOption(o.Options); f != nil {
			return f
		}
	}
	return nil
}

// scenarioChoices suggests scenarios whose id or title contains what the
// user typed, best first: "random", then id prefixes, then the rest.
func scenarioChoices(lib *bot.Library, typed string) []*discordgo.ApplicationCommandOptionChoice {
	q := strings.ToLower(strings.TrimSpace(typed))
	out := []*discordgo.ApplicationCommandOptionChoice{}
	if strings.HasPrefix("random", q) {
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: "random (one you have not done lately)", Value: "random"})
	}
	if lib == nil {
		return out
	}
	var prefix, contains []*bot.Scenario
	for _, sc := range lib.All() {
		switch {
		case strings.HasPrefix(sc.ID, q):
			prefix = append(prefix, sc)
		case strings.Contains(sc.ID, q) || strings.Contains(strings.ToLower(sc.Title), q):
			contains = append(contains, sc)
		}
	}
	for _, sc := range append(prefix, contains...) {
		if len(out) == 25 {
			break
		}
		name := fmt.Sprintf("%s (%s)", sc.Title, sc.Difficulty)
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: clipRunes(name, 100), Value: sc.ID})
	}
	return out
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
