package discord_test

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/chattest/fakediscord"
	"github.com/mlsdbot/mlsd/scenarios"
)

// TestProgressCommandsEndToEnd runs the issue 14 commands through the real
// discordgo client and the fake Discord: a drill in its thread (ended with
// the Skip button), then history with the thread's link, report, team,
// optout and the leaderboard, each answered only to the user.
func TestProgressCommandsEndToEnd(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	alice := srv.AddUser("alice", false)
	lib, err := scenarios.Load("")
	if err != nil {
		t.Fatal(err)
	}
	st, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b, err := bot.New(bot.Config{Store: st, Progress: st, Library: lib, Intn: rand.New(rand.NewPCG(1, 2)).IntN})
	if err != nil {
		t.Fatal(err)
	}
	start(t, srv, discordConfig(b, lib), true)
	srv.AwaitGateway(t, "identify")

	drill := srv.Command(alice, srv.Channel, "mlsd", []string{"drill"}, fakediscord.Opt{Name: "step", Value: "monitoring"})
	srv.Dispatch(drill)
	q := srv.AwaitMessage(t, "drill question", containing("create", "", "Step 7/7 — Monitoring"))
	srv.Dispatch(srv.Click(t, alice, q, "Skip"))
	srv.AwaitMessage(t, "drill feedback", containing("create", q.ChannelID, "Drill done — Monitoring"))

	reply := func(path []string, want string, opts ...fakediscord.Opt) fakediscord.Message {
		t.Helper()
		cmd := srv.Command(alice, srv.Channel, "mlsd", path, opts...)
		srv.Dispatch(cmd)
		m := srv.AwaitMessage(t, strings.Join(path, " "), containing("edit", "", want))
		if !m.Ephemeral() {
			t.Errorf("/mlsd %s answered in public", strings.Join(path, " "))
		}
		return m
	}
	h := reply([]string{"history"}, "Your history")
	if link := "https://discord.com/channels/" + srv.GuildID + "/" + q.ChannelID; !strings.Contains(h.Content, link) || !strings.Contains(h.Content, "drill: Monitoring") {
		t.Errorf("history lacks the drill or its thread link %s:\n%s", link, h.Content)
	}
	reply([]string{"report"}, "Report 1 of your history", fakediscord.Opt{Name: "number", Value: "1"})
	reply([]string{"team"}, "Team progress")
	reply([]string{"optout"}, "you show as _anonymous_")
	if lb := reply([]string{"leaderboard"}, "All time", fakediscord.Opt{Name: "period", Value: "all"}); !strings.Contains(lb.Content, "anonymous") || strings.Contains(lb.Content, "alice —") {
		t.Errorf("leaderboard after optout:\n%s", lb.Content)
	}
	reply([]string{"forget", "me"}, "cannot be undone")
	reply([]string{"forget", "me"}, "I deleted everything", fakediscord.Opt{Name: "confirm", Value: "confirm"})
}
