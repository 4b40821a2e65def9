package discord

import (
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/mlsdbot/mlsd/bot"
)

// TestCommandTextProgress: the progress subcommands reach the domain as
// the words /mlsd takes everywhere, and each is registered.
func TestCommandTextProgress(t *testing.T) {
	sub := func(name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) discordgo.ApplicationCommandInteractionData {
		return discordgo.ApplicationCommandInteractionData{Name: commandName, Options: []*discordgo.ApplicationCommandInteractionDataOption{{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Options: opts,
		}}}
	}
	group := func(g, name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) discordgo.ApplicationCommandInteractionData {
		return discordgo.ApplicationCommandInteractionData{Name: commandName, Options: []*discordgo.ApplicationCommandInteractionDataOption{{
			Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: g,
			Options: []*discordgo.ApplicationCommandInteractionDataOption{{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Options: opts}},
		}}}
	}
	for _, tt := range []struct {
		data discordgo.ApplicationCommandInteractionData
		want bot.Command
	}{
		{sub("history"), bot.Command{Name: bot.CmdHistory}},
		{sub("team"), bot.Command{Name: bot.CmdTeam}},
		{sub("drill"), bot.Command{Name: bot.CmdDrill}},
		{sub("drill",
			&discordgo.ApplicationCommandInteractionDataOption{Name: "scenario", Type: discordgo.ApplicationCommandOptionString, Value: "visual-search"},
			&discordgo.ApplicationCommandInteractionDataOption{Name: "step", Type: discordgo.ApplicationCommandOptionString, Value: "monitoring"},
		), bot.Command{Name: bot.CmdDrill, Step: bot.Monitoring, Scenario: "visual-search"}},
		{sub("optout"), bot.Command{Name: bot.CmdOptOut}},
		{sub("optin"), bot.Command{Name: bot.CmdOptIn}},
		{group("forget", "me"), bot.Command{Name: bot.CmdForget}},
		{group("forget", "me", &discordgo.ApplicationCommandInteractionDataOption{Name: "confirm", Type: discordgo.ApplicationCommandOptionString, Value: "confirm"}),
			bot.Command{Name: bot.CmdForget, Args: []string{"confirm"}}},
		{sub("leaderboard", &discordgo.ApplicationCommandInteractionDataOption{Name: "period", Type: discordgo.ApplicationCommandOptionString, Value: "month"}),
			bot.Command{Name: bot.CmdLeaderboard, Period: "month"}},
		// JSON numbers arrive as float64
		{sub("report", &discordgo.ApplicationCommandInteractionDataOption{Name: "number", Type: discordgo.ApplicationCommandOptionInteger, Value: float64(3)}),
			bot.Command{Name: bot.CmdReport, N: 3}},
	} {
		text := commandText(tt.data)
		if got := bot.ParseCommand(text); got.Name != tt.want.Name || got.N != tt.want.N || got.Period != tt.want.Period ||
			got.Step != tt.want.Step || got.Scenario != tt.want.Scenario ||
			len(got.Args) != len(tt.want.Args) || got.Problem != "" {
			t.Errorf("commandText = %q, parsed %+v, want %+v", text, got, tt.want)
		}
	}
	registered := map[string]bool{}
	for _, c := range Commands() {
		if c.Name != commandName {
			continue
		}
		for _, o := range c.Options {
			registered[o.Name] = true
		}
	}
	for _, name := range []string{"history", "report", "drill", "team", "optout", "optin", "forget"} {
		if !registered[name] {
			t.Errorf("/mlsd %s is not registered", name)
		}
	}
}
