package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// me answers /mlsd me: today's numbers, then what the coverage says.
func (b *Bot) me(ctx context.Context, in Inbound) ([]Outbound, error) {
	st, err := b.cfg.Store.Stats(ctx, in.User())
	if err != nil {
		return nil, err
	}
	text := MeText(st)
	if b.cfg.Progress != nil {
		p, err := b.cfg.Progress.Progress(ctx, in.User())
		if err != nil {
			return nil, err
		}
		if more := ProgressText(st, p); more != "" {
			text += "\n\n" + more
		}
	}
	out := []Outbound{b.ephemeral(in, text)}
	if chart, ok := progressPicture(st, out[0].Where); ok {
		out = append(out, chart)
	}
	return out, nil
}

// msgNoProgress answers the progress commands when the store keeps none.
const msgNoProgress = "This bot's store keeps no history, so this command is not available here."

// history answers /mlsd history: the latest sessions and drills, numbered
// for /mlsd report N.
func (b *Bot) history(ctx context.Context, in Inbound) ([]Outbound, error) {
	if b.cfg.Progress == nil {
		return []Outbound{b.ephemeral(in, msgNoProgress)}, nil
	}
	p, err := b.cfg.Progress.Progress(ctx, in.User())
	if err != nil {
		return nil, err
	}
	return []Outbound{b.ephemeral(in, HistoryText(p.History, in, b.cfg.Location))}, nil
}

// report answers /mlsd report N with the stored report, its reference
// outline taken from the scenario again.
func (b *Bot) report(ctx context.Context, in Inbound, n int) ([]Outbound, error) {
	if b.cfg.Progress == nil {
		return []Outbound{b.ephemeral(in, msgNoProgress)}, nil
	}
	p, err := b.cfg.Progress.Progress(ctx, in.User())
	if err != nil {
		return nil, err
	}
	if n > len(p.History) || p.History[n-1].Report == nil {
		msg := "Your history is empty: finish an interview (`/mlsd start`) or a drill first."
		if len(p.History) > 0 {
			msg = fmt.Sprintf("Your history has %d entr%s; `/mlsd history` lists them.", len(p.History), pluralY(len(p.History)))
		}
		return []Outbound{b.ephemeral(in, msg)}, nil
	}
	e := p.History[n-1]
	rep := *e.Report
	if sc, ok := b.cfg.Library.Get(e.ScenarioID); ok && e.Kind == KindInterview {
		rep.Outline = outline(sc)
	}
	head := fmt.Sprintf("_Report %d of your history — %s, %s._\n\n", n, e.At.In(b.cfg.Location).Format("Mon 2 Jan 2006 15:04"), e.Kind)
	if e.Kind == KindDrill {
		return []Outbound{b.ephemeral(in, head+DrillReportText(&rep))}, nil
	}
	return []Outbound{{Where: b.ephemeral(in, "").Where, Text: head + ReportText(&rep), Report: &rep}}, nil
}

func pluralY(n int) string {
	if n == 1 {
		return "y"
	}
	return "ies"
}

// HistoryText lists history entries, newest first, numbered from 1.
func HistoryText(h []HistoryEntry, in Inbound, loc *time.Location) string {
	if len(h) == 0 {
		return "Your history is empty: finish an interview (`/mlsd start`) or a drill and it shows here."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**Your history** — %d entr%s, newest first (`/mlsd report N` shows one again)\n", len(h), pluralY(len(h)))
	for i, e := range h {
		result := fmt.Sprintf("interview · %d/100 — %s", e.Score, e.Band)
		if e.Kind == KindDrill {
			result = fmt.Sprintf("drill: %s · %d%%", e.Step.Title(), e.Score)
		}
		fmt.Fprintf(&b, "%d. %s · %s · %s", i+1, e.At.In(loc).Format("2006-01-02"), e.Title, result)
		if link := ThreadLink(in.Platform, in.Workspace, e.Channel, e.Thread); link != "" {
			b.WriteString(" · " + link)
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// ThreadLink is a link to an interview thread where the platform has one:
// Discord's channel URL (a thread is a channel), Slack's web client URL of
// the thread. The console has none.
func ThreadLink(p Platform, workspace, channel, thread string) string {
	if thread == "" || !linkSafe(workspace) || !linkSafe(channel) || !linkSafe(thread) {
		return ""
	}
	switch p {
	case Discord:
		return "https://discord.com/channels/" + workspace + "/" + thread
	case Slack:
		return "https://app.slack.com/client/" + workspace + "/" + channel + "/thread/" + channel + "-" + thread
	}
	return ""
}

// linkSafe accepts the characters platform ids are made of, so an id can
// never smuggle markup into a link.
func linkSafe(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
