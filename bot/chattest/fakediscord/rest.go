package fakediscord

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// apiError is a Discord JSON error.
type apiError struct {
	status  int
	code    int
	message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %d %s", e.status, e.code, e.message) }

func badRequest(code int, format string, a ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, message: fmt.Sprintf(format, a...)}
}

func notFound(code int, what string) *apiError {
	return &apiError{status: http.StatusNotFound, code: code, message: "Unknown " + what}
}

// Discord JSON error codes used by the fake.
const (
	codeUnknownChannel      = 10003
	codeUnknownMessage      = 10008
	codeUnknownWebhook      = 10015
	codeUnknownInteraction  = 10062
	codeAlreadyAcknowledged = 40060
	codeEmptyMessage        = 50006
	codeInvalidChannelType  = 50024
	codeInvalidFormBody     = 50035
	codeThreadAlreadyExists = 160004
)

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/gw") {
		s.serveGateway(w, r)
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/api/v9")
	if !ok {
		path, ok = strings.CutPrefix(r.URL.Path, "/api/v10")
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !s.parkIfHeld(r, path) {
		return
	}
	var status int
	var resp []byte
	s.mu.Lock()
	hdr, refused := s.limited(r.Method, path)
	s.mu.Unlock()
	body, files, aerr := splitMultipart(r, body)
	switch {
	case refused != nil:
		status, resp = http.StatusTooManyRequests, refused
	case aerr != nil:
		status, resp = s.reply(nil, aerr)
	default:
		status, resp = s.route(r, path, body, files)
	}
	s.mu.Lock()
	s.record(Request{Method: r.Method, Path: path, Query: r.URL.RawQuery, Body: body, Status: status, At: time.Now()})
	s.mu.Unlock()
	for k, v := range hdr {
		w.Header()[k] = v
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(resp)
}

// route answers one REST request: status and JSON body.
func (s *Server) route(r *http.Request, path string, body []byte, files []Attachment) (int, []byte) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	seg := func(i int) string {
		if i < len(parts) {
			return parts[i]
		}
		return ""
	}
	s.mu.Lock()
	for i := range s.failures {
		f := &s.failures[i]
		if f.times > 0 && strings.HasPrefix(path, f.prefix) && (f.method == "" || f.method == r.Method) {
			f.times--
			s.mu.Unlock()
			return f.status, []byte(f.body)
		}
	}
	s.mu.Unlock()

	// Interaction callbacks and webhooks are authorised by their token.
	switch {
	case r.Method == "POST" && seg(0) == "interactions" && seg(3) == "callback" && len(parts) == 4:
		return s.reply(s.callback(seg(1), seg(2), body))
	case seg(0) == "webhooks" && len(parts) >= 3:
		return s.reply(s.webhook(r, parts[1:], body, files))
	}

	if auth := r.Header.Get("Authorization"); auth != "Bot "+s.opts.Token && auth != s.opts.Token {
		return http.StatusUnauthorized, []byte(`{"code":0,"message":"401: Unauthorized"}`)
	}
	switch {
	case r.Method == "GET" && path == "/gateway":
		return http.StatusOK, mustJSON(map[string]string{"url": s.gatewayURL()})
	case r.Method == "GET" && path == "/gateway/bot":
		return http.StatusOK, mustJSON(map[string]any{"url": s.gatewayURL(), "shards": 1,
			"session_start_limit": map[string]int{"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})
	case r.Method == "GET" && path == "/users/@me":
		return http.StatusOK, mustJSON(s.Bot)
	case r.Method == "POST" && path == "/users/@me/channels":
		return s.reply(s.openDM(body))
	case seg(0) == "channels" && len(parts) >= 2:
		return s.reply(s.channelRoute(r.Method, parts[1:], r.URL.Query(), body, files))
	case r.Method == "PUT" && seg(0) == "applications" && seg(1) == s.AppID && seg(2) == "commands" && len(parts) == 3:
		return s.reply(s.overwriteCommands("", body))
	case r.Method == "PUT" && seg(0) == "applications" && seg(1) == s.AppID && seg(2) == "guilds" && seg(4) == "commands" && len(parts) == 5:
		return s.reply(s.overwriteCommands(seg(3), body))
	}
	return http.StatusNotFound, []byte(`{"code":0,"message":"404: Not Found"}`)
}

func (s *Server) reply(v any, err *apiError) (int, []byte) {
	if err != nil {
		return err.status, mustJSON(map[string]any{"code": err.code, "message": err.message})
	}
	if v == nil {
		return http.StatusNoContent, nil
	}
	return http.StatusOK, mustJSON(v)
}

func (s *Server) gatewayURL() string {
	return "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/gw"
}

func (s *Server) channelRoute(method string, parts []string, query url.Values, body []byte, files []Attachment) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[parts[0]]
	if !ok {
		return nil, notFound(codeUnknownChannel, "Channel")
	}
	switch {
	case method == "GET" && len(parts) == 1:
		return ch, nil
	case method == "POST" && len(parts) == 2 && parts[1] == "messages":
		var d messageData
		if err := json.Unmarshal(body, &d); err != nil {
			return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: %v", err)
		}
		if d.Flags&flagEphemeral != 0 {
			return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: flags: ephemeral outside an interaction")
		}
		m, err := s.newMessage(ch.ID, d)
		if err != nil {
			return nil, err
		}
		s.attach(m, files)
		if err := checkAttachmentRefs(m); err != nil {
			return nil, err
		}
		s.addMessage(m)
		s.dispatchMessageCreate(m)
		return m, nil
	case method == "GET" && len(parts) == 2 && parts[1] == "messages":
		return s.listMessages(ch, query)
	case method == "PATCH" && len(parts) == 3 && parts[1] == "messages":
		m, ok := s.messages[parts[2]]
		if !ok || m.ChannelID != ch.ID || m.Deleted {
			return nil, notFound(codeUnknownMessage, "Message")
		}
		if err := s.editMessage(m, body); err != nil {
			return nil, err
		}
		return m, nil
	case method == "POST" && len(parts) == 4 && parts[1] == "messages" && parts[3] == "threads":
		return s.startThread(ch, parts[2], body)
	case method == "POST" && len(parts) == 2 && parts[1] == "threads":
		return s.startThread(ch, "", body)
	case method == "PUT" && len(parts) == 3 && parts[1] == "thread-members" && parts[2] == "@me":
		if !ch.IsThread() {
			return nil, badRequest(codeInvalidChannelType, "Cannot execute action on this channel type")
		}
		return nil, nil
	}
	return nil, &apiError{status: http.StatusNotFound, message: "404: Not Found"}
}

// startThread creates a thread from a message (messageID set) or without one.
func (s *Server) startThread(parent *Channel, messageID string, body []byte) (any, *apiError) {
	var d struct {
		Name                string `json:"name"`
		AutoArchiveDuration int    `json:"auto_archive_duration"`
		Type                *int   `json:"type"`
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: %v", err)
	}
	if parent.Type != ChannelText {
		return nil, badRequest(codeInvalidChannelType, "Cannot execute action on this channel type")
	}
	if n := runes(d.Name); n < 1 || n > 100 {
		return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: name: must be between 1 and 100 in length")
	}
	if d.AutoArchiveDuration != 0 && !slices.Contains([]int{60, 1440, 4320, 10080}, d.AutoArchiveDuration) {
		return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: auto_archive_duration")
	}
	th := &Channel{GuildID: s.GuildID, ParentID: parent.ID, Name: d.Name, OwnerID: s.Bot.ID, AutoArchiveDuration: d.AutoArchiveDuration}
	if messageID != "" {
		m, ok := s.messages[messageID]
		if !ok || m.ChannelID != parent.ID || m.Deleted {
			return nil, notFound(codeUnknownMessage, "Message")
		}
		if m.Ephemeral() {
			return nil, notFound(codeUnknownMessage, "Message")
		}
		if m.Thread != "" {
			return nil, badRequest(codeThreadAlreadyExists, "A thread has already been created for this message")
		}
		// A thread started from a message shares the message's id.
		th.ID, th.Type, th.StartMessage = m.ID, ChannelPublicThread, m.ID
		m.Thread = th.ID
	} else {
		th.ID = s.newID()
		// Discord's default for a thread without a message is PRIVATE.
		th.Type = ChannelPrivateThread
		if d.Type != nil {
			if *d.Type != ChannelPublicThread && *d.Type != ChannelPrivateThread {
				return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: type")
			}
			th.Type = *d.Type
		}
	}
	s.channels[th.ID] = th
	s.dispatchLocked("THREAD_CREATE", intentGuilds, th)
	return th, nil
}

func (s *Server) openDM(body []byte) (any, *apiError) {
	var d struct {
		RecipientID string `json:"recipient_id"`
	}
	if err := json.Unmarshal(body, &d); err != nil || d.RecipientID == "" {
		return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: recipient_id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.channels {
		if c.Type == ChannelDM && c.Recipient == d.RecipientID {
			return c, nil
		}
	}
	c := &Channel{ID: s.newID(), Type: ChannelDM, Recipient: d.RecipientID}
	s.channels[c.ID] = c
	return c, nil
}

// newMessage validates a message body and builds the message; callers hold s.mu.
func (s *Server) newMessage(channelID string, d messageData) (*Message, *apiError) {
	m := &Message{ID: s.newID(), ChannelID: channelID, Author: s.Bot, Timestamp: s.opts.Now().UTC(), Flags: d.Flags}
	if c := s.channels[channelID]; c != nil && c.Type != ChannelDM {
		m.GuildID = s.GuildID
	}
	if d.Content != nil {
		m.Content = *d.Content
	}
	if d.Embeds != nil {
		m.Embeds = *d.Embeds
	}
	if d.Components != nil {
		m.Components = *d.Components
	}
	m.AllowedMentions = d.AllowedMentions
	if err := validateMessage(m); err != nil {
		return nil, err
	}
	if !m.Ephemeral() {
		m.Pings = pings(m.Content, m.AllowedMentions)
	}
	return m, nil
}

// editMessage applies a PATCH body; callers hold s.mu.
func (s *Server) editMessage(m *Message, body []byte) *apiError {
	var d messageData
	if err := json.Unmarshal(body, &d); err != nil {
		return badRequest(codeInvalidFormBody, "Invalid Form Body: %v", err)
	}
	next := *m
	if d.Content != nil {
		next.Content = *d.Content
	}
	if d.Embeds != nil {
		next.Embeds = *d.Embeds
	}
	if d.Components != nil {
		next.Components = *d.Components
	}
	if d.AllowedMentions != nil {
		next.AllowedMentions = d.AllowedMentions
	}
	next.Loading = false
	if err := validateMessage(&next); err != nil {
		return err
	}
	if !next.Ephemeral() {
		next.Pings = pings(next.Content, next.AllowedMentions)
	}
	*m = next
	s.editEvent(m, "edit")
	return nil
}

var (
	userMention = regexp.MustCompile(`<@!?(\d+)>`)
	roleMention = regexp.MustCompile(`<@&(\d+)>`)
)

// pings lists who a message would notify under its allowed_mentions: with
// none given, Discord parses every mention in the content.
func pings(content string, am *AllowedMentions) []string {
	parse := []string{"everyone", "users", "roles"}
	var users, roles []string
	if am != nil {
		parse, users, roles = am.Parse, am.Users, am.Roles
	}
	var out []string
	if slices.Contains(parse, "everyone") {
		for _, w := range []string{"@everyone", "@here"} {
			if strings.Contains(content, w) {
				out = append(out, w)
			}
		}
	}
	for _, m := range userMention.FindAllStringSubmatch(content, -1) {
		if slices.Contains(parse, "users") || slices.Contains(users, m[1]) {
			out = append(out, "user:"+m[1])
		}
	}
	for _, m := range roleMention.FindAllStringSubmatch(content, -1) {
		if slices.Contains(parse, "roles") || slices.Contains(roles, m[1]) {
			out = append(out, "role:"+m[1])
		}
	}
	return out
}

// validateMessage enforces Discord's message limits.
func validateMessage(m *Message) *apiError {
	if m.Content == "" && len(m.Embeds) == 0 && len(m.Components) == 0 && !m.Loading {
		return badRequest(codeEmptyMessage, "Cannot send an empty message")
	}
	if n := runes(m.Content); n > maxContentChars {
		return badRequest(codeInvalidFormBody, "Invalid Form Body: content: Must be %d or fewer in length (got %d)", maxContentChars, n)
	}
	if len(m.Embeds) > 10 {
		return badRequest(codeInvalidFormBody, "Invalid Form Body: embeds: Must be 10 or fewer in length")
	}
	total := 0
	for i, e := range m.Embeds {
		switch {
		case runes(e.Title) > 256:
			return badRequest(codeInvalidFormBody, "Invalid Form Body: embeds.%d.title", i)
		case runes(e.Description) > 4096:
			return badRequest(codeInvalidFormBody, "Invalid Form Body: embeds.%d.description", i)
		case len(e.Fields) > 25:
			return badRequest(codeInvalidFormBody, "Invalid Form Body: embeds.%d.fields", i)
		case e.Footer != nil && runes(e.Footer.Text) > 2048:
			return badRequest(codeInvalidFormBody, "Invalid Form Body: embeds.%d.footer", i)
		}
		for j, f := range e.Fields {
			if n := runes(f.Name); n < 1 || n > 256 {
				return badRequest(codeInvalidFormBody, "Invalid Form Body: embeds.%d.fields.%d.name", i, j)
			}
			if n := runes(f.Value); n < 1 || n > 1024 {
				return badRequest(codeInvalidFormBody, "Invalid Form Body: embeds.%d.fields.%d.value", i, j)
			}
		}
		total += e.chars()
	}
	if total > maxEmbedTotal {
		return badRequest(codeInvalidFormBody, "Invalid Form Body: embeds: total size %d exceeds %d", total, maxEmbedTotal)
	}
	return validateComponents(m.Components)
}

func validateComponents(rows []Component) *apiError {
	if len(rows) > 5 {
		return badRequest(codeInvalidFormBody, "Invalid Form Body: components: Must be 5 or fewer in length")
	}
	seen := map[string]bool{}
	for i, row := range rows {
		if row.Type != 1 {
			return badRequest(codeInvalidFormBody, "Invalid Form Body: components.%d: top level must be action rows", i)
		}
		if len(row.Components) < 1 || len(row.Components) > 5 {
			return badRequest(codeInvalidFormBody, "Invalid Form Body: components.%d.components: 1 to 5", i)
		}
		for j, c := range row.Components {
			if c.Type != 2 {
				return badRequest(codeInvalidFormBody, "Invalid Form Body: components.%d.components.%d: unsupported type %d", i, j, c.Type)
			}
			if runes(c.Label) > 80 {
				return badRequest(codeInvalidFormBody, "Invalid Form Body: components.%d.components.%d.label", i, j)
			}
			if c.Style == 5 {
				continue
			}
			if n := len(c.CustomID); n < 1 || n > 100 {
				return badRequest(codeInvalidFormBody, "Invalid Form Body: components.%d.components.%d.custom_id: 1 to 100", i, j)
			}
			if seen[c.CustomID] {
				return badRequest(codeInvalidFormBody, "Invalid Form Body: components.%d.components.%d.custom_id: duplicate", i, j)
			}
			seen[c.CustomID] = true
		}
	}
	return nil
}

// validateModal enforces the legacy modal shape: 1-5 action rows, each
// holding one text input.
func validateModal(d messageData) *apiError {
	if n := len(d.CustomID); n < 1 || n > 100 {
		return badRequest(codeInvalidFormBody, "Invalid Form Body: data.custom_id: 1 to 100")
	}
	if n := runes(d.Title); n < 1 || n > 45 {
		return badRequest(codeInvalidFormBody, "Invalid Form Body: data.title: 1 to 45")
	}
	if d.Components == nil || len(*d.Components) < 1 || len(*d.Components) > 5 {
		return badRequest(codeInvalidFormBody, "Invalid Form Body: data.components: 1 to 5")
	}
	for i, row := range *d.Components {
		if row.Type != 1 || len(row.Components) != 1 || row.Components[0].Type != 4 {
			return badRequest(codeInvalidFormBody, "Invalid Form Body: data.components.%d: an action row with one text input", i)
		}
		in := row.Components[0]
		switch {
		case in.CustomID == "" || len(in.CustomID) > 100:
			return badRequest(codeInvalidFormBody, "Invalid Form Body: data.components.%d.custom_id", i)
		case in.Style != 1 && in.Style != 2:
			return badRequest(codeInvalidFormBody, "Invalid Form Body: data.components.%d.style", i)
		case runes(in.Label) < 1 || runes(in.Label) > 45:
			return badRequest(codeInvalidFormBody, "Invalid Form Body: data.components.%d.label: 1 to 45", i)
		case in.MaxLength > 4000 || in.MinLength > 4000 || in.MaxLength < 0:
			return badRequest(codeInvalidFormBody, "Invalid Form Body: data.components.%d.max_length: at most 4000", i)
		case runes(in.Placeholder) > 100:
			return badRequest(codeInvalidFormBody, "Invalid Form Body: data.components.%d.placeholder", i)
		}
	}
	return nil
}

var commandName = regexp.MustCompile(`^[-_\p{Ll}\p{N}]{1,32}$`)

// overwriteCommands replaces a scope's commands, as the bulk PUT does.
func (s *Server) overwriteCommands(guildID string, body []byte) (any, *apiError) {
	var cmds []Command
	if err := json.Unmarshal(body, &cmds); err != nil {
		return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: %v", err)
	}
	if guildID != "" && guildID != s.GuildID {
		return nil, &apiError{status: http.StatusForbidden, code: 50001, message: "Missing Access"}
	}
	names := map[string]bool{}
	for i, c := range cmds {
		if !commandName.MatchString(c.Name) {
			return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: %d.name: %q", i, c.Name)
		}
		if names[c.Name] {
			return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: %d.name: duplicate %q", i, c.Name)
		}
		names[c.Name] = true
		if n := runes(c.Description); n < 1 || n > 100 {
			return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: %d.description", i)
		}
		if err := validateOptions(fmt.Sprint(i), c.Options, 0); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range cmds {
		cmds[i].ID = s.newID()
		cmds[i].ApplicationID = s.AppID
		cmds[i].GuildID = guildID
		if cmds[i].Type == 0 {
			cmds[i].Type = 1
		}
	}
	s.commands[guildID] = cmds
	return cmds, nil
}

func validateOptions(at string, opts []CommandOption, depth int) *apiError {
	if len(opts) > 25 {
		return badRequest(codeInvalidFormBody, "Invalid Form Body: %s.options: at most 25", at)
	}
	names := map[string]bool{}
	optional := false
	for i, o := range opts {
		here := fmt.Sprintf("%s.options.%d", at, i)
		if !commandName.MatchString(o.Name) || names[o.Name] {
			return badRequest(codeInvalidFormBody, "Invalid Form Body: %s.name: %q", here, o.Name)
		}
		names[o.Name] = true
		if n := runes(o.Description); n < 1 || n > 100 {
			return badRequest(codeInvalidFormBody, "Invalid Form Body: %s.description", here)
		}
		if o.Autocomplete && len(o.Choices) > 0 {
			return badRequest(codeInvalidFormBody, "Invalid Form Body: %s: autocomplete and choices are exclusive", here)
		}
		if len(o.Choices) > 25 {
			return badRequest(codeInvalidFormBody, "Invalid Form Body: %s.choices: at most 25", here)
		}
		switch o.Type {
		case 1, 2:
			if (o.Type == 2 && depth > 0) || (o.Type == 1 && depth > 1) {
				return badRequest(codeInvalidFormBody, "Invalid Form Body: %s: subcommands nested too deep", here)
			}
			if err := validateOptions(here, o.Options, depth+1); err != nil {
				return err
			}
		default:
			if o.Required && optional {
				return badRequest(codeInvalidFormBody, "Invalid Form Body: %s: required options must come first", here)
			}
			if !o.Required {
				optional = true
			}
		}
	}
	return nil
}
