package slack

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/slack-go/slack"
)

// message is one Slack post: mrkdwn text, plus blocks for rich messages
// (then text is only the notification fallback).
type message struct {
	text   string
	blocks []slack.Block
}

// Action ids of rendered controls. Every button sends its Choice.Value
// back to the interviewer, so the ids only need to be unique per message.
const (
	actionsBlockID = "mlsd_actions"
	choiceActionID = "mlsd_choice_"
	// homeDrillActionID is the Home tab's Drill button.
	homeDrillActionID = "mlsd_home_drill"
	formCallbackID    = "mlsd_answer"
	formBlockID       = "answer"
	formActionID      = "answer_text"
)

func mdText(s string) *slack.TextBlockObject {
	// verbatim: no auto-linking of channel names or mentions in user text.
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

func ptText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

// sections renders mrkdwn as as many section blocks as the limit needs.
func sections(s string) []slack.Block {
	var out []slack.Block
	for _, part := range split(s, maxSectionText) {
		out = append(out, slack.NewSectionBlock(mdText(part), nil, nil))
	}
	return out
}

// render turns one outbound message into Slack posts: a question or a
// report as Block Kit, choices as buttons, anything else as plain mrkdwn
// text split below Slack's limits.
func render(out bot.Outbound) []message {
	fallback := mrkdwn(out.Text)
	var blocks []slack.Block
	switch {
	case out.Report != nil:
		blocks = reportBlocks(out.Report)
	case out.Question != nil:
		blocks = questionBlocks(out.Text, out.Question)
	case len(out.Choices) > 0:
		blocks = sections(fallback)
	default:
		var msgs []message
		for _, part := range split(fallback, maxPlainText) {
			msgs = append(msgs, message{text: part})
		}
		return msgs
	}
	blocks = append(blocks, choiceBlocks(out.Choices)...)
	if fallback == "" {
		fallback = "MLSD"
	}
	var msgs []message
	for len(blocks) > 0 {
		n := min(len(blocks), maxBlocks)
		msgs = append(msgs, message{text: truncate(fallback, maxFallback), blocks: blocks[:n]})
		blocks = blocks[n:]
		fallback = "(continued)"
	}
	return msgs
}

// questionBlocks shows the step title as a header, the question, the
// progress line, and any text the fallback carries around the question
// (such as practice-mode feedback before it), so nothing is lost.
func questionBlocks(text string, q *bot.QuestionView) []slack.Block {
	before, after := text, ""
	if i := strings.Index(text, q.Question); i >= 0 && q.Question != "" {
		before, after = text[:i], text[i+len(q.Question):]
		if j := strings.LastIndex(before, q.Title); j >= 0 && q.Title != "" {
			// Drop the whole title line: the header block shows it.
			before = before[:strings.LastIndex(before[:j], "\n")+1]
		}
	} else {
		before = "" // the fallback does not contain the question: rely on the structure
	}
	var blocks []slack.Block
	blocks = append(blocks, sections(mrkdwn(strings.TrimSpace(before)))...)
	if q.Title != "" {
		blocks = append(blocks, slack.NewHeaderBlock(ptText(truncate(plainText(q.Title), maxHeaderText))))
	}
	blocks = append(blocks, sections(mrkdwn(q.Question))...)
	blocks = append(blocks, sections(mrkdwn(strings.TrimSpace(after)))...)
	var ctx []string
	if q.Progress != "" {
		ctx = append(ctx, escapeText(q.Progress))
	}
	if q.Probe {
		ctx = append(ctx, "follow-up question")
	}
	ctx = append(ctx, "reply in this thread, or use the buttons")
	blocks = append(blocks, slack.NewContextBlock("", mdText(strings.Join(ctx, "  ·  "))))
	return blocks
}

func choiceBlocks(choices []bot.Choice) []slack.Block {
	var blocks []slack.Block
	for start := 0; start < len(choices); start += maxButtons {
		var elems []slack.BlockElement
		for i, c := range choices[start:min(len(choices), start+maxButtons)] {
			b := slack.NewButtonBlockElement(fmt.Sprintf("%s%d", choiceActionID, start+i),
				truncateBytes(c.Value, maxButtonValue), ptText(truncate(plainText(c.Label), maxButtonText)))
			if c.Primary {
				b = b.WithStyle(slack.StylePrimary)
			}
			elems = append(elems, b)
		}
		id := actionsBlockID
		if start > 0 {
			id = fmt.Sprintf("%s_%d", actionsBlockID, start/maxButtons+1)
		}
		blocks = append(blocks, slack.NewActionBlock(id, elems...))
	}
	return blocks
}

func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// bar draws a 0..1 score as ten cells.
func bar(score float64) string {
	full := int(math.Round(math.Max(0, math.Min(1, score)) * 10))
	return strings.Repeat("█", full) + strings.Repeat("░", 10-full)
}

// reportBlocks renders the final report: score and per-step bars as
// fields, pitfalls by name, strengths with quoted evidence, gaps as
// questions, and the reference outline.
func reportBlocks(r *bot.Report) []slack.Block {
	title := "Interview report"
	if r.ScenarioTitle != "" {
		title += " — " + r.ScenarioTitle
	}
	blocks := []slack.Block{slack.NewHeaderBlock(ptText(truncate(plainText(title), maxHeaderText)))}

	var fields []*slack.TextBlockObject
	for _, s := range r.Steps {
		v := fmt.Sprintf("`%s` %d%%", bar(s.Score), int(math.Round(s.Score*100)))
		if s.Skipped {
			v = "_skipped_"
		}
		if s.Hints > 0 {
			v += fmt.Sprintf(" · %d hint%s", s.Hints, plural(s.Hints))
		}
		fields = append(fields, mdText(truncate(fmt.Sprintf("*%d. %s*\n%s", s.Step, escapeText(s.Title), v), maxFieldText)))
	}
	fields = append(fields, mdText(fmt.Sprintf("*Wrap-up bonus*\n+%.1f", r.WrapUpBonus)))
	if len(fields) > maxFields {
		fields = fields[:maxFields]
	}
	score := fmt.Sprintf("*Score: %d/100 — %s*  ·  %s leaderboard points", r.Score, escapeText(bot.BandOf(r)), points(r.Points))
	blocks = append(blocks, slack.NewSectionBlock(mdText(score), fields, nil))

	var ctx []string
	if r.Mode != "" {
		ctx = append(ctx, "Mode: "+escapeText(string(r.Mode)))
	}
	if r.Difficulty != "" {
		ctx = append(ctx, "Difficulty: "+escapeText(string(r.Difficulty)))
	}
	ctx = append(ctx, fmt.Sprintf("Hints used: %d", r.HintsUsed))
	blocks = append(blocks, slack.NewContextBlock("", mdText(strings.Join(ctx, "  ·  "))))

	if len(r.Pitfalls) > 0 {
		lines := []string{"*Pitfalls*"}
		for _, p := range r.Pitfalls {
			l := fmt.Sprintf("• *%s* (−%d)", escapeText(p.Name), p.Penalty)
			if p.Detail != "" {
				l += ": " + mrkdwn(p.Detail)
			}
			lines = append(lines, l)
		}
		blocks = append(blocks, sections(strings.Join(lines, "\n"))...)
	}
	if flags := bot.FlagLines(r); len(flags) > 0 {
		lines := []string{fmt.Sprintf("*Red flags* (−%d each from the score)", bot.FlagSessionPenalty)}
		for _, f := range flags {
			lines = append(lines, fmt.Sprintf("• %s — *%s*: “%s”", escapeText(f.Where), escapeText(f.Label), escapeText(truncate(f.Evidence, 300))))
		}
		blocks = append(blocks, sections(strings.Join(lines, "\n"))...)
	}
	if credits := bot.CreditLines(r); len(credits) > 0 {
		lines := []string{"*Credits* (who found each: the rubric, the AI judge, or both)"}
		for _, c := range credits {
			lines = append(lines, fmt.Sprintf("• %s — *%s* (%s): “%s”", escapeText(c.Where), escapeText(c.Label), c.Source, escapeText(truncate(c.Evidence, 300))))
		}
		blocks = append(blocks, sections(strings.Join(lines, "\n"))...)
	}
	if len(r.Strengths) > 0 {
		lines := []string{"*Strengths*"}
		for _, m := range r.Strengths {
			lines = append(lines, fmt.Sprintf("• *%s* — “%s”", escapeText(m.Label), escapeText(truncate(m.Evidence, 300))))
		}
		blocks = append(blocks, sections(strings.Join(lines, "\n"))...)
	}
	if len(r.Gaps) > 0 {
		lines := []string{"*Questions to study*"}
		for _, g := range r.Gaps {
			lines = append(lines, "• "+mrkdwn(g))
		}
		blocks = append(blocks, sections(strings.Join(lines, "\n"))...)
	}
	if len(r.Outline) > 0 {
		blocks = append(blocks, slack.NewDividerBlock(), slack.NewSectionBlock(mdText("*Reference outline*"), nil, nil))
		for _, s := range r.Outline {
			blocks = append(blocks, sections("*"+escapeText(s.Title)+"*\n"+mrkdwn(s.Text))...)
		}
	}
	return blocks
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// formMeta travels in a modal's private_metadata so the submission can
// be routed back to the interview thread.
type formMeta struct {
	Context string `json:"c,omitempty"`
	Channel string `json:"ch"`
	Thread  string `json:"th,omitempty"`
}

// formView is the modal for a long answer: one multi-line input.
func formView(f *bot.Form, meta formMeta) (slack.ModalViewRequest, error) {
	pm, err := json.Marshal(meta)
	if err != nil {
		return slack.ModalViewRequest{}, err
	}
	if len(pm) > maxPrivateMeta {
		return slack.ModalViewRequest{}, fmt.Errorf("form context of %d bytes exceeds Slack's private_metadata limit", len(pm))
	}
	maxLen := f.MaxLength
	if maxLen <= 0 || maxLen > maxInputLength {
		maxLen = maxInputLength
	}
	title := f.Title
	if title == "" {
		title = "Your answer"
	}
	label := f.Label
	if label == "" {
		label = "Answer"
	}
	input := slack.NewPlainTextInputBlockElement(ptText("Write your answer here"), formActionID).
		WithMultiline(true).WithMaxLength(maxLen)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      formCallbackID,
		Title:           ptText(truncate(plainText(title), maxModalTitle)),
		Submit:          ptText("Submit"),
		Close:           ptText("Cancel"),
		PrivateMetadata: string(pm),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock(formBlockID, ptText(truncate(plainText(label), maxInputLabel)), nil, input),
		}},
	}, nil
}
