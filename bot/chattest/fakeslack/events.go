package fakeslack

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Slash command, button and modal payloads carry a trigger_id that
// views.open accepts once within Options.TriggerTTL, and a response_url
// served by the fake.

func (s *Server) triggerLocked(user, channel string) (id, responseURL string) {
	id = s.nextIDLocked("trig-")
	s.triggers[id] = &trigger{user: user, issued: time.Now(), channel: channel}
	return id, s.baseURL + "/response/" + id
}

func (s *Server) envelopeLocked(typ string, payload any) Envelope {
	b, err := json.Marshal(payload)
	if err != nil {
		panic(err) // payloads are built from plain maps
	}
	return Envelope{Type: typ, ID: s.nextIDLocked("env-"), Payload: b}
}

func (s *Server) eventLocked(inner map[string]any) Envelope {
	return s.envelopeLocked("events_api", map[string]any{
		"token": "fake-verification-token", "team_id": s.opts.TeamID, "api_app_id": s.opts.AppID,
		"event": inner, "type": "event_callback", "event_id": s.nextIDLocked("Ev"),
		"event_time": 1700000000, "event_context": "ctx",
		"authorizations": []map[string]any{{"team_id": s.opts.TeamID, "user_id": s.opts.BotUserID, "is_bot": true}},
	})
}

func (s *Server) channelTypeLocked(id string) string {
	c, ok := s.channels[id]
	switch {
	case !ok:
		return "channel"
	case c.IM:
		return "im"
	case c.Private:
		return "group"
	}
	return "channel"
}

// UserMessage records a message by user in channel (in thread when thread
// is set) and returns the events Slack sends for it: a message event, and
// an app_mention first when the text mentions the bot.
func (s *Server) UserMessage(user, channel, thread, text string) (Message, []Envelope) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.nextTSLocked()
	m := Message{Channel: channel, TS: ts, ThreadTS: thread, User: user, Text: text, Via: "user"}
	s.messages = append(s.messages, m)
	s.notifyLocked()
	inner := map[string]any{
		"type": "message", "user": user, "text": text, "ts": ts, "channel": channel,
		"channel_type": s.channelTypeLocked(channel), "event_ts": ts, "client_msg_id": "cm-" + ts,
	}
	if thread != "" {
		inner["thread_ts"] = thread
	}
	var envs []Envelope
	if strings.Contains(text, "<@"+s.opts.BotUserID+">") {
		mention := map[string]any{"type": "app_mention", "user": user, "text": text, "ts": ts,
			"channel": channel, "event_ts": ts}
		if thread != "" {
			mention["thread_ts"] = thread
		}
		envs = append(envs, s.eventLocked(mention))
	}
	envs = append(envs, s.eventLocked(inner))
	return m, envs
}

// BotMessage returns the event of another app's bot posting in a thread.
func (s *Server) BotMessage(botID, channel, thread, text string) Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.nextTSLocked()
	inner := map[string]any{"type": "message", "subtype": "bot_message", "bot_id": botID, "username": "otherbot",
		"text": text, "ts": ts, "channel": channel, "channel_type": s.channelTypeLocked(channel), "event_ts": ts}
	if thread != "" {
		inner["thread_ts"] = thread
	}
	return s.eventLocked(inner)
}

func (s *Server) botEchoLocked(m Message) Envelope {
	inner := map[string]any{"type": "message", "user": m.User, "bot_id": m.BotID, "app_id": s.opts.AppID,
		"text": m.Text, "ts": m.TS, "channel": m.Channel, "channel_type": s.channelTypeLocked(m.Channel), "event_ts": m.TS}
	if m.ThreadTS != "" {
		inner["thread_ts"] = m.ThreadTS
	}
	return Envelope{Type: "events_api", ID: s.nextIDLocked("env-"), Payload: mustJSON(map[string]any{
		"token": "fake-verification-token", "team_id": s.opts.TeamID, "api_app_id": s.opts.AppID,
		"event": inner, "type": "event_callback", "event_id": s.nextIDLocked("Ev"), "event_time": 1700000000,
	})}
}

// BotEcho returns the event Slack sends the app for one of its own posts.
func (s *Server) BotEcho(m Message) Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.botEchoLocked(m)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func msgJSON(m Message) map[string]any {
	o := map[string]any{"type": "message", "user": m.User, "text": m.Text, "ts": m.TS}
	if m.ThreadTS != "" {
		o["thread_ts"] = m.ThreadTS
	}
	return o
}

// Edit returns the message_changed event for user editing m.
func (s *Server) Edit(m Message, newText string) Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.nextTSLocked()
	edited := msgJSON(m)
	edited["text"] = newText
	edited["edited"] = map[string]any{"user": m.User, "ts": ts}
	return s.eventLocked(map[string]any{"type": "message", "subtype": "message_changed", "hidden": true,
		"channel": m.Channel, "channel_type": s.channelTypeLocked(m.Channel), "ts": ts, "event_ts": ts,
		"message": edited, "previous_message": msgJSON(m)})
}

// Delete returns the message_deleted event for m.
func (s *Server) Delete(m Message) Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.nextTSLocked()
	return s.eventLocked(map[string]any{"type": "message", "subtype": "message_deleted", "hidden": true,
		"channel": m.Channel, "channel_type": s.channelTypeLocked(m.Channel), "ts": ts, "event_ts": ts,
		"deleted_ts": m.TS, "previous_message": msgJSON(m)})
}

// Join returns the channel_join event of user joining channel.
func (s *Server) Join(user, channel string) Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.nextTSLocked()
	return s.eventLocked(map[string]any{"type": "message", "subtype": "channel_join", "user": user,
		"text": "<@" + user + "> has joined the channel", "channel": channel,
		"channel_type": s.channelTypeLocked(channel), "ts": ts, "event_ts": ts})
}

// HomeOpened returns the app_home_opened event for user's Home tab.
func (s *Server) HomeOpened(user string) Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.nextTSLocked()
	return s.eventLocked(map[string]any{"type": "app_home_opened", "user": user, "channel": "D" + user,
		"tab": "home", "event_ts": ts})
}

// SlashCommand returns the payload of user typing "/mlsd text" in channel.
func (s *Server) SlashCommand(user, channel, text string) Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	trig, respURL := s.triggerLocked(user, channel)
	name := user
	if u, ok := s.users[user]; ok {
		name = u.Name
	}
	chName := channel
	if c, ok := s.channels[channel]; ok {
		chName = c.Name
	}
	return s.envelopeLocked("slash_commands", map[string]string{
		"token": "fake-verification-token", "team_id": s.opts.TeamID, "team_domain": s.opts.TeamName,
		"channel_id": channel, "channel_name": chName, "user_id": user, "user_name": name,
		"command": "/mlsd", "text": text, "api_app_id": s.opts.AppID, "is_enterprise_install": "false",
		"response_url": respURL, "trigger_id": trig,
	})
}

func (s *Server) userRefLocked(user string) map[string]any {
	name := user
	if u, ok := s.users[user]; ok {
		name = u.Name
	}
	return map[string]any{"id": user, "username": name, "name": name, "team_id": s.opts.TeamID}
}

// button is a button found in blocks.
type button struct {
	blockID, actionID, value, text string
}

// findButton finds the button labelled label in a blocks array.
func findButton(blocksJSON json.RawMessage, label string) (button, bool, error) {
	var blocks []struct {
		Type     string          `json:"type"`
		BlockID  string          `json:"block_id"`
		Elements json.RawMessage `json:"elements"`
	}
	if err := json.Unmarshal(blocksJSON, &blocks); err != nil {
		return button{}, false, err
	}
	for _, b := range blocks {
		if b.Type != "actions" {
			continue
		}
		var elems []struct {
			Type     string   `json:"type"`
			Text     *textObj `json:"text"`
			ActionID string   `json:"action_id"`
			Value    string   `json:"value"`
		}
		if err := json.Unmarshal(b.Elements, &elems); err != nil {
			return button{}, false, err
		}
		for _, e := range elems {
			if e.Type == "button" && e.Text != nil && e.Text.Text == label {
				return button{b.BlockID, e.ActionID, e.Value, e.Text.Text}, true, nil
			}
		}
	}
	return button{}, false, nil
}

// actionJSON is a block_actions payload's one action.
func (b button) actionJSON() []map[string]any {
	return []map[string]any{{"action_id": b.actionID, "block_id": b.blockID,
		"text":  map[string]any{"type": "plain_text", "text": b.text, "emoji": true},
		"value": b.value, "type": "button", "action_ts": "1700000000.000001"}}
}

// Click returns the block_actions payload of user clicking the button
// labelled label on message m.
func (s *Server) Click(user string, m Message, label string) (Envelope, error) {
	btn, ok, err := findButton(m.Blocks, label)
	if err != nil {
		return Envelope{}, fmt.Errorf("message %s has no blocks: %w", m.TS, err)
	}
	if !ok {
		return Envelope{}, fmt.Errorf("message %s has no button %q", m.TS, label)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	trig, respURL := s.triggerLocked(user, m.Channel)
	container := map[string]any{"type": "message", "message_ts": m.TS, "channel_id": m.Channel,
		"is_ephemeral": m.Ephemeral}
	if m.ThreadTS != "" {
		container["thread_ts"] = m.ThreadTS
	}
	chName := m.Channel
	if c, ok := s.channels[m.Channel]; ok {
		chName = c.Name
	}
	return s.envelopeLocked("interactive", map[string]any{
		"type": "block_actions", "user": s.userRefLocked(user), "api_app_id": s.opts.AppID,
		"token": "fake-verification-token", "container": container, "trigger_id": trig,
		"team":    map[string]any{"id": s.opts.TeamID, "domain": s.opts.TeamName},
		"channel": map[string]any{"id": m.Channel, "name": chName},
		"message": msgJSON(m), "response_url": respURL,
		"actions": btn.actionJSON(),
		"state":   map[string]any{"values": map[string]any{}},
	}), nil
}

// Submit returns the view_submission payload of user typing value into
// the first plain-text input of the opened view and pressing Submit.
func (s *Server) Submit(user string, v View, value string) (Envelope, error) {
	var view struct {
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
		Blocks          []struct {
			Type    string   `json:"type"`
			BlockID string   `json:"block_id"`
			Element *element `json:"element"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(v.JSON, &view); err != nil {
		return Envelope{}, err
	}
	for _, b := range view.Blocks {
		if b.Type != "input" || b.Element == nil || b.Element.Type != "plain_text_input" {
			continue
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		trig, _ := s.triggerLocked(user, "")
		var raw map[string]any
		_ = json.Unmarshal(v.JSON, &raw)
		raw["id"] = v.ID
		raw["team_id"] = s.opts.TeamID
		raw["hash"] = "h" + v.ID
		raw["state"] = map[string]any{"values": map[string]any{b.BlockID: map[string]any{
			b.Element.ActionID: map[string]any{"type": "plain_text_input", "value": value}}}}
		return s.envelopeLocked("interactive", map[string]any{
			"type": "view_submission", "user": s.userRefLocked(user), "api_app_id": s.opts.AppID,
			"token": "fake-verification-token", "trigger_id": trig,
			"team": map[string]any{"id": s.opts.TeamID, "domain": s.opts.TeamName},
			"view": raw, "response_urls": []any{},
		}), nil
	}
	return Envelope{}, fmt.Errorf("view %s has no plain-text input", v.ID)
}

// URLVerification returns the Events API handshake Slack sends when the
// Request URL is saved.
func URLVerification(challenge string) Envelope {
	return Envelope{Type: "events_api", ID: "url-verification", Payload: mustJSON(map[string]any{
		"token": "fake-verification-token", "challenge": challenge, "type": "url_verification"})}
}
