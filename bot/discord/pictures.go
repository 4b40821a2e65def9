package discord

import (
	"bytes"
	"context"
	"errors"

	"github.com/bwmarrin/discordgo"

	"github.com/mlsdbot/mlsd/bot"
)

// Drawer draws the pictures replies carry (bot.Painter).
type Drawer interface {
	Draw(ctx context.Context, pic *bot.Picture) ([]byte, error)
}

// pictureMessage is out as one message with its picture attached: the
// caption as content, and an embed showing the attachment with the text
// alternative as its description (what screen readers and clients
// without images get).
func pictureMessage(out bot.Outbound, png []byte) (message, []*discordgo.File) {
	pic := out.Picture
	m := message{
		Content: clipText(out.Text, maxContent),
		Embeds: []*discordgo.MessageEmbed{{
			Description: clipText(pic.Alt, maxEmbedDesc),
			Image:       &discordgo.MessageEmbedImage{URL: "attachment://" + pic.Name},
		}},
	}
	return m, []*discordgo.File{{Name: pic.Name, ContentType: "image/png", Reader: bytes.NewReader(png)}}
}

// pictureAsText is out without its picture: the caption, a note saying
// why there is no image, and the text alternative, so nothing but the
// image is lost.
func pictureAsText(out bot.Outbound, err error) bot.Outbound {
	pic := out.Picture
	out.Picture = nil
	out.Text += "\n" + bot.PictureNote(err) + "\n" + pic.Alt
	return out
}

func (a *Adapter) draw(ctx context.Context, pic *bot.Picture, log logger) ([]byte, error) {
	if a.cfg.Drawer == nil {
		return nil, bot.ErrNoRenderer
	}
	png, err := a.cfg.Drawer.Draw(ctx, pic)
	if err != nil && !errors.Is(err, bot.ErrNoRenderer) {
		log.Warn("discord: picture not drawn", "kind", pic.Kind, "error", err)
	}
	return png, err
}

// postPicture sends out with its picture attached to target (a thread or
// channel); a picture that cannot be drawn or sent goes out as text.
func (a *Adapter) postPicture(ctx context.Context, target string, out bot.Outbound, log logger) error {
	png, err := a.draw(ctx, out.Picture, log)
	if err == nil {
		m, files := pictureMessage(out, png)
		send := m.send()
		send.Files = files
		if _, err = a.rest.ChannelMessageSendComplex(target, send, discordgo.WithContext(ctx)); err == nil {
			a.observe("outbound", "attachment")
			return nil
		}
		a.logREST(log, "post picture", err)
		err = bot.ErrPictureNotSent
	}
	for _, m := range render(pictureAsText(out, err)) {
		if _, err := a.rest.ChannelMessageSendComplex(target, m.send(), discordgo.WithContext(ctx)); err != nil {
			a.logREST(log, "post message", err)
			return err
		}
	}
	return nil
}

// sendEphemeralPicture shows out and its picture to the interaction's
// user only (an ephemeral follow-up with the file), or in a DM outside an
// interaction.
func (a *Adapter) sendEphemeralPicture(ctx context.Context, t *turn, out bot.Outbound, log logger) {
	png, err := a.draw(ctx, out.Picture, log)
	if err != nil {
		a.sendEphemeral(ctx, t, pictureAsText(out, err), log)
		return
	}
	m, files := pictureMessage(out, png)
	if t == nil || !t.ephemeralOK {
		user := out.Where.User
		if user == "" && t != nil {
			user = t.in.UserID
		}
		if user == "" {
			return
		}
		ch, err := a.rest.UserChannelCreate(user, discordgo.WithContext(ctx))
		if err != nil {
			a.logREST(log, "open DM", err)
			return
		}
		a.postPicture(ctx, ch.ID, out, log)
		return
	}
	if t.placeholder {
		// The deferred "thinking…" message takes the caption; the picture
		// follows it.
		a.fillPlaceholder(ctx, t, message{Content: m.Content}, log)
		m.Content = ""
	}
	params := m.webhook(discordgo.MessageFlagsEphemeral)
	params.Files = files
	if _, err := a.rest.FollowupMessageCreate(t.i, true, params, discordgo.WithContext(ctx)); err != nil {
		a.logREST(log, "ephemeral picture", err)
		a.sendEphemeral(ctx, t, pictureAsText(out, bot.ErrPictureNotSent), log)
	}
}

// sendEphemeralFile shows out with its file (an admin's export) to the
// interaction's user only, as an ephemeral follow-up, or in a DM outside
// an interaction. When it cannot be sent the user is told, privately.
func (a *Adapter) sendEphemeralFile(ctx context.Context, t *turn, out bot.Outbound, log logger) {
	f := out.File
	out.File = nil
	files := []*discordgo.File{{Name: f.Name, ContentType: f.Type, Reader: bytes.NewReader(f.Data)}}
	m := message{Content: clipText(out.Text, maxContent)}
	if t == nil || !t.ephemeralOK {
		user := out.Where.User
		if user == "" && t != nil {
			user = t.in.UserID
		}
		if user == "" {
			return
		}
		ch, err := a.rest.UserChannelCreate(user, discordgo.WithContext(ctx))
		if err == nil {
			send := m.send()
			send.Files = files
			if _, err = a.rest.ChannelMessageSendComplex(ch.ID, send, discordgo.WithContext(ctx)); err == nil {
				a.observe("outbound", "attachment")
				return
			}
		}
		a.logREST(log, "file to DM", err)
		return
	}
	if t.placeholder {
		// The deferred "thinking…" message takes the caption; the file
		// follows it, named.
		a.fillPlaceholder(ctx, t, m, log)
		m.Content = clipText(f.Alt, maxContent)
	}
	params := m.webhook(discordgo.MessageFlagsEphemeral)
	params.Files = files
	if _, err := a.rest.FollowupMessageCreate(t.i, true, params, discordgo.WithContext(ctx)); err != nil {
		a.logREST(log, "ephemeral file", err)
		out.Text += "\nThe file could not be sent; try again in a moment."
		a.sendEphemeral(ctx, t, out, log)
		return
	}
	a.observe("outbound", "attachment")
}
