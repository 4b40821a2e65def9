package fakeslack

import (
	"encoding/json"
	"slices"
	"strconv"
)

// Message metadata and the history methods that read it back.

// metadata validates chat.postMessage's metadata argument: a JSON object
// with a string event_type and an object event_payload.
func metadata(raw string) (json.RawMessage, string) {
	if raw == "" {
		return nil, ""
	}
	var m struct {
		EventType    *string         `json:"event_type"`
		EventPayload json.RawMessage `json:"event_payload"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, "invalid_metadata_format"
	}
	var payload map[string]any
	if m.EventType == nil || *m.EventType == "" || json.Unmarshal(m.EventPayload, &payload) != nil || payload == nil {
		return nil, "invalid_metadata_schema"
	}
	return json.RawMessage(raw), ""
}

// historyScope is the scope reading a conversation's history needs.
func historyScope(c *Channel) string {
	switch {
	case c.IM:
		return "im:history"
	case c.Private:
		return "groups:history"
	}
	return "channels:history"
}

// readableLocked checks that the bot may read channel's history.
func (s *Server) readableLocked(id string) (*Channel, apiResult, bool) {
	c, ok := s.channels[id]
	if !ok || (c.Private && !c.Member) {
		return nil, errResult("channel_not_found"), false
	}
	if scope := historyScope(c); !slices.Contains(s.scopes, scope) {
		return nil, s.missingScopeLocked(scope), false
	}
	if !c.Member {
		return nil, errResult("not_in_channel"), false
	}
	return c, apiResult{}, true
}

// window is the oldest/latest/inclusive filter of the history methods.
type window struct {
	oldest, latest float64
	inclusive      bool
}

func readWindow(req *request) window {
	w := window{latest: 1e18}
	if v, err := strconv.ParseFloat(req.param("oldest"), 64); err == nil {
		w.oldest = v
	}
	if v, err := strconv.ParseFloat(req.param("latest"), 64); err == nil {
		w.latest = v
	}
	w.inclusive = req.param("inclusive") == "1" || req.param("inclusive") == "true"
	return w
}

func (w window) holds(ts string) bool {
	v, err := strconv.ParseFloat(ts, 64)
	if err != nil {
		return false
	}
	if w.inclusive {
		return v >= w.oldest && v <= w.latest
	}
	return v > w.oldest && v < w.latest
}

// page cuts msgs (in the order they are returned) at the cursor and limit
// (default 100, at most 999, as Slack's).
func page(req *request, msgs []map[string]any) ([]map[string]any, map[string]any) {
	limit, err := strconv.Atoi(req.param("limit"))
	if err != nil || limit <= 0 {
		limit = 100
	}
	limit = min(limit, 999)
	start, _ := strconv.Atoi(req.param("cursor"))
	start = min(max(start, 0), len(msgs))
	end := min(start+limit, len(msgs))
	fields := map[string]any{"has_more": end < len(msgs)}
	next := ""
	if end < len(msgs) {
		next = strconv.Itoa(end)
	}
	fields["response_metadata"] = map[string]any{"next_cursor": next}
	return msgs[start:end], fields
}

func (s *Server) messageJSON(m Message, withMetadata bool) map[string]any {
	out := map[string]any{"type": "message", "text": m.Text, "user": m.User, "ts": m.TS}
	if m.BotID != "" {
		out["bot_id"] = m.BotID
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if withMetadata && m.Metadata != nil {
		out["metadata"] = m.Metadata
	}
	return out
}

func visible(m Message) bool { return !m.Ephemeral && m.Via != "response_url" }

// historyLocked is conversations.history: the channel's root messages
// (thread replies stay in their thread), newest first; metadata only with
// include_all_metadata.
func (s *Server) historyLocked(req *request) apiResult {
	ch := req.param("channel")
	if _, res, ok := s.readableLocked(ch); !ok {
		return res
	}
	w, withMeta := readWindow(req), req.param("include_all_metadata") == "1" || req.param("include_all_metadata") == "true"
	var msgs []map[string]any
	for i := len(s.messages) - 1; i >= 0; i-- {
		m := s.messages[i]
		if m.Channel == ch && m.ThreadTS == "" && visible(m) && w.holds(m.TS) {
			msgs = append(msgs, s.messageJSON(m, withMeta))
		}
	}
	got, fields := page(req, msgs)
	fields["messages"] = got
	return okResult(fields)
}

// repliesLocked is conversations.replies: the thread's parent, then its
// replies oldest first, the replies filtered by oldest/latest.
func (s *Server) repliesLocked(req *request) apiResult {
	ch, ts := req.param("channel"), req.param("ts")
	if _, res, ok := s.readableLocked(ch); !ok {
		return res
	}
	w, withMeta := readWindow(req), req.param("include_all_metadata") == "1" || req.param("include_all_metadata") == "true"
	var parent *Message
	var msgs []map[string]any
	for i, m := range s.messages {
		switch {
		case m.Channel != ch || !visible(m):
		case m.TS == ts && m.ThreadTS == "":
			parent = &s.messages[i]
		case m.ThreadTS == ts && w.holds(m.TS):
			msgs = append(msgs, s.messageJSON(m, withMeta))
		}
	}
	if parent == nil {
		return errResult("thread_not_found")
	}
	got, fields := page(req, append([]map[string]any{s.messageJSON(*parent, withMeta)}, msgs...))
	fields["messages"] = got
	return okResult(fields)
}
