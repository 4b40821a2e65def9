package slack

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/mlsdbot/mlsd/bot"
)

// A proactive post carries its idempotency key (bot.Outbound.Key) as
// message metadata: invisible to people, kept with the message, and
// returned by conversations.history and conversations.replies with
// include_all_metadata. So a replica that takes over a post whose last
// attempt stopped after Slack accepted it can find it instead of posting
// it twice. Text matching would be weaker (a reveal's text changes as
// answers arrive); Slack keeps no client nonce.

// postEventType names MLSD's metadata events.
const postEventType = "mlsd_post"

// findPageSize and findPages bound the search: non-Marketplace apps may
// read history once a minute, 15 messages at a time; the post was made
// minutes after since, so the first page almost always has it.
const (
	findPageSize = 15
	findPages    = 4
)

var _ bot.PostFinder = (*Adapter)(nil)

func postMetadata(key string) slack.SlackMetadata {
	return slack.SlackMetadata{EventType: postEventType, EventPayload: map[string]any{"key": key}}
}

// FindPost implements bot.PostFinder: the bot's message carrying out.Key
// in its metadata, posted at or after since, in out's channel (a new
// thread or a channel post) or out's thread (a reply).
func (a *Adapter) FindPost(ctx context.Context, out bot.Outbound, since time.Time) (string, bool, error) {
	channel := out.Where.Channel
	if out.Key == "" || channel == "" || out.Where.Kind == bot.Ephemeral {
		return "", false, nil
	}
	thread := ""
	if out.Where.Kind == bot.InThread {
		thread = out.Where.Thread
	}
	oldest := fmt.Sprintf("%d.%06d", since.Unix(), since.Nanosecond()/1000)
	botUser, _ := a.identity()
	cursor := ""
	for range findPages {
		var (
			msgs []slack.Message
			more bool
			next string
			err  error
		)
		if thread == "" {
			var resp *slack.GetConversationHistoryResponse
			resp, err = a.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: channel, Oldest: oldest, Inclusive: true, Limit: findPageSize, Cursor: cursor, IncludeAllMetadata: true})
			if resp != nil {
				msgs, more, next = resp.Messages, resp.HasMore, resp.ResponseMetaData.NextCursor
			}
		} else {
			msgs, more, next, err = a.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: channel, Timestamp: thread, Oldest: oldest, Inclusive: true, Limit: findPageSize, Cursor: cursor, IncludeAllMetadata: true})
		}
		if err != nil {
			method := "conversations.history"
			if thread != "" {
				method = "conversations.replies"
			}
			code, needed := errorCode(err)
			a.logSlackError(method, channel, code, needed, err)
			return "", false, fmt.Errorf("slack: %s: %w", method, err)
		}
		for _, m := range msgs {
			key, _ := m.Metadata.EventPayload["key"].(string)
			if m.Metadata.EventType != postEventType || key != out.Key || (botUser != "" && m.User != botUser) {
				continue
			}
			if thread != "" {
				return thread, true, nil
			}
			return m.Timestamp, true, nil
		}
		if !more || next == "" {
			break
		}
		cursor = next
	}
	return "", false, nil
}
