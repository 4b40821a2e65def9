package slack

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/slack-go/slack"
)

// origin is an inbound message plus what Slack gave us to answer it.
type origin struct {
	in          bot.Inbound
	eventID     string // Slack's event or envelope id, for logs
	triggerID   string // opens a modal within 3 s of the click
	responseURL string // answers a slash command without channel membership
}

// handle runs one inbound message through the interviewer and delivers
// the replies.
func (a *Adapter) handle(ctx context.Context, o origin) {
	log := a.log.With("event", o.eventID, "message_id", o.in.MessageID)
	defer func() {
		if r := recover(); r != nil {
			a.cfg.Observe("panic")
			log.Error("slack: handler panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			a.notify(ctx, o, Apology)
		}
	}()
	o.in.UserName, o.in.IsAdmin = a.userDetails(ctx, o.in.UserID, o.in.UserName)
	a.cfg.Observe("inbound", o.in.Kind.String())
	outs, err := a.cfg.Interviewer.Handle(ctx, o.in)
	if err != nil {
		log.Error("slack: handling failed", "err", err)
		outs = []bot.Outbound{{
			Where: bot.Where{Kind: bot.Ephemeral, Channel: o.in.Channel, Thread: o.in.Thread, User: o.in.UserID},
			Text:  Apology,
		}}
	}
	releaseSlot(ctx) // the change is saved; only paced replies remain
	a.deliver(ctx, o, outs)
	if err == nil && ctx.Err() == nil {
		// Posted (or, on a platform error, reported to the user). Cut
		// short by shutdown or the deadline, the replies stay pending and
		// the next process's sweeper sends them.
		a.cfg.Interviewer.Delivered(ctx, o.in, outs)
	}
	a.cfg.Observe("handled", o.in.Kind.String())
}

// deliver posts one batch of replies in order. A NewThread message roots
// a thread; the batch's following messages without a thread go into it.
func (a *Adapter) deliver(ctx context.Context, o origin, outs []bot.Outbound) {
	var newThread string
	rootFailed := false
	for _, out := range outs {
		if out.Where.Channel == "" {
			out.Where.Channel = o.in.Channel
		}
		switch out.Where.Kind {
		case bot.NewThread:
			ts, err := a.postAll(ctx, out.Where.Channel, "", out)
			if err != nil {
				rootFailed = true
				a.reportSendError(ctx, o, "chat.postMessage", out.Where.Channel, err)
				a.abandon(ctx, o, out)
				continue
			}
			newThread = ts
			if err := a.cfg.Interviewer.AttachThread(ctx, o.in.User(), out.Session, out.Where.Channel, ts); err != nil {
				a.log.Error("slack: could not bind the interview thread", "event", o.eventID, "session", out.Session, "err", err)
				a.notify(ctx, o, Apology)
				rootFailed = true
			}
		case bot.Ephemeral:
			// A form opens first (its trigger expires in 3 s); its text is
			// only the fallback for when the modal cannot open.
			if out.Form != nil && a.openForm(ctx, o, out) {
				continue
			}
			if out.Picture != nil {
				a.postPrivatePicture(ctx, o, out)
				continue
			}
			if out.File != nil {
				a.postPrivateFile(ctx, o, out)
				continue
			}
			a.sendEphemeral(ctx, o, out)
			continue
		default:
			thread := threadFor(out, newThread)
			if thread == "" && rootFailed && out.Where.Thread == "" {
				continue // it belonged to the thread that could not be created
			}
			if out.Picture != nil {
				a.postPicture(ctx, o, out.Where.Channel, thread, out)
				continue
			}
			if _, err := a.postAll(ctx, out.Where.Channel, thread, out); err != nil {
				a.reportSendError(ctx, o, "chat.postMessage", out.Where.Channel, err)
			}
		}
		if out.Form != nil {
			a.openForm(ctx, o, out)
		}
	}
}

// abandon ends an interview whose thread could not be posted: without a
// thread nobody can answer it, and it would block the user's next
// /mlsd start. It is the End button pressed on the user's behalf; the
// interviewer's replies to it are not shown, since posting just failed.
func (a *Adapter) abandon(ctx context.Context, o origin, root bot.Outbound) {
	if root.Session == "" || o.in.UserID == "" {
		return
	}
	in := o.in
	in.Kind, in.Text, in.Thread = bot.KindAction, "end", ""
	in.Channel = root.Where.Channel
	in.MessageID = "abandon:" + root.Session
	outs, err := a.cfg.Interviewer.Handle(ctx, in)
	if err != nil {
		a.log.Error("slack: could not end an interview without a thread", "event", o.eventID, "session", root.Session, "err", err)
		return
	}
	a.cfg.Interviewer.Delivered(ctx, in, outs) // not shown on purpose: nothing to send later
	a.log.Warn("slack: ended an interview whose thread could not be posted", "event", o.eventID, "session", root.Session)
}

// postAll posts every part of a rendered message; the first part's ts
// roots a new thread, and later parts go into that thread.
func (a *Adapter) postAll(ctx context.Context, channel, thread string, out bot.Outbound) (string, error) {
	var first string
	for _, m := range render(out) {
		opts := []slack.MsgOption{slack.MsgOptionText(m.text, false)}
		if m.blocks != nil {
			opts = append(opts, slack.MsgOptionBlocks(m.blocks...))
		}
		if thread != "" {
			opts = append(opts, slack.MsgOptionTS(thread))
		}
		if first == "" && out.Key != "" {
			// Hidden, and read back by FindPost.
			opts = append(opts, slack.MsgOptionMetadata(postMetadata(out.Key)))
		}
		ts, err := a.out.send(ctx, channel, func(ctx context.Context) (string, error) {
			_, ts, err := a.api.PostMessageContext(ctx, channel, opts...)
			return ts, err
		})
		if err != nil {
			return first, err
		}
		a.cfg.Observe("outbound", "chat.postMessage")
		if thread != "" && hasActions(m.blocks) {
			a.retireButtons(ctx, channel, thread, postedMessage{ts: ts, msg: m})
		}
		if first == "" {
			first = ts
			if thread == "" && out.Where.Kind == bot.NewThread {
				thread = ts
			}
		}
	}
	return first, nil
}

// sendEphemeral shows a message to one user. A slash command's reply
// goes through its response_url, which works even where the bot is not a
// member; otherwise chat.postEphemeral, in the thread when there is one.
func (a *Adapter) sendEphemeral(ctx context.Context, o origin, out bot.Outbound) {
	user := out.Where.User
	if user == "" {
		user = o.in.UserID
	}
	for _, m := range render(out) {
		if o.responseURL != "" && user == o.in.UserID && out.Where.Channel == o.in.Channel && out.Where.Thread == "" {
			err := a.respond(ctx, o.responseURL, m)
			if err == nil {
				a.cfg.Observe("outbound", "response_url")
				continue
			}
			a.log.Warn("slack: response_url failed; trying chat.postEphemeral", "event", o.eventID, "err", err)
		}
		opts := []slack.MsgOption{slack.MsgOptionText(m.text, false)}
		if m.blocks != nil {
			opts = append(opts, slack.MsgOptionBlocks(m.blocks...))
		}
		if out.Where.Thread != "" {
			opts = append(opts, slack.MsgOptionTS(out.Where.Thread))
		}
		_, err := a.out.send(ctx, out.Where.Channel, func(ctx context.Context) (string, error) {
			return a.api.PostEphemeralContext(ctx, out.Where.Channel, user, opts...)
		})
		if err != nil {
			a.reportSendError(ctx, o, "chat.postEphemeral", out.Where.Channel, err)
			return
		}
		a.cfg.Observe("outbound", "chat.postEphemeral")
	}
}

func (a *Adapter) respond(ctx context.Context, url string, m message) error {
	msg := &slack.WebhookMessage{Text: m.text, ResponseType: slack.ResponseTypeEphemeral}
	if m.blocks != nil {
		msg.Blocks = &slack.Blocks{BlockSet: m.blocks}
	}
	return slack.PostWebhookCustomHTTPContext(ctx, url, a.cfg.HTTPClient, msg)
}

// notify tells the user something short about a failure, by whichever
// route does not depend on what just failed.
func (a *Adapter) notify(ctx context.Context, o origin, text string) {
	if o.in.UserID == "" {
		return
	}
	m := message{text: mrkdwn(text)}
	if o.responseURL != "" {
		if err := a.respond(ctx, o.responseURL, m); err == nil {
			return
		}
	}
	if o.in.Channel == "" {
		return
	}
	opts := []slack.MsgOption{slack.MsgOptionText(m.text, false)}
	if o.in.Thread != "" {
		opts = append(opts, slack.MsgOptionTS(o.in.Thread))
	}
	if _, err := a.api.PostEphemeralContext(ctx, o.in.Channel, o.in.UserID, opts...); err != nil {
		a.log.Warn("slack: could not tell the user about a failure", "event", o.eventID, "err", err)
	}
}

// openForm opens the answer modal with the click's trigger_id and reports
// whether it opened.
func (a *Adapter) openForm(ctx context.Context, o origin, out bot.Outbound) bool {
	if o.triggerID == "" {
		a.log.Warn("slack: a form was requested without a click to open it from", "event", o.eventID)
		return false
	}
	thread := out.Where.Thread
	if thread == "" {
		thread = o.in.Thread
	}
	view, err := formView(out.Form, formMeta{Context: out.Form.Context, Channel: out.Where.Channel, Thread: thread})
	if err != nil {
		a.log.Error("slack: cannot build the answer form", "event", o.eventID, "err", err)
		return false
	}
	if _, err := a.api.OpenViewContext(ctx, o.triggerID, view); err != nil {
		code, _ := errorCode(err)
		if code == "expired_trigger_id" {
			a.log.Warn("slack: the form button click expired before the form opened (over 3 s)", "event", o.eventID)
			a.notify(ctx, o, "That took too long and Slack closed the window for the form. Please click **Answer in a form** again, or reply in the thread.")
			return true // the notice replaces the fallback text
		}
		code, needed := errorCode(err)
		a.logSlackError("views.open", out.Where.Channel, code, needed, err, "event", o.eventID)
		return false
	}
	a.cfg.Observe("outbound", "views.open")
	return true
}

// errorCode extracts Slack's error code (and the scope a missing_scope
// error needs).
func errorCode(err error) (code, needed string) {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err, se.Needed
	}
	if err != nil {
		return err.Error(), ""
	}
	return "", ""
}

func isAuthError(code string) bool {
	switch code {
	case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive":
		return true
	}
	return false
}

// fixFor says, for the operator's log, how to resolve a permanent error.
func fixFor(code, needed, botName string) string {
	switch {
	case code == "missing_scope":
		return fmt.Sprintf("add the bot scope %q to the Slack app (deploy/slack/manifest.yaml lists them all) and reinstall it", needed)
	case code == "not_in_channel":
		return fmt.Sprintf("invite the bot to the channel: /invite @%s", botName)
	case code == "channel_not_found":
		return fmt.Sprintf("the channel is private, deleted or a DM the bot is not in; invite it with /invite @%s", botName)
	case code == "is_archived":
		return "the channel is archived; unarchive it or use another one"
	case isAuthError(code):
		return "the bot token is invalid or revoked; reinstall the app and update SLACK_BOT_TOKEN"
	case code == "restricted_action":
		return "a workspace setting stops the bot from posting in this channel"
	}
	return ""
}

// userNoticeFor is what the person hears about a permanent error, when
// something useful can be said.
func userNoticeFor(code, needed, botName string) string {
	switch code {
	case "missing_scope":
		return fmt.Sprintf("MLSD is missing the Slack permission `%s`. Please ask a workspace admin to update and reinstall the app.", needed)
	case "not_in_channel", "channel_not_found":
		return fmt.Sprintf("I'm not a member of this channel. Invite me with `/invite @%s` and try again.", botName)
	case "is_archived":
		return "This channel is archived, so I can't post here."
	case "restricted_action":
		return "This channel doesn't allow me to post. Try another channel."
	}
	return ""
}

// reportSendError logs a failed call once, clearly, and tells the user
// when that helps.
func (a *Adapter) reportSendError(ctx context.Context, o origin, method, channel string, err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		a.log.Warn("slack: gave up sending during shutdown", "method", method, "channel", channel, "event", o.eventID)
		return
	}
	code, needed := errorCode(err)
	a.logSlackError(method, channel, code, needed, err, "event", o.eventID)
	if code == "not_in_channel" || code == "channel_not_found" {
		a.mu.Lock()
		delete(a.members, channel)
		a.mu.Unlock()
	}
	_, botName := a.identity()
	if notice := userNoticeFor(code, needed, botName); notice != "" {
		a.notify(ctx, o, notice)
	} else if !isAuthError(code) {
		a.notify(ctx, o, Apology)
	}
}

func (a *Adapter) logSlackError(method, channel, code, needed string, err error, extra ...any) {
	a.cfg.Observe("slack_error", code)
	_, botName := a.identity()
	args := []any{"method", method, "error", code}
	if channel != "" {
		args = append(args, "channel", channel)
	}
	if needed != "" {
		args = append(args, "needed_scope", needed)
	}
	if fix := fixFor(code, needed, botName); fix != "" {
		args = append(args, "fix", fix)
	} else if code != err.Error() {
		args = append(args, "err", err)
	}
	args = append(args, extra...)
	if isAuthError(code) {
		a.setReady(false)
	}
	a.log.Error("slack: "+method+" failed", args...)
}

// ensureMember makes sure the bot can post in and hear from channel
// before an interview starts there: it joins public channels and returns
// a notice for the user where it cannot.
func (a *Adapter) ensureMember(ctx context.Context, channel string) (notice string, err error) {
	a.mu.Lock()
	known := a.members[channel]
	a.mu.Unlock()
	if known {
		return "", nil
	}
	_, botName := a.identity()
	info, err := a.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: channel})
	if err != nil {
		code, needed := errorCode(err)
		a.logSlackError("conversations.info", channel, code, needed, err)
		if n := userNoticeFor(code, needed, botName); n != "" {
			return n, nil
		}
		return "", err
	}
	switch {
	case info.IsArchived:
		return userNoticeFor("is_archived", "", botName), nil
	case info.IsMember || info.IsIM:
	case info.IsPrivate || info.IsGroup || info.IsMpIM:
		return userNoticeFor("not_in_channel", "", botName), nil
	default:
		if err := a.join(ctx, channel); err != nil {
			code, needed := errorCode(err)
			if n := userNoticeFor(code, needed, botName); n != "" {
				return n, nil
			}
			return "", err
		}
	}
	a.mu.Lock()
	a.members[channel] = true
	a.mu.Unlock()
	return "", nil
}

func (a *Adapter) join(ctx context.Context, channel string) error {
	if _, _, _, err := a.api.JoinConversationContext(ctx, channel); err != nil {
		code, needed := errorCode(err)
		a.logSlackError("conversations.join", channel, code, needed, err)
		return err
	}
	a.log.Info("slack: joined channel", "channel", channel)
	a.mu.Lock()
	a.members[channel] = true
	a.mu.Unlock()
	return nil
}

// startsInterview reports whether a command starts an interview, which
// needs the bot in the channel to post the thread and hear replies.
func startsInterview(text string) bool {
	word, _, _ := strings.Cut(strings.TrimSpace(strings.ToLower(text)), " ")
	return word == "start"
}

// postedMessage is a message with buttons the adapter posted in a thread.
type postedMessage struct {
	ts  string
	msg message
}

// maxTrackedThreads bounds the memory of the last buttons per thread.
const maxTrackedThreads = 10000

// retireButtons records m as the thread's live question and takes the
// buttons off the one it replaces (chat.update with the same text and
// blocks, minus the actions), so nobody clicks a stale button. It is best
// effort: it knows only what this process posted, and a stale click is
// refused by the interviewer anyway.
func (a *Adapter) retireButtons(ctx context.Context, channel, thread string, m postedMessage) {
	key := channel + "/" + thread
	a.buttonsMu.Lock()
	prev, ok := a.buttons[key]
	if len(a.buttons) >= maxTrackedThreads {
		clear(a.buttons)
	}
	a.buttons[key] = m
	a.buttonsMu.Unlock()
	if !ok || prev.ts == m.ts {
		return
	}
	var kept []slack.Block
	for _, b := range prev.msg.blocks {
		if b.BlockType() != slack.MBTAction {
			kept = append(kept, b)
		}
	}
	opts := []slack.MsgOption{slack.MsgOptionText(prev.msg.text, false), slack.MsgOptionBlocks(kept...)}
	if _, _, _, err := a.api.UpdateMessageContext(ctx, channel, prev.ts, opts...); err != nil {
		a.log.Warn("slack: could not take the buttons off an earlier question", "channel", channel, "err", err)
		return
	}
	a.cfg.Observe("outbound", "chat.update")
}

func hasActions(blocks []slack.Block) bool {
	for _, b := range blocks {
		if b.BlockType() == slack.MBTAction {
			return true
		}
	}
	return false
}
