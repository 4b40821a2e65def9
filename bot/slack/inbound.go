package slack

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// Translation from Slack payloads to bot.Inbound. These functions only
// translate: whether a reply counts, who owns a thread and what a button
// means is decided by the interviewer.

// slackMarkup matches Slack's control sequences in incoming text:
// <@U123>, <@U123|name>, <!channel>, <!subteam^S1|@team>, <#C1|general>,
// <https://x|label>.
var slackMarkup = regexp.MustCompile(`<([^<>]*)>`)

// readText turns Slack's encoded message text into what the person
// wrote: the bot's own mention is dropped, other markup becomes its
// readable form, and entities are decoded. Renderers escape it again on
// the way out, so nothing read here can ping when echoed.
func readText(s, botUserID string) string {
	if botUserID != "" {
		s = strings.ReplaceAll(s, "<@"+botUserID+">", "")
	}
	s = slackMarkup.ReplaceAllStringFunc(s, func(m string) string {
		inner := m[1 : len(m)-1]
		target, label, hasLabel := strings.Cut(inner, "|")
		switch {
		case strings.HasPrefix(target, "@"):
			if hasLabel {
				return "@" + strings.TrimPrefix(label, "@")
			}
			return target
		case strings.HasPrefix(target, "#"):
			if hasLabel {
				return "#" + label
			}
			return target
		case strings.HasPrefix(target, "!"):
			if hasLabel {
				return label
			}
			word, _, _ := strings.Cut(target[1:], "^")
			return "@" + word
		case hasLabel:
			return label
		}
		return target
	})
	s = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
	return strings.TrimSpace(s)
}

// messageID is the same for the app_mention and message events of one
// Slack message, so the interviewer handles it once.
func messageID(channel, ts string) string { return "msg:" + channel + ":" + ts }

// ignoredSubtype reports message subtypes that are not a person writing
// a new message: edits, deletions, joins, bot posts, topic changes...
func ignoredSubtype(sub string) bool {
	switch sub {
	case "", slack.MsgSubTypeThreadBroadcast, "file_share":
		return false
	}
	return true
}

// fromMessage translates a message event. People's new messages in a
// thread are replies; in a DM with the bot a top-level message is a
// command ("start"); other top-level chatter is not the bot's business
// (commands come through /mlsd or an @mention).
func fromMessage(team, botUserID string, m *slackevents.MessageEvent) (bot.Inbound, bool) {
	in := bot.Inbound{
		Platform: bot.Slack, Workspace: team, Channel: m.Channel, Thread: m.ThreadTimeStamp,
		UserID: m.User, MessageID: messageID(m.Channel, m.TimeStamp),
		Text: readText(m.Text, botUserID), Kind: bot.KindReply,
	}
	switch {
	case m.BotID != "" || (botUserID != "" && m.User == botUserID) || m.User == "":
		return bot.Inbound{}, false
	case ignoredSubtype(m.SubType):
		return bot.Inbound{}, false
	case m.ThreadTimeStamp == "" || m.ThreadTimeStamp == m.TimeStamp:
		if m.ChannelType != "im" {
			return bot.Inbound{}, false
		}
		in.Thread, in.Kind = "", bot.KindCommand
	}
	return in, true
}

// fromMention translates an app_mention: in a thread it is a reply (the
// same message also arrives as a message event, with the same
// MessageID); at top level, "@MLSD start" works like "/mlsd start".
func fromMention(team, botUserID string, m *slackevents.AppMentionEvent) (bot.Inbound, bool) {
	if m.BotID != "" || m.User == "" || (botUserID != "" && m.User == botUserID) {
		return bot.Inbound{}, false
	}
	in := bot.Inbound{
		Platform: bot.Slack, Workspace: team, Channel: m.Channel,
		UserID: m.User, MessageID: messageID(m.Channel, m.TimeStamp),
		Text: readText(m.Text, botUserID), Kind: bot.KindReply,
	}
	if m.ThreadTimeStamp != "" && m.ThreadTimeStamp != m.TimeStamp {
		in.Thread = m.ThreadTimeStamp
	} else {
		in.Kind = bot.KindCommand
	}
	return in, true
}

// fromSlash translates "/mlsd <text>".
func fromSlash(cmd slack.SlashCommand) bot.Inbound {
	return bot.Inbound{
		Platform: bot.Slack, Workspace: cmd.TeamID, Channel: cmd.ChannelID,
		UserID: cmd.UserID, UserName: cmd.UserName, MessageID: "cmd:" + cmd.TriggerID,
		Text: readText(cmd.Text, ""), Kind: bot.KindCommand,
	}
}

func teamOf(ic *slack.InteractionCallback) string {
	if ic.Team.ID != "" {
		return ic.Team.ID
	}
	return ic.User.TeamID
}

// fromBlockAction translates a button click; the click's trigger_id is
// unique per click and the same on redelivery.
func fromBlockAction(ic *slack.InteractionCallback) (bot.Inbound, bool) {
	if len(ic.ActionCallback.BlockActions) == 0 || ic.User.ID == "" {
		return bot.Inbound{}, false
	}
	act := ic.ActionCallback.BlockActions[0]
	if !strings.HasPrefix(act.ActionID, choiceActionID) {
		return bot.Inbound{}, false
	}
	channel := ic.Container.ChannelID
	if channel == "" {
		channel = ic.Channel.ID
	}
	thread := ic.Container.ThreadTs
	if thread == "" {
		thread = ic.Message.ThreadTimestamp
	}
	return bot.Inbound{
		Platform: bot.Slack, Workspace: teamOf(ic), Channel: channel, Thread: thread,
		UserID: ic.User.ID, UserName: ic.User.Name, MessageID: "act:" + ic.TriggerID,
		Text: act.Value, Kind: bot.KindAction,
	}, true
}

// fromViewSubmission translates the answer modal's submission, restoring
// the channel and thread it was opened from.
func fromViewSubmission(ic *slack.InteractionCallback) (bot.Inbound, bool) {
	if ic.View.CallbackID != formCallbackID || ic.View.State == nil {
		return bot.Inbound{}, false
	}
	var meta formMeta
	if err := json.Unmarshal([]byte(ic.View.PrivateMetadata), &meta); err != nil || meta.Channel == "" {
		return bot.Inbound{}, false
	}
	answer := ic.View.State.Values[formBlockID][formActionID].Value
	return bot.Inbound{
		Platform: bot.Slack, Workspace: teamOf(ic), Channel: meta.Channel, Thread: meta.Thread,
		UserID: ic.User.ID, UserName: ic.User.Name, MessageID: "view:" + ic.View.ID,
		Text: answer, Kind: bot.KindForm,
	}, true
}
