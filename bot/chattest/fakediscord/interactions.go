package fakediscord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Interaction is an interaction the fake created for a user action.
type Interaction struct {
	ID    string
	Token string
	Type  int
	// Payload is the JSON Discord sends (gateway d or HTTP body).
	Payload []byte
}

type interactionState struct {
	id, token    string
	typ          int
	user         User
	channelID    string
	messageID    string // the message a component sat on
	fromMessage  bool   // a modal submit opened from a component
	sentAt       time.Time
	responded    bool
	responseType int
	respondedAt  time.Time
	original     string // message id of @original
	choices      []CommandChoice
	acked        chan struct{} // closed on the first response
}

// Opt is one command option value.
type Opt struct {
	Name  string
	Value any
	// Focused marks the option being typed (autocomplete).
	Focused bool
}

// Command builds a slash command invocation: path is the subcommand path,
// e.g. ["start"] or ["daily", "on"].
func (s *Server) Command(u User, channelID, command string, path []string, opts ...Opt) *Interaction {
	return s.commandLike(InteractionCommand, u, channelID, command, path, opts)
}

// Autocomplete builds an autocomplete request while the user types the
// focused option.
func (s *Server) Autocomplete(u User, channelID, command string, path []string, opts ...Opt) *Interaction {
	return s.commandLike(InteractionAutocomplete, u, channelID, command, path, opts)
}

func (s *Server) commandLike(typ int, u User, channelID, command string, path []string, opts []Opt) *Interaction {
	var leaf []map[string]any
	for _, o := range opts {
		v := map[string]any{"name": o.Name, "type": 3, "value": o.Value}
		if o.Focused {
			v["focused"] = true
		}
		leaf = append(leaf, v)
	}
	options := leaf
	for i := len(path) - 1; i >= 0; i-- {
		t := 1
		if i < len(path)-1 {
			t = 2
		}
		options = []map[string]any{{"name": path[i], "type": t, "options": options}}
	}
	data := map[string]any{"id": "cmd-" + command, "name": command, "type": 1, "options": options}
	return s.newInteraction(typ, u, channelID, "", data)
}

// Click builds a button click on a message the bot posted.
func (s *Server) Click(tb testing.TB, u User, m Message, label string) *Interaction {
	tb.Helper()
	b, ok := m.Button(label)
	if !ok {
		var labels []string
		for _, b := range m.Buttons() {
			labels = append(labels, b.Label)
		}
		tb.Fatalf("fakediscord: message %s has no button %q (buttons: %v)\n%s", m.ID, label, labels, m.Content)
	}
	data := map[string]any{"custom_id": b.CustomID, "component_type": 2}
	return s.newInteraction(InteractionComponent, u, m.ChannelID, m.ID, data)
}

// Submit builds the submission of a modal with the first input set to value.
func (s *Server) Submit(tb testing.TB, u User, m Modal, value string) *Interaction {
	tb.Helper()
	inputs := m.Inputs()
	if len(inputs) == 0 {
		tb.Fatalf("fakediscord: modal %q has no text input", m.CustomID)
	}
	if inputs[0].MaxLength > 0 && runes(value) > inputs[0].MaxLength {
		tb.Fatalf("fakediscord: %d characters exceed the input's max_length %d", runes(value), inputs[0].MaxLength)
	}
	rows := []map[string]any{{"type": 1, "components": []map[string]any{{"type": 4, "custom_id": inputs[0].CustomID, "value": value}}}}
	data := map[string]any{"custom_id": m.CustomID, "components": rows}
	in := s.newInteraction(InteractionModalSubmit, u, m.ChannelID, "", data)
	s.mu.Lock()
	if st := s.interactions[in.Token]; st != nil {
		st.fromMessage = true
		if orig := s.interactionByID(m.Interaction); orig != nil {
			st.messageID = orig.messageID
		}
	}
	s.mu.Unlock()
	return in
}

// Raw builds an interaction with hand-written data, e.g. component types
// the client cannot decode.
func (s *Server) Raw(typ int, u User, channelID string, data json.RawMessage) *Interaction {
	return s.newInteraction(typ, u, channelID, "", data)
}

// Ping builds the PING Discord sends to validate an endpoint URL.
func (s *Server) Ping() *Interaction {
	s.mu.Lock()
	id := s.newID()
	s.mu.Unlock()
	tok := "tok-" + id
	p := map[string]any{"id": id, "application_id": s.AppID, "type": InteractionPing, "token": tok, "version": 1}
	in := &Interaction{ID: id, Token: tok, Type: InteractionPing, Payload: mustJSON(p)}
	s.mu.Lock()
	s.interactions[tok] = &interactionState{id: id, token: tok, typ: InteractionPing, acked: make(chan struct{})}
	s.mu.Unlock()
	return in
}

func (s *Server) newInteraction(typ int, u User, channelID, messageID string, data any) *Interaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newID()
	tok := "tok-" + id
	perms := int64(1 << 11) // SEND_MESSAGES
	if u.Admin {
		perms |= permissionManageGuild
	}
	p := map[string]any{
		"id": id, "application_id": s.AppID, "type": typ, "token": tok, "version": 1,
		"guild_id": s.GuildID, "channel_id": channelID, "data": data, "locale": "en-US",
		"app_permissions": "0", "context": 0,
		"member": map[string]any{
			"user":        map[string]any{"id": u.ID, "username": u.Name, "global_name": u.Name},
			"nick":        u.Nick,
			"roles":       []string{},
			"permissions": strconv.FormatInt(perms, 10),
			"joined_at":   "2024-01-01T00:00:00Z",
		},
	}
	if ch := s.channels[channelID]; ch != nil {
		p["channel"] = map[string]any{"id": ch.ID, "type": ch.Type, "parent_id": ch.ParentID, "guild_id": ch.GuildID, "name": ch.Name}
	}
	if messageID != "" {
		if m := s.messages[messageID]; m != nil {
			p["message"] = m
		}
	}
	s.interactions[tok] = &interactionState{id: id, token: tok, typ: typ, user: u, channelID: channelID,
		messageID: messageID, acked: make(chan struct{})}
	return &Interaction{ID: id, Token: tok, Type: typ, Payload: mustJSON(p)}
}

func (s *Server) interactionByID(id string) *interactionState {
	for _, st := range s.interactions {
		if st.id == id {
			return st
		}
	}
	return nil
}

// Dispatch delivers an interaction over the gateway (INTERACTION_CREATE)
// to every session, buffering it for sessions that are disconnected.
func (s *Server) Dispatch(in *Interaction) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.interactions[in.Token]; st != nil {
		st.sentAt = time.Now()
	}
	s.dispatchLocked("INTERACTION_CREATE", 0, json.RawMessage(in.Payload))
}

// Sign returns the X-Signature-Ed25519 value for a timestamp and body.
func (s *Server) Sign(timestamp string, body []byte) string {
	return hex.EncodeToString(ed25519.Sign(s.priv, append([]byte(timestamp), body...)))
}

// Deliver posts an interaction to an HTTP interactions endpoint, signed
// as Discord signs it, and applies a 200 reply as the first response. It
// returns the status and body.
func (s *Server) Deliver(ctx context.Context, endpoint string, in *Interaction) (int, []byte, error) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	return s.DeliverRaw(ctx, endpoint, in, in.Payload, ts, s.Sign(ts, in.Payload))
}

// DeliverRaw posts a body with explicit signature headers (for bad and
// stale signatures); a 200 reply is applied as in's first response.
func (s *Server) DeliverRaw(ctx context.Context, endpoint string, in *Interaction, body []byte, timestamp, signature string) (int, []byte, error) {
	s.mu.Lock()
	if st := s.interactions[in.Token]; st != nil {
		st.sentAt = time.Now()
	}
	s.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, "POST", endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature-Ed25519", signature)
	req.Header.Set("X-Signature-Timestamp", timestamp)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	if resp.StatusCode == http.StatusOK {
		if _, aerr := s.callback(in.ID, in.Token, out); aerr != nil {
			return resp.StatusCode, out, fmt.Errorf("fakediscord: the endpoint's response was rejected: %v", aerr)
		}
	}
	return resp.StatusCode, out, nil
}

// callback applies an interaction's first response.
func (s *Server) callback(id, token string, body []byte) (any, *apiError) {
	var r Response
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: %v", err)
	}
	var d messageData
	if len(r.Data) > 0 {
		if err := json.Unmarshal(r.Data, &d); err != nil {
			return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: data: %v", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.interactions[token]
	if st == nil || st.id != id {
		return nil, notFound(codeUnknownInteraction, "interaction")
	}
	if st.responded {
		return nil, badRequest(codeAlreadyAcknowledged, "Interaction has already been acknowledged.")
	}
	if !st.sentAt.IsZero() && time.Since(st.sentAt) > s.opts.AckDeadline {
		return nil, notFound(codeUnknownInteraction, "interaction")
	}
	allowed := map[int][]int{
		InteractionPing:         {ResponsePong},
		InteractionCommand:      {ResponseMessage, ResponseDeferredMessage, ResponseModal},
		InteractionComponent:    {ResponseMessage, ResponseDeferredMessage, ResponseDeferredUpdate, ResponseUpdateMessage, ResponseModal},
		InteractionAutocomplete: {ResponseAutocompleteResult},
		InteractionModalSubmit:  {ResponseMessage, ResponseDeferredMessage, ResponseDeferredUpdate, ResponseUpdateMessage},
	}[st.typ]
	ok := false
	for _, t := range allowed {
		ok = ok || t == r.Type
	}
	if (r.Type == ResponseDeferredUpdate || r.Type == ResponseUpdateMessage) && st.typ == InteractionModalSubmit && st.messageID == "" {
		ok = false
	}
	if !ok {
		return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: type %d is not valid for interaction type %d", r.Type, st.typ)
	}
	switch r.Type {
	case ResponseMessage, ResponseDeferredMessage:
		m, err := s.newMessageLoading(st.channelID, d, r.Type == ResponseDeferredMessage)
		if err != nil {
			return nil, err
		}
		m.Interaction = st.id
		st.original = m.ID
		s.addMessage(m)
	case ResponseDeferredUpdate:
		st.original = st.messageID
	case ResponseUpdateMessage:
		st.original = st.messageID
		m := s.messages[st.messageID]
		if m == nil {
			return nil, notFound(codeUnknownMessage, "Message")
		}
		if err := s.editMessage(m, r.Data); err != nil {
			return nil, err
		}
	case ResponseAutocompleteResult:
		if len(d.Choices) > 25 {
			return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: data.choices: at most 25")
		}
		for i, raw := range d.Choices {
			var c CommandChoice
			if err := json.Unmarshal(raw, &c); err != nil || runes(c.Name) < 1 || runes(c.Name) > 100 {
				return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: data.choices.%d", i)
			}
			st.choices = append(st.choices, c)
		}
	case ResponseModal:
		if err := validateModal(d); err != nil {
			return nil, err
		}
		s.modals = append(s.modals, Modal{Interaction: st.id, ChannelID: st.channelID, User: st.user,
			CustomID: d.CustomID, Title: d.Title, Components: *d.Components})
	}
	st.responded, st.responseType, st.respondedAt = true, r.Type, time.Now()
	close(st.acked)
	s.notify()
	return nil, nil
}

// newMessageLoading builds a response message; a deferred one starts empty.
func (s *Server) newMessageLoading(channelID string, d messageData, loading bool) (*Message, *apiError) {
	if !loading {
		return s.newMessage(channelID, d)
	}
	m := &Message{ID: s.newID(), ChannelID: channelID, GuildID: s.GuildID, Author: s.Bot,
		Timestamp: s.opts.Now().UTC(), Flags: d.Flags & flagEphemeral, Loading: true}
	return m, nil
}

// webhook serves /webhooks/{app}/{token}[/messages/{id}].
func (s *Server) webhook(r *http.Request, parts []string, body []byte, files []Attachment) (any, *apiError) {
	if parts[0] != s.AppID {
		return nil, notFound(codeUnknownWebhook, "Webhook")
	}
	token := parts[1]
	s.mu.Lock()
	st := s.interactions[token]
	s.mu.Unlock()
	if st == nil {
		return nil, notFound(codeUnknownWebhook, "Webhook")
	}
	// Over HTTP the first response travels in the reply body, which may be
	// applied a moment after the bot's follow-up calls arrive; Discord
	// orders them, so the fake waits for it (bounded).
	select {
	case <-st.acked:
	case <-time.After(s.opts.AckDeadline):
		return nil, notFound(codeUnknownWebhook, "Webhook")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Method == "POST" && len(parts) == 2:
		var d messageData
		if err := json.Unmarshal(body, &d); err != nil {
			return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: %v", err)
		}
		// Discord: the first follow-up after a deferred message replaces the
		// loading message and keeps its flags.
		if orig := s.messages[st.original]; st.responseType == ResponseDeferredMessage && orig != nil && orig.Loading {
			d.Flags = orig.Flags
			if err := s.editMessage(orig, mustJSON(d)); err != nil {
				return nil, err
			}
			s.attach(orig, files)
			return orig, checkAttachmentRefs(orig)
		}
		m, err := s.newMessage(st.channelID, d)
		if err != nil {
			return nil, err
		}
		s.attach(m, files)
		if err := checkAttachmentRefs(m); err != nil {
			return nil, err
		}
		m.Interaction = st.id
		s.addMessage(m)
		if r.URL.Query().Get("wait") != "true" {
			return nil, nil
		}
		return m, nil
	case len(parts) == 4 && parts[2] == "messages":
		id := parts[3]
		if id == "@original" {
			id = st.original
		}
		m := s.messages[id]
		if m == nil || m.Deleted {
			return nil, notFound(codeUnknownMessage, "Message")
		}
		switch r.Method {
		case "GET":
			return m, nil
		case "PATCH":
			if err := s.editMessage(m, body); err != nil {
				return nil, err
			}
			return m, nil
		case "DELETE":
			m.Deleted = true
			s.editEvent(m, "delete")
			return nil, nil
		}
	}
	return nil, &apiError{status: http.StatusNotFound, message: "404: Not Found"}
}

// Say posts a plain message by a user, dispatching MESSAGE_CREATE; without
// the MESSAGE_CONTENT intent the bot receives empty content unless the
// message mentions it, as on Discord.
func (s *Server) Say(u User, channelID, content string) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Message{ID: s.newID(), ChannelID: channelID, GuildID: s.GuildID, Content: content,
		Author: User{ID: u.ID, Name: u.Name}, Timestamp: s.opts.Now().UTC()}
	s.addMessage(m)
	s.dispatchMessageCreate(m)
	return *m
}

// dispatchMessageCreate sends MESSAGE_CREATE to sessions with the guild
// messages intent; callers hold s.mu.
func (s *Server) dispatchMessageCreate(m *Message) {
	for _, g := range s.sessions {
		if g.intents&intentGuildMessages == 0 || g.invalid {
			continue
		}
		cp := *m
		visible := g.intents&intentMessageContent != 0 || m.Author.ID == s.Bot.ID ||
			strings.Contains(m.Content, "<@"+s.Bot.ID+">")
		if !visible {
			cp.Content, cp.Embeds, cp.Components = "", nil, nil
		}
		g.dispatch("MESSAGE_CREATE", cp)
	}
}

// With returns the interaction with one more top-level payload field, for
// payloads a client may not decode (a message with unknown components).
func (in *Interaction) With(key string, value any) *Interaction {
	var p map[string]any
	if err := json.Unmarshal(in.Payload, &p); err != nil {
		panic(err)
	}
	p[key] = value
	cp := *in
	cp.Payload = mustJSON(p)
	return &cp
}

// StartThread starts a public thread on a message, as a member would from
// the message's menu, and tells the gateway.
func (s *Server) StartThread(tb testing.TB, channelID, messageID, name string) string {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	parent := s.channels[channelID]
	if parent == nil {
		tb.Fatalf("fakediscord: no channel %s", channelID)
	}
	v, err := s.startThread(parent, messageID, mustJSON(map[string]any{"name": name, "auto_archive_duration": 1440}))
	if err != nil {
		tb.Fatalf("fakediscord: start thread: %v", err)
	}
	return v.(*Channel).ID
}
