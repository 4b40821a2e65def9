package slack

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/slack-go/slack"
)

// publishHome renders the viewer's Home tab: the workspace leaderboards
// and their own stats.
func (a *Adapter) publishHome(ctx context.Context, user bot.UserKey, eventID string) {
	defer a.cfg.Observe("handled", "home")
	home, err := a.cfg.Interviewer.Home(ctx, user)
	if err != nil {
		a.log.Error("slack: cannot build the Home tab", "event", eventID, "err", err)
		return
	}
	view := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: homeBlocks(home)}}
	if _, err := a.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user.UserID, View: view}); err != nil {
		code, needed := errorCode(err)
		a.logSlackError("views.publish", "", code, needed, err, "event", eventID)
		return
	}
	a.cfg.Observe("outbound", "views.publish")
}

// slackUserID matches ids that are safe to render as a <@…> reference
// (the Home tab never notifies, and ids come from Slack itself).
var slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)

func who(s bot.Standing) string {
	if slackUserID.MatchString(s.UserID) {
		return "<@" + s.UserID + ">"
	}
	return escapeText(s.UserName)
}

func boardBlocks(title string, b bot.Board) []slack.Block {
	blocks := []slack.Block{slack.NewHeaderBlock(ptText(title))}
	var lines []string
	for _, s := range b.Top {
		lines = append(lines, fmt.Sprintf("*%d.* %s — %s pts · %d session%s", s.Rank, who(s), points(s.Points), s.Sessions, plural(s.Sessions)))
	}
	if len(lines) == 0 {
		lines = append(lines, "_No completed interviews yet. Be the first: `/mlsd start`._")
	}
	blocks = append(blocks, sections(strings.Join(lines, "\n"))...)
	you := "You are not on this board yet."
	if b.Viewer != nil {
		you = fmt.Sprintf("You: #%d · %s pts · %d session%s", b.Viewer.Rank, points(b.Viewer.Points), b.Viewer.Sessions, plural(b.Viewer.Sessions))
	}
	return append(blocks, slack.NewContextBlock("", mdText(you)))
}

func points(p float64) string {
	if p == math.Trunc(p) {
		return fmt.Sprintf("%.0f", p)
	}
	return fmt.Sprintf("%.1f", p)
}

// homeBlocks lays out the Home tab.
func homeBlocks(h bot.Home) []slack.Block {
	blocks := []slack.Block{
		slack.NewHeaderBlock(ptText("MLSD — ML system design interview practice")),
		slack.NewSectionBlock(mdText("Run `/mlsd start` in a channel for a mock interview in a thread: seven steps from requirements to monitoring, hints when you are stuck, and a scored report at the end. `/mlsd help` lists every command."), nil, nil),
		slack.NewDividerBlock(),
	}
	blocks = append(blocks, boardBlocks("This week", h.Week)...)
	blocks = append(blocks, boardBlocks("All time", h.AllTime)...)
	blocks = append(blocks, slack.NewDividerBlock(), slack.NewHeaderBlock(ptText("Your stats")))
	st := h.Stats
	if st.Sessions == 0 {
		blocks = append(blocks, slack.NewSectionBlock(mdText("_You have not completed an interview yet._"), nil, nil))
		return append(blocks, progressBlocks(h)...)
	}
	fields := []*slack.TextBlockObject{
		mdText(fmt.Sprintf("*Interviews*\n%d", st.Sessions)),
		mdText(fmt.Sprintf("*Points*\n%s", points(st.Points))),
		mdText(fmt.Sprintf("*Best score*\n%d/100", st.BestScore)),
		mdText(fmt.Sprintf("*Last score*\n%d/100", st.LastScore)),
		mdText(fmt.Sprintf("*Streak*\n%d day%s (best %d)", st.Streak, plural(st.Streak), st.BestStreak)),
	}
	blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil))
	lines := []string{"*Average per step*"}
	weakest, low := 0, math.Inf(1)
	for i := range bot.Steps {
		avg := st.StepTotals[i] / float64(st.Sessions)
		step := bot.StepID(i + 1)
		if avg < low {
			weakest, low = i+1, avg
		}
		lines = append(lines, fmt.Sprintf("`%s` %3d%%  %s", bar(avg), int(math.Round(avg*100)), escapeText(step.Title())))
	}
	blocks = append(blocks, sections(strings.Join(lines, "\n"))...)
	blocks = append(blocks, slack.NewContextBlock("", mdText("Weakest step: *"+escapeText(bot.StepID(weakest).Title())+"*. Drill it with `/mlsd drill` in any channel (2–5 minutes, one step).")))
	return append(blocks, progressBlocks(h)...)
}

// progressBlocks adds, when the bot keeps progress, the concepts the
// viewer misses most, their recent sessions and the team's aggregate.
func progressBlocks(h bot.Home) []slack.Block {
	var blocks []slack.Block
	for _, part := range []struct{ title, md string }{
		{"Where you lose points", h.Progress},
		{"Your recent sessions", h.History},
		{"Your team", h.Team},
	} {
		if strings.TrimSpace(part.md) == "" {
			continue
		}
		blocks = append(blocks, slack.NewDividerBlock(), slack.NewHeaderBlock(ptText(part.title)))
		blocks = append(blocks, sections(mrkdwn(part.md))...)
		if part.md == h.Progress && h.Drill != 0 {
			label := "Drill " + h.Drill.Title() + " (2–5 min)"
			btn := slack.NewButtonBlockElement(homeDrillActionID, "drill", ptText(label))
			btn.Style = slack.StylePrimary
			blocks = append(blocks, slack.NewActionBlock("home_drill", btn),
				slack.NewContextBlock("", mdText("The drill runs in your direct messages with MLSD.")))
		}
	}
	return blocks
}
