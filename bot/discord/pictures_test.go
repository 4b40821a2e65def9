package discord_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/chattest/fakediscord"
	"github.com/mlsdbot/mlsd/bot/discord"
	"github.com/mlsdbot/mlsd/bot/graphviz"
	"github.com/mlsdbot/mlsd/bot/plot"
	"github.com/mlsdbot/mlsd/scenarios"
)

// painter draws with the real renderers, shared by every test so each
// reference diagram is drawn once (slow under -race).
var painter = sync.OnceValues(func() (*bot.Painter, error) {
	lib, err := scenarios.Load("")
	if err != nil {
		return nil, err
	}
	gv, err := graphviz.New(context.Background(), graphviz.Options{Timeout: time.Minute})
	if err != nil {
		return nil, err
	}
	return &bot.Painter{Library: lib, Diagrams: gv, Charts: plot.Renderer{}}, nil
})

func withPictures(t *testing.T, cfg discord.Config) discord.Config {
	t.Helper()
	p, err := painter()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Drawer = p
	return cfg
}

// withAttachment matches a message in channel that carries a file.
func withAttachment(channel string) func(fakediscord.MessageEvent) bool {
	return func(e fakediscord.MessageEvent) bool {
		return e.Kind == "create" && e.Message.ChannelID == channel && len(e.Message.Attachments) > 0
	}
}

// checkReportPictures: after the report, the report card and then the
// reference diagram arrive in the thread as PNG attachments shown by an
// embed whose description is the text alternative.
func checkReportPictures(t *testing.T, srv *fakediscord.Server, thread string, report fakediscord.Message, scenario string, score int) {
	t.Helper()
	want := []struct{ name, content, alt string }{
		{scenario + "-report-card.png", "**Report card**", fmt.Sprintf("%d/100", score)},
		{scenario + "-architecture.png", "**Reference architecture**", "Reference architecture of"},
	}
	for i, w := range want {
		m := srv.AwaitMessage(t, w.name, withAttachment(thread))
		if m.Timestamp.Before(report.Timestamp) {
			t.Errorf("%s was posted before the report", w.name)
		}
		a := m.Attachments[0]
		if len(m.Attachments) != 1 || a.Filename != w.name || a.ContentType != "image/png" {
			t.Fatalf("picture %d attachments %+v, want one %s", i, m.Attachments, w.name)
		}
		if !strings.HasPrefix(m.Content, w.content) || len(m.Embeds) != 1 || m.Embeds[0].Image == nil ||
			m.Embeds[0].Image.URL != "attachment://"+w.name || !strings.Contains(m.Embeds[0].Description, w.alt) {
			t.Errorf("picture %d: content %q, embeds %+v", i, m.Content, m.Embeds)
		}
		if _, err := png.Decode(bytes.NewReader(a.Data)); err != nil {
			t.Errorf("%s is not a PNG: %v", w.name, err)
		}
	}
}

// A whiteboard in an answer comes back as an attachment in the thread,
// before the next question.
func TestWhiteboardDiscord(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	alice := srv.AddUser("alice", false)
	b, _, lib := realBot(t)
	start(t, srv, withPictures(t, discordConfig(b, lib)), true)
	srv.AwaitGateway(t, "identify")
	thread, q := startInterview(t, srv, alice, "visual-search", "", srv.Dispatch)

	click := srv.Click(t, alice, q, formButton)
	srv.Dispatch(click)
	m := srv.AwaitModal(t, click)
	srv.Dispatch(srv.Submit(t, alice, m, "Users and scale first.\napp -> api gateway -> embedding service -> ann index"))
	pic := srv.AwaitMessage(t, "whiteboard", withAttachment(thread.ID))
	if a := pic.Attachments[0]; a.Filename != "whiteboard-step1.png" || !strings.Contains(pic.Embeds[0].Description, "app, api gateway, embedding service, ann index") {
		t.Fatalf("whiteboard message: %+v", pic)
	} else if _, err := png.Decode(bytes.NewReader(a.Data)); err != nil {
		t.Fatalf("whiteboard is not a PNG: %v", err)
	}
	next := srv.AwaitMessage(t, "next question", func(e fakediscord.MessageEvent) bool {
		return e.Kind == "create" && e.Message.ChannelID == thread.ID && len(e.Message.Buttons()) > 0
	})
	if next.Timestamp.Before(pic.Timestamp) {
		t.Error("the next question came before the whiteboard")
	}
}

// /mlsd diagram posts the case's reference diagram in the channel.
func TestDiagramCommandDiscord(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	alice := srv.AddUser("alice", false)
	b, _, lib := realBot(t)
	start(t, srv, withPictures(t, discordConfig(b, lib)), true)
	srv.AwaitGateway(t, "identify")
	cmd := srv.Command(alice, srv.Channel, "mlsd", []string{"diagram"}, fakediscord.Opt{Name: "scenario", Value: "rag-assistant"})
	srv.Dispatch(cmd)
	m := srv.AwaitMessage(t, "diagram", withAttachment(srv.Channel))
	if a := m.Attachments[0]; a.Filename != "rag-assistant-architecture.png" || !strings.Contains(m.Embeds[0].Description, "permission filter → hybrid retrieval") {
		t.Fatalf("diagram message: %s, %q", a.Filename, m.Embeds[0].Description)
	}
}

// A private picture (the /mlsd me chart) is an ephemeral follow-up with
// the file attached.
func TestPrivatePictureDiscord(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{})
	alice := srv.AddUser("alice", false)
	chart := &bot.Picture{Kind: bot.PictureProgress, Name: "progress.png", Alt: "Your last 2 interview scores, oldest first: 11-25 41, 11-26 67.",
		Progress: &bot.ProgressChart{Labels: []string{"11-25", "11-26"}, Scores: []int{41, 67}, Weakest: "Monitoring", Step: []float64{0.2, 0.4}}}
	iv := newScripted(func(in bot.Inbound) ([]bot.Outbound, error) {
		where := bot.Where{Kind: bot.Ephemeral, Channel: in.Channel, User: in.UserID}
		return []bot.Outbound{{Where: where, Text: "**Your progress**"}, {Where: where, Text: "**Your scores over time**", Picture: chart}}, nil
	})
	start(t, srv, withPictures(t, discord.Config{Interviewer: iv}), true)
	srv.AwaitGateway(t, "identify")
	srv.Dispatch(srv.Command(alice, srv.Channel, "mlsd", []string{"me"}))
	m := srv.AwaitMessage(t, "chart", withAttachment(srv.Channel))
	if !m.Ephemeral() || m.Attachments[0].Filename != "progress.png" || !strings.Contains(m.Embeds[0].Description, "11-26 67") {
		t.Fatalf("chart message: ephemeral %v, %+v, %+v", m.Ephemeral(), m.Attachments, m.Embeds)
	}
	if _, err := png.Decode(bytes.NewReader(m.Attachments[0].Data)); err != nil {
		t.Fatalf("chart is not a PNG: %v", err)
	}
}
