package discord

import (
	"testing"

	"github.com/bwmarrin/discordgo"
)

// TestCommandTextDailyGroup: the daily subcommands reach the domain as the
// shared command words, including opting out of the reveal.
func TestCommandTextDailyGroup(t *testing.T) {
	group := func(sub string, opts ...*discordgo.ApplicationCommandInteractionDataOption) discordgo.ApplicationCommandInteractionData {
		return discordgo.ApplicationCommandInteractionData{Name: commandName, Options: []*discordgo.ApplicationCommandInteractionDataOption{{
			Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: "daily",
			Options: []*discordgo.ApplicationCommandInteractionDataOption{{Type: discordgo.ApplicationCommandOptionSubCommand, Name: sub, Options: opts}},
		}}}
	}
	for _, tt := range []struct {
		data discordgo.ApplicationCommandInteractionData
		want string
	}{
		{group("status"), "daily status"},
		{group("optout"), "daily optout"},
		{group("optin"), "daily optin"},
		{group("on",
			&discordgo.ApplicationCommandInteractionDataOption{Name: "timezone", Type: discordgo.ApplicationCommandOptionString, Value: "Europe/Berlin"},
			&discordgo.ApplicationCommandInteractionDataOption{Name: "cron", Type: discordgo.ApplicationCommandOptionString, Value: "0 9 * * 1-5"},
		), "daily on 0 9 * * 1-5 Europe/Berlin"},
	} {
		if got := commandText(tt.data); got != tt.want {
			t.Errorf("commandText = %q, want %q", got, tt.want)
		}
	}
	// Every daily subcommand the domain accepts from members is registered.
	registered := map[string]bool{}
	for _, c := range Commands() {
		for _, o := range c.Options {
			if o.Name == "daily" {
				for _, s := range o.Options {
					registered[s.Name] = true
				}
			}
		}
	}
	for _, sub := range []string{"on", "off", "now", "status", "optout", "optin"} {
		if !registered[sub] {
			t.Errorf("daily %s is not registered", sub)
		}
	}
}
