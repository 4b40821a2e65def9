package main

import (
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
)

// TestDailyWiredInSlackMode checks the wiring of the daily challenge in
// the real binary: an admin's "/mlsd daily on" and "/mlsd daily now" in a
// Slack-mode mlsd process make the reconciler post the case of the day.
func TestDailyWiredInSlackMode(t *testing.T) {
	fake := fakeslack.Start(t, fakeslack.Options{})
	fake.AddChannel(fakeslack.Channel{ID: "C1", Name: "general", Member: true})
	fake.AddUser(fakeslack.User{ID: "UADMIN", Name: "ada", DisplayName: "Ada", IsAdmin: true})
	opts := fake.Options()
	startChild(t, []string{
		"SLACK_BOT_TOKEN=" + opts.BotToken,
		"SLACK_APP_TOKEN=" + opts.AppToken,
		"SLACK_API_URL=" + fake.APIURL(),
		"MLSD_DATA_DIR=" + t.TempDir(),
	})
	fake.WaitConnected(t, 1)
	fake.Send(fake.SlashCommand("UADMIN", "C1", "daily on 0 9 * * * UTC"))
	fake.WaitMessages(t, 1, func(m fakeslack.Message) bool {
		return m.To == "UADMIN" && strings.Contains(m.Text, "Daily challenge on")
	})
	fake.Send(fake.SlashCommand("UADMIN", "C1", "daily now"))
	post := fake.WaitMessages(t, 1, func(m fakeslack.Message) bool {
		return m.BotID != "" && m.Channel == "C1" && m.ThreadTS == "" && !m.Ephemeral
	})
	if !strings.Contains(string(post[0].Blocks), "Start the full interview") {
		t.Fatalf("the daily post lacks its start button: %s", post[0].Blocks)
	}
}
