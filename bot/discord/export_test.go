package discord_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/chattest/fakediscord"
	"github.com/mlsdbot/mlsd/bot/discord"
)

// TestExportDiscord: /mlsd-admin export reaches the interviewer as
// "export 2026-11" from an admin, and the CSV it answers with arrives as
// an ephemeral attachment that parses.
func TestExportDiscord(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	root := srv.AddUser("root", true)
	rows := []bot.ExportRow{{UserID: "U1", UserName: "Ada", SessionID: "s1", ScenarioID: "eta-prediction", Mode: bot.Mock,
		Score: 71, Band: bot.BandFor(71), At: time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)}}
	data, err := bot.ExportCSV(rows, nil, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	var got bot.Inbound
	iv := newScripted(func(in bot.Inbound) ([]bot.Outbound, error) {
		got = in
		where := bot.Where{Kind: bot.Ephemeral, Channel: in.Channel, User: in.UserID}
		return []bot.Outbound{{Where: where, Text: "📄 **Export for 2026-11**: 1 completed interview",
			File: &bot.File{Name: "mlsd-export-2026-11.csv", Type: "text/csv", Data: data, Alt: "CSV of 1 completed interview"}}}, nil
	})
	start(t, srv, discord.Config{Interviewer: iv}, true)
	srv.AwaitGateway(t, "identify")
	srv.Dispatch(srv.Command(root, srv.Channel, "mlsd-admin", []string{"export"}, fakediscord.Opt{Name: "month", Value: "2026-11"}))
	m := srv.AwaitMessage(t, "export", func(e fakediscord.MessageEvent) bool {
		return e.Kind == "create" && len(e.Message.Attachments) > 0
	})
	if !m.Ephemeral() && m.GuildID != "" || m.Attachments[0].Filename != "mlsd-export-2026-11.csv" {
		t.Fatalf("export message: ephemeral %v, guild %q, %+v; want it private", m.Ephemeral(), m.GuildID, m.Attachments)
	}
	recs, err := csv.NewReader(bytes.NewReader(m.Attachments[0].Data)).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][1] != "U1" {
		t.Fatalf("CSV %q (%v): want a header and one row", recs, err)
	}
	if got.Text != "export 2026-11" || !got.IsAdmin {
		t.Errorf("the interviewer got %q (admin %v); want \"export 2026-11\" from an admin", got.Text, got.IsAdmin)
	}
	if !strings.Contains(m.Content, "CSV of 1 completed interview") {
		t.Errorf("the attachment's message does not say what it holds: %q", m.Content)
	}
}
