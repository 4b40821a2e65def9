package fakediscord

import (
	"net/url"
	"slices"
	"strconv"
)

// listedMessage is a message as GET /channels/{id}/messages returns it:
// with the thread started from it, if any. Discord never returns a
// create's nonce here, so neither does the fake.
type listedMessage struct {
	Message
	Thread *Channel `json:"thread,omitempty"`
}

// listMessages is GET /channels/{id}/messages: limit (1-100, default 50)
// messages before or after a snowflake (the ones nearest to it), or the
// newest; always newest first. Callers hold s.mu.
func (s *Server) listMessages(ch *Channel, q url.Values) (any, *apiError) {
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: limit: must be between 1 and 100")
		}
		limit = n
	}
	set := 0
	for _, k := range []string{"before", "after", "around"} {
		if q.Get(k) != "" {
			set++
		}
	}
	if set > 1 {
		return nil, badRequest(codeInvalidFormBody, "Invalid Form Body: before, after and around are exclusive")
	}
	if q.Get("around") != "" {
		return nil, badRequest(codeInvalidFormBody, "fakediscord: around is not implemented")
	}
	snowflake := func(k string) (int64, *apiError) {
		v := q.Get(k)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, badRequest(codeInvalidFormBody, "Invalid Form Body: %s: not a snowflake", k)
		}
		return n, nil
	}
	before, err := snowflake("before")
	if err != nil {
		return nil, err
	}
	after, err := snowflake("after")
	if err != nil {
		return nil, err
	}
	var in []*Message // oldest first
	for _, id := range s.order {
		m := s.messages[id]
		n, _ := strconv.ParseInt(m.ID, 10, 64)
		if m.ChannelID != ch.ID || m.Deleted || m.Loading || m.Ephemeral() || (before != 0 && n >= before) || n <= after {
			continue
		}
		in = append(in, m)
	}
	if q.Get("after") != "" {
		in = in[:min(limit, len(in))] // the ones right after it
	} else {
		in = in[max(0, len(in)-limit):]
	}
	out := make([]listedMessage, 0, len(in))
	for _, m := range slices.Backward(in) {
		lm := listedMessage{Message: *m}
		if th, ok := s.channels[m.Thread]; ok && m.Thread != "" {
			c := *th
			lm.Thread = &c
		}
		out = append(out, lm)
	}
	return out, nil
}
