package slack

import (
	"context"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// A job is the work an accepted event leads to; it runs after the ack.
// key orders jobs: one user's events run one at a time, in order.
type job struct {
	key string
	run func(ctx context.Context)
	// event is the Events API event id, when the job is one: a redelivery
	// of an event still in flight here waits for it (see inFlight).
	event string
}

// handledEvents are the Events API event types the adapter acts on; the
// manifest subscribes to exactly these (message.* for "message").
var handledEvents = map[string]bool{
	"message":         true,
	"app_mention":     true,
	"app_home_opened": true,
	"app_uninstalled": true,
	"tokens_revoked":  true,
}

func userKey(team, user string) string { return team + ":" + user }

// eventJob routes an Events API callback. A nil job means: acknowledge
// and ignore.
func (a *Adapter) eventJob(ev slackevents.EventsAPIEvent) *job {
	eventID := ""
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
		eventID = cb.EventID
	}
	j := a.routeEvent(ev, eventID)
	if j != nil {
		j.event = eventID
	}
	return j
}

func (a *Adapter) routeEvent(ev slackevents.EventsAPIEvent, eventID string) *job {
	team := ev.TeamID
	botUserID, _ := a.identity()
	switch inner := ev.InnerEvent.Data.(type) {
	case *slackevents.MessageEvent:
		in, ok := fromMessage(team, botUserID, inner)
		if !ok {
			a.cfg.Observe("ignored", "message")
			return nil
		}
		o := origin{in: in, eventID: eventID}
		if in.Kind == bot.KindCommand {
			return &job{key: userKey(team, in.UserID), run: func(ctx context.Context) { a.command(ctx, o) }}
		}
		return &job{key: userKey(team, in.UserID), run: func(ctx context.Context) { a.handle(ctx, o) }}
	case *slackevents.AppMentionEvent:
		in, ok := fromMention(team, botUserID, inner)
		if !ok {
			a.cfg.Observe("ignored", "app_mention")
			return nil
		}
		o := origin{in: in, eventID: eventID}
		if in.Kind == bot.KindCommand {
			return &job{key: userKey(team, in.UserID), run: func(ctx context.Context) { a.command(ctx, o) }}
		}
		return &job{key: userKey(team, in.UserID), run: func(ctx context.Context) { a.handle(ctx, o) }}
	case *slackevents.AppHomeOpenedEvent:
		if inner.Tab != "home" || inner.User == "" {
			return nil
		}
		user := bot.UserKey{Platform: bot.Slack, Workspace: team, UserID: inner.User}
		return &job{key: "home:" + userKey(team, inner.User), run: func(ctx context.Context) { a.publishHome(ctx, user, eventID) }}
	case *slackevents.AppUninstalledEvent:
		a.log.Warn("slack: the app was uninstalled from the workspace", "team", team)
		a.setReady(false)
	case *slackevents.TokensRevokedEvent:
		a.log.Warn("slack: tokens were revoked; reinstall the app and update SLACK_BOT_TOKEN", "team", team)
	default:
		a.log.Debug("slack: ignoring event", "type", ev.InnerEvent.Type, "event", eventID)
	}
	return nil
}

// slashJob routes "/mlsd …".
func (a *Adapter) slashJob(cmd slack.SlashCommand) *job {
	o := origin{in: fromSlash(cmd), eventID: "cmd:" + cmd.TriggerID, triggerID: cmd.TriggerID, responseURL: cmd.ResponseURL}
	return &job{key: userKey(cmd.TeamID, cmd.UserID), run: func(ctx context.Context) { a.command(ctx, o) }}
}

// command handles a command; "start" first makes sure the bot is in the
// channel, since the interview thread lives there.
func (a *Adapter) command(ctx context.Context, o origin) {
	if startsInterview(o.in.Text) {
		notice, err := a.ensureMember(ctx, o.in.Channel)
		if err != nil {
			a.log.Error("slack: cannot check channel membership", "event", o.eventID, "channel", o.in.Channel, "err", err)
			a.notify(ctx, o, Apology)
			return
		}
		if notice != "" {
			a.notify(ctx, o, notice)
			return
		}
	}
	a.handle(ctx, o)
}

// interactionJob routes button clicks and modal submissions.
func (a *Adapter) interactionJob(ic slack.InteractionCallback) *job {
	var in bot.Inbound
	var ok bool
	switch ic.Type {
	case slack.InteractionTypeBlockActions:
		if len(ic.ActionCallback.BlockActions) > 0 && ic.ActionCallback.BlockActions[0].ActionID == homeDrillActionID && ic.User.ID != "" {
			return a.homeDrillJob(ic)
		}
		in, ok = fromBlockAction(&ic)
	case slack.InteractionTypeViewSubmission:
		in, ok = fromViewSubmission(&ic)
	}
	if !ok {
		return nil
	}
	o := origin{in: in, eventID: in.MessageID, triggerID: ic.TriggerID}
	return &job{key: userKey(in.Workspace, in.UserID), run: func(ctx context.Context) { a.handle(ctx, o) }}
}

// homeDrillJob runs the Home tab's Drill button: a click there has no
// channel, so the drill opens in the user's direct messages with the bot.
func (a *Adapter) homeDrillJob(ic slack.InteractionCallback) *job {
	team, user := teamOf(&ic), ic.User.ID
	return &job{key: userKey(team, user), run: func(ctx context.Context) {
		ch, _, _, err := a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
		if err != nil {
			code, needed := errorCode(err)
			a.logSlackError("conversations.open", "", code, needed, err, "user", user)
			return
		}
		a.handle(ctx, origin{in: bot.Inbound{
			Platform: bot.Slack, Workspace: team, Channel: ch.ID, UserID: user, UserName: ic.User.Name,
			MessageID: "act:" + ic.TriggerID, Text: "drill", Kind: bot.KindCommand,
		}, eventID: "act:" + ic.TriggerID})
	}}
}
