package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/mlsdbot/mlsd/bot"
)

// sorry is what a user sees when something failed on our side.
const sorry = "Something went wrong on our side — please try again."

// Deadlines: Discord drops an interaction that gets no first response in
// 3 s; a form click must run the domain before answering (the modal has to
// be the first response), so it gets the part of that budget the network
// leaves.
const (
	formHandleBudget = 2 * time.Second
	handleTimeout    = 30 * time.Second
)

// respondFunc sends an interaction's first response: a REST callback on
// the gateway, the HTTP reply body in HTTP mode.
type respondFunc func(ctx context.Context, i *discordgo.Interaction, r *discordgo.InteractionResponse) error

// interactionExtra holds what discordgo v0.29.0 drops or cannot decode:
// the partial channel object (is this a thread? its parent?) and the raw
// data, to read modals with component types it does not know.
type interactionExtra struct {
	Channel *struct {
		ID       string                `json:"id"`
		Type     discordgo.ChannelType `json:"type"`
		ParentID string                `json:"parent_id"`
	} `json:"channel"`
	Data json.RawMessage `json:"data"`
}

// turn is one interaction being handled.
type turn struct {
	i  *discordgo.Interaction
	in bot.Inbound
	// placeholder is set while a deferred ephemeral response waits to be
	// filled or removed.
	placeholder bool
	// ephemeralOK: the interaction can carry ephemeral follow-ups.
	ephemeralOK bool
}

// handleInteraction handles one INTERACTION_CREATE payload from either
// transport; after respond has been called it continues with the domain.
func (a *Adapter) handleInteraction(ctx context.Context, raw []byte, respond respondFunc) {
	i, extra, decodeErr := decodeInteraction(raw)
	log := a.log.With("interaction", i.ID, "type", int(i.Type))
	responded := false
	respondOnce := func(r *discordgo.InteractionResponse) error {
		if responded {
			return errors.New("already responded")
		}
		responded = true
		rctx, cancel := context.WithTimeout(ctx, 2500*time.Millisecond)
		defer cancel()
		err := respond(rctx, &i, r)
		if err != nil {
			a.logREST(log, "first response", err)
		}
		return err
	}
	var t *turn
	defer func() {
		if r := recover(); r != nil {
			log.Error("discord: panic handling an interaction", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			a.observe("error", "panic")
			if !responded {
				respondOnce(ephemeralResponse(sorry))
			} else if t != nil {
				a.sendEphemeral(ctx, t, bot.Outbound{Text: sorry}, log)
			}
		}
	}()
	if i.ID == "" || i.Token == "" {
		log.Warn("discord: interaction without id or token", "error", decodeErr)
		return
	}
	if i.Type == discordgo.InteractionPing {
		respondOnce(&discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
		return
	}
	if decodeErr != nil && !(i.Type == discordgo.InteractionModalSubmit && len(extra.Data) > 0) {
		// The modal's answer is read from the raw data below.
		log.Warn("discord: could not decode interaction", "error", decodeErr)
		respondOnce(ephemeralResponse("Sorry, I could not read that. Please try again."))
		return
	}
	user := interactionUser(&i)
	if user == nil {
		log.Warn("discord: interaction without a user")
		respondOnce(ephemeralResponse("Sorry, I could not tell who sent that."))
		return
	}
	if i.GuildID == "" {
		respondOnce(ephemeralResponse("MLSD runs interviews in servers: use `/mlsd` in a server channel."))
		return
	}
	t = &turn{i: &i, ephemeralOK: true}
	t.in = bot.Inbound{
		Platform:  bot.Discord,
		Workspace: i.GuildID,
		UserID:    user.ID,
		UserName:  displayName(&i, user),
		MessageID: i.ID,
		IsAdmin:   i.Member != nil && i.Member.Permissions&(discordgo.PermissionManageGuild|discordgo.PermissionAdministrator) != 0,
	}
	t.in.Channel, t.in.Thread = a.locate(ctx, i.ChannelID, extra)

	switch i.Type {
	case discordgo.InteractionApplicationCommandAutocomplete:
		data, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
		if !ok {
			respondOnce(&discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
				Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{}}})
			return
		}
		typed := ""
		if f := focusedOption(data.Options); f != nil && f.Value != nil {
			typed = fmt.Sprint(f.Value)
		}
		respondOnce(&discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: scenarioChoices(a.cfg.Library, typed)}})
		return

	case discordgo.InteractionApplicationCommand:
		data, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
		if !ok || (data.Name != commandName && data.Name != adminCommandName) {
			respondOnce(ephemeralResponse("I don't know that command. Try `/mlsd help`."))
			return
		}
		t.in.Kind = bot.KindCommand
		t.in.Text = commandText(data)
		// Defer first: the domain and the thread creation may take longer
		// than Discord's 3-second window.
		if respondOnce(deferral(&i, extra, decodeErr)) != nil {
			return
		}
		t.placeholder = true

	case discordgo.InteractionMessageComponent:
		data, ok := i.Data.(discordgo.MessageComponentInteractionData)
		if !ok {
			respondOnce(ephemeralResponse("Sorry, I could not read that button."))
			return
		}
		t.in.Kind = bot.KindAction
		switch {
		case strings.HasPrefix(data.CustomID, idForm):
			t.in.Text = strings.TrimPrefix(data.CustomID, idForm)
			a.formClick(ctx, t, respondOnce, log)
			return
		case strings.HasPrefix(data.CustomID, idButton):
			t.in.Text = strings.TrimPrefix(data.CustomID, idButton)
		default:
			respondOnce(ephemeralResponse("That button is no longer active."))
			return
		}
		if respondOnce(deferral(&i, extra, decodeErr)) != nil {
			return
		}

	case discordgo.InteractionModalSubmit:
		customID, value := modalSubmission(&i, extra.Data)
		if !strings.HasPrefix(customID, idModal) {
			respondOnce(ephemeralResponse("That form is no longer active."))
			return
		}
		t.in.Kind = bot.KindForm
		t.in.Text = value
		if respondOnce(deferral(&i, extra, decodeErr)) != nil {
			return
		}
		t.placeholder = i.Message == nil // an ephemeral "thinking" message

	default:
		respondOnce(ephemeralResponse("Sorry, I can't handle that yet."))
		return
	}

	a.observe("inbound", t.in.Kind.String())
	hctx, cancel := context.WithTimeout(ctx, handleTimeout)
	defer cancel()
	outs, err := a.cfg.Interviewer.Handle(hctx, t.in)
	if err != nil {
		log.Error("discord: handling failed", "error", err, "kind", t.in.Kind.String())
		a.observe("error", "handle")
		outs = []bot.Outbound{{Where: bot.Where{Kind: bot.Ephemeral, User: t.in.UserID}, Text: sorry}}
	}
	if t.in.Kind == bot.KindForm {
		outs = withEcho(t.in, outs)
	}
	a.deliver(hctx, t, outs, log)
	a.delivered(hctx, t.in, outs, err)
}

// delivered confirms an event's replies to the interviewer once they were
// posted (or a platform error was reported to the user). Cut short by
// shutdown or the deadline, they stay pending and the next process's
// sweeper sends them.
func (a *Adapter) delivered(ctx context.Context, in bot.Inbound, outs []bot.Outbound, err error) {
	if err == nil && ctx.Err() == nil {
		a.cfg.Interviewer.Delivered(ctx, in, outs)
	}
}

// decodeInteraction reads an INTERACTION_CREATE payload. discordgo
// decodes the envelope before the data, so a payload with an unknown
// component still yields id, token and type (Data stays nil).
func decodeInteraction(raw []byte) (discordgo.Interaction, interactionExtra, error) {
	var i discordgo.Interaction
	decodeErr := json.Unmarshal(raw, &i)
	var extra interactionExtra
	_ = json.Unmarshal(raw, &extra)
	if decodeErr != nil {
		decodeErr = decodeFallback(raw, extra.Data, &i)
	}
	return i, extra, decodeErr
}

// deferral is the first response handleInteraction gives before the
// domain runs, read from the payload alone: a command's ephemeral
// "thinking", a button's silent update, an answer form's silent update
// (or "thinking" when the modal did not come from a message). nil when the
// first response depends on more (autocomplete, a button that opens a
// form, a payload that cannot be handled).
func deferral(i *discordgo.Interaction, extra interactionExtra, decodeErr error) *discordgo.InteractionResponse {
	if i.ID == "" || i.Token == "" || i.GuildID == "" || interactionUser(i) == nil {
		return nil
	}
	thinking := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}}
	update := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		data, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
		if decodeErr == nil && ok && (data.Name == commandName || data.Name == adminCommandName) {
			return thinking
		}
	case discordgo.InteractionMessageComponent:
		data, ok := i.Data.(discordgo.MessageComponentInteractionData)
		if decodeErr == nil && ok && strings.HasPrefix(data.CustomID, idButton) {
			return update
		}
	case discordgo.InteractionModalSubmit:
		if decodeErr != nil && len(extra.Data) == 0 {
			return nil
		}
		if customID, _ := modalSubmission(i, extra.Data); !strings.HasPrefix(customID, idModal) {
			return nil
		}
		if i.Message != nil {
			return update
		}
		return thinking
	}
	return nil
}

// early sends an interaction's deferral (see deferral) at once, as it
// arrives, instead of when its handler runs: the user's earlier events, or
// every run slot busy posting replies, can keep it queued past Discord's
// 3 s, and Discord then drops it ("This interaction failed"). The returned
// respondFunc hands the handler that deferral's outcome instead of
// sending it again.
func (a *Adapter) early(raw []byte, respond respondFunc) respondFunc {
	i, extra, decodeErr := decodeInteraction(raw)
	d := deferral(&i, extra, decodeErr)
	if d == nil {
		return respond
	}
	res := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
		defer cancel()
		res <- respond(ctx, &i, d)
	}()
	var (
		once sync.Once
		err  error
	)
	return func(ctx context.Context, in *discordgo.Interaction, r *discordgo.InteractionResponse) error {
		if r.Type != d.Type {
			// Not the deferral it was given: Discord refuses a second first
			// response, and the handler reports that.
			return respond(ctx, in, r)
		}
		once.Do(func() { err = <-res })
		return err
	}
}

// withEcho puts a submitted answer into the thread before the domain's
// replies, when the domain took it (it answered in that thread): a modal
// answer is otherwise invisible to everyone following the interview. The
// echo is user text, sent like every message with no mention allowed.
func withEcho(in bot.Inbound, outs []bot.Outbound) []bot.Outbound {
	if in.Thread == "" || strings.TrimSpace(in.Text) == "" {
		return outs
	}
	taken := false
	for _, o := range outs {
		taken = taken || (o.Where.Kind == bot.InThread && o.Where.Thread == in.Thread)
	}
	if !taken {
		return outs
	}
	lines := strings.Split(strings.TrimSpace(in.Text), "\n")
	echo := bot.Outbound{
		Where: bot.Where{Kind: bot.InThread, Channel: in.Channel, Thread: in.Thread},
		Text:  "**" + escapeMarkdown(in.UserName) + "** answered:\n> " + strings.Join(lines, "\n> "),
	}
	return append([]bot.Outbound{echo}, outs...)
}

// escapeMarkdown keeps a display name from opening Markdown spans.
func escapeMarkdown(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "~", `\~`, "|", `\|`, ">", `\>`).Replace(s)
}

// formClick handles a button that may open a modal: the modal must be the
// first response, so the domain runs before anything is sent.
func (a *Adapter) formClick(ctx context.Context, t *turn, respondOnce func(*discordgo.InteractionResponse) error, log logger) {
	a.observe("inbound", t.in.Kind.String())
	hctx, cancel := context.WithTimeout(ctx, formHandleBudget)
	outs, err := a.cfg.Interviewer.Handle(hctx, t.in)
	cancel()
	if err != nil {
		log.Error("discord: handling failed", "error", err, "kind", "form-click")
		a.observe("error", "handle")
		respondOnce(ephemeralResponse(sorry))
		return
	}
	var rest []bot.Outbound
	opened := false
	for _, o := range outs {
		if o.Form != nil && !opened {
			if resp, ok := modal(o.Form); ok {
				opened = true
				if respondOnce(resp) != nil {
					return
				}
				continue
			}
		}
		rest = append(rest, o)
	}
	if !opened {
		if respondOnce(&discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}) != nil {
			return
		}
	}
	dctx, cancel := context.WithTimeout(ctx, handleTimeout)
	defer cancel()
	if len(rest) > 0 {
		a.deliver(dctx, t, rest, a.log.With("interaction", t.i.ID))
	}
	a.delivered(dctx, t.in, outs, nil)
}

// threadFailed is what the user is told when their interview's thread
// could not be created and the interview was closed.
const threadFailed = "I couldn't create the thread for your interview, so I closed it — nothing was lost. Please run `/mlsd start` again in a moment; if it keeps failing, check that I may create public threads in this channel."

// abandon ends an interview whose thread could not be created: without a
// thread nobody can answer it (without the message-content intent the user
// cannot even type `end`), and it would block the next /mlsd start. It is
// the End button pressed on the user's behalf, as on Slack, and returns
// what to tell the user.
func (a *Adapter) abandon(ctx context.Context, t *turn, channel string, root bot.Outbound, log logger) string {
	if t == nil || root.Session == "" {
		return sorry
	}
	in := t.in
	in.Kind, in.Text, in.Thread, in.Channel = bot.KindAction, "end", "", channel
	in.MessageID = "abandon:" + root.Session
	outs, err := a.cfg.Interviewer.Handle(ctx, in)
	a.delivered(ctx, in, outs, err) // not shown on purpose: nothing to send later
	if err != nil {
		log.Error("discord: could not end an interview without a thread", "error", err, "session", root.Session)
		return sorry
	}
	log.Warn("discord: ended an interview whose thread could not be created", "session", root.Session)
	return threadFailed
}

// deliver renders the domain's replies in order. NewThread posts the case
// prompt in the channel, starts a public thread on it and binds the thread
// to the session; later replies without a thread go there.
func (a *Adapter) deliver(ctx context.Context, t *turn, outs []bot.Outbound, log logger) {
	newThread := ""
	for _, out := range outs {
		a.observe("outbound", whereName(out.Where.Kind))
		switch out.Where.Kind {
		case bot.Ephemeral:
			if out.File != nil {
				a.sendEphemeralFile(ctx, t, out, log)
				continue
			}
			if out.Picture != nil {
				a.sendEphemeralPicture(ctx, t, out, log)
				continue
			}
			a.sendEphemeral(ctx, t, withFormButton(out), log)
		case bot.NewThread:
			channel := firstNonEmpty(out.Where.Channel, t.channel())
			th, err := a.startThread(ctx, channel, out, outs, t.userName())
			if err != nil {
				a.logREST(log, "start thread", err)
				a.sendEphemeral(ctx, t, bot.Outbound{Text: a.abandon(ctx, t, channel, out, log)}, log)
				return
			}
			newThread = th
			if t != nil && out.Session != "" {
				if err := a.cfg.Interviewer.AttachThread(ctx, t.in.User(), out.Session, channel, th); err != nil {
					log.Error("discord: attaching the thread failed", "error", err, "thread", th)
					a.observe("error", "attach")
				}
			}
			if t != nil && t.placeholder {
				a.fillPlaceholder(ctx, t, message{Content: "Your interview is in <#" + th + ">."}, log)
			}
		default:
			target := out.Where.Thread
			if target == "" && newThread != "" {
				target = newThread
			}
			if target == "" {
				target = firstNonEmpty(out.Where.Channel, t.thread(), t.channel())
			}
			if out.Picture != nil {
				a.postPicture(ctx, target, out, log)
				continue
			}
			for _, m := range render(withFormButton(out)) {
				sent, err := a.rest.ChannelMessageSendComplex(target, m.send(), discordgo.WithContext(ctx))
				if err != nil {
					a.logREST(log, "post message", err)
					break
				}
				if len(m.Components) > 0 && sent != nil {
					a.retireButtons(ctx, target, sent.ID, log)
				}
			}
		}
	}
	if t != nil && t.placeholder {
		// Nothing private to say: remove the "thinking…" message.
		if err := a.rest.InteractionResponseDelete(t.i, discordgo.WithContext(ctx)); err != nil {
			a.logREST(log, "delete placeholder", err)
		}
		t.placeholder = false
	}
}

// withFormButton: a modal can only open as an interaction's first
// response, so a Form outside a form click becomes the button that opens it.
func withFormButton(out bot.Outbound) bot.Outbound {
	if out.Form != nil && len(out.Choices) == 0 {
		out.Choices = []bot.Choice{{Label: "Answer in a form", Value: string(bot.WordAnswer), Kind: bot.ChoiceForm, Primary: true}}
	}
	return out
}

// sendEphemeral shows a message to the interaction's user only: it fills
// the deferred placeholder if one waits, else it is an ephemeral
// follow-up; without an interaction it falls back to a DM.
func (a *Adapter) sendEphemeral(ctx context.Context, t *turn, out bot.Outbound, log logger) {
	msgs := render(out)
	if t == nil || !t.ephemeralOK {
		user := out.Where.User
		if user == "" && t != nil {
			user = t.in.UserID
		}
		a.directMessage(ctx, user, msgs, log)
		return
	}
	for _, m := range msgs {
		if t.placeholder {
			a.fillPlaceholder(ctx, t, m, log)
			continue
		}
		if _, err := a.rest.FollowupMessageCreate(t.i, true, m.webhook(discordgo.MessageFlagsEphemeral), discordgo.WithContext(ctx)); err != nil {
			a.logREST(log, "ephemeral follow-up", err)
			return
		}
	}
}

func (a *Adapter) fillPlaceholder(ctx context.Context, t *turn, m message, log logger) {
	t.placeholder = false
	if _, err := a.rest.InteractionResponseEdit(t.i, m.edit(), discordgo.WithContext(ctx)); err != nil {
		a.logREST(log, "fill placeholder", err)
	}
}

// directMessage is the ephemeral fallback outside an interaction.
func (a *Adapter) directMessage(ctx context.Context, user string, msgs []message, log logger) {
	if user == "" {
		return
	}
	ch, err := a.rest.UserChannelCreate(user, discordgo.WithContext(ctx))
	if err != nil {
		a.logREST(log, "open DM", err)
		return
	}
	for _, m := range msgs {
		if _, err := a.rest.ChannelMessageSendComplex(ch.ID, m.send(), discordgo.WithContext(ctx)); err != nil {
			a.logREST(log, "DM", err)
			return
		}
	}
}

// startThread posts a NewThread message in the channel and starts a
// public thread on it, named after the scenario and the user.
func (a *Adapter) startThread(ctx context.Context, channel string, out bot.Outbound, batch []bot.Outbound, user string) (string, error) {
	msgs := render(out)
	if len(msgs) == 0 {
		msgs = []message{{Content: "\u200b"}}
	}
	root, err := a.rest.ChannelMessageSendComplex(channel, msgs[0].send(), discordgo.WithContext(ctx))
	if err != nil {
		return "", err
	}
	return a.continueThread(ctx, channel, root.ID, out, msgs, batch, user)
}

// continueThread starts the thread on a root message already posted and
// sends the rest of msgs into it.
func (a *Adapter) continueThread(ctx context.Context, channel, rootID string, out bot.Outbound, msgs []message, batch []bot.Outbound, user string) (string, error) {
	th, err := a.rest.MessageThreadStartComplex(channel, rootID, &discordgo.ThreadStart{
		Name:                threadName(a.scenarioTitle(out, batch), user),
		AutoArchiveDuration: 1440,
		// Set explicitly: without a type Discord may make the thread private.
		Type: discordgo.ChannelTypeGuildPublicThread,
	}, discordgo.WithContext(ctx))
	if err != nil {
		return "", err
	}
	a.rememberParent(th.ID, channel)
	if a.cfg.MessageContent {
		// Joining makes sure MESSAGE_CREATE arrives for the new thread.
		if err := a.rest.ThreadJoin(th.ID, discordgo.WithContext(ctx)); err != nil {
			a.logREST(a.log, "join thread", err)
		}
	}
	// The rest of a long prompt continues inside the thread.
	for _, m := range msgs[1:] {
		if _, err := a.rest.ChannelMessageSendComplex(th.ID, m.send(), discordgo.WithContext(ctx)); err != nil {
			return th.ID, err
		}
	}
	return th.ID, nil
}

// scenarioTitle finds the scenario's name for the thread: the batch's
// question view, looked up in the library, else the prompt's first line.
func (a *Adapter) scenarioTitle(out bot.Outbound, batch []bot.Outbound) string {
	for _, o := range append([]bot.Outbound{out}, batch...) {
		if o.Question != nil && o.Question.Scenario != "" {
			if a.cfg.Library != nil {
				if sc, ok := a.cfg.Library.Get(o.Question.Scenario); ok {
					return sc.Title
				}
			}
			return o.Question.Scenario
		}
		if o.Report != nil && o.Report.ScenarioTitle != "" {
			return o.Report.ScenarioTitle
		}
	}
	return firstLine(out.Text)
}

// locate maps the interaction's channel to (channel, thread): inside a
// thread the channel is the thread's parent.
func (a *Adapter) locate(ctx context.Context, channelID string, extra interactionExtra) (channel, thread string) {
	if c := extra.Channel; c != nil && c.ID == channelID {
		if isThread(c.Type) && c.ParentID != "" {
			a.rememberParent(c.ID, c.ParentID)
			return c.ParentID, c.ID
		}
		if !isThread(c.Type) {
			return channelID, ""
		}
	}
	if parent := a.parentOf(ctx, channelID); parent != "" {
		return parent, channelID
	}
	return channelID, ""
}

func isThread(t discordgo.ChannelType) bool {
	return t == discordgo.ChannelTypeGuildPublicThread || t == discordgo.ChannelTypeGuildPrivateThread || t == discordgo.ChannelTypeGuildNewsThread
}

// parentOf returns a thread's parent channel ("" if channelID is not a
// thread): from memory, the gateway's state cache, or one REST call.
func (a *Adapter) parentOf(ctx context.Context, channelID string) string {
	if channelID == "" {
		return ""
	}
	a.parentsMu.Lock()
	p, ok := a.parents[channelID]
	a.parentsMu.Unlock()
	if ok {
		return p
	}
	var ch *discordgo.Channel
	if a.rest.State != nil {
		ch, _ = a.rest.State.Channel(channelID)
	}
	if ch == nil {
		var err error
		ch, err = a.rest.Channel(channelID, discordgo.WithContext(ctx))
		if err != nil || ch == nil {
			return ""
		}
	}
	parent := ""
	if isThread(ch.Type) {
		parent = ch.ParentID
	}
	a.rememberParent(channelID, parent)
	return parent
}

// rememberParent caches a channel's parent; the cache is bounded by
// starting over, which only costs a lookup.
func (a *Adapter) rememberParent(channel, parent string) {
	a.parentsMu.Lock()
	defer a.parentsMu.Unlock()
	if len(a.parents) >= 10000 {
		a.parents = map[string]string{}
	}
	a.parents[channel] = parent
}

// decodeFallback rebuilds an interaction discordgo could not decode: an
// unknown component anywhere (say in the clicked message) fails the whole
// payload in v0.29.0, before id and token are set. The envelope and the
// data are decoded separately; only what the adapter reads is needed.
func decodeFallback(raw, data json.RawMessage, i *discordgo.Interaction) error {
	var env struct {
		ID        string                    `json:"id"`
		AppID     string                    `json:"application_id"`
		Type      discordgo.InteractionType `json:"type"`
		Token     string                    `json:"token"`
		GuildID   string                    `json:"guild_id"`
		ChannelID string                    `json:"channel_id"`
		Member    *discordgo.Member         `json:"member"`
		User      *discordgo.User           `json:"user"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return err
	}
	*i = discordgo.Interaction{ID: env.ID, AppID: env.AppID, Type: env.Type, Token: env.Token,
		GuildID: env.GuildID, ChannelID: env.ChannelID, Member: env.Member, User: env.User}
	switch env.Type {
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
		var d discordgo.ApplicationCommandInteractionData
		if err := json.Unmarshal(data, &d); err != nil {
			return err
		}
		i.Data = d
	case discordgo.InteractionMessageComponent:
		var d discordgo.MessageComponentInteractionData
		if err := json.Unmarshal(data, &d); err != nil {
			return err
		}
		i.Data = d
	case discordgo.InteractionModalSubmit:
		var d discordgo.ModalSubmitInteractionData
		if err := json.Unmarshal(data, &d); err != nil {
			return err // the raw reader still gets the answer
		}
		i.Data = d
	}
	return nil
}

// modalSubmission reads a modal's custom id and first text value. It uses
// discordgo's decoding when that worked and the raw data otherwise, so a
// component type v0.29.0 does not know (such as a Label) cannot lose an
// answer.
func modalSubmission(i *discordgo.Interaction, raw json.RawMessage) (customID, value string) {
	if d, ok := i.Data.(discordgo.ModalSubmitInteractionData); ok {
		customID = d.CustomID
		if v, ok := firstInput(d.Components); ok {
			return customID, v
		}
	}
	var generic struct {
		CustomID   string            `json:"custom_id"`
		Components []json.RawMessage `json:"components"`
	}
	if json.Unmarshal(raw, &generic) != nil {
		return customID, ""
	}
	if v, ok := firstRawInput(generic.Components); ok {
		return generic.CustomID, v
	}
	return generic.CustomID, ""
}

func firstInput(cs []discordgo.MessageComponent) (string, bool) {
	for _, c := range cs {
		switch c := c.(type) {
		case *discordgo.ActionsRow:
			if c == nil {
				continue
			}
			if v, ok := firstInput(c.Components); ok {
				return v, true
			}
		case *discordgo.TextInput:
			if c != nil {
				return c.Value, true
			}
		}
	}
	return "", false
}

// firstRawInput finds the first text input (type 4) at any depth: legacy
// rows hold it in "components", Labels in "component".
func firstRawInput(cs []json.RawMessage) (string, bool) {
	for _, raw := range cs {
		var c struct {
			Type       int               `json:"type"`
			Value      *string           `json:"value"`
			Components []json.RawMessage `json:"components"`
			Component  json.RawMessage   `json:"component"`
		}
		if json.Unmarshal(raw, &c) != nil {
			continue
		}
		if c.Type == int(discordgo.TextInputComponent) && c.Value != nil {
			return *c.Value, true
		}
		children := c.Components
		if len(c.Component) > 0 {
			children = append(children, c.Component)
		}
		if v, ok := firstRawInput(children); ok {
			return v, true
		}
	}
	return "", false
}

func interactionUser(i *discordgo.Interaction) *discordgo.User {
	if i.Member != nil && i.Member.User != nil {
		return i.Member.User
	}
	return i.User
}

func displayName(i *discordgo.Interaction, u *discordgo.User) string {
	if i.Member != nil && i.Member.Nick != "" {
		return i.Member.Nick
	}
	if u.GlobalName != "" {
		return u.GlobalName
	}
	return u.Username
}

func ephemeralResponse(text string) *discordgo.InteractionResponse {
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: message{Content: text}.response(discordgo.MessageFlagsEphemeral)}
}

func (t *turn) channel() string {
	if t == nil {
		return ""
	}
	return t.in.Channel
}

func (t *turn) thread() string {
	if t == nil {
		return ""
	}
	return t.in.Thread
}

func (t *turn) userName() string {
	if t == nil {
		return ""
	}
	return t.in.UserName
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func whereName(k bot.WhereKind) string {
	switch k {
	case bot.NewThread:
		return "new_thread"
	case bot.Ephemeral:
		return "ephemeral"
	}
	return "in_thread"
}

type logger interface {
	Error(string, ...any)
	Warn(string, ...any)
}

// logREST logs a failed Discord call once, with Discord's error code.
func (a *Adapter) logREST(log logger, what string, err error) {
	a.observe("error", what)
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		log.Warn("discord: "+what+" failed", "code", re.Message.Code, "message", re.Message.Message)
		return
	}
	log.Warn("discord: "+what+" failed", "error", err)
}

// maxTrackedChannels bounds the memory of the live question per channel.
const maxTrackedChannels = 10000

// retireButtons records messageID as the channel's (the interview
// thread's) live question and takes the buttons off the one it replaces,
// so nobody clicks a stale button. Best effort: it knows only what this
// process posted, and a stale click is refused by the interviewer anyway.
func (a *Adapter) retireButtons(ctx context.Context, channel, messageID string, log logger) {
	a.buttonsMu.Lock()
	prev, ok := a.buttons[channel]
	if len(a.buttons) >= maxTrackedChannels {
		clear(a.buttons)
	}
	a.buttons[channel] = messageID
	a.buttonsMu.Unlock()
	if !ok || prev == messageID {
		return
	}
	none := []discordgo.MessageComponent{}
	if _, err := a.rest.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: prev, Channel: channel, Components: &none}, discordgo.WithContext(ctx)); err != nil {
		a.logREST(log, "retire buttons", err)
		return
	}
	a.observe("outbound", "edit")
}
