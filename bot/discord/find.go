package discord

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/mlsdbot/mlsd/bot"
)

// Discord keeps no hidden data on a message: a create's nonce (with
// enforce_nonce) deduplicates only for a few minutes, less than the
// claim's lease, and is never returned by a later read (discordgo v0.29.0
// cannot even send it). So a replica that takes over a post looks for it
// in the channel: a message by this bot, created at or after the claim's
// noted time, whose content is the post's first message. The takeover
// passes the very Outbound that was on its way (noted with the claim), so
// the same render gives the same content.

// findPages bounds the search at 5 × 100 messages after the noted time.
const findPages = 5

var _ bot.PostFinder = (*Adapter)(nil)

// snowflakeAt is the smallest snowflake id of a moment.
func snowflakeAt(t time.Time) string {
	const discordEpochMillis = 1420070400000
	ms := max(t.UnixMilli()-discordEpochMillis, 0)
	return strconv.FormatInt(ms<<22, 10)
}

// FindPost implements bot.PostFinder. A new-thread post found without its
// thread (the last attempt stopped between the two calls) gets its thread
// and the rest of its messages now, so the post is whole.
func (a *Adapter) FindPost(ctx context.Context, out bot.Outbound, since time.Time) (string, bool, error) {
	if out.Picture != nil || out.Where.Kind == bot.Ephemeral {
		return "", false, nil
	}
	target := out.Where.Channel
	if out.Where.Kind == bot.InThread {
		target = firstNonEmpty(out.Where.Thread, out.Where.Channel)
	}
	msgs := render(out)
	if target == "" || len(msgs) == 0 {
		return "", false, nil
	}
	want := strings.TrimSpace(msgs[0].Content)
	after := snowflakeAt(since.Add(-time.Millisecond))
	for range findPages {
		list, err := a.rest.ChannelMessages(target, 100, "", after, "", discordgo.WithContext(ctx))
		if err != nil {
			a.logREST(a.log, "list messages", err)
			return "", false, fmt.Errorf("discord: listing messages in %s: %w", target, err)
		}
		for _, m := range list {
			if m.Author == nil || m.Author.ID != a.cfg.AppID || strings.TrimSpace(m.Content) != want {
				continue
			}
			if out.Where.Kind != bot.NewThread {
				return out.Where.Thread, true, nil
			}
			if m.Thread != nil {
				a.rememberParent(m.Thread.ID, target)
				return m.Thread.ID, true, nil
			}
			th, err := a.continueThread(ctx, target, m.ID, out, msgs, nil, "")
			if err != nil {
				return "", false, fmt.Errorf("discord: starting the thread of the post found in %s: %w", target, err)
			}
			return th, true, nil
		}
		if len(list) < 100 {
			break
		}
		after = newest(list)
	}
	return "", false, nil
}

// newest is the largest id of a page of messages.
func newest(list []*discordgo.Message) string {
	best, bestID := int64(0), ""
	for _, m := range list {
		if n, err := strconv.ParseInt(m.ID, 10, 64); err == nil && n > best {
			best, bestID = n, m.ID
		}
	}
	return bestID
}
