package slack

import (
	"bytes"
	"context"
	"errors"

	"github.com/slack-go/slack"

	"github.com/mlsdbot/mlsd/bot"
)

// Drawer draws the pictures replies carry (bot.Painter).
type Drawer interface {
	Draw(ctx context.Context, pic *bot.Picture) ([]byte, error)
}

// maxAltText is Slack's limit on a file's alt text.
const maxAltText = 1000

// postPicture shares out's picture into the thread with Slack's
// three-step upload (files.getUploadURLExternal, the bytes, then
// files.completeUploadExternal with channel_id and thread_ts), out.Text as
// its comment and the picture's text alternative as its alt text. The
// picture is drawn now, not when the reply was saved, so a redelivered
// reply draws it again. When it cannot be drawn or uploaded, the text and
// the text alternative go out as a message with a note: the answer or
// report around it is never lost.
func (a *Adapter) postPicture(ctx context.Context, o origin, channel, thread string, out bot.Outbound) {
	pic := out.Picture
	png, drawErr := a.draw(ctx, pic)
	if drawErr == nil {
		err := a.upload(ctx, channel, thread, pic.Name, png, pic.Alt, out.Text)
		if err == nil {
			return
		}
		code, needed := errorCode(err)
		a.logSlackError("files.upload", channel, code, needed, err, "picture", pic.Kind)
	} else if !errors.Is(drawErr, bot.ErrNoRenderer) {
		a.log.Warn("slack: picture not drawn", "event", o.eventID, "kind", pic.Kind, "err", drawErr)
	}
	text := out
	text.Picture = nil
	text.Text = out.Text + "\n" + bot.PictureNote(pictureError(drawErr)) + "\n" + pic.Alt
	if _, err := a.postAll(ctx, channel, thread, text); err != nil {
		a.reportSendError(ctx, o, "chat.postMessage", channel, err)
	}
}

// upload shares data into the channel (in thread when set) with the
// three-step upload, comment as its message and alt as its alt text.
func (a *Adapter) upload(ctx context.Context, channel, thread, name string, data []byte, alt, comment string) error {
	_, err := a.out.send(ctx, channel, func(ctx context.Context) (string, error) {
		_, err := a.api.UploadFileContext(ctx, slack.UploadFileParameters{
			Reader:          bytes.NewReader(data),
			FileSize:        len(data),
			Filename:        name,
			Title:           truncate(plainText(comment), 250),
			InitialComment:  mrkdwn(comment),
			AltTxt:          truncate(alt, maxAltText),
			Channel:         channel,
			ThreadTimestamp: thread,
		})
		return "", err
	})
	if err == nil {
		a.cfg.Observe("outbound", "files.completeUploadExternal")
	}
	return err
}

// postPrivateFile delivers a file meant for one person (an admin's
// export) to their DM with the bot, and says so where they asked. Without
// the DM or the upload (an install missing im:write or files:write) they
// are told privately, and nothing is shown to anyone else.
func (a *Adapter) postPrivateFile(ctx context.Context, o origin, out bot.Outbound) {
	f := out.File
	out.File = nil
	user := out.Where.User
	if user == "" {
		user = o.in.UserID
	}
	ch, _, _, err := a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
	if err == nil && ch != nil {
		a.cfg.Observe("outbound", "conversations.open")
		if err = a.upload(ctx, ch.ID, "", f.Name, f.Data, f.Alt, out.Text); err == nil {
			out.Text += "\nSent to your direct messages with MLSD: " + f.Name + "."
			a.sendEphemeral(ctx, o, out)
			return
		}
	}
	code, needed := errorCode(err)
	a.logSlackError("files.upload", user, code, needed, err, "file", f.Name)
	out.Text += "\nThe file could not be sent (the app may need the files:write and im:write scopes: reinstall it from the manifest)."
	a.sendEphemeral(ctx, o, out)
}

func (a *Adapter) draw(ctx context.Context, pic *bot.Picture) ([]byte, error) {
	if a.cfg.Drawer == nil {
		return nil, bot.ErrNoRenderer
	}
	return a.cfg.Drawer.Draw(ctx, pic)
}

// pictureError is what the note says: the drawing error, else that the
// upload failed (its codes and scopes are for the log).
func pictureError(drawErr error) error {
	if drawErr != nil {
		return drawErr
	}
	return bot.ErrPictureNotSent
}

// postPrivatePicture delivers a picture meant for one person: Slack has
// no ephemeral files, so it goes to the person's DM with the bot. Without
// the DM (no im:write on an older install) the text alternative is shown
// ephemerally instead.
func (a *Adapter) postPrivatePicture(ctx context.Context, o origin, out bot.Outbound) {
	user := out.Where.User
	if user == "" {
		user = o.in.UserID
	}
	ch, _, _, err := a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
	if err == nil && ch != nil {
		a.cfg.Observe("outbound", "conversations.open")
		a.postPicture(ctx, o, ch.ID, "", out)
		return
	}
	code, needed := errorCode(err)
	a.logSlackError("conversations.open", user, code, needed, err)
	pic := out.Picture
	out.Picture = nil
	out.Text += "\n" + bot.PictureNote(bot.ErrPictureNotSent) + "\n" + pic.Alt
	a.sendEphemeral(ctx, o, out)
}
